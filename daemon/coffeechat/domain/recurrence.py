"""Busy periods from iCalendar data: events (with recurrences) and VFREEBUSY answers.

Recurrence expansion (RRULE, RDATE, EXDATE, RECURRENCE-ID overrides, X-WR-TIMEZONE) is left to
``recurring-ical-events``, which follows RFC 5545 edge cases that a hand-written expander gets
wrong; this module only decides what counts as busy: transparent and cancelled events do not,
floating times and all-day dates are read in the owner's zone. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

from coffeechat.domain.availability import Busy

#: Floating times may be up to this far from UTC; the query range is widened by it.
_FLOATING_SLACK = timedelta(hours=15)
UTC_ZONE = ZoneInfo("UTC")
_BUSY_FBTYPES = frozenset({"BUSY", "BUSY-TENTATIVE", "BUSY-UNAVAILABLE"})

CalendarInput = icalendar.Calendar | bytes | str


def parse_calendar(data: CalendarInput) -> icalendar.Calendar:
    if isinstance(data, icalendar.Calendar):
        return data
    return icalendar.Calendar.from_ical(data)


def to_utc(value: date | datetime, zone: ZoneInfo) -> datetime:
    """An iCalendar DATE or DATE-TIME as aware UTC; floating and dates are in ``zone``."""
    if not isinstance(value, datetime):
        return datetime.combine(value, time(0), zone).astimezone(UTC)
    if value.tzinfo is None or value.utcoffset() is None:
        return value.replace(tzinfo=zone).astimezone(UTC)
    return value.astimezone(UTC)


def counts_as_busy(component: icalendar.cal.Component) -> bool:
    """Opaque and not cancelled (RFC 5545: TRANSP defaults to OPAQUE)."""
    if str(component.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT":
        return False
    return str(component.get("STATUS", "")).upper() != "CANCELLED"


def event_span(component: icalendar.cal.Component, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """Start and end of one VEVENT (or occurrence) in UTC, with RFC 5545's defaults."""
    start_value = component.decoded("DTSTART")
    start = to_utc(start_value, zone)
    if component.get("DTEND") is not None:
        return start, to_utc(component.decoded("DTEND"), zone)
    if component.get("DURATION") is not None:
        duration = component.decoded("DURATION")
        if isinstance(duration, timedelta):
            return start, to_utc(start_value + duration, zone)
    if not isinstance(start_value, datetime):
        return start, to_utc(start_value + timedelta(days=1), zone)
    return start, start


def expand_busy(
    data: CalendarInput,
    start: datetime,
    end: datetime,
    *,
    owner_tz: ZoneInfo,
    ignore_uids: Collection[str] = (),
) -> list[Busy]:
    """Every opaque, not cancelled occurrence overlapping [start, end), clipped to it."""
    calendar = parse_calendar(data)
    query = recurring_ical_events.of(calendar, skip_bad_series=True)
    occurrences: Iterable[Any] = query.between(start - _FLOATING_SLACK, end + _FLOATING_SLACK)
    busy: list[Busy] = []
    for occurrence in occurrences:
        uid = str(occurrence.get("UID", "")) or None
        if uid is not None and uid in ignore_uids:
            continue
        if not counts_as_busy(occurrence):
            continue
        lo, hi = event_span(occurrence, owner_tz)
        lo, hi = max(lo, start), min(hi, end)
        if lo < hi:
            busy.append(Busy(lo, hi, uid))
    return busy


def busy_from_freebusy(data: CalendarInput, start: datetime, end: datetime) -> list[Busy]:
    """The busy periods of a VFREEBUSY (a free-busy-query answer), clipped to [start, end)."""
    calendar = parse_calendar(data)
    busy: list[Busy] = []
    for component in calendar.walk("VFREEBUSY"):
        props = component.get("FREEBUSY", [])
        for period in props if isinstance(props, list) else [props]:
            if str(period.params.get("FBTYPE", "BUSY")).upper() not in _BUSY_FBTYPES:
                continue
            first, second = period.dt
            lo = to_utc(first, UTC_ZONE)  # RFC 5545 says UTC; be lenient with floating
            hi = lo + second if isinstance(second, timedelta) else to_utc(second, UTC_ZONE)
            lo, hi = max(lo, start), min(hi, end)
            if lo < hi:
                busy.append(Busy(lo, hi))
    return busy
