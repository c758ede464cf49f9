"""Which times does a reply propose? Mentions from ``datewords`` become windows here.

Conventions (those of the labelled reply set): exact time -> start only; morning 09-12,
afternoon 12-17, evening 17-20, a bare day 09-17; "after 3" runs to the end of its part of
day; a part of day shared by several days applies to each; negated, vague and restated times
are not proposals; relative words are read from the sender's local date; a time with no zone is
in the owner's zone.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from coffeechat.domain.clocktimes import find_times, to24
from coffeechat.domain.cues import OFFER
from coffeechat.domain.datewords import (
    PARTS,
    Mention,
    find_dates,
    weekday_after,
    weekday_next_week,
)
from coffeechat.domain.intents import Window
from coffeechat.domain.negation import NEG_CLAUSE as _NEG_CLAUSE
from coffeechat.domain.offered import names_booked, resolve_pick, shifted_booking, snap_to_offered
from coffeechat.domain.weekdays import fix_typos
from coffeechat.domain.zones import zone as get_zone

_NUMBER_WORDS = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
    "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12",
}  # fmt: skip
_NUM_ALT = "|".join(_NUMBER_WORDS)
_WORD_TIME = re.compile(
    rf"(?i)\b(?P<pre>(?:at|past|around|after|before|between|until|till|from|by|about|"
    rf"(?:quarter|half)\s+to|half)\s+|"
    rf"\d\s+(?:and|to|or)\s+)(?P<w1>{_NUM_ALT})\b"
    rf"|\b(?P<w2>{_NUM_ALT})(?=\s*(?:o'?clock|am|pm|a\.m|p\.m|thirty|fifteen|forty-five)\b)"
)
_WORD_MINUTES = re.compile(r"(?i)\b(\d{1,2})\s+(thirty|fifteen|forty-five|forty five)\b")
_MINUTES = {"thirty": "30", "fifteen": "15", "forty-five": "45", "forty five": "45"}
_NORMALISE = [
    (re.compile(r"(?i)\b([ap])\.\s?m\.?(?=\W|$)"), r"\1m"),
    (re.compile(r"[\u202f\u00a0\u2009]"), " "),
    (re.compile(r"[’‘]"), "'"),
]
_SENTENCE_END = re.compile(r"[.!?¿¡]+(?=\s|$|\))|\n|(?<=\))\s*(?=[A-Z(])")
_CLAUSE_END = re.compile(
    r"[,;:()\[\]—–.!?\n]|\s-\s|\b(?:but|however|though|although|because|pero|aber|sondern)\b", re.I
)
_NOT_MEETING = re.compile(
    r"(?i)\b(?:back|return\w*|again|reach\s+out|ping|follow\s+up|check\s+back|drop\s+me|"
    r"try\s+me|on\s+leave|leaving|left|laid\s+off|since|ago|last|once|settled|wrapped\s+up|"
    r"more\s+(?:time|bandwidth|room))\b"
)
# A date that marks when contact may resume: "after the 14th", "once Monday is past",
# "through the 11th" (the end of an absence), "from the 14th onwards"
_RESUME_BEFORE = re.compile(
    r"(?i)\b(?P<w>after|once|post|following|beyond|past|through|thru|as\s+of|from)\s+"
    r"(?:the\s+|on\s+)?$"
)
_ONWARDS = re.compile(r"(?i)^[\s,]*(?:on(?:wards?)?\b(?!\s+(?:at|the|a|an|zoom|teams|"
                      r"a\s+call|the\s+phone|my|our|your)\b)|and\s+(?:after|beyond|later)\b|"
                      r"or\s+later\b)")  # fmt: skip
_LATER_TAIL = re.compile(
    r"(?i)\b(?:i'll|i\s+will|i\s+should|should|we'll|we\s+should|things\s+(?:should|will))\s+"
    r"(?:\w+\s+)?(?:have\s+(?:a\s+lot\s+|much\s+|far\s+|a\s+bit\s+)?more|be\s+(?:back|freer|"
    r"quieter|calmer|less\s+busy|around\s+more|more\s+available|in\s+a\s+better)|calm|settle|"
    r"ease|free\s+up|open\s+up)\b"
)
_NEG_TOKEN = re.compile(
    r"(?i)\b(?:not|instead\s+of|rather\s+than|except|other\s+than|apart\s+from|besides|nicht|"
    r"excluding)\s+(?:on\s+|the\s+|at\s+|for\s+)?$"
)
_WEEK_OF = re.compile(r"(?i)\bweek\s+(?:of|starting|beginning|commencing)\s+(?:the\s+)?$")
_UNTIL = re.compile(
    r"(?i)\b(?:until|till|til|bis|hasta|jusqu'au)\s+(?:the\s+|on\s+|zum\s+|el\s+)?$"
)
_MOVE = re.compile(r"(?i)\b(?:move|moving|push|pushing|shift|reschedule|postpone|bump|change)\b")
_BOOKED_REF = re.compile(
    r"(?i)\b(?:our|the|my)\s+(?:call|chat|meeting|slot|catch-?up|coffee|appointment|conversation|"
    r"session)\b|\b\w+'s\s+(?:call|chat|meeting|slot)\b"
)
_TARGET = re.compile(r"(?i)\b(?:to|until|till|into|for)\b")
_RESTATE = re.compile(
    r"(?i)\b(?:that's|that\s+is|that'd\s+be|that\s+would\s+be|which\s+is|which'd\s+be|"
    r"which\s+would\s+be|i\.e\.|so\s+for\s+you|(?:that|which|it)\s+(?:should|will|would|must|"
    r"ought\s+to|might)\s+(?:\w+\s+)?be|(?:that|which|it)'ll\s+be|(?:that|which)\s+(?:makes|"
    r"comes\s+out\s+(?:at|to)|works\s+out\s+(?:at|to|as))|(?:that|which|it)\s+(?:translates|"
    r"converts)\s+to|so\s+(?:that's|it's|about|around)|in\s+your\s+(?:time|zone)|"
    r"(?:which|that|it)\s+(?:i|we)\s+(?:make|reckon|think|believe|work\s+out)\s+(?:is\s+|as\s+|to\s+be\s+)?|"
    r"(?:i|we)\s+make\s+(?:that|it)\s+)"
)
# After "that's ...": the same instant restated in the other party's zone, or in one's own
_FOR_YOU = re.compile(
    r"(?i)\b(?:for\s+you|your\s+time|your\s+end|your\s+side|for\s+u|for\s+me|my\s+time|"
    r"my\s+end|my\s+side|here\s+in|where\s+i\s+am|local(?:ly)?)\b"
)
_NEXT_WEEK = re.compile(r"(?i)\bnext\s+week\b")
_WEEK_ON = re.compile(
    r"(?i)\b(?:next|following)\s+week\b|\ba\s+week\s+(?:later|on)\b|\bsettimana\s+prossima\b|"
    r"\bprossima\s+settimana\b|\bpróxima\s+semana\b|\bsemana\s+que\s+(?:vem|viene)\b|"
    r"\bsemaine\s+prochaine\b|\bnächsten?\s+woche\b|\bvolgende\s+week\b"
)
_JOINED = re.compile(r"(?i)\s*(?:,|/|&|or|and|nor|,\s*or|,\s*and)\s*")
RESTATE_REACH = 160  # characters within which a zoned repeat of a bare clock time restates it
# The offered slots turned down as a whole: "none of those work", "those times don't suit"
REJECT_OFFERED = re.compile(
    r"(?i)\b(?:none|neither)\s+(?:of\s+)?(?:those|these|them|the\s+(?:times|slots|options|"
    r"above))?\s*(?:\w+\s+)?(?:work|works|suit|suits|fit|fits|is\s+(?:good|possible)|are\s+"
    r"(?:good|possible)|will\s+(?:work|do)|would\s+(?:work|do)|do\s+it)\b|"
    r"\b(?:those|these|the\s+(?:times|slots|options|dates|days)(?:\s+you\s+(?:sent|offered|"
    r"suggested|proposed|listed|mentioned))?)\s+(?:all\s+|both\s+)?(?:don't|do\s+not|won't|"
    r"will\s+not|aren't|are\s+not)\s+(?:really\s+|quite\s+)?(?:work|suit|fit|good|possible|"
    r"great|ideal|doable)\b|\b(?:can't|cannot|can\s+not|couldn't|won't\s+be\s+able\s+to)\s+"
    r"(?:do|make|manage)\s+(?:any|either)\s+(?:of\s+)?(?:those|these|them|the\s+(?:times|slots|"
    r"options))\b|\bno\s+luck\s+with\s+(?:those|these|any)\b|\b(?:those|these)\s+(?:are|all)\s+"
    r"(?:\w+\s+)?(?:out|no\s+good|taken|booked)\b"
)
_CONNECT = re.compile(r"(?i)^[\s,/&]*(?:or|and|und|oder|o|y|either|,)?[\s,/&]*$")
_THROUGH = re.compile(r"(?i)^\s*(?:through|thru|to|until|till|-|–|bis|hasta|a)\s*$")
_FORWARD = re.compile(r"(?i)^\s*(?:on|,|next|this|el|am)?\s*(?:the\s+)?$")


@dataclass(frozen=True)
class TimeContext:
    """Reference points for reading times: the sender's Date and the owner's zone."""

    ref: datetime
    owner_tz: ZoneInfo
    day_first: bool = False
    offered: tuple[datetime, ...] = ()
    booked: datetime | None = None
    booked_state: bool = False
    nearest_year: bool = False  # for dates in a quoted confirmation, which may be past


@dataclass
class TimeResult:
    """Proposed windows plus what the reading was unsure about."""

    windows: list[Window] = field(default_factory=list)
    picked_offered: bool = False
    dateless: bool = False
    negated: bool = False
    mentions: int = 0


@dataclass
class _Group:
    dates: list[Mention] = field(default_factory=list)
    times: list[Mention] = field(default_factory=list)
    sentence: int = 0


def _word_to_digit(m: re.Match[str]) -> str:
    return (m["pre"] or "") + _NUMBER_WORDS[(m["w1"] or m["w2"]).lower()]


def normalise(text: str) -> str:
    """Spell-out times ("half past two", "two thirty") and a.m./p.m. in one canonical form."""
    text = fix_typos(text)
    for rx, rep in _NORMALISE:
        text = rx.sub(rep, text)
    for _ in range(2):  # "between one and two": the second word follows a converted digit
        text = _WORD_TIME.sub(_word_to_digit, text)
    return _WORD_MINUTES.sub(lambda m: f"{m[1]}:{_MINUTES[m[2].lower()]}", text)


def _bounds(rx: re.Pattern[str], text: str) -> list[int]:
    return [0, *(m.end() for m in rx.finditer(text)), len(text) + 1]


def _index(bounds: list[int], pos: int) -> int:
    lo = 0
    for i, b in enumerate(bounds):
        if b <= pos:
            lo = i
        else:
            break
    return lo


def _mark(text: str, mentions: list[Mention], booked_state: bool) -> None:
    """Negated and restated mentions: "Monday doesn't work", "not 9/14", "that's 10am for you"."""
    clauses = _bounds(_CLAUSE_END, text)
    sentences = _bounds(_SENTENCE_END, text)
    prev_end = -1
    for i, m in enumerate(mentions):
        if i:
            prev_end = max(prev_end, mentions[i - 1].end)
        if _NEG_TOKEN.search(text, max(0, m.start - 25), m.start):
            m.negated = True
            continue
        if m.kind == "date" and _UNTIL.search(text, max(0, m.start - 20), m.start):
            m.negated = True  # "away until 22 June": the end of an absence, not a proposal
            continue
        if m.kind == "date" and _WEEK_OF.search(text, max(0, m.start - 20), m.start):
            m.negated = True  # "in New York the week of the 23rd": a week, not a day offered
            continue
        if m.kind == "date" and _resumes(text, m, prev_end):
            m.negated = True  # "after the 14th", "from Monday onwards": contact resumes then
            continue
        ci = _index(clauses, m.start)
        c0, c1 = clauses[ci], clauses[min(ci + 1, len(clauses) - 1)]
        clause = text[c0:c1]
        if _NEG_CLAUSE.search(clause) or _not_meeting(text, c0, m.start):
            m.negated = True
            continue
        cue = _MOVE.search(clause) or (_BOOKED_REF.search(clause) if booked_state else None)
        if cue and m.kind in ("date", "time", "part"):
            target = _TARGET.search(text, c0 + cue.end(), c1)
            if target is None or m.start < target.start():
                m.negated = True
                continue
        si = _index(sentences, m.start)
        s0, s1 = sentences[si], sentences[min(si + 1, len(sentences) - 1)]
        before = text[s0 : m.start]
        rs = _RESTATE.search(before)
        if rs and _CLAUSE_END.search(before, rs.end()):
            rs = None  # "so that's out, but how about Tuesday at 8am": another clause's "that's"
        if rs and (_FOR_YOU.search(text, m.start, s1) or m.zone == "owner"):
            m.negated = True
    # "not Monday or Tuesday": a negation covers the days joined to the one it precedes
    for prev, m in itertools.pairwise(mentions):
        if (
            prev.negated
            and prev.kind == m.kind == "date"
            and _JOINED.fullmatch(text[prev.end : m.start])
        ):
            m.negated = True


def _at_booked_time(w: Window, ctx: TimeContext) -> Window:
    """ "Can we move to Thursday, same time?": a whole day takes the booked clock time."""
    assert ctx.booked is not None
    start = w.start.astimezone(ctx.owner_tz)
    first, last = PARTS["day"]
    if w.end is None or (start.time(), w.end.astimezone(ctx.owner_tz).time()) != (
        time(first),
        time(last),
    ):
        return w
    booked = ctx.booked.astimezone(ctx.owner_tz)
    moved = datetime.combine(start.date(), booked.time(), tzinfo=ctx.owner_tz)
    return Window(moved, None)


def _zone_from_restatement(mentions: list[Mention]) -> None:
    """ "Thursday 14h30? (It is 14h30 in Paris, so 13h30 for you)": a clock time written bare
    and then restated with a zone right after is that zone's time, one proposal."""
    for i, m in enumerate(mentions):
        if m.kind != "time" or m.zone is not None or m.negated or m.h1 is None:
            continue
        for n in mentions[i + 1 :]:
            if n.start - m.end > RESTATE_REACH:
                break
            if n.kind == "time" and n.h1 == m.h1 and n.zone not in (None, "owner"):
                m.zone = n.zone
                break


