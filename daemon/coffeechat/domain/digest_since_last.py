"""What happened since the last digest: each reply's outcome, what was sent, new referrals.

Separate because it owns the reading of recorded actions into outcomes and the window it covers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from coffeechat.domain.digest_naming import Person, day_label

#: How far back "since the last digest" reaches when there was none, or it is long ago.
FIRST_WINDOW = timedelta(hours=24)
MAX_WINDOW = timedelta(days=7)


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
