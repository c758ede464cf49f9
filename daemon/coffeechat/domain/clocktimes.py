"""Clock times, ranges, parts of day and offered-slot picks in a reply.

"2pm", "14:00", "14h", "half past two", "between 4 and 6 pm", "after 3", "Thursday arvo",
"the second one": each becomes a ``Mention`` for ``timeparse`` to place on a day.
"""

from __future__ import annotations

import re

from coffeechat.domain.datewords import MON_ALT, NOT_UNIT, ORDINALS, PARTS, Mention
from coffeechat.domain.zones import OFFSET_RE, ZONE_RE, lookup, offset_zone

_T = r"(?:\d{1,2}(?:[:.h]\d{2})?(?:\s*(?:am|pm)|[ap]\b(?![-'’]))?|noon|midday)"
RANGE_RE = re.compile(
    rf"(?i)(?:\b(?P<pre>between|from|entre|de|von|zwischen|anytime|any\s+time)\s+(?:las\s+)?)?"
    rf"(?<![\d/.:])(?P<t1>{_T})\s*(?:-|–|—|\bto\b|\band\b|\btill\b|\buntil\b|\bbis\b|\ba\b|\by\b|\be\b|\bund\b|\bat[eé]\b)"
    rf"\s*(?:las\s+)?(?P<t2>{_T})(?![\d/]|\.\d)(?:\s*(?P<uhr>uhr|h)\b)?{NOT_UNIT}"
)
TIME_RE = re.compile(
    r"(?i)(?<![\d/.:$£€])(?:"
    r"(?P<h1>\d{1,2})(?:[:.](?P<m1>\d{2}))?(?:\s*(?P<ap>am|pm)\b|(?P<ap1>[ap])\b(?![-'’]|\s+[A-Z]\w*\s+(?:Street|St|Road|Rd|"
    r"Avenue|Ave|Lane|Way|Place|Square|Drive|Court)\b))"
    r"|(?P<h2>\d{1,2}):(?P<m2>\d{2})(?:\s*(?:uhr|h)\b)?"
    r"|(?P<h9>[01]\d|2[0-3])(?P<m9>[0-5]\d)(?:\s*(?:h|hrs)\b|(?=\s+(?:tmrw|tmr|tomorrow|today|"
    r"tonight|on\s+(?:mon|tue|wed|thu|fri|sat|sun)|(?:mon|tue|wed|thu|fri|sat|sun)\w*\b|your\s+time|my\s+time)))"
    # "at 1600", "@ 0930": a 24-hour clock after a cue
    r"|(?:(?<=\bat\s)|(?<=@\s)|(?<=@))(?P<h11>[01]\d|2[0-3])(?P<m11>[0-5]\d)\b(?!\s*(?:am|pm))"
    r"|(?P<h3>\d{1,2})h(?P<m3>\d{2})?\b"
    r"|(?P<h4>\d{1,2})\s*(?:uhr|uur)\b"
    # Japanese: "17時", "午後3時半", "10時30分"
    r"|(?P<ja_ap>午前|午後)?(?P<h12>\d{1,2})\s*時(?:\s*(?P<m12>\d{1,2})\s*分|(?P<half12>半))?"
    r"|(?P<h5>\d{1,2})\.(?P<m5>[0-5]\d)(?![\d]|\.\d)"
    r"|(?:12\s+)?\b(?P<noon>noon|midday|mediodía|mittag)\b"
    r"|(?P<frac>half|quarter)\s+(?P<rel>past|to)\s+(?P<h6>\d{1,2})\b"
    r"|\bhalf\s+(?P<h10>\d{1,2})\b(?!\s*(?:an?\s+)?(?:hours?|hrs?|min|mins|minutes?|days?|weeks?|%))"
    r"|(?P<h7>\d{1,2})(?:\s*o'?clock|\s*-?ish)\b"
    r"|\b(?P<cue>at|around|about|after|before|from|until|till|um|ab|say|las|la)\s+(?P<h8>\d{1,2})"
    r"(?![\d:/\-]|\.\d|[a-z]|\s*(?:am|pm|uhr|h\b|o'?clock)))" + NOT_UNIT
)
# A bare hour after a move: "push it to 3", "could we make it 4 instead?"
MOVE_TO_RE = re.compile(
    r"(?i)\b(?:move|moving|push|pushing|shift|shifting|bump|bumping|change|changing)\s+"
    r"(?:it|this|that|ours|(?:the|our|\w+'s)\s+\w+)\s+(?:back\s+|forward\s+|later\s+)?to\s+"
    r"|\bmake\s+it\s+"
)
_BARE_HOUR = re.compile(r"(?P<h>\d{1,2})(?![\d:/.]|\s*(?:st|nd|rd|th|%|x\b))" + NOT_UNIT)
PART_RE = re.compile(
    r"(?i)\b(?:(?P<this>this|esta)\s+)?(?:(?P<early>early|late|mid)[\s-])?"
    r"(?P<part>mornings?|afternoons?|arvo|evenings?|lunchtime|lunch\s*time|over\s+lunch|"
    r"after\s+lunch|first\s+thing(?:\s+in\s+the\s+morning)?|por\s+la\s+mañana|"
    r"(?:de|pela|na|à|a)\s+manhã|(?:à|a|de|pela|na)\s+tarde|(?:à|a|de)\s+noite|por\s+la\s+tarde|por\s+la\s+noche|vormittags?|"
    r"am\s+vormittag|nachmittags?|am\s+nachmittag|abends|am\s+abend|morgens|"
    r"any\s*time|all\s+day|whole\s+day|ganztägig|todo\s+el\s+día|(?:le\s+|en\s+)?matin(?:ée)?|"
    r"(?:l'|en\s+)?après-midi|(?:le\s+|en\s+)?soir(?:ée)?|(?:di\s+|in\s+)?mattina(?:ta)?|"
    r"(?:di\s+|nel\s+)?pomeriggio|(?:di|la|in)\s+sera|(?:'s\s+)?ochtends|in\s+de\s+ochtend|"
    r"(?:'s\s+)?middags|in\s+de\s+middag|(?:'s\s+)?avonds)\b"
)
PICK_RE = re.compile(
    r"(?i)\b(?:the\s+)?(?P<ord>first|second|third|fourth|last|1st|2nd|3rd|4th|middle|earliest|"
    r"soonest|latest|later|earlier)\s+"
    r"(?:(?:one|option|slot|time|choice|suggestion)s?\b|of\s+(?:those|these|them|the\s+(?:two|three|"
    r"four|times|slots|options)|your\s+(?:times|slots|options)))"
    # "either the first or the third": an ordinal joined to a pick before it
    r"|(?:(?<=\bor\s)|(?<=\band\s))(?:the\s+)?(?P<ord2>first|second|third|fourth|last)\b"
    r"|\b(?:either|both)\s+(?:the\s+)?(?P<ord4>first|second|third|fourth)\b"
    r"|\bthe\s+(?P<ord5>first|second|third|fourth|last)(?=\s*(?:,|or\b|and\b|works?\b|would\b|"
    r"is\b|suits?\b|please\b|for\s+me\b|then\b|[.!]))"
    r"|\b(?:not|but\s+not)\s+(?:the\s+)?(?P<neg>first|second|third|fourth|last)\b(?!\s+(?:week|day|time\s+i))"
    r"|\boption\s+(?P<num>[1-4])\b|#(?P<hash>[1-4])\b"
)
ALL_RE = re.compile(
    r"(?i)\b(?:any|all|either|both)\s+(?:of\s+)?(?:those|these|them|the\s+(?:times|slots|options|"
    r"above))\b|\b(?:all|any|either|both)\s+(?:three\s+|two\s+)?(?:work|works|suit|suits|are\s+"
    r"fine|is\s+fine|would\s+work|are\s+good|is\s+good)\b|\b(?:all|any)\s+of\s+the\s+above\b|"
    r"\bwhichever\s+(?:suits|works|is\s+(?:best|easiest|easier)|you\s+(?:prefer|like))|"
    r"\b(?:the\s+)?(?P<slice>first|last)\s+(?:two|2)\b"
)


