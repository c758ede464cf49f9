"""Find the date words in a reply (English, with Spanish and German basics).

This module and ``clocktimes`` only find and read mentions; ``timeparse`` decides which of them
are proposals.
All patterns are compiled once at import: the reader must handle hundreds of messages a second.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from coffeechat.domain.weekdays import abbreviation_ok

WEEKDAYS: dict[str, int] = {
    "monday": 0, "mon": 0, "tuesday": 1, "tues": 1, "tue": 1, "wednesday": 2, "wed": 2,
    "weds": 2, "thursday": 3, "thurs": 3, "thur": 3, "thu": 3, "friday": 4, "fri": 4,
    "saturday": 5, "sat": 5, "sunday": 6, "sun": 6,
    "lunes": 0, "martes": 1, "miércoles": 2, "miercoles": 2, "jueves": 3, "viernes": 4,
    "sábado": 5, "sabado": 5, "domingo": 6,
    "montag": 0, "dienstag": 1, "mittwoch": 2, "donnerstag": 3, "freitag": 4, "samstag": 5,
    "sonnabend": 5, "sonntag": 6,
    "segunda-feira": 0, "segunda": 0, "terça-feira": 1, "terca-feira": 1, "terça": 1,
    "terca": 1, "quarta-feira": 2, "quarta": 2, "quinta-feira": 3, "quinta": 3,
    "sexta-feira": 4, "sexta": 4,
    "lundi": 0, "mardi": 1, "mercredi": 2, "jeudi": 3, "vendredi": 4, "samedi": 5, "dimanche": 6,
    "lunedì": 0, "lunedi": 0, "martedì": 1, "martedi": 1, "mercoledì": 2, "mercoledi": 2,
    "giovedì": 3, "giovedi": 3, "venerdì": 4, "venerdi": 4, "sabato": 5, "domenica": 6,
    "maandag": 0, "dinsdag": 1, "woensdag": 2, "donderdag": 3, "vrijdag": 4, "zaterdag": 5,
    "zondag": 6,
}  # fmt: skip
MONTHS: dict[str, int] = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
    "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11, "nov": 11,
    "december": 12, "dec": 12,
    "enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7,
    "agosto": 8, "septiembre": 9, "setiembre": 9, "octubre": 10, "noviembre": 11,
    "diciembre": 12,
    "januar": 1, "jänner": 1, "februar": 2, "märz": 3, "mai": 5, "juni": 6, "juli": 7,
    "oktober": 10, "dezember": 12,
    "janvier": 1, "février": 2, "fevrier": 2, "mars": 3, "avril": 4, "juin": 6, "juillet": 7,
    "août": 8, "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11, "décembre": 12,
    "janeiro": 1, "fevereiro": 2, "março": 3, "marco": 3, "maio": 5, "junho": 6, "julho": 7,
    "setembro": 9, "outubro": 10, "dezembro": 12,
    "gennaio": 1, "febbraio": 2, "aprile": 4, "maggio": 5, "giugno": 6, "luglio": 7,
    "settembre": 9, "ottobre": 10, "dicembre": 12,
    "januari": 1, "februari": 2, "maart": 3, "augustus": 8,
}  # fmt: skip
PARTS: dict[str, tuple[int, int]] = {
    "morning": (9, 12), "afternoon": (12, 17), "evening": (17, 20), "lunch": (12, 14),
    "day": (9, 17),
}  # fmt: skip

_REL_OFFSETS = {
    "today": 0, "hoy": 0, "heute": 0, "tonight": 0, "aujourd'hui": 0, "pasado mañana": 2,
    "übermorgen": 2, "après-demain": 2, "demain": 1, "hoje": 0, "amanhã": 1,
    "depois de amanhã": 2,
}  # fmt: skip
_WD_DATE_GAP = re.compile(r"[\s,]*(?:the\s+|den\s+|dem\s+|el\s+)?")
_PT_BEFORE = re.compile(r"(?i)\b(?:na|até|ate|de|pela|toda)\s+$")
# "segunda às 9h", "segunda de manhã": the weekday, by what follows it
_PT_AFTER = re.compile(
    r"(?i)\s*(?:às|as\s+\d|à\s+tarde|à\s+noite|de\s+manhã|de\s+tarde|pela\s+manhã|-feira)"
)
_PROPER_NEXT = re.compile(
    rf"[ \t]+(?!(?i:{'|'.join(sorted([*MONTHS, *WEEKDAYS], key=len, reverse=True))}|morning|"
    rf"afternoon|evening|lunch|noon|night|am|pm)\b)[A-Z][a-z]{{2,}}\b"
)
_ABBREV_DAYS = {"mon", "tue", "tues", "wed", "weds", "thu", "thur", "thurs", "fri", "sat", "sun"}
_WD_ALT = "|".join(sorted(WEEKDAYS, key=len, reverse=True))
MON_ALT = "|".join(sorted(MONTHS, key=len, reverse=True))
_ORD = r"(?:st|nd|rd|th|\.)?"
NOT_UNIT = r"(?!\s*(?:min|mins|minutes?|hours?|hrs?|days?|weeks?|months?|years?|yrs?|%|people|x\b))"

WEEKDAY_RE = re.compile(
    rf"(?i)(?:\b(?P<mod>next|this|coming|the\s+following|following|nächsten|nächster|kommenden|"
    rf"próximo|proximo|próxima|proxima|este|esta|nesta|neste|prochain)\s+)?\b(?P<wd>{_WD_ALT})(?:s\b|\b)\.?",
)
DATE_DM_RE = re.compile(
    rf"(?i)\b(?P<d>[0-3]?\d){_ORD}\s*(?:of\s+|de\s+)?(?P<m>{MON_ALT})\b\.?"
    rf"(?:,?\s*(?:de\s+)?(?P<y>20\d\d))?"
)
DATE_MD_RE = re.compile(
    rf"(?i)\b(?P<m>{MON_ALT})\.?\s+(?:the\s+)?(?P<d>[0-3]?\d)(?:st|nd|rd|th)?(?![\d:])"
    rf"(?:,?\s*(?P<y>20\d\d))?"
)
DATE_NUM_RE = re.compile(
    r"(?<![\d/.:])(?P<a>[0-3]?\d)/(?P<b>[0-3]?\d)(?:/(?P<y>(?:20)?\d\d))?(?![\d/])" + NOT_UNIT
)
DATE_DOT_RE = re.compile(
    r"(?<![\d.:])(?P<d>[0-3]?\d)\.(?P<m>[01]?\d)\.(?P<y>(?:20)?\d\d)?(?![\d:])"
)
DATE_ISO_RE = re.compile(r"\b(?P<y>20\d\d)-(?P<m>[01]\d)-(?P<d>[0-3]\d)\b")
# Japanese dates and weekdays (full-width digits are made ASCII before reading)
JA_DATE_RE = re.compile(
    r"(?:(?P<y>20\d\d)\s*年\s*)?(?P<m>1[0-2]|0?[1-9])\s*月\s*(?P<d>[12]\d|3[01]|0?[1-9])\s*日"
    r"(?:\s*[(（][月火水木金土日][)）])?"
)
JA_WEEKDAY_RE = re.compile(r"(?:(?P<next>来週)の?|今週の?)?(?P<wd>[月火水木金土日])曜(?:日)?")
# A bare day of the month after a weekday, not a clock time: "Thursday 18", not "Thursday 3pm"
_WD_BARE_DOM = re.compile(
    r"(?i)(?:the\s+)?(?P<d>[12]\d|3[01]|0?[1-9])\b(?![:.h]\d|\s*(?:h\b|am\b|pm\b|a\.m|p\.m|uhr|"
    r"o'?clock|[-–/]|(?:st|nd|rd|th)\b|hours?\b|hrs?\b|min|days?\b|weeks?\b|people|of\b))"
)
_CLOCK_NEXT = re.compile(r"(?i)\s*,?\s*(?:at|à|a\s+las|um|alle|às|om)\s+\d")
DATE_ORD_RE = re.compile(
    r"(?i)(?:\bthe\s+|\bel\s+|\bden\s+)?\b(?P<d>[0-3]?\d)(?:st|nd|rd|th)\b"
    r"(?!\s+(?:one|option|slot|time|choice|suggestion|year|floor|round|grade|century|place|"
    r"person|email|message|attempt|anniversary|birthday|week|day|month))"
)
RELDAY_RE = re.compile(
    r"(?i:\b(?P<rel>today|tonight|tomorrow|tmrw|tmr|tmw|tomoz|2moro|2morrow|tomm?orr?ow|(?:the\s+)?day\s+after\s+tomorrow|"
    r"pasado\s+mañana|depois\s+de\s+amanhã|amanhã|hoje|hoy|heute|übermorgen|après-demain|demain|aujourd'hui)\b)"
    r"|(?i:(?<!por la )(?<!de la )(?<!esta )\b(?P<manana>mañana)\b)"
    r"|(?<![Gg]uten )(?<![Aa]m )\b(?P<morgen>morgen)\b"
)
SAME_RE = re.compile(
    r"(?i)\b(?:same|stess[ao]|mesm[ao]|mism[ao]|même|gleichen?|selben?|zelfde)\s+"
    r"(?P<what>time|day|slot|ora|orario|giorno|hora|horário|horario|dia|día|heure|jour|uhrzeit|"
    r"zeit|tag|tijd|dag)\b(?:\s+as\s+(?:your|the)\s+(?P<ord>first|second|third|"
    r"last|1st|2nd|3rd)\s+(?:option|one|slot|suggestion|time))?"
)

_DAY_WORDS = frozenset({"day", "giorno", "dia", "día", "jour", "tag", "dag"})
_NEXT_WORDS = ("next", "nächsten", "nächster", "kommenden", "próximo", "proximo", "próxima",
               "proxima", "prochain")  # fmt: skip
ORDINALS = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3,
            "4th": 3, "last": -1, "middle": -2, "earliest": 0, "soonest": 0,
            "latest": -1, "later": -1, "earlier": 0}  # fmt: skip


@dataclass
class Mention:
    """One date/time word group found in the text, with what it means."""

    kind: str  # date, time, part, same_time, same_day, pick, all
    start: int
    end: int
    day: date | None = None
    weekday: int | None = None
    h1: tuple[int, int] | None = None
    h2: tuple[int, int] | None = None
    meridiem: str | None = None  # am/pm given for h1/h2 or decided by a 24h value
    open: str | None = None  # "after" or "before" for open-ended times
    part: tuple[int, int] | None = None
    zone: str | None = None  # IANA name, "sender" or "owner"
    ordinal: int | None = None
    relative: str | None = None
    negated: bool = False
    through: bool = False  # last day of a span of days: "Monday through Wednesday"


def _year_for(month: int, day: int, ref: date, nearest: bool) -> date | None:
    """The next such date on or after ``ref`` (or the nearest one, for quoted bookings)."""
    cands = []
    for year in (ref.year - 1, ref.year, ref.year + 1):
        try:
            cands.append(date(year, month, day))
        except ValueError:
            continue
    if not cands:
        return None
    if nearest:
        return min(cands, key=lambda d: abs((d - ref).days))
    future = [d for d in cands if d >= ref]
    return min(future) if future else None


def _mk_date(y: str | None, m: int, d: int, ref: date, nearest: bool) -> date | None:
    if y:
        year = int(y) + (2000 if len(y) == 2 else 0)
        try:
            return date(year, m, d)
        except ValueError:
            return None
    return _year_for(m, d, ref, nearest)


def weekday_after(day: date, weekday: int) -> date:
    """The first such weekday after ``day`` ("Thursday" said on a Thursday: a week on)."""
    return day + timedelta(days=(weekday - day.weekday()) % 7 or 7)


def weekday_next_week(day: date, weekday: int) -> date:
    """That weekday in the calendar week after ``day``'s ("next Tuesday", "来週の火曜")."""
    return day + timedelta(days=7 - day.weekday() + weekday)


