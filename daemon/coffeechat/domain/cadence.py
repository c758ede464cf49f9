"""When each email is due: business days, holidays, working hours, 3B7, pacing. Pure.

Every function takes the instants it reasons about (and ``now`` where it matters) as
arguments, so tests set time instead of waiting for it. Business days are the owner's working
days minus the public holidays of ``holidays_country``; working hours are the owner's, read in
whichever zone the calendar is for.
"""

from __future__ import annotations

import hashlib
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib

from coffeechat.retry import backoff_seconds
from coffeechat.settings import ScheduleSettings

#: Without a stated return date, an out-of-office postpones the follow-up by this much.
DEFAULT_AUTO_REPLY_PAUSE = timedelta(days=7)
#: A search for the next open instant gives up after this many days (only a calendar with no
#: working day at all gets there, which settings validation prevents).
_HORIZON_DAYS = 800


@dataclass(frozen=True)
class WorkCalendar:
    """Working days and hours in one zone, and the holidays that are not working days."""

    zone: ZoneInfo
    working_days: frozenset[int] = frozenset(range(5))
    start: time = time(9)
    end: time = time(17)
    holidays: Container[date] = field(default_factory=frozenset)

    @classmethod
    def from_settings(cls, schedule: ScheduleSettings, zone: ZoneInfo) -> WorkCalendar:
        start, end = schedule.hours
        hols: Container[date] = frozenset()
        if schedule.holidays_country:
            hols = holidays_lib.country_holidays(
                schedule.holidays_country, subdiv=schedule.holidays_subdivision
            )
        return cls(zone, schedule.weekday_numbers, start, end, hols)

    def for_zone(self, zone: ZoneInfo) -> WorkCalendar:
        """The same hours read in another zone (the recipient's); their holidays are unknown."""
        if zone.key == self.zone.key:
            return self
        return replace(self, zone=zone, holidays=frozenset())

    def is_business_day(self, day: date) -> bool:
        return day.weekday() in self.working_days and day not in self.holidays

    def is_open(self, at: datetime) -> bool:
        local = at.astimezone(self.zone)
        return self.is_business_day(local.date()) and self.start <= local.time() < self.end

    def next_open(self, at: datetime) -> datetime:
        """The earliest instant at or after ``at`` inside working hours on a business day."""
        local = at.astimezone(self.zone)
        day = local.date()
        for _ in range(_HORIZON_DAYS):
            if self.is_business_day(day):
                opens = _local(day, self.start, self.zone)
                closes = _local(day, self.end, self.zone)
                if at < opens:
                    return opens.astimezone(UTC)
                if at < closes:
                    return at.astimezone(UTC)
            day += timedelta(days=1)
        raise ValueError("no working day in the calendar")


def _local(day: date, at: time, zone: ZoneInfo) -> datetime:
    # A wall time that does not exist (DST gap) becomes the instant just after the gap.
    naive = datetime.combine(day, at)
    aware = naive.replace(tzinfo=zone)
    back = aware.astimezone(UTC).astimezone(zone)
    if back.replace(tzinfo=None) != naive:
        return aware.astimezone(UTC)
    return aware


def zone_or(name: str | None, fallback: ZoneInfo) -> ZoneInfo:
    """The contact's zone when it is a valid IANA name, else the fallback."""
    if not name:
        return fallback
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return fallback


def add_business_days(start: datetime, days: int, cal: WorkCalendar) -> datetime:
    """``days`` business days after ``start``, at the same local wall time.

    Monday 10:00 plus 7 business days is Wednesday 10:00 of the next week; a holiday on the
    way pushes it one more day; the hour is kept across a DST change.
    """
    local = start.astimezone(cal.zone)
    day = local.date()
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if cal.is_business_day(day):
            counted += 1
    return _local(day, local.time().replace(tzinfo=None), cal.zone).astimezone(UTC)


def followup_due(
    last_outbound_at: datetime | None,
    followups_sent: int,
    *,
    after_business_days: int,
    max_followups: int,
    cal: WorkCalendar,
    paused_until: datetime | None = None,
) -> datetime | None:
    """When the next follow-up is due (None: no more follow-ups).

    Counted from the last email we sent in the thread, so a second follow-up waits as long
    after the first as the first waited after the outreach. An auto-reply pause wins.
    """
    if last_outbound_at is None or followups_sent >= max_followups:
        return None
    due = add_business_days(last_outbound_at, after_business_days, cal)
    if paused_until is not None and paused_until > due:
        due = paused_until
    return due


def auto_reply_resume(
    received_at: datetime, return_date: date | None, cal: WorkCalendar
) -> datetime:
    """Until when an out-of-office pauses follow-ups.

    With a stated return date: one business day after it, at the start of working hours
    (people need a day to dig out). Without: a week after the auto-reply.
    """
    if return_date is None:
        return received_at + DEFAULT_AUTO_REPLY_PAUSE
    back = _local(return_date, cal.start, cal.zone)
    resume = add_business_days(back, 1, cal)
    return max(resume, received_at)


