"""Booking end to end against a real store and a real CalDAV server (Radicale, then Xandikos):
one event, one row, always."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
from calhelp import OwnersClient, app_settings, seed_thread, vevent
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coffeechat.adapters.caldav import CaldavCalendar, CalendarConflict, StoredEvent
from coffeechat.clock import FixedClock
from coffeechat.domain import invitations as inv
from coffeechat.domain.availability import Slot
from coffeechat.domain.states import MeetingStatus, OutboxKind, ThreadState
from coffeechat.service import booking, calendar_event, calendar_sync, itip_reply
from coffeechat.settings import Settings
from coffeechat.store.db import Store
from coffeechat.store.models import CalendarState, Event, Meeting, Thread
from servers.radicale import DavUser

LONDON = ZoneInfo("Europe/London")
BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
# "Tuesday at 2pm works" from a contact in London: 14:00 GMT = 15:00 in the owner's Berlin
TUESDAY_2PM = datetime(2026, 3, 3, 14, 0, tzinfo=LONDON)


def at(moment: datetime) -> Slot:
    return Slot(moment, moment)


class World:
    """A store with one thread, the owner's calendar on a real server, a fixed clock."""

    def __init__(self, tmp_path: Path, user: DavUser) -> None:
        self.user = user
        self.url = user.make_calendar("Coffee")
        self.store = Store(f"sqlite:///{tmp_path / 'store.sqlite3'}")
        self.thread_id = seed_thread(self.store)
        self.settings: Settings = app_settings(user)
        assert self.settings.caldav is not None
        self.calendar = CaldavCalendar(self.settings.caldav, owner_tz=BERLIN)
        self.clock = FixedClock(MONDAY)
        self.owner = OwnersClient(user, self.url)

    def book(self, *proposals: Slot, **kw: Any) -> booking.BookingResult:
        return booking.book(
            self.store, self.calendar, self.clock, self.thread_id, proposals, self.settings, **kw
        )

    def reschedule(self, *proposals: Slot, **kw: Any) -> booking.BookingResult:
        return booking.reschedule(
            self.store, self.calendar, self.clock, self.thread_id, proposals, self.settings, **kw
        )

    def cancel(self) -> booking.BookingResult:
        return booking.cancel(self.store, self.calendar, self.clock, self.thread_id, self.settings)

    def sync(self) -> calendar_sync.SyncResult:
        return calendar_sync.sync_calendar(self.store, self.calendar, self.clock, 1, self.settings)

    def ours(self) -> list[icalendar.cal.Component]:
        """The daemon's VEVENTs on the calendar (all of them, cancelled too)."""
        events = [next(iter(c.walk("VEVENT"))) for c in self.owner.events()]
        return [e for e in events if str(e["UID"]).startswith("coffeechat-")]

    def meetings(self) -> list[Meeting]:
        with self.store.session() as s:
            return list(s.scalars(select(Meeting)))

    def events(self, kind: str) -> list[Event]:
        with self.store.session() as s:
            return list(s.scalars(select(Event).where(Event.kind == kind)))

    def close(self) -> None:
        self.calendar.close()
        self.owner.close()
        self.store.close()


@pytest.fixture
def world(tmp_path: Path, calendar_user: DavUser) -> Iterator[World]:
    w = World(tmp_path, calendar_user)
    yield w
    w.close()


# ---------------------------------------------------------------- booking


