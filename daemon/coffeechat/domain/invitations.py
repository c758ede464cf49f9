"""The meeting as iCalendar: the event stored on the calendar and the iTIP messages about it.

The stored event (no METHOD, with a VALARM for the owner) is the source of truth; invitations
(RFC 5546 REQUEST / CANCEL, sent by email per RFC 6047) are derived from it, so an owner's
edit on the calendar (a new location) flows into the next update. Pure: the time stamp comes
from the caller's clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from typing import Literal
from zoneinfo import ZoneInfo

import icalendar

from coffeechat.domain.recurrence import event_span

PRODID = "-//coffeechat//coffeechat//EN"
Method = Literal["REQUEST", "CANCEL"]
PARTSTATS = frozenset({"NEEDS-ACTION", "ACCEPTED", "DECLINED", "TENTATIVE", "DELEGATED"})


class InvitationError(ValueError):
    """iCalendar data that is not what we expected (a malformed or foreign REPLY)."""


def event_uid(account_id: int, thread_id: int, owner_email: str) -> str:
    """Stable per thread, so a retried booking finds its event instead of making a second."""
    domain = owner_email.rpartition("@")[2].lower() or "localhost"
    return f"coffeechat-{account_id}-{thread_id}@{domain}"


def resource_name(uid: str) -> str:
    """A file name for the event's URL, safe on every server (no @, no slashes)."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", uid) + ".ics"


@dataclass(frozen=True, slots=True)
class MeetingDetails:
    """Everything an invitation says. Times are aware; ``zone`` is the owner's."""

    uid: str
    start: datetime
    end: datetime
    zone: ZoneInfo
    organizer_email: str
    organizer_name: str
    attendee_email: str
    attendee_name: str
    summary: str
    location: str = ""
    description: str = ""
    sequence: int = 0
    alarm_minutes: int = 15


@dataclass(frozen=True, slots=True)
class EventInfo:
    """What the store keeps in sync with the calendar, read back from a stored event."""

    uid: str
    start: datetime
    end: datetime
    sequence: int
    cancelled: bool
    partstat: str
    location: str


@dataclass(frozen=True, slots=True)
class ItipReply:
    uid: str
    attendee: str
    partstat: str
    sequence: int
    comment: str = ""


def _calendar() -> icalendar.Calendar:
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    return cal


def _address(prop: object) -> str:
    return str(prop).removeprefix("mailto:").removeprefix("MAILTO:").strip().lower()


def _local(value: datetime, zone: ZoneInfo) -> datetime:
    """TZID'd local time (with a VTIMEZONE), or UTC when the owner lives in UTC."""
    return value.astimezone(UTC if zone.key == "UTC" else zone)


def _add_timezones(cal: icalendar.Calendar, around: datetime) -> None:
    # A VTIMEZONE covering a few years is enough and keeps the ICS small (full ones are 4 KB).
    cal.add_missing_timezones(date(around.year - 1, 1, 1), date(around.year + 3, 1, 1))


def build_event(details: MeetingDetails, *, stamp: datetime) -> icalendar.Calendar:
    """The event to PUT on the owner's calendar: CONFIRMED, organizer, attendee, a reminder."""
    if details.end <= details.start:
        raise InvitationError("a meeting must end after it starts")
    cal = _calendar()
    event = icalendar.Event()
    event.add("uid", details.uid)
    event.add("dtstamp", stamp.astimezone(UTC))
    event.add("created", stamp.astimezone(UTC))
    event.add("last-modified", stamp.astimezone(UTC))
    event.add("sequence", details.sequence)
    event.add("dtstart", _local(details.start, details.zone))
    event.add("dtend", _local(details.end, details.zone))
    event.add("summary", details.summary)
    if details.location:
        event.add("location", details.location)
    if details.description:
        event.add("description", details.description)
    event.add("status", "CONFIRMED")
    event.add("transp", "OPAQUE")
    organizer = icalendar.vCalAddress(f"mailto:{details.organizer_email}")
    organizer.params["CN"] = icalendar.vText(details.organizer_name)
    event.add("organizer", organizer)
    attendee = icalendar.vCalAddress(f"mailto:{details.attendee_email}")
    attendee.params["CN"] = icalendar.vText(details.attendee_name or details.attendee_email)
    attendee.params["ROLE"] = icalendar.vText("REQ-PARTICIPANT")
    attendee.params["PARTSTAT"] = icalendar.vText("NEEDS-ACTION")
    attendee.params["RSVP"] = icalendar.vText("TRUE")
    event.add("attendee", attendee)
    if details.alarm_minutes > 0:
        alarm = icalendar.Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", details.summary)
        alarm.add("trigger", timedelta(minutes=-details.alarm_minutes))
        event.add_component(alarm)
    cal.add_component(event)
    _add_timezones(cal, details.start)
    return cal


