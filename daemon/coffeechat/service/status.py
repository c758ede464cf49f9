"""`coffeechat status`: where every contact stands, what is booked, what is due."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from coffeechat.clock import Clock
from coffeechat.domain.states import MeetingStatus, OutboxState
from coffeechat.settings import Settings
from coffeechat.store.db import Store
from coffeechat.store.models import ComponentHealth, Contact, Event, Meeting, OutboxItem, Thread

OPEN_OUTBOX = (OutboxState.QUEUED, OutboxState.CLAIMED, OutboxState.SENDING, OutboxState.HELD)


def pipeline_status(
    store: Store, account_id: int, settings: Settings, clock: Clock
) -> dict[str, Any]:
    now = clock.now()
    zone = settings.owner.zone
    with store.session() as s:
        contacts = dict(
            s.execute(
                select(Contact.status, func.count())
                .where(Contact.account_id == account_id)
                .group_by(Contact.status)
            ).all()
        )
        threads = dict(
            s.execute(
                select(Thread.state, func.count())
                .where(Thread.account_id == account_id)
                .group_by(Thread.state)
            ).all()
        )
        meetings = s.execute(
            select(Meeting, Contact)
            .join(Contact, Contact.id == Meeting.contact_id)
            .where(
                Meeting.account_id == account_id,
                Meeting.status == MeetingStatus.BOOKED,
                Meeting.end_at >= now,
                Meeting.start_at < now + timedelta(days=14),
            )
            .order_by(Meeting.start_at)
        ).all()
        outbox = dict(
            s.execute(
                select(OutboxItem.state, func.count())
                .where(OutboxItem.account_id == account_id, OutboxItem.state.in_(OPEN_OUTBOX))
                .group_by(OutboxItem.state)
            ).all()
        )
        due_now = s.scalar(
            select(func.count()).where(
                OutboxItem.account_id == account_id,
                OutboxItem.state == OutboxState.QUEUED,
                OutboxItem.due_at <= now,
            )
        )
        unknown = s.scalar(
            select(func.count()).where(
                OutboxItem.account_id == account_id, OutboxItem.state == OutboxState.UNKNOWN
            )
        )
        needs_owner = s.scalar(
            select(func.count()).where(
                Event.account_id == account_id,
                Event.needs_owner.is_(True),
                Event.resolved_at.is_(None),
            )
        )
        health = s.scalars(
            select(ComponentHealth).where(ComponentHealth.account_id == account_id)
        ).all()
    return {
        "now": now.astimezone(zone).isoformat(),
        "contacts_by_status": contacts,
        "threads_by_state": threads,
        "meetings_ahead": [
            {
                "start": m.start_at.astimezone(zone).isoformat(),
                "end": m.end_at.astimezone(zone).isoformat(),
                "contact": c.email,
                "name": c.name,
                "location": m.location,
            }
            for m, c in meetings
        ],
        "outbox": {**outbox, "due_now": due_now or 0, "unknown": unknown or 0},
        "needs_owner": needs_owner or 0,
        "health": {
            h.component: {
                "last_ok_at": h.last_ok_at.isoformat() if h.last_ok_at else None,
                "failing_since": h.failing_since.isoformat() if h.failing_since else None,
                "last_error": h.last_error or None,
                "paused_until": h.paused_until.isoformat() if h.paused_until else None,
            }
            for h in health
        },
    }


def render_status(data: dict[str, Any]) -> str:
    lines = [f"coffeechat status at {data['now']}"]
    contacts = data["contacts_by_status"]
    lines.append(
        "contacts: "
        + (", ".join(f"{k} {v}" for k, v in sorted(contacts.items())) if contacts else "none yet")
    )
    threads = data["threads_by_state"]
    if threads:
        lines.append("threads:  " + ", ".join(f"{k} {v}" for k, v in sorted(threads.items())))
    if data["meetings_ahead"]:
        lines.append("meetings ahead:")
        for m in data["meetings_ahead"]:
            where = f" @ {m['location']}" if m["location"] else ""
            lines.append(f"  {m['start']}  {m['name']} <{m['contact']}>{where}")
    else:
        lines.append("meetings ahead: none in the next 14 days")
    out = data["outbox"]
    lines.append(
        f"outbox:   {out['due_now']} due now, "
        + ", ".join(f"{k} {v}" for k, v in sorted(out.items()) if k not in {"due_now"})
    )
    if data["needs_owner"]:
        lines.append(
            f"needs you: {data['needs_owner']} item(s): see the digest (coffeechat digest)"
        )
    for name, h in sorted(data["health"].items()):
        if h["failing_since"]:
            lines.append(f"health:   {name} FAILING since {h['failing_since']}: {h['last_error']}")
        elif h["paused_until"]:
            lines.append(f"health:   {name} paused until {h['paused_until']}: {h['last_error']}")
        else:
            lines.append(f"health:   {name} ok, last success {h['last_ok_at'] or 'never'}")
    return "\n".join(lines)
