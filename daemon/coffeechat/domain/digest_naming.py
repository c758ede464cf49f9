"""How every digest section names who an item is about and when it happened.

Person and the day words are shared by needs, meetings, replies and the templates' filters, so
they live below all the sections instead of in any one of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    company: str = ""
    role: str = ""

    @property
    def display(self) -> str:
        return self.name or self.email

    @property
    def position(self) -> str:
        """'Staff Engineer at Acme', or whichever half is known."""
        if self.role and self.company:
            return f"{self.role} at {self.company}"
        return self.role or self.company


def day_label(day: date) -> str:
    """'Tue 9 Jun' (no platform-specific strftime flags)."""
    return f"{day:%a} {day.day} {day:%b}"


def relative_day(value: datetime | date, zone: ZoneInfo, now: datetime) -> str:
    """'today', 'tomorrow', 'yesterday', else 'Tue 9 Jun', in the owner's zone."""
    if isinstance(value, datetime):
        value = value.astimezone(zone).date()
    today = now.astimezone(zone).date()
    names = {today: "today", today + timedelta(days=1): "tomorrow"}
    names[today - timedelta(days=1)] = "yesterday"
    return names.get(value) or day_label(value)


def when_label(value: datetime | None, zone: ZoneInfo, now: datetime) -> str:
    """'today 08:05', 'Tue 9 Jun 14:30', or 'never'."""
    if value is None:
        return "never"
    return f"{relative_day(value, zone, now)} {value.astimezone(zone):%H:%M}"
