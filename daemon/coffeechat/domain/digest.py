"""The daily digest's content and its decisions, without I/O.

The owner mostly meets coffeechat through this email, so everything it says is decided here, in
plain dataclasses the templates read: what needs the owner and the exact next step, the week's
meetings with preparation prompts, what happened since the last digest, the pipeline, health.
The schedule (when today's digest is due, DST included) is here too, with the clock a parameter.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from coffeechat.domain.states import ThreadState

#: How far back "since the last digest" reaches when there was none, or it is long ago.
FIRST_WINDOW = timedelta(hours=24)
MAX_WINDOW = timedelta(days=7)
#: Meetings shown: today and the next seven days.
MEETINGS_AHEAD_DAYS = 7


# ------------------------------------------------------------------ people


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    company: str = ""
    role: str = ""

    @property
    def display(self) -> str:
        return self.name or self.email

    @property
    def position(self) -> str:
        """'Staff Engineer at Acme', or whichever half is known."""
        if self.role and self.company:
            return f"{self.role} at {self.company}"
        return self.role or self.company


# ------------------------------------------------------------------ 1. needs you


class NeedKind(StrEnum):
    QUESTION = "question"
    UNCLEAR = "unclear"  # the reader was not confident enough to act
    UNKNOWN_SENDER = "unknown_sender"
    OTHER_ADDRESS = "other_address"  # a contact wrote from a different address
    THANK_YOU_NOTES = "thank_you_notes"
    DRAFT_WAITING = "draft_waiting"
    SEND_UNKNOWN = "send_unknown"  # crashed mid-send: never resent automatically
    SEND_FAILED = "send_failed"  # the server refused it for good
    HELD = "held"
    BOUNCED = "bounced"
    AUTH = "auth"
    CONNECTION = "connection"
    SETTINGS = "settings"
    OTHER = "other"


NEED_TITLES: Mapping[NeedKind, str] = {
    NeedKind.QUESTION: "Question for you",
    NeedKind.UNCLEAR: "Unclear reply",
    NeedKind.UNKNOWN_SENDER: "Unknown sender",
    NeedKind.OTHER_ADDRESS: "Reply from another address",
    NeedKind.THANK_YOU_NOTES: "Thank-you waiting for your notes",
    NeedKind.DRAFT_WAITING: "Draft waiting in Drafts",
    NeedKind.SEND_UNKNOWN: "Did this email go out?",
    NeedKind.SEND_FAILED: "Email refused",
    NeedKind.HELD: "Email held",
    NeedKind.BOUNCED: "Address bounced",
    NeedKind.AUTH: "Login failing",
    NeedKind.CONNECTION: "Connection failing",
    NeedKind.SETTINGS: "Settings problem",
    NeedKind.OTHER: "Needs you",
}

#: Event kinds the daemon records with needs_owner (service modules: sender, inbox, schedule...).
EVENT_KINDS: Mapping[str, NeedKind] = {
    "outbox.held": NeedKind.HELD,
    "outbox.unknown": NeedKind.SEND_UNKNOWN,
    "outbox.drafted": NeedKind.DRAFT_WAITING,
    "outbox.failed": NeedKind.SEND_FAILED,
    "possible_contact": NeedKind.UNKNOWN_SENDER,
}
#: Other kinds, by the words they contain.
_EVENT_WORDS: Sequence[tuple[str, NeedKind]] = (
    ("question", NeedKind.QUESTION),
    ("confidence", NeedKind.UNCLEAR),
    ("unclear", NeedKind.UNCLEAR),
    ("unknown", NeedKind.UNKNOWN_SENDER),
    ("other_address", NeedKind.OTHER_ADDRESS),
    ("different_address", NeedKind.OTHER_ADDRESS),
    ("alias", NeedKind.OTHER_ADDRESS),
    ("thank", NeedKind.THANK_YOU_NOTES),
    ("notes", NeedKind.THANK_YOU_NOTES),
    ("draft", NeedKind.DRAFT_WAITING),
    ("bounce", NeedKind.BOUNCED),
    ("auth", NeedKind.AUTH),
    ("login", NeedKind.AUTH),
    ("setting", NeedKind.SETTINGS),
    ("template", NeedKind.SETTINGS),
    ("connect", NeedKind.CONNECTION),
)

_AUTH_WORDS = ("auth", "login", "password", "credential", "535", "534", "token", "denied")


def classify_event(kind: str) -> NeedKind:
    """An Event.kind string to the digest's category (unknown kinds still show, as OTHER)."""
    if kind in EVENT_KINDS:
        return EVENT_KINDS[kind]
    low = kind.lower()
    for word, need in _EVENT_WORDS:
        if word in low:
            return need
    return NeedKind.OTHER


