"""Booking use-cases: book, reschedule, cancel.

The calendar is written first and the store second. The event's UID comes from the thread, so
a retry (the same reply processed twice, or a crash between the CalDAV PUT and the commit)
finds the event already there and adopts it: one event, one Meeting row. Writes carry
If-None-Match / If-Match; a 412 means "re-read and decide again", never "overwrite". No
CalDAV request runs inside a database transaction.

No email is written here: results carry the iTIP data (:class:`Invitation`). The optional
``within(session, result)`` hook runs exactly once per call, whatever the outcome, inside the
transaction that records the meeting (or one of its own when nothing is recorded), so the
caller can enqueue the email and mark the reply done atomically with it.

The contact's iTIP answer (``itip_reply``) and the owner's hand edits (``calendar_sync``) are
followed elsewhere; the event itself is built and written in ``calendar_event``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import icalendar
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from coffeechat.adapters.caldav import Calendar, StoredEvent
from coffeechat.clock import Clock
from coffeechat.domain import invitations as inv
from coffeechat.domain.availability import Slot, first_free_in, offer_slots
from coffeechat.domain.states import MeetingStatus, OutboxKind, ThreadState
from coffeechat.service.calendar_event import (
    EventContext,
    Invitation,
    event_context,
    invitation_for,
    meeting_details,
    parse_event,
    record_meeting_event,
    write_event,
)
from coffeechat.service.calendar_lock import calendar_key, calendar_lock
from coffeechat.settings import Settings
from coffeechat.store.db import Store
from coffeechat.store.models import Meeting, Thread

OFFER_HORIZON_DAYS = 14
Outcome = Literal["booked", "already_booked", "none_free", "rescheduled", "unchanged", "cancelled"]


class BookingError(Exception):
    """The request does not fit the store (no such thread, no meeting to move)."""


@dataclass(frozen=True, slots=True)
class BookingResult:
    outcome: Outcome
    meeting_id: int | None = None
    slot: Slot | None = None
    offer: tuple[Slot, ...] = ()  # when none of the proposals is free
    invitation: Invitation | None = None


Within = Callable[[Session, BookingResult], None]


def _context(store: Store, thread_id: int, settings: Settings) -> EventContext:
    with store.session() as s:
        thread = s.get(Thread, thread_id)
        if thread is None:
            raise BookingError(f"no thread {thread_id}")
        uid = inv.event_uid(thread.account_id, thread.id, settings.owner.email)
        meeting = s.scalar(select(Meeting).where(Meeting.caldav_uid == uid))
        return event_context(thread, meeting, settings)


def _record(
    store: Store,
    ctx: EventContext,
    result: BookingResult,
    cal: icalendar.Calendar,
    stored: StoredEvent | None,
    *,
    settings: Settings,
    now: datetime,
    event_kind: str,
    within: Within | None,
) -> BookingResult:
    """Upsert the Meeting row (by UID), log an Event, run the caller's hook: one transaction."""
    info = inv.event_info(cal, settings.owner.zone)
    try:
        with store.session() as s:
            meeting = s.scalar(select(Meeting).where(Meeting.caldav_uid == ctx.uid))
            if meeting is None:
                meeting = Meeting(
                    account_id=ctx.account_id,
                    thread_id=ctx.thread_id,
                    contact_id=ctx.contact_id,
                    caldav_uid=ctx.uid,
                )
                s.add(meeting)
            meeting.start_at, meeting.end_at = info.start, info.end
            meeting.location, meeting.partstat = info.location, info.partstat or "NEEDS-ACTION"
            meeting.sequence = result.invitation.sequence if result.invitation else info.sequence
            meeting.status = MeetingStatus.CANCELLED if info.cancelled else MeetingStatus.BOOKED
            if stored is not None:
                meeting.href, meeting.etag = stored.href, stored.etag
            if not info.cancelled:
                thread = s.get(Thread, ctx.thread_id)
                assert thread is not None
                thread.state = ThreadState.MEETING_BOOKED
            s.flush()
            result = replace(result, meeting_id=meeting.id)
            record_meeting_event(s, ctx, now, event_kind, meeting)
            if within is not None:
                within(s, result)
            return result
    except IntegrityError:  # another worker recorded the same UID first
        return _settle(store, BookingResult("already_booked", slot=result.slot), within)


def _choose(
    calendar: Calendar,
    proposals: Sequence[Slot],
    settings: Settings,
    now: datetime,
    ignore: tuple[str, ...] = (),
) -> Slot | None:
    """The first proposal free on a fresh read of the calendar (the no-double-booking check)."""
    if not proposals:
        return None
    pad = timedelta(minutes=settings.schedule.buffer_minutes + settings.schedule.meeting_minutes)
    lo, hi = min(p.start for p in proposals) - pad, max(p.end for p in proposals) + pad
    busy = calendar.busy(lo, hi, ignore_uids=ignore)
    for proposal in proposals:
        slot = first_free_in(
            proposal, busy, schedule=settings.schedule, owner_tz=settings.owner.zone, now=now
        )
        if slot is not None:
            return slot
    return None


