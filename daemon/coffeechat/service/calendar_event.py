"""The thread's event on the calendar: what it holds, how it is written, the iTIP email from it.

Booking, the contact's iTIP answer and the calendar sync all work on the same event: its UID
comes from the thread, its text from the settings, and every write is conditional (If-None-Match
/ If-Match; a 412 means "re-read and decide again", never "overwrite"). Kept apart so those
three use-cases build, write and report the event the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar
from sqlalchemy.orm import Session

from coffeechat.adapters.caldav import Calendar, CalendarConflict, StoredEvent
from coffeechat.domain import invitations as inv
from coffeechat.domain.availability import Slot
from coffeechat.domain.states import OutboxKind
from coffeechat.service.events import record_event
from coffeechat.settings import Settings
from coffeechat.store.models import Meeting, Thread

WRITE_ATTEMPTS = 4


@dataclass(frozen=True, slots=True)
class Invitation:
    """An iTIP email to send (RFC 6047); attach ``ics`` with ``invitations.add_invitation``."""

    kind: OutboxKind
    method: inv.Method
    uid: str
    sequence: int
    ics: bytes
    attendee: str
    start: datetime
    end: datetime
    location: str
    thread_id: int

    @property
    def idempotency_key(self) -> str:
        return f"itip:{self.uid}:{self.method}:{self.sequence}"


@dataclass(frozen=True, slots=True)
class EventContext:
    """What the use-cases need from the store, read in a short transaction."""

    account_id: int
    thread_id: int
    contact_id: int
    contact_email: str
    contact_name: str
    contact_tz: ZoneInfo | None
    subject: str
    uid: str
    meeting: Meeting | None  # detached snapshot


def _zone(name: str | None) -> ZoneInfo | None:
    try:
        return ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def event_context(thread: Thread, meeting: Meeting | None, settings: Settings) -> EventContext:
    """The thread's event context; ``meeting`` is the row already read, if any."""
    contact = thread.contact
    uid = inv.event_uid(thread.account_id, thread.id, settings.owner.email)
    return EventContext(
        thread.account_id,
        thread.id,
        contact.id,
        contact.email,
        contact.name,
        _zone(contact.timezone),
        thread.subject,
        uid,
        meeting,
    )


def meeting_details(
    ctx: EventContext, settings: Settings, slot: Slot, sequence: int
) -> inv.MeetingDetails:
    """What the event says: the owner's meeting with the contact at ``slot``."""
    owner, location = settings.owner, settings.schedule.location
    who = ctx.contact_name or ctx.contact_email
    lines = [f"Informational conversation between {owner.name} and {who}."]
    lines += [f"Where: {location}"] if location else []
    lines += [f"Thread: {ctx.subject}"] if ctx.subject else []
    return inv.MeetingDetails(
        uid=ctx.uid,
        start=slot.start,
        end=slot.end,
        zone=owner.zone,
        organizer_email=owner.email,
        organizer_name=owner.name,
        attendee_email=ctx.contact_email,
        attendee_name=ctx.contact_name,
        summary=f"Coffee chat: {owner.name} / {who}",
        location=location,
        description="\n".join(lines),
        sequence=sequence,
    )


def parse_event(stored: StoredEvent) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(stored.ics)


def invitation_for(
    kind: OutboxKind,
    method: inv.Method,
    cal: icalendar.Calendar,
    ctx: EventContext,
    now: datetime,
    zone: ZoneInfo,
    sequence: int | None = None,
) -> Invitation:
    """The iTIP email for the contact from the event as ``cal`` holds it."""
    info = inv.event_info(cal, zone)
    return Invitation(
        kind=kind,
        method=method,
        uid=info.uid,
        sequence=info.sequence if sequence is None else sequence,
        ics=inv.itip(cal, method, stamp=now, sequence=sequence),
        attendee=ctx.contact_email,
        start=info.start,
        end=info.end,
        location=info.location,
        thread_id=ctx.thread_id,
    )


def record_meeting_event(
    s: Session,
    ctx: EventContext,
    now: datetime,
    kind: str,
    meeting: Meeting,
    *,
    needs_owner: bool = False,
    **extra: str,
) -> None:
    """An Event row about the meeting (its UID and start in the data)."""
    when = meeting.start_at.isoformat()
    record_event(
        s,
        account_id=ctx.account_id,
        at=now,
        kind=kind,
        thread_id=ctx.thread_id,
        contact_id=ctx.contact_id,
        summary=f"{kind.replace('_', ' ')}: {when}",
        data={"uid": ctx.uid, "start": when, **extra},
        needs_owner=needs_owner,
    )


_UNREAD: Any = object()


def write_event(
    calendar: Calendar,
    uid: str,
    href: str | None,
    change: Callable[[StoredEvent | None], bytes | None],
    current: StoredEvent | None = _UNREAD,
) -> StoredEvent | None:
    """Change the event from the version read, write it with that ETag; on 412 (or a UID
    conflict) read again, searching by UID, and decide again. Never an unconditional PUT.

    ``change`` gets the event as it is now and returns new data, or None when the calendar
    already says what we want. ``current`` is a version the caller just read. Returns the
    event as written (or as found).
    """
    for attempt in range(WRITE_ATTEMPTS):
        if attempt or current is _UNREAD:
            current = calendar.get(uid, href, search=attempt > 0)
        ics = change(current)
        if ics is None:
            return current
        etag, at = (current.etag, current.href) if current else (None, None)
        try:
            new_href, new_etag = calendar.put_event(uid, ics, etag=etag, href=at)
        except CalendarConflict:
            continue
        return StoredEvent(new_href, new_etag, ics)
    raise CalendarConflict(f"event {uid} kept changing during {WRITE_ATTEMPTS} attempts")
