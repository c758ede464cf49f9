"""The ICS we store and send validates: parsed back with icalendar, with every iTIP field."""

from __future__ import annotations

import email
import email.policy
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import icalendar
import pytest

from coffeechat.domain import invitations as inv

BERLIN = ZoneInfo("Europe/Berlin")
STAMP = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
DETAILS = inv.MeetingDetails(
    uid=inv.event_uid(3, 42, "Ada@Example.org"),
    start=datetime(2026, 3, 10, 13, 0, tzinfo=UTC),
    end=datetime(2026, 3, 10, 13, 30, tzinfo=UTC),
    zone=BERLIN,
    organizer_email="ada@example.org",
    organizer_name="Ada Lovelace",
    attendee_email="grace@navy.example",
    attendee_name="Grace Hopper",
    summary="Coffee chat: Ada / Grace",
    location="https://meet.example/abc",
    description="Informational conversation.\nThread: career paths",
)


def event_of(data: bytes) -> tuple[icalendar.Calendar, icalendar.cal.Component]:
    cal = icalendar.Calendar.from_ical(data)
    return cal, next(iter(cal.walk("VEVENT")))


def test_uid_is_stable_per_thread_and_resource_names_are_safe() -> None:
    assert DETAILS.uid == "coffeechat-3-42@example.org"
    assert inv.event_uid(3, 42, "ada@example.org") == DETAILS.uid
    assert inv.resource_name(DETAILS.uid) == "coffeechat-3-42_example.org.ics"


def test_request_has_every_itip_field_and_parses_back() -> None:
    stored = inv.build_event(DETAILS, stamp=STAMP)
    data = inv.itip(stored, "REQUEST", stamp=STAMP + timedelta(minutes=1))
    cal, event = event_of(data)
    assert str(cal["METHOD"]) == "REQUEST"
    assert str(cal["PRODID"]) and str(cal["VERSION"]) == "2.0"
    assert str(event["UID"]) == DETAILS.uid
    assert event.decoded("SEQUENCE") == 0
    assert event.decoded("DTSTAMP") == STAMP + timedelta(minutes=1)
    assert str(event["ORGANIZER"]) == "mailto:ada@example.org"
    assert event["ORGANIZER"].params["CN"] == "Ada Lovelace"
    attendee = event["ATTENDEE"]
    assert str(attendee) == "mailto:grace@navy.example"
    assert attendee.params["PARTSTAT"] == "NEEDS-ACTION"
    assert attendee.params["RSVP"] == "TRUE"
    assert attendee.params["ROLE"] == "REQ-PARTICIPANT"
    assert str(event["LOCATION"]) == DETAILS.location
    assert "career paths" in str(event["DESCRIPTION"])
    # times carry a TZID with its VTIMEZONE, and mean the right instant
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["Europe/Berlin"]
    assert event.decoded("DTSTART") == DETAILS.start
    assert event.decoded("DTEND") == DETAILS.end
    assert not event.walk("VALARM")  # reminders are the recipient's business
    assert b"\r\n" in data


def test_stored_event_has_no_method_and_a_reminder() -> None:
    cal, event = event_of(inv.build_event(DETAILS, stamp=STAMP).to_ical())
    assert "METHOD" not in cal
    assert str(event["STATUS"]) == "CONFIRMED"
    (alarm,) = event.walk("VALARM")
    assert alarm.decoded("TRIGGER") == timedelta(minutes=-15)
    assert str(alarm["ACTION"]) == "DISPLAY"


def test_owner_in_utc_gets_utc_times_without_vtimezone() -> None:
    details = replace(DETAILS, zone=ZoneInfo("UTC"))
    cal, event = event_of(inv.itip(inv.build_event(details, stamp=STAMP), "REQUEST", stamp=STAMP))
    assert b"DTSTART:20260310T130000Z" in cal.to_ical()
    assert not cal.walk("VTIMEZONE")
    assert event.decoded("DTSTART") == DETAILS.start