def _hm(h: str | None, m: str | None) -> tuple[int, int] | None:
    if h is None:
        return None
    hour, minute = int(h), int(m or 0)
    if hour > 24 or minute > 59:
        return None
    return (hour % 24, minute)


_NAMED_AFTER = re.compile(r"(?:[ \t]*(?:[(,/-]|\bi\.e\.?|\bso\b))*[ \t]*")


_IN_PLACE = re.compile(r"[ \t]+in[ \t]+")


def _zone_after(text: str, pos: int) -> tuple[str | None, int]:
    """A zone written right after a time: "ET", "(2:30pm UK)", "Pacific time", "my time"."""
    mt = re.compile(r"[ \t]*\(?[ \t]*").match(text, pos)
    at = mt.end() if mt else pos
    om = OFFSET_RE.match(text, at)  # "(UTC+10:00) Canberra", "GMT-5"
    if om:
        return offset_zone(om), om.end()
    zm = ZONE_RE.match(text, at)
    if not zm:
        # "14h30 in Paris", "3pm in London": a place names the zone
        inside = _IN_PLACE.match(text, pos)
        placed = ZONE_RE.match(text, inside.end()) if inside else None
        where = placed and (placed["city"] or placed["name"] or placed["name2"])
        if placed and where:
            return lookup(where), placed.end()
        # a hard-wrapped line: "Monday at 11am\nET?"; only a zone word, never a city
        wrap = re.compile(r"[ \t]*\n[ \t]*(?!\n)\(?").match(text, pos)
        zm = ZONE_RE.match(text, wrap.end()) if wrap else None
        if not zm or zm["city"]:
            return None, pos
    if zm["mine"]:
        # "9am my time (Pacific)", "my time, so Pacific": the named zone is more exact
        nm = _NAMED_AFTER.match(text, zm.end())
        if nm:
            named = ZONE_RE.match(text, nm.end())
            if named and not (named["mine"] or named["yours"]):
                word = named["abbr"] or named["name"] or named["name2"] or named["city"] or ""
                found = lookup(word)
                if found:
                    return found, named.end()
        return "sender", zm.end()
    if zm["yours"]:
        return "owner", zm.end()
    word = zm["abbr"] or zm["name"] or zm["name2"] or zm["city"] or ""
    return lookup(word), zm.end()


