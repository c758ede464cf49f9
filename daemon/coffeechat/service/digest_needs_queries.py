"""The digest's Needs-you queries: events left for the owner and the rows that wait on them.

The largest section and the one that merges several sources (events, thank-yous without notes,
held or uncertain outbox rows, bounced contacts, failing components), so it has its own module.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session, aliased

from coffeechat.domain import digest as d
from coffeechat.domain.states import (
    ContactStatus,
    MeetingStatus,
    OutboxKind,
    OutboxState,
    ThreadState,
)
from coffeechat.service.digest_queries import LIST_LIMIT, person_of
from coffeechat.settings import Settings
from coffeechat.store.models import (
    ComponentHealth,
    Contact,
    Event,
    Meeting,
    Message,
    OutboxItem,
    Thread,
)


def needs_you(
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
        person = person_of(c)
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
                person=person_of(c),
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
                person=person_of(c),
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
            person=person_of(c),
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
