"""Free slots: working hours, buffer, notice, holidays, the contact's day, and DST in both zones.

Dates used: 2026-03-08 US clocks go forward, 2026-03-29 EU clocks go forward, 2026-10-25 EU
clocks go back, 2026-11-01 US clocks go back. Between those dates New York and Berlin are five
hours apart instead of six.
"""

from __future__ import annotations

import itertools
import random
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from coffeechat.domain.availability import (
    Busy,
    Slot,
    choose_slots,
    first_free_in,
    free_slots,
    intersect,
    is_free,
    merge,
    offer_slots,
    subtract,
)
from coffeechat.settings import ScheduleSettings

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
AUCKLAND = ZoneInfo("Pacific/Auckland")


def schedule(**kw: Any) -> ScheduleSettings:
    base: dict[str, Any] = {"min_notice_hours": 0, "buffer_minutes": 0, "meeting_minutes": 30}
    return ScheduleSettings(**{**base, **kw})


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def local(day: date, hh: int, mm: int, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(hh, mm), zone)


def by_day(slots: list[Slot], zone: ZoneInfo) -> dict[date, list[Slot]]:
    out: dict[date, list[Slot]] = {}
    for s in slots:
        out.setdefault(s.start.astimezone(zone).date(), []).append(s)
    return out


# ---------------------------------------------------------------- basics


def test_a_free_day_is_cut_into_half_hours_within_working_hours() -> None:
    slots = free_slots(
        [], schedule=schedule(), owner_tz=BERLIN, now=utc(2026, 3, 2, 0, 0), horizon_days=1
    )
    starts = [s.start.astimezone(BERLIN).time() for s in slots]
    assert starts[0] == time(9, 0) and starts[-1] == time(16, 30)
    assert len(starts) == 16  # 09:00 .. 16:30, each 30 minutes long
    assert all(s.end - s.start == timedelta(minutes=30) for s in slots)


def test_weekends_are_skipped_and_working_days_follow_the_settings() -> None:
    now = utc(2026, 3, 6, 0, 0)  # Friday
    days = by_day(
        free_slots([], schedule=schedule(), owner_tz=BERLIN, now=now, horizon_days=4), BERLIN
    )
    assert sorted(days) == [date(2026, 3, 6), date(2026, 3, 9)]
    sat_only = schedule(working_days="sat")
    days = by_day(
        free_slots([], schedule=sat_only, owner_tz=BERLIN, now=now, horizon_days=4), BERLIN
    )
    assert sorted(days) == [date(2026, 3, 7)]


def test_busy_time_and_its_buffer_are_not_offered() -> None:
    day = date(2026, 3, 3)
    busy = [Busy(local(day, 10, 0, BERLIN), local(day, 11, 0, BERLIN))]
    slots = free_slots(
        busy,
        schedule=schedule(buffer_minutes=15),
        owner_tz=BERLIN,
        now=utc(2026, 3, 3, 0, 0),
        horizon_days=1,
    )
    starts = {s.start.astimezone(BERLIN).time() for s in slots}
    # 09:30 would end at 10:00, inside the buffer; 11:00 starts inside it; 11:30 is the first
    assert time(9, 0) in starts
    assert {time(9, 30), time(10, 0), time(10, 30), time(11, 0)}.isdisjoint(starts)
    assert time(11, 30) in starts


def test_minimum_notice_moves_the_first_slot() -> None:
    now = utc(2026, 3, 3, 8, 10)  # 09:10 in Berlin
    slots = free_slots(
        [], schedule=schedule(min_notice_hours=2), owner_tz=BERLIN, now=now, horizon_days=1
    )
    assert slots[0].start.astimezone(BERLIN).time() == time(11, 30)  # 11:10 -> next half hour


def test_public_holidays_of_the_configured_country_are_skipped() -> None:
    now = utc(2026, 4, 2, 0, 0)  # Thursday before Easter
    sched = schedule(holidays_country="DE")
    days = by_day(free_slots([], schedule=sched, owner_tz=BERLIN, now=now, horizon_days=6), BERLIN)
    assert date(2026, 4, 3) not in days  # Good Friday
    assert date(2026, 4, 6) not in days  # Easter Monday
    assert date(2026, 4, 2) in days and date(2026, 4, 7) in days


def test_subdivision_holidays_apply() -> None:
    now = utc(2026, 1, 5, 0, 0)
    by = schedule(holidays_country="DE", holidays_subdivision="BY")
    berlin = schedule(holidays_country="DE", holidays_subdivision="BE")
    epiphany = date(2026, 1, 6)  # a holiday in Bavaria, not in Berlin
    assert epiphany not in by_day(free_slots([], schedule=by, owner_tz=BERLIN, now=now), BERLIN)
    assert epiphany in by_day(free_slots([], schedule=berlin, owner_tz=BERLIN, now=now), BERLIN)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        Busy(datetime(2026, 3, 3, 10), datetime(2026, 3, 3, 11))
    with pytest.raises(ValueError, match="aware"):
        free_slots([], schedule=schedule(), owner_tz=BERLIN, now=datetime(2026, 3, 3))