def test_tuesday_at_2pm_creates_exactly_one_event_at_the_right_instant(world: World) -> None:
    result = world.book(at(TUESDAY_2PM))
    assert result.outcome == "booked"
    assert result.slot == Slot(TUESDAY_2PM, TUESDAY_2PM + timedelta(minutes=30))

    (event,) = world.ours()
    assert event.decoded("DTSTART") == TUESDAY_2PM
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"  # 15:00 in the owner's zone
    assert str(event["UID"]) == "coffeechat-1-1@example.org"
    assert str(event["ORGANIZER"]) == "mailto:ada@example.org"
    assert str(event["ATTENDEE"]) == "mailto:grace@navy.example"
    assert str(event["LOCATION"]) == "+49 30 1234"
    assert "Career paths" in str(event["DESCRIPTION"])
    assert event.walk("VALARM")

    (meeting,) = world.meetings()
    assert (meeting.start_at, meeting.status, meeting.sequence) == (TUESDAY_2PM, "booked", 0)
    assert meeting.etag and meeting.href == world.calendar.href_for(meeting.caldav_uid)
    with world.store.session() as s:
        thread = s.get(Thread, world.thread_id)
        assert thread is not None and thread.state == ThreadState.MEETING_BOOKED
    assert len(world.events("meeting_booked")) == 1

    invitation = result.invitation
    assert invitation is not None and invitation.kind == OutboxKind.INVITATION
    cal = icalendar.Calendar.from_ical(invitation.ics)
    assert str(cal["METHOD"]) == "REQUEST"
    assert invitation.sequence == 0 and invitation.attendee == "grace@navy.example"
    assert invitation.idempotency_key == "itip:coffeechat-1-1@example.org:REQUEST:0"


def test_the_same_reply_processed_twice_books_once(world: World) -> None:
    seen: list[str] = []
    first = world.book(at(TUESDAY_2PM), within=lambda s, r: seen.append(r.outcome))
    again = world.book(at(TUESDAY_2PM), within=lambda s, r: seen.append(r.outcome))
    assert again.outcome == "already_booked" and again.meeting_id == first.meeting_id
    assert again.invitation is None  # nothing more to send
    assert seen == ["booked", "already_booked"]  # the caller's hook runs once per call
    assert len(world.ours()) == 1 and len(world.meetings()) == 1


def test_a_crash_between_the_put_and_the_commit_is_repaired_by_the_retry(world: World) -> None:
    def killed(session: Session, result: booking.BookingResult) -> None:
        raise RuntimeError("daemon killed before the commit")

    with pytest.raises(RuntimeError, match="killed"):
        world.book(at(TUESDAY_2PM), within=killed)
    assert len(world.ours()) == 1 and world.meetings() == []  # on the calendar, not in the store

    queued: list[calendar_event.Invitation] = []
    retry = world.book(
        at(TUESDAY_2PM), within=lambda s, r: queued.extend([r.invitation] if r.invitation else [])
    )
    assert retry.outcome == "booked" and retry.slot is not None
    assert retry.slot.start == TUESDAY_2PM
    assert len(world.ours()) == 1 and len(world.meetings()) == 1
    assert queued and queued[0].sequence == 0  # the invitation was never sent: now it is


KILLED_BOOKING = """
import os, sys
from datetime import datetime
from zoneinfo import ZoneInfo
from coffeechat.adapters.caldav import CaldavCalendar
from coffeechat.clock import FixedClock
from coffeechat.domain.availability import Slot
from coffeechat.service import booking
from coffeechat.settings import settings_from_mapping
from coffeechat.store.db import Store

store_url, dav_url, user, password, ca_file, thread_id, when, now = sys.argv[1:]
trust = {"ca_file": ca_file} if ca_file else {}
settings = settings_from_mapping({
    "owner": {"name": "Ada Lovelace", "email": "ada@example.org", "timezone": "Europe/Berlin"},
    "caldav": {"url": dav_url, "username": user, "password": password, "calendar": "Coffee",
               **trust},
    "schedule": {"min_notice_hours": 24, "buffer_minutes": 15, "location": "+49 30 1234"},
})
start = datetime.fromisoformat(when)
calendar = CaldavCalendar(settings.caldav, owner_tz=ZoneInfo("Europe/Berlin"))
booking.book(Store(store_url), calendar, FixedClock(datetime.fromisoformat(now)),
             int(thread_id), [Slot(start, start)], settings,
             within=lambda session, result: os._exit(137))  # SIGKILL-like: no cleanup at all
"""