def _not_meeting(text: str, c0: int, pos: int) -> bool:
    """ "I'm back on the 14th": the date is a return; but "once I'm back I could do Tuesday
    at 3" offers the day that follows the offer words."""
    found = [
        f
        for f in _NOT_MEETING.finditer(text, c0, pos)
        if not (f[0].lower() == "back" and _MOVE.search(text, c0, f.start()))
    ]  # "bump tomorrow back to 11:30": the booking moves back, nobody returns
    return bool(found) and not OFFER.search(text, found[-1].end(), pos)


def _resumes(text: str, m: Mention, prev_end: int) -> bool:
    """A date that says when contact may resume rather than proposing a meeting on it."""
    if m.relative is not None and m.relative not in ("weekday",):
        return False  # "after tomorrow", "from today": not a return date
    rb = _RESUME_BEFORE.search(text, max(0, m.start - 16), m.start)
    if rb is not None:
        word = rb["w"].lower()
        if word in ("through", "thru", "from") and 0 <= rb.start() - prev_end <= 3:
            return False  # "Monday through Wednesday", "the 3rd from 2": a span, not an end
        if word == "from":
            return bool(_ONWARDS.match(text, m.end))
        if word in ("through", "thru"):
            return not _ONWARDS.match(text, m.end) and not re.match(
                r"(?i)[\s,]*(?:at|from|between|\d)", text[m.end : m.end + 12]
            )
        return True
    if re.match(r"(?i)[\s,]*onwards?\b", text[m.end :]):
        return True  # "the 19th onwards is better"
    if _ONWARDS.match(text, m.end) and re.match(r"(?i)[\s,]*on\b", text[m.end :]):
        return bool(re.search(r"(?i)\b(?:from|starting|as\s+of)\s+(?:\w+\s+)?$", text[: m.start]))
    end = _SENTENCE_END.search(text, m.end)
    return bool(_LATER_TAIL.search(text, m.end, end.start() if end else len(text)))


