"""Offered slots and the booked meeting: picks by position, days that name one offered slot,
and "30 minutes later" shifts of the booking. ``timeparse`` calls these once mentions are read.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from coffeechat.domain.datewords import Mention
from coffeechat.domain.intents import Window

_SHIFT_N = r"(?P<n>\d{1,3}|an?|half\s+an|one|two|ten|fifteen|twenty|thirty|forty-five|forty\s+five)"
_SHIFT_U = r"(?P<u>min(?:ute)?s?|hours?|hrs?)"
_SHIFT = (
    # "push it a week", "move it back a week": the same slot, some days on
    re.compile(
        rf"(?i)\b(?:push|move|bump|shift|delay|kick)\s+(?:it|things|this|us|the\s+\w+|our\s+\w+)\s*"
        rf"(?P<dir>back|forward|out)?\s*(?:by\s+)?{_SHIFT_N}\s*(?P<u>weeks?|days?)\b"
    ),
    re.compile(rf"(?i)\b{_SHIFT_N}\s*{_SHIFT_U}\s+(?P<dir>earlier|later|sooner)\b"),
    re.compile(
        rf"(?i)\b(?:push|move|bump|shift|delay)\s+(?:it|things|us|the\s+\w+|our\s+\w+|"
        rf"(?:today|tomorrow|tonight|\w+day)['’]s\s+\w+)?\s*"
        rf"(?P<dir>back|forward|later|earlier)?\s*by\s+{_SHIFT_N}\s*{_SHIFT_U}"
    ),
)
_SHIFT_WORDS = {
    "a": 1, "an": 1, "half an": 0.5, "one": 1, "two": 2, "ten": 10, "fifteen": 15, "twenty": 20,
    "thirty": 30, "forty-five": 45, "forty five": 45,
}  # fmt: skip


def resolve_pick(
    mentions: list[Mention], offered: tuple[datetime, ...], owner: ZoneInfo
) -> list[Window] | None:
    """ "The second one", "any of those": offered slots picked by position."""
    if not offered:
        return None
    live = [m for m in mentions if not m.negated]
    for m in live:
        if m.kind == "all":
            every = list(offered)
            if m.relative == "first":
                every = every[:2]
            elif m.relative == "last":
                every = every[-2:]
            return [Window(s.astimezone(owner)) for s in every]
    refused = {m.ordinal for m in mentions if m.kind == "pick" and m.negated}
    chosen: list[datetime] = []
    for m in live:  # "either the first or the third", in the order written
        if m.kind == "pick" and m.ordinal is not None and m.ordinal != -2:
            if m.ordinal in refused:
                continue
            try:
                slot = offered[m.ordinal]
            except IndexError:
                return None
            if slot not in chosen:
                chosen.append(slot)
    return [Window(s.astimezone(owner)) for s in chosen] or None


def snap_to_offered(
    windows: list[Window], offered: tuple[datetime, ...], owner: ZoneInfo
) -> tuple[list[Window], bool]:
    """A day or part of day that contains exactly one offered slot picks that slot."""
    if not offered:
        return windows, False
    out: list[Window] = []
    snapped = False
    for w in windows:
        if w.end is None:
            out.append(w)
            continue
        day = w.start.astimezone(owner).date()
        hits = [
            s
            for s in offered
            if s.astimezone(owner).date() == day and (w.start <= s < w.end or _whole_day(w))
        ]
        if len(hits) == 1:
            out.append(Window(hits[0].astimezone(owner)))
            snapped = True
        else:
            out.append(w)
    return out, snapped


def names_booked(w: Window, booked: datetime, moving: bool) -> bool:
    if w.end is None:
        return w.start == booked
    return not moving and w.start <= booked < w.end


def _whole_day(w: Window) -> bool:
    return w.end is not None and (w.end - w.start) >= timedelta(hours=8)


def shifted_booking(text: str, booked: datetime | None, owner: ZoneInfo) -> Window | None:
    """ "Could we start 30 minutes later?", "push it back by an hour": the booking (or the one
    offered slot picked: "Tuesday's fine but 30 min later?"), moved."""
    if booked is None:
        return None
    mt = next((found for rx in _SHIFT if (found := rx.search(text))), None)
    if mt is None:
        return None
    word = " ".join(mt["n"].lower().split())
    amount = float(word) if word.isdigit() else float(_SHIFT_WORDS.get(word, 0))
    unit = mt["u"].lower()
    direction = (mt["dir"] or "later").lower()
    sign = -1 if direction in ("earlier", "sooner", "before", "forward") else 1
    local = booked.astimezone(owner)
    if unit.startswith(("week", "day")):  # the same wall-clock time, across a clock change
        days = amount * (7 if unit.startswith("week") else 1)
        if not days or days > 28 or days != int(days):
            return None
        moved = (local.replace(tzinfo=None) + sign * timedelta(days=days)).replace(tzinfo=owner)
        return Window(moved)
    minutes = amount * (60 if unit.startswith("h") else 1)
    if not minutes or minutes > 12 * 60:
        return None
    return Window(local + sign * timedelta(minutes=minutes))