def test_a_daemon_killed_after_the_put_leaves_one_event_and_the_retry_one_row(
    world: World,
) -> None:
    ca_file = str(world.user.server.ca_file or "")
    args = [world.store.url, world.user.url, world.user.name, world.user.password, ca_file,
            str(world.thread_id), TUESDAY_2PM.isoformat(), MONDAY.isoformat()]  # fmt: skip
    done = subprocess.run([sys.executable, "-c", KILLED_BOOKING, *args], check=False, timeout=60)
    assert done.returncode == 137
    assert len(world.ours()) == 1 and world.meetings() == []
    assert world.book(at(TUESDAY_2PM)).outcome == "booked"
    assert world.book(at(TUESDAY_2PM)).outcome == "already_booked"
    assert len(world.ours()) == 1 and len(world.meetings()) == 1


def test_a_busy_calendar_makes_it_offer_other_slots(world: World) -> None:
    world.owner.add(
        vevent("dentist", TUESDAY_2PM - timedelta(minutes=30), TUESDAY_2PM + timedelta(hours=1))
    )
    result = world.book(at(TUESDAY_2PM))
    assert result.outcome == "none_free" and result.invitation is None
    assert len(result.offer) == world.settings.schedule.slots_to_offer
    for slot in result.offer:
        assert slot.start >= MONDAY + timedelta(hours=24)
        assert not (slot.start < TUESDAY_2PM + timedelta(hours=1, minutes=15)
                    and TUESDAY_2PM - timedelta(minutes=45) < slot.end)  # fmt: skip
        assert 9 <= slot.start.astimezone(LONDON).hour < 18  # the contact's day
    assert len({s.start.date() for s in result.offer}) == len(result.offer)
    assert world.ours() == [] and world.meetings() == []


def test_the_first_free_proposal_wins(world: World) -> None:
    world.owner.add(vevent("busy", TUESDAY_2PM, TUESDAY_2PM + timedelta(hours=1)))
    wednesday = TUESDAY_2PM + timedelta(days=1)
    result = world.book(at(TUESDAY_2PM), at(wednesday))
    assert result.slot is not None and result.slot.start == wednesday


def test_a_window_books_its_earliest_free_slot(world: World) -> None:
    afternoon = Slot(TUESDAY_2PM - timedelta(hours=1), TUESDAY_2PM + timedelta(hours=3))
    world.owner.add(vevent("busy", TUESDAY_2PM - timedelta(hours=1), TUESDAY_2PM))
    result = world.book(afternoon)
    assert result.slot is not None
    assert result.slot.start == TUESDAY_2PM + timedelta(minutes=15)  # after the 15-min buffer


def test_recurring_busy_events_are_honoured(world: World) -> None:
    start = TUESDAY_2PM - timedelta(days=7)
    world.owner.add(vevent("weekly", start, start + timedelta(hours=1), "RRULE:FREQ=WEEKLY"))
    assert world.book(at(TUESDAY_2PM)).outcome == "none_free"
    world.owner.edit("weekly", lambda e: e.add("exdate", TUESDAY_2PM.astimezone(UTC)))
    assert world.book(at(TUESDAY_2PM)).outcome == "booked"


def test_two_threads_cannot_take_the_same_slot(world: World) -> None:
    other = seed_thread(world.store, email="alan@bletchley.example")
    assert world.book(at(TUESDAY_2PM)).outcome == "booked"
    second = booking.book(
        world.store, world.calendar, world.clock, other, [at(TUESDAY_2PM)], world.settings
    )
    assert second.outcome == "none_free"
    assert len(world.ours()) == 1