def replacement_slots(
    calendar: Calendar, settings: Settings, now: datetime, contact_tz: ZoneInfo | None
) -> tuple[Slot, ...]:
    """``slots_to_offer`` free slots, fresh from the calendar, for an offer-slots email."""
    busy = calendar.busy(now, now + timedelta(days=OFFER_HORIZON_DAYS))
    return tuple(
        offer_slots(
            busy,
            schedule=settings.schedule,
            owner_tz=settings.owner.zone,
            now=now,
            contact_tz=contact_tz,
            horizon_days=OFFER_HORIZON_DAYS,
        )
    )


def _settle(store: Store, result: BookingResult, within: Within | None) -> BookingResult:
    """An outcome that changes nothing here: the caller's hook still runs, once."""
    if within is not None:
        with store.session() as s:
            within(s, result)
    return result


def _none_free(
    store: Store,
    calendar: Calendar,
    ctx: EventContext,
    settings: Settings,
    now: datetime,
    within: Within | None,
) -> BookingResult:
    offer = replacement_slots(calendar, settings, now, ctx.contact_tz)
    meeting_id = ctx.meeting.id if ctx.meeting else None
    return _settle(store, BookingResult("none_free", meeting_id, offer=offer), within)


# ---------------------------------------------------------------- use-cases


def _one_booking_at_a_time(store: Store, settings: Settings) -> AbstractContextManager[None]:
    """Choosing a slot and writing the event is one critical section per calendar, so two
    bookers sharing the calendar (accounts, processes) cannot both take one free slot."""
    caldav = settings.caldav
    key = calendar_key(caldav.url, caldav.calendar) if caldav is not None else 0
    return calendar_lock(store, key)


def _creator(
    ctx: EventContext, settings: Settings, slot: Slot, now: datetime
) -> Callable[[StoredEvent | None], bytes | None]:
    """The change that puts the thread's event at ``slot`` (for ``write_event``)."""
    zone = settings.owner.zone

    def create(current: StoredEvent | None) -> bytes | None:
        prior = [ctx.meeting.sequence] if ctx.meeting else []
        if current is not None:
            info = inv.event_info(parse_event(current), zone)
            if not info.cancelled:
                return None  # a parallel worker booked it meanwhile: adopt that
            prior.append(info.sequence)
        details = meeting_details(ctx, settings, slot, max(prior) + 1 if prior else 0)
        return bytes(inv.build_event(details, stamp=now).to_ical())

    return create


def _mover(
    ctx: EventContext, settings: Settings, slot: Slot, known: int, now: datetime
) -> Callable[[StoredEvent | None], bytes | None]:
    """The change that moves the thread's event to ``slot`` (for ``write_event``)."""
    zone = settings.owner.zone

    def move(current: StoredEvent | None) -> bytes | None:
        if current is None:  # the owner deleted it by hand: put it back at the new time
            details = meeting_details(ctx, settings, slot, known + 1)
            return bytes(inv.build_event(details, stamp=now).to_ical())
        cal = parse_event(current)
        info = inv.event_info(cal, zone)
        if (info.start, info.end) == (slot.start, slot.end) and not info.cancelled:
            return None
        sequence = max(info.sequence, known) + 1
        moved = inv.move_event(cal, slot.start, slot.end, zone=zone, sequence=sequence, stamp=now)
        return bytes(moved.to_ical())

    return move


