"""When the cadence may send: the owner's working calendar, seen from the contact's zone.

Follow-ups, first emails and out-of-office pauses all count business days on the same
calendar, and a cadence email goes out in the contact's working hours, spread under the
hourly limit, so they share these two functions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from coffeechat.domain import cadence
from coffeechat.settings import Settings
from coffeechat.store.models import Contact


def _zone_of(contact: Contact, settings: Settings) -> Any:
    return cadence.zone_or(contact.timezone, settings.owner.zone)


def owner_calendar(settings: Settings) -> cadence.WorkCalendar:
    """The owner's working days and hours, in the owner's zone."""
    return cadence.WorkCalendar.from_settings(settings.schedule, settings.owner.zone)


def contact_send_slot(
    settings: Settings, owner_cal: cadence.WorkCalendar, contact: Contact, due: datetime, key: str
) -> datetime:
    """When a cadence email due at ``due`` goes: spread by ``key`` under the hourly limit,
    then the next open moment in the contact's working hours (the owner's, in their zone)."""
    cal = owner_cal.for_zone(_zone_of(contact, settings))
    return cadence.send_slot(due, key, cal, settings.sending.max_per_hour)