class _SlowReader(CaldavCalendar):
    """A real calendar whose free/busy answers arrive late: every booker reads the slot free
    before any of them writes, the widest window a race between bookers can have."""

    def busy(self, *args: Any, **kwargs: Any) -> Any:
        found = super().busy(*args, **kwargs)
        time.sleep(0.3)
        return found


# Both stores' locks and both servers' If-None-Match, without the fourth pairing (~2 s more)
@pytest.mark.parametrize(
    ("store_url", "dav_server"),
    [
        ("sqlite", "radicale"),
        pytest.param("postgres", "radicale", marks=pytest.mark.postgres),
        ("sqlite", "xandikos"),
    ],
    indirect=True,
)
def test_bookers_in_separate_processes_never_share_a_slot(
    store_url: str, calendar_user: DavUser
) -> None:
    """Four bookers, each with its own store connection and calendar client (as separate
    daemons would have), race four threads into one slot: one books, three offer others."""
    calendar_url = calendar_user.make_calendar("Coffee")
    settings = app_settings(calendar_user)
    assert settings.caldav is not None
    setup = Store(store_url)
    threads = [seed_thread(setup, email=f"c{i}@example.com") for i in range(4)]
    setup.close()
    barrier = threading.Barrier(len(threads))

    def attempt(thread_id: int) -> str:
        store = Store(store_url, run_migrations=False)
        calendar = _SlowReader(settings.caldav, owner_tz=BERLIN)  # type: ignore[arg-type]
        try:
            barrier.wait()
            return booking.book(
                store, calendar, FixedClock(MONDAY), thread_id, [at(TUESDAY_2PM)], settings
            ).outcome
        finally:
            calendar.close()
            store.close()

    with ThreadPoolExecutor(len(threads)) as pool:
        outcomes = sorted(pool.map(attempt, threads))
    assert outcomes == ["booked", "none_free", "none_free", "none_free"]
    owner = OwnersClient(calendar_user, calendar_url)
    try:
        ours = [next(iter(c.walk("VEVENT"))) for c in owner.events()]
    finally:
        owner.close()
    assert len([e for e in ours if str(e["UID"]).startswith("coffeechat-")]) == 1


# ---------------------------------------------------------------- reschedule and cancel


def test_reschedule_moves_the_event_and_raises_the_sequence(world: World) -> None:
    world.book(at(TUESDAY_2PM))
    thursday = TUESDAY_2PM + timedelta(days=2)
    result = world.reschedule(at(thursday))
    assert result.outcome == "rescheduled" and result.invitation is not None
    assert result.invitation.kind == OutboxKind.RESCHEDULE
    cal = icalendar.Calendar.from_ical(result.invitation.ics)
    event = next(iter(cal.walk("VEVENT")))
    assert str(cal["METHOD"]) == "REQUEST" and event.decoded("SEQUENCE") == 1
    assert event.decoded("DTSTART") == thursday

    (stored,) = world.ours()
    assert stored.decoded("DTSTART") == thursday and stored.decoded("SEQUENCE") == 1
    (meeting,) = world.meetings()
    assert (meeting.start_at, meeting.sequence) == (thursday, 1)
    assert world.reschedule(at(thursday)).outcome == "unchanged"  # the same request again
    assert len(world.ours()) == 1


def test_reschedule_after_the_owner_deleted_the_event_puts_it_back(world: World) -> None:
    world.book(at(TUESDAY_2PM))
    world.owner.delete(world.meetings()[0].caldav_uid)
    thursday = TUESDAY_2PM + timedelta(days=2)
    result = world.reschedule(at(thursday))
    assert result.outcome == "rescheduled" and result.invitation is not None
    assert result.invitation.sequence == 1
    (stored,) = world.ours()
    assert stored.decoded("DTSTART") == thursday and stored.decoded("SEQUENCE") == 1