def classify_failure(component: str, error: str) -> NeedKind:
    if component == "settings":
        return NeedKind.SETTINGS
    low = error.lower()
    return NeedKind.AUTH if any(w in low for w in _AUTH_WORDS) else NeedKind.CONNECTION


def notes_command(email: str) -> str:
    return f'coffeechat notes {email} "what you learned, and what you will do with it"'


def default_next_step(kind: NeedKind, email: str | None) -> str:
    """The step shown when the recorder gave none."""
    steps = {
        NeedKind.QUESTION: "answer in your mail client; coffeechat stays out of this thread",
        NeedKind.UNCLEAR: "read it and answer in your mail client",
        NeedKind.UNKNOWN_SENDER: (
            f"if this is a contact, add them: coffeechat contacts add --email {email or 'ADDRESS'}"
            ' --name "..."'
        ),
        NeedKind.OTHER_ADDRESS: "answer in your mail client",
        NeedKind.THANK_YOU_NOTES: notes_command(email or "EMAIL"),
        NeedKind.DRAFT_WAITING: "open Drafts in your mail client, check it and send it",
        NeedKind.SEND_UNKNOWN: "look in your Sent folder; if it is not there, send it by hand",
        NeedKind.SEND_FAILED: "check the address; send it by hand if it still matters",
        NeedKind.HELD: "fix what is named above, then run: coffeechat templates check",
        NeedKind.BOUNCED: "find a current address (company site, a mutual contact) and add it",
        NeedKind.AUTH: "check the password or token, then run: coffeechat check",
        NeedKind.CONNECTION: "coffeechat retries by itself; if it lasts, run: coffeechat check",
        NeedKind.SETTINGS: "fix the settings file, then run: coffeechat check",
        NeedKind.OTHER: "see coffeechat status",
    }
    return steps[kind]


@dataclass(frozen=True)
class NeedsYou:
    kind: NeedKind
    summary: str
    next_step: str
    person: Person | None = None
    since: datetime | None = None
    #: Items with the same key are one thing seen twice (an event and the row it is about).
    key: str = ""

    @property
    def dedupe_key(self) -> str | None:
        if self.key:
            return self.key
        return f"{self.kind}:{self.person.email}" if self.person else None

    @property
    def title(self) -> str:
        return NEED_TITLES[self.kind]

    @property
    def step_parts(self) -> tuple[str, str]:
        """The next step split into words and the exact command to type (either may be '')."""
        m = _COMMAND.search(self.next_step)
        if m is None:
            return self.next_step, ""
        return self.next_step[: m.start()].rstrip(" :,;"), m.group(0).strip()


#: A command the owner can paste: `coffeechat <subcommand> ...` to the end of the step.
_COMMAND = re.compile(
    r"\bcoffeechat (?:notes|contacts|check|status|digest|outreach|templates|run|init)\b.*$"
)

#: Owner-facing order: people waiting on a human first, machinery last.
_NEED_ORDER = list(NeedKind)


def order_needs(items: Sequence[NeedsYou]) -> tuple[NeedsYou, ...]:
    """By category, then oldest first; of items with one key, the first given wins."""
    seen: set[str] = set()
    kept: list[NeedsYou] = []
    for item in items:
        key = item.dedupe_key
        if key is not None:
            if key in seen:
                continue
            seen.add(key)
        kept.append(item)
    floor = datetime.min.replace(tzinfo=UTC)
    kept.sort(key=lambda n: (_NEED_ORDER.index(n.kind), n.since or floor))
    return tuple(kept)


# ------------------------------------------------------------------ 2. meetings ahead


