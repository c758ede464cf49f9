"""Decide what the cadence owes each conversation now, and put it in the outbox.

``schedule_due`` runs in the service loop: follow-ups after business days of silence, the
3B7 routine per employer, thank-yous after meetings, keep-in-touch drafts months later. Each
email is rendered, composed and enqueued in one transaction with an idempotency key
(``thread:{id}:{kind}:{n}``), so running it twice, or after a crash, queues nothing twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from coffeechat.clock import Clock
from coffeechat.domain import cadence
from coffeechat.domain.states import (
    AWAITING_REPLY,
    FINAL,
    MeetingStatus,
    OutboxKind,
    OutboxState,
    ThreadState,
)
from coffeechat.service.cadence_calendar import contact_send_slot, owner_calendar
from coffeechat.service.contact_rules import contact_stopped
from coffeechat.service.followups import next_followup_key, queue_followup
from coffeechat.service.outbox import PENDING, cancel_pending
from coffeechat.service.send_rules import AGREED, human_reply_since
from coffeechat.service.sender import account_id_for
from coffeechat.service.thread_mail import OUTREACH_KINDS, latest_meeting, queue_thread_email
from coffeechat.settings import Cadence, Settings
from coffeechat.store.db import Store
from coffeechat.store.models import Contact, Meeting, OutboxItem, Thread

log = structlog.get_logger(__name__)

#: Thread states the 3B7 plan treats as no longer in play.
_STOPPED = FINAL | {ThreadState.NEEDS_OWNER, ThreadState.LATER, ThreadState.CLOSED}


@dataclass
class ScheduleReport:
    queued: list[str] = field(default_factory=list)  # idempotency keys
    held: list[str] = field(default_factory=list)
    cancelled: int = 0

    def add(self, item: OutboxItem | None) -> None:
        """Count a row just queued (None: nothing was), under ``held`` or ``queued``."""
        if item is not None:
            (self.held if item.state == OutboxState.HELD else self.queued).append(
                item.idempotency_key
            )


def _has_row(session: Session, thread_id: int, kinds: Sequence[str], states: Sequence[str]) -> bool:
    return (
        session.scalar(
            select(OutboxItem.id)
            .where(
                OutboxItem.thread_id == thread_id,
                OutboxItem.kind.in_(list(kinds)),
                OutboxItem.state.in_(list(states)),
            )
            .limit(1)
        )
        is not None
    )


def queue_outreach_row(
    session: Session,
    settings: Settings,
    clock: Clock,
    owner_cal: cadence.WorkCalendar,
    thread: Thread,
    due: datetime,
) -> OutboxItem:
    """Queue the thread's first email (a referral outreach when someone referred the contact)
    at its send slot after ``due``; the thread becomes outreach-queued."""
    contact = thread.contact
    kind = OutboxKind.REFERRAL_OUTREACH if contact.referred_by_id else OutboxKind.OUTREACH
    key = f"thread:{thread.id}:outreach:1"
    thread.state = ThreadState.OUTREACH_QUEUED
    return queue_thread_email(
        session,
        settings,
        clock,
        thread=thread,
        kind=kind,
        key=key,
        due_at=contact_send_slot(settings, owner_cal, contact, due, key),
    )


def schedule_due(
    store: Store, settings: Settings, clock: Clock, *, account_id: int | None = None
) -> ScheduleReport:
    """Queue every cadence email that is due now. Safe to run as often as you like."""
    account = account_id if account_id is not None else account_id_for(store, settings)
    report = ScheduleReport()
    with store.session() as s:
        _schedule(s, settings, clock, account, report)
    if report.queued or report.held:
        log.info("followups.scheduled", queued=len(report.queued), held=len(report.held))
    return report


def _schedule(
    s: Session, settings: Settings, clock: Clock, account: int, report: ScheduleReport
) -> None:
    now = clock.now()
    owner_cal = owner_calendar(settings)
    sched = settings.schedule
    three_b_seven = sched.cadence is Cadence.THREE_B_SEVEN

    # Follow-ups (3B7 employers are planned below). The cheap filters run in SQL; only
    # threads that may be due are loaded. The date bound is conservative: a follow-up is due
    # N business days after the last outbound email at the same local wall time, and N
    # business days span at least N calendar days; the spare day covers a DST shift.
    followup_bound = now - timedelta(days=sched.followup_after_business_days - 1)
    q = select(Thread).where(
        Thread.account_id == account,
        Thread.state.in_([str(x) for x in AWAITING_REPLY]),
        Thread.followups_sent < sched.max_followups,
        Thread.last_outbound_at.is_not(None),
        Thread.last_outbound_at <= followup_bound,
        Thread.human_takeover.is_(False),
    )
    if three_b_seven:
        q = q.where(Thread.employer_key == "")  # 3B7 employers are planned below
    due_followups: list[tuple[Thread, datetime]] = []
    # No ORDER BY: it would steer SQLite to the account index and away from the follow-up one.
    for t in sorted(s.scalars(q), key=lambda x: x.id):
        due = cadence.followup_due(
            t.last_outbound_at,
            t.followups_sent,
            after_business_days=sched.followup_after_business_days,
            max_followups=sched.max_followups,
            cal=owner_cal,
            paused_until=t.paused_until,
        )
        if due is not None and due <= now:
            due_followups.append((t, due))
    queued = _existing_keys(s, [next_followup_key(t) for t, _ in due_followups])
    due_followups = [(t, due) for t, due in due_followups if next_followup_key(t) not in queued]
    contacts = _load_contacts(s, [t.contact_id for t, _ in due_followups])
    for t, due in due_followups:
        if contact_stopped(contacts[t.contact_id]):
            continue
        assert t.last_outbound_at is not None
        if human_reply_since(s, t.id, t.last_outbound_at):
            continue
        report.add(queue_followup(s, settings, clock, owner_cal, t, due))

    if three_b_seven:
        plan_employers(s, settings, clock, account, owner_cal, report, keys=None)

    # Thank-yous: the meeting ended (and was not cancelled), nothing queued yet. A thank-you
    # is due at the first open moment ``thankyou_after_hours`` after the end, never sooner.
    meetings: list[tuple[Meeting, datetime, str]] = []
    for m in sorted(
        s.scalars(
            select(Meeting)
            .join(Thread, Thread.id == Meeting.thread_id)
            .where(
                Meeting.account_id == account,
                Meeting.status != MeetingStatus.CANCELLED,
                Meeting.partstat != "DECLINED",
                Meeting.end_at <= now - timedelta(hours=sched.thankyou_after_hours),
                Thread.state.in_([ThreadState.MEETING_BOOKED, ThreadState.MET]),
            )
        ),
        key=lambda x: x.id,
    ):
        due = cadence.thankyou_due(m.end_at, sched.thankyou_after_hours, owner_cal)
        if due <= now:
            meetings.append((m, due, f"thread:{m.thread_id}:thank_you:{m.id}"))
    queued = _existing_keys(s, [key for _m, _due, key in meetings])
    meetings = [x for x in meetings if x[2] not in queued]
    threads = _load_threads(s, [m.thread_id for m, _due, _key in meetings])
    contacts = _load_contacts(s, [t.contact_id for t in threads.values()])
    for m, due, key in meetings:
        thread = threads[m.thread_id]
        if contact_stopped(contacts[thread.contact_id]):
            continue
        latest = latest_meeting(s, thread.id)
        if latest is None or latest.id != m.id:
            continue
        item = queue_thread_email(
            s,
            settings,
            clock,
            thread=thread,
            kind=OutboxKind.THANK_YOU,
            key=key,
            due_at=due,
            meeting=m,
        )
        report.add(item)

    # Keep in touch: months after the last real exchange, a draft for the owner. Due at the
    # first open moment ``keep_in_touch_after_days`` after the latest mark, never sooner, so
    # a thread with any mark newer than that cannot be due.
    touch_bound = now - timedelta(days=sched.keep_in_touch_after_days)
    marks_cols = (Thread.last_exchange_at, Thread.last_inbound_at, Thread.last_outbound_at)
    touch: list[tuple[Thread, datetime, str]] = []
    for t in sorted(
        s.scalars(
            select(Thread).where(
                Thread.account_id == account,
                Thread.state.in_([ThreadState.THANKED, ThreadState.MET]),
                or_(*(c.is_not(None) for c in marks_cols)),
                *(or_(c.is_(None), c <= touch_bound) for c in marks_cols),
            )
        ),
        key=lambda x: x.id,
    ):
        marks = [x for x in (t.last_exchange_at, t.last_inbound_at, t.last_outbound_at) if x]
        if not marks:
            continue
        last = max(marks)
        due = cadence.keep_in_touch_due(last, sched.keep_in_touch_after_days, owner_cal)
        if due <= now:
            touch.append((t, due, f"thread:{t.id}:keep_in_touch:{last:%Y%m%dT%H%M%S}"))
    queued = _existing_keys(s, [key for _t, _due, key in touch])
    touch = [x for x in touch if x[2] not in queued]
    contacts = _load_contacts(s, [t.contact_id for t, _due, _key in touch])
    for t, due, key in touch:
        if contact_stopped(contacts[t.contact_id]):
            continue
        item = queue_thread_email(
            s, settings, clock, thread=t, kind=OutboxKind.KEEP_IN_TOUCH, key=key, due_at=due
        )
        report.add(item)


_CHUNK = 500  # ids per IN (...) list, well under every database's parameter limit


def _existing_keys(s: Session, keys: Sequence[str]) -> set[str]:
    """Which of these idempotency keys already have an outbox row (any state)."""
    found: set[str] = set()
    for i in range(0, len(keys), _CHUNK):
        chunk = list(keys[i : i + _CHUNK])
        found.update(
            s.scalars(
                select(OutboxItem.idempotency_key).where(OutboxItem.idempotency_key.in_(chunk))
            )
        )
    return found


def _load_contacts(s: Session, ids: Sequence[int]) -> dict[int, Contact]:
    """The contacts with these ids, in one query per chunk (and in the identity map after)."""
    wanted = sorted(set(ids))
    out: dict[int, Contact] = {}
    for i in range(0, len(wanted), _CHUNK):
        out.update(
            (c.id, c)
            for c in s.scalars(select(Contact).where(Contact.id.in_(wanted[i : i + _CHUNK])))
        )
    return out


def _load_threads(s: Session, ids: Sequence[int]) -> dict[int, Thread]:
    wanted = sorted(set(ids))
    out: dict[int, Thread] = {}
    for i in range(0, len(wanted), _CHUNK):
        out.update(
            (t.id, t)
            for t in s.scalars(select(Thread).where(Thread.id.in_(wanted[i : i + _CHUNK])))
        )
    return out


def plan_employers(
    s: Session,
    settings: Settings,
    clock: Clock,
    account: int,
    owner_cal: cadence.WorkCalendar,
    report: ScheduleReport,
    keys: set[str] | None,
) -> None:
    """The 3B7 routine, employer by employer."""
    now = clock.now()
    q = select(Thread).where(
        Thread.account_id == account, Thread.employer_key != "", Thread.state != ThreadState.NEW
    )
    if keys is not None:
        q = q.where(Thread.employer_key.in_(list(keys)))
    by_employer: dict[str, list[Thread]] = defaultdict(list)
    for t in s.scalars(q.order_by(Thread.created_at, Thread.id)):
        by_employer[t.employer_key].append(t)
    outreach = [str(k) for k in OUTREACH_KINDS]
    live = [str(x) for x in (*PENDING, OutboxState.SENDING)]
    for employer, threads in by_employer.items():
        members: list[cadence.EmployerMember] = []
        for order, t in enumerate(threads):
            has_outreach_row = _has_row(
                s, t.id, outreach, [str(x) for x in OutboxState if x != OutboxState.CANCELLED]
            )
            pending_followups = _has_row(s, t.id, [OutboxKind.FOLLOWUP], live)
            members.append(
                cadence.EmployerMember(
                    thread_id=t.id,
                    order=order,
                    outreach_at=t.first_outbound_at,
                    outreach_pending=_has_row(s, t.id, outreach, live),
                    waiting=t.state == ThreadState.OUTREACH_QUEUED and not has_outreach_row,
                    replied=bool(
                        t.first_outbound_at and human_reply_since(s, t.id, t.first_outbound_at)
                    ),
                    agreed=t.state in AGREED,
                    stopped=t.state in _STOPPED or contact_stopped(t.contact),
                    followups=t.followups_sent + (1 if pending_followups else 0),
                )
            )
        if any(m.agreed for m in members):
            for m, t in zip(members, threads, strict=True):
                if m.agreed:
                    continue
                report.cancelled += cancel_pending(
                    s, thread_id=t.id, reason=f"someone at {employer} agreed to talk"
                )
                if m.waiting:
                    t.state = ThreadState.NEW  # not contacted; the owner may start it later
            continue
        steps = cadence.plan_3b7(
            members,
            now,
            owner_cal,
            followup_after_business_days=settings.schedule.followup_after_business_days,
        )
        by_id = {t.id: t for t in threads}
        for step in steps:
            if step.due_at > now:
                continue
            t = by_id[step.thread_id]
            if step.kind == "followup":
                if t.state in AWAITING_REPLY and not t.human_takeover:
                    report.add(queue_followup(s, settings, clock, owner_cal, t, step.due_at))
            else:
                report.add(queue_outreach_row(s, settings, clock, owner_cal, t, step.due_at))
