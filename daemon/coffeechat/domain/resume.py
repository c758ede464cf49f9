"""When may the daemon write again? ``later_until`` for "later" replies and out-of-office notes.

The return date wins over the end of the absence ("through 27 Nov, back on 30 Nov"); "in April"
is the first of that month; "in two weeks" counts from the received date; a holiday or event
with no date gives None.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from coffeechat.domain.datewords import MON_ALT, MONTHS, WEEKDAYS, find_dates, weekday_next_week
from coffeechat.domain.weekdays import fix_typos

_RETURN_BEFORE = re.compile(
    r"(?i)\b(?:back|return\w*|resum\w*|again|reachable|available|wieder|zurück|regreso|de\s+vuelta|"
    r"retorno|retornarei|retornar|volto|voltarei|vuelvo|regresar[ée]|de\s+retour|retour|reopen\w*|"
    r"in\s+the\s+office|(?:leave|holiday|vacation|trip|absence|sabbatical|travel)\s+(?:ends|finishes|"
    r"is\s+over))\b[^.\n]{0,40}$"
)
_WEEKDAY_RANGE = re.compile(
    rf"(?i)\b(?:{'|'.join(WEEKDAYS)})\s*(?:to|-|–|through|thru|until|till)\s*$"
)
_RETURN_AFTER = re.compile(r"(?i)^[\s,.)]{0,3}(?:wieder|zurück|back)\b")
_CONTACT_BEFORE = re.compile(
    r"(?i)\b(?:ping|reach\s+out|contact|try|email|e-mail|write|follow\s+up|check\s+back|check\s+in|"
    r"get\s+back(?:\s+in\s+touch)?|circle\s+back|touch\s+base|drop\s+me|reconnect|message|nudge|remind)\b"
    r"[^.\n]{0,40}\b(?:from|after|on|around|in|at|week\s+of|by)\s+(?:the\s+)?$|"
    r"\b(?:ping|try|contact|email|e-mail|write\s+to|message|nudge|remind|call)\s+(?:me|us)\s+"
    r"(?:again\s+)?(?:on\s+)?(?:the\s+)?$"
)
_UNTIL_BEFORE = re.compile(
    r"(?i)\b(?P<w>until|till|til|through|thru|to|bis|hasta)\s+(?:einschließlich\s+|inclusive\s+)?"
    r"(?:the\s+)?$"
)
# "after the 26th", "from 6 July onwards", "once the 14th is past": contact resumes that day
_AFTER_BEFORE = re.compile(
    r"(?i)\b(?P<w>after|from|once|post|following|as\s+of|starting)\s+(?:the\s+|on\s+)?$"
)
# "from 3 Aug to 14 Aug" opens a span; "from 14/09 – drop me a line" is a dash in prose
_SPAN_TO = re.compile(
    r"(?i)^\s*(?:to|until|till|through|thru|and)\b|"
    r"^\s*[-–]\s*(?=\d|(?:mon|tue|wed|thu|fri|sat|sun|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|"
    r"dec)[a-z]*\b)"
)
_INCLUSIVE = re.compile(r"(?i)einschließlich|inclusive|through|thru")
_ABSENCE_FROM = re.compile(r"(?i)\b(?:leave|off|away|out|holiday|vacation|urlaub)\b[^.\n]{0,20}$")
# a hard-wrapped line ("back on\nMonday 8 June") is not a sentence end; a blank line is
_SENTENCE = re.compile(r"[.!?]|\n[ \t]*\n|\n[ \t]*(?=[-*•>]|[A-Z][\w ]{0,30}:)")

_NUMBER = {"a": 1, "one": 1, "two": 2, "a couple of": 2, "couple of": 2, "a few": 3, "few": 3,
           "three": 3, "four": 4, "five": 5, "six": 6, "several": 3}  # fmt: skip
_IN_MONTH = re.compile(
    rf"(?i)\b(?:in|after|from|by|until|around|early|mid|late|start\s+of|beginning\s+of|en|im|ab|em|"
    rf"depois\s+de|a\s+partir\s+de|dopo|da|à\s+partir\s+de|"
    rf"nach|come|towards|means|meaning|probably|realistically|likely|revisit(?:\s+(?:it|this|that))?)"
    rf"\s+(?:early\s+|(?P<mid>mid-?\s*)|late\s+)?"
    rf"(?P<m>{MON_ALT})\b(?:,?\s+(?P<y>20\d\d)\b|(?!\s*\d))"
)
_MID_MONTH = re.compile(rf"(?i)\bmid-\s*(?P<m>{MON_ALT})\b(?:,?\s+(?P<y>20\d\d)\b|(?!\s*\d))")
_NEXT_MONTH = re.compile(r"(?i)\bnext\s+month\b|\bnächsten\s+monat\b|\bel\s+mes\s+que\s+viene\b")
_NEXT_WEEK = re.compile(r"(?i)\bnext\s+week\b|\bnächste\s+woche\b")
_IN_SPAN = re.compile(
    r"(?i)\bin\s+(?P<n>\d+|a|one|two|three|four|five|six|a\s+couple\s+of|couple\s+of|a\s+few|"
    r"few|several)\s+(?P<u>days?|weeks?|fortnights?|months?)(?:['’]s?\s+time)?\b"
)


def return_date(text: str, ref: date, *, day_first: bool) -> date | None:
    """The date the text gives for resuming contact, or None."""
    best: tuple[int, date] | None = None
    text = fix_typos(text)
    mentions = find_dates(text, ref, day_first=day_first)
    starts = [m.start for m in mentions]
    for m in mentions:
        if m.day is None or m.kind != "date":
            continue
        if m.weekday is not None and _WEEKDAY_RANGE.search(text, 0, m.start):
            continue  # "Monday to Friday, 9-5": opening hours, not a date
        before = text[max(_sentence_start(text, m.start), m.start - 80) : m.start].replace(
            "\n", " "
        )
        after = text[m.end : m.end + 20].replace("\n", " ")
        rank: int | None = None
        day = m.day
        back = _RETURN_AFTER.match(after)
        if back and any(0 <= s - (m.end + back.end()) <= 40 for s in starts):
            back = None  # "until 02/04, back 03/04": "back" belongs to the next date
        if _RETURN_BEFORE.search(before) or back:
            rank = 0
        elif _CONTACT_BEFORE.search(before):
            rank = 1
        elif re.match(r"(?i)[\s,]*onwards?\b", after) or (
            (ab := _AFTER_BEFORE.search(before)) and _resumes_on(ab["w"], before, after)
        ):
            rank = 2
        else:
            until = _UNTIL_BEFORE.search(before)
            if until:
                rank = 3
                if _INCLUSIVE.search(until.group(0)) or until["w"].lower() in ("through", "thru"):
                    day = day + timedelta(days=1)
        if rank is None or day < ref:
            continue
        if best is None or rank < best[0]:
            best = (rank, day)
    if best is not None:
        return best[1]
    return _relative(text, ref)


def _sentence_start(text: str, pos: int) -> int:
    return max((s.end() for s in _SENTENCE.finditer(text, 0, pos)), default=0)


def _resumes_on(word: str, before: str, after: str) -> bool:
    """ "after the 26th" resumes then; "off from 3 Aug to 14 Aug" starts an absence."""
    if word.lower() in ("after", "once", "post", "following"):
        return True
    return not _SPAN_TO.match(after) and not _ABSENCE_FROM.search(before)


_QUARTER_WORDS = {"first": 1, "second": 2, "third": 3, "fourth": 4}
_QUARTER = re.compile(
    r"(?i)\b(?:in|from|early|start\s+of|beginning\s+of|come|next)\s+"
    r"(?:(?:the\s+)?(?P<w>first|second|third|fourth)\s+quarter|Q(?P<q>[1-4]))\b(?!\s+(?:close|end))"
    r"(?:\s*(?:of\s+)?'?(?P<y>20\d\d|\d\d)\b)?"
)


def _month_mention(text: str) -> re.Match[str] | None:
    """The month the text resumes in: one asked for ("reach out again in February") beats one
    that only ends a busy spell ("buried until mid-January"); otherwise the first written."""
    found = sorted(
        [*_MID_MONTH.finditer(text), *_IN_MONTH.finditer(text)], key=lambda mt: mt.start()
    )
    best: tuple[int, re.Match[str]] | None = None
    for mt in found:
        cut = _sentence_start(text, mt.start())
        lead = text[max(cut, mt.start("m") - 80) : mt.start("m")].replace("\n", " ")
        lead = re.sub(r"(?i)(?:early|mid|late)[\s-]*$", "", lead)
        asked = _RETURN_BEFORE.search(lead) or _CONTACT_BEFORE.search(lead)
        rank = 0 if asked else 1
        if best is None or rank < best[0]:
            best = (rank, mt)
    return best[1] if best else None


def _relative(text: str, ref: date) -> date | None:
    quarter = _QUARTER.search(text)
    if quarter:  # "reach back out in Q1": the quarter's first day, the next one to come
        first_month = 3 * (int(quarter["q"] or _QUARTER_WORDS[quarter["w"].lower()]) - 1) + 1
        year = ref.year if first_month > ref.month else ref.year + 1
        written = 2000 + int(quarter["y"]) % 100 if quarter["y"] else None
        if written is not None and date(written, first_month, 1) > ref:
            year = written  # "Q2 2028": the year is written
        return date(year, first_month, 1)
    mt = _month_mention(text)
    if mt:
        month = MONTHS[mt["m"].lower()]
        year = ref.year if month > ref.month else ref.year + 1
        if mt["y"] and (int(mt["y"]), month) > (ref.year, ref.month):
            year = int(mt["y"])  # "back in April 2027": the year is written
        is_mid = mt.re is _MID_MONTH or bool(mt.groupdict().get("mid"))
        return date(year, month, 15 if is_mid else 1)  # "mid-March": the 15th
    if _NEXT_MONTH.search(text):
        return _add_months(ref.replace(day=1), 1)
    mt = _IN_SPAN.search(text)
    if mt:
        raw = " ".join(mt["n"].lower().split())
        n = int(raw) if raw.isdigit() else _NUMBER.get(raw, 1)
        unit = mt["u"].lower()
        if unit.startswith("day"):
            return ref + timedelta(days=n)
        if unit.startswith("week"):
            return ref + timedelta(weeks=n)
        if unit.startswith("fortnight"):
            return ref + timedelta(weeks=2 * n)
        return _add_months(ref, n)
    if _NEXT_WEEK.search(text):
        return weekday_next_week(ref, 0)
    return None


def _add_months(day: date, n: int) -> date:
    """Same day n months on, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    y, m = divmod(day.month - 1 + n, 12)
    year, month = day.year + y, m + 1
    for dom in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, dom))
        except ValueError:
            continue
    return date(year, month, 28)
