"""Separate what the sender wrote now from the quoted original, signature and disclaimer.

Dates in the quote header, the quoted outreach or a signature ("on leave 14-18 June") must never
become proposals, so everything downstream reads only ``Reply.new``. The quoted part is kept
because it holds the booking confirmation that "same time" refers to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from coffeechat.domain.datewords import MONTHS, WEEKDAYS

# "On Mon, Jan 12, 2026 at 8:31 AM Maya <m@x> wrote:" and its translations.
_ATTRIBUTION_START = re.compile(r"^\s*(?:on|am|el|le|op|il|den|em|w dniu)\s+\S.*", re.IGNORECASE)
_ATTRIBUTION_END = re.compile(
    r"(?:wrote|schrieb|escribió|a\s+écrit|schreef|ha\s+scritto|skrev|escreveu|napisał)"
    r"(?:\s+[^:]{1,120})?\s*:\s*$|wrote\s*$",
    re.IGNORECASE,
)
_SEPARATOR = re.compile(
    r"^\s*-{2,}\s*(?:original\s+message|ursprüngliche\s+nachricht|mensaje\s+original|"
    r"message\s+d'origine|forwarded\s+message|original\s+nachricht|weitergeleitete\s+nachricht)"
    r"\s*-{2,}\s*$|^\s*begin\s+forwarded\s+message:?\s*$",
    re.IGNORECASE,
)
_RULE = re.compile(r"^\s*[_\u2014-]{8,}\s*$")
_HEADER_FROM = re.compile(r"^\s*\**(?:from|von|de|da|van|från|od)\s*:\**\s*\S", re.IGNORECASE)
_HEADER_NEXT = re.compile(
    r"^\s*\**(?:sent|date|to|subject|gesendet|datum|an|betreff|enviado|fecha|para|asunto|"
    r"envoyé|à|objet|cc|verzonden|aan|onderwerp|inviato|oggetto|a|assunto|data|enviada|"
    r"skickat|till|ämne|wysłano|do|temat)\s*:",
    re.IGNORECASE,
)
_QUOTED = re.compile(r"^\s*>")
# An inline answer that points at the quoted line above it: "This one works for me!"
_POINTS_UP = re.compile(
    r"(?i)^\s*(?:(?:yes|yep|yeah|great|perfect|ok(?:ay)?)[\s,!.]+)?(?:this|that)\s+(?:one|slot|"
    r"time|day)?\s*(?:works|suits|would\s+(?:work|suit)|is\s+(?:good|great|perfect|fine|ideal))\b"
    r"(?![^.!?\n]*\b(?:not|n't|but)\b)"
)
_ITEM = re.compile(
    r"\b(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\b[^|@+]{0,40}?\d{1,2}(?:[:.]\d\d|\s*[ap]m)",
    re.IGNORECASE,
)  # a quoted line that holds a day and a clock time, not a signature or a phone number
_SIG_DASHES = re.compile(r"^\s*--\s*$|^\s*—\s*$")
_MOBILE = re.compile(
    r"^\s*(?:sent\s+from\s+(?:my|outlook|mail|yahoo|samsung)|sent\s+via\b|get\s+outlook\s+for|"
    r"von\s+meinem\s+\S+\s+gesendet|gesendet\s+von|enviado\s+desde|envoyé\s+de\s+mon|"
    r"sent\s+on\s+the\s+go)",
    re.IGNORECASE,
)
_SIGNOFF = re.compile(
    r"^\s*(?:best|best\s+regards|kind\s+regards|warm\s+regards|warmest\s+regards|regards|"
    r"many\s+thanks|thanks(?:\s+(?:so\s+much|again|a\s+lot))?|thank\s+you|thx|cheers|"
    r"all\s+the\s+best|best\s+wishes|with\s+best\s+wishes|sincerely|yours(?:\s+sincerely)?|"
    r"take\s+care|talk\s+soon|speak\s+soon|warmly|respectfully|rgds|br|"
    r"mit\s+freundlichen\s+grüßen|freundliche\s+grüße|viele\s+grüße|beste\s+grüße|"
    r"liebe\s+grüße|herzliche\s+grüße|grüße|gruß|lg|vg|mfg|"
    r"un\s+saludo|saludos(?:\s+cordiales)?|atentamente|un\s+abrazo|abrazos|"
    r"cordialement|bien\s+à\s+vous|amicalement|groet(?:en)?|met\s+vriendelijke\s+groet(?:en)?|"
    r"hartelijke\s+groet(?:en)?|cordiali\s+saluti|un\s+saluto|saluti|distinti\s+saluti|"
    r"atenciosamente|abraços?|um\s+abraço|beijos|cumprimentos|obrigad[oa])\s*[,.!]*\s*$",
    re.IGNORECASE,
)
_DISCLAIMER = re.compile(
    r"^\s*(?:confidential(?:ity)?\b|disclaimer\b|privileged\b|important\s+notice|notice\s*:|"
    r"this\s+(?:e-?mail|message|communication|transmission)\s+(?:and\s+any|is\s+(?:intended|"
    r"confidential|for)|may\s+contain|contains|including)|the\s+information\s+(?:contained|"
    r"in\s+this|transmitted)|if\s+you\s+(?:are\s+not|have\s+received)\s+(?:the\s+intended|this)|"
    r"diese\s+e-?mail\s+(?:enthält|kann)|este\s+(?:mensaje|correo)\s+(?:y\s+sus|es\s+confidencial|"
    r"contiene)|please\s+consider\s+the\s+environment)",
    re.IGNORECASE,
)
# A signature with no sign-off: a bare name line ("Graham", "- Jo", "Graham McAllister") followed
# by lines that only a signature has (a title, "|", a phone number, an address, a link).
_NAME_LINE = re.compile(r"^\s*[-–—~]?\s*[A-ZÀ-Þ][\w'’.-]*(?:\s+[A-ZÀ-Þ][\w'’.-]*){0,3}\s*$")
_SIG_MARK = re.compile(
    r"\s\|\s|\+?\d[\d\s().-]{7,}\d|[\w.+-]+@[\w-]+\.|\bwww\.|https?://|"
    r"\b(?:manager|director|head|lead|vp|svp|evp|vice\s+president|president|ceo|cto|cfo|coo|"
    r"founder|co-founder|partner|principal|engineer|scientist|analyst|consultant|designer|"
    r"recruiter|officer|specialist|associate|senior|sr\.|staff|chief|coordinator|architect|"
    r"developer|advisor|professor|leiter\w*|gerente|directora?|jefe)\b",
    re.IGNORECASE,
)
_NOT_A_NAME = re.compile(
    r"^\s*(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|yes|no|sure|thanks|"
    r"thank\s+you|ok|okay|great|perfect|hi|hello|hey|dear|p\.?s\.?)\b",
    re.IGNORECASE,
)
_DATE_NAMES = frozenset(WEEKDAYS) | frozenset(MONTHS) | {"next", "this", "tomorrow", "today"}
_MAX_SIG_LINES = 8
_MAX_SIG_LINE = 90


@dataclass(frozen=True)
class Reply:
    """``new`` is the sender's own text; ``quoted`` the quoted history with "> " removed."""

    new: str
    quoted: str


