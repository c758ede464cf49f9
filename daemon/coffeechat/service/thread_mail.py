"""Render one email in a conversation and put it in the outbox.

Everything that writes to a contact inside a thread (the cadence, replies to their answers,
booking and calendar changes) goes through ``queue_thread_email``: one place builds the
template context, threads the email onto the conversation (In-Reply-To, References) and
enqueues it under its idempotency key. A template or header error holds the row and asks the
owner instead of sending a hole; ``rerender`` tries it again once the template is fixed.
"""

from __future__ import annotations

import base64
import email
import email.policy
from collections.abc import Sequence
from datetime import datetime
from email.message import EmailMessage
from typing import Any

import structlog
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coffeechat.clock import Clock
from coffeechat.domain import cadence
from coffeechat.domain.compose import HeaderValueError, Party, compose, make_message_id, quote
from coffeechat.domain.states import MeetingStatus, OutboxKind, OutboxState
from coffeechat.service.contact_rules import contact_by_email
from coffeechat.service.events import record_event
from coffeechat.service.outbox import enqueue
from coffeechat.settings import Settings
from coffeechat.store.db import Store
from coffeechat.store.models import Contact, Meeting, Message, OutboxItem, Thread
from coffeechat.templating import (
    Rendered,
    TemplateError,
    Templates,
    contact_context,
    meeting_context,
    owner_context,
    sample_contexts,
    slots_context,
    templates_for,
    thread_context,
)

log = structlog.get_logger(__name__)

OUTREACH_KINDS = (OutboxKind.OUTREACH, OutboxKind.REFERRAL_OUTREACH)
#: How ``queue_thread_email`` starts the reason of a row held for a template or header error.
HELD_PREFIX = "held: "


# ---------------------------------------------------------------- context


def _text_of(raw: bytes) -> str:
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    body = parsed.get_body(preferencelist=("plain",))
    return str(body.get_content()) if body is not None else ""


def _first_email(session: Session, thread_id: int) -> OutboxItem | None:
    return session.scalar(
        select(OutboxItem)
        .where(
            OutboxItem.thread_id == thread_id,
            OutboxItem.kind.in_([str(k) for k in OUTREACH_KINDS]),
            OutboxItem.state.in_(
                [OutboxState.SENT, OutboxState.FILED, OutboxState.DRAFTED, OutboxState.UNKNOWN]
            ),
        )
        .order_by(OutboxItem.id)
    )


def latest_meeting(session: Session, thread_id: int) -> Meeting | None:
    """The thread's meeting starting last, not counting cancelled ones."""
    return session.scalar(
        select(Meeting)
        .where(Meeting.thread_id == thread_id, Meeting.status != MeetingStatus.CANCELLED)
        .order_by(Meeting.start_at.desc())
    )


def build_context(
    session: Session,
    settings: Settings,
    contact: Contact,
    thread: Thread | None,
    *,
    meeting: Meeting | None = None,
    slots: Sequence[tuple[datetime, datetime]] = (),
    notes: str | None = None,
    followup_number: int = 0,
) -> dict[str, Any]:
    """Everything a template may name (see templates/README.md)."""
    owner_zone = settings.owner.zone
    contact_zone = cadence.zone_or(contact.timezone, owner_zone) if contact.timezone else None
    referrer = session.get(Contact, contact.referred_by_id) if contact.referred_by_id else None
    first_sent = quoted = ""
    if thread is not None:
        first = _first_email(session, thread.id)
        if first is not None:
            when = first.sent_at or first.created_at
            local = when.astimezone(owner_zone)
            first_sent = f"{local:%A} {local.day} {local:%B} {local.year}"
            quoted = quote(_text_of(first.raw))
        if meeting is None:
            meeting = latest_meeting(session, thread.id)
    if notes is None:
        notes = meeting.notes.strip() if meeting is not None else ""
    return {
        "owner": owner_context(settings.owner.name, settings.owner.email, settings.owner.signature),
        "contact": contact_context(
            name=contact.name,
            email=contact.email,
            company=contact.company,
            role=contact.role,
            how_found=contact.how_found,
            referred_by=referrer.name if referrer is not None else "",
        ),
        "thread": thread_context(
            subject=thread.subject if thread is not None else "",
            first_sent=first_sent,
            first_email_quoted=quoted,
        ),
        "meeting": meeting_context(
            meeting.start_at if meeting else None,
            meeting.end_at if meeting else None,
            location=(meeting.location if meeting and meeting.location else "")
            or settings.schedule.location,
            owner_zone=owner_zone,
            contact_zone=contact_zone,
        )
        | ({"minutes": settings.schedule.meeting_minutes} if meeting is None else {}),
        "slots": slots_context(slots, owner_zone=owner_zone, contact_zone=contact_zone),
        "notes": notes,
        "followup_number": followup_number,
    }