def thankyou_due(meeting_end: datetime, after_hours: float, cal: WorkCalendar) -> datetime:
    """``after_hours`` after the meeting ended, moved into the owner's working hours."""
    return cal.next_open(meeting_end + timedelta(hours=after_hours))


def keep_in_touch_due(last_exchange_at: datetime, after_days: int, cal: WorkCalendar) -> datetime:
    return cal.next_open(last_exchange_at + timedelta(days=after_days))


# ---------------------------------------------------------------- pacing


def spread_offset(key: str, span: timedelta) -> timedelta:
    """A deterministic offset in [0, span) from the email's key: not everyone the same minute,
    and the same email gets the same offset however often it is computed."""
    seconds = int(span.total_seconds())
    if seconds <= 0:
        return timedelta(0)
    digest = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")
    return timedelta(seconds=digest % seconds)


def spread_span(max_per_hour: int) -> timedelta:
    """How wide to spread emails that fall due together: a quarter hour at most."""
    return min(timedelta(minutes=15), timedelta(hours=1) / max(1, max_per_hour) * 5)


def send_slot(due: datetime, key: str, cal: WorkCalendar, max_per_hour: int) -> datetime:
    """When a cadence email should go: due plus its spread, inside the recipient's hours."""
    return cal.next_open(due + spread_offset(key, spread_span(max_per_hour)))


def sends_allowed(sent_times: Iterable[datetime], now: datetime, max_per_hour: int) -> int:
    """How many more may go now without exceeding ``max_per_hour`` in any sliding hour."""
    recent = sum(1 for t in sent_times if now - timedelta(hours=1) < t <= now)
    return max(0, max_per_hour - recent)


def backoff(attempt: int, rand: float, *, base: float = 60.0, cap: float = 3600.0) -> timedelta:
    """Delay before retry ``attempt`` (1, 2, ...) after a temporary failure.

    Exponential from ``base``, capped, with "equal jitter": half fixed, half random, so many
    rows failing together do not come back together. ``rand`` is uniform in [0, 1).
    """
    return timedelta(seconds=backoff_seconds(attempt, rand, base=base, cap=cap))


def next_day_start(now: datetime, zone: ZoneInfo) -> datetime:
    """Midnight starting the owner's next day (when daily sending quotas reset)."""
    local = now.astimezone(zone)
    return _local(local.date() + timedelta(days=1), time(0), zone).astimezone(UTC)


# ---------------------------------------------------------------- 3B7


@dataclass(frozen=True)
class EmployerMember:
    """One contact at an employer, as far as the 3B7 routine cares."""

    thread_id: int
    order: int
    outreach_at: datetime | None = None  # when our first email went
    outreach_pending: bool = False  # an outreach is in the outbox, not yet sent
    waiting: bool = False  # the owner started this contact; waiting for their turn
    replied: bool = False  # a human reply of any kind
    agreed: bool = False
    stopped: bool = False  # declined, unsubscribed, bounced, handed to the owner
    followups: int = 0  # follow-ups sent or queued


@dataclass(frozen=True)
class Step:
    kind: Literal["outreach", "followup"]
    thread_id: int
    due_at: datetime


def plan_3b7(
    members: Sequence[EmployerMember],
    now: datetime,
    cal: WorkCalendar,
    *,
    next_after_business_days: int = 3,
    followup_after_business_days: int = 7,
) -> list[Step]:
    """The next steps at one employer: one new person at a time, one follow-up in all.

    Nobody is written to once anyone there agreed (the caller cancels what is pending). The
    next person is due 3 business days after the last outreach went unanswered, at once if
    that person already answered without agreeing. The single follow-up goes only to the
    first person written to (the earliest outreach), 7 business days after it, unless they
    answered or were stopped; later people get none.
    """
    if any(m.agreed for m in members):
        return []
    steps: list[Step] = []
    contacted = sorted(
        (m for m in members if m.outreach_at is not None),
        key=lambda m: (m.outreach_at or now, m.order),
    )
    if contacted:
        first = contacted[0]
        if not first.replied and not first.stopped and first.followups == 0:
            assert first.outreach_at is not None
            due = add_business_days(first.outreach_at, followup_after_business_days, cal)
            steps.append(Step("followup", first.thread_id, due))
    if any(m.outreach_pending for m in members):
        return steps
    waiting = sorted(
        (m for m in members if m.waiting and m.outreach_at is None and not m.stopped),
        key=lambda m: m.order,
    )
    if not waiting:
        return steps
    if not contacted:
        due = now
    else:
        last = contacted[-1]
        assert last.outreach_at is not None
        if last.replied or last.stopped:
            due = now
        else:
            due = add_business_days(last.outreach_at, next_after_business_days, cal)
    steps.append(Step("outreach", waiting[0].thread_id, due))
    return steps
