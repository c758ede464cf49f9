"""CalDAV adapter: the booking calendar behind the small :class:`Calendar` interface.

``errors`` (what can go wrong, retryable or not), ``connection`` (one authenticated client,
discovery), ``calendar`` (busy time, events with ETags, change detection).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from coffeechat.adapters.caldav.calendar import (
    CaldavCalendar,
    Calendar,
    Changes,
    StoredEvent,
    SyncPoint,
)
from coffeechat.adapters.caldav.errors import (
    CalendarAuthError,
    CalendarConflict,
    CalendarError,
    CalendarNotFound,
    CalendarUnavailable,
    retry_delay,
)
from coffeechat.settings import CaldavSettings


def check_caldav(settings: CaldavSettings, owner_tz: ZoneInfo | None = None) -> str:
    """Connect, log in, find the calendars; one line for ``coffeechat check``.

    Raises a CalendarError whose message names the fix: a refused login, an unreachable
    server, a TLS failure, or a missing calendar with the names that do exist.
    """
    with CaldavCalendar(settings, owner_tz=owner_tz or ZoneInfo("UTC")) as cal:
        user = settings.username or "(no user)"
        return f"{cal.describe()} (user {user}; {len(cal.available)} calendar(s) there)"


__all__ = [
    "CaldavCalendar",
    "Calendar",
    "CalendarAuthError",
    "CalendarConflict",
    "CalendarError",
    "CalendarNotFound",
    "CalendarUnavailable",
    "Changes",
    "StoredEvent",
    "SyncPoint",
    "check_caldav",
    "retry_delay",
]
