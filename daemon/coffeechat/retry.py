"""Retry timing as one pure function, shared by every component that backs off.

Exponential from ``base``, capped at ``cap``, with "equal jitter" (half fixed, half random):
many rows or connections failing together never come back in step, and a retry never comes
instantly. The random draw is a parameter so tests can pin it.
"""

from __future__ import annotations


def backoff_seconds(attempt: int, rand: float, *, base: float, cap: float) -> float:
    """Seconds before retry ``attempt`` (1, 2, ...); ``rand`` is uniform in [0, 1)."""
    ceiling = min(cap, base * 2.0 ** min(max(attempt, 1) - 1, 30))
    return ceiling / 2 + rand * ceiling / 2
