"""Deliver outbox rows exactly once, however often the process dies.

Each row moves through committed states::

    queued -> claimed (a lease) -> sending (committed just before DATA) -> sent (on the 250)
           -> filed (the same bytes APPENDed to Sent)
    queued -> claimed -> drafted (APPENDed to Drafts instead)

A crash leaves at most one row in ``sending`` per worker. ``recover`` at start-up requeues
claimed rows, looks ``sending`` rows up by Message-ID in Sent, and marks the unprovable ones
``unknown`` for the owner: such a row is never resent automatically. Right before DATA the
row is checked again (a reply may have arrived since it was queued; the contact may have
unsubscribed), and the move to ``sending`` is a conditional UPDATE, so a row cancelled in the
meantime is noticed.

This module runs a call and settles a crash; the parts live beside it: ``send_batch`` (one
call's SMTP conversation), ``outbox_rows`` (the state moves as conditional SQL),
``send_rules`` (why a row must not be sent, or goes to Drafts) and ``send_health`` (pauses).
"""

from __future__ import annotations

import asyncio
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass

import structlog
from sqlalchemy import func, select, update

from coffeechat.adapters.imap.connection import ImapError
from coffeechat.adapters.imap.filing import file_copies, files_sent_itself, lookup_sent
from coffeechat.clock import Clock
from coffeechat.domain.states import OutboxState
from coffeechat.service.outbox_rows import after_sent, claim, unknown_event
from coffeechat.service.send_batch import Batch, SendReport
from coffeechat.service.send_health import lift_auth_pause, mark_healthy, paused_until
from coffeechat.settings import Settings
from coffeechat.store.db import Store
from coffeechat.store.models import OutboxItem

log = structlog.get_logger(__name__)


@dataclass
class RecoveryReport:
    requeued: int = 0
    proven_sent: int = 0
    unknown: int = 0


def worker_name() -> str:
    return f"{socket.gethostname()}:{secrets.token_hex(4)}"


def _rand() -> float:
    return secrets.randbelow(1_000_000) / 1_000_000


def account_id_for(store: Store, settings: Settings) -> int:
    """The account whose outbox this daemon serves (named by the owner's address)."""
    with store.session() as s:
        return store.account(s, settings.owner.email.lower(), settings.owner.email).id


_append_decision: dict[tuple[str, str, str], bool] = {}


def should_append_to_sent(settings: Settings) -> bool:
    """yes / no as configured; auto: not for servers that file sent mail themselves."""
    if settings.imap is None:
        return False
    mode = settings.sending.append_to_sent
    if mode != "auto":
        return mode == "yes"
    smtp_host = settings.smtp.host if settings.smtp else ""
    key = (settings.imap.host, str(settings.imap.effective_port), smtp_host)
    if key not in _append_decision:
        if files_sent_itself(None, settings.imap.host, smtp_host):
            _append_decision[key] = False
        else:
            from coffeechat.adapters.imap.filing import server_files_sent

            try:
                _append_decision[key] = not server_files_sent(settings.imap, smtp_host)
            except ImapError:
                return True  # decide next time; a copy found by Message-ID is never doubled
    return _append_decision[key]


async def send_due(
    store: Store,
    settings: Settings,
    clock: Clock,
    *,
    limit: int = 20,
    account_id: int | None = None,
    worker: str | None = None,
    rand: Callable[[], float] = _rand,
) -> SendReport:
    """Send (or draft) up to ``limit`` rows that are due, then file sent copies in Sent."""
    account = account_id if account_id is not None else account_id_for(store, settings)
    worker = worker or worker_name()
    batch = Batch(store, settings, clock, account, worker, rand)
    until, why = paused_until(store, account, clock.now())
    if until is not None:
        batch.stop_sending = True
        batch.report.paused_until, batch.report.paused_reason = until, why
    ids = claim(store, account, clock.now(), worker, limit)
    batch.report.claimed = len(ids)
    structlog.contextvars.bind_contextvars(account_id=account)
    try:
        for item_id in ids:
            decision, item = batch.prepare(item_id)
            if decision == "cancelled":
                batch.report.cancelled += 1
            elif decision == "deferred":
                batch.report.deferred += 1
            elif decision == "draft":
                batch.to_draft.append(item_id)
            elif decision == "send" and item is not None:
                await batch.send_one(item)
        await batch.draft_all()
    finally:
        await batch.close()
        # rows still claimed by us (an exception above) go back to the queue
        with store.session() as s:
            s.execute(
                update(OutboxItem)
                .where(OutboxItem.lease_owner == worker, OutboxItem.state == OutboxState.CLAIMED)
                .values(state=OutboxState.QUEUED, lease_owner=None, lease_until=None)
            )
        structlog.contextvars.unbind_contextvars("account_id")
    if batch.report.sent:
        mark_healthy(store, account, clock.now())
    batch.report.filed = await file_sent(store, settings, clock, account_id=account)
    return batch.report


