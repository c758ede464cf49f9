"""Weekday words as people type them: misspelt ("thrusday", "wensday") or clipped ("wed 3pm").

``fix_typos`` rewrites a misspelt English weekday to its spelling before dates are read;
``abbreviation_ok`` decides whether a lower-case abbreviation ("wed", "fri", "sat") is a day
or just a word in prose ("I sat down", "the sun").
"""

from __future__ import annotations

import re

_FULL = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# Real words one edit away from a weekday, and surnames that look like one
_REAL = frozenset({"sundry", "mundy", "sunday", "monday", "tuesday", "wednesday", "thursday",
                   "friday", "saturday", "someday", "midday", "weekday", "today", "sundae",
                   "fridays", "mondays", "sundays", "tuesdays"})  # fmt: skip
# A word that could be a misspelt weekday: starts like one, has a "d" and a "y" near the end
_CANDIDATE = re.compile(r"(?i)\b[mtwfs][a-z]{4,9}\b")

# After a lower-case abbreviation: a clock time, a part of day, or another day ("wed or thu")
_ABBR_AFTER = re.compile(
    r"(?i)\s*(?:,|at|@|from|between|or|and|/|-|–)?\s*(?:\d|noon|midday|morning|afternoon|"
    r"evening|arvo|lunch|am\b|pm\b|eod\b|(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\b)"
)
_ABBR_BEFORE = re.compile(r"(?i)(?:\b(?:on|by|until|till|til|from|or|and)|[,/(])\s*$")
_QUESTION_AFTER = re.compile(r"\s*\?")
_PROSE_PRONE = frozenset({"sat", "sun"})  # "I sat", "the sun"


def _distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (edits plus swaps of neighbours), capped at limit+1."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def correct(word: str) -> str | None:
    """The weekday a misspelt word stands for, or None: "thrusday" -> "thursday"."""
    low = word.lower()
    if low in _REAL or "d" not in low or not low.endswith(("y", "ya", "ay", "dy", "yd")):
        return None
    for day in _FULL:
        if low[0] != day[0]:
            continue
        # one slip in a short name, two in the long ones ("wensday", "satuday")
        limit = 2 if len(day) >= 8 and low[:2] == day[:2] else 1
        if _distance(low, day, limit) <= limit:
            return day
    return None


def fix_typos(text: str) -> str:
    """Misspelt weekdays in their proper spelling, keeping the writer's capitalisation."""

    def repl(mt: re.Match[str]) -> str:
        word = mt.group(0)
        day = correct(word)
        if day is None:
            return word
        return day.capitalize() if word[0].isupper() else day

    return _CANDIDATE.sub(repl, text)


def abbreviation_ok(text: str, start: int, end: int, modified: bool) -> bool:
    """Is a lower-case "wed"/"fri"/"sat" at text[start:end] a day? Only next to a time or cue."""
    word = text[start:end].rstrip(".").lower()
    if modified or _ABBR_AFTER.match(text, end):
        return True
    if word in _PROSE_PRONE:
        return False
    return bool(_ABBR_BEFORE.search(text, max(0, start - 8), start)) or bool(
        _QUESTION_AFTER.match(text, end)
    )
