"""Booking use-cases: book, reschedule, cancel, apply an iTIP reply, follow the owner's edits.

The calendar is written first and the store second. The event's UID comes from the thread, so
a retry (the same reply processed twice, or a crash between the CalDAV PUT and the commit)
finds the event already there and adopts it: one event, one Meeting row. Writes carry
If-None-Match / If-Match; a 412 means "re-read and decide again", never "overwrite". No
CalDAV request runs inside a database transaction.

No email is written here: results carry the iTIP data (:class:`Invitation`). The optional
``within(session, result)`` hook runs exactly once per call, whatever the outcome, inside the
transaction that records the meeting (or one of its own when nothing is recorded), so the
caller can enqueue the email and mark the reply done atomically with it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from coffeechat.adapters.caldav import Calendar, CalendarConflict, StoredEvent, SyncPoint
from coffeechat.clock import Clock
from coffeechat.domain import invitations as inv
from coffeechat.domain.availability import Slot, first_free_in, offer_slots
from coffeechat.domain.states import MeetingStatus, OutboxKind, ThreadState
from coffeechat.service.calendar_lock import calendar_key, calendar_lock
from coffeechat.service.events import record_event
from coffeechat.settings import Settings
from coffeechat.store.db import Store
from coffeechat.store.models import CalendarState, Meeting, Thread

WRITE_ATTEMPTS = 4
OFFER_HORIZON_DAYS = 14
Outcome = Literal["booked", "already_booked", "none_free", "rescheduled", "unchanged", "cancelled"]


class BookingError(Exception):
    """The request does not fit the store (no such thread, no meeting to move)."""


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
class BookingResult:
    outcome: Outcome
    meeting_id: int | None = None
    slot: Slot | None = None
    offer: tuple[Slot, ...] = ()  # when none of the proposals is free
    invitation: Invitation | None = None


@dataclass(frozen=True, slots=True)
class ReplyResult:
    outcome: Literal["applied", "unchanged", "stale", "unknown"]
    meeting_id: int | None = None
    partstat: str = ""


@dataclass(frozen=True, slots=True)
class SyncResult:
    moved: list[int] = field(default_factory=list)  # meeting ids
    deleted: list[int] = field(default_factory=list)
    invitations: list[Invitation] = field(default_factory=list)  # updates the contacts need


Within = Callable[[Session, BookingResult], None]


@dataclass(frozen=True, slots=True)
class _Ctx:
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


def _ctx(thread: Thread, meeting: Meeting | None, settings: Settings) -> _Ctx:
    contact = thread.contact
    uid = inv.event_uid(thread.account_id, thread.id, settings.owner.email)
    return _Ctx(
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


def _context(store: Store, thread_id: int, settings: Settings) -> _Ctx:
    with store.session() as s:
        thread = s.get(Thread, thread_id)
        if thread is None:
            raise BookingError(f"no thread {thread_id}")
        uid = inv.event_uid(thread.account_id, thread.id, settings.owner.email)
        meeting = s.scalar(select(Meeting).where(Meeting.caldav_uid == uid))
        return _ctx(thread, meeting, settings)


def _details(ctx: _Ctx, settings: Settings, slot: Slot, sequence: int) -> inv.MeetingDetails:
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


def _parse(stored: StoredEvent) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(stored.ics)


def _invitation(
    kind: OutboxKind,
    method: inv.Method,
    cal: icalendar.Calendar,
    ctx: _Ctx,
    now: datetime,
    zone: ZoneInfo,
    sequence: int | None = None,
) -> Invitation:
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


def _log(
    s: Session,
    ctx: _Ctx,
    now: datetime,
    kind: str,
    meeting: Meeting,
    *,
    needs_owner: bool = False,
    **extra: str,
) -> None:
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


def _record(
    store: Store,
    ctx: _Ctx,
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
            _log(s, ctx, now, event_kind, meeting)
            if within is not None:
                within(s, result)
            return result
    except IntegrityError:  # another worker recorded the same UID first
        return _settle(store, BookingResult("already_booked", slot=result.slot), within)


_UNREAD: Any = object()


def _write(
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
    ctx: _Ctx,
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
    ctx: _Ctx, settings: Settings, slot: Slot, now: datetime
) -> Callable[[StoredEvent | None], bytes | None]:
    """The change that puts the thread's event at ``slot`` (for ``_write``)."""
    zone = settings.owner.zone

    def create(current: StoredEvent | None) -> bytes | None:
        prior = [ctx.meeting.sequence] if ctx.meeting else []
        if current is not None:
            info = inv.event_info(_parse(current), zone)
            if not info.cancelled:
                return None  # a parallel worker booked it meanwhile: adopt that
            prior.append(info.sequence)
        details = _details(ctx, settings, slot, max(prior) + 1 if prior else 0)
        return bytes(inv.build_event(details, stamp=now).to_ical())

    return create