def find_times(text: str, taken: list[tuple[int, int]]) -> list[Mention]:
    """Clock times, ranges and open times ("after 3"), parts of day and slot picks."""
    found: list[Mention] = []

    def free(a: int, b: int) -> bool:
        return all(b <= s or a >= e for s, e in taken)

    for mt in RANGE_RE.finditer(text):
        t1, t2 = mt["t1"], mt["t2"]
        cue = bool(mt["pre"]) or bool(mt["uhr"])
        if not cue and not re.search(r"[:.h]|am|pm|noon|midday", t1 + t2, re.IGNORECASE):
            continue
        if re.match(rf"\s*(?:{MON_ALT})\b", text[mt.end() :], re.IGNORECASE):
            continue  # "14-18 June" is a date range
        a, b = _clock(t1), _clock(t2)
        if a is None or b is None or not free(mt.start(), mt.end()):
            continue
        zone, zend = _zone_after(text, mt.end())
        start = mt.start() if mt["pre"] else mt.start("t1")
        h1, h2 = _apply_range(a, b)
        mer = "24" if (a[1] or b[1]) else None
        m = Mention("time", start, max(mt.end(), zend), h1=h1, h2=h2, meridiem=mer, zone=zone)
        found.append(m)
        taken.append((m.start, m.end))
    for mt in TIME_RE.finditer(text):
        if not free(mt.start(), mt.end()):
            continue
        tm = _time_mention(mt, text)
        if tm is None:
            continue
        zone, zend = _zone_after(text, mt.end())
        tm.zone, tm.end = zone, max(tm.end, zend)
        found.append(tm)
        taken.append((tm.start, tm.end))
    for mv in MOVE_TO_RE.finditer(text):
        bh = _BARE_HOUR.match(text, mv.end())
        if bh is None or not free(bh.start(), bh.end()):
            continue
        hm = _hm(bh["h"], None)
        if hm is None or not 1 <= hm[0] <= 12:
            continue
        zone, zend = _zone_after(text, bh.end())
        found.append(Mention("time", bh.start(), max(bh.end(), zend), h1=hm, zone=zone))
        taken.append((bh.start(), bh.end()))
    for mt in PART_RE.finditer(text):
        if not free(mt.start(), mt.end()):
            continue
        part = _part(mt["part"].lower(), (mt["early"] or "").lower())
        rel = (mt["this"] or "").lower() or None
        found.append(Mention("part", mt.start(), mt.end(), part=part, relative=rel))
        taken.append((mt.start(), mt.end()))
    for mt in PICK_RE.finditer(text):
        if free(mt.start(), mt.end()):
            word = mt["ord"] or mt["ord2"] or mt["ord4"] or mt["ord5"] or mt["neg"] or ""
            idx = ORDINALS.get(word.lower())
            if idx is None:
                idx = int(mt["num"] or mt["hash"]) - 1
            pick = Mention("pick", mt.start(), mt.end(), ordinal=idx)
            pick.negated = bool(mt["neg"])  # "so not the second"
            found.append(pick)
    for mt in ALL_RE.finditer(text):
        if free(mt.start(), mt.end()):
            found.append(Mention("all", mt.start(), mt.end(), relative=(mt["slice"] or "").lower()))
    return found


