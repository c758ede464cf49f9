"""The contact's answer to an invitation (an iTIP REPLY): their PARTSTAT on the event and row.

Kept apart from booking: an answer books nothing and needs no calendar lock, only a
conditional write of the attendee's status onto the event the contact was sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select

from coffeechat.adapters.caldav import Calendar, StoredEvent
from coffeechat.clock import Clock
from coffeechat.domain import invitations as inv
from coffeechat.service.calendar_event import (
    event_context,
    parse_event,
    record_meeting_event,
    write_event,
)
from coffeechat.settings import Settings
from coffeechat.store.db import Store
from coffeechat.store.models import Meeting, Thread


@dataclass(frozen=True, slots=True)
class ReplyResult:
    outcome: Literal["applied", "unchanged", "stale", "unknown"]
    meeting_id: int | None = None
    partstat: str = ""


def apply_itip_reply(
    store: Store, calendar: Calendar, clock: Clock, ics: bytes, settings: Settings
) -> ReplyResult:
    """The contact clicked accept/decline: record their PARTSTAT on the event and the row.

    Replies to an older SEQUENCE than the latest invitation are ignored (RFC 5546 2.1.5).
    A decline needs the owner (cancel, or propose another time), so its Event says so.
    """
    reply = inv.parse_itip_reply(ics)
    now, zone = clock.now(), settings.owner.zone
    with store.session() as s:
        meeting = s.scalar(select(Meeting).where(Meeting.caldav_uid == reply.uid))
        if meeting is None:
            return ReplyResult("unknown")
        thread = s.get(Thread, meeting.thread_id)
        assert thread is not None
        ctx = event_context(thread, meeting, settings)
    if ctx.contact_email.lower() != reply.attendee:
        return ReplyResult("unknown", meeting.id)
    if reply.sequence < meeting.sequence:
        return ReplyResult("stale", meeting.id, meeting.partstat)

    base: list[str | None] = []  # the ETag of the version the answer was written onto

    def answer(current: StoredEvent | None) -> bytes | None:
        if current is None:
            return None
        cal = parse_event(current)
        if inv.event_info(cal, zone).partstat == reply.partstat:
            return None
        base[:] = [current.etag]
        return bytes(inv.with_partstat(cal, reply.attendee, reply.partstat, stamp=now).to_ical())

    stored = write_event(calendar, ctx.uid, meeting.href, answer)
    if meeting.partstat == reply.partstat:
        return ReplyResult("unchanged", meeting.id, reply.partstat)
    with store.session() as s:
        row = s.get(Meeting, meeting.id)
        assert row is not None
        row.partstat = reply.partstat
        if stored is not None and base == [row.etag]:
            # Only when nothing else changed in between: else sync must still see the edit.
            row.etag = stored.etag
        declined = reply.partstat == "DECLINED"
        record_meeting_event(
            s, ctx, now, f"invitation_{reply.partstat.lower()}", row, needs_owner=declined
        )
    return ReplyResult("applied", meeting.id, reply.partstat)