def thread_references(session: Session, thread_id: int) -> list[str]:
    """Message-IDs of the thread, oldest first: In-Reply-To is the last, References all."""
    at = func.coalesce(Message.sent_at, Message.received_at, Message.created_at)
    seen = [
        mid
        for mid in session.scalars(
            select(Message.message_id)
            .where(
                Message.thread_id == thread_id,
                Message.message_id.is_not(None),
                Message.auto_submitted.is_(False),  # never thread onto an auto-reply
            )
            .order_by(at, Message.id)
        )
        if mid
    ]
    for mid in session.scalars(
        select(OutboxItem.message_id)
        .where(
            OutboxItem.thread_id == thread_id,
            OutboxItem.state.in_([OutboxState.SENT, OutboxState.FILED]),
        )
        .order_by(OutboxItem.sent_at, OutboxItem.id)
    ):
        if mid not in seen:
            seen.append(mid)
    return seen[-20:]


# ---------------------------------------------------------------- one email into the outbox


def render_message(
    session: Session,
    settings: Settings,
    *,
    thread: Thread,
    contact: Contact,
    name: str,
    date: datetime,
    message_id: str,
    slots: Sequence[tuple[datetime, datetime]] = (),
    meeting: Meeting | None = None,
    notes: str | None = None,
    followup_number: int = 0,
    in_reply_to: str | None = None,
    extra_parts: Sequence[EmailMessage] = (),
    templates: Templates | None = None,
) -> tuple[EmailMessage, Rendered]:
    """Render ``name`` and compose it as a reply in the thread; raises TemplateError or
    HeaderValueError when the template or a header value is broken. ``templates`` defaults
    to the process's cached set."""
    refs = thread_references(session, thread.id)
    parent = in_reply_to or (refs[-1] if refs else None)
    ctx = build_context(
        session,
        settings,
        contact,
        thread,
        meeting=meeting,
        slots=slots,
        notes=notes,
        followup_number=followup_number,
    )
    rendered = (templates or templates_for(settings.templates.dir)).render(name, ctx)
    msg = compose(
        sender=Party(settings.owner.name, settings.owner.email),
        to=[Party(contact.name, contact.email)],
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        date=date,
        message_id=message_id,
        in_reply_to=parent,
        references=refs,
        extra_parts=extra_parts,
    )
    return msg, rendered


def render_args(
    *,
    slots: Sequence[tuple[datetime, datetime]],
    meeting: Meeting | None,
    notes: str | None,
    followup_number: int,
    in_reply_to: str | None,
    extra_parts: Sequence[EmailMessage],
) -> dict[str, Any]:
    """What ``rerender_held`` needs to render a held email again (JSON for Event.data)."""
    return {
        "slots": [[a.isoformat(), b.isoformat()] for a, b in slots],
        "meeting_id": meeting.id if meeting is not None else None,
        "notes": notes,
        "followup_number": followup_number,
        "in_reply_to": in_reply_to,
        "extra_parts": [
            base64.b64encode(p.as_bytes(policy=email.policy.SMTP)).decode("ascii")
            for p in extra_parts
        ],
    }


