"""When the owner is free: busy periods and the schedule settings in, meeting slots out.

Pure (no I/O, the clock is a parameter). Everything works on aware datetimes and is converted
to UTC once, so DST changes in either zone are just different UTC offsets of local windows.
Cost is a sort of the busy list plus one sweep per day: O(n log n + days + slots).
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays as holidays_lib

from coffeechat.settings import ScheduleSettings

#: Hours in which a contact can reasonably be asked to meet, in their own zone.
CONTACT_HOURS = (time(9, 0), time(18, 0))
#: A wider band used only when the strict one leaves too few slots.
CONTACT_HOURS_WIDE = (time(8, 0), time(20, 0))
#: Offered start times fall on this grid (in the owner's zone).
OFFER_STEP = timedelta(minutes=30)
#: A proposed window is searched on this finer grid.
PROPOSAL_STEP = timedelta(minutes=15)

Interval = tuple[datetime, datetime]


def _aware_utc(value: datetime, what: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be an aware datetime, got {value!r}")
    return value.astimezone(UTC)


@dataclass(frozen=True, slots=True, order=True)
class Busy:
    """A period the calendar says is taken; ``uid`` names the event when known."""

    start: datetime
    end: datetime
    uid: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", _aware_utc(self.start, "Busy.start"))
        object.__setattr__(self, "end", _aware_utc(self.end, "Busy.end"))


@dataclass(frozen=True, slots=True, order=True)
class Slot:
    """A meeting time (or, as a proposal, a window to search); stored in UTC."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", _aware_utc(self.start, "Slot.start"))
        object.__setattr__(self, "end", _aware_utc(self.end, "Slot.end"))
        if self.end < self.start:
            raise ValueError(f"slot ends before it starts: {self.start} > {self.end}")

    def overlaps(self, other: Slot | Busy) -> bool:
        return self.start < other.end and other.start < self.end

    def iso(self, zone: ZoneInfo) -> str:
        """The start as ISO 8601 with the zone's offset (what Thread.offered_slots keeps)."""
        return self.start.astimezone(zone).isoformat()


# ---------------------------------------------------------------- interval arithmetic


def merge(busy: Iterable[Busy], pad: timedelta = timedelta(0)) -> list[Interval]:
    """Sorted, disjoint intervals covering every busy period widened by ``pad`` both sides."""
    spans = sorted((b.start - pad, b.end + pad) for b in busy if b.end > b.start)
    merged: list[Interval] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def intersect(a: Sequence[Interval], b: Sequence[Interval]) -> list[Interval]:
    """Both lists sorted and disjoint; a two-pointer walk."""
    out: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        start, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if start < end:
            out.append((start, end))
        if a[i][1] <= b[j][1]:
            i += 1
        else:
            j += 1
    return out


def subtract(windows: Sequence[Interval], taken: Sequence[Interval]) -> list[Interval]:
    """Windows minus taken time; both sorted and disjoint, one sweep."""
    out: list[Interval] = []
    j = 0
    for start, end in windows:
        while j < len(taken) and taken[j][1] <= start:
            j += 1
        k, cursor = j, start
        while k < len(taken) and taken[k][0] < end:
            if taken[k][0] > cursor:
                out.append((cursor, taken[k][0]))
            cursor = max(cursor, taken[k][1])
            k += 1
        if cursor < end:
            out.append((cursor, end))
    return out


# ---------------------------------------------------------------- calendars of days


@lru_cache(maxsize=32)
def _holiday_dates(
    country: str, subdivision: str | None, years: tuple[int, ...]
) -> frozenset[date]:
    table = holidays_lib.country_holidays(country, subdiv=subdivision, years=years)
    return frozenset(table.keys())


def holiday_dates(schedule: ScheduleSettings, first: date, last: date) -> frozenset[date]:
    """Public holidays of ``holidays_country`` between two dates (empty when none is set)."""
    if not schedule.holidays_country:
        return frozenset()
    years = tuple(range(first.year, last.year + 1))
    return _holiday_dates(schedule.holidays_country, schedule.holidays_subdivision, years)


