"""The audit log: one way to write an Event row, which the digest and `status` read back.

Every service module records what it did here, inside the transaction that did it, so an
event exists exactly when its change was committed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from coffeechat.store.models import Event

SUMMARY_LIMIT = 2000


def record_event(
    session: Session,
    *,
    account_id: int,
    at: datetime,
    kind: str,
    summary: str,
    needs_owner: bool = False,
    next_step: str = "",
    thread_id: int | None = None,
    contact_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> Event:
    """Add an event to the session (committed with the caller's unit of work)."""
    event = Event(
        account_id=account_id,
        at=at,
        kind=kind,
        summary=summary[:SUMMARY_LIMIT],
        needs_owner=needs_owner,
        next_step=next_step,
        thread_id=thread_id,
        contact_id=contact_id,
        data=data or {},
    )
    session.add(event)
    return event