def _next_dom(day: int, ref: date, weekday: int | None) -> date | None:
    """Day of month with no month: the next such date (matching the weekday if one is given)."""
    first: date | None = None
    y, m = ref.year, ref.month
    for _ in range(14):
        try:
            cand = date(y, m, day)
        except ValueError:
            cand = None
        if cand is not None and cand > ref:
            if weekday is None or cand.weekday() == weekday:
                return cand
            first = first or cand
        m += 1
        if m > 12:
            y, m = y + 1, 1
    return first


def find_dates(text: str, ref: date, *, day_first: bool, nearest: bool = False) -> list[Mention]:
    """Explicit and relative dates, weekdays merged with the date that follows them."""
    found: list[Mention] = []
    taken: list[tuple[int, int]] = []

    def free(a: int, b: int) -> bool:
        return all(b <= s or a >= e for s, e in taken)

    def add(m: Mention) -> None:
        if free(m.start, m.end):
            found.append(m)
            taken.append((m.start, m.end))

    for mt in JA_DATE_RE.finditer(text):  # "12月3日(木)", "2027年1月8日"
        d = _mk_date(mt["y"], int(mt["m"]), int(mt["d"]), ref, nearest)
        if d:
            add(Mention("date", mt.start(), mt.end(), day=d))
    for mt in JA_WEEKDAY_RE.finditer(text):  # "木曜日", "来週の火曜"
        wd = "月火水木金土日".index(mt["wd"])
        day = weekday_next_week(ref, wd) if mt["next"] else weekday_after(ref, wd)
        add(Mention("date", mt.start(), mt.end(), day=day, weekday=wd, relative="weekday"))
    for rx in (DATE_ISO_RE, DATE_DM_RE, DATE_MD_RE):
        for mt in rx.finditer(text):
            mon = MONTHS.get(mt.group("m").lower()) if rx is not DATE_ISO_RE else int(mt["m"])
            if mon is None:
                continue
            if rx is DATE_MD_RE and mt.group("m").lower() == "may" and mt.group("m") == "may":
                continue  # the verb: "you may 2..."
            d = _mk_date(mt.group("y"), mon, int(mt.group("d")), ref, nearest)
            if d:
                add(Mention("date", mt.start(), mt.end(), day=d))
    for mt in DATE_DOT_RE.finditer(text):
        if mt.group("y") or text[mt.end() : mt.end() + 1] in ("", " ", ",", "\n", ")"):
            d = (
                _mk_date(mt.group("y"), int(mt["m"]), int(mt["d"]), ref, nearest)
                if (1 <= int(mt["m"]) <= 12)
                else None
            )
            if d and (mt.group("y") or not re.match(r"\s*(?:am|pm|uhr|h\b)", text[mt.end() :])):
                add(Mention("date", mt.start(), mt.end(), day=d))
    for mt in DATE_NUM_RE.finditer(text):
        if _ROUND_THE_CLOCK.match(mt.group(0)):
            continue  # "available 24/7" is not the 24th of July
        a, b = int(mt["a"]), int(mt["b"])
        mon, dom = (b, a) if (day_first and a <= 31 and b <= 12) or a > 12 else (a, b)
        if not (1 <= mon <= 12 and 1 <= dom <= 31):
            continue
        d = _mk_date(mt.group("y"), mon, dom, ref, nearest)
        if d:
            add(Mention("date", mt.start(), mt.end(), day=d))
    for mt in RELDAY_RE.finditer(text):
        word = (mt.group("rel") or mt.group("manana") or mt.group("morgen") or "").lower()
        offset = _REL_OFFSETS.get(" ".join(word.split()), 2 if "after" in word else 1)
        part = PARTS["evening"] if word == "tonight" else None
        day = ref + timedelta(days=offset)
        add(Mention("date", mt.start(), mt.end(), day=day, relative=word, part=part))
    for mt in SAME_RE.finditer(text):
        what = mt["what"].lower()
        kind = "same_day" if what in _DAY_WORDS else "same_time"
        add(Mention(kind, mt.start(), mt.end(), ordinal=ORDINALS.get((mt["ord"] or "").lower())))
    for mt in WEEKDAY_RE.finditer(text):
        wd_word = mt["wd"]
        mod = " ".join((mt["mod"] or "").lower().split())
        if (
            wd_word.lower() in _ABBREV_DAYS
            and not wd_word[0].isupper()
            and not abbreviation_ok(text, mt.start("wd"), mt.end(), bool(mod))
        ):
            continue  # "sat", "sun", "wed" in prose; "wed 3pm", "on fri" are days
        if wd_word.lower() in _ABBREV_DAYS and _PROPER_NEXT.match(text, mt.end()) and not mod:
            continue  # "a fellow Sun Devil", "Sat Nav": a name, not a day
        if (
            wd_word.lower() == "segunda"
            and not (mod or _PT_BEFORE.search(text, 0, mt.start()))
            and not _PT_AFTER.match(text, mt.end())
        ):
            continue  # Portuguese/Spanish "second", unless "na segunda"
        wd = WEEKDAYS[wd_word.lower()]
        start, end = mt.start(), mt.end()
        # "Tuesday, 2 November" / "Monday 9th" / "Tuesday 10/27": the date decides.
        merged = False
        for other in found:
            if (
                other.kind == "date"
                and other.relative is None
                and 0 <= other.start - end <= 6
                and _WD_DATE_GAP.fullmatch(text[end : other.start])
            ):
                other.start, other.weekday = start, wd
                merged = True
                break
        if merged:
            continue
        after = end + len(text[end:]) - len(text[end:].lstrip(" ,"))
        om = DATE_ORD_RE.match(text, after)
        bare = om is None and _WD_BARE_DOM.match(text, after)
        if bare:  # "Thursday 18", "mercredi 18 à 12h30": only where the 18th is that weekday
            d = _next_dom(int(bare["d"]), ref, wd)
            small = int(bare["d"]) <= 12 and not _CLOCK_NEXT.match(text, bare.end())
            if (
                d is not None
                and d.weekday() == wd
                and (d - ref).days <= 35
                and not small  # "Thursday 3 works" is more likely 3 o'clock
                and bare.start() - end <= 3
            ):
                taken.append((start, bare.end()))
                found.append(Mention("date", start, bare.end(), day=d, weekday=wd))
                continue
        if om and om.start() - end <= 3:
            d = _next_dom(int(om["d"]), ref, wd)
            if d:
                taken.append((start, om.end()))
                found.append(Mention("date", start, om.end(), day=d, weekday=wd))
                continue
        day = weekday_after(ref, wd)
        if mod in _NEXT_WORDS:
            day = weekday_next_week(ref, wd)
        elif "following" in mod:
            day += timedelta(days=7)
        m = Mention("date", start, end, day=day, weekday=wd, relative=mod or "weekday")
        add(m)
    for mt in DATE_ORD_RE.finditer(text):
        if free(mt.start(), mt.end()):
            d = _next_dom(int(mt["d"]), ref, None)
            if d and not re.match(r"\s*(?:floor|century|anniversary|birthday)", text[mt.end() :]):
                d = _after_anchor(text, found, mt.start(), int(mt["d"])) or d
                add(Mention("date", mt.start(), mt.end(), day=d))
    found.sort(key=lambda m: m.start)
    return found


_ROUND_THE_CLOCK = re.compile(r"24\s*/\s*(?:7|365)$")
_CLAUSE_END = re.compile(r"[.!?]\s|\n[ \t]*\n")


def _after_anchor(text: str, found: list[Mention], at: int, dom: int) -> date | None:
    """A bare "the 20th" after a written date in the same sentence ("until July 19 (back on
    the 20th)", "14 March or the 16th") is the first such day on or after that date."""
    before = [
        m
        for m in found
        if m.kind == "date" and m.day is not None and m.end <= at and m.relative is None
    ]
    if not before:
        return None
    anchor = max(before, key=lambda m: m.end)
    if at - anchor.end > 120 or _CLAUSE_END.search(text, anchor.end, at):
        return None
    assert anchor.day is not None
    return _next_dom(dom, anchor.day - timedelta(days=1), None)
