"""Why a queued row must not be sent now, or must go to Drafts instead.

The rows were queued earlier; by the time one is due a person may have replied, the contact
may have unsubscribed or someone at the same employer may have agreed to talk. The sender asks
these questions again right before sending, in the transaction that decides.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from coffeechat.domain.states import (
    AWAITING_REPLY,
    FINAL,
    ContactStatus,
    MeetingStatus,
    OutboxKind,
    ThreadState,
)
from coffeechat.settings import Cadence, SendingMode, Settings
from coffeechat.store.models import Contact, Meeting, Message, OutboxItem, Thread

#: Intents (as the inbox records them) that are not a person answering.
AUTO_INTENTS = frozenset(
    {"auto_reply", "out_of_office", "ooo", "vacation", "bounce", "auto", "unsubscribe_auto"}
)
#: Thread states in which the contact has agreed to talk (3B7 stops at the employer).
AGREED = frozenset(
    {ThreadState.SLOTS_OFFERED, ThreadState.MEETING_BOOKED, ThreadState.MET, ThreadState.THANKED}
)


def human_reply_since(session: Session, thread_id: int, since: datetime) -> bool:
    """A person (not an auto-reply or a bounce) wrote in the thread after ``since``."""
    at = func.coalesce(Message.received_at, Message.sent_at, Message.created_at)
    found = session.scalar(
        select(Message.id)
        .where(
            Message.thread_id == thread_id,
            Message.direction == "in",
            Message.auto_submitted.is_(False),
            or_(Message.intent.is_(None), Message.intent.not_in(AUTO_INTENTS)),
            at > since,
        )
        .limit(1)
    )
    return found is not None


def in_reply_to(raw: bytes) -> str | None:
    """The Message-ID in the In-Reply-To header of a stored email, without angle brackets."""
    head = raw.split(b"\r\n\r\n", 1)[0]
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"in-reply-to:"):
            return line.split(b":", 1)[1].strip().decode("ascii", "replace").strip("<> ")
    return None


def stop_reason(session: Session, item: OutboxItem, settings: Settings | None = None) -> str | None:
    """Why this row must not go out any more (None: it may)."""
    contact = session.get(Contact, item.contact_id) if item.contact_id else None
    if item.kind != OutboxKind.DIGEST and contact is not None:
        if contact.do_not_contact or contact.status == ContactStatus.UNSUBSCRIBED:
            return f"{contact.email} asked not to be contacted"
        if contact.status == ContactStatus.BOUNCED:
            return f"mail to {contact.email} bounced"
    parent = in_reply_to(item.raw)
    if parent and item.kind != OutboxKind.DIGEST:
        auto = session.scalar(
            select(Message.id).where(
                Message.account_id == item.account_id,
                Message.message_id == parent,
                Message.direction == "in",
                Message.auto_submitted.is_(True),
            )
        )
        if auto is not None:
            return "it would answer an automatic message"
    thread = session.get(Thread, item.thread_id) if item.thread_id else None
    if thread is None:
        return None
    if thread.state in FINAL and item.kind != OutboxKind.CANCELLATION:
        return f"the conversation is {thread.state}"
    if item.kind == OutboxKind.FOLLOWUP:
        if thread.human_takeover:
            return "you wrote in this conversation yourself"
        if thread.state not in AWAITING_REPLY:
            return f"the conversation moved on ({thread.state})"
        since = min(t for t in (thread.last_outbound_at, item.created_at) if t is not None)
        if human_reply_since(session, thread.id, since):
            return "they replied"
    if item.kind in (OutboxKind.OUTREACH, OutboxKind.REFERRAL_OUTREACH):
        if thread.state not in (ThreadState.NEW, ThreadState.OUTREACH_QUEUED):
            return f"the conversation is already {thread.state}"
        three_b_seven = settings is not None and settings.schedule.cadence is Cadence.THREE_B_SEVEN
        if three_b_seven and thread.employer_key:
            agreed = session.scalar(
                select(Thread.id).where(
                    Thread.account_id == thread.account_id,
                    Thread.employer_key == thread.employer_key,
                    Thread.id != thread.id,
                    Thread.state.in_([str(x) for x in AGREED]),
                )
            )
            if agreed is not None:
                return f"someone at {thread.employer_key} already agreed to talk"
    return None


def draft_reason(session: Session, settings: Settings, item: OutboxItem) -> str | None:
    """Why this row goes to Drafts instead of being sent (None: send it)."""
    if settings.sending.mode is SendingMode.DRAFTS and item.kind != OutboxKind.DIGEST:
        return "sending.mode = drafts"
    if item.kind == OutboxKind.KEEP_IN_TOUCH:
        return "keep-in-touch emails are drafted for you to personalise"
    if item.kind == OutboxKind.THANK_YOU and item.thread_id is not None:
        meeting = session.scalar(
            select(Meeting)
            .where(Meeting.thread_id == item.thread_id, Meeting.status != MeetingStatus.CANCELLED)
            .order_by(Meeting.end_at.desc())
        )
        if meeting is None or not meeting.notes.strip():
            return "no notes from the meeting, so no specific thank-you could be written"
    return None