def _groups(text: str, mentions: list[Mention]) -> list[_Group]:
    """Attach times to dates: "Wed or Thurs arvo", "10am on Monday", "Friday 15th at 12:30"."""
    sentences = _bounds(_SENTENCE_END, text)
    groups: list[_Group] = []
    current: _Group | None = None
    pending: list[Mention] = []
    last_sentence = -1
    items = [m for m in mentions if m.kind in ("date", "time", "part", "same_time", "same_day")]
    for idx, m in enumerate(items):
        # a mention wrapped over a line ("the same\ntime on Friday") belongs with what follows
        si = _index(sentences, m.end - 1 if "\n" in text[m.start : m.end] else m.start)
        if si != last_sentence:
            if pending:
                groups.append(_Group([], pending, last_sentence))
            current, pending, last_sentence = None, [], si
        is_date = m.kind in ("date", "same_day") or (m.kind == "part" and m.relative)
        if is_date:
            prev_end = current.dates[-1].end if current and current.dates else -1
            if (
                current is not None
                and not current.times
                and prev_end >= 0
                and (
                    _CONNECT.match(text[prev_end : m.start])
                    or _THROUGH.match(text[prev_end : m.start])
                )
            ):
                m.through = bool(_THROUGH.match(text[prev_end : m.start]))
                current.dates.append(m)
                if m.kind == "part":
                    current.times.append(m)
                continue
            current = _Group([m], pending + ([m] if m.kind == "part" else []), si)
            if m.part is not None and m.kind == "date":
                current.times.append(Mention("part", m.start, m.end, part=m.part))
            groups.append(current)
            pending = []
            continue
        nxt = items[idx + 1] if idx + 1 < len(items) else None
        forward = (
            nxt is not None
            and nxt.kind in ("date", "same_day")
            and _index(sentences, nxt.start) == si
            and _FORWARD.match(text[m.end : nxt.start])
        )
        if forward or current is None:
            pending.append(m)
        else:
            current.times.append(m)
    if pending:
        groups.append(_Group([], pending, last_sentence))
    return groups


