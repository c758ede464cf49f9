"""Which thread a recorded message joins, and what it changes there.

Most threading is decided from headers (``inbox_plan``); these are the cases that need the
store at recording time: a reply from a known contact that names no message of ours joins
their latest thread, a bounce names our message only in its body, and mail the owner wrote by
hand starts a thread or, inside one coffeechat runs, takes it over.
"""

from __future__ import annotations

import re
from datetime import datetime

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from coffeechat.adapters.imap import sync
from coffeechat.adapters.imap.sync import Body
from coffeechat.clock import Clock
from coffeechat.domain.states import ContactStatus, ThreadState
from coffeechat.service.contact_directory import ContactRef
from coffeechat.service.events import record_event
from coffeechat.service.inbox_plan import IN_LIST, Plan
from coffeechat.store.models import Contact, Message, OutboxItem, Thread

log = structlog.get_logger(__name__)

_BODY_MSGID = re.compile(rb"<([^<>\s@]{1,200}@[^<>\s]{1,200})>")


def later(current: datetime | None, new: datetime) -> datetime:
    return new if current is None or new > current else current


def latest_thread(s: Session, account_id: int, contact_id: int) -> Thread | None:
    return s.scalar(
        select(Thread)
        .where(Thread.account_id == account_id, Thread.contact_id == contact_id)
        .order_by(Thread.id.desc())
        .limit(1)
    )


def thread_bounce(s: Session, account_id: int, plan: Plan, body: Body) -> Plan:
    """A DSN names our message only in its body: look for a Message-ID we sent."""
    ids = list(dict.fromkeys(m.decode("utf-8", "replace") for m in _BODY_MSGID.findall(body.raw)))
    for part in sync.batched(ids[:200], IN_LIST):
        hit = s.execute(
            select(OutboxItem.thread_id, OutboxItem.contact_id)
            .where(OutboxItem.account_id == account_id)
            .where(OutboxItem.message_id.in_(part), OutboxItem.thread_id.is_not(None))
            .limit(1)
        ).first()
        if hit is None:
            hit = s.execute(
                select(Message.thread_id, Message.contact_id)
                .where(Message.account_id == account_id, Message.direction == "out")
                .where(Message.message_id.in_(part), Message.thread_id.is_not(None))
                .limit(1)
            ).first()
        if hit is not None:
            contact = s.get(Contact, hit[1]) if hit[1] else None
            ref = (
                ContactRef(
                    contact.id, contact.email, contact.name, contact.company, contact.created_at
                )
                if contact
                else None
            )
            return Plan(plan.info, plan.env, "inbound", hit[0], ref, matched_by="bounce")
    return plan


def owner_wrote(
    s: Session, account_id: int, clock: Clock, plan: Plan, row: Message, when: datetime
) -> None:
    """The owner wrote by hand: start or continue the contact's thread; inside a thread
    coffeechat runs, that is a takeover and automatic follow-ups stop."""
    thread = s.get(Thread, plan.thread_id) if plan.thread_id else None
    if thread is None and plan.contact is not None:
        thread = latest_thread(s, account_id, plan.contact.id)
    if thread is None:
        assert plan.contact is not None
        contact = s.get(Contact, plan.contact.id)
        thread = Thread(
            account_id=account_id,
            contact_id=plan.contact.id,
            state=ThreadState.OUTREACH_SENT,
            subject=plan.env.subject,
            employer_key=(contact.company if contact else "").strip().lower()[:200],
            first_outbound_at=when,
            last_outbound_at=when,
            last_exchange_at=when,
        )
        s.add(thread)
        s.flush()
        if contact is not None and contact.status == ContactStatus.NEW:
            contact.status = ContactStatus.ACTIVE
        log.info("thread started by hand", thread=thread.id, contact=plan.contact.id)
    else:
        run_by_us = s.scalar(
            select(OutboxItem.id).where(OutboxItem.thread_id == thread.id).limit(1)
        )
        if run_by_us is not None and not thread.human_takeover:
            thread.human_takeover = True
            record_event(
                s,
                account_id=account_id,
                at=clock.now(),
                kind="human_takeover",
                thread_id=thread.id,
                contact_id=thread.contact_id,
                summary="you wrote in this thread by hand: automatic follow-ups stop",
            )
            log.info("human takeover", thread=thread.id)
        if thread.state in (ThreadState.NEW, ThreadState.OUTREACH_QUEUED) and run_by_us is None:
            thread.state = ThreadState.OUTREACH_SENT
        thread.first_outbound_at = thread.first_outbound_at or when
        thread.last_outbound_at = later(thread.last_outbound_at, when)
        thread.last_exchange_at = later(thread.last_exchange_at, when)
    row.thread_id = thread.id
    row.contact_id = thread.contact_id
