"""Following the owner's hand edits on the calendar: a moved or deleted event moves the meeting.

The owner may move or delete a booked event in their own calendar app; the sync reads what
changed since the last sync point (sync token or CTag) and brings the Meeting rows in line,
with the update each contact needs. Kept apart from booking: it runs on a timer for the
whole account, not in answer to a reply, and writes nothing to the calendar.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from coffeechat.adapters.caldav import Calendar, StoredEvent, SyncPoint
from coffeechat.clock import Clock
from coffeechat.domain import invitations as inv
from coffeechat.domain.availability import Slot
from coffeechat.domain.states import MeetingStatus, OutboxKind
from coffeechat.service.calendar_event import (
    EventContext,
    Invitation,
    event_context,
    invitation_for,
    meeting_details,
    parse_event,
    record_meeting_event,
)
from coffeechat.settings import Settings
from coffeechat.store.db import Store
from coffeechat.store.models import CalendarState, Meeting, Thread


@dataclass(frozen=True, slots=True)
class SyncResult:
    moved: list[int] = field(default_factory=list)  # meeting ids
    deleted: list[int] = field(default_factory=list)
    invitations: list[Invitation] = field(default_factory=list)  # updates the contacts need


def sync_calendar(
    store: Store,
    calendar: Calendar,
    clock: Clock,
    account_id: int,
    settings: Settings,
    *,
    within: Callable[[Session, Invitation], None] | None = None,
) -> SyncResult:
    """Follow the owner's hand edits: a moved event moves the Meeting, a deleted (or
    cancelled) one cancels it; each gets an Event row and the update the contact needs."""
    now = clock.now()
    with store.session() as s:
        state = _calendar_state(s, account_id, calendar.url)
        point = SyncPoint(state.ctag, state.sync_token)
        booked = s.scalars(
            select(Meeting).where(
                Meeting.account_id == account_id,
                Meeting.status == MeetingStatus.BOOKED,
                Meeting.href.is_not(None),
            )
        )
        known = {m.href: m.etag for m in booked if m.href}
    changes = calendar.changes_since(point, known)
    fetched = {href: calendar.fetch(href) for href in changes.changed}
    fetched.update(dict.fromkeys(changes.deleted))
    result = SyncResult()
    with store.session() as s:
        for meeting in s.scalars(select(Meeting).where(Meeting.href.in_(list(fetched)))):
            assert meeting.href is not None
            thread = s.get(Thread, meeting.thread_id)
            assert thread is not None
            ctx = event_context(thread, meeting, settings)
            invitation = _follow(s, ctx, meeting, fetched[meeting.href], settings, now)
            if invitation is not None:
                moved = invitation.method == "REQUEST"
                (result.moved if moved else result.deleted).append(meeting.id)
                result.invitations.append(invitation)
                if within is not None:  # the contact's update, in the same transaction
                    within(s, invitation)
        state = _calendar_state(s, account_id, calendar.url)
        state.ctag, state.sync_token = changes.point.ctag, changes.point.sync_token
        state.last_sync_at = now
    return result


def _calendar_state(s: Session, account_id: int, url: str) -> CalendarState:
    state = s.scalar(
        select(CalendarState).where(
            CalendarState.account_id == account_id, CalendarState.calendar_url == url
        )
    )
    if state is None:
        state = CalendarState(account_id=account_id, calendar_url=url)
        s.add(state)
    return state


def _follow(
    s: Session,
    ctx: EventContext,
    meeting: Meeting,
    stored: StoredEvent | None,
    settings: Settings,
    now: datetime,
) -> Invitation | None:
    """Bring one Meeting row in line with its event as the owner left it; the update the
    contact needs (its SEQUENCE above what they hold, even if the owner's app kept it)."""
    zone = settings.owner.zone
    if stored is None:  # deleted: rebuild what the contact holds, to cancel it
        slot = Slot(meeting.start_at, meeting.end_at)
        cal = inv.build_event(meeting_details(ctx, settings, slot, meeting.sequence), stamp=now)
    else:
        cal = parse_event(stored)
    info = inv.event_info(cal, zone)
    meeting.etag = stored.etag if stored else None
    sequence = max(info.sequence, meeting.sequence + 1)
    if stored is None or info.cancelled:
        invitation = invitation_for(
            OutboxKind.CANCELLATION, "CANCEL", cal, ctx, now, zone, sequence
        )
        meeting.status, meeting.sequence = MeetingStatus.CANCELLED, sequence
        how = "cancelled" if stored else "deleted"
        record_meeting_event(s, ctx, now, "meeting_deleted", meeting, how=how)
        return invitation
    if (info.start, info.end) != (meeting.start_at, meeting.end_at):
        invitation = invitation_for(OutboxKind.RESCHEDULE, "REQUEST", cal, ctx, now, zone, sequence)
        before = meeting.start_at.isoformat()
        meeting.start_at, meeting.end_at, meeting.sequence = info.start, info.end, sequence
        meeting.partstat = "NEEDS-ACTION"
        record_meeting_event(s, ctx, now, "meeting_moved", meeting, before=before)
        return invitation
    meeting.location = info.location  # another field changed: notes, location, an answer
    return None
