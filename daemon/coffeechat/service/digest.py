"""The daily digest: read the store, render text and HTML, queue one email a day.

``gather`` turns the store into :class:`~coffeechat.domain.digest.DigestData` with a handful of
indexed queries; the templates under ``templates/digest/`` render it; ``queue_daily_digest``
puts it in the outbox under the key ``digest:{account}:{local date}``, so however often the
daemon restarts at the send minute the owner gets one a day. The sender delivers it like any
other email.

This module holds those entry points; the queries are in ``digest_queries`` and
``digest_needs_queries``, the rendering in ``digest_render`` (re-exported here).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from email.message import EmailMessage

import structlog
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from coffeechat.clock import Clock
from coffeechat.domain import digest as d
from coffeechat.domain.compose import make_message_id
from coffeechat.domain.states import OutboxKind, OutboxState
from coffeechat.service import digest_needs_queries, digest_queries
from coffeechat.service.digest_render import (
    RenderedDigest,
    allowed_links,
    build_digest_message,
    digest_as_text,
    render_digest,
)
from coffeechat.service.outbox import enqueue
from coffeechat.settings import Settings
from coffeechat.store.db import Store
from coffeechat.store.models import OutboxItem

log = structlog.get_logger(__name__)

#: Digest rows that count as "a digest went out" for the since-last window.
_DIGEST_DONE = (
    OutboxState.QUEUED,
    OutboxState.CLAIMED,
    OutboxState.SENDING,
    OutboxState.SENT,
    OutboxState.FILED,
    OutboxState.DRAFTED,
    OutboxState.UNKNOWN,
)


# ------------------------------------------------------------------ gather


def gather(store: Store, account_id: int, settings: Settings, now: datetime) -> d.DigestData:
    """Everything the digest says, read in one transaction."""
    with store.session() as s:
        since = d.since_last_start(now, _last_digest_at(s, account_id, now))
        return d.DigestData(
            owner_name=settings.owner.name,
            owner_email=settings.owner.email,
            owner_zone=settings.owner.timezone,
            now=now,
            needs_you=digest_needs_queries.needs_you(s, account_id, settings, now),
            meetings=digest_queries.meetings(s, account_id, settings, now),
            since_last=digest_queries.since_last(s, account_id, since, now),
            pipeline=digest_queries.pipeline(s, account_id, settings, now),
            weeks=digest_queries.weeks(s, account_id, now),
            health=digest_queries.health(s, account_id, settings),
        )


def _last_digest_at(s: Session, account_id: int, now: datetime) -> datetime | None:
    return s.scalar(
        select(func.max(OutboxItem.due_at)).where(
            OutboxItem.account_id == account_id,
            OutboxItem.kind == OutboxKind.DIGEST,
            OutboxItem.state.in_([str(x) for x in _DIGEST_DONE]),
            OutboxItem.due_at < now,
        )
    )


# ------------------------------------------------------------------ queue


def _account_id(store: Store, settings: Settings) -> int:
    with store.session() as s:
        return store.account(s, settings.owner.email.lower(), settings.owner.email).id


def queue_daily_digest(store: Store, settings: Settings, clock: Clock) -> bool:
    """Queue today's digest if it is due and not yet queued; True when this call queued it.

    The outbox key is per local date, so a second process (or a restart at the send minute)
    finds the row and does nothing. A day with nothing to say gets a cancelled row instead,
    unless ``digest_always``: the decision is made once, and the next digest still covers
    everything since the last one sent.
    """
    now = clock.now()
    zone = settings.owner.zone
    account_id = _account_id(store, settings)
    today = now.astimezone(zone).date()
    key = d.digest_key(account_id, today)
    with store.session() as s:
        if s.scalar(select(OutboxItem.id).where(OutboxItem.idempotency_key == key)) is not None:
            return False
    if d.digest_due(now, settings.schedule.digest_time, zone, None) is None:
        return False
    data = gather(store, account_id, settings, now)
    skip = data.is_empty and not settings.schedule.digest_always
    queued = _enqueue(store, settings, account_id, key, data, now, skip=skip)
    log.info("digest.queued" if queued and not skip else "digest.skipped", key=key, empty=skip)
    return queued and not skip


def send_digest_now(store: Store, settings: Settings, clock: Clock) -> int:
    """`coffeechat digest --send`: queue a digest now, whatever the schedule; the outbox id."""
    now = clock.now()
    account_id = _account_id(store, settings)
    data = gather(store, account_id, settings, now)
    key = f"digest:{account_id}:manual:{now.isoformat(timespec='seconds')}"
    _enqueue(store, settings, account_id, key, data, now, skip=False)
    with store.session() as s:
        found = s.scalar(select(OutboxItem.id).where(OutboxItem.idempotency_key == key))
    assert found is not None
    return found


def _enqueue(
    store: Store,
    settings: Settings,
    account_id: int,
    key: str,
    data: d.DigestData,
    now: datetime,
    *,
    skip: bool,
) -> bool:
    message_id = make_message_id(settings.owner.email)
    msg = build_digest_message(data, settings, now, message_id=message_id)
    try:
        return _insert(store, settings, account_id, key, msg, message_id, now, skip=skip)
    except OperationalError:
        # SQLite: another process wrote the row after this transaction's snapshot began.
        with store.session() as s:
            if s.scalar(select(OutboxItem.id).where(OutboxItem.idempotency_key == key)):
                return False
        raise


def _insert(
    store: Store,
    settings: Settings,
    account_id: int,
    key: str,
    msg: EmailMessage,
    message_id: str,
    now: datetime,
    *,
    skip: bool,
) -> bool:
    with store.session() as s:
        row = enqueue(
            s,
            account_id=account_id,
            kind=OutboxKind.DIGEST,
            key=key,
            message=msg,
            recipients=[settings.owner.email],
            due_at=now,
            message_id=message_id,
        )
        mine = row.message_id == message_id
        if mine and skip:
            row.state = OutboxState.CANCELLED
            row.last_error = "nothing to say today (digest_always = false)"
    return mine


# ------------------------------------------------------------------ the CLI


def render_digest_for_cli(store: Store, settings: Settings, clock: Clock) -> RenderedDigest:
    """`coffeechat digest --print` / `--html FILE`: the digest as it would go out now."""
    now = clock.now()
    return render_digest(gather(store, _account_id(store, settings), settings, now), settings)


__all__: Sequence[str] = (
    "RenderedDigest",
    "allowed_links",
    "build_digest_message",
    "digest_as_text",
    "gather",
    "queue_daily_digest",
    "render_digest",
    "render_digest_for_cli",
    "send_digest_now",
)
