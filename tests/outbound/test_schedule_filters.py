"""The scheduler's SQL pre-filters change no decision.

``schedule_due`` narrows threads and meetings in SQL (follow-ups left, a conservative date
bound) before the exact business-day arithmetic. Here a store full of edge cases (bounds a
minute either side, a DST change, pauses, stopped contacts, missing marks) is scheduled, and
the keys queued must equal what the plain rule, applied to every row in Python, decides.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from coffeechat.clock import FixedClock
from coffeechat.domain import cadence
from coffeechat.domain.states import AWAITING_REPLY, ContactStatus, MeetingStatus, ThreadState
from coffeechat.service import contact_rules, schedule, thread_mail
from coffeechat.service.send_rules import human_reply_since
from coffeechat.settings import Settings
from coffeechat.store.db import Store
from coffeechat.store.models import Contact, Meeting, Message, Thread

from .conftest import OWNER, account_of, make_settings

# Monday 9 March 2026, 11:00 in New York: the day after the spring DST change.
NOW = datetime(2026, 3, 9, 15, 0, tzinfo=UTC)


def _expected(store: Store, settings: Settings, account: int) -> set[str]:
    """Every cadence decision the unfiltered rule makes (the pre-optimisation loops)."""
    sched = settings.schedule
    cal = cadence.WorkCalendar.from_settings(sched, settings.owner.zone)
    stopped = contact_rules.contact_stopped
    keys: set[str] = set()
    with store.session() as s:
        for t in s.scalars(
            select(Thread).where(
                Thread.account_id == account,
                Thread.state.in_([str(x) for x in AWAITING_REPLY]),
                Thread.human_takeover.is_(False),
            )
        ):
            due = cadence.followup_due(
                t.last_outbound_at,
                t.followups_sent,
                after_business_days=sched.followup_after_business_days,
                max_followups=sched.max_followups,
                cal=cal,
                paused_until=t.paused_until,
            )
            if due is None or due > NOW or stopped(t.contact):
                continue
            assert t.last_outbound_at is not None
            if not human_reply_since(s, t.id, t.last_outbound_at):
                keys.add(f"thread:{t.id}:followup:{t.followups_sent + 1}")
        for m in s.scalars(
            select(Meeting)
            .join(Thread, Thread.id == Meeting.thread_id)
            .where(
                Meeting.account_id == account,
                Meeting.status != MeetingStatus.CANCELLED,
                Meeting.partstat != "DECLINED",
                Meeting.end_at <= NOW,
                Thread.state.in_([ThreadState.MEETING_BOOKED, ThreadState.MET]),
            )
        ):
            thread = s.get(Thread, m.thread_id)
            assert thread is not None
            latest = thread_mail.latest_meeting(s, thread.id)
            if stopped(thread.contact) or latest is None or latest.id != m.id:
                continue
            if cadence.thankyou_due(m.end_at, sched.thankyou_after_hours, cal) <= NOW:
                keys.add(f"thread:{thread.id}:thank_you:{m.id}")
        for t in s.scalars(
            select(Thread).where(
                Thread.account_id == account,
                Thread.state.in_([ThreadState.THANKED, ThreadState.MET]),
            )
        ):
            marks = [x for x in (t.last_exchange_at, t.last_inbound_at, t.last_outbound_at) if x]
            if not marks or stopped(t.contact):
                continue
            last = max(marks)
            if cadence.keep_in_touch_due(last, sched.keep_in_touch_after_days, cal) <= NOW:
                keys.add(f"thread:{t.id}:keep_in_touch:{last:%Y%m%dT%H%M%S}")
    return keys


def _populate(store: Store, settings: Settings, account: int, rng: random.Random) -> None:
    sched = settings.schedule
    cal = cadence.WorkCalendar.from_settings(sched, settings.owner.zone)
    # Instants right at each rule's edge, plus a spread around it.
    fu_edge = NOW - timedelta(days=sched.followup_after_business_days + 2)
    kit_edge = NOW - timedelta(days=sched.keep_in_touch_after_days)
    ty_edge = NOW - timedelta(hours=sched.thankyou_after_hours)

    def near(edge: datetime, spread_days: float) -> datetime:
        pick = rng.random()
        if pick < 0.3:
            return edge + timedelta(minutes=rng.choice([-61, -1, 0, 1, 61]))
        return edge + timedelta(days=rng.uniform(-spread_days, spread_days))

    with store.session() as s:
        for i in range(240):
            c = Contact(
                account_id=account,
                email=f"p{i}@example.com",
                name=f"Person {i}",
                timezone=rng.choice([None, "Europe/London", "Asia/Tokyo"]),
                status=rng.choice(
                    [ContactStatus.ACTIVE] * 6 + [ContactStatus.UNSUBSCRIBED, ContactStatus.BOUNCED]
                ),
                do_not_contact=rng.random() < 0.05,
            )
            s.add(c)
            s.flush()
            kind = i % 3
            t = Thread(account_id=account, contact_id=c.id, subject=f"Hello {i}")
            if kind == 0:  # waiting for a reply
                t.state = rng.choice(sorted(AWAITING_REPLY))
                t.followups_sent = rng.choice([0, 0, 0, 1, 2])
                t.human_takeover = rng.random() < 0.1
                last = near(fu_edge, 6) if rng.random() < 0.95 else None
                t.last_outbound_at = last
                t.first_outbound_at = last
                if rng.random() < 0.15:
                    t.paused_until = NOW + timedelta(days=rng.uniform(-3, 3))
                s.add(t)
                s.flush()
                if last is not None and rng.random() < 0.1:
                    s.add(
                        Message(
                            account_id=account,
                            thread_id=t.id,
                            contact_id=c.id,
                            message_id=f"reply{i}@example.com",
                            content_hash=f"h{i}",
                            direction="in",
                            received_at=last + timedelta(days=1),
                        )
                    )
            elif kind == 1:  # met or thanked: keep in touch
                t.state = rng.choice([ThreadState.THANKED, ThreadState.MET, ThreadState.CLOSED])
                t.last_exchange_at = near(kit_edge, 10) if rng.random() < 0.8 else None
                t.last_inbound_at = near(kit_edge, 10) if rng.random() < 0.6 else None
                t.last_outbound_at = near(kit_edge, 10) if rng.random() < 0.6 else None
                s.add(t)
            else:  # a meeting: thank-you
                t.state = rng.choice([ThreadState.MEETING_BOOKED, ThreadState.MET])
                s.add(t)
                s.flush()
                for k in range(rng.choice([1, 1, 2])):
                    end = near(ty_edge, 1.5) - timedelta(days=k)
                    s.add(
                        Meeting(
                            account_id=account,
                            thread_id=t.id,
                            contact_id=c.id,
                            caldav_uid=f"m{i}-{k}@example.com",
                            start_at=end - timedelta(minutes=30),
                            end_at=end,
                            status=rng.choice(
                                [MeetingStatus.BOOKED] * 4 + [MeetingStatus.CANCELLED]
                            ),
                            partstat=rng.choice(["ACCEPTED", "ACCEPTED", "DECLINED"]),
                            notes="Talked about data pipelines.",
                        )
                    )
    assert cal.zone is not None


def test_sql_prefilters_decide_exactly_as_the_plain_rule(store: Store) -> None:
    settings = make_settings(None, None, None, schedule={"max_followups": 2})
    account = account_of(store)
    _populate(store, settings, account, random.Random(20260309))
    expected = _expected(store, settings, account)
    assert len(expected) > 20  # the data exercises every rule
    report = schedule.schedule_due(store, settings, FixedClock(NOW), account_id=account)
    assert set(report.queued) | set(report.held) == expected
    assert len(report.queued) + len(report.held) == len(expected)
    again = schedule.schedule_due(store, settings, FixedClock(NOW), account_id=account)
    assert again.queued == [] and again.held == []
    assert OWNER
