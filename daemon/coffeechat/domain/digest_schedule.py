"""When the daily digest is due, DST included, and the key that makes it once a day.

Separate because the scheduler needs only this, and the wall-time arithmetic is shared by the
sections that count days.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def resolve_wall_time(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The instant the owner's wall clock shows ``at`` on ``day``, DST-safe.

    Twice on a fall-back day: the first. Never on a spring-forward day (inside the gap): the
    moment the clock jumps, so the digest still goes that day, once.
    """
    naive = datetime.combine(day, at.replace(tzinfo=None))
    first = naive.replace(tzinfo=zone, fold=0)
    if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == naive:
        return first.astimezone(UTC)
    # In the gap: fold=1 reads the wall time with the later offset (an instant before the
    # jump), fold=0 with the earlier (after it). Walk minutes to the jump.
    lo = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    hi = first.astimezone(UTC)
    at_utc = lo
    while at_utc < hi and at_utc.astimezone(zone).replace(tzinfo=None) < naive:
        at_utc += timedelta(minutes=1)
    return at_utc


def digest_due(
    now: datetime, digest_at: time, zone: ZoneInfo, last_sent_local_date: date | None
) -> datetime | None:
    """Today's digest slot when it is due now (past the time, not yet sent today), else None.

    A daemon that was down at the time sends later the same day; a missed day is not caught up.
    """
    today = now.astimezone(zone).date()
    if last_sent_local_date is not None and last_sent_local_date >= today:
        return None
    slot = resolve_wall_time(today, digest_at, zone)
    return slot if now >= slot else None


def next_digest_at(
    now: datetime, digest_at: time, zone: ZoneInfo, last_sent_local_date: date | None
) -> datetime:
    """When the scheduler should next wake for the digest (``now`` when it is due already)."""
    if digest_due(now, digest_at, zone, last_sent_local_date) is not None:
        return now
    today = now.astimezone(zone).date()
    slot = resolve_wall_time(today, digest_at, zone)
    if slot > now and (last_sent_local_date is None or last_sent_local_date < today):
        return slot
    return resolve_wall_time(today + timedelta(days=1), digest_at, zone)


def digest_key(account_id: int, day: date) -> str:
    """The outbox idempotency key: one digest per account and local date, across restarts."""
    return f"digest:{account_id}:{day.isoformat()}"
