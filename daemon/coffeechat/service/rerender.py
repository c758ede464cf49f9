"""Render queued emails again: held rows once the template is fixed, thank-yous once notes.

A held row never left, so it keeps its key, Message-ID and due time and only gets new bytes;
a thank-you not yet attempted is replaced so it can quote the meeting notes.
"""

from __future__ import annotations

import base64
import email
import email.policy
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from coffeechat.clock import Clock
from coffeechat.domain.compose import HeaderValueError, message_bytes
from coffeechat.domain.states import MeetingStatus, OutboxKind, OutboxState
from coffeechat.service.contact_rules import contact_by_email
from coffeechat.service.events import record_event
from coffeechat.service.sender import account_id_for
from coffeechat.service.thread_mail import (
    HELD_PREFIX,
    OUTREACH_KINDS,
    held_event,
    queue_thread_email,
    render_args,
    render_message,
)
from coffeechat.settings import Settings
from coffeechat.store.db import Store
from coffeechat.store.models import Contact, Event, Meeting, OutboxItem, Thread
from coffeechat.templating import TemplateError, Templates

log = structlog.get_logger(__name__)


# ---------------------------------------------------------------- thank-you after notes


def record_notes(
    store: Store,
    email_addr: str,
    text: str,
    clock: Clock,
    *,
    settings: Settings | None = None,
    account_id: int | None = None,
) -> str:
    """``coffeechat notes EMAIL "..."``: add to the latest meeting's notes, else the contact's.

    With ``settings``, a thank-you already queued (not yet attempted) is re-rendered with the
    notes so it is specific. Returns where the notes went ("meeting" or "contact").
    """
    text = text.strip()
    with store.session() as s:
        contact = contact_by_email(s, email_addr, account_id)
        if contact is None:
            raise LookupError(f"{email_addr}: no such contact")
        meeting = s.scalar(
            select(Meeting)
            .where(Meeting.contact_id == contact.id, Meeting.status != MeetingStatus.CANCELLED)
            .order_by(Meeting.start_at.desc())
        )
        if meeting is None:
            contact.notes = f"{contact.notes.rstrip()}\n{text}".strip()
            return "contact"
        meeting.notes = f"{meeting.notes.rstrip()}\n{text}".strip()
        if settings is not None:
            _rerender_thank_you(s, settings, clock, meeting)
        return "meeting"


def _rerender_thank_you(s: Session, settings: Settings, clock: Clock, meeting: Meeting) -> None:
    item = s.scalar(
        select(OutboxItem).where(
            OutboxItem.idempotency_key == f"thread:{meeting.thread_id}:thank_you:{meeting.id}",
            OutboxItem.state.in_([OutboxState.QUEUED, OutboxState.HELD]),
            OutboxItem.attempts == 0,
        )
    )
    thread = s.get(Thread, meeting.thread_id)
    if item is None or thread is None:
        return
    key, due, mid = item.idempotency_key, item.due_at, item.message_id
    item.idempotency_key = f"{key}:superseded:{item.id}"
    item.state = OutboxState.CANCELLED
    item.last_error = "re-rendered with the meeting notes"
    s.flush()
    fresh = queue_thread_email(
        s,
        settings,
        clock,
        thread=thread,
        kind=OutboxKind.THANK_YOU,
        key=key,
        due_at=due,
        meeting=meeting,
    )
    log.info(
        "followups.thank_you_rerendered", key=key, old_message_id=mid, message_id=fresh.message_id
    )


# ---------------------------------------------------------------- held rows


#: Kinds whose render arguments can be rebuilt from the key and the thread alone (rows held
#: before the held event recorded them). Others are re-rendered only with a recorded event.
_REBUILDABLE = frozenset(
    {*OUTREACH_KINDS, OutboxKind.FOLLOWUP, OutboxKind.THANK_YOU, OutboxKind.KEEP_IN_TOUCH}
)


def _render_kwargs(
    s: Session, item: OutboxItem, data: dict[str, Any] | None
) -> dict[str, Any] | None:
    """The arguments the held row was first rendered with; None when they cannot be known."""
    if data is not None and isinstance(data.get("render"), dict):
        r = data["render"]
        meeting = s.get(Meeting, r["meeting_id"]) if r.get("meeting_id") else None
        if r.get("meeting_id") and meeting is None:
            return None
        return {
            "name": str(data.get("template") or item.kind),
            "slots": [
                (datetime.fromisoformat(a), datetime.fromisoformat(b))
                for a, b in r.get("slots") or ()
            ],
            "meeting": meeting,
            "notes": r.get("notes"),
            "followup_number": int(r.get("followup_number") or 0),
            "in_reply_to": r.get("in_reply_to"),
            "extra_parts": [
                email.message_from_bytes(base64.b64decode(p), policy=email.policy.default)
                for p in r.get("extra_parts") or ()
            ],
        }
    if item.kind not in _REBUILDABLE:
        return None
    name = str(data.get("template") or item.kind) if data is not None else item.kind
    tail = item.idempotency_key.rsplit(":", 1)[-1]
    kwargs: dict[str, Any] = {"name": name}
    if item.kind == OutboxKind.FOLLOWUP and tail.isdigit():
        kwargs["followup_number"] = int(tail)
    if item.kind == OutboxKind.THANK_YOU and tail.isdigit():
        kwargs["meeting"] = s.get(Meeting, int(tail))
    return kwargs


