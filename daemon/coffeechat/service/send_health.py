"""Whether the account's SMTP sending works, and when it is paused.

A quota or a refused login pauses all sending for the account, and the pause lives in the
``component_health`` row rather than in memory, so that a restart, ``status`` and the digest
see the same thing. The send loop only asks whether sending is paused and reports how it went.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from coffeechat.service.events import record_event
from coffeechat.store.db import Store
from coffeechat.store.models import ComponentHealth

log = structlog.get_logger(__name__)

COMPONENT = "smtp"
AUTH_PAUSE = timedelta(hours=6)


def _health(session: Session, account_id: int) -> ComponentHealth:
    row = session.scalar(
        select(ComponentHealth).where(
            ComponentHealth.account_id == account_id, ComponentHealth.component == COMPONENT
        )
    )
    if row is None:
        row = ComponentHealth(account_id=account_id, component=COMPONENT)
        session.add(row)
        session.flush()
    return row


def paused_until(store: Store, account_id: int, now: datetime) -> tuple[datetime | None, str]:
    """Whether sending is paused (quota, auth) and why."""
    with store.session() as s:
        row = s.scalar(
            select(ComponentHealth).where(
                ComponentHealth.account_id == account_id, ComponentHealth.component == COMPONENT
            )
        )
        if row is not None and row.paused_until is not None and row.paused_until > now:
            return row.paused_until, row.last_error
    return None, ""


def pause(store: Store, account_id: int, now: datetime, until: datetime, why: str) -> None:
    with store.session() as s:
        h = _health(s, account_id)
        h.paused_until = until
        h.last_error = why
        h.failing_since = h.failing_since or now
        record_event(
            s,
            account_id=account_id,
            at=now,
            kind="sender.paused",
            summary=f"Sending is paused until {until:%Y-%m-%d %H:%M} UTC: {why}",
            needs_owner=True,
            next_step=(
                "Fix the password or token in the [smtp] settings and restart coffeechat."
                if "login" in why or "TLS" in why or "certificate" in why
                else "Nothing to do: sending resumes by itself."
            ),
            data={"until": until.isoformat()},
        )
    log.warning("sender.paused", until=until.isoformat(), reason=why)


def mark_healthy(store: Store, account_id: int, now: datetime) -> None:
    with store.session() as s:
        h = _health(s, account_id)
        h.last_ok_at = now
        h.failing_since = None
        if h.paused_until is None:
            h.last_error = ""


def mark_failing(store: Store, account_id: int, now: datetime, why: str) -> None:
    with store.session() as s:
        h = _health(s, account_id)
        h.failing_since = h.failing_since or now
        h.last_error = why


def lift_auth_pause(session: Session, account_id: int) -> None:
    """Lift a pause for a refused login, TLS or certificate (never one for a quota).

    Called by recovery at start-up: a restart is how the owner applies a fixed password.
    """
    h = session.scalar(
        select(ComponentHealth).where(
            ComponentHealth.account_id == account_id, ComponentHealth.component == COMPONENT
        )
    )
    if (
        h is not None
        and h.paused_until is not None
        and "quota" not in h.last_error.lower()
        and any(w in h.last_error for w in ("login", "TLS", "certificate"))
    ):
        h.paused_until = None
