"""One message, explained as a plain dict: what ``coffeechat explain`` prints."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from coffeechat.domain.actions import next_action
from coffeechat.domain.intents import ThreadContext, Understanding
from coffeechat.domain.mailparse import parse_message
from coffeechat.domain.understand import CONFIDENCE_THRESHOLD, understand


def as_dict(u: Understanding, ctx: ThreadContext) -> dict[str, Any]:
    """The stable JSON shape of an understanding (times with offsets, in the owner's zone)."""
    return {
        "intent": str(u.intent),
        "confidence": round(u.confidence, 3),
        "proposed": [
            {"start": w.start.isoformat(), "end": w.end.isoformat() if w.end else None}
            for w in u.proposed
        ],
        "later_until": u.later_until.isoformat() if u.later_until else None,
        "referral": ({"name": u.referral.name, "email": u.referral.email} if u.referral else None),
        "reply_text": u.reply_text,
        "action": next_action(u, ctx, CONFIDENCE_THRESHOLD),
    }


def explain(
    raw: bytes,
    *,
    tz: str,
    now: datetime | None,
    state: str,
    offered: list[datetime],
    booked_start: datetime | None = None,
) -> dict[str, Any]:
    """Parse and understand one raw message; without ``now`` its Date header is the reference."""
    ctx = ThreadContext(
        state=state, offered_slots=list(offered), owner_tz=tz, booked_start=booked_start, now=now
    )
    return as_dict(understand(parse_message(raw), ctx), ctx)
