"""Tests of the pure domain code; ``eml`` builds small hand-written messages for them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from coffeechat.domain.intents import ThreadContext, Understanding
from coffeechat.domain.mailparse import parse_message
from coffeechat.domain.understand import understand


def eml(
    body: str,
    *,
    date: str = "Wed, 10 Jun 2026 09:00:00 -0400",
    subject: str = "Re: Quick chat?",
    sender: str = "Pat Doe <pat@example.com>",
    headers: str = "",
    ctype: str = "text/plain; charset=utf-8",
) -> bytes:
    """A minimal RFC 5322 message around ``body``."""
    head = (
        f"From: {sender}\nTo: Maya Chen <maya@fastmail.com>\nSubject: {subject}\n"
        f"Date: {date}\nMessage-ID: <abc@example.com>\n{headers}"
        f"MIME-Version: 1.0\nContent-Type: {ctype}\n\n"
    )
    return (head + body + "\n").encode("utf-8")


def read_reply(
    body: str,
    *,
    state: str | None = None,
    offered: Sequence[str] = (),
    booked: str | None = None,
    tz: str = "America/New_York",
    **eml_kw: str,
) -> Understanding:
    """Understand ``body`` as a reply in a thread; the state follows from what is given (a
    booked meeting, offered slots, else outreach sent) unless named."""
    if state is None:
        state = "meeting_booked" if booked else "slots_offered" if offered else "outreach_sent"
    context = ThreadContext(
        state=state,
        offered_slots=[datetime.fromisoformat(o) for o in offered],
        owner_tz=tz,
        booked_start=datetime.fromisoformat(booked) if booked else None,
    )
    return understand(parse_message(eml(body, **eml_kw)), context)


def starts(u: Understanding) -> list[str]:
    """The proposed start times, to the minute, as written in the owner's zone."""
    return [w.start.isoformat()[:16] for w in u.proposed]