# ---------------------------------------------------------------- DST


def test_eu_clock_change_keeps_local_working_hours() -> None:
    now = utc(2026, 3, 26, 0, 0)  # Thursday before the EU change (Sunday 29 March)
    slots = free_slots([], schedule=schedule(), owner_tz=BERLIN, now=now, horizon_days=6)
    days = by_day(slots, BERLIN)
    assert days[date(2026, 3, 27)][0].start == utc(2026, 3, 27, 8, 0)  # 09:00 CET
    assert days[date(2026, 3, 30)][0].start == utc(2026, 3, 30, 7, 0)  # 09:00 CEST
    assert days[date(2026, 3, 30)][-1].end == utc(2026, 3, 30, 15, 0)  # 17:00 CEST
    assert all(time(9) <= s.start.astimezone(BERLIN).time() < time(17) for s in slots)


def test_us_clock_change_keeps_local_working_hours() -> None:
    now = utc(2026, 3, 5, 0, 0)
    slots = free_slots([], schedule=schedule(), owner_tz=NEW_YORK, now=now, horizon_days=6)
    days = by_day(slots, NEW_YORK)
    assert days[date(2026, 3, 6)][0].start == utc(2026, 3, 6, 14, 0)  # 09:00 EST
    assert days[date(2026, 3, 9)][0].start == utc(2026, 3, 9, 13, 0)  # 09:00 EDT


@pytest.mark.parametrize(
    ("day", "first_berlin"),
    [
        (date(2026, 3, 5), time(15, 0)),  # both on winter time: 6 hours apart
        (date(2026, 3, 10), time(14, 0)),  # US moved on 8 March, EU not yet: 5 hours
        (date(2026, 3, 27), time(14, 0)),
        (date(2026, 3, 30), time(15, 0)),  # both on summer time again
        (date(2026, 10, 27), time(14, 0)),  # EU back on 25 Oct, US on 1 Nov: 5 hours
        (date(2026, 11, 2), time(15, 0)),
    ],
)
def test_contact_in_new_york_gets_their_morning_across_both_changes(
    day: date, first_berlin: time
) -> None:
    now = datetime.combine(day, time(0), UTC)
    slots = free_slots(
        [],
        schedule=schedule(),
        owner_tz=BERLIN,
        contact_tz=NEW_YORK,
        now=now,
        horizon_days=1,
    )
    assert slots, day
    assert slots[0].start.astimezone(BERLIN).time() == first_berlin
    assert slots[0].start.astimezone(NEW_YORK).time() == time(9, 0)
    assert slots[-1].end.astimezone(BERLIN).time() == time(17, 0)


def test_owner_in_new_york_and_contact_in_berlin_during_the_gap() -> None:
    now = utc(2026, 3, 16, 0, 0)  # Monday, US on summer time, EU not
    slots = free_slots(
        [], schedule=schedule(), owner_tz=NEW_YORK, contact_tz=BERLIN, now=now, horizon_days=1
    )
    # Berlin 09:00-18:00 = New York 04:00-13:00 this week; the owner starts at 09:00
    assert slots[0].start.astimezone(NEW_YORK).time() == time(9, 0)
    assert slots[-1].end.astimezone(NEW_YORK).time() == time(13, 0)
    assert slots[-1].end.astimezone(BERLIN).time() == time(18, 0)


# ---------------------------------------------------------------- choosing


def test_choose_spreads_over_different_days_at_varied_times() -> None:
    now = utc(2026, 3, 2, 0, 0)
    slots = free_slots([], schedule=schedule(), owner_tz=BERLIN, now=now, horizon_days=7)
    chosen = choose_slots(slots, 3, zone=BERLIN)
    assert len(chosen) == 3
    assert len({s.start.astimezone(BERLIN).date() for s in chosen}) == 3
    assert len({s.start.astimezone(BERLIN).time() for s in chosen}) == 3
    assert chosen == sorted(chosen)


def test_choose_fills_from_the_same_day_two_hours_apart_when_days_are_few() -> None:
    now = utc(2026, 3, 2, 0, 0)
    slots = free_slots([], schedule=schedule(), owner_tz=BERLIN, now=now, horizon_days=1)
    chosen = choose_slots(slots, 3, zone=BERLIN)
    assert len(chosen) == 3
    gaps = [b.start - a.start for a, b in itertools.pairwise(chosen)]
    assert all(g >= timedelta(hours=2) for g in gaps)


def test_offer_uses_the_contacts_day_and_zone() -> None:
    now = utc(2026, 3, 9, 0, 0)
    offer = offer_slots(
        [], schedule=schedule(slots_to_offer=3), owner_tz=BERLIN, contact_tz=NEW_YORK, now=now
    )
    assert len(offer) == 3
    for slot in offer:
        assert time(9) <= slot.start.astimezone(NEW_YORK).time() < time(18)
    assert len({s.start.astimezone(NEW_YORK).date() for s in offer}) == 3