def prep_prompts(person: Person, how_found: str) -> tuple[str, str, str]:
    """Three nudges to research before the call: their path, the industry, the company.

    The guides agree: don't ask what a search would answer; prepare open questions; leave salary
    and openings out.
    """
    who = person.name.split()[0] if person.name else "them"
    where = person.company or "their company"
    role = person.role or "their role"
    found = f"You found {who} via {how_found.rstrip('.')}. " if how_found else ""
    path = (
        f"Their path: {found}Read their public profile and trace how they became {role}; "
        "ask what they would do in your place."
    )
    industry = (
        f"The industry: skim this month's news in the field {where} works in; "
        f"ask how it is changing and what a typical week as {role} looks like."
    )
    company = (
        f"The company: read what {where} has announced lately and who its customers are, so you "
        "don't ask what a search would answer; leave salary and openings out."
    )
    return path, industry, company


@dataclass(frozen=True)
class MeetingAhead:
    person: Person
    start: datetime
    end: datetime
    owner_zone: str
    contact_zone: str | None
    location: str
    how_found: str
    notes: str
    referred_by: str = ""
    prompts: tuple[str, ...] = ()

    @property
    def local_start(self) -> datetime:
        return self.start.astimezone(ZoneInfo(self.owner_zone))

    @property
    def local_end(self) -> datetime:
        return self.end.astimezone(ZoneInfo(self.owner_zone))

    @property
    def their_start(self) -> datetime | None:
        """Their local time, when their zone is known and differs from the owner's."""
        if not self.contact_zone or self.contact_zone == self.owner_zone:
            return None
        theirs = self.start.astimezone(ZoneInfo(self.contact_zone))
        if theirs.utcoffset() == self.local_start.utcoffset():
            return None
        return theirs

    @property
    def location_is_link(self) -> bool:
        return self.location.startswith(("https://", "http://"))

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)

    def is_on(self, day: date) -> bool:
        return self.local_start.date() == day


