"""How the inbox reads a reply: the reader it is given, the thread context, an iTIP REPLY.

The reader is pluggable (tests record what it was asked; the default parses the message and
runs the domain's reply reader). It is given the thread's state, the slots offered and the
meeting booked, so an answer is read against what the contact was actually asked.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from coffeechat.clock import Clock
from coffeechat.domain.intents import ThreadContext, Understanding
from coffeechat.domain.mailparse import parse_message
from coffeechat.domain.states import MeetingStatus, ThreadState
from coffeechat.domain.understand import understand
from coffeechat.store.models import Meeting, Thread

_CONTEXT_STATES: dict[str, str] = {
    ThreadState.OUTREACH_SENT: "outreach_sent",
    ThreadState.FOLLOWUP_SENT: "followup_sent",
    ThreadState.SLOTS_OFFERED: "slots_offered",
    ThreadState.MEETING_BOOKED: "meeting_booked",
}


class Understander(Protocol):
    """Reads one reply (raw bytes, possibly truncated) in the context of its thread."""

    def __call__(self, raw: bytes, context: ThreadContext) -> Understanding: ...


def understand_raw(raw: bytes, context: ThreadContext) -> Understanding:
    """The domain's reply reader (parse, then understand): the default Understander."""
    return understand(parse_message(raw), context)


def reply_context(s: Session, thread: Thread | None, owner_tz: str, clock: Clock) -> ThreadContext:
    """What the reader is told about the thread a reply belongs to, if it belongs to one."""
    state = _CONTEXT_STATES.get(thread.state, "outreach_sent") if thread else None
    offered: list[datetime] = []
    booked: tuple[datetime, datetime] | None = None
    if thread is not None:
        for value in thread.offered_slots or []:
            try:
                slot = datetime.fromisoformat(str(value))
            except ValueError:
                continue
            if slot.tzinfo is not None:
                offered.append(slot)
        meeting = s.scalar(
            select(Meeting)
            .where(Meeting.thread_id == thread.id, Meeting.status == MeetingStatus.BOOKED)
            .order_by(Meeting.start_at.desc())
            .limit(1)
        )
        if meeting is not None:
            booked = (meeting.start_at, meeting.end_at)
    return ThreadContext(
        state=state or "outreach_sent",
        offered_slots=offered,
        owner_tz=owner_tz,
        booked_start=booked[0] if booked else None,
        booked_end=booked[1] if booked else None,
        now=clock.now(),
    )


def itip_reply(raw: bytes) -> str | None:
    """The iTIP REPLY a calendar client attached (the contact clicked accept/decline)."""
    if b"text/calendar" not in raw[:2_000_000].lower():
        return None
    for part in parse_message(raw).calendar:
        if (part.method or "").upper() == "REPLY":
            return part.ics[:200_000]
    return None
