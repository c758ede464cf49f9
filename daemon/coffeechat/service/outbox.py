"""The outbox: every email the daemon will ever send is a row here first.

A row is written in the same transaction as the decision that caused it (a reply understood,
a follow-up found due), with its final bytes and Message-ID, so the sender can deliver it
exactly once however often the process dies. ``enqueue`` is idempotent on the key
(``thread:{id}:{kind}:{n}`` by convention): calling it twice returns the first row.
"""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterable, Sequence
from datetime import datetime
from email.message import EmailMessage

import structlog
from sqlalchemy import ColumnElement, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from coffeechat.domain.compose import message_bytes
from coffeechat.domain.states import OutboxKind, OutboxState
from coffeechat.store.models import OutboxItem, Thread

log = structlog.get_logger(__name__)

#: States a row can still be stopped in (nothing has touched the network yet, or the
#: sender's conditional UPDATE will notice the change before DATA).
PENDING = frozenset({OutboxState.QUEUED, OutboxState.HELD, OutboxState.CLAIMED})


class OutboxError(ValueError):
    """A row cannot be written as asked (e.g. no recipients)."""


def _strip_brackets(message_id: str) -> str:
    return message_id.strip().removeprefix("<").removesuffix(">")


def enqueue(
    session: Session,
    *,
    account_id: int,
    kind: OutboxKind | str,
    key: str,
    message: bytes | EmailMessage,
    recipients: Sequence[str],
    due_at: datetime,
    message_id: str,
    thread_id: int | None = None,
    contact_id: int | None = None,
    subject: str | None = None,
    held_reason: str | None = None,
) -> OutboxItem:
    """Add one email to the outbox, or return the row already there for ``key``.

    ``message`` is the finished email (bytes are stored as given; an EmailMessage is
    serialised with CRLF). ``message_id`` must be the one in its Message-ID header, with or
    without angle brackets. ``held_reason`` stores the row as held for the owner instead of
    queued (e.g. a template error); the digest shows the reason.
    Runs inside the caller's transaction: commit together with the decision that caused it.
    """
    existing = session.scalar(select(OutboxItem).where(OutboxItem.idempotency_key == key))
    if existing is not None:
        return existing
    if not recipients:
        raise OutboxError(f"outbox {key}: no recipients")
    if due_at.tzinfo is None:
        raise OutboxError(f"outbox {key}: due_at must be timezone-aware")
    if isinstance(message, EmailMessage):
        if subject is None:
            subject = str(message.get("Subject", ""))
        raw = message_bytes(message)
    else:
        raw = message
        if subject is None and raw:
            parsed = email.message_from_bytes(raw, policy=email.policy.default)
            subject = str(parsed.get("Subject", ""))
    item = OutboxItem(
        account_id=account_id,
        thread_id=thread_id,
        contact_id=contact_id,
        kind=str(kind),
        idempotency_key=key,
        message_id=_strip_brackets(message_id),
        recipients=[str(r) for r in recipients],
        subject=subject or "",
        raw=raw,
        state=OutboxState.HELD if held_reason else OutboxState.QUEUED,
        last_error=held_reason or "",
        due_at=due_at,
    )
    try:
        with session.begin_nested():
            session.add(item)
    except IntegrityError:
        # Another transaction wrote the same key first: theirs is the one.
        found = session.scalar(select(OutboxItem).where(OutboxItem.idempotency_key == key))
        if found is None:
            raise
        return found
    log.info("outbox.enqueued", key=key, kind=str(kind), outbox_id=item.id, held=bool(held_reason))
    return item


def cancel_pending(
    session: Session,
    *,
    thread_id: int | None = None,
    employer_key: str | None = None,
    account_id: int | None = None,
    kinds: Iterable[OutboxKind | str] | None = None,
    except_thread_id: int | None = None,
    reason: str = "",
) -> int:
    """Cancel rows not yet sending for a thread or for every thread at one employer.

    Returns how many rows were cancelled. A claimed row is cancelled too: the sender only
    moves a row to ``sending`` with a conditional UPDATE on ``claimed``, so it sees this.
    """
    if thread_id is None and not employer_key:
        raise OutboxError("cancel_pending needs thread_id or employer_key")
    conditions: list[ColumnElement[bool]] = [OutboxItem.state.in_([str(s) for s in PENDING])]
    if thread_id is not None:
        conditions.append(OutboxItem.thread_id == thread_id)
    if employer_key:
        threads = select(Thread.id).where(Thread.employer_key == employer_key.strip().lower())
        if account_id is not None:
            threads = threads.where(Thread.account_id == account_id)
        conditions.append(OutboxItem.thread_id.in_(threads))
    if account_id is not None:
        conditions.append(OutboxItem.account_id == account_id)
    if kinds is not None:
        conditions.append(OutboxItem.kind.in_([str(k) for k in kinds]))
    if except_thread_id is not None:
        conditions.append(OutboxItem.thread_id != except_thread_id)
    result = session.execute(
        update(OutboxItem)
        .where(*conditions)
        .values(
            state=OutboxState.CANCELLED,
            last_error=reason or "cancelled",
            lease_owner=None,
            lease_until=None,
        )
        .execution_options(synchronize_session="fetch")
    )
    count = int(getattr(result, "rowcount", 0) or 0)
    if count:
        log.info(
            "outbox.cancelled",
            count=count,
            thread_id=thread_id,
            employer_key=employer_key,
            reason=reason,
        )
    return count


def hold(session: Session, item_id: int, reason: str) -> bool:
    """Keep a queued row back for the owner (the digest shows ``reason``); False if too late."""
    result = session.execute(
        update(OutboxItem)
        .where(OutboxItem.id == item_id, OutboxItem.state.in_([str(s) for s in PENDING]))
        .values(state=OutboxState.HELD, last_error=reason, lease_owner=None, lease_until=None)
        .execution_options(synchronize_session="fetch")
    )
    return bool(getattr(result, "rowcount", 0))


def release(session: Session, item_id: int, due_at: datetime | None = None) -> bool:
    """Queue a held row again (the owner fixed the cause); False if it was not held."""
    values: dict[str, object] = {"state": OutboxState.QUEUED, "last_error": ""}
    if due_at is not None:
        values["due_at"] = due_at
    result = session.execute(
        update(OutboxItem)
        .where(OutboxItem.id == item_id, OutboxItem.state == OutboxState.HELD)
        .values(**values)
        .execution_options(synchronize_session="fetch")
    )
    return bool(getattr(result, "rowcount", 0))


def pending_for_thread(session: Session, thread_id: int) -> list[OutboxItem]:
    """Rows of a thread that may still go out (for the digest and the CLI)."""
    return list(
        session.scalars(
            select(OutboxItem)
            .where(
                OutboxItem.thread_id == thread_id,
                OutboxItem.state.in_([str(s) for s in PENDING]),
            )
            .order_by(OutboxItem.due_at, OutboxItem.id)
        )
    )