def _join_wrapped_attribution(lines: list[str]) -> list[str]:
    """Gmail wraps long "On ... wrote:" lines; put them back on one line."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if (
            i + 1 < len(lines)
            and _ATTRIBUTION_START.match(line.lstrip("> "))
            and not _ATTRIBUTION_END.search(line)
            and _ATTRIBUTION_END.search(lines[i + 1])
            and len(line) < 200
        ):
            out.append(line.rstrip() + " " + lines[i + 1].lstrip("> ").strip())
            i += 2
            continue
        out.append(line)
        i += 1
    return out


def _is_attribution(line: str) -> bool:
    return bool(
        (_ATTRIBUTION_START.match(line) and _ATTRIBUTION_END.search(line))
        or _DATED_ADDRESS_COLON.match(line)
    )


# Any language's "<date> <name> <address>:" line ("2026年5月10日(日) 21:05 Kenji <k@x>:")
_DATED_ADDRESS_COLON = re.compile(
    r"^\s*(?:\S.*)?(?<!\d)(?:19|20)\d\d(?!\d).*<[^<>\s]+@[^<>\s]+>\s*:\s*$"
)


def _is_header_block(lines: list[str], i: int) -> bool:
    """An Outlook-style "From: / Sent: / To:" block starts at line i."""
    if not _HEADER_FROM.match(lines[i]):
        return False
    following = [ln for ln in lines[i + 1 : i + 6] if ln.strip()]
    return sum(1 for ln in following[:4] if _HEADER_NEXT.match(ln)) >= 1


def _hard_cut(lines: list[str]) -> int:
    """Index where an unmarked quoted original starts (Outlook, forwards), else len(lines)."""
    for i, line in enumerate(lines):
        if _QUOTED.match(line):
            continue
        if _SEPARATOR.match(line):
            return i
        if _RULE.match(line) and i + 1 < len(lines):
            nxt = next((j for j in range(i + 1, min(i + 4, len(lines))) if lines[j].strip()), None)
            if nxt is not None and _is_header_block(lines, nxt):
                return i
        if _is_header_block(lines, i):
            return i
    return len(lines)


def split_reply(text: str) -> Reply:
    """Split a plain-text body into new text and quoted history.

    Handles top-posting (quote below), bottom-posting and interleaved answers (new lines
    between ">" blocks are kept), unmarked Outlook originals, signatures and disclaimers.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    lines = _join_wrapped_attribution(text.split("\n"))
    cut = _hard_cut(lines)
    head, tail = lines[:cut], lines[cut:]

    new: list[str] = []
    quoted: list[str] = []
    last_quoted = ""  # the last non-blank quoted line, while no new text has followed it
    i = 0
    while i < len(head):
        line = head[i]
        if line.strip() and not _QUOTED.match(line) and not _is_attribution(line):
            item = last_quoted.strip(" \t-*•·")
            if item and _ITEM.search(item) and _POINTS_UP.match(line):
                # interleaved: "> - Wednesday 11 March, 10:00" / "This one works for me!"
                line = f"{item} works for me. {line}"
            last_quoted = ""
        if _is_attribution(line):
            nxt = next((ln for ln in head[i + 1 :] if ln.strip()), None)
            if nxt is None or not _QUOTED.match(nxt):
                # an attribution followed by unmarked text: all of it is the original
                quoted.extend(head[i:])
                break
            quoted.append(line)
        elif _QUOTED.match(line):
            quoted.append(re.sub(r"^(\s*>)+\s?", "", line))
            last_quoted = quoted[-1] if quoted[-1].strip() else last_quoted
        else:
            new.append(line)
        i += 1
    quoted.extend(tail)
    body = strip_signature("\n".join(new))
    return Reply(new=body, quoted="\n".join(quoted).strip())


