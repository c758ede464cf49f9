"""CalDAV failures, split into retryable and permanent, and the retry timing."""

from __future__ import annotations

import random


class CalendarError(Exception):
    """A CalDAV failure that retrying will not fix; the message says what to change."""

    retryable = False


class CalendarUnavailable(CalendarError):
    """Timeouts, refused connections, 5xx, 429/503: try again later."""

    retryable = True

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class CalendarAuthError(CalendarError):
    """Login refused or access denied."""


class CalendarNotFound(CalendarError):
    """The calendar (or a busy calendar) named in the settings does not exist."""


class CalendarConflict(CalendarError):
    """412: the event changed (or appeared) since it was read; re-read, never overwrite."""


def retry_delay(attempt: int, retry_after: float | None, rng: random.Random | None = None) -> float:
    """Seconds before retry ``attempt`` (1, 2, ...): the server's Retry-After when it gave one,
    else exponential backoff from 5 s capped at 15 min, with +-20 % jitter."""
    if retry_after is not None and retry_after > 0:
        return min(retry_after, 3600.0)
    base = min(5.0 * 2.0 ** max(attempt - 1, 0), 900.0)
    jitter = (rng or random.Random()).random()  # noqa: S311 (timing, not secrets)
    return float(base * (0.8 + 0.4 * jitter))
