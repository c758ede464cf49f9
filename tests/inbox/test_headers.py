"""parse_headers and friends: pure, lenient, and safe to store."""

from __future__ import annotations

from coffeechat.adapters.imap.sync import (
    clean_text,
    content_hash,
    normalise_message_id,
    parse_headers,
)
from coffeechat.service.contact_directory import ContactRef, Directory


def test_threading_fields() -> None:
    env = parse_headers(
        b'From: "Doe, Jane" <Jane.Doe@Acme.Example>\r\nTo: a@b.example, C <c@d.example>\r\n'
        b"Cc: e@f.example\r\nSubject: =?utf-8?q?Caf=C3=A9?=\r\n"
        b"Date: Tue, 6 Jan 2026 10:00:00 +0100\r\nMessage-ID: <x1@y>\r\n"
        b"In-Reply-To: <p1@y> (comment)\r\nReferences: <r1@y>\r\n <r2@y>\r\n\r\n"
    )
    assert (env.from_name, env.from_addr) == ("Doe, Jane", "jane.doe@acme.example")
    assert env.to == ("a@b.example", "c@d.example") and env.cc == ("e@f.example",)
    assert env.subject == "Café" and env.message_id == "x1@y"
    assert env.referenced_ids == ("p1@y", "r2@y", "r1@y")
    assert env.date is not None and env.date.hour == 9 and not env.auto_submitted


def test_hostile_headers_never_raise_and_come_out_clean() -> None:
    env = parse_headers(
        b"From: J\xe9r\xf4me <j@x.example>\r\nSubject: a\x00b =?utf-8?q?x=0D=0ABcc:_e@v?=\r\n"
        b"Date: Mon, 99 Foo 99999 99:99:99 +9999\r\nMessage-ID: <" + b"m" * 2000 + b">\r\n"
        b"Auto-Submitted: auto-replied\r\nContent-Type: multipart/report; "
        b"report-type=delivery-status\r\n\r\n"
    )
    assert env.from_addr == "j@x.example" and "\n" not in env.subject and "\0" not in env.subject
    assert env.date is None and env.message_id is None and env.is_dsn and env.auto_submitted
    assert env.defects


def test_message_ids_and_hashes() -> None:
    assert normalise_message_id(" <a@b> ") == "a@b"
    assert normalise_message_id("a b@c") is None and normalise_message_id("") is None
    assert content_hash(b"abc") != content_hash(b"abc", 10)
    assert clean_text("a\r\n\tb\x00c\udcff") == "a bc?"


def test_possible_contacts() -> None:
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    d = Directory(
        "me@mine.example",
        [
            ContactRef(1, "jane@acme.example", "Jane Doe", "Acme", now),
            ContactRef(2, "bob.smith@gmail.com", "Bob Smith", "", now),
        ],
    )
    assert [c.id for c in d.possibly("j.doe@acme.example", "")] == [1]
    assert [c.id for c in d.possibly("bobsmith+work@gmail.com", "")] == [2]
    assert [c.id for c in d.possibly("jd@private.example", "Jane  Doe")] == [1]
    assert d.possibly("other@gmail.com", "Someone") == []