def test_offer_for_a_contact_on_the_other_side_of_the_world_still_offers_something() -> None:
    now = utc(2026, 3, 9, 0, 0)
    offer = offer_slots(
        [], schedule=schedule(slots_to_offer=3), owner_tz=BERLIN, contact_tz=AUCKLAND, now=now
    )
    assert len(offer) == 3  # no overlap with 09-18 there; widened, then owner's hours


def test_busy_calendar_pushes_the_offer_to_free_days() -> None:
    now = utc(2026, 3, 2, 0, 0)
    busy = [Busy(utc(2026, 3, 2, 0, 0), utc(2026, 3, 5, 0, 0))]  # Mon-Wed taken
    offer = offer_slots(busy, schedule=schedule(), owner_tz=BERLIN, now=now, horizon_days=14)
    assert all(s.start >= utc(2026, 3, 5) for s in offer)


# ---------------------------------------------------------------- proposals


def test_a_point_proposal_is_booked_exactly_when_free() -> None:
    two_pm = local(date(2026, 3, 10), 14, 0, BERLIN)
    got = first_free_in(
        Slot(two_pm, two_pm), [], schedule=schedule(), owner_tz=BERLIN, now=utc(2026, 3, 1)
    )
    assert got == Slot(two_pm, two_pm + timedelta(minutes=30))


def test_a_point_proposal_that_is_busy_gives_nothing() -> None:
    two_pm = local(date(2026, 3, 10), 14, 0, BERLIN)
    busy = [Busy(two_pm + timedelta(minutes=20), two_pm + timedelta(hours=1))]
    got = first_free_in(
        Slot(two_pm, two_pm), busy, schedule=schedule(), owner_tz=BERLIN, now=utc(2026, 3, 1)
    )
    assert got is None


def test_a_window_gives_its_earliest_free_slot_after_busy_time_and_buffer() -> None:
    day = date(2026, 3, 10)
    window = Slot(local(day, 13, 0, BERLIN), local(day, 17, 0, BERLIN))
    busy = [Busy(local(day, 12, 30, BERLIN), local(day, 14, 10, BERLIN))]
    got = first_free_in(
        window, busy, schedule=schedule(buffer_minutes=10), owner_tz=BERLIN, now=utc(2026, 3, 1)
    )
    assert got is not None
    assert got.start == local(day, 14, 30, BERLIN)  # 14:20 after the buffer -> 15-minute grid


def test_a_proposal_outside_working_hours_needs_the_owner_to_allow_it() -> None:
    seven_pm = local(date(2026, 3, 10), 19, 0, BERLIN)
    kw: dict[str, Any] = {"schedule": schedule(), "owner_tz": BERLIN, "now": utc(2026, 3, 1)}
    assert first_free_in(Slot(seven_pm, seven_pm), [], **kw) is None
    assert first_free_in(Slot(seven_pm, seven_pm), [], working_hours_only=False, **kw)


def test_a_proposal_inside_the_minimum_notice_is_refused() -> None:
    soon = utc(2026, 3, 10, 10, 0)
    got = first_free_in(
        Slot(soon, soon),
        [],
        schedule=schedule(min_notice_hours=24),
        owner_tz=BERLIN,
        now=utc(2026, 3, 10, 8, 0),
    )
    assert got is None


def test_is_free_rechecks_one_slot() -> None:
    slot = Slot(utc(2026, 3, 10, 13, 0), utc(2026, 3, 10, 13, 30))
    kw: dict[str, Any] = {"schedule": schedule(), "owner_tz": BERLIN, "now": utc(2026, 3, 1)}
    assert is_free(slot, [], **kw)
    assert not is_free(slot, [Busy(utc(2026, 3, 10, 13, 15), utc(2026, 3, 10, 14))], **kw)


# ---------------------------------------------------------------- interval arithmetic


def test_sweep_matches_a_minute_by_minute_brute_force() -> None:
    rng = random.Random(7)
    base = utc(2026, 3, 2)

    def minutes(intervals: list[tuple[datetime, datetime]]) -> set[int]:
        out: set[int] = set()
        for lo, hi in intervals:
            out.update(
                range(
                    int((lo - base).total_seconds() // 60), int((hi - base).total_seconds() // 60)
                )
            )
        return out

    for _ in range(200):
        busy = []
        for _ in range(rng.randint(0, 12)):
            start = rng.randint(0, 600)
            busy.append(
                Busy(
                    base + timedelta(minutes=start),
                    base + timedelta(minutes=start + rng.randint(1, 90)),
                )
            )
        windows = merge(
            [
                Busy(base + timedelta(minutes=a), base + timedelta(minutes=a + 120))
                for a in (0, 200, 400)
            ]
        )
        taken = merge(busy)
        expect_free = minutes(windows) - minutes(taken)
        assert minutes(subtract(windows, taken)) == expect_free
        assert minutes(intersect(windows, taken)) == minutes(windows) & minutes(taken)
        assert all(a[1] < b[0] for a, b in itertools.pairwise(taken))