def test_reschedule_to_a_busy_time_offers_slots_and_keeps_the_meeting(world: World) -> None:
    world.book(at(TUESDAY_2PM))
    thursday = TUESDAY_2PM + timedelta(days=2)
    world.owner.add(vevent("busy", thursday, thursday + timedelta(hours=1)))
    result = world.reschedule(at(thursday))
    assert result.outcome == "none_free" and result.offer
    assert all(
        not s.overlaps(Slot(TUESDAY_2PM, TUESDAY_2PM + timedelta(minutes=30))) for s in result.offer
    )
    assert world.meetings()[0].start_at == TUESDAY_2PM


def test_cancel_marks_the_event_cancelled_and_produces_method_cancel(world: World) -> None:
    world.book(at(TUESDAY_2PM))
    result = world.cancel()
    assert result.outcome == "cancelled" and result.invitation is not None
    assert result.invitation.method == "CANCEL" and result.invitation.sequence == 1
    cal = icalendar.Calendar.from_ical(result.invitation.ics)
    assert str(cal["METHOD"]) == "CANCEL"
    assert str(next(iter(cal.walk("VEVENT")))["STATUS"]) == "CANCELLED"
    (stored,) = world.ours()
    assert str(stored["STATUS"]) == "CANCELLED" and stored.decoded("SEQUENCE") == 1
    assert world.meetings()[0].status == MeetingStatus.CANCELLED
    assert world.cancel().outcome == "unchanged"
    # the slot is free again, and booking anew reuses the UID with a higher SEQUENCE
    again = world.book(at(TUESDAY_2PM))
    assert again.outcome == "booked" and again.invitation is not None
    assert again.invitation.sequence == 2
    assert len(world.ours()) == 1 and world.meetings()[0].status == MeetingStatus.BOOKED


class _Meddling(CaldavCalendar):
    """The real adapter, with the owner editing the event right after each of the first reads."""

    meddle: Any = None
    conflicts = 0

    def get(self, uid: str, href: str | None = None, *, search: bool = False) -> StoredEvent | None:
        found = super().get(uid, href, search=search)
        if self.meddle is not None:
            meddle, self.meddle = self.meddle, None
            meddle()
        return found

    def put_event(self, uid: str, ics: bytes, **kw: Any) -> tuple[str, str | None]:
        try:
            return super().put_event(uid, ics, **kw)
        except CalendarConflict:
            self.conflicts += 1
            raise


def test_a_412_is_resolved_by_rereading_never_by_overwriting(world: World) -> None:
    world.book(at(TUESDAY_2PM))
    assert world.settings.caldav is not None
    meddling = _Meddling(world.settings.caldav, owner_tz=BERLIN)
    uid = world.meetings()[0].caldav_uid
    meddling.meddle = lambda: world.owner.edit(uid, lambda e: e.add("comment", "bring the notes"))
    thursday = TUESDAY_2PM + timedelta(days=2)
    result = booking.reschedule(
        world.store, meddling, world.clock, world.thread_id, [at(thursday)], world.settings
    )
    meddling.close()
    assert result.outcome == "rescheduled" and meddling.conflicts == 1
    (stored,) = world.ours()
    assert stored.decoded("DTSTART") == thursday  # our change
    assert str(stored["COMMENT"]) == "bring the notes"  # and the owner's, both kept
    assert world.meetings()[0].etag == world.calendar.get(uid).etag  # type: ignore[union-attr]


# ---------------------------------------------------------------- iTIP replies


def reply(uid: str, partstat: str, sequence: int) -> bytes:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Microsoft Corporation//Outlook 16.0//EN\r\n"
        "METHOD:REPLY\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:20260302T090000Z\r\nSEQUENCE:{sequence}\r\n"
        f"ATTENDEE;PARTSTAT={partstat}:mailto:grace@navy.example\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()