def _mover(
    ctx: _Ctx, settings: Settings, slot: Slot, known: int, now: datetime
) -> Callable[[StoredEvent | None], bytes | None]:
    """The change that moves the thread's event to ``slot`` (for ``_write``)."""
    zone = settings.owner.zone

    def move(current: StoredEvent | None) -> bytes | None:
        if current is None:  # the owner deleted it by hand: put it back at the new time
            details = _details(ctx, settings, slot, known + 1)
            return bytes(inv.build_event(details, stamp=now).to_ical())
        cal = _parse(current)
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
    if stored is None or inv.event_info(_parse(stored), zone).cancelled:
        with _one_booking_at_a_time(store, settings):
            slot = _choose(calendar, proposals, settings, now)
            if slot is not None:
                stored = _write(calendar, ctx.uid, href, _creator(ctx, settings, slot, now), stored)
        if slot is None:  # offering other slots needs no lock: nothing is written to the calendar
            return _none_free(store, calendar, ctx, settings, now, within)
        assert stored is not None
    # else: on the calendar but not in the store (a crash after the PUT): adopt it.
    cal = _parse(stored)
    info = inv.event_info(cal, zone)
    invitation = _invitation(OutboxKind.INVITATION, "REQUEST", cal, ctx, now, zone)
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
            stored = _write(calendar, ctx.uid, ctx.meeting.href, move)
    if slot is None:  # offering other slots needs no lock: nothing is written to the calendar
        return _none_free(store, calendar, ctx, settings, now, within)
    assert stored is not None
    cal = _parse(stored)
    info = inv.event_info(cal, zone)
    if info.sequence <= known:  # already there, and the contact has this version
        unchanged = BookingResult("unchanged", ctx.meeting.id, Slot(info.start, info.end))
        return _settle(store, unchanged, within)
    invitation = _invitation(OutboxKind.RESCHEDULE, "REQUEST", cal, ctx, now, zone)
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
        cal = _parse(current)
        info = inv.event_info(cal, zone)
        if info.cancelled:
            return None
        sequence = max(info.sequence, meeting.sequence) + 1
        return bytes(inv.cancel_event(cal, sequence=sequence, stamp=now).to_ical())

    stored = _write(calendar, ctx.uid, meeting.href, mark)
    if stored is not None:
        cal = _parse(stored)
    else:  # deleted by hand: the contact still holds the invitation, so tell them
        slot = Slot(meeting.start_at, meeting.end_at)
        cal = inv.build_event(_details(ctx, settings, slot, meeting.sequence), stamp=now)
        cal = inv.cancel_event(cal, sequence=meeting.sequence + 1, stamp=now)
    invitation = _invitation(OutboxKind.CANCELLATION, "CANCEL", cal, ctx, now, zone)
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
        ctx = _ctx(thread, meeting, settings)
    if ctx.contact_email.lower() != reply.attendee:
        return ReplyResult("unknown", meeting.id)
    if reply.sequence < meeting.sequence:
        return ReplyResult("stale", meeting.id, meeting.partstat)

    base: list[str | None] = []  # the ETag of the version the answer was written onto

    def answer(current: StoredEvent | None) -> bytes | None:
        if current is None:
            return None
        cal = _parse(current)
        if inv.event_info(cal, zone).partstat == reply.partstat:
            return None
        base[:] = [current.etag]
        return bytes(inv.with_partstat(cal, reply.attendee, reply.partstat, stamp=now).to_ical())

    stored = _write(calendar, ctx.uid, meeting.href, answer)
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
        _log(s, ctx, now, f"invitation_{reply.partstat.lower()}", row, needs_owner=declined)
    return ReplyResult("applied", meeting.id, reply.partstat)


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
            ctx = _ctx(thread, meeting, settings)
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
    ctx: _Ctx,
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
        cal = inv.build_event(_details(ctx, settings, slot, meeting.sequence), stamp=now)
    else:
        cal = _parse(stored)
    info = inv.event_info(cal, zone)
    meeting.etag = stored.etag if stored else None
    sequence = max(info.sequence, meeting.sequence + 1)
    if stored is None or info.cancelled:
        invitation = _invitation(OutboxKind.CANCELLATION, "CANCEL", cal, ctx, now, zone, sequence)
        meeting.status, meeting.sequence = MeetingStatus.CANCELLED, sequence
        how = "cancelled" if stored else "deleted"
        _log(s, ctx, now, "meeting_deleted", meeting, how=how)
        return invitation
    if (info.start, info.end) != (meeting.start_at, meeting.end_at):
        invitation = _invitation(OutboxKind.RESCHEDULE, "REQUEST", cal, ctx, now, zone, sequence)
        before = meeting.start_at.isoformat()
        meeting.start_at, meeting.end_at, meeting.sequence = info.start, info.end, sequence
        meeting.partstat = "NEEDS-ACTION"
        _log(s, ctx, now, "meeting_moved", meeting, before=before)
        return invitation
    meeting.location = info.location  # another field changed: notes, location, an answer
    return None