def daily_windows(
    start: datetime,
    end: datetime,
    *,
    zone: ZoneInfo,
    hours: tuple[time, time],
    weekdays: Container[int] = range(7),
    closed: Container[date] = frozenset(),
) -> list[Interval]:
    """Local [from, to) on each allowed day of ``zone``, in UTC, clipped to [start, end)."""
    out: list[Interval] = []
    day = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date() + timedelta(days=1)
    while day <= last:
        if day.weekday() in weekdays and day not in closed:
            lo = datetime.combine(day, hours[0], zone).astimezone(UTC)
            hi = datetime.combine(day, hours[1], zone).astimezone(UTC)
            lo, hi = max(lo, start), min(hi, end)
            if lo < hi:
                out.append((lo, hi))
        day += timedelta(days=1)
    return out


def owner_windows(
    start: datetime, end: datetime, *, schedule: ScheduleSettings, owner_tz: ZoneInfo
) -> list[Interval]:
    """Working hours on working days, holidays excluded."""
    closed = holiday_dates(
        schedule,
        start.astimezone(owner_tz).date() - timedelta(days=1),
        end.astimezone(owner_tz).date() + timedelta(days=1),
    )
    return daily_windows(
        start,
        end,
        zone=owner_tz,
        hours=schedule.hours,
        weekdays=schedule.weekday_numbers,
        closed=closed,
    )