def test_move_raises_sequence_and_asks_again() -> None:
    stored = inv.build_event(DETAILS, stamp=STAMP)
    accepted = inv.with_partstat(stored, "GRACE@navy.example", "ACCEPTED", stamp=STAMP)
    assert inv.event_info(accepted, BERLIN).partstat == "ACCEPTED"
    new_start = datetime(2026, 3, 31, 8, 0, tzinfo=UTC)  # after the EU change
    moved = inv.move_event(
        accepted, new_start, new_start + timedelta(minutes=30), zone=BERLIN, sequence=1, stamp=STAMP
    )
    info = inv.event_info(moved, BERLIN)
    assert (info.start, info.sequence, info.partstat) == (new_start, 1, "NEEDS-ACTION")
    _, event = event_of(inv.itip(moved, "REQUEST", stamp=STAMP))
    assert event.decoded("SEQUENCE") == 1
    assert event["DTSTART"].to_ical() == b"20260331T100000"  # 10:00 CEST


def test_cancel_is_method_cancel_with_status_and_higher_sequence() -> None:
    cancelled = inv.cancel_event(inv.build_event(DETAILS, stamp=STAMP), sequence=2, stamp=STAMP)
    assert inv.event_info(cancelled, BERLIN).cancelled
    cal, event = event_of(inv.itip(cancelled, "CANCEL", stamp=STAMP))
    assert str(cal["METHOD"]) == "CANCEL"
    assert str(event["STATUS"]) == "CANCELLED"
    assert event.decoded("SEQUENCE") == 2
    assert str(event["UID"]) == DETAILS.uid
    assert str(event["ATTENDEE"]) == "mailto:grace@navy.example"


def test_itip_can_announce_a_higher_sequence_than_stored() -> None:
    data = inv.itip(inv.build_event(DETAILS, stamp=STAMP), "REQUEST", stamp=STAMP, sequence=5)
    assert event_of(data)[1].decoded("SEQUENCE") == 5


REPLY = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Google Inc//Google Calendar 70.9054//EN\r
METHOD:REPLY\r
BEGIN:VEVENT\r
UID:coffeechat-3-42@example.org\r
DTSTAMP:20260302T080000Z\r
DTSTART:20260310T130000Z\r
SEQUENCE:1\r
ORGANIZER:mailto:ada@example.org\r
ATTENDEE;CN=Grace Hopper;PARTSTAT=ACCEPTED:MAILTO:Grace@Navy.example\r
COMMENT:See you then\r
END:VEVENT\r
END:VCALENDAR\r
"""


def test_parse_reply() -> None:
    reply = inv.parse_itip_reply(REPLY)
    assert reply == inv.ItipReply(
        uid=DETAILS.uid,
        attendee="grace@navy.example",
        partstat="ACCEPTED",
        sequence=1,
        comment="See you then",
    )


@pytest.mark.parametrize(
    "data",
    [
        REPLY.replace(b"METHOD:REPLY", b"METHOD:REQUEST"),
        REPLY.replace(b"PARTSTAT=ACCEPTED", b"PARTSTAT=MAYBE"),
        b"not a calendar",
    ],
)
def test_parse_reply_refuses_what_is_not_a_reply(data: bytes) -> None:
    with pytest.raises(inv.InvitationError):
        inv.parse_itip_reply(data)


def test_mime_parts_gmail_and_outlook_show_as_an_invitation() -> None:
    ics = inv.itip(inv.build_event(DETAILS, stamp=STAMP), "REQUEST", stamp=STAMP)
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "ada@example.org", "grace@navy.example", "Confirmed"
    msg.set_content("Tuesday 10 March, 14:00 Berlin time. Looking forward to it!")
    inv.add_invitation(msg, ics, "REQUEST")
    back = email.message_from_bytes(
        msg.as_bytes(policy=email.policy.SMTP), policy=email.policy.default
    )
    assert back.get_content_type() == "multipart/mixed"
    alternative, attachment = back.iter_parts()
    assert alternative.get_content_type() == "multipart/alternative"
    text, calendar = alternative.iter_parts()
    assert text.get_content_type() == "text/plain"
    assert calendar.get_content_type() == "text/calendar"
    assert calendar.get_param("method") == "REQUEST"
    assert calendar.get_content_charset() == "utf-8"
    assert calendar.get_payload(decode=True) == ics
    assert "MIME-Version" not in calendar
    assert attachment.get_content_type() == "application/ics"
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_payload(decode=True) == ics
