"""The digest's pipeline: contacts per stage and this week's numbers against last week's.

Separate because it counts the whole search rather than listing items, and owns the business-day
arithmetic that decides when a follow-up is due.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from coffeechat.domain.digest_schedule import resolve_wall_time
from coffeechat.domain.states import ThreadState


@dataclass(frozen=True)
class Stage:
    key: str
    label: str
    count: int


#: The nine stages always shown, then extras only when they hold someone.
STAGES: Sequence[tuple[str, str]] = (
    ("to_contact", "To contact"),
    ("waiting", "Waiting for a reply"),
    ("followup_due", "Follow-up due"),
    ("booked", "Booked"),
    ("met", "Met"),
    ("thanked", "Thanked"),
    ("keep_in_touch_due", "Keep in touch due"),
    ("declined", "Declined"),
    ("unsubscribed", "Unsubscribed"),
)
EXTRA_STAGES: Sequence[tuple[str, str]] = (
    ("needs_you", "Waiting on you"),
    ("bounced", "Bounced"),
)

_STATE_STAGE: Mapping[str, str] = {
    ThreadState.NEW: "to_contact",
    ThreadState.OUTREACH_QUEUED: "to_contact",
    ThreadState.OUTREACH_SENT: "waiting",
    ThreadState.FOLLOWUP_SENT: "waiting",
    ThreadState.SLOTS_OFFERED: "waiting",
    ThreadState.LATER: "waiting",
    ThreadState.MEETING_BOOKED: "booked",
    ThreadState.MET: "met",
    ThreadState.THANKED: "thanked",
    ThreadState.DECLINED: "declined",
    ThreadState.UNSUBSCRIBED: "unsubscribed",
    ThreadState.BOUNCED: "bounced",
    ThreadState.NEEDS_OWNER: "needs_you",
}


def pipeline(
    threads_by_state: Mapping[str, int],
    *,
    contacts_without_thread: int,
    followup_due: int,
    keep_in_touch_due: int,
) -> tuple[Stage, ...]:
    """Counts per stage; the due counts are carved out of waiting and thanked."""
    counts = dict.fromkeys([k for k, _ in (*STAGES, *EXTRA_STAGES)], 0)
    for state, n in threads_by_state.items():
        stage = _STATE_STAGE.get(state)
        if stage is not None:
            counts[stage] += n
    counts["to_contact"] += contacts_without_thread
    moved = min(followup_due, counts["waiting"])
    counts["waiting"] -= moved
    counts["followup_due"] += moved
    moved = min(keep_in_touch_due, counts["thanked"])
    counts["thanked"] -= moved
    counts["keep_in_touch_due"] += moved
    stages = [Stage(k, label, counts[k]) for k, label in STAGES]
    stages += [Stage(k, label, counts[k]) for k, label in EXTRA_STAGES if counts[k]]
    return tuple(stages)


def add_business_days(
    start: datetime, days: int, zone: ZoneInfo, working: frozenset[int]
) -> datetime:
    """The same wall time ``days`` working days later (holidays aside: counts only)."""
    local = start.astimezone(zone)
    day = local.date()
    left = days
    while left > 0:
        day += timedelta(days=1)
        if day.weekday() in working:
            left -= 1
    return resolve_wall_time(day, local.timetz().replace(tzinfo=None), zone)


@dataclass(frozen=True)
class Week:
    outreach_sent: int
    replied: int
    meetings_booked: int

    @property
    def reply_rate(self) -> float | None:
        return self.replied / self.outreach_sent if self.outreach_sent else None


@dataclass(frozen=True)
class WeekRow:
    label: str
    this_week: str
    last_week: str
    this_value: float
    last_value: float
    trend: str  # up | down | same


@dataclass(frozen=True)
class WeekOverWeek:
    this_week: Week
    last_week: Week

    @property
    def is_empty(self) -> bool:
        return self.this_week == self.last_week == Week(0, 0, 0)

    def rows(self) -> list[WeekRow]:
        def pct(rate: float | None) -> str:
            return "–" if rate is None else f"{round(rate * 100)}%"

        def trend(a: float, b: float) -> str:
            return "up" if a > b else "down" if a < b else "same"

        t, last = self.this_week, self.last_week
        tr, lr = t.reply_rate or 0.0, last.reply_rate or 0.0
        return [
            WeekRow(
                "Outreach sent",
                str(t.outreach_sent),
                str(last.outreach_sent),
                t.outreach_sent,
                last.outreach_sent,
                trend(t.outreach_sent, last.outreach_sent),
            ),
            WeekRow(
                "Reply rate",
                pct(t.reply_rate),
                pct(last.reply_rate),
                tr * 100,
                lr * 100,
                trend(tr, lr),
            ),
            WeekRow(
                "Meetings booked",
                str(t.meetings_booked),
                str(last.meetings_booked),
                t.meetings_booked,
                last.meetings_booked,
                trend(t.meetings_booked, last.meetings_booked),
            ),
        ]


def week_windows(now: datetime) -> tuple[tuple[datetime, datetime], tuple[datetime, datetime]]:
    """The last seven days and the seven before: rolling, so Monday's digest isn't all zeros."""
    week = timedelta(days=7)
    return (now - week, now), (now - 2 * week, now - week)


def bar_percent(value: float, top: float) -> int:
    """Width of a bar in the chart: at least a sliver when non-zero, 100 for the top."""
    if top <= 0 or value <= 0:
        return 0
    return max(2, round(100 * value / top))