def held_event(
    session: Session,
    *,
    thread: Thread,
    contact: Contact,
    kind: str,
    item_id: int,
    name: str,
    error: Exception,
    at: datetime,
    render: dict[str, Any],
) -> None:
    """Ask the owner about a held row, recording what rendering it again needs."""
    record_event(
        session,
        account_id=thread.account_id,
        at=at,
        kind="outbox.held",
        summary=f"The {kind.replace('_', '-')} to {contact.email} is held: {error}",
        needs_owner=True,
        next_step="Fix the template (coffeechat templates check), then release the email.",
        thread_id=thread.id,
        contact_id=contact.id,
        data={"outbox_id": item_id, "template": name, "render": render},
    )


def queue_thread_email(
    session: Session,
    settings: Settings,
    clock: Clock,
    *,
    thread: Thread,
    kind: OutboxKind,
    key: str,
    due_at: datetime | None = None,
    template: str | None = None,
    slots: Sequence[tuple[datetime, datetime]] = (),
    meeting: Meeting | None = None,
    notes: str | None = None,
    followup_number: int = 0,
    in_reply_to: str | None = None,
    extra_parts: Sequence[EmailMessage] = (),
) -> OutboxItem:
    """Render ``template`` (default: the kind's name) for the thread's contact, compose it as a
    reply in the thread, and enqueue it under ``key``. Idempotent on ``key``.

    For the calendar and inbox code too: offer-slots, confirmation (with the text/calendar
    part in ``extra_parts``), reschedule, cancellation. A template or header problem stores
    the row as held and records an event asking the owner (with what ``rerender_held`` needs
    to try again once the template is fixed).
    """
    existing = session.scalar(select(OutboxItem).where(OutboxItem.idempotency_key == key))
    if existing is not None:
        return existing
    now = clock.now()
    when = due_at or now
    contact = session.get(Contact, thread.contact_id)
    assert contact is not None
    name = template or str(kind)
    message_id = make_message_id(settings.owner.email)
    try:
        msg, rendered = render_message(
            session,
            settings,
            thread=thread,
            contact=contact,
            name=name,
            date=max(now, when),
            message_id=message_id,
            slots=slots,
            meeting=meeting,
            notes=notes,
            followup_number=followup_number,
            in_reply_to=in_reply_to,
            extra_parts=extra_parts,
        )
    except (TemplateError, HeaderValueError) as exc:
        reason = f"{HELD_PREFIX}{exc}"
        item = enqueue(
            session,
            account_id=thread.account_id,
            kind=kind,
            key=key,
            message=b"",
            recipients=[contact.email],
            due_at=when,
            message_id=message_id,
            thread_id=thread.id,
            contact_id=contact.id,
            subject="",
            held_reason=reason,
        )
        held_event(
            session,
            thread=thread,
            contact=contact,
            kind=str(kind),
            item_id=item.id,
            name=name,
            error=exc,
            at=now,
            render=render_args(
                slots=slots,
                meeting=meeting,
                notes=notes,
                followup_number=followup_number,
                in_reply_to=in_reply_to,
                extra_parts=extra_parts,
            ),
        )
        log.warning("followups.held", key=key, error=str(exc))
        return item
    item = enqueue(
        session,
        account_id=thread.account_id,
        kind=kind,
        key=key,
        message=msg,
        recipients=[contact.email],
        due_at=when,
        message_id=message_id,
        thread_id=thread.id,
        contact_id=contact.id,
    )
    if kind in OUTREACH_KINDS and not thread.subject:
        thread.subject = rendered.subject
    return item


# ---------------------------------------------------------------- the owner's preview


def preview(
    store: Store, settings: Settings, clock: Clock, name: str, contact_email: str
) -> Rendered:
    """``coffeechat templates preview NAME --contact EMAIL``: render with that contact's data
    (sample slots when none are offered yet)."""
    with store.session() as s:
        contact = contact_by_email(s, contact_email, None)
        if contact is None:
            raise LookupError(f"{contact_email}: no such contact")
        thread = s.scalar(
            select(Thread).where(Thread.contact_id == contact.id).order_by(Thread.id.desc())
        )
        ctx = build_context(s, settings, contact, thread)
        if not ctx["slots"]:
            ctx["slots"] = sample_contexts()[0]["slots"]
        return templates_for(settings.templates.dir).render(name, ctx)
