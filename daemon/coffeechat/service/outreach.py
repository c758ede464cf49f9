"""Starting conversations: the owner's ``outreach start`` and referrals a reply named.

Both create the thread if needed and queue its first email; with 3B7, a contact at an
employer already being written to waits, and the employer's plan decides when they start.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from coffeechat.clock import Clock
from coffeechat.domain.states import FINAL, ContactStatus, OutboxState, ThreadState
from coffeechat.service.cadence_calendar import owner_calendar
from coffeechat.service.contact_rules import contact_by_email, contact_stopped
from coffeechat.service.events import record_event
from coffeechat.service.schedule import ScheduleReport, plan_employers, queue_outreach_row
from coffeechat.service.sender import account_id_for
from coffeechat.settings import Cadence, Settings
from coffeechat.store.db import Store
from coffeechat.store.models import Contact, OutboxItem, Thread


@dataclass
class OutreachReport:
    queued: list[str] = field(default_factory=list)  # addresses
    waiting: list[str] = field(default_factory=list)  # 3B7: their turn comes later
    refused: list[str] = field(default_factory=list)  # messages for the owner
    skipped: list[str] = field(default_factory=list)


def queue_outreach(
    store: Store,
    settings: Settings,
    clock: Clock,
    emails: Sequence[str] | None = None,
    *,
    all_new: bool = False,
    force: bool = False,
    account_id: int | None = None,
) -> OutreachReport:
    """``coffeechat outreach start``: queue the first email to these contacts (or all new ones).

    Unsubscribed or bounced contacts are refused with a message unless ``force``; with 3B7,
    contacts at an employer already being written to wait for their turn.
    """
    account = account_id if account_id is not None else account_id_for(store, settings)
    report = OutreachReport()
    owner_cal = owner_calendar(settings)
    with store.session() as s:
        if all_new:
            contacts = list(
                s.scalars(
                    select(Contact)
                    .where(Contact.account_id == account, Contact.status == ContactStatus.NEW)
                    .order_by(Contact.created_at, Contact.id)
                )
            )
        else:
            contacts = []
            for addr in emails or ():
                c = contact_by_email(s, addr, account)
                if c is None:
                    report.refused.append(f"{addr}: no such contact; add it first")
                else:
                    contacts.append(c)
        employers: set[str] = set()
        for c in contacts:
            if contact_stopped(c):
                if not force:
                    why = (
                        "asked not to be contacted"
                        if c.do_not_contact or (c.status == ContactStatus.UNSUBSCRIBED)
                        else f"is marked {c.status}"
                    )
                    report.refused.append(
                        f"{c.email} {why}; not writing to them (use --force to override)"
                    )
                    continue
                c.do_not_contact = False
                c.status = ContactStatus.NEW
                record_event(
                    s,
                    account_id=account,
                    at=clock.now(),
                    kind="contact.forced",
                    summary=f"You chose to write to {c.email} again despite the earlier stop",
                    contact_id=c.id,
                )
            thread = s.scalar(
                select(Thread)
                .where(Thread.contact_id == c.id, Thread.state.not_in([str(x) for x in FINAL]))
                .order_by(Thread.id.desc())
            )
            if thread is not None and thread.state != ThreadState.NEW:
                report.skipped.append(f"{c.email}: already {thread.state}")
                continue
            if thread is None:
                thread = Thread(
                    account_id=account,
                    contact_id=c.id,
                    state=ThreadState.NEW,
                    employer_key=c.company.strip().lower(),
                )
                s.add(thread)
                s.flush()
            if settings.schedule.cadence is Cadence.THREE_B_SEVEN and thread.employer_key:
                thread.state = ThreadState.OUTREACH_QUEUED  # the plan decides when
                employers.add(thread.employer_key)
                report.waiting.append(c.email)
                continue
            item = queue_outreach_row(s, settings, clock, owner_cal, thread, clock.now())
            if item.state == OutboxState.HELD:
                report.refused.append(f"{c.email}: {item.last_error}")
            else:
                report.queued.append(c.email)
        if employers:
            sched = ScheduleReport()
            s.flush()
            plan_employers(s, settings, clock, account, owner_cal, sched, keys=employers)
            started = {k.split(":")[1] for k in sched.queued if ":outreach:" in k}
            for t in s.scalars(select(Thread).where(Thread.id.in_([int(x) for x in started]))):
                email_addr = t.contact.email
                if email_addr in report.waiting:
                    report.waiting.remove(email_addr)
                    report.queued.append(email_addr)
    return report


def queue_referral(
    session: Session,
    settings: Settings,
    clock: Clock,
    *,
    account_id: int,
    referrer_id: int,
    email_addr: str,
    name: str = "",
    company: str = "",
    role: str = "",
    how_found: str = "",
) -> OutboxItem | None:
    """A reply named someone to talk to: add them (referred_by the replier) and queue a
    referral outreach naming the referrer. None when that person must not be written to."""
    addr = email_addr.strip().lower()
    contact = contact_by_email(session, addr, account_id)
    if contact is None:
        contact = Contact(
            account_id=account_id,
            email=addr,
            name=name,
            company=company,
            role=role,
            how_found=how_found,
            referred_by_id=referrer_id,
        )
        session.add(contact)
        session.flush()
    elif contact.referred_by_id is None:
        contact.referred_by_id = referrer_id
    if contact_stopped(contact):
        return None
    thread = session.scalar(
        select(Thread).where(Thread.contact_id == contact.id).order_by(Thread.id.desc())
    )
    if thread is not None and thread.state not in (ThreadState.NEW, ThreadState.OUTREACH_QUEUED):
        return None
    if thread is None:
        thread = Thread(
            account_id=account_id,
            contact_id=contact.id,
            state=ThreadState.NEW,
            employer_key=contact.company.strip().lower(),
        )
        session.add(thread)
        session.flush()
    return queue_outreach_row(
        session, settings, clock, owner_calendar(settings), thread, clock.now()
    )