def _part(word: str, early: str) -> tuple[int, int]:
    word = " ".join(word.split())
    if word in ("any time", "anytime", "all day", "whole day", "ganztägig", "todo el día"):
        base = PARTS["day"]
    elif "lunch" in word:
        base = PARTS["afternoon"] if word.startswith("after") else PARTS["lunch"]
    elif word.startswith(("morning", "vormittag", "am vormittag", "morgens", "first")) or (
        "mañana" in word
        or "matin" in word
        or "mattin" in word
        or "manhã" in word
        or "ochtend" in word
    ):
        base = PARTS["morning"]
    elif word.startswith(("afternoon", "arvo", "nachmittag", "am nachmittag")) or (
        "tarde" in word or "après-midi" in word or "pomeriggio" in word or "middag" in word
    ):
        base = PARTS["afternoon"]
    else:
        base = PARTS["evening"]
    if early == "early":
        return (base[0], base[0] + 2)
    if early == "late":
        return (base[1] - 2, base[1])
    return base


def _clock(token: str) -> tuple[tuple[int, int], str | None] | None:
    """ "4", "11:30", "6 pm", "noon" -> ((h, m), meridiem or None)."""
    tok = token.strip().lower()
    if tok in ("noon", "midday"):
        return (12, 0), "pm"
    mt = re.fullmatch(r"(\d{1,2})(?:[:.h](\d{2}))?\s*(am|pm|a|p)?", tok)
    if not mt:
        return None
    hm = _hm(mt[1], mt[2])
    if hm is None:
        return None
    mer = (mt[3] and mt[3][0] + "m") or (
        "24" if hm[0] > 12 or hm[0] == 0 or tok.startswith("0") else None
    )
    return hm, mer


def _apply_range(
    a: tuple[tuple[int, int], str | None], b: tuple[tuple[int, int], str | None]
) -> tuple[tuple[int, int], tuple[int, int]]:
    """Share am/pm across a range ("between 4 and 6 pm") and keep start before end."""
    (h1, m1), mer1 = a
    (h2, m2), mer2 = b
    h2 = to24(h2, mer2, None)
    if mer1 is None and mer2 in ("am", "pm"):
        cand = to24(h1, mer2, None)
        h1 = cand if cand <= h2 else to24(h1, "am" if mer2 == "pm" else "pm", None)
    else:
        h1 = to24(h1, mer1, None)
    if mer2 is None and (h2, m2) <= (h1, m1) and h2 < 12:
        h2 += 12
    return (h1, m1), (h2, m2)


