"""The steps every reaction is made of: stop pending email, log an event, mark the reply done.

Both the calendar reactions and the ones the store alone settles stop follow-ups (or all
pending email, or the employer's other threads under 3B7), record an Event about the reply and
mark it processed; one definition keeps them doing it the same way.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from coffeechat.clock import Clock
from coffeechat.domain.states import MeetingStatus, OutboxKind
from coffeechat.service.events import record_event
from coffeechat.settings import Cadence, Settings
from coffeechat.store.models import Meeting, Message, Thread

FOLLOWUP_KINDS = (OutboxKind.FOLLOWUP, OutboxKind.OUTREACH, OutboxKind.REFERRAL_OUTREACH)


def booked_meeting(session: Session, thread_id: int) -> Meeting | None:
    """The thread's booked meeting (the latest, should there be more), if any."""
    return session.scalar(
        select(Meeting)
        .where(Meeting.thread_id == thread_id, Meeting.status == MeetingStatus.BOOKED)
        .order_by(Meeting.id.desc())
    )


def stop_followups(s: Session, thread: Thread, reason: str) -> None:
    """Cancel the thread's pending follow-ups: a person answered."""
    from coffeechat.service.outbox import cancel_pending

    cancel_pending(s, thread_id=thread.id, kinds=[OutboxKind.FOLLOWUP], reason=reason)


def stop_everything(s: Session, thread: Thread, reason: str) -> None:
    """Cancel every pending email in the thread."""
    from coffeechat.service.outbox import cancel_pending

    cancel_pending(s, thread_id=thread.id, reason=reason)


def cancel_employer_siblings(s: Session, settings: Settings, thread: Thread) -> None:
    """3B7: the moment anyone at an employer agrees, every other pending email there stops."""
    from coffeechat.service.outbox import cancel_pending

    if settings.schedule.cadence is Cadence.THREE_B_SEVEN and thread.employer_key:
        cancel_pending(
            s,
            employer_key=thread.employer_key,
            account_id=thread.account_id,
            except_thread_id=thread.id,
            kinds=FOLLOWUP_KINDS,
            reason="someone at this employer agreed to talk",
        )


def mark_processed(s: Session, msg: Message, action: str, clock: Clock) -> None:
    """Record the action taken: the reply is done and no pass picks it up again."""
    msg.action = action
    msg.processed_at = clock.now()


def reply_event(
    s: Session,
    msg: Message,
    thread: Thread,
    kind: str,
    summary: str,
    at: datetime,
    *,
    needs_owner: bool = False,
    next_step: str = "",
) -> None:
    """An event about a reply in a thread: the message and its intent go into the data."""
    record_event(
        s,
        account_id=thread.account_id,
        at=at,
        kind=kind,
        thread_id=thread.id,
        contact_id=thread.contact_id,
        summary=summary,
        data={"message_id": msg.message_id, "intent": msg.intent},
        needs_owner=needs_owner,
        next_step=next_step,
    )