def test_an_accept_updates_the_attendee_and_the_meeting(world: World) -> None:
    world.book(at(TUESDAY_2PM))
    uid = world.meetings()[0].caldav_uid
    args = (world.store, world.calendar, world.clock)
    result = itip_reply.apply_itip_reply(*args, reply(uid, "ACCEPTED", 0), world.settings)
    assert result.outcome == "applied" and result.partstat == "ACCEPTED"
    assert world.ours()[0]["ATTENDEE"].params["PARTSTAT"] == "ACCEPTED"
    assert world.meetings()[0].partstat == "ACCEPTED"
    again = itip_reply.apply_itip_reply(*args, reply(uid, "ACCEPTED", 0), world.settings)
    assert again.outcome == "unchanged"
    assert world.sync().moved == []  # our own write is not mistaken for the owner's


def test_a_reply_to_an_older_invitation_is_ignored_and_a_decline_needs_the_owner(
    world: World,
) -> None:
    world.book(at(TUESDAY_2PM))
    world.reschedule(at(TUESDAY_2PM + timedelta(days=1)))
    uid = world.meetings()[0].caldav_uid
    args = (world.store, world.calendar, world.clock)
    stale = itip_reply.apply_itip_reply(*args, reply(uid, "ACCEPTED", 0), world.settings)
    assert stale.outcome == "stale" and world.meetings()[0].partstat == "NEEDS-ACTION"
    declined = itip_reply.apply_itip_reply(*args, reply(uid, "DECLINED", 1), world.settings)
    assert declined.outcome == "applied"
    (event,) = world.events("invitation_declined")
    assert event.needs_owner
    unknown = itip_reply.apply_itip_reply(
        *args, reply("someone-else@x", "ACCEPTED", 0), world.settings
    )
    assert unknown.outcome == "unknown"


# ---------------------------------------------------------------- the owner's hand edits


def test_the_owner_moving_the_event_by_hand_moves_the_meeting(world: World) -> None:
    world.book(at(TUESDAY_2PM))
    assert world.sync() == calendar_sync.SyncResult()  # first sync: nothing moved
    uid = world.meetings()[0].caldav_uid
    later = TUESDAY_2PM + timedelta(hours=2)

    def move(e: Any) -> None:
        e["DTSTART"] = icalendar.vDDDTypes(later)
        e["DTEND"] = icalendar.vDDDTypes(later + timedelta(minutes=30))

    world.owner.edit(uid, move)
    result = world.sync()
    assert result.moved == [world.meetings()[0].id]
    (meeting,) = world.meetings()
    assert meeting.start_at == later and meeting.sequence == 1
    (update,) = result.invitations
    assert update.method == "REQUEST" and update.sequence == 1 and update.start == later
    assert len(world.events("meeting_moved")) == 1
    assert world.sync() == calendar_sync.SyncResult()  # followed once
    with world.store.session() as s:
        (state,) = s.scalars(select(CalendarState))
        assert state.sync_token and state.ctag and state.calendar_url == world.calendar.url


def test_the_owner_deleting_the_event_cancels_the_meeting(world: World) -> None:
    world.book(at(TUESDAY_2PM))
    world.sync()
    world.owner.delete(world.meetings()[0].caldav_uid)
    result = world.sync()
    (meeting,) = world.meetings()
    assert result.deleted == [meeting.id] and meeting.status == MeetingStatus.CANCELLED
    (cancel,) = result.invitations
    assert cancel.method == "CANCEL" and cancel.sequence == 1
    assert str(icalendar.Calendar.from_ical(cancel.ics)["METHOD"]) == "CANCEL"
    assert len(world.events("meeting_deleted")) == 1
    with world.store.session() as s:
        assert s.scalar(select(func.count()).select_from(Meeting)) == 1


def test_uid_and_href_are_derived_from_the_thread(world: World) -> None:
    world.book(at(TUESDAY_2PM))
    (meeting,) = world.meetings()
    assert meeting.caldav_uid == inv.event_uid(1, world.thread_id, "ada@example.org")
    assert meeting.href is not None and meeting.href.endswith(inv.resource_name(meeting.caldav_uid))