def _ceil_to_grid(value: datetime, step: timedelta, zone: ZoneInfo) -> datetime:
    """The first instant >= value on the step grid counted from local midnight."""
    local = value.astimezone(zone)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    offset = local.replace(tzinfo=None) - midnight.replace(tzinfo=None)
    steps = -(-offset // step)  # ceil division of timedeltas
    candidate = (datetime.combine(local.date(), time(0), zone) + steps * step).astimezone(UTC)
    return candidate if candidate >= value else candidate + step


def _slots_in(
    free: Sequence[Interval], length: timedelta, step: timedelta, zone: ZoneInfo
) -> list[Slot]:
    out: list[Slot] = []
    for lo, hi in free:
        t = _ceil_to_grid(lo, step, zone)
        while t + length <= hi:
            out.append(Slot(t, t + length))
            t += step
    return out


# ---------------------------------------------------------------- public entry points


def free_slots(
    busy: Iterable[Busy],
    *,
    schedule: ScheduleSettings,
    owner_tz: ZoneInfo,
    now: datetime,
    horizon_days: int = 14,
    contact_tz: ZoneInfo | None = None,
    contact_hours: tuple[time, time] = CONTACT_HOURS,
    step: timedelta = OFFER_STEP,
) -> list[Slot]:
    """Every free meeting slot from now + min notice to the horizon, in time order.

    A slot keeps ``buffer_minutes`` away from busy time on both sides, lies in the owner's
    working hours on a working day that is not a holiday, and, when the contact's zone is
    known, within ``contact_hours`` of the contact's day.
    """
    now = _aware_utc(now, "now")
    start = now + timedelta(hours=schedule.min_notice_hours)
    end = now + timedelta(days=horizon_days)
    if end <= start:
        return []
    windows = owner_windows(start, end, schedule=schedule, owner_tz=owner_tz)
    if contact_tz is not None:
        windows = intersect(
            windows, daily_windows(start, end, zone=contact_tz, hours=contact_hours)
        )
    taken = merge(busy, pad=timedelta(minutes=schedule.buffer_minutes))
    free = subtract(windows, taken)
    return _slots_in(free, timedelta(minutes=schedule.meeting_minutes), step, owner_tz)


def choose_slots(slots: Sequence[Slot], count: int, *, zone: ZoneInfo) -> list[Slot]:
    """``count`` slots on as many different days (of ``zone``) as possible, earliest days first.

    Times of day vary from day to day (morning, afternoon, late morning...) so the contact
    gets real alternatives; when there are fewer days than ``count``, later slots of the same
    days fill in, at least two hours apart.
    """
    if count <= 0 or not slots:
        return []
    by_day: dict[date, list[Slot]] = {}
    for slot in sorted(slots):
        by_day.setdefault(slot.start.astimezone(zone).date(), []).append(slot)
    targets = (time(10, 0), time(14, 0), time(11, 0), time(15, 30), time(9, 30), time(16, 0))
    chosen: list[Slot] = []
    for i, (day, candidates) in enumerate(by_day.items()):
        if len(chosen) == count:
            break
        target = datetime.combine(day, targets[i % len(targets)], zone)
        chosen.append(min(candidates, key=lambda s: abs(s.start - target)))
    gap = timedelta(hours=2)
    for candidate in sorted(slots):
        if len(chosen) >= count:
            break
        if all(abs(candidate.start - c.start) >= gap for c in chosen):
            chosen.append(candidate)
    return sorted(chosen)


def offer_slots(
    busy: Iterable[Busy],
    *,
    schedule: ScheduleSettings,
    owner_tz: ZoneInfo,
    now: datetime,
    contact_tz: ZoneInfo | None = None,
    horizon_days: int = 14,
) -> list[Slot]:
    """``slots_to_offer`` slots to propose: within the contact's 09-18 if that gives enough,
    else their 08-20, else anything in the owner's hours (the contact is far away)."""
    busy = list(busy)
    count = schedule.slots_to_offer
    bands: list[tuple[time, time] | None] = [CONTACT_HOURS, CONTACT_HOURS_WIDE, None]
    if contact_tz is None:
        bands = [None]
    best: list[Slot] = []
    for band in bands:
        slots = free_slots(
            busy,
            schedule=schedule,
            owner_tz=owner_tz,
            now=now,
            horizon_days=horizon_days,
            contact_tz=contact_tz if band else None,
            contact_hours=band or CONTACT_HOURS,
        )
        best = choose_slots(slots, count, zone=contact_tz or owner_tz)
        if len(best) >= count:
            break
    return best


def first_free_in(
    window: Slot,
    busy: Iterable[Busy],
    *,
    schedule: ScheduleSettings,
    owner_tz: ZoneInfo,
    now: datetime,
    working_hours_only: bool = True,
    step: timedelta = PROPOSAL_STEP,
    length: timedelta | None = None,
) -> Slot | None:
    """The earliest free meeting in a proposal, or None.

    A proposal shorter than a meeting ("Tuesday at 2pm") means a meeting starting exactly
    then; a longer one ("Tuesday afternoon") is searched from its start on a 15-minute grid.
    Busy time, the buffer, min notice and (unless told otherwise) working hours all apply.
    """
    now = _aware_utc(now, "now")
    length = length or timedelta(minutes=schedule.meeting_minutes)
    lo = window.start
    hi = max(window.end, window.start + length)
    earliest = now + timedelta(hours=schedule.min_notice_hours)
    span: list[Interval] = [(max(lo, earliest), hi)] if max(lo, earliest) < hi else []
    if working_hours_only:
        span = intersect(span, owner_windows(lo, hi, schedule=schedule, owner_tz=owner_tz))
    free = subtract(span, merge(busy, pad=timedelta(minutes=schedule.buffer_minutes)))
    for f_lo, f_hi in free:
        start = f_lo if f_lo == lo else _ceil_to_grid(f_lo, step, owner_tz)
        if start + length <= f_hi:
            return Slot(start, start + length)
    return None


def is_free(
    slot: Slot,
    busy: Iterable[Busy],
    *,
    schedule: ScheduleSettings,
    owner_tz: ZoneInfo,
    now: datetime,
    working_hours_only: bool = True,
) -> bool:
    """Whether exactly this slot can still be booked (the re-check before a write)."""
    found = first_free_in(
        Slot(slot.start, slot.start),
        busy,
        schedule=schedule,
        owner_tz=owner_tz,
        now=now,
        working_hours_only=working_hours_only,
        length=slot.end - slot.start,
    )
    return found is not None and found.start == slot.start