def the_event(cal: icalendar.Calendar) -> icalendar.Event:
    """The master VEVENT of a single-meeting calendar object."""
    for component in cal.walk("VEVENT"):
        if component.get("RECURRENCE-ID") is None:
            assert isinstance(component, icalendar.Event)
            return component
    raise InvitationError("no VEVENT in the calendar object")


def event_info(cal: icalendar.Calendar, zone: ZoneInfo) -> EventInfo:
    """UID, times, SEQUENCE, STATUS and the attendee's PARTSTAT of a stored meeting."""
    event = the_event(cal)
    start, end = event_span(event, zone)
    attendees = event.get("ATTENDEE", [])
    attendees = attendees if isinstance(attendees, list) else [attendees]
    partstat = str(attendees[0].params.get("PARTSTAT", "NEEDS-ACTION")) if attendees else ""
    return EventInfo(
        uid=str(event["UID"]),
        start=start,
        end=end,
        sequence=int(event.get("SEQUENCE", 0)),
        cancelled=str(event.get("STATUS", "")).upper() == "CANCELLED",
        partstat=partstat.upper(),
        location=str(event.get("LOCATION", "")),
    )


def _touch(event: icalendar.Event, stamp: datetime, sequence: int | None) -> None:
    for name in ("DTSTAMP", "LAST-MODIFIED"):
        event.pop(name, None)
        event.add(name.lower(), stamp.astimezone(UTC))
    if sequence is not None:
        event.pop("SEQUENCE", None)
        event.add("sequence", sequence)


def move_event(
    cal: icalendar.Calendar,
    start: datetime,
    end: datetime,
    *,
    zone: ZoneInfo,
    sequence: int,
    stamp: datetime,
) -> icalendar.Calendar:
    """The same event at a new time, SEQUENCE raised, the attendee asked to answer again."""
    out = icalendar.Calendar.from_ical(cal.to_ical())
    event = the_event(out)
    for name in ("DTSTART", "DTEND", "DURATION"):
        event.pop(name, None)
    event.add("dtstart", _local(start, zone))
    event.add("dtend", _local(end, zone))
    event.pop("STATUS", None)
    event.add("status", "CONFIRMED")
    _set_partstat(event, None, "NEEDS-ACTION")
    _touch(event, stamp, sequence)
    _add_timezones(out, start)
    return out


def cancel_event(cal: icalendar.Calendar, *, sequence: int, stamp: datetime) -> icalendar.Calendar:
    """The same event marked CANCELLED (kept, so the UID's history stays on the calendar)."""
    out = icalendar.Calendar.from_ical(cal.to_ical())
    event = the_event(out)
    event.pop("STATUS", None)
    event.add("status", "CANCELLED")
    _touch(event, stamp, sequence)
    return out


def with_partstat(
    cal: icalendar.Calendar, attendee: str, partstat: str, *, stamp: datetime
) -> icalendar.Calendar:
    """The same event with one attendee's answer recorded (SEQUENCE unchanged: RFC 5546)."""
    out = icalendar.Calendar.from_ical(cal.to_ical())
    event = the_event(out)
    _set_partstat(event, attendee, partstat)
    _touch(event, stamp, None)
    return out


