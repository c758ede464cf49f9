"""The sender's outbox row states, as conditional SQL.

Every move between states is an UPDATE conditioned on the state the sender expects and on its
lease, so a row cancelled or taken over in the meantime is noticed rather than overwritten, and
what the database learns when a row is sent (or becomes unknown) is recorded in the same
transaction as the move. Kept apart from the send loop so that the loop and the start-up
recovery change rows the same way.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any, cast

import structlog
from sqlalchemy import Table, and_, case, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from coffeechat.domain.states import (
    AWAITING_REPLY,
    ContactStatus,
    OutboxKind,
    OutboxState,
    ThreadState,
)
from coffeechat.service.events import record_event
from coffeechat.service.send_rules import in_reply_to
from coffeechat.store.db import Store
from coffeechat.store.models import Contact, Message, OutboxItem, Thread

log = structlog.get_logger(__name__)

# The tables, for plain Core statements on the per-email path (no ORM bookkeeping).
_OUTBOX = cast(Table, OutboxItem.__table__)
_THREADS = cast(Table, Thread.__table__)
_CONTACTS = cast(Table, Contact.__table__)
_MESSAGES = cast(Table, Message.__table__)

LEASE = timedelta(minutes=10)


# ---------------------------------------------------------------- claiming and moving


def claim(store: Store, account_id: int, now: datetime, worker: str, limit: int) -> list[int]:
    """Lease up to ``limit`` due rows to ``worker``, oldest due first; the ids it won."""
    due = and_(
        OutboxItem.account_id == account_id,
        OutboxItem.due_at <= now,
        or_(
            OutboxItem.state == OutboxState.QUEUED,
            and_(OutboxItem.state == OutboxState.CLAIMED, OutboxItem.lease_until < now),
        ),
    )
    values = {
        "state": OutboxState.CLAIMED,
        "lease_owner": worker,
        "lease_until": now + LEASE,
    }
    with store.session() as s:
        if store.dialect == "postgresql":
            ids = list(
                s.scalars(
                    select(OutboxItem.id)
                    .where(due)
                    .order_by(OutboxItem.due_at, OutboxItem.id)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )
            )
            if ids:
                s.execute(update(OutboxItem).where(OutboxItem.id.in_(ids)).values(**values))
            return ids
        # SQLite: one writer at a time; the conditional UPDATE wins or loses each row.
        candidates = list(
            s.scalars(
                select(OutboxItem.id)
                .where(due)
                .order_by(OutboxItem.due_at, OutboxItem.id)
                .limit(limit)
            )
        )
        if not candidates:
            return []
        if s.get_bind().dialect.update_returning:  # one statement for the whole batch
            won = set(
                s.scalars(
                    update(_OUTBOX)
                    .where(OutboxItem.id.in_(candidates), due)
                    .values(**values)
                    .returning(OutboxItem.id)
                )
            )
            return [i for i in candidates if i in won]
        claimed = []
        for item_id in candidates:
            result = s.execute(
                update(OutboxItem).where(OutboxItem.id == item_id, due).values(**values)
            )
            if getattr(result, "rowcount", 0):
                claimed.append(item_id)
        return claimed


def transition(
    session: Session, item_id: int, worker: str, frm: OutboxState, **values: Any
) -> bool:
    """Move a row we hold from ``frm``; False when someone else changed it (e.g. cancelled)."""
    result = session.execute(
        update(_OUTBOX)
        .where(
            OutboxItem.id == item_id,
            OutboxItem.state == frm,
            OutboxItem.lease_owner == worker,
        )
        .values(**values)
    )
    return bool(getattr(result, "rowcount", 0))


def release(session: Session, item_id: int, worker: str, **values: Any) -> bool:
    """Put a row we claimed back in the queue (``values``: e.g. a later ``due_at``)."""
    return transition(
        session,
        item_id,
        worker,
        OutboxState.CLAIMED,
        state=OutboxState.QUEUED,
        lease_owner=None,
        lease_until=None,
        **values,
    )


# ---------------------------------------------------------------- after sending


def after_sent(session: Session, item: OutboxItem, now: datetime) -> None:
    """The thread and the message log learn that this email went out.

    Runs in the transaction that records ``sent`` (or in recovery). Plain (Core) UPDATEs and
    an INSERT that skips a copy already recorded, rather than loading rows first: this is on
    the path of every email. They bypass the session, so the caller must not hold this
    thread or contact as ORM objects in it. ``item`` is only read; a detached row will do.
    """
    if item.thread_id is not None:
        kind = item.kind
        values: dict[str, Any] = {
            "last_outbound_at": now,
            "first_outbound_at": func.coalesce(Thread.first_outbound_at, now),
        }
        if kind in (OutboxKind.OUTREACH, OutboxKind.REFERRAL_OUTREACH):
            values["state"] = _state_if(
                (ThreadState.NEW, ThreadState.OUTREACH_QUEUED), ThreadState.OUTREACH_SENT
            )
            values["subject"] = case((Thread.subject == "", item.subject), else_=Thread.subject)
        elif kind == OutboxKind.FOLLOWUP:
            values["followups_sent"] = Thread.followups_sent + 1
            values["state"] = _state_if(AWAITING_REPLY, ThreadState.FOLLOWUP_SENT)
        elif kind == OutboxKind.THANK_YOU:
            values["state"] = _state_if(
                (ThreadState.MEETING_BOOKED, ThreadState.MET), ThreadState.THANKED
            )
            values["last_exchange_at"] = now
        elif kind == OutboxKind.KEEP_IN_TOUCH:
            values["last_exchange_at"] = now
        session.execute(update(_THREADS).where(Thread.id == item.thread_id).values(**values))
    if item.contact_id is not None:
        session.execute(
            update(_CONTACTS)
            .where(Contact.id == item.contact_id, Contact.status == ContactStatus.NEW)
            .values(status=ContactStatus.ACTIVE)
        )
    if item.kind == OutboxKind.DIGEST:
        return
    row: dict[str, Any] = {
        "account_id": item.account_id,
        "thread_id": item.thread_id,
        "contact_id": item.contact_id,
        "message_id": item.message_id,
        "content_hash": hashlib.sha256(item.raw).hexdigest(),
        "direction": "out",
        "from_addr": "",
        "to_addrs": list(item.recipients),
        "subject": item.subject,
        "in_reply_to": in_reply_to(item.raw),
        "sent_at": now,
        "received_at": now,
        "size": len(item.raw),
        "processed_at": now,
        "action": f"sent:{item.kind}",
    }
    dialect = session.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        # A copy the inbox watcher recorded first (same Message-ID or content) is kept.
        insert = sqlite_insert if dialect == "sqlite" else pg_insert
        session.execute(insert(_MESSAGES).on_conflict_do_nothing(), row)
        return
    exists = session.scalar(
        select(Message.id).where(
            Message.account_id == item.account_id, Message.message_id == item.message_id
        )
    )
    if exists is None:
        try:
            with session.begin_nested():
                session.add(Message(**row))
        except IntegrityError:
            pass  # the inbox watcher recorded the copy in Sent first


def _state_if(when: Collection[str], then: str) -> Any:
    """SQL: ``then`` when the thread's state is one of ``when``, else the state unchanged."""
    return case((Thread.state.in_([str(x) for x in when]), then), else_=Thread.state)


def unknown_event(session: Session, item: OutboxItem, now: datetime, why: str) -> None:
    """Tell the owner that this row may or may not have gone out (it is never resent)."""
    record_event(
        session,
        account_id=item.account_id,
        at=now,
        kind="outbox.unknown",
        summary=f"The {item.kind} to {', '.join(item.recipients)} may or may not have been sent "
        f"({why}). It will not be sent again by itself.",
        needs_owner=True,
        next_step="Look in your Sent folder or ask the recipient; resend it by hand if needed.",
        thread_id=item.thread_id,
        contact_id=item.contact_id,
        data={"outbox_id": item.id, "message_id": item.message_id},
    )
    log.warning("sender.unknown", outbox_id=item.id, kind=item.kind, message_id=item.message_id)
