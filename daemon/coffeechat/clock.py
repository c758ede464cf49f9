"""The clock, passed to every time-dependent decision so tests and rehearsals can set it.

``SystemClock`` is the real one; ``FixedClock`` is set by ``--now`` and by tests and moves
only when told. Both return aware UTC datetimes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, zone-aware (UTC)."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until advanced; for tests and `--now` rehearsals."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._at = at.astimezone(UTC)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._at = at.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        self._at += delta


class OffsetClock:
    """Real time shifted to start at a chosen instant: `coffeechat run --now` rehearsals."""

    def __init__(self, start: datetime, real: Clock | None = None) -> None:
        if start.tzinfo is None:
            raise ValueError("OffsetClock needs an aware datetime")
        self._real = real or SystemClock()
        self._offset = start.astimezone(UTC) - self._real.now()

    def now(self) -> datetime:
        return self._real.now() + self._offset