def meetings_window(now: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """From the start of the owner's today to the end of the seventh day after it."""
    today = now.astimezone(zone).date()
    start = local_midnight(today, zone)
    end = local_midnight(today + timedelta(days=MEETINGS_AHEAD_DAYS + 1), zone)
    return start, end


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return resolve_wall_time(day, time(0, 0), zone)


# ------------------------------------------------------------------ 3. since the last digest


class Outcome(StrEnum):
    BOOKED = "booked"
    OFFERED_SLOTS = "offered_slots"
    FOLLOWUP_STOPPED = "followup_stopped"
    POSTPONED = "postponed"
    BOUNCE_FLAGGED = "bounce_flagged"
    DECLINED = "declined"
    UNSUBSCRIBED = "unsubscribed"
    REFERRAL = "referral"
    RESCHEDULED = "rescheduled"
    CANCELLED = "cancelled"
    FOR_YOU = "for_you"
    RECORDED = "recorded"


#: Message.action values (coffeechat.domain.actions.next_action) to outcomes.
ACTIONS: Mapping[str, Outcome] = {
    "flag_bounce": Outcome.BOUNCE_FLAGGED,
    "stop_followups_left_company": Outcome.FOLLOWUP_STOPPED,
    "postpone_followup": Outcome.POSTPONED,
    "ask_owner": Outcome.FOR_YOU,
    "possible_contact": Outcome.FOR_YOU,
    "stop_forever": Outcome.UNSUBSCRIBED,
    "cancel_meeting": Outcome.CANCELLED,
    "reschedule_meeting": Outcome.RESCHEDULED,
    "offer_new_slots": Outcome.OFFERED_SLOTS,
    "offer_slots": Outcome.OFFERED_SLOTS,
    "stop_followups_and_record_decline": Outcome.DECLINED,
    "create_referral_contact": Outcome.REFERRAL,
    "book_offered_slot": Outcome.BOOKED,
    "book_proposed_time": Outcome.BOOKED,
    "none": Outcome.RECORDED,
}
#: Anything else, by the words it contains (first match wins).
_ACTION_WORDS: Sequence[tuple[str, Outcome]] = (
    ("unsub", Outcome.UNSUBSCRIBED),
    ("bounce", Outcome.BOUNCE_FLAGGED),
    ("resched", Outcome.RESCHEDULED),
    ("cancel", Outcome.CANCELLED),
    ("book", Outcome.BOOKED),
    ("accept", Outcome.BOOKED),
    ("offer", Outcome.OFFERED_SLOTS),
    ("postpone", Outcome.POSTPONED),
    ("later", Outcome.POSTPONED),
    ("auto_reply", Outcome.POSTPONED),
    ("declin", Outcome.DECLINED),
    ("referr", Outcome.REFERRAL),
    ("stop", Outcome.FOLLOWUP_STOPPED),
    ("question", Outcome.FOR_YOU),
    ("owner", Outcome.FOR_YOU),
)


#: A short badge per outcome and its tone (good, wait, bad, quiet) for the HTML.
OUTCOME_BADGES: Mapping[Outcome, tuple[str, str]] = {
    Outcome.BOOKED: ("Booked", "good"),
    Outcome.OFFERED_SLOTS: ("Times offered", "good"),
    Outcome.FOLLOWUP_STOPPED: ("Stopped", "quiet"),
    Outcome.POSTPONED: ("Postponed", "wait"),
    Outcome.BOUNCE_FLAGGED: ("Bounced", "bad"),
    Outcome.DECLINED: ("Declined", "quiet"),
    Outcome.UNSUBSCRIBED: ("Unsubscribed", "quiet"),
    Outcome.REFERRAL: ("Referral", "good"),
    Outcome.RESCHEDULED: ("Moved", "wait"),
    Outcome.CANCELLED: ("Cancelled", "quiet"),
    Outcome.FOR_YOU: ("For you", "bad"),
    Outcome.RECORDED: ("Noted", "quiet"),
}


def outcome_of(
    action: str, intent: str | None, later_until: date | None, needs_owner: bool
) -> tuple[Outcome, str]:
    """What was done about one reply, as an outcome and the phrase the digest prints."""
    if needs_owner:
        return Outcome.FOR_YOU, "left for you (see Needs you)"
    outcome = ACTIONS.get(action)
    if outcome is None:
        outcome = next(
            (
                o
                for text in (action.lower(), (intent or "").lower())
                if text
                for word, o in _ACTION_WORDS
                if word in text
            ),
            Outcome.RECORDED,
        )
    phrases = {
        Outcome.BOOKED: "meeting booked, invitation sent",
        Outcome.OFFERED_SLOTS: "offered times",
        Outcome.FOLLOWUP_STOPPED: "follow-ups stopped",
        Outcome.POSTPONED: "follow-up postponed",
        Outcome.BOUNCE_FLAGGED: "address flagged as bounced; nothing more goes to it",
        Outcome.DECLINED: "declined; follow-ups stopped",
        Outcome.UNSUBSCRIBED: "asked not to be contacted; never written to again",
        Outcome.REFERRAL: "referral recorded",
        Outcome.RESCHEDULED: "meeting moved, updated invitation sent",
        Outcome.CANCELLED: "meeting cancelled",
        Outcome.FOR_YOU: "left for you (see Needs you)",
        Outcome.RECORDED: "recorded",
    }
    phrase = phrases[outcome]
    if action == "stop_followups_left_company":
        phrase = "they have left the company; follow-ups stopped"
    elif outcome is Outcome.POSTPONED and later_until is not None and intent == "auto_reply":
        phrase = f"out of office until {day_label(later_until)}; follow-up postponed until after"
    elif outcome is Outcome.POSTPONED and later_until is not None:
        phrase = f"asked to wait; follow-up postponed to {day_label(later_until)}"
    elif outcome is Outcome.POSTPONED:
        phrase = "follow-up postponed"
    return outcome, phrase


def day_label(day: date) -> str:
    """'Tue 9 Jun' (no platform-specific strftime flags)."""
    return f"{day:%a} {day.day} {day:%b}"


def relative_day(value: datetime | date, zone: ZoneInfo, now: datetime) -> str:
    """'today', 'tomorrow', 'yesterday', else 'Tue 9 Jun', in the owner's zone."""
    if isinstance(value, datetime):
        value = value.astimezone(zone).date()
    today = now.astimezone(zone).date()
    names = {today: "today", today + timedelta(days=1): "tomorrow"}
    names[today - timedelta(days=1)] = "yesterday"
    return names.get(value) or day_label(value)


def when_label(value: datetime | None, zone: ZoneInfo, now: datetime) -> str:
    """'today 08:05', 'Tue 9 Jun 14:30', or 'never'."""
    if value is None:
        return "never"
    return f"{relative_day(value, zone, now)} {value.astimezone(zone):%H:%M}"


@dataclass(frozen=True)
class Reply:
    at: datetime
    person: Person | None
    sender: str
    subject: str
    outcome: Outcome
    done: str
    until: date | None = None

    @property
    def badge(self) -> tuple[str, str]:
        return OUTCOME_BADGES[self.outcome]


@dataclass(frozen=True)
class Sent:
    at: datetime
    person: Person | None
    kind: str
    subject: str


SENT_LABELS: Mapping[str, str] = {
    "outreach": "outreach",
    "referral_outreach": "outreach (referral)",
    "followup": "follow-up",
    "offer_slots": "times offered",
    "invitation": "invitation",
    "reschedule": "new time",
    "cancellation": "cancellation",
    "thank_you": "thank-you",
    "keep_in_touch": "keep in touch",
}


@dataclass(frozen=True)
class Referral:
    person: Person
    referred_by: Person | None


@dataclass(frozen=True)
class SinceLast:
    since: datetime
    replies: tuple[Reply, ...] = ()
    sent: tuple[Sent, ...] = ()
    referrals: tuple[Referral, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.replies or self.sent or self.referrals)

    @property
    def sent_counts(self) -> list[tuple[str, int]]:
        """'outreach 3, follow-up 1', in the order of SENT_LABELS."""
        counts: dict[str, int] = {}
        for item in self.sent:
            counts[item.kind] = counts.get(item.kind, 0) + 1
        order = list(SENT_LABELS)
        ranked = sorted(counts, key=lambda k: order.index(k) if k in order else len(order))
        return [(SENT_LABELS.get(k, k.replace("_", " ")), counts[k]) for k in ranked]


def since_last_start(now: datetime, last_digest_at: datetime | None) -> datetime:
    """The last digest's time, or a day back for the first one; never more than a week."""
    if last_digest_at is None or last_digest_at >= now:
        return now - FIRST_WINDOW
    return max(last_digest_at, now - MAX_WINDOW)


# ------------------------------------------------------------------ 4. pipeline


@dataclass(frozen=True)
class Stage:
    key: str
    label: str
    count: int


#: The nine stages always shown, then extras only when they hold someone.
STAGES: Sequence[tuple[str, str]] = (
    ("to_contact", "To contact"),
    ("waiting", "Waiting for a reply"),
    ("followup_due", "Follow-up due"),
    ("booked", "Booked"),
    ("met", "Met"),
    ("thanked", "Thanked"),
    ("keep_in_touch_due", "Keep in touch due"),
    ("declined", "Declined"),
    ("unsubscribed", "Unsubscribed"),
)
EXTRA_STAGES: Sequence[tuple[str, str]] = (
    ("needs_you", "Waiting on you"),
    ("bounced", "Bounced"),
)

_STATE_STAGE: Mapping[str, str] = {
    ThreadState.NEW: "to_contact",
    ThreadState.OUTREACH_QUEUED: "to_contact",
    ThreadState.OUTREACH_SENT: "waiting",
    ThreadState.FOLLOWUP_SENT: "waiting",
    ThreadState.SLOTS_OFFERED: "waiting",
    ThreadState.LATER: "waiting",
    ThreadState.MEETING_BOOKED: "booked",
    ThreadState.MET: "met",
    ThreadState.THANKED: "thanked",
    ThreadState.DECLINED: "declined",
    ThreadState.UNSUBSCRIBED: "unsubscribed",
    ThreadState.BOUNCED: "bounced",
    ThreadState.NEEDS_OWNER: "needs_you",
}


def pipeline(
    threads_by_state: Mapping[str, int],
    *,
    contacts_without_thread: int,
    followup_due: int,
    keep_in_touch_due: int,
) -> tuple[Stage, ...]:
    """Counts per stage; the due counts are carved out of waiting and thanked."""
    counts = dict.fromkeys([k for k, _ in (*STAGES, *EXTRA_STAGES)], 0)
    for state, n in threads_by_state.items():
        stage = _STATE_STAGE.get(state)
        if stage is not None:
            counts[stage] += n
    counts["to_contact"] += contacts_without_thread
    moved = min(followup_due, counts["waiting"])
    counts["waiting"] -= moved
    counts["followup_due"] += moved
    moved = min(keep_in_touch_due, counts["thanked"])
    counts["thanked"] -= moved
    counts["keep_in_touch_due"] += moved
    stages = [Stage(k, label, counts[k]) for k, label in STAGES]
    stages += [Stage(k, label, counts[k]) for k, label in EXTRA_STAGES if counts[k]]
    return tuple(stages)


def add_business_days(
    start: datetime, days: int, zone: ZoneInfo, working: frozenset[int]
) -> datetime:
    """The same wall time ``days`` working days later (holidays aside: counts only)."""
    local = start.astimezone(zone)
    day = local.date()
    left = days
    while left > 0:
        day += timedelta(days=1)
        if day.weekday() in working:
            left -= 1
    return resolve_wall_time(day, local.timetz().replace(tzinfo=None), zone)


@dataclass(frozen=True)
class Week:
    outreach_sent: int
    replied: int
    meetings_booked: int

    @property
    def reply_rate(self) -> float | None:
        return self.replied / self.outreach_sent if self.outreach_sent else None


@dataclass(frozen=True)
class WeekRow:
    label: str
    this_week: str
    last_week: str
    this_value: float
    last_value: float
    trend: str  # up | down | same


@dataclass(frozen=True)
class WeekOverWeek:
    this_week: Week
    last_week: Week

    @property
    def is_empty(self) -> bool:
        return self.this_week == self.last_week == Week(0, 0, 0)

    def rows(self) -> list[WeekRow]:
        def pct(rate: float | None) -> str:
            return "–" if rate is None else f"{round(rate * 100)}%"

        def trend(a: float, b: float) -> str:
            return "up" if a > b else "down" if a < b else "same"

        t, last = self.this_week, self.last_week
        tr, lr = t.reply_rate or 0.0, last.reply_rate or 0.0
        return [
            WeekRow(
                "Outreach sent",
                str(t.outreach_sent),
                str(last.outreach_sent),
                t.outreach_sent,
                last.outreach_sent,
                trend(t.outreach_sent, last.outreach_sent),
            ),
            WeekRow(
                "Reply rate",
                pct(t.reply_rate),
                pct(last.reply_rate),
                tr * 100,
                lr * 100,
                trend(tr, lr),
            ),
            WeekRow(
                "Meetings booked",
                str(t.meetings_booked),
                str(last.meetings_booked),
                t.meetings_booked,
                last.meetings_booked,
                trend(t.meetings_booked, last.meetings_booked),
            ),
        ]


def week_windows(now: datetime) -> tuple[tuple[datetime, datetime], tuple[datetime, datetime]]:
    """The last seven days and the seven before: rolling, so Monday's digest isn't all zeros."""
    week = timedelta(days=7)
    return (now - week, now), (now - 2 * week, now - week)


def bar_percent(value: float, top: float) -> int:
    """Width of a bar in the chart: at least a sliver when non-zero, 100 for the top."""
    if top <= 0 or value <= 0:
        return 0
    return max(2, round(100 * value / top))


# ------------------------------------------------------------------ 5. health


HEALTH_LABELS: Mapping[str, str] = {
    "imap": "IMAP sync",
    "smtp": "SMTP send",
    "caldav": "CalDAV read",
}


@dataclass(frozen=True)
class Health:
    component: str
    label: str
    configured: bool
    last_ok_at: datetime | None
    failing_since: datetime | None = None
    last_error: str = ""
    paused_until: datetime | None = None

    @property
    def failing(self) -> bool:
        return self.failing_since is not None


# ------------------------------------------------------------------ the whole digest

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NO_WEEK = Week(0, 0, 0)


@dataclass(frozen=True)
class DigestData:
    owner_name: str
    owner_email: str
    owner_zone: str
    now: datetime
    needs_you: tuple[NeedsYou, ...] = ()
    meetings: tuple[MeetingAhead, ...] = ()
    since_last: SinceLast = field(default_factory=lambda: SinceLast(_EPOCH))
    pipeline: tuple[Stage, ...] = ()
    weeks: WeekOverWeek = field(default_factory=lambda: WeekOverWeek(_NO_WEEK, _NO_WEEK))
    health: tuple[Health, ...] = ()

    @property
    def local_now(self) -> datetime:
        return self.now.astimezone(ZoneInfo(self.owner_zone))

    @property
    def today(self) -> date:
        return self.local_now.date()

    @property
    def meetings_today(self) -> tuple[MeetingAhead, ...]:
        return tuple(m for m in self.meetings if m.is_on(self.today))

    @property
    def failing(self) -> tuple[Health, ...]:
        return tuple(h for h in self.health if h.failing)

    @property
    def has_pipeline(self) -> bool:
        return any(s.count for s in self.pipeline) or not self.weeks.is_empty

    @property
    def is_empty(self) -> bool:
        """Nothing to say: no one waits on the owner, nothing ahead, nothing new, nothing broken.

        Pipeline counts alone are not news.
        """
        return not (self.needs_you or self.meetings or self.failing) and self.since_last.is_empty


def subject_line(data: DigestData) -> str:
    """'coffeechat: 2 need you, 1 meeting today': the most urgent facts first."""
    parts: list[str] = []
    if data.needs_you:
        parts.append(f"{len(data.needs_you)} need{'s' if len(data.needs_you) == 1 else ''} you")
    today = len(data.meetings_today)
    if today:
        parts.append(f"{today} meeting{'s' if today > 1 else ''} today")
    elif data.meetings:
        n = len(data.meetings)
        parts.append(f"{n} meeting{'s' if n > 1 else ''} this week")
    if data.failing:
        parts.append(", ".join(h.label for h in data.failing) + " failing")
    replies = len(data.since_last.replies)
    if replies and len(parts) < 3:
        parts.append(f"{replies} repl{'ies' if replies > 1 else 'y'}")
    if not parts:
        parts.append("all quiet" if data.since_last.is_empty else "what happened")
    return "coffeechat: " + ", ".join(parts)


# ------------------------------------------------------------------ the schedule


def resolve_wall_time(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The instant the owner's wall clock shows ``at`` on ``day``, DST-safe.

    Twice on a fall-back day: the first. Never on a spring-forward day (inside the gap): the
    moment the clock jumps, so the digest still goes that day, once.
    """
    naive = datetime.combine(day, at.replace(tzinfo=None))
    first = naive.replace(tzinfo=zone, fold=0)
    if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == naive:
        return first.astimezone(UTC)
    # In the gap: fold=1 reads the wall time with the later offset (an instant before the
    # jump), fold=0 with the earlier (after it). Walk minutes to the jump.
    lo = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    hi = first.astimezone(UTC)
    at_utc = lo
    while at_utc < hi and at_utc.astimezone(zone).replace(tzinfo=None) < naive:
        at_utc += timedelta(minutes=1)
    return at_utc


def digest_due(
    now: datetime, digest_at: time, zone: ZoneInfo, last_sent_local_date: date | None
) -> datetime | None:
    """Today's digest slot when it is due now (past the time, not yet sent today), else None.

    A daemon that was down at the time sends later the same day; a missed day is not caught up.
    """
    today = now.astimezone(zone).date()
    if last_sent_local_date is not None and last_sent_local_date >= today:
        return None
    slot = resolve_wall_time(today, digest_at, zone)
    return slot if now >= slot else None


def next_digest_at(
    now: datetime, digest_at: time, zone: ZoneInfo, last_sent_local_date: date | None
) -> datetime:
    """When the scheduler should next wake for the digest (``now`` when it is due already)."""
    if digest_due(now, digest_at, zone, last_sent_local_date) is not None:
        return now
    today = now.astimezone(zone).date()
    slot = resolve_wall_time(today, digest_at, zone)
    if slot > now and (last_sent_local_date is None or last_sent_local_date < today):
        return slot
    return resolve_wall_time(today + timedelta(days=1), digest_at, zone)


def digest_key(account_id: int, day: date) -> str:
    """The outbox idempotency key: one digest per account and local date, across restarts."""
    return f"digest:{account_id}:{day.isoformat()}"
