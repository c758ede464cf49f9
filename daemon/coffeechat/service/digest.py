"""The daily digest: read the store, render text and HTML, queue one email a day.

``gather`` turns the store into :class:`~coffeechat.domain.digest.DigestData` with a handful of
indexed queries; the templates under ``templates/digest/`` render it; ``queue_daily_digest``
puts it in the outbox under the key ``digest:{account}:{local date}``, so however often the
daemon restarts at the send minute the owner gets one a day. The sender delivers it like any
other email.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from jinja2 import ChoiceLoader, FileSystemLoader, StrictUndefined, select_autoescape
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy import and_, exists, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, aliased

from coffeechat.clock import Clock
from coffeechat.domain import digest as d
from coffeechat.domain.compose import Party, compose, make_message_id
from coffeechat.domain.states import (
    AWAITING_REPLY,
    ContactStatus,
    MeetingStatus,
    OutboxKind,
    OutboxState,
    ThreadState,
)
from coffeechat.resources import templates_dir
from coffeechat.service.outbox import enqueue
from coffeechat.settings import Settings
from coffeechat.store.db import Store
from coffeechat.store.models import (
    ComponentHealth,
    Contact,
    Event,
    Meeting,
    Message,
    OutboxItem,
    Thread,
)

log = structlog.get_logger(__name__)

#: Each list in the digest stops here and says how many more there are.
LIST_LIMIT = 25
SENT_STATES = (OutboxState.SENT, OutboxState.FILED)
#: Digest rows that count as "a digest went out" for the since-last window.
_DIGEST_DONE = (
    OutboxState.QUEUED,
    OutboxState.CLAIMED,
    OutboxState.SENDING,
    OutboxState.SENT,
    OutboxState.FILED,
    OutboxState.DRAFTED,
    OutboxState.UNKNOWN,
)


# ------------------------------------------------------------------ gather


def gather(store: Store, account_id: int, settings: Settings, now: datetime) -> d.DigestData:
    """Everything the digest says, read in one transaction."""
    with store.session() as s:
        since = d.since_last_start(now, _last_digest_at(s, account_id, now))
        return d.DigestData(
            owner_name=settings.owner.name,
            owner_email=settings.owner.email,
            owner_zone=settings.owner.timezone,
            now=now,
            needs_you=_needs_you(s, account_id, settings, now),
            meetings=_meetings(s, account_id, settings, now),
            since_last=_since_last(s, account_id, since, now),
            pipeline=_pipeline(s, account_id, settings, now),
            weeks=_weeks(s, account_id, now),
            health=_health(s, account_id, settings),
        )


def _person(c: Contact | None) -> d.Person | None:
    if c is None:
        return None
    return d.Person(name=c.name, email=c.email, company=c.company, role=c.role)


def _last_digest_at(s: Session, account_id: int, now: datetime) -> datetime | None:
    return s.scalar(
        select(func.max(OutboxItem.due_at)).where(
            OutboxItem.account_id == account_id,
            OutboxItem.kind == OutboxKind.DIGEST,
            OutboxItem.state.in_([str(x) for x in _DIGEST_DONE]),
            OutboxItem.due_at < now,
        )
    )


def _needs_you(
    s: Session, account_id: int, settings: Settings, now: datetime
) -> tuple[d.NeedsYou, ...]:
    items: list[d.NeedsYou] = []
    # What other parts of the daemon left for the owner, each with its own next step.
    events = s.execute(
        select(Event, Contact)
        .outerjoin(Contact, Contact.id == Event.contact_id)
        .where(
            Event.account_id == account_id,
            Event.needs_owner.is_(True),
            Event.resolved_at.is_(None),
        )
        .order_by(Event.at)
        .limit(LIST_LIMIT * 2)
    ).all()
    for ev, c in events:
        kind = d.classify_event(ev.kind)
        if ev.kind == "sender.paused":
            kind = d.classify_failure("smtp", ev.summary)
        person = _person(c)
        if kind is d.NeedKind.UNKNOWN_SENDER and isinstance(ev.data.get("from"), str):
            person = d.Person(name="", email=ev.data["from"])  # the stranger, not the guess
        email = person.email if person else None
        items.append(
            d.NeedsYou(
                kind=kind,
                summary=ev.summary or kind.value.replace("_", " "),
                next_step=ev.next_step or d.default_next_step(kind, email),
                person=person,
                since=ev.at,
                key=_event_key(ev),
            )
        )
    zone = settings.owner.zone
    items += _thank_yous_waiting(s, account_id, zone)
    items += _outbox_waiting(s, account_id, settings)
    items += _bounced(s, account_id)
    items += _failures(s, account_id, settings, now)
    return d.order_needs(items)[: LIST_LIMIT * 2]


def _event_key(ev: Event) -> str:
    """An event about an outbox row or a component is the same item the digest derives."""
    if isinstance(ev.data.get("outbox_id"), int):
        return f"outbox:{ev.data['outbox_id']}"
    if ev.kind == "sender.paused":
        return "component:smtp"
    return ""


def _thank_yous_waiting(s: Session, account_id: int, zone: ZoneInfo) -> list[d.NeedsYou]:
    """Met, but no notes yet: the thank-you must say something specific, so it waits."""
    noted = exists().where(
        Meeting.thread_id == Thread.id, Meeting.notes != "", Meeting.status != "cancelled"
    )
    last_met = (
        select(func.max(Meeting.end_at))
        .where(Meeting.thread_id == Thread.id, Meeting.status != MeetingStatus.CANCELLED)
        .scalar_subquery()
    )
    rows = s.execute(
        select(Thread, Contact, last_met)
        .join(Contact, Contact.id == Thread.contact_id)
        .where(Thread.account_id == account_id, Thread.state == ThreadState.MET, ~noted)
        .limit(LIST_LIMIT)
    ).all()
    out = []
    for _t, c, met_at in rows:
        when = f" on {d.day_label(met_at.astimezone(zone).date())}" if met_at else ""
        out.append(
            d.NeedsYou(
                kind=d.NeedKind.THANK_YOU_NOTES,
                summary=f"You met {c.name or c.email}{when}; the thank-you waits for what you "
                "learned, so it can mention something specific.",
                next_step=d.notes_command(c.email),
                person=_person(c),
                since=met_at,
            )
        )
    return out


def _outbox_waiting(s: Session, account_id: int, settings: Settings) -> list[d.NeedsYou]:
    """Held rows, sends that may or may not have gone out, drafts not yet sent by hand."""
    drafts_folder = (settings.imap.drafts_folder if settings.imap else None) or "Drafts"
    sent_by_hand = exists().where(
        Message.account_id == OutboxItem.account_id,
        Message.message_id == OutboxItem.message_id,
        Message.direction == "out",
        Message.folder != drafts_folder,
    )
    rows = s.execute(
        select(OutboxItem, Contact)
        .outerjoin(Contact, Contact.id == OutboxItem.contact_id)
        .where(
            OutboxItem.account_id == account_id,
            OutboxItem.kind != OutboxKind.DIGEST,
            OutboxItem.state.in_([OutboxState.HELD, OutboxState.UNKNOWN, OutboxState.DRAFTED]),
            ~and_(OutboxItem.state == OutboxState.DRAFTED, sent_by_hand),
        )
        .order_by(OutboxItem.due_at)
        .limit(LIST_LIMIT)
    ).all()
    out = []
    for item, c in rows:
        who = (c.name or c.email) if c else ", ".join(item.recipients)
        label = d.SENT_LABELS.get(item.kind, item.kind.replace("_", " "))
        email = c.email if c else None
        if item.state == OutboxState.HELD:
            kind = (
                d.NeedKind.THANK_YOU_NOTES if item.kind == OutboxKind.THANK_YOU else d.NeedKind.HELD
            )
            summary = f"The {label} to {who} is held: {item.last_error or 'no reason recorded'}."
        elif item.state == OutboxState.UNKNOWN:
            kind = d.NeedKind.SEND_UNKNOWN
            summary = (
                f'The {label} to {who} ("{item.subject}") was being sent when coffeechat '
                "stopped; it is never resent automatically."
            )
        else:
            kind = d.NeedKind.DRAFT_WAITING
            summary = f'The {label} to {who} ("{item.subject}") is in {drafts_folder}.'
        out.append(
            d.NeedsYou(
                kind=kind,
                summary=summary,
                next_step=d.default_next_step(kind, email),
                person=_person(c),
                since=item.due_at,
                key=f"outbox:{item.id}",
            )
        )
    return out


def _bounced(s: Session, account_id: int) -> list[d.NeedsYou]:
    """Bounced contacts, until a contact of the same name exists with a working address."""
    other = aliased(Contact)
    replaced = exists().where(
        other.account_id == Contact.account_id,
        other.name == Contact.name,
        other.id != Contact.id,
        other.status != ContactStatus.BOUNCED,
    )
    rows = s.scalars(
        select(Contact)
        .where(
            Contact.account_id == account_id,
            Contact.status == ContactStatus.BOUNCED,
            ~and_(Contact.name != "", replaced),
        )
        .order_by(Contact.email)
        .limit(LIST_LIMIT)
    ).all()
    return [
        d.NeedsYou(
            kind=d.NeedKind.BOUNCED,
            summary=f"Mail to {c.email} bounced"
            + (f": {c.status_reason}" if c.status_reason else "")
            + "; nothing more goes to it.",
            next_step=(
                "find a current address, then: "
                f'coffeechat contacts add --email NEW --name "{c.name}"'
                if c.name
                else d.default_next_step(d.NeedKind.BOUNCED, c.email)
            ),
            person=_person(c),
        )
        for c in rows
    ]


def _failures(s: Session, account_id: int, settings: Settings, now: datetime) -> list[d.NeedsYou]:
    zone = settings.owner.zone
    where = str(settings.source) if settings.source else "your settings file"
    rows = s.scalars(
        select(ComponentHealth).where(
            ComponentHealth.account_id == account_id,
            (ComponentHealth.failing_since.is_not(None)) | (ComponentHealth.paused_until > now),
        )
    ).all()
    out = []
    for h in rows:
        label = d.HEALTH_LABELS.get(h.component, h.component)
        kind = d.classify_failure(h.component, h.last_error)
        if h.failing_since is not None:
            since = d.when_label(h.failing_since, zone, now)
            summary = f"{label} failing since {since}: {h.last_error or 'no error recorded'}"
        else:
            until = d.when_label(h.paused_until, zone, now)
            summary = f"Sending paused until {until}: {h.last_error or 'no reason recorded'}"
        step = d.default_next_step(kind, None)
        if kind is d.NeedKind.AUTH and h.component in d.HEALTH_LABELS:
            step = f"check the [{h.component}] password in {where}, then run: coffeechat check"
        out.append(
            d.NeedsYou(
                kind=kind,
                summary=summary,
                next_step=step,
                since=h.failing_since or h.paused_until,
                key=f"component:{h.component}",
            )
        )
    return out


def _meetings(
    s: Session, account_id: int, settings: Settings, now: datetime
) -> tuple[d.MeetingAhead, ...]:
    start, end = d.meetings_window(now, settings.owner.zone)
    referrer = aliased(Contact)
    rows = s.execute(
        select(Meeting, Contact, referrer)
        .join(Contact, Contact.id == Meeting.contact_id)
        .outerjoin(referrer, referrer.id == Contact.referred_by_id)
        .where(
            Meeting.account_id == account_id,
            Meeting.status == MeetingStatus.BOOKED,
            Meeting.start_at >= start,
            Meeting.start_at < end,
        )
        .order_by(Meeting.start_at)
        .limit(LIST_LIMIT)
    ).all()
    out = []
    for m, c, ref in rows:
        person = d.Person(name=c.name, email=c.email, company=c.company, role=c.role)
        out.append(
            d.MeetingAhead(
                person=person,
                start=m.start_at,
                end=m.end_at,
                owner_zone=settings.owner.timezone,
                contact_zone=c.timezone,
                location=m.location or settings.schedule.location,
                how_found=c.how_found,
                notes="\n".join(n for n in (c.notes, m.notes) if n),
                referred_by=(ref.name or ref.email) if ref is not None else "",
                prompts=d.prep_prompts(person, c.how_found),
            )
        )
    return tuple(out)


def _since_last(s: Session, account_id: int, since: datetime, now: datetime) -> d.SinceLast:
    replies = []
    # A bounce comes from the mailer daemon: its contact is the thread's.
    for msg, c in s.execute(
        select(Message, Contact)
        .outerjoin(Thread, Thread.id == Message.thread_id)
        .outerjoin(Contact, Contact.id == func.coalesce(Message.contact_id, Thread.contact_id))
        .where(
            Message.account_id == account_id,
            Message.direction == "in",
            Message.received_at >= since,
            Message.received_at < now,
        )
        .order_by(Message.received_at)
        .limit(LIST_LIMIT * 2)
    ).all():
        if msg.received_at is None:
            continue
        outcome, done = d.outcome_of(msg.action, msg.intent, msg.later_until, msg.needs_owner)
        replies.append(
            d.Reply(
                at=msg.received_at,
                person=_person(c),
                sender=msg.from_addr,
                subject=msg.subject,
                outcome=outcome,
                done=done,
                until=msg.later_until,
            )
        )
    sent = [
        d.Sent(at=item.sent_at, person=_person(c), kind=item.kind, subject=item.subject)
        for item, c in s.execute(
            select(OutboxItem, Contact)
            .outerjoin(Contact, Contact.id == OutboxItem.contact_id)
            .where(
                OutboxItem.account_id == account_id,
                OutboxItem.kind != OutboxKind.DIGEST,
                OutboxItem.state.in_([str(x) for x in SENT_STATES]),
                OutboxItem.sent_at >= since,
                OutboxItem.sent_at < now,
            )
            .order_by(OutboxItem.sent_at)
            .limit(LIST_LIMIT * 4)
        ).all()
        if item.sent_at is not None
    ]
    return d.SinceLast(
        since=since,
        replies=tuple(replies),
        sent=tuple(sent),
        referrals=_referrals(s, account_id, since, now),
    )


def _referrals(
    s: Session, account_id: int, since: datetime, now: datetime
) -> tuple[d.Referral, ...]:
    """New contacts with a referrer, and referrals the reader found but nobody added yet."""
    referrer = aliased(Contact)
    out: list[d.Referral] = []
    seen: set[str] = set()
    for c, ref in s.execute(
        select(Contact, referrer)
        .join(referrer, referrer.id == Contact.referred_by_id)
        .where(
            Contact.account_id == account_id,
            Contact.created_at >= since,
            Contact.created_at < now,
        )
        .order_by(Contact.created_at)
        .limit(LIST_LIMIT)
    ).all():
        seen.add(c.email)
        out.append(d.Referral(person=_person(c) or d.Person("", c.email), referred_by=_person(ref)))
    for msg, c in s.execute(
        select(Message, Contact)
        .outerjoin(Contact, Contact.id == Message.contact_id)
        .where(
            Message.account_id == account_id,
            Message.direction == "in",
            Message.referral.is_not(None),
            Message.received_at >= since,
            Message.received_at < now,
        )
        .limit(LIST_LIMIT)
    ).all():
        ref_data: dict[str, Any] = msg.referral or {}
        email = str(ref_data.get("email") or "").lower()
        name = str(ref_data.get("name") or "")
        if (not email and not name) or (email and email in seen):
            continue
        seen.add(email)
        out.append(d.Referral(person=d.Person(name=name, email=email), referred_by=_person(c)))
    return tuple(out)


def _pipeline(
    s: Session, account_id: int, settings: Settings, now: datetime
) -> tuple[d.Stage, ...]:
    by_state: dict[str, int] = dict(
        s.execute(
            select(Thread.state, func.count())
            .where(Thread.account_id == account_id)
            .group_by(Thread.state)
        ).all()
    )
    has_thread = exists().where(Thread.contact_id == Contact.id)
    untouched = s.scalar(
        select(func.count()).where(
            Contact.account_id == account_id,
            Contact.status == ContactStatus.NEW,
            Contact.do_not_contact.is_(False),
            ~has_thread,
        )
    )
    sched = settings.schedule
    zone = settings.owner.zone
    waiting = s.execute(
        select(Thread.last_outbound_at, Thread.paused_until).where(
            Thread.account_id == account_id,
            Thread.state.in_([str(x) for x in AWAITING_REPLY]),
            Thread.human_takeover.is_(False),
            Thread.followups_sent < sched.max_followups,
            Thread.last_outbound_at.is_not(None),
        )
    ).all()
    followup_due = sum(
        1
        for last_out, paused in waiting
        if last_out is not None
        and (paused is None or paused <= now)
        and d.add_business_days(
            last_out, sched.followup_after_business_days, zone, sched.weekday_numbers
        )
        <= now
    )
    keep_in_touch_due = s.scalar(
        select(func.count()).where(
            Thread.account_id == account_id,
            Thread.state == ThreadState.THANKED,
            Thread.last_exchange_at <= now - timedelta(days=sched.keep_in_touch_after_days),
        )
    )
    return d.pipeline(
        by_state,
        contacts_without_thread=untouched or 0,
        followup_due=followup_due,
        keep_in_touch_due=keep_in_touch_due or 0,
    )


def _weeks(s: Session, account_id: int, now: datetime) -> d.WeekOverWeek:
    def week(start: datetime, end: datetime) -> d.Week:
        in_window = and_(
            Thread.account_id == account_id,
            Thread.first_outbound_at >= start,
            Thread.first_outbound_at < end,
        )
        sent = s.scalar(select(func.count()).where(in_window)) or 0
        replied = (
            s.scalar(
                select(func.count()).where(
                    in_window,
                    Thread.last_inbound_at.is_not(None),
                    Thread.state != ThreadState.BOUNCED,
                )
            )
            or 0
        )
        booked = (
            s.scalar(
                select(func.count()).where(
                    Meeting.account_id == account_id,
                    Meeting.created_at >= start,
                    Meeting.created_at < end,
                )
            )
            or 0
        )
        return d.Week(outreach_sent=sent, replied=replied, meetings_booked=booked)

    this, last = d.week_windows(now)
    return d.WeekOverWeek(this_week=week(*this), last_week=week(*last))


def _health(s: Session, account_id: int, settings: Settings) -> tuple[d.Health, ...]:
    rows = {
        h.component: h
        for h in s.scalars(
            select(ComponentHealth).where(ComponentHealth.account_id == account_id)
        ).all()
    }
    configured = {
        "imap": settings.imap is not None,
        "smtp": settings.smtp is not None,
        "caldav": settings.caldav is not None,
    }
    names = list(d.HEALTH_LABELS) + sorted(set(rows) - set(d.HEALTH_LABELS))
    out = []
    for name in names:
        h = rows.get(name)
        out.append(
            d.Health(
                component=name,
                label=d.HEALTH_LABELS.get(name, name.replace("_", " ").capitalize()),
                configured=configured.get(name, True) or h is not None,
                last_ok_at=h.last_ok_at if h else None,
                failing_since=h.failing_since if h else None,
                last_error=h.last_error if h else "",
                paused_until=h.paused_until if h else None,
            )
        )
    return tuple(out)


# ------------------------------------------------------------------ render


@dataclass(frozen=True)
class RenderedDigest:
    subject: str
    text: str
    html: str


def _environment(settings: Settings, zone: ZoneInfo, now: datetime) -> SandboxedEnvironment:
    """A sandboxed environment over the owner's template dir, then ours.

    TODO(lead): fold into coffeechat.templating once it exists, so every template shares one.
    """
    dirs: list[Path] = []
    if settings.templates.dir is not None:
        dirs.append(settings.templates.dir)
    dirs.append(templates_dir())
    env = SandboxedEnvironment(
        loader=ChoiceLoader([FileSystemLoader(str(p)) for p in dirs]),
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html",), default=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )

    def local(value: datetime) -> datetime:
        return value.astimezone(zone)

    def day(value: datetime | date) -> str:
        return d.relative_day(value, zone, now)

    def when(value: datetime | None) -> str:
        return d.when_label(value, zone, now)

    def wrap(text: str, indent: int = 0, width: int = 76) -> str:
        """Fill to ``width`` columns, every line but the first indented (it follows a label)."""
        pad = " " * indent
        paras = [
            textwrap.fill(para, width=width, initial_indent=pad, subsequent_indent=pad)
            for para in str(text).splitlines()
            if para.strip()
        ]
        return "\n".join(paras)[indent:]

    env.filters.update(
        local=local,
        day=day,
        when=when,
        wrap=wrap,
        hm=lambda v, z=None: f"{v.astimezone(ZoneInfo(z) if z else zone):%H:%M}",
        zone_name=lambda v: v.tzname() or "",
        plural=lambda n, one="", many="s": one if n == 1 else many,
        upfirst=lambda text: text[:1].upper() + text[1:],
        sent_label=lambda kind: d.SENT_LABELS.get(kind, kind.replace("_", " ")),
    )
    env.globals.update(bar_percent=d.bar_percent, titles=d.NEED_TITLES)
    return env


def render_digest(data: d.DigestData, settings: Settings) -> RenderedDigest:
    """Subject, plain text and HTML from the packaged templates (or the owner's copies)."""
    zone = ZoneInfo(data.owner_zone)
    env = _environment(settings, zone, data.now)
    subject = d.subject_line(data)
    context = {
        "d": data,
        "subject": subject,
        "stage_top": max([s.count for s in data.pipeline] or [0]),
        "links": allowed_links(data),
    }
    text = env.get_template("digest/digest.txt").render(context)
    html = env.get_template("digest/digest.html").render(context)
    return RenderedDigest(subject=subject, text=text, html=html)


def allowed_links(data: d.DigestData) -> frozenset[str]:
    """The only http(s) links the HTML may hold: meeting links the owner configured."""
    return frozenset(m.location for m in data.meetings if m.location_is_link)


def build_digest_message(
    data: d.DigestData, settings: Settings, now: datetime, *, message_id: str | None = None
) -> EmailMessage:
    """multipart/alternative, from and to the owner, marked Auto-Submitted."""
    rendered = render_digest(data, settings)
    owner = Party(settings.owner.name, settings.owner.email)
    return compose(
        sender=owner,
        to=[owner],
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        date=now,
        message_id=message_id or make_message_id(settings.owner.email),
        auto_submitted=True,
    )


# ------------------------------------------------------------------ queue


def _account_id(store: Store, settings: Settings) -> int:
    with store.session() as s:
        return store.account(s, settings.owner.email.lower(), settings.owner.email).id


def queue_daily_digest(store: Store, settings: Settings, clock: Clock) -> bool:
    """Queue today's digest if it is due and not yet queued; True when this call queued it.

    The outbox key is per local date, so a second process (or a restart at the send minute)
    finds the row and does nothing. A day with nothing to say gets a cancelled row instead,
    unless ``digest_always``: the decision is made once, and the next digest still covers
    everything since the last one sent.
    """
    now = clock.now()
    zone = settings.owner.zone
    account_id = _account_id(store, settings)
    today = now.astimezone(zone).date()
    key = d.digest_key(account_id, today)
    with store.session() as s:
        if s.scalar(select(OutboxItem.id).where(OutboxItem.idempotency_key == key)) is not None:
            return False
    if d.digest_due(now, settings.schedule.digest_time, zone, None) is None:
        return False
    data = gather(store, account_id, settings, now)
    skip = data.is_empty and not settings.schedule.digest_always
    queued = _enqueue(store, settings, account_id, key, data, now, skip=skip)
    log.info("digest.queued" if queued and not skip else "digest.skipped", key=key, empty=skip)
    return queued and not skip


def send_digest_now(store: Store, settings: Settings, clock: Clock) -> int:
    """`coffeechat digest --send`: queue a digest now, whatever the schedule; the outbox id."""
    now = clock.now()
    account_id = _account_id(store, settings)
    data = gather(store, account_id, settings, now)
    key = f"digest:{account_id}:manual:{now.isoformat(timespec='seconds')}"
    _enqueue(store, settings, account_id, key, data, now, skip=False)
    with store.session() as s:
        found = s.scalar(select(OutboxItem.id).where(OutboxItem.idempotency_key == key))
    assert found is not None
    return found


def _enqueue(
    store: Store,
    settings: Settings,
    account_id: int,
    key: str,
    data: d.DigestData,
    now: datetime,
    *,
    skip: bool,
) -> bool:
    message_id = make_message_id(settings.owner.email)
    msg = build_digest_message(data, settings, now, message_id=message_id)
    try:
        return _insert(store, settings, account_id, key, msg, message_id, now, skip=skip)
    except OperationalError:
        # SQLite: another process wrote the row after this transaction's snapshot began.
        with store.session() as s:
            if s.scalar(select(OutboxItem.id).where(OutboxItem.idempotency_key == key)):
                return False
        raise


def _insert(
    store: Store,
    settings: Settings,
    account_id: int,
    key: str,
    msg: EmailMessage,
    message_id: str,
    now: datetime,
    *,
    skip: bool,
) -> bool:
    with store.session() as s:
        row = enqueue(
            s,
            account_id=account_id,
            kind=OutboxKind.DIGEST,
            key=key,
            message=msg,
            recipients=[settings.owner.email],
            due_at=now,
            message_id=message_id,
        )
        mine = row.message_id == message_id
        if mine and skip:
            row.state = OutboxState.CANCELLED
            row.last_error = "nothing to say today (digest_always = false)"
    return mine


# ------------------------------------------------------------------ the CLI


def render_digest_for_cli(store: Store, settings: Settings, clock: Clock) -> RenderedDigest:
    """`coffeechat digest --print` / `--html FILE`: the digest as it would go out now."""
    now = clock.now()
    return render_digest(gather(store, _account_id(store, settings), settings, now), settings)


def digest_as_text(rendered: RenderedDigest) -> str:
    """What `--print` shows: the subject line, then the plain-text part."""
    return f"Subject: {rendered.subject}\n\n{rendered.text}"


__all__: Sequence[str] = (
    "RenderedDigest",
    "allowed_links",
    "build_digest_message",
    "digest_as_text",
    "gather",
    "queue_daily_digest",
    "render_digest",
    "render_digest_for_cli",
    "send_digest_now",
)
