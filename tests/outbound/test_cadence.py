"""Cadence is pure: every case sets its own instants."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest

from coffeechat.domain import cadence
from coffeechat.domain.cadence import EmployerMember, WorkCalendar

NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=NY)  # type: ignore[misc]


@pytest.fixture
def cal() -> WorkCalendar:
    return WorkCalendar(NY, holidays=holidays.country_holidays("US"))


def test_seven_business_days_are_not_seven_calendar_days(cal: WorkCalendar) -> None:
    # Monday 2025-06-02 10:00 -> Wednesday 2025-06-11 10:00 (no holiday in between)
    assert cadence.add_business_days(ny(2025, 6, 2, 10), 7, cal) == ny(2025, 6, 11, 10)


def test_a_holiday_pushes_the_follow_up_a_day(cal: WorkCalendar) -> None:
    # Monday 2025-06-30; Friday 4 July is Independence Day
    assert cadence.add_business_days(ny(2025, 6, 30, 10), 7, cal) == ny(2025, 7, 10, 10)
    plain = WorkCalendar(NY)
    assert cadence.add_business_days(ny(2025, 6, 30, 10), 7, plain) == ny(2025, 7, 9, 10)


def test_business_days_from_a_weekend_start_count_from_monday(cal: WorkCalendar) -> None:
    assert cadence.add_business_days(ny(2025, 6, 7, 11), 1, cal) == ny(2025, 6, 9, 11)


def test_wall_time_is_kept_across_dst(cal: WorkCalendar) -> None:
    # 2025-03-09 is the US spring-forward; 10:00 stays 10:00 local
    due = cadence.add_business_days(ny(2025, 3, 6, 10), 2, cal)
    assert due.astimezone(NY) == ny(2025, 3, 10, 10)
    assert due - ny(2025, 3, 6, 10) == timedelta(days=4) - timedelta(hours=1)


def test_working_days_from_settings_with_a_custom_week() -> None:
    week = WorkCalendar(BERLIN, working_days=frozenset({0, 1, 2, 3}))  # Mon-Thu
    start = datetime(2025, 6, 5, 9, tzinfo=BERLIN)  # Thursday
    assert cadence.add_business_days(start, 1, week) == datetime(2025, 6, 9, 9, tzinfo=BERLIN)


def test_followup_due_respects_max_and_pause(cal: WorkCalendar) -> None:
    sent = ny(2025, 6, 2, 10)
    kw = {"after_business_days": 7, "max_followups": 1, "cal": cal}
    assert cadence.followup_due(sent, 0, **kw) == ny(2025, 6, 11, 10)  # type: ignore[arg-type]
    assert cadence.followup_due(sent, 1, **kw) is None  # type: ignore[arg-type]
    assert cadence.followup_due(None, 0, **kw) is None  # type: ignore[arg-type]
    pause = ny(2025, 6, 20, 9)
    assert cadence.followup_due(sent, 0, paused_until=pause, **kw) == pause  # type: ignore[arg-type]


def test_auto_reply_with_a_return_date_waits_one_business_day_more(cal: WorkCalendar) -> None:
    got = cadence.auto_reply_resume(ny(2025, 6, 3, 8), date(2025, 6, 13), cal)  # back Friday
    assert got == ny(2025, 6, 16, 9)  # Monday at the start of working hours


def test_auto_reply_without_a_date_waits_a_week(cal: WorkCalendar) -> None:
    got = cadence.auto_reply_resume(ny(2025, 6, 3, 8), None, cal)
    assert got == ny(2025, 6, 10, 8)


def test_thank_you_two_hours_after_inside_working_hours(cal: WorkCalendar) -> None:
    assert cadence.thankyou_due(ny(2025, 6, 4, 10, 30), 2, cal) == ny(2025, 6, 4, 12, 30)
    # a meeting ending at 16:00 would be thanked at 18:00: next morning instead
    assert cadence.thankyou_due(ny(2025, 6, 4, 16), 2, cal) == ny(2025, 6, 5, 9)
    # Thursday 3 July 16:00 -> Friday is the 4th of July -> Monday
    assert cadence.thankyou_due(ny(2025, 7, 3, 16), 2, cal) == ny(2025, 7, 7, 9)


def test_keep_in_touch_due_lands_in_working_hours(cal: WorkCalendar) -> None:
    got = cadence.keep_in_touch_due(ny(2025, 3, 1, 20), 90, cal)
    assert cal.is_open(got)
    assert got >= ny(2025, 3, 1, 20) + timedelta(days=90)


def test_next_open_in_the_recipient_zone(cal: WorkCalendar) -> None:
    tokyo = cal.for_zone(ZoneInfo("Asia/Tokyo"))
    now = ny(2025, 6, 4, 10)  # 23:00 in Tokyo
    opens = tokyo.next_open(now)
    assert opens.astimezone(ZoneInfo("Asia/Tokyo")) == datetime(
        2025, 6, 5, 9, tzinfo=ZoneInfo("Asia/Tokyo")
    )
    assert cal.next_open(now) == now.astimezone(UTC)


def test_next_open_on_a_dst_morning() -> None:
    # Berlin falls back 2025-10-26 (Sunday); Monday opens at 09:00 CET
    cal = WorkCalendar(BERLIN)
    got = cal.next_open(datetime(2025, 10, 25, 18, tzinfo=BERLIN))
    assert got == datetime(2025, 10, 27, 9, tzinfo=BERLIN)
    assert got.astimezone(UTC).time() == time(8)


def test_zone_or_falls_back_on_nonsense() -> None:
    assert cadence.zone_or("Not/AZone", NY) is NY
    assert cadence.zone_or(None, NY) is NY
    assert cadence.zone_or("Asia/Tokyo", NY).key == "Asia/Tokyo"


def test_spread_is_deterministic_and_spreads() -> None:
    span = cadence.spread_span(20)
    offsets = {cadence.spread_offset(f"thread:{i}:followup:1", span) for i in range(50)}
    assert len({o.total_seconds() // 60 for o in offsets}) > 5  # not everyone the same minute
    assert all(timedelta(0) <= o < span for o in offsets)
    assert cadence.spread_offset("k", span) == cadence.spread_offset("k", span)


def test_sends_allowed_in_a_sliding_hour() -> None:
    now = ny(2025, 6, 4, 12)
    sent = [now - timedelta(minutes=m) for m in (1, 10, 59, 61, 120)]
    assert cadence.sends_allowed(sent, now, 5) == 2
    assert cadence.sends_allowed(sent, now, 3) == 0


def test_backoff_grows_is_capped_and_jittered() -> None:
    assert cadence.backoff(1, 0.0) == timedelta(seconds=30)
    assert cadence.backoff(1, 0.999) < timedelta(seconds=60)
    assert cadence.backoff(3, 0.0) == timedelta(seconds=120)
    assert cadence.backoff(50, 1.0) <= timedelta(hours=1)
    assert cadence.backoff(2, 0.2) != cadence.backoff(2, 0.8)


def test_next_day_start_is_local_midnight() -> None:
    got = cadence.next_day_start(ny(2025, 6, 4, 23, 30), NY)
    assert got == ny(2025, 6, 5, 0)


# ---------------------------------------------------------------- 3B7


def test_3b7_writes_to_the_first_person_first(cal: WorkCalendar) -> None:
    now = ny(2025, 6, 2, 10)
    members = [EmployerMember(1, 0, waiting=True), EmployerMember(2, 1, waiting=True)]
    assert cadence.plan_3b7(members, now, cal) == [cadence.Step("outreach", 1, now)]


def test_3b7_next_person_after_three_business_days(cal: WorkCalendar) -> None:
    sent = ny(2025, 6, 5, 10)  # Thursday
    members = [EmployerMember(1, 0, outreach_at=sent), EmployerMember(2, 1, waiting=True)]
    steps = cadence.plan_3b7(members, sent, cal)
    assert cadence.Step("outreach", 2, ny(2025, 6, 10, 10)) in steps  # Tuesday
    assert cadence.Step("followup", 1, ny(2025, 6, 16, 10)) in steps  # 7 business days


def test_3b7_waits_while_an_outreach_is_in_the_outbox(cal: WorkCalendar) -> None:
    sent = ny(2025, 6, 2, 10)
    members = [
        EmployerMember(1, 0, outreach_at=sent),
        EmployerMember(2, 1, outreach_pending=True),
        EmployerMember(3, 2, waiting=True),
    ]
    steps = cadence.plan_3b7(members, sent, cal)
    assert [s.kind for s in steps] == ["followup"]


def test_3b7_moves_on_at_once_when_the_last_person_declined(cal: WorkCalendar) -> None:
    now = ny(2025, 6, 3, 10)
    members = [
        EmployerMember(1, 0, outreach_at=ny(2025, 6, 2, 10), replied=True, stopped=True),
        EmployerMember(2, 1, waiting=True),
    ]
    assert cadence.plan_3b7(members, now, cal) == [cadence.Step("outreach", 2, now)]


def test_3b7_stops_when_anyone_agrees(cal: WorkCalendar) -> None:
    members = [
        EmployerMember(1, 0, outreach_at=ny(2025, 6, 2, 10)),
        EmployerMember(2, 1, outreach_at=ny(2025, 6, 5, 10), agreed=True, replied=True),
        EmployerMember(3, 2, waiting=True),
    ]
    assert cadence.plan_3b7(members, ny(2025, 6, 20, 10), cal) == []


def test_3b7_one_follow_up_only(cal: WorkCalendar) -> None:
    members = [EmployerMember(1, 0, outreach_at=ny(2025, 6, 2, 10), followups=1)]
    assert cadence.plan_3b7(members, ny(2025, 6, 30, 10), cal) == []


def test_calendar_from_settings_uses_holidays() -> None:
    from coffeechat.settings import ScheduleSettings

    sched = ScheduleSettings(holidays_country="DE", working_days="Mon-Fri")  # type: ignore[arg-type]
    cal = WorkCalendar.from_settings(sched, BERLIN)
    assert not cal.is_business_day(date(2025, 10, 3))  # Tag der Deutschen Einheit
    assert cal.is_business_day(date(2025, 10, 2))


def _walk_3b7(
    cal: WorkCalendar, members: list[EmployerMember], start: datetime, days: int
) -> list[tuple[int, str, int]]:
    """Run the plan every business morning and afternoon as the service would, sending each
    due step at once; returns (business day, kind, thread) for every email."""
    sent: list[tuple[int, str, int]] = []
    day = start
    for n in range(days + 1):
        if n:
            day = cadence.add_business_days(start, n, cal)
        for now in (day, day + timedelta(hours=6)):
            for step in cadence.plan_3b7(members, now, cal):
                if step.due_at > now:
                    continue
                i = next(j for j, m in enumerate(members) if m.thread_id == step.thread_id)
                m = members[i]
                if step.kind == "outreach":
                    members[i] = EmployerMember(m.thread_id, m.order, outreach_at=now)
                else:
                    members[i] = EmployerMember(
                        m.thread_id, m.order, outreach_at=m.outreach_at, followups=1
                    )
                sent.append((n, step.kind, step.thread_id))
    return sent


def test_3b7_follow_up_only_to_the_first_person(cal: WorkCalendar) -> None:
    start = ny(2025, 6, 2, 10)  # Monday
    members = [EmployerMember(t, t - 1, waiting=True) for t in (1, 2, 3)]  # A, B, C
    sent = _walk_3b7(cal, members, start, 30)
    assert sent == [
        (0, "outreach", 1),  # A on day 0
        (3, "outreach", 2),  # B on business day 3
        (6, "outreach", 3),  # C on business day 6
        (7, "followup", 1),  # one follow-up, to A, on business day 7
    ]


def test_3b7_plans_no_follow_up_for_later_people(cal: WorkCalendar) -> None:
    a, b, c = ny(2025, 6, 2, 10), ny(2025, 6, 5, 10), ny(2025, 6, 10, 10)
    members = [
        EmployerMember(1, 0, outreach_at=a),
        EmployerMember(2, 1, outreach_at=b),
        EmployerMember(3, 2, outreach_at=c),
    ]
    later = ny(2025, 7, 30, 10)  # long after everyone's 7 business days
    assert cadence.plan_3b7(members, later, cal) == [
        cadence.Step("followup", 1, ny(2025, 6, 11, 10))
    ]
    members[0] = EmployerMember(1, 0, outreach_at=a, followups=1)  # A's follow-up went
    assert cadence.plan_3b7(members, later, cal) == []
    # the first is the earliest outreach, not the first in the list
    shuffled = [
        members[2],
        EmployerMember(2, 1, outreach_at=b),
        EmployerMember(1, 0, outreach_at=a),
    ]
    assert [s.thread_id for s in cadence.plan_3b7(shuffled, later, cal)] == [1]


def test_3b7_no_follow_up_when_the_first_person_answered(cal: WorkCalendar) -> None:
    members = [
        EmployerMember(1, 0, outreach_at=ny(2025, 6, 2, 10), replied=True, stopped=True),
        EmployerMember(2, 1, outreach_at=ny(2025, 6, 3, 10)),
    ]
    assert cadence.plan_3b7(members, ny(2025, 7, 30, 10), cal) == []


def test_3b7_an_agreement_from_the_second_person_stops_everything(cal: WorkCalendar) -> None:
    members = [
        EmployerMember(1, 0, outreach_at=ny(2025, 6, 2, 10)),
        EmployerMember(2, 1, outreach_at=ny(2025, 6, 5, 10), replied=True, agreed=True),
        EmployerMember(3, 2, outreach_pending=True),
        EmployerMember(4, 3, waiting=True),
    ]
    assert cadence.plan_3b7(members, ny(2025, 6, 11, 10), cal) == []