def _tz(m: Mention, ctx: TimeContext) -> tzinfo:
    if m.zone == "sender":
        return ctx.ref.tzinfo or ctx.owner_tz
    if m.zone and m.zone != "owner":
        return get_zone(m.zone) or ctx.owner_tz
    return ctx.owner_tz


def _at(day: date, hm: tuple[int, int], tz: tzinfo, owner: ZoneInfo) -> datetime:
    hour, minute = hm
    extra = 0
    if hour >= 24:
        hour, extra = hour - 24, 1
    dt = datetime.combine(day + timedelta(days=extra), time(hour, minute), tzinfo=tz)
    return dt.astimezone(owner)


def _part_end(hour: int) -> int:
    return 12 if hour < 12 else 17 if hour < 17 else 20 if hour < 20 else min(hour + 1, 24)


def _part_start(hour: int) -> int:
    return 9 if hour <= 12 else 12 if hour <= 17 else 17


def _windows_for(day: date, g: _Group, ctx: TimeContext) -> list[Window]:
    owner = ctx.owner_tz
    parts = [t for t in g.times if t.kind == "part" and t.part and t.part != (9, 17)]
    hint = parts[0].part if parts else None
    out: list[Window] = []
    for t in g.times:
        if t.kind == "same_time":
            src = _same_time_source(t, ctx)
            if src is not None:
                local = src.astimezone(owner)
                out.append(Window(_at(day, (local.hour, local.minute), owner, owner)))
            continue
        if t.kind != "time" or t.h1 is None:
            continue
        tz = _tz(t, ctx)
        if t.h2 is not None:
            h1, h2 = t.h1[0], t.h2[0]
            if t.meridiem is None and hint and hint[0] >= 12 and h1 < 12:
                h1, h2 = h1 + 12, h2 + 12 if h2 < 12 else h2
            out.append(
                Window(_at(day, (h1, t.h1[1]), tz, owner), _at(day, (h2, t.h2[1]), tz, owner))
            )
            continue
        hour = to24(t.h1[0], t.meridiem, hint)
        if t.open == "after":
            end = _part_end(hour)
            out.append(Window(_at(day, (hour, t.h1[1]), tz, owner), _at(day, (end, 0), tz, owner)))
        elif t.open == "before":
            start = _part_start(hour)
            out.append(
                Window(_at(day, (start, 0), tz, owner), _at(day, (hour, t.h1[1]), tz, owner))
            )
        else:
            out.append(Window(_at(day, (hour, t.h1[1]), tz, owner)))
    if out:
        return out
    span = hint or (9, 17)
    return [Window(_at(day, (span[0], 0), owner, owner), _at(day, (span[1], 0), owner, owner))]