def _set_partstat(event: icalendar.Event, attendee: str | None, partstat: str) -> None:
    attendees = event.get("ATTENDEE", [])
    for prop in attendees if isinstance(attendees, list) else [attendees]:
        if attendee is None or _address(prop) == attendee.lower():
            prop.params["PARTSTAT"] = partstat
            if partstat == "NEEDS-ACTION":
                prop.params["RSVP"] = "TRUE"


def itip(
    cal: icalendar.Calendar, method: Method, *, stamp: datetime, sequence: int | None = None
) -> bytes:
    """The RFC 5546 message for a stored event: METHOD, no alarms, a fresh DTSTAMP.

    ``sequence`` overrides the stored one (the owner moved the event by hand and their client
    did not raise it, but the contact must see a newer version)."""
    out = _calendar()
    out.add("method", method)
    for tz in cal.walk("VTIMEZONE"):
        out.add_component(tz)
    event = icalendar.Event.from_ical(the_event(cal).to_ical())
    assert isinstance(event, icalendar.Event)
    event.subcomponents = [c for c in event.subcomponents if c.name != "VALARM"]
    if method == "CANCEL":
        event.pop("STATUS", None)
        event.add("status", "CANCELLED")
    _touch(event, stamp, sequence)
    out.add_component(event)
    return bytes(out.to_ical())


def parse_itip_reply(data: bytes | str) -> ItipReply:
    """A METHOD:REPLY from the contact's calendar client: who answered what, for which event."""
    try:
        cal = icalendar.Calendar.from_ical(data)
    except ValueError as exc:
        raise InvitationError(f"not iCalendar data: {exc}") from None
    method = str(cal.get("METHOD", "")).upper()
    if method != "REPLY":
        raise InvitationError(f"expected METHOD:REPLY, got {method or 'no METHOD'}")
    events = list(cal.walk("VEVENT"))
    if not events:
        raise InvitationError("REPLY without a VEVENT")
    event = events[0]
    attendees = event.get("ATTENDEE", [])
    attendees = attendees if isinstance(attendees, list) else [attendees]
    if not attendees or event.get("UID") is None:
        raise InvitationError("REPLY without UID or ATTENDEE")
    prop = attendees[0]
    partstat = str(prop.params.get("PARTSTAT", "NEEDS-ACTION")).upper()
    if partstat not in PARTSTATS:
        raise InvitationError(f"unknown PARTSTAT {partstat!r}")
    return ItipReply(
        uid=str(event["UID"]),
        attendee=_address(prop),
        partstat=partstat,
        sequence=int(event.get("SEQUENCE", 0)),
        comment=str(event.get("COMMENT", "")),
    )


# ---------------------------------------------------------------- MIME


def invitation_parts(ics: bytes, method: Method) -> tuple[EmailMessage, EmailMessage]:
    """The inline ``text/calendar; method=...`` part (Gmail, Apple Mail) and an ``invite.ics``
    attachment (Outlook), both with the same bytes (RFC 6047). Base64 keeps the CRLF line
    ends RFC 5545 requires through any mail relay."""
    inline = EmailMessage()
    inline.set_content(ics, maintype="text", subtype="calendar", cte="base64")
    del inline["MIME-Version"]  # a body part, not a message
    inline.set_param("charset", "UTF-8")
    inline.set_param("method", method)
    attachment = EmailMessage()
    attachment.set_content(
        ics,
        maintype="application",
        subtype="ics",
        disposition="attachment",
        filename="invite.ics" if method == "REQUEST" else "cancel.ics",
    )
    del attachment["MIME-Version"]
    return inline, attachment


def add_invitation(msg: EmailMessage, ics: bytes, method: Method) -> EmailMessage:
    """Turn a plain confirmation into multipart/mixed[alternative[text, calendar], .ics]."""
    inline, attachment = invitation_parts(ics, method)
    if msg.get_content_type() != "multipart/alternative":
        msg.make_alternative()
    msg.attach(inline)
    msg.make_mixed()
    msg.attach(attachment)
    return msg