def book(
    store: Store,
    calendar: Calendar,
    clock: Clock,
    thread_id: int,
    proposals: Sequence[Slot],
    settings: Settings,
    *,
    within: Within | None = None,
) -> BookingResult:
    """Book the first proposal (a time, or a window's earliest slot) that is free now.

    Idempotent per thread. None free: ``outcome="none_free"`` with ``offer`` slots instead.
    """
    ctx, zone, now = _context(store, thread_id, settings), settings.owner.zone, clock.now()
    if ctx.meeting is not None and ctx.meeting.status == MeetingStatus.BOOKED:
        return _settle(store, BookingResult("already_booked", ctx.meeting.id), within)
    if ctx.meeting is not None and ctx.meeting.status == MeetingStatus.HAPPENED:
        raise BookingError(f"thread {thread_id} already had its meeting; the owner books again")
    href = ctx.meeting.href if ctx.meeting else None
    stored = calendar.get(ctx.uid, href)
    if stored is None or inv.event_info(parse_event(stored), zone).cancelled:
        with _one_booking_at_a_time(store, settings):
            slot = _choose(calendar, proposals, settings, now)
            if slot is not None:
                stored = write_event(
                    calendar, ctx.uid, href, _creator(ctx, settings, slot, now), stored
                )
        if slot is None:  # offering other slots needs no lock: nothing is written to the calendar
            return _none_free(store, calendar, ctx, settings, now, within)
        assert stored is not None
    # else: on the calendar but not in the store (a crash after the PUT): adopt it.
    cal = parse_event(stored)
    info = inv.event_info(cal, zone)
    invitation = invitation_for(OutboxKind.INVITATION, "REQUEST", cal, ctx, now, zone)
    result = BookingResult("booked", slot=Slot(info.start, info.end), invitation=invitation)
    return _record(
        store,
        ctx,
        result,
        cal,
        stored,
        settings=settings,
        now=now,
        event_kind="meeting_booked",
        within=within,
    )


def reschedule(
    store: Store,
    calendar: Calendar,
    clock: Clock,
    thread_id: int,
    proposals: Sequence[Slot],
    settings: Settings,
    *,
    within: Within | None = None,
) -> BookingResult:
    """Move the thread's meeting to the first free proposal: SEQUENCE+1, a new REQUEST.

    A retry after a crash finds the event already moved and sends that version; an event the
    owner deleted meanwhile is put back at the new time.
    """
    ctx, zone, now = _context(store, thread_id, settings), settings.owner.zone, clock.now()
    if ctx.meeting is None or ctx.meeting.status != MeetingStatus.BOOKED:
        raise BookingError(f"thread {thread_id} has no booked meeting to move")
    known = ctx.meeting.sequence
    with _one_booking_at_a_time(store, settings):
        slot = _choose(calendar, proposals, settings, now, ignore=(ctx.uid,))
        if slot is not None:
            move = _mover(ctx, settings, slot, known, now)
            stored = write_event(calendar, ctx.uid, ctx.meeting.href, move)
    if slot is None:  # offering other slots needs no lock: nothing is written to the calendar
        return _none_free(store, calendar, ctx, settings, now, within)
    assert stored is not None
    cal = parse_event(stored)
    info = inv.event_info(cal, zone)
    if info.sequence <= known:  # already there, and the contact has this version
        unchanged = BookingResult("unchanged", ctx.meeting.id, Slot(info.start, info.end))
        return _settle(store, unchanged, within)
    invitation = invitation_for(OutboxKind.RESCHEDULE, "REQUEST", cal, ctx, now, zone)
    result = BookingResult("rescheduled", slot=Slot(info.start, info.end), invitation=invitation)
    return _record(
        store,
        ctx,
        result,
        cal,
        stored,
        settings=settings,
        now=now,
        event_kind="meeting_rescheduled",
        within=within,
    )


def cancel(
    store: Store,
    calendar: Calendar,
    clock: Clock,
    thread_id: int,
    settings: Settings,
    *,
    within: Within | None = None,
) -> BookingResult:
    """Mark the event CANCELLED (SEQUENCE+1) and produce the METHOD:CANCEL for the contact."""
    ctx, zone, now = _context(store, thread_id, settings), settings.owner.zone, clock.now()
    meeting = ctx.meeting
    if meeting is None:
        raise BookingError(f"thread {thread_id} has no meeting to cancel")
    if meeting.status == MeetingStatus.CANCELLED:
        return _settle(store, BookingResult("unchanged", meeting.id), within)

    def mark(current: StoredEvent | None) -> bytes | None:
        if current is None:
            return None
        cal = parse_event(current)
        info = inv.event_info(cal, zone)
        if info.cancelled:
            return None
        sequence = max(info.sequence, meeting.sequence) + 1
        return bytes(inv.cancel_event(cal, sequence=sequence, stamp=now).to_ical())

    stored = write_event(calendar, ctx.uid, meeting.href, mark)
    if stored is not None:
        cal = parse_event(stored)
    else:  # deleted by hand: the contact still holds the invitation, so tell them
        slot = Slot(meeting.start_at, meeting.end_at)
        cal = inv.build_event(meeting_details(ctx, settings, slot, meeting.sequence), stamp=now)
        cal = inv.cancel_event(cal, sequence=meeting.sequence + 1, stamp=now)
    invitation = invitation_for(OutboxKind.CANCELLATION, "CANCEL", cal, ctx, now, zone)
    result = BookingResult("cancelled", invitation=invitation)
    return _record(
        store,
        ctx,
        result,
        cal,
        stored,
        settings=settings,
        now=now,
        event_kind="meeting_cancelled",
        within=within,
    )
