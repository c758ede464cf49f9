"""mailparse: headers, bodies, DSNs and calendar parts; and never raising on hostile input."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from tests.domain import eml

from coffeechat.domain.mailparse import MAX_TEXT_CHARS, parse_message

DSN = b"""From: Mail Delivery System <MAILER-DAEMON@mx.example.net>
To: maya@fastmail.com
Subject: Undelivered Mail Returned to Sender
Date: Mon, 14 Sep 2026 09:03:12 -0400
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B/1"

--B/1
Content-Type: text/plain

Your message could not be delivered.

--B/1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; gone@example.org
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 User unknown

--B/1
Content-Type: text/rfc822-headers

Subject: hello
--B/1--
"""


def test_headers_are_decoded_and_ids_unwrapped() -> None:
    raw = eml(
        "Hi",
        sender="=?utf-8?q?Sabine_Kr=C3=BCger?= <S.Krueger@Example.de>",
        subject="=?utf-8?b?" + base64.b64encode("AW: Frage – kurz?".encode()).decode() + "?=",
        headers="In-Reply-To: <x1@a.b>\nReferences: <x0@a.b> <x1@a.b>\nCc: Jo <jo@b.c>\n",
    )
    msg = parse_message(raw)
    assert msg.from_ == ("Sabine Krüger", "s.krueger@example.de")
    assert msg.subject == "AW: Frage – kurz?"
    assert msg.message_id == "abc@example.com"
    assert msg.in_reply_to == "x1@a.b"
    assert msg.references == ("x0@a.b", "x1@a.b")
    assert msg.cc == (("Jo", "jo@b.c"),)
    assert msg.date == datetime(2026, 6, 10, 13, 0, tzinfo=UTC)
    assert msg.date is not None and msg.date.utcoffset() == timedelta(hours=-4)


@pytest.mark.parametrize(
    "header",
    [
        "Auto-Submitted: auto-replied\n",
        "X-Autoreply: yes\n",
        "X-Autorespond: yes\n",
        "Precedence: auto_reply\n",
        "Precedence: bulk\n",
        "X-MS-Exchange-Inbox-Rules-Loop: a@b.c\n",
        "X-MS-Exchange-Generated-Message-Source: Mailbox Rules Agent\n",
    ],
)
def test_auto_submitted_headers(header: str) -> None:
    assert parse_message(eml("Away", headers=header)).auto_submitted


def test_auto_submitted_no_is_human() -> None:
    assert not parse_message(eml("Hi", headers="Auto-Submitted: no\n")).auto_submitted


def test_dsn_is_parsed() -> None:
    msg = parse_message(DSN)
    assert msg.is_dsn
    assert msg.dsn is not None
    assert msg.dsn.recipient == "gone@example.org"
    assert msg.dsn.status == "5.1.1"
    assert msg.dsn.action == "failed"
    assert msg.dsn.diagnostic == "550 5.1.1 User unknown"
    assert msg.text.startswith("Your message could not be delivered")


def test_html_only_body_keeps_blockquotes_and_mailto_links() -> None:
    html = (
        '<div dir="ltr">Talk to <a href="mailto:amy@x.com">Amy Chen</a>.</div>'
        '<div class="gmail_quote">On Mon wrote:<blockquote>old text</blockquote></div>'
    )
    msg = parse_message(eml(html, ctype="text/html; charset=utf-8"))
    assert "Talk to Amy Chen." in msg.text
    assert "> old text" in msg.text
    assert msg.html_mailtos == (("Amy Chen", "amy@x.com"),)


def test_plain_preferred_and_qp_base64_crlf_decoded() -> None:
    plain = base64.b64encode("Thursday works — thanks".encode()).decode()
    raw = (
        "From: a@b.c\r\nDate: Wed, 10 Jun 2026 09:00:00 +0000\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/alternative; boundary="q"\r\n\r\n--q\r\n'
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        f"{plain}\r\n--q\r\nContent-Type: text/html; charset=utf-8\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n<p>Thursday works =E2=80=94</p>\r\n"
        "--q--\r\n"
    ).encode()
    msg = parse_message(raw)
    assert msg.text == "Thursday works — thanks"
    assert "\r" not in msg.text


def test_wrong_and_unknown_charsets_fall_back() -> None:
    latin = "Grüße aus Köln".encode("latin-1")
    raw = b"Content-Type: text/plain; charset=utf-8\n\n" + latin
    assert parse_message(raw).text.startswith("Gr")
    raw2 = b"Content-Type: text/plain; charset=x-klingon\n\nhello"
    assert parse_message(raw2).text == "hello"


def test_calendar_parts_are_kept() -> None:
    ics = "BEGIN:VCALENDAR\nMETHOD:REPLY\nBEGIN:VEVENT\nEND:VEVENT\nEND:VCALENDAR"
    raw = eml(ics, ctype="text/calendar; method=REPLY; charset=utf-8")
    msg = parse_message(raw)
    assert [c.method for c in msg.calendar] == ["REPLY"]
    assert "VEVENT" in msg.calendar[0].ics


HOSTILE = [
    b"",
    b"no headers at all",
    b"\x00\xff\xfe" * 1000,
    b"From: \r\nSubject: =?utf-8?b?!!!?=\r\nDate: not a date\r\n\r\nhi",
    b"Date: Mon, 32 Foo 2026 99:99:99 +9999\n\nTuesday at 2pm",
    b"Content-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: text/plain; charset=klingon"
    b"\nContent-Transfer-Encoding: base64\n\n!!!notbase64\n--x--",
    b'Content-Type: multipart/alternative; boundary="a"\n\n--a\nContent-Type: multipart/'
    b'alternative; boundary="a"\n\n--a\n--a--',
    b"From: Mallory <m@x.com>\r\nBcc: victim@x.com\r\nSubject: a\r\n injected: yes\r\n\r\nhi",
    b"To: " + b"x@y.z, " * 20000 + b"\n\nbody",
    b"Content-Type: text/html\n\n" + b"<div>" * 50000,
    b"Content-Type: multipart/report; report-type=delivery-status; boundary=b\n\n--b\n"
    b"Content-Type: message/delivery-status\n\nnonsense\n--b--",
    "Subject: caf\u00e9\n\nlone \ud800 surrogate",
]


@pytest.mark.parametrize("raw", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_input_never_raises(raw: bytes | str) -> None:
    msg = parse_message(raw)
    assert isinstance(msg.text, str)
    assert "\n" not in msg.subject


def test_huge_body_is_truncated_quickly() -> None:
    raw = b"Content-Type: text/plain\n\n" + b"Tuesday at 2pm maybe 3pm. " * 400_000
    msg = parse_message(raw)
    assert len(msg.text) <= MAX_TEXT_CHARS
    assert any("truncated" in d for d in msg.defects)