async def file_sent(
    store: Store, settings: Settings, clock: Clock, *, account_id: int, limit: int = 200
) -> int:
    """APPEND sent rows to the Sent folder (unless the server does it); returns how many."""
    if settings.imap is None:
        return 0
    append = await asyncio.to_thread(should_append_to_sent, settings)
    if not append:
        return 0
    with store.session() as s:
        rows = list(
            s.execute(
                select(OutboxItem.id, OutboxItem.message_id, OutboxItem.raw)
                .where(OutboxItem.account_id == account_id, OutboxItem.state == OutboxState.SENT)
                .order_by(OutboxItem.sent_at)
                .limit(limit)
            )
        )
    if not rows:
        return 0
    try:
        done = await asyncio.to_thread(
            file_copies, settings.imap, "sent", [(mid, raw) for _i, mid, raw in rows]
        )
    except ImapError as exc:
        done = getattr(exc, "done", {})
        log.warning("sender.file_failed", error=str(exc))
    filed = [i for i, mid, _raw in rows if mid in done]
    if filed:
        with store.session() as s:
            s.execute(
                update(OutboxItem)
                .where(OutboxItem.id.in_(filed), OutboxItem.state == OutboxState.SENT)
                .values(state=OutboxState.FILED)
            )
    return len(filed)


def recover(
    store: Store, settings: Settings, clock: Clock, *, account_id: int | None = None
) -> RecoveryReport:
    """At start-up, before any sending: settle what a crash left behind.

    Claimed rows are requeued (nothing was handed over). A ``sending`` row is looked up by
    Message-ID in Sent; found, it is sent; otherwise it becomes ``unknown`` and the digest asks
    the owner. Assumes no other sender of this account is running (the daemon holds the lock).
    Blocking (one IMAP session); call it before the loop or through ``asyncio.to_thread``.
    """
    account = account_id if account_id is not None else account_id_for(store, settings)
    now = clock.now()
    report = RecoveryReport()
    with store.session() as s:
        result = s.execute(
            update(OutboxItem)
            .where(OutboxItem.account_id == account, OutboxItem.state == OutboxState.CLAIMED)
            .values(state=OutboxState.QUEUED, lease_owner=None, lease_until=None)
        )
        report.requeued = int(getattr(result, "rowcount", 0) or 0)
        sending = list(
            s.scalars(
                select(OutboxItem).where(
                    OutboxItem.account_id == account, OutboxItem.state == OutboxState.SENDING
                )
            )
        )
        # A restart is how the owner applies a fixed password: lift an auth pause.
        lift_auth_pause(s, account)
    if not sending:
        return report
    found: dict[str, bool] = {}
    why = "the process stopped while sending"
    if settings.imap is not None:
        try:
            found = lookup_sent(settings.imap, [i.message_id for i in sending])
        except ImapError as exc:
            why += f"; the Sent folder could not be searched ({exc})"
    with store.session() as s:
        for item in sending:
            row = s.get(OutboxItem, item.id)
            if row is None or row.state != OutboxState.SENDING:
                continue
            if found.get(item.message_id):
                row.state = OutboxState.FILED
                row.sent_at = now
                row.lease_owner = row.lease_until = None
                after_sent(s, row, now)
                report.proven_sent += 1
            else:
                row.state = OutboxState.UNKNOWN
                row.last_error = why
                row.lease_owner = row.lease_until = None
                unknown_event(s, row, now, why)
                report.unknown += 1
    log.info(
        "sender.recovered",
        requeued=report.requeued,
        proven_sent=report.proven_sent,
        unknown=report.unknown,
    )
    return report


def outbox_counts(store: Store, account_id: int) -> dict[str, int]:
    """Rows per state (for status and tests)."""
    with store.session() as s:
        rows = s.execute(
            select(OutboxItem.state, func.count(OutboxItem.id))
            .where(OutboxItem.account_id == account_id)
            .group_by(OutboxItem.state)
        )
        return {state: int(n) for state, n in rows}
