"""Build the email itself: headers that thread in the contact's client, and nothing bulk-like.

This is personal mail written on the owner's behalf, so it never carries List-Unsubscribe,
Precedence: bulk or tracking; only the owner's own digest says Auto-Submitted. Pure: the date
and (optionally) the random part of the Message-ID are given by the caller.
"""

from __future__ import annotations

import email.policy
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

#: Headers this module refuses to emit, whatever a caller passes in ``extra_headers``.
FORBIDDEN_HEADERS = frozenset(
    {"list-unsubscribe", "list-unsubscribe-post", "precedence", "auto-submitted", "x-mailer"}
)
_MID_DOMAIN = re.compile(r"^[A-Za-z0-9.-]+$")


class HeaderValueError(ValueError):
    """A header value holds a line break (header injection) or is otherwise unusable."""


def check_header_value(field: str, value: str) -> str:
    """Refuse CR, LF (and NUL) in a header value: they would let text become new headers."""
    if any(c in value for c in "\r\n\x00"):
        raise HeaderValueError(f"{field} contains a line break, which is not allowed: {value!r}")
    return value


@dataclass(frozen=True)
class Party:
    """A display name and an address."""

    name: str
    address: str

    def header(self, field: str) -> Address:
        check_header_value(f"{field} name", self.name)
        check_header_value(f"{field} address", self.address)
        local, sep, domain = self.address.strip().rpartition("@")
        if not sep or not local or not domain:
            raise HeaderValueError(f"{field} address {self.address!r} is not an email address")
        return Address(display_name=self.name.strip(), username=local, domain=domain)


def make_message_id(owner_address: str, random_part: str | None = None) -> str:
    """``<random>@<owner's domain>`` without brackets; random unless given (tests)."""
    domain = owner_address.rpartition("@")[2].strip().lower() or "localhost"
    if not _MID_DOMAIN.match(domain):
        domain = "localhost"
    token = random_part or secrets.token_hex(16)
    return f"cc.{token}@{domain}"


def _bracket(message_id: str) -> str:
    mid = message_id.strip().removeprefix("<").removesuffix(">")
    check_header_value("Message-ID", mid)
    if not mid or " " in mid:
        raise HeaderValueError(f"{mid!r} is not a Message-ID")
    return f"<{mid}>"


def compose(
    *,
    sender: Party,
    to: Sequence[Party],
    subject: str,
    text: str,
    date: datetime,
    message_id: str,
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    html: str | None = None,
    extra_parts: Sequence[EmailMessage] = (),
    cc: Sequence[Party] = (),
    reply_to: Party | None = None,
    auto_submitted: bool = False,
    extra_headers: Sequence[tuple[str, str]] = (),
) -> EmailMessage:
    """The finished message.

    A text/calendar part in ``extra_parts`` joins the text (and HTML) in the
    multipart/alternative, where calendar clients look for invitations; other parts become
    attachments. ``auto_submitted`` is for the digest only.
    """
    if date.tzinfo is None:
        raise ValueError("compose needs an aware date")
    if not to:
        raise HeaderValueError("an email needs at least one recipient")
    check_header_value("Subject", subject)
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = sender.header("From")
    msg["To"] = [p.header("To") for p in to]
    if cc:
        msg["Cc"] = [p.header("Cc") for p in cc]
    if reply_to is not None:
        msg["Reply-To"] = reply_to.header("Reply-To")
    msg["Subject"] = subject.strip()
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = _bracket(message_id)
    refs = [_bracket(r) for r in references if r.strip()]
    if in_reply_to:
        parent = _bracket(in_reply_to)
        msg["In-Reply-To"] = parent
        if parent not in refs:
            refs.append(parent)
    if refs:
        msg["References"] = " ".join(refs)
    if auto_submitted:
        msg["Auto-Submitted"] = "auto-generated"
    for name, value in extra_headers:
        if name.strip().lower() in FORBIDDEN_HEADERS:
            raise HeaderValueError(f"{name} is not sent on personal mail")
        msg[check_header_value("header name", name)] = check_header_value(name, value)
    msg["MIME-Version"] = "1.0"

    body = text if text.endswith("\n") else text + "\n"
    msg.set_content(body, subtype="plain", charset="utf-8")
    if html is not None:
        msg.add_alternative(html, subtype="html", charset="utf-8")
    for part in extra_parts:
        if part.get_content_type() == "text/calendar":
            if not msg.is_multipart():
                msg.make_alternative()
            _attach(msg, part)
    attachments = [p for p in extra_parts if p.get_content_type() != "text/calendar"]
    if attachments:
        msg.make_mixed()
        for part in attachments:
            _attach(msg, part)
    return msg


def _attach(msg: EmailMessage, part: EmailMessage) -> None:
    # attach() keeps the part's own headers (Content-Type with method=REQUEST, etc.)
    msg.attach(part)


def message_bytes(msg: EmailMessage) -> bytes:
    """Serialise with CRLF line ends, as SMTP and IMAP APPEND want them."""
    return msg.as_bytes(policy=email.policy.SMTP)


def header_message_id(raw: bytes) -> str | None:
    """The Message-ID of stored bytes, without brackets (for recovery and checks)."""
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    value = parsed.get("Message-ID")
    if value is None:
        return None
    return str(value).strip().removeprefix("<").removesuffix(">")


def reply_subject(subject: str) -> str:
    """``Re: subject`` without piling up prefixes."""
    stripped = re.sub(r"^\s*((re|aw|sv|fwd?)\s*:\s*)+", "", subject, flags=re.IGNORECASE)
    return f"Re: {stripped}".strip()


def quote(text: str) -> str:
    """Quote a previous message below a reply, ``> `` on each line."""
    lines = text.rstrip("\n").splitlines()
    return "\n".join(f"> {line}" if line else ">" for line in lines)
