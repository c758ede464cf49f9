"""The whole loop against real servers: outreach out, a reply in, a meeting booked, invited."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime
from pathlib import Path

import icalendar
from click.testing import CliRunner

from coffeechat.cli import main
from servers.configs import OWNER, write_settings
from servers.dovecot import ImapUser
from servers.radicale import DavUser
from servers.smtp import SmtpServer


def cli(path: Path, *args: str) -> str:
    result = CliRunner().invoke(main, ["--config", str(path), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_outreach_reply_booking_invitation(
    tmp_path: Path,
    imap_user: ImapUser,
    smtp_server: SmtpServer,
    dav_user: DavUser,
    certificate: tuple[Path, Path],
) -> None:
    dav_user.make_calendar("Coffee chats")
    path = write_settings(tmp_path, imap_user, smtp_server, dav_user, certificate[0])
    cli(path, "contacts", "add", "--email", "ana@example.org", "--name", "Ana Ruiz",
        "--company", "Acme", "--role", "Research lead", "--how-found", "her talk at UXConf",
        "--timezone", "America/New_York")  # fmt: skip
    # Monday 2 March 2026, 10:00 New York: queue and send the outreach.
    cli(path, "outreach", "start", "ana@example.org", "--now", "2026-03-02T15:00:00Z")
    cli(path, "run", "--once", "--now", "2026-03-02T15:00:00Z")
    # sending is spread over the hour (never the same minute for everyone)
    cli(path, "run", "--once", "--now", "2026-03-02T16:05:00Z")
    assert len(smtp_server.messages) == 1
    outreach = smtp_server.messages[0].message
    assert outreach["To"].addresses[0].addr_spec == "ana@example.org"
    outreach_id = outreach["Message-ID"]

    # Ana answers on Tuesday: "Thursday at 2pm works".
    reply = (
        f"From: Ana Ruiz <ana@example.org>\r\nTo: Maya Chen <{OWNER}>\r\n"
        f"Subject: Re: {outreach['Subject']}\r\nDate: Tue, 03 Mar 2026 09:12:00 -0500\r\n"
        f"Message-ID: <reply-1@example.org>\r\nIn-Reply-To: {outreach_id}\r\n"
        f"References: {outreach_id}\r\n\r\n"
        "Hi Maya,\r\n\r\nHappy to chat! Thursday at 2pm works for me.\r\n\r\nAna\r\n"
    ).encode()
    imap_user.deliver(reply)
    cli(path, "run", "--once", "--now", "2026-03-03T15:00:00Z")
    cli(path, "run", "--once", "--now", "2026-03-03T15:05:00Z")  # a second pass changes nothing

    later = [m.message for m in smtp_server.messages[1:]]
    digests = [m for m in later if m["Auto-Submitted"] == "auto-generated"]
    assert len(digests) == 1  # 10:00 in New York: the 08:00 digest goes once, to the owner
    assert digests[0]["To"].addresses[0].addr_spec == OWNER
    invites = [m for m in later if m not in digests]
    assert len(invites) == 1, [m["Subject"] for m in invites]
    invite = invites[0]
    assert invite["In-Reply-To"] == "<reply-1@example.org>"
    cal_parts = [p for p in invite.walk() if p.get_content_type() == "text/calendar"]
    assert cal_parts and cal_parts[0].get_param("method") == "REQUEST"
    cal = icalendar.Calendar.from_ical(cal_parts[0].get_payload(decode=True))
    event = next(iter(cal.walk("VEVENT")))
    start = event.decoded("DTSTART").astimezone(UTC)
    assert start == datetime(2026, 3, 5, 19, 0, tzinfo=UTC)  # Thursday 14:00 New York (EST)

    # Exactly one event on the calendar, at that instant.
    import caldav

    with caldav.DAVClient(dav_user.server.url, username=dav_user.name, password="secret") as c:
        calendars = [x for x in c.principal().calendars() if x.get_display_name() == "Coffee chats"]
        events = calendars[0].events()
    assert len(events) == 1

    # The reply's \\Seen flag is untouched.
    client = imap_user.client()
    client.select_folder("INBOX", readonly=True)
    flags = client.get_flags(client.search())
    client.logout()
    assert all(b"\\Seen" not in f for f in flags.values())

    status = cli(path, "status", "--json", "--now", "2026-03-03T15:06:00Z")
    assert '"meeting_booked": 1' in status
    parsed = email.message_from_bytes(smtp_server.messages[0].data, policy=email.policy.default)
    assert "List-Unsubscribe" not in parsed and "Precedence" not in parsed


def test_owner_moves_the_meeting_by_hand_and_the_contact_is_told(
    tmp_path: Path,
    imap_user: ImapUser,
    smtp_server: SmtpServer,
    dav_user: DavUser,
    certificate: tuple[Path, Path],
) -> None:
    import caldav

    dav_user.make_calendar("Coffee chats")
    path = write_settings(tmp_path, imap_user, smtp_server, dav_user, certificate[0])
    cli(path, "contacts", "add", "--email", "bo@example.org", "--name", "Bo Lind")
    cli(path, "outreach", "start", "bo@example.org", "--now", "2026-03-02T15:00:00Z")
    cli(path, "run", "--once", "--now", "2026-03-02T16:05:00Z")
    outreach_id = smtp_server.messages[0].message["Message-ID"]
    imap_user.deliver(
        (
            f"From: Bo Lind <bo@example.org>\r\nTo: <{OWNER}>\r\nSubject: Re: hi\r\n"
            "Date: Tue, 03 Mar 2026 09:00:00 -0500\r\nMessage-ID: <bo-1@example.org>\r\n"
            f"In-Reply-To: {outreach_id}\r\n\r\nGlad to. Friday at 11am?\r\n"
        ).encode()
    )
    cli(path, "run", "--once", "--now", "2026-03-03T15:00:00Z")
    with caldav.DAVClient(dav_user.server.url, username=dav_user.name, password="secret") as c:
        cal = next(x for x in c.principal().calendars() if x.get_display_name() == "Coffee chats")
        (event,) = cal.events()
        vevent = event.icalendar_component
        start = vevent.decoded("DTSTART")
        assert start.astimezone(UTC) == datetime(2026, 3, 6, 16, 0, tzinfo=UTC)
        del vevent["DTSTART"], vevent["DTEND"]
        vevent.add("DTSTART", start.replace(hour=13))
        vevent.add("DTEND", start.replace(hour=13, minute=30))
        event.save()
    before = len(smtp_server.messages)
    cli(path, "run", "--once", "--now", "2026-03-03T16:00:00Z")
    updates = [m.message for m in smtp_server.messages[before:]]
    updates = [m for m in updates if m["Auto-Submitted"] != "auto-generated"]
    assert len(updates) == 1
    part = next(p for p in updates[0].walk() if p.get_content_type() == "text/calendar")
    moved = icalendar.Calendar.from_ical(part.get_payload(decode=True))
    ev = next(iter(moved.walk("VEVENT")))
    assert str(moved["METHOD"]) == "REQUEST"
    assert int(ev["SEQUENCE"]) >= 1
    assert ev.decoded("DTSTART").astimezone(UTC) == datetime(2026, 3, 6, 18, 0, tzinfo=UTC)