def rerender_held(
    store: Store, settings: Settings, clock: Clock, *, account_id: int | None = None
) -> list[tuple[int, str]]:
    """Render again every email held for a template or header error, from the current
    templates, and queue it when it renders now. Safe to run on every work pass.

    Only rows ``queue_thread_email`` held (reason starting with ``held: ``, empty bytes) are
    touched; other holds are the owner's. The row keeps its idempotency key, Message-ID and
    due time (it never left, so new bytes are fine). A row that still fails keeps held with
    the new reason (the owner is asked again only when the reason changed). Returns
    ``(outbox id, "queued" | the new held reason)`` for each row that changed.
    """
    account = account_id if account_id is not None else account_id_for(store, settings)
    with store.session() as s:
        ids = list(
            s.scalars(
                select(OutboxItem.id)
                .where(
                    OutboxItem.account_id == account,
                    OutboxItem.state == OutboxState.HELD,
                    OutboxItem.last_error.startswith(HELD_PREFIX, autoescape=True),
                    OutboxItem.thread_id.is_not(None),
                )
                .order_by(OutboxItem.id)
            )
        )
    changed: list[tuple[int, str]] = []
    if not ids:
        return changed
    # Read the files again: the process's cached set still has the broken template.
    fresh = Templates(settings.templates.dir)
    for item_id in ids:
        with store.session() as s:
            outcome = _rerender_one(s, settings, clock, item_id, fresh)
        if outcome is not None:
            changed.append((item_id, outcome))
    if changed:
        log.info(
            "followups.rerendered",
            queued=sum(1 for _i, o in changed if o == OutboxState.QUEUED),
            still_held=sum(1 for _i, o in changed if o != OutboxState.QUEUED),
        )
    return changed


def _rerender_one(
    s: Session, settings: Settings, clock: Clock, item_id: int, templates: Templates
) -> str | None:
    item = s.get(OutboxItem, item_id)
    if (
        item is None
        or item.state != OutboxState.HELD
        or not item.last_error.startswith(HELD_PREFIX)
        or item.raw
        or item.thread_id is None
    ):
        return None
    thread = s.get(Thread, item.thread_id)
    contact = s.get(Contact, item.contact_id) if item.contact_id else None
    if thread is None or contact is None:
        return None
    events = [
        ev
        for ev in s.scalars(
            select(Event)
            .where(Event.thread_id == thread.id, Event.kind == "outbox.held")
            .order_by(Event.id)
        )
        if ev.data.get("outbox_id") == item.id
    ]
    data = events[-1].data if events else None
    kwargs = _render_kwargs(s, item, data)
    if kwargs is None:
        return None
    name = kwargs.pop("name")
    now = clock.now()
    try:
        msg, rendered = render_message(
            s,
            settings,
            thread=thread,
            contact=contact,
            name=name,
            date=max(now, item.due_at),
            message_id=item.message_id,
            templates=templates,
            **kwargs,
        )
    except (TemplateError, HeaderValueError) as exc:
        reason = f"{HELD_PREFIX}{exc}"
        if reason == item.last_error:
            return None
        item.last_error = reason
        for ev in events:
            if ev.resolved_at is None:
                ev.resolved_at = now
        render = (data or {}).get("render") or render_args(
            slots=kwargs.get("slots", ()),
            meeting=kwargs.get("meeting"),
            notes=kwargs.get("notes"),
            followup_number=kwargs.get("followup_number", 0),
            in_reply_to=kwargs.get("in_reply_to"),
            extra_parts=kwargs.get("extra_parts", ()),
        )
        held_event(
            s,
            thread=thread,
            contact=contact,
            kind=item.kind,
            item_id=item.id,
            name=name,
            error=exc,
            at=now,
            render=render,
        )
        log.warning("followups.still_held", key=item.idempotency_key, error=str(exc))
        return reason
    raw = message_bytes(msg)
    result = s.execute(
        update(OutboxItem)
        .where(OutboxItem.id == item.id, OutboxItem.state == OutboxState.HELD)
        .values(
            raw=raw,
            subject=rendered.subject,
            state=OutboxState.QUEUED,
            last_error="",
            lease_owner=None,
            lease_until=None,
        )
        .execution_options(synchronize_session="fetch")
    )
    if not getattr(result, "rowcount", 0):
        return None
    for ev in events:
        if ev.resolved_at is None:
            ev.resolved_at = now
    if item.kind in OUTREACH_KINDS and not thread.subject:
        thread.subject = rendered.subject
    record_event(
        s,
        account_id=item.account_id,
        at=now,
        kind="outbox.rerendered",
        summary=f"The {item.kind.replace('_', '-')} to {contact.email} renders now and is queued",
        thread_id=thread.id,
        contact_id=contact.id,
        data={"outbox_id": item.id, "template": name},
    )
    log.info("followups.rerendered_one", key=item.idempotency_key, message_id=item.message_id)
    return str(OutboxState.QUEUED)