def to24(hour: int, meridiem: str | None, part: tuple[int, int] | None) -> int:
    """24-hour clock for an hour whose am/pm may be unknown; business hours decide then."""
    if meridiem == "pm":
        return hour % 12 + 12
    if meridiem == "am":
        return hour % 12
    if meridiem == "24" or hour > 12:
        return hour
    if part is not None:
        if part[0] >= 12 and hour < 12:
            return hour + 12
        return hour
    return hour + 12 if 1 <= hour <= 6 else hour


_JA_AFTER = re.compile(r"\s*(?:以降|以後|から)")
_OPEN_BEFORE_RE = re.compile(
    r"(?i)\b(?P<w>after|from|ab|desde|a\s+partir\s+de|before|until|till|bis|antes\s+de)"
    r"(?:\s+(?:las|la))?\s+$"
)


def _time_mention(mt: re.Match[str], text: str) -> Mention | None:
    start, end = mt.start(), mt.end()
    hm: tuple[int, int] | None
    mer: str | None = None
    if mt["h1"]:
        hm, mer = _hm(mt["h1"], mt["m1"]), (mt["ap"] or mt["ap1"] + "m").lower()
        if hm is None or hm[0] > 12:
            return None
    elif mt["h2"]:
        hm = _hm(mt["h2"], mt["m2"])
    elif mt["h3"]:
        hm, mer = _hm(mt["h3"], mt["m3"]), "24"
    elif mt["h9"]:  # "1500h", "0930 hrs", "1600 tmrw": military style
        hm, mer = _hm(mt["h9"], mt["m9"]), "24"
    elif mt["h11"]:  # "at 1600"
        hm, mer = _hm(mt["h11"], mt["m11"]), "24"
    elif mt["h10"]:  # British "half 3" is half past three
        hm = _hm(mt["h10"], "30")
    elif mt["h12"]:
        hm, mer = _hm(mt["h12"], mt["m12"] or ("30" if mt["half12"] else None)), "24"
        if hm is not None and mt["ja_ap"] == "午後" and hm[0] < 12:
            hm = (hm[0] + 12, hm[1])
    elif mt["h4"]:
        hm, mer = _hm(mt["h4"], None), "24"
    elif mt["h5"]:
        hm = _hm(mt["h5"], mt["m5"])
        if hm is None or hm[1] % 15:
            return None
    elif mt["noon"]:
        hm, mer = (12, 0), "pm"
    elif mt["h6"]:
        h = int(mt["h6"])
        if mt["frac"].lower() == "half":
            hm = (h, 30)
        elif mt["rel"].lower() == "past":
            hm = (h, 15)
        else:
            hm = ((h - 1) % 12 or 12, 45)
    elif mt["h7"]:
        hm = _hm(mt["h7"], None)
    else:
        hm = _hm(mt["h8"], None)
        start = mt.start("h8")
        if hm is None or hm[0] == 0:
            return None
    if hm is None:
        return None
    if mer is None and (hm[0] > 12 or hm[0] == 0 or re.match(r"0\d", mt.group(0).strip())):
        mer = "24"
    m = Mention("time", start, end, h1=hm, meridiem=mer)
    ob = _OPEN_BEFORE_RE.search(text, max(0, start - 20), start)
    ja = _JA_AFTER.match(text, end)
    if ja:  # "19時以降": from then on
        m.open, m.end = "after", ja.end()
    elif ob:
        word = ob["w"].lower()
        m.open = (
            "after" if word in ("after", "from", "ab", "desde") or "partir" in word else "before"
        )
        m.start = ob.start()
    return m
