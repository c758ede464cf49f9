"""The daily digest's content and its decisions, without I/O.

The owner mostly meets coffeechat through this email, so everything it says is decided here, in
plain dataclasses the templates read: what needs the owner and the exact next step, the week's
meetings with preparation prompts, what happened since the last digest, the pipeline, health.
The schedule (when today's digest is due, DST included) is here too, with the clock a parameter.

This module holds the whole digest (:class:`DigestData`, its health rows, its subject line); each
section lives in its own ``digest_*`` module and is re-exported here, so callers read one name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from coffeechat.domain.digest_meetings import MeetingAhead, meetings_window, prep_prompts
from coffeechat.domain.digest_naming import Person, day_label, relative_day, when_label
from coffeechat.domain.digest_needs import (
    NEED_TITLES,
    NeedKind,
    NeedsYou,
    classify_event,
    classify_failure,
    default_next_step,
    notes_command,
    order_needs,
)
from coffeechat.domain.digest_pipeline import (
    STAGES,
    Stage,
    Week,
    WeekOverWeek,
    add_business_days,
    bar_percent,
    pipeline,
    week_windows,
)
from coffeechat.domain.digest_schedule import (
    digest_due,
    digest_key,
    next_digest_at,
    resolve_wall_time,
)
from coffeechat.domain.digest_since_last import (
    SENT_LABELS,
    Outcome,
    Referral,
    Reply,
    Sent,
    SinceLast,
    outcome_of,
    since_last_start,
)

# ------------------------------------------------------------------ 5. health


HEALTH_LABELS: Mapping[str, str] = {
    "imap": "IMAP sync",
    "smtp": "SMTP send",
    "caldav": "CalDAV read",
}


@dataclass(frozen=True)
class Health:
    component: str
    label: str
    configured: bool
    last_ok_at: datetime | None
    failing_since: datetime | None = None
    last_error: str = ""
    paused_until: datetime | None = None

    @property
    def failing(self) -> bool:
        return self.failing_since is not None


# ------------------------------------------------------------------ the whole digest

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NO_WEEK = Week(0, 0, 0)


@dataclass(frozen=True)
class DigestData:
    owner_name: str
    owner_email: str
    owner_zone: str
    now: datetime
    needs_you: tuple[NeedsYou, ...] = ()
    meetings: tuple[MeetingAhead, ...] = ()
    since_last: SinceLast = field(default_factory=lambda: SinceLast(_EPOCH))
    pipeline: tuple[Stage, ...] = ()
    weeks: WeekOverWeek = field(default_factory=lambda: WeekOverWeek(_NO_WEEK, _NO_WEEK))
    health: tuple[Health, ...] = ()

    @property
    def local_now(self) -> datetime:
        return self.now.astimezone(ZoneInfo(self.owner_zone))

    @property
    def today(self) -> date:
        return self.local_now.date()

    @property
    def meetings_today(self) -> tuple[MeetingAhead, ...]:
        return tuple(m for m in self.meetings if m.is_on(self.today))

    @property
    def failing(self) -> tuple[Health, ...]:
        return tuple(h for h in self.health if h.failing)

    @property
    def has_pipeline(self) -> bool:
        return any(s.count for s in self.pipeline) or not self.weeks.is_empty

    @property
    def is_empty(self) -> bool:
        """Nothing to say: no one waits on the owner, nothing ahead, nothing new, nothing broken.

        Pipeline counts alone are not news.
        """
        return not (self.needs_you or self.meetings or self.failing) and self.since_last.is_empty


def subject_line(data: DigestData) -> str:
    """'coffeechat: 2 need you, 1 meeting today': the most urgent facts first."""
    parts: list[str] = []
    if data.needs_you:
        parts.append(f"{len(data.needs_you)} need{'s' if len(data.needs_you) == 1 else ''} you")
    today = len(data.meetings_today)
    if today:
        parts.append(f"{today} meeting{'s' if today > 1 else ''} today")
    elif data.meetings:
        n = len(data.meetings)
        parts.append(f"{n} meeting{'s' if n > 1 else ''} this week")
    if data.failing:
        parts.append(", ".join(h.label for h in data.failing) + " failing")
    replies = len(data.since_last.replies)
    if replies and len(parts) < 3:
        parts.append(f"{replies} repl{'ies' if replies > 1 else 'y'}")
    if not parts:
        parts.append("all quiet" if data.since_last.is_empty else "what happened")
    return "coffeechat: " + ", ".join(parts)


__all__: Sequence[str] = (
    "HEALTH_LABELS",
    "NEED_TITLES",
    "SENT_LABELS",
    "STAGES",
    "DigestData",
    "Health",
    "MeetingAhead",
    "NeedKind",
    "NeedsYou",
    "Outcome",
    "Person",
    "Referral",
    "Reply",
    "Sent",
    "SinceLast",
    "Stage",
    "Week",
    "WeekOverWeek",
    "add_business_days",
    "bar_percent",
    "classify_event",
    "classify_failure",
    "day_label",
    "default_next_step",
    "digest_due",
    "digest_key",
    "meetings_window",
    "next_digest_at",
    "notes_command",
    "order_needs",
    "outcome_of",
    "pipeline",
    "prep_prompts",
    "relative_day",
    "resolve_wall_time",
    "since_last_start",
    "subject_line",
    "week_windows",
    "when_label",
)
