"""Follow-ups: the nudge after business days of silence, and the pause an out-of-office buys.

The scheduler decides which threads are due (``schedule``); this is what a follow-up is: its
idempotency key (``thread:{id}:followup:{n}``), its send slot, its row, and how an auto-reply
pushes the next one back.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from coffeechat.clock import Clock
from coffeechat.domain import cadence
from coffeechat.domain.states import OutboxKind
from coffeechat.service.cadence_calendar import contact_send_slot, owner_calendar
from coffeechat.service.thread_mail import queue_thread_email
from coffeechat.settings import Settings
from coffeechat.store.models import OutboxItem, Thread


def next_followup_key(thread: Thread) -> str:
    """The idempotency key of the thread's next follow-up."""
    return f"thread:{thread.id}:followup:{thread.followups_sent + 1}"


def queue_followup(
    session: Session,
    settings: Settings,
    clock: Clock,
    owner_cal: cadence.WorkCalendar,
    thread: Thread,
    due: datetime,
) -> OutboxItem | None:
    """Queue the thread's next follow-up at its send slot after ``due``; None when a row
    already holds its key (queued, held or sent before)."""
    n = thread.followups_sent + 1
    key = next_followup_key(thread)
    if session.scalar(select(OutboxItem.id).where(OutboxItem.idempotency_key == key)):
        return None
    return queue_thread_email(
        session,
        settings,
        clock,
        thread=thread,
        kind=OutboxKind.FOLLOWUP,
        key=key,
        due_at=contact_send_slot(settings, owner_cal, thread.contact, due, key),
        followup_number=n,
    )


def postpone_for_auto_reply(
    session: Session,
    settings: Settings,
    thread: Thread,
    received_at: datetime,
    return_date: Any = None,
) -> datetime:
    """An out-of-office arrived: follow-ups wait until the stated return (plus a business day),
    or a week. Returns the new pause; never shortens an existing one."""
    until = cadence.auto_reply_resume(received_at, return_date, owner_calendar(settings))
    if thread.paused_until is None or thread.paused_until < until:
        thread.paused_until = until
    return thread.paused_until