def _same_time_source(t: Mention, ctx: TimeContext) -> datetime | None:
    if t.ordinal is not None and ctx.offered:
        try:
            return ctx.offered[t.ordinal]
        except IndexError:
            return None
    if ctx.booked is None and ctx.offered:
        # "Neither suits, but same time on Friday?": the clock time every offered slot shares
        clocks = {s.astimezone(ctx.owner_tz).time() for s in ctx.offered}
        return ctx.offered[0] if len(clocks) == 1 else None
    return ctx.booked


def extract(text: str, ctx: TimeContext) -> TimeResult:
    """Proposed windows in the order written, in the owner's zone."""
    text = normalise(text)
    ref_day = ctx.ref.date()
    dates = find_dates(text, ref_day, day_first=ctx.day_first, nearest=ctx.nearest_year)
    taken = [(m.start, m.end) for m in dates]
    mentions = sorted(dates + find_times(text, taken), key=lambda m: m.start)
    _mark(text, mentions, ctx.booked_state)
    _zone_from_restatement(mentions)
    result = TimeResult(mentions=len(mentions), negated=any(m.negated for m in mentions))
    picked = resolve_pick(mentions, ctx.offered, ctx.owner_tz)
    if picked is not None:
        result.windows, result.picked_offered = _shift_one_pick(text, picked, ctx), True
        return result
    live = [m for m in mentions if not m.negated]
    per_group: list[tuple[_Group, list[Window]]] = []
    for g in _groups(text, live):
        if not g.dates:
            if not any(t.kind in ("time", "same_time") for t in g.times):
                continue  # a bare "morning" or "any time" with no day is vague
            prev = per_group[-1][0] if per_group else None
            if prev is not None and prev.sentence < g.sentence:
                # "Tomorrow lunchtime? 12.30 ok?": the later clock time refines that day
                keep = [t for t in prev.times if t.kind in ("time", "same_time")]
                prev.times = [*keep, *g.times]
                per_group[-1] = (prev, _group_windows(prev, text, ctx))
                continue
            day = _offered_day(g, ctx)
            g.dates = [Mention("date", g.times[0].start, g.times[0].end, day=day)]
            if day is None:
                g.dates[0].day = _default_day(g, ctx)
                if (
                    ctx.booked is not None
                    and any(x.kind == "same_time" for x in g.times)
                    and _WEEK_ON.search(text)
                ):  # "same time next week": the booked day, a week on
                    g.dates[0].day += timedelta(days=7)
                result.dateless = result.dateless or ctx.booked is None
        per_group.append((g, _group_windows(g, text, ctx)))
    windows = [w for _, ws in per_group for w in ws]
    if ctx.booked is not None and any(m.kind == "same_time" for m in live):
        windows = [_at_booked_time(w, ctx) for w in windows]
    if not ctx.nearest_year:  # a proposal lies ahead: "I was laid off this morning" is not one
        windows = [w for w in windows if (w.end or w.start) > ctx.ref]
    if ctx.booked is not None:  # "See you Thursday" names the booked meeting, not a new time
        moving = bool(
            _MOVE.search(text) or re.search(r"(?i)\binstead\b|\blater\b|\bearlier\b", text)
        )
        windows = [w for w in windows if not names_booked(w, ctx.booked, moving)]
    shifted = shifted_booking(text, ctx.booked, ctx.owner_tz)
    if shifted is not None and all(
        w.end is not None and w.start.date() == shifted.start.date() for w in windows
    ):
        windows = [shifted]  # "30 minutes later?": the booked time, moved; "same day" adds nothing
    if ctx.offered and REJECT_OFFERED.search(text):
        # the slots are turned down: a day that holds one is not a pick, only new times count
        windows = [w for w in windows if not _on_offered(w, ctx)]
        snapped = False
    else:
        windows, snapped = snap_to_offered(windows, ctx.offered, ctx.owner_tz)
        if len(windows) == 1 and windows[0].start in ctx.offered:
            windows = _shift_one_pick(text, windows, ctx)
            snapped = True
    result.picked_offered = snapped
    seen: set[tuple[datetime, datetime | None]] = set()
    for w in windows:
        key = (w.start, w.end)
        if key not in seen:
            seen.add(key)
            result.windows.append(w)
    return result


