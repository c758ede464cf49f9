"""The digest's store queries for meetings, since-last, pipeline, weeks and health.

Each reads one section of :class:`~coffeechat.domain.digest.DigestData` with indexed queries;
kept apart from the rendering and queueing so the SQL reads (and can be tuned) on its own.
The Needs-you queries are in :mod:`coffeechat.service.digest_needs_queries`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session, aliased

from coffeechat.domain import digest as d
from coffeechat.domain.states import (
    AWAITING_REPLY,
    ContactStatus,
    MeetingStatus,
    OutboxKind,
    OutboxState,
    ThreadState,
)
from coffeechat.settings import Settings
from coffeechat.store.models import (
    ComponentHealth,
    Contact,
    Meeting,
    Message,
    OutboxItem,
    Thread,
)

#: Each list in the digest stops here and says how many more there are.
LIST_LIMIT = 25
SENT_STATES = (OutboxState.SENT, OutboxState.FILED)


def person_of(c: Contact | None) -> d.Person | None:
    if c is None:
        return None
    return d.Person(name=c.name, email=c.email, company=c.company, role=c.role)


def meetings(
    s: Session, account_id: int, settings: Settings, now: datetime
) -> tuple[d.MeetingAhead, ...]:
    start, end = d.meetings_window(now, settings.owner.zone)
    referrer = aliased(Contact)
    rows = s.execute(
        select(Meeting, Contact, referrer)
        .join(Contact, Contact.id == Meeting.contact_id)
        .outerjoin(referrer, referrer.id == Contact.referred_by_id)
        .where(
            Meeting.account_id == account_id,
            Meeting.status == MeetingStatus.BOOKED,
            Meeting.start_at >= start,
            Meeting.start_at < end,
        )
        .order_by(Meeting.start_at)
        .limit(LIST_LIMIT)
    ).all()
    out = []
    for m, c, ref in rows:
        person = d.Person(name=c.name, email=c.email, company=c.company, role=c.role)
        out.append(
            d.MeetingAhead(
                person=person,
                start=m.start_at,
                end=m.end_at,
                owner_zone=settings.owner.timezone,
                contact_zone=c.timezone,
                location=m.location or settings.schedule.location,
                how_found=c.how_found,
                notes="\n".join(n for n in (c.notes, m.notes) if n),
                referred_by=(ref.name or ref.email) if ref is not None else "",
                prompts=d.prep_prompts(person, c.how_found),
            )
        )
    return tuple(out)


def since_last(s: Session, account_id: int, since: datetime, now: datetime) -> d.SinceLast:
    replies = []
    # A bounce comes from the mailer daemon: its contact is the thread's.
    for msg, c in s.execute(
        select(Message, Contact)
        .outerjoin(Thread, Thread.id == Message.thread_id)
        .outerjoin(Contact, Contact.id == func.coalesce(Message.contact_id, Thread.contact_id))
        .where(
            Message.account_id == account_id,
            Message.direction == "in",
            Message.received_at >= since,
            Message.received_at < now,
        )
        .order_by(Message.received_at)
        .limit(LIST_LIMIT * 2)
    ).all():
        if msg.received_at is None:
            continue
        outcome, done = d.outcome_of(msg.action, msg.intent, msg.later_until, msg.needs_owner)
        replies.append(
            d.Reply(
                at=msg.received_at,
                person=person_of(c),
                sender=msg.from_addr,
                subject=msg.subject,
                outcome=outcome,
                done=done,
                until=msg.later_until,
            )
        )
    sent = [
        d.Sent(at=item.sent_at, person=person_of(c), kind=item.kind, subject=item.subject)
        for item, c in s.execute(
            select(OutboxItem, Contact)
            .outerjoin(Contact, Contact.id == OutboxItem.contact_id)
            .where(
                OutboxItem.account_id == account_id,
                OutboxItem.kind != OutboxKind.DIGEST,
                OutboxItem.state.in_([str(x) for x in SENT_STATES]),
                OutboxItem.sent_at >= since,
                OutboxItem.sent_at < now,
            )
            .order_by(OutboxItem.sent_at)
            .limit(LIST_LIMIT * 4)
        ).all()
        if item.sent_at is not None
    ]
    return d.SinceLast(
        since=since,
        replies=tuple(replies),
        sent=tuple(sent),
        referrals=_referrals(s, account_id, since, now),
    )


def _referrals(
    s: Session, account_id: int, since: datetime, now: datetime
) -> tuple[d.Referral, ...]:
    """New contacts with a referrer, and referrals the reader found but nobody added yet."""
    referrer = aliased(Contact)
    out: list[d.Referral] = []
    seen: set[str] = set()
    for c, ref in s.execute(
        select(Contact, referrer)
        .join(referrer, referrer.id == Contact.referred_by_id)
        .where(
            Contact.account_id == account_id,
            Contact.created_at >= since,
            Contact.created_at < now,
        )
        .order_by(Contact.created_at)
        .limit(LIST_LIMIT)
    ).all():
        seen.add(c.email)
        out.append(
            d.Referral(person=person_of(c) or d.Person("", c.email), referred_by=person_of(ref))
        )
    for msg, c in s.execute(
        select(Message, Contact)
        .outerjoin(Contact, Contact.id == Message.contact_id)
        .where(
            Message.account_id == account_id,
            Message.direction == "in",
            Message.referral.is_not(None),
            Message.received_at >= since,
            Message.received_at < now,
        )
        .limit(LIST_LIMIT)
    ).all():
        ref_data: dict[str, Any] = msg.referral or {}
        email = str(ref_data.get("email") or "").lower()
        name = str(ref_data.get("name") or "")
        if (not email and not name) or (email and email in seen):
            continue
        seen.add(email)
        out.append(d.Referral(person=d.Person(name=name, email=email), referred_by=person_of(c)))
    return tuple(out)


def pipeline(s: Session, account_id: int, settings: Settings, now: datetime) -> tuple[d.Stage, ...]:
    by_state: dict[str, int] = dict(
        s.execute(
            select(Thread.state, func.count())
            .where(Thread.account_id == account_id)
            .group_by(Thread.state)
        ).all()
    )
    has_thread = exists().where(Thread.contact_id == Contact.id)
    untouched = s.scalar(
        select(func.count()).where(
            Contact.account_id == account_id,
            Contact.status == ContactStatus.NEW,
            Contact.do_not_contact.is_(False),
            ~has_thread,
        )
    )
    sched = settings.schedule
    zone = settings.owner.zone
    waiting = s.execute(
        select(Thread.last_outbound_at, Thread.paused_until).where(
            Thread.account_id == account_id,
            Thread.state.in_([str(x) for x in AWAITING_REPLY]),
            Thread.human_takeover.is_(False),
            Thread.followups_sent < sched.max_followups,
            Thread.last_outbound_at.is_not(None),
        )
    ).all()
    followup_due = sum(
        1
        for last_out, paused in waiting
        if last_out is not None
        and (paused is None or paused <= now)
        and d.add_business_days(
            last_out, sched.followup_after_business_days, zone, sched.weekday_numbers
        )
        <= now
    )
    keep_in_touch_due = s.scalar(
        select(func.count()).where(
            Thread.account_id == account_id,
            Thread.state == ThreadState.THANKED,
            Thread.last_exchange_at <= now - timedelta(days=sched.keep_in_touch_after_days),
        )
    )
    return d.pipeline(
        by_state,
        contacts_without_thread=untouched or 0,
        followup_due=followup_due,
        keep_in_touch_due=keep_in_touch_due or 0,
    )


def weeks(s: Session, account_id: int, now: datetime) -> d.WeekOverWeek:
    def week(start: datetime, end: datetime) -> d.Week:
        in_window = and_(
            Thread.account_id == account_id,
            Thread.first_outbound_at >= start,
            Thread.first_outbound_at < end,
        )
        sent = s.scalar(select(func.count()).where(in_window)) or 0
        replied = (
            s.scalar(
                select(func.count()).where(
                    in_window,
                    Thread.last_inbound_at.is_not(None),
                    Thread.state != ThreadState.BOUNCED,
                )
            )
            or 0
        )
        booked = (
            s.scalar(
                select(func.count()).where(
                    Meeting.account_id == account_id,
                    Meeting.created_at >= start,
                    Meeting.created_at < end,
                )
            )
            or 0
        )
        return d.Week(outreach_sent=sent, replied=replied, meetings_booked=booked)

    this, last = d.week_windows(now)
    return d.WeekOverWeek(this_week=week(*this), last_week=week(*last))


def health(s: Session, account_id: int, settings: Settings) -> tuple[d.Health, ...]:
    rows = {
        h.component: h
        for h in s.scalars(
            select(ComponentHealth).where(ComponentHealth.account_id == account_id)
        ).all()
    }
    configured = {
        "imap": settings.imap is not None,
        "smtp": settings.smtp is not None,
        "caldav": settings.caldav is not None,
    }
    names = list(d.HEALTH_LABELS) + sorted(set(rows) - set(d.HEALTH_LABELS))
    out = []
    for name in names:
        h = rows.get(name)
        out.append(
            d.Health(
                component=name,
                label=d.HEALTH_LABELS.get(name, name.replace("_", " ").capitalize()),
                configured=configured.get(name, True) or h is not None,
                last_ok_at=h.last_ok_at if h else None,
                failing_since=h.failing_since if h else None,
                last_error=h.last_error if h else "",
                paused_until=h.paused_until if h else None,
            )
        )
    return tuple(out)