def strip_signature(text: str) -> str:
    """Drop the signature, mobile footers, sign-off block and legal disclaimer."""
    lines = text.split("\n")
    end = len(lines)
    for i, line in enumerate(lines):
        if _SIG_DASHES.match(line) or _MOBILE.match(line) or _DISCLAIMER.match(line):
            end = i
            break
        if _SIGNOFF.match(line) and i > 0:
            rest = [ln for ln in lines[i + 1 :] if ln.strip()]
            short = len(rest) <= _MAX_SIG_LINES and all(len(ln) <= _MAX_SIG_LINE for ln in rest)
            postscript = any(ln.lower().lstrip().startswith(("p.s", "ps:", "ps ")) for ln in rest)
            if short and not postscript:
                end = i
                break
        if i > 0 and _bare_name_signature(lines, i):
            end = i
            break
    return "\n".join(lines[:end]).strip()


def _bare_name_signature(lines: list[str], i: int) -> bool:
    """Line i is a name closing the message, and what follows is a signature block."""
    line = lines[i]
    if not _NAME_LINE.match(line) or _NOT_A_NAME.match(line) or lines[i - 1].strip():
        return False  # a name stands alone, after a blank line
    if any(w.lower().strip(".-") in _DATE_NAMES for w in line.split()):
        return False  # "Next Tuesday" is not a name
    before = [ln for ln in lines[:i] if ln.strip()]
    if before and before[-1].rstrip().endswith(":"):
        return False  # "speak with my colleague:" introduces the name block that follows
    rest = [ln for ln in lines[i + 1 :] if ln.strip()]
    if not rest or len(rest) > _MAX_SIG_LINES or any(len(ln) > _MAX_SIG_LINE for ln in rest):
        return False
    return any(_SIG_MARK.search(ln) for ln in rest)


def strip_quotes(text: str) -> str:
    """Only the sender's new text."""
    return split_reply(text).new
