"""The composed email: threading headers, personal-mail hygiene, CRLF bytes."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest

from coffeechat.domain.compose import (
    HeaderValueError,
    Party,
    compose,
    make_message_id,
    message_bytes,
    quote,
    reply_subject,
)

WHEN = datetime(2025, 6, 2, 14, 0, tzinfo=UTC)


def _msg(**kw: object) -> EmailMessage:
    args: dict[str, object] = {
        "sender": Party("Alex Example", "alex@example.org"),
        "to": [Party("Dana Sample", "dana@example.com")],
        "subject": "A question about your path",
        "text": "Hi Dana,\n\nWould you have 20 minutes?\n",
        "date": WHEN,
        "message_id": "cc.abc@example.org",
    }
    args.update(kw)
    return compose(**args)  # type: ignore[arg-type]


def _parse(raw: bytes) -> EmailMessage:
    got = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(got, EmailMessage)
    return got


def test_headers_of_a_first_email() -> None:
    raw = message_bytes(_msg())
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    got = _parse(raw)
    assert got["From"] == "Alex Example <alex@example.org>"
    assert got["To"] == "Dana Sample <dana@example.com>"
    assert got["Message-ID"] == "<cc.abc@example.org>"
    assert got["MIME-Version"] == "1.0"
    assert got["Date"] == "Mon, 02 Jun 2025 14:00:00 +0000"
    assert got.get_content_type() == "text/plain"
    assert got.get_content_charset() == "utf-8"
    assert "In-Reply-To" not in got and "References" not in got


def test_personal_mail_never_looks_bulk() -> None:
    got = _parse(message_bytes(_msg()))
    for header in ("List-Unsubscribe", "Precedence", "Auto-Submitted", "X-Mailer"):
        assert header not in got
    with pytest.raises(HeaderValueError):
        _msg(extra_headers=[("List-Unsubscribe", "<mailto:x@y>")])
    with pytest.raises(HeaderValueError):
        _msg(extra_headers=[("Precedence", "bulk")])


def test_only_the_digest_is_auto_submitted() -> None:
    got = _parse(message_bytes(_msg(auto_submitted=True)))
    assert got["Auto-Submitted"] == "auto-generated"


def test_reply_threads_with_in_reply_to_and_references() -> None:
    got = _parse(
        message_bytes(
            _msg(
                in_reply_to="<cc.first@example.org>",
                references=["cc.zero@example.org"],
                subject="Re: A question",
            )
        )
    )
    assert got["In-Reply-To"] == "<cc.first@example.org>"
    assert got["References"] == "<cc.zero@example.org> <cc.first@example.org>"


@pytest.mark.parametrize(
    "kw",
    [
        {"subject": "Hi\r\nBcc: everyone@example.com"},
        {"to": [Party("Dana\nBcc: x@y.z", "dana@example.com")]},
        {"to": [Party("Dana", "dana@example.com\r\nBcc: x@y.z")]},
        {"sender": Party("Alex\r", "alex@example.org")},
    ],
)
def test_line_breaks_in_header_values_are_refused(kw: dict[str, object]) -> None:
    with pytest.raises(HeaderValueError, match="line break"):
        _msg(**kw)


def test_unicode_names_and_long_lines_survive() -> None:
    text = "Grüße, " + "ein sehr langer Satz " * 20 + "\n\n> quoted line\n"
    got = _parse(message_bytes(_msg(to=[Party("Zoë Ünal", "zoe@example.com")], text=text)))
    assert got["To"].addresses[0].display_name == "Zoë Ünal"
    body = got.get_body(("plain",))
    assert body is not None and body.get_content().replace("\r\n", "\n") == text
    assert all(len(line) <= 998 for line in message_bytes(_msg(text=text)).split(b"\r\n"))


def test_calendar_part_joins_the_alternative() -> None:
    cal = EmailMessage()
    cal.set_content("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", subtype="calendar")
    cal.set_param("method", "REQUEST")
    got = _parse(message_bytes(_msg(html="<p>Hi</p>", extra_parts=[cal])))
    assert got.get_content_type() == "multipart/alternative"
    types = [p.get_content_type() for p in got.iter_parts()]
    assert types == ["text/plain", "text/html", "text/calendar"]
    assert list(got.iter_parts())[2].get_param("method") == "REQUEST"


def test_attachments_make_it_mixed() -> None:
    att = EmailMessage()
    att.set_content(b"%PDF-1.4", maintype="application", subtype="pdf", filename="cv.pdf")
    got = _parse(message_bytes(_msg(extra_parts=[att])))
    assert got.get_content_type() == "multipart/mixed"


def test_message_id_uses_the_owner_domain() -> None:
    mid = make_message_id("Alex@Example.org")
    assert mid.endswith("@example.org") and mid.startswith("cc.")
    assert make_message_id("alex@example.org") != make_message_id("alex@example.org")
    assert make_message_id("a@b.org", "fixed") == "cc.fixed@b.org"


def test_reply_subject_and_quote() -> None:
    assert reply_subject("Re: RE: Hello") == "Re: Hello"
    assert quote("a\n\nb\n") == "> a\n>\n> b"