def _shift_one_pick(text: str, windows: list[Window], ctx: TimeContext) -> list[Window]:
    """One offered slot picked with "but 30 minutes later": that slot, moved."""
    if len(windows) != 1 or windows[0].end is not None or ctx.booked is not None:
        return windows
    moved = shifted_booking(text, windows[0].start, ctx.owner_tz)
    return [moved] if moved is not None else windows


def _on_offered(w: Window, ctx: TimeContext) -> bool:
    """An offered slot itself, or a window (a whole day, a part of day) that holds one."""
    return any(w.start == s or (w.end is not None and w.start <= s < w.end) for s in ctx.offered)


def _group_windows(g: _Group, text: str, ctx: TimeContext) -> list[Window]:
    return [w for day in _days(g, text, ctx) for w in _windows_for(day, g, ctx)]


def _days(g: _Group, text: str, ctx: TimeContext) -> list[date]:
    ref_day = ctx.ref.date()
    sentences = _bounds(_SENTENCE_END, text)
    out: list[date] = []
    for d in g.dates:
        if d.kind == "same_day":
            if ctx.booked is not None:
                out.append(ctx.booked.astimezone(ctx.owner_tz).date())
        elif d.kind == "part":
            out.append(ref_day)
        elif d.day is not None:
            day = d.day
            si = _index(sentences, d.start)
            s0, s1 = sentences[si], sentences[min(si + 1, len(sentences) - 1)]
            if d.relative == "weekday" and _NEXT_WEEK.search(text, s0, min(d.start + 40, s1)):
                day = weekday_next_week(ref_day, d.weekday or 0)
            if d.relative and "following" in d.relative and ctx.booked is not None:
                # "the following Monday" after a booked Friday: the Monday after the meeting
                day = weekday_after(ctx.booked.astimezone(ctx.owner_tz).date(), d.weekday or 0)
            if d.relative == "weekday" and ctx.offered:
                same = [s for s in ctx.offered if s.astimezone(ctx.owner_tz).weekday() == d.weekday]
                if len(same) == 1:  # "Thursday works" names the offered Thursday
                    day = same[0].astimezone(ctx.owner_tz).date()
            if d.through and out and 0 < (day - out[-1]).days <= 7:
                out.extend(out[-1] + timedelta(days=i) for i in range(1, (day - out[-1]).days))
            out.append(day)
    return out


def _offered_day(g: _Group, ctx: TimeContext) -> date | None:
    """ "The 3pm one works": the clock time of exactly one offered slot names that slot."""
    if not ctx.offered or ctx.booked is not None:
        return None
    ws = _windows_for(ctx.ref.date(), g, ctx)
    if not ws or ws[0].end is not None:
        return None
    clock = ws[0].start.astimezone(ctx.owner_tz).time()
    same = [s for s in ctx.offered if s.astimezone(ctx.owner_tz).time() == clock]
    return same[0].astimezone(ctx.owner_tz).date() if len(same) == 1 else None


def _default_day(g: _Group, ctx: TimeContext) -> date:
    """A time with no day: the booked meeting's day, else the next time that clock time comes."""
    if ctx.booked is not None:
        return ctx.booked.astimezone(ctx.owner_tz).date()
    ref_day = ctx.ref.date()
    ws = _windows_for(ref_day, g, ctx)
    if ws and ws[0].start > ctx.ref:
        return ref_day
    return ref_day + timedelta(days=1)
