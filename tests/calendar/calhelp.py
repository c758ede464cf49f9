"""Shared set-up for the calendar tests on the real CalDAV servers (not a conftest, so the
module name cannot clash with the top-level one: this directory has no __init__.py, because a
package named ``calendar`` would shadow the standard library's)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import icalendar
from caldav.davclient import DAVClient

from coffeechat.settings import CaldavSettings, OwnerSettings, ScheduleSettings, Settings
from coffeechat.store.db import Store
from coffeechat.store.models import Account, Contact, Thread
from servers.radicale import DavUser


def caldav_settings(user: DavUser, **kw: Any) -> CaldavSettings:
    """Settings for ``user``; trusting its server's certificate where it has one (Xandikos)."""
    values: dict[str, Any] = {"url": user.url, "username": user.name, "password": user.password}
    if user.server.ca_file is not None:
        values["ca_file"] = user.server.ca_file
    return CaldavSettings(**{**values, **kw})


def app_settings(user: DavUser, calendar: str = "Coffee", **schedule: Any) -> Settings:
    sched: dict[str, Any] = {
        "min_notice_hours": 24,
        "buffer_minutes": 15,
        "location": "+49 30 1234",
    }
    return Settings(
        owner=OwnerSettings(name="Ada Lovelace", email="ada@example.org", timezone="Europe/Berlin"),
        caldav=caldav_settings(user, calendar=calendar),
        schedule=ScheduleSettings(**{**sched, **schedule}),
    )


def seed_thread(
    store: Store, email: str = "grace@navy.example", zone: str | None = "Europe/London"
) -> int:
    """An account, a contact and a thread; returns the thread id."""
    with store.session() as s:
        account = s.query(Account).filter_by(name="main").one_or_none()
        if account is None:
            account = Account(name="main", owner_email="ada@example.org")
            s.add(account)
            s.flush()
        contact = Contact(account_id=account.id, email=email, name="Grace Hopper", timezone=zone)
        s.add(contact)
        s.flush()
        thread = Thread(
            account_id=account.id,
            contact_id=contact.id,
            subject="Career paths",
            state="slots_offered",
        )
        s.add(thread)
        s.flush()
        return thread.id


def vevent(uid: str, start: datetime, end: datetime, *lines: str) -> str:
    """A one-event VCALENDAR in UTC; extra content lines (RRULE:..., TRANSP:...) as given."""
    fmt = "%Y%m%dT%H%M%SZ"
    return vcalendar(uid, f"DTSTART:{start.strftime(fmt)}", f"DTEND:{end.strftime(fmt)}", *lines)


def vcalendar(uid: str, *lines: str) -> str:
    """A one-event VCALENDAR with these content lines (all-day, floating: DTSTART as given)."""
    body = "\r\n".join(
        [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//owner's client//EN",
            "BEGIN:VEVENT",
            f"UID:{uid}",
            "DTSTAMP:20260101T000000Z",
            *lines,
            "SUMMARY:Busy",
            "END:VEVENT",
            "END:VCALENDAR",
            "",
        ]
    )
    return body


class OwnersClient:
    """The owner's own calendar app: plain caldav calls, behind the daemon's back."""

    def __init__(self, user: DavUser, calendar_url: str) -> None:
        self.client: Any = DAVClient(
            user.url,
            username=user.name,
            password=user.password,
            ssl_verify_cert=user.server.verify,
        )
        self.calendar = self.client.calendar(url=calendar_url)

    def add(self, ics: str) -> None:
        self.calendar.add_event(ics)

    def events(self) -> list[icalendar.Calendar]:
        return [icalendar.Calendar.from_ical(e.data) for e in self.calendar.get_events()]

    def edit(self, uid: str, change: Any) -> None:
        """Load the event by UID, let ``change(vevent)`` edit it, save it back."""
        event = self.calendar.get_event_by_uid(uid)
        cal = icalendar.Calendar.from_ical(event.data)
        vevent = next(iter(cal.walk("VEVENT")))
        change(vevent)
        event.data = cal.to_ical().decode()
        event.save()

    def delete(self, uid: str) -> None:
        self.calendar.get_event_by_uid(uid).delete()

    def close(self) -> None:
        self.client.close()
