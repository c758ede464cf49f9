"""Who does the sender point to instead, and at what address?

The address may sit in the text, only in the Cc header, or only in an HTML mailto link.
"""

from __future__ import annotations

import re
import unicodedata

from coffeechat.domain.datewords import MONTHS, WEEKDAYS
from coffeechat.domain.intents import Referral
from coffeechat.domain.mailparse import ParsedMessage

# "Anne-Marie", "Nguyen-Baxter", "O'Brien", "McAllister": a capital may follow ', Mc or a hyphen
_WORD = r"[A-Z](?:[a-zà-ÿ]{0,2}['’]?[A-Z])?[a-zà-ÿ'’]+(?:-[A-Za-zà-ÿ][a-zà-ÿ'’]+)*"
_PARTICLE = r"(?:van\s+|de\s+|von\s+|da\s+|del\s+|di\s+)?"
_NAME = rf"(?P<name>{_WORD}(?:\s+{_PARTICLE}{_WORD}){{0,2}})"
_LEAD = (
    r"(?:talk(?:ing)?|speak(?:ing)?|chat(?:ting)?|reach(?:ing)?\s+out|get(?:ting)?\s+in\s+touch|"
    r"connect(?:ing)?|contact(?:ing)?|ask(?:ing)?|email(?:ing)?|introduce\s+you|put\s+you\s+in\s+"
    r"touch|loop(?:ing)?\s+in|cc'?(?:e)?d|copied|copying|try(?:ing)?|ping(?:ing)?|write\s+to|"
    r"have\s+a\s+(?:word|chat|natter|yarn)|drop\s+(?:a\s+)?(?:line|note)\s+to|get\s+hold\s+of|"
    r"point\s+you\s+(?:to|towards|at)|send\s+you\s+(?:to|over\s+to)|refer\s+you|"
    r"(?:i'?d\s+)?(?:recommend|suggest)(?:ing)?|"
    r"(?:passed|passing|forwarded|forwarding|sent|handed)\s+(?:your\s+(?:note|e-?mail|message|request)|"
    r"this|it)\s+(?:on\s+|over\s+)?to|"
    # Italian, Portuguese, Spanish, French, German, Dutch: "Ti consiglio di scrivere a Marta"
    r"scrivere\s+a|scrivi\s+a|contattare|contatta|parlare\s+con|parla\s+con|sentire|"
    r"rivolger(?:ti|si|vi)\s+a|fal(?:e|ar)\s+com|convers(?:e|ar)\s+com|procur(?:e|ar)|"
    r"escrev(?:a|er)\s+(?:para|a)|contat(?:e|ar)|habla(?:r)?\s+con|escrib(?:e|ir)(?:le)?\s+a|"
    r"contacta(?:r)?\s+(?:a|con)|contacte[rz]?|écri(?:re|vez)\s+à|parle[rz]?\s+à|"
    r"wende\s+dich\s+an|wenden\s+Sie\s+sich\s+an|sprich\s+mit|sprechen\s+Sie\s+mit|"
    r"neem\s+contact\s+op\s+met|spreek\s+met|praat\s+met)"
)
# A title before the name: "a chat with our brand director, Lucas Whitford"
_TITLE = (
    r"(?:our|my|the|their)\s+(?:[\w-]+\s+){0,3}?(?:lead|head|manager|director|vp|expert|chief|"
    r"founder|partner|recruiter|engineer|designer|analyst|specialist|coordinator|officer|"
    r"architect|scientist|researcher|editor|producer|strategist|consultant|advisor|adviser)"
    r"(?:\s+of\s+[\w-]+(?:\s+[\w-]+)?)?"
)
# The possessive may open a sentence ("My cousin Noor"); the role word itself is lower case in
# prose, so a capitalised job title in a signature ("Senior Manager, Clinical Data") is not one.
_ROLE = (
    r"(?:(?:[Mm]y|[Oo]ur)\s+)?(?:former\s+)?(?:colleague|coworker|co-worker|teammate|friend|"
    r"manager|boss|counterpart|successor|ex-colleague)|(?:[Mm]y|[Oo]ur)\s+(?:old\s+|former\s+)?"
    r"(?:cousin|sister|brother|wife|husband|partner|neighbou?r|classmate|mentor|mentee)"
)
NAME_CUES = [
    re.compile(
        rf"(?i:{_LEAD})\s+(?:(?i:to|with|in|out\s+to)\s+)?(?:(?i:{_ROLE})\s*,?\s+|"
        rf"(?i:{_TITLE})\s*,\s+)?{_NAME}"
    ),
    re.compile(rf"\b(?i:chat|talk|conversation|call|word)\s+with\s+(?i:{_TITLE})\s*,\s+{_NAME}"),
    re.compile(rf"(?<![A-Za-z])(?-i:{_ROLE})\s*,?\s+{_NAME}"),
    re.compile(
        rf"{_NAME}\b[^.\n]{{0,80}}?\b(?i:would\s+be|is|might\s+be|'s)\s+(?i:a\s+|the\s+)?"
        rf"(?i:much\s+)?"
        rf"(?i:great|better|good|best|right|ideal|perfect)\s+(?i:person|fit|contact|resource)"
    ),
    # "Ana Ruiz at Northwind would be ideal", "Lee in finance would be perfect for this"
    re.compile(
        rf"{_NAME}\b[^.,;\n]{{0,80}}?\b(?i:would|'d|might|could)\s+(?i:be\s+)"
        rf"(?i:really\s+|just\s+)?(?i:ideal|perfect|great\s+(?:to|for)|(?:a\s+)?(?:much\s+)?better\s+bet|"
        rf"your\s+best\s+bet|the\s+one\s+to)\b"
    ),
    # "Dana Osei would be much better", "Lee would be far better placed"
    re.compile(
        rf"{_NAME}\s+(?i:would|'d|might|could)\s+(?i:be\s+)(?i:much\s+|far\s+|a\s+lot\s+|way\s+)?"
        rf"(?i:better|best)\b"
    ),
    # "Priya Nair leads our analytics team", "Tom heads up data": the one who does the work
    re.compile(
        rf"{_NAME}\s+(?i:leads|runs|heads(?:\s+up)?|manages|owns|handles|looks\s+after|covers|"
        rf"is\s+in\s+charge\s+of|is\s+(?:our|the)\s+(?:\w+\s+){{0,3}}(?:lead|head|manager|director|"
        rf"expert|go-to))\b"
    ),
    # "Sam Ortiz in our Leeds office made the same switch", "Kim on the data team did this"
    re.compile(
        rf"{_NAME}\s+(?i:in|on|from|at)\s+(?i:our|the|my)\s+(?:[\w-]+\s+){{0,3}}?(?i:office|team|"
        rf"group|department|branch|practice)\b"
    ),
    # "You want Priya Shah, she runs that team": the person to talk to instead
    re.compile(rf"\b(?i:you\s+(?:want|need)|you'?re\s+after)\s+{_NAME}\b"),
    # "The person you want is Yuki Anand", "the one to ask is Lee"
    re.compile(
        rf"\b(?i:the\s+(?:person|one|people|woman|man|guy|expert)\s+(?:you\s+(?:really\s+|actually\s+)?"
        rf"(?:want|need|should\s+(?:talk|speak)\s+to)|to\s+(?:ask|talk\s+to|speak\s+to))\s+"
        rf"(?:is|are|would\s+be))\s+(?i:(?:our|my|the)\s+(?:[\w-]+\s+){{0,3}}?(?:lead|head|manager|"
        rf"director|expert|person|colleague|guru)\s*,?\s+)?{_NAME}\b"
    ),
    # "Tunde Bakare at Arup did more or less exactly your move": someone who made the switch
    re.compile(
        rf"{_NAME}(?:\s+(?:at|from|in|over\s+at)\s+[A-Z][\w&.-]*(?:\s+[A-Z][\w&.-]*){{0,2}})?\s+"
        rf"(?i:did|made|has\s+made|has\s+done|went\s+through|has\s+been\s+through)\s+"
        rf"(?i:(?:more\s+or\s+less|pretty\s+much|almost|basically|essentially|nearly)\s+)?"
        rf"(?i:the\s+(?:exact\s+|same\s+|very\s+)?|exactly\s+|a\s+(?:very\s+)?similar\s+|that\s+|"
        rf"this\s+|your\s+)"
    ),
]
_THANKS_FOR = re.compile(r"(?i)\b(?:thanks|thank\s+you)\s+(?:so\s+much\s+)?for\s+$")
_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_STOP = {
    "i", "hi", "hello", "thanks", "thank", "linkedin", "zoom", "teams", "google", "the", "my",
    "our", "he", "she", "they", "you", "we", "please", "sorry", "happy", "best", "cheers",
    "honestly", "but", "and", "also", "she's", "he's", "mention", "feel", "tell", "just",
    "i've", "i'm", "try", "ask", "contact", "email", "ping", "maybe", "perhaps", "definitely",
    "one", "two", "three", "another", "next", "this", "that", "these", "those", "some", "each",
    "every", "any", "no",
}  # fmt: skip
_STOP |= set(WEEKDAYS) | set(MONTHS)


_NAME_WITH_ADDRESS = re.compile(
    rf"{_NAME}\s*(?:[(<\[]\s*|[-–—:,]\s*|\s+at\s+)(?:mailto:)?[\w.+'-]+@[\w-]+(?:\.[\w-]+)+"
)


def _fallback_name(text: str, msg: ParsedMessage, owner_addrs: set[str]) -> tuple[str | None, int]:
    """A name written next to an address, or a Cc'd person named in the text."""
    for mt in _NAME_WITH_ADDRESS.finditer(text):
        cand = _clean_name(mt["name"], msg)
        if cand and len(cand.split()) >= 2:
            return cand, mt.start("name")
    for display, addr in msg.cc:
        if addr in owner_addrs or not display or "@" in display:
            continue
        toks = display.split()
        at = text.find(toks[0])
        if at >= 0 and len(toks) >= 1:
            return display, at
    # A full name in the text whose address is also given: "Tom Brennan ... tom.brennan@x"
    skip = owner_addrs | {msg.from_addr}
    addresses = [m[0].lower() for m in _EMAIL.finditer(text) if m[0].lower() not in skip]
    addresses += [a for _, a in msg.html_mailtos if a not in skip]
    for mt in re.finditer(_NAME, text):
        words = mt["name"].split()
        for n in range(len(words), 1, -1):  # "Anjali Kapoor\nSenior ...": try shorter runs too
            cand = _clean_name(" ".join(words[:n]), msg)
            if cand and len(cand.split()) >= 2 and any(_names_address(cand, a) for a in addresses):
                return cand, mt.start("name")
    return None, 0


def _names_address(name: str, addr: str) -> bool:
    """Every part of the name is in the address's local part ("Tom Brennan", tom.brennan@)."""
    local = addr.split("@")[0].lower()
    toks = [t for t in _tokens(_ascii(name)) if len(t) > 1]
    return len(toks) >= 2 and all(t in local for t in toks)


def _ascii(text: str) -> str:
    """ "Siobhán" -> "Siobhan": addresses seldom carry the accents the name has."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _full_name(name: str, text: str, msg: ParsedMessage, owner_addrs: set[str]) -> str:
    """ "Looping in Rahul (cc'd)" with ``Rahul Menon`` in Cc: the full name where one is given."""
    if len(name.split()) != 1:
        return name
    first = name.lower()
    named = [d for d, a in msg.cc if a not in owner_addrs]
    named += [link for link, _a in msg.html_mailtos]
    named += [mt["name"] for mt in _NAME_WITH_ADDRESS.finditer(text)]
    for display in named:
        words = display.split()
        if len(words) >= 2 and "@" not in display and words[0].lower() == first:
            return display.strip()
    return name


def _tokens(name: str) -> list[str]:
    return [t.lower() for t in re.split(r"[\s.'’-]+", name) if len(t) > 1]


def _clean_name(raw: str, msg: ParsedMessage) -> str | None:
    words = raw.split()
    while words and words[-1].lower() in _STOP:
        words.pop()
    while words and words[0].lower() in _STOP:
        words.pop(0)
    if not words:
        return None
    name = " ".join(words)
    sender = set(_tokens(msg.from_name))
    if set(_tokens(name)) <= sender:
        return None
    return name


def find_referral(text: str, msg: ParsedMessage, owner_addrs: set[str]) -> Referral | None:
    """The referred person's name and address, or None if no one is named."""
    name: str | None = None
    pos = 0
    for rx in NAME_CUES:
        for mt in rx.finditer(text):
            if _THANKS_FOR.search(text, max(0, mt.start() - 25), mt.start()):
                continue  # "thanks for reaching out to Vanessa": the person written to
            cand = _clean_name(mt["name"], msg)
            if cand and (name is None or mt.start("name") < pos):
                name, pos = cand, mt.start("name")
            if cand:
                break
    if name is None:
        name, pos = _fallback_name(text, msg, owner_addrs)
    if name is None:
        return None
    name = _full_name(name, text, msg, owner_addrs)
    return Referral(name=name, email=_address_for(name, text, pos, msg, owner_addrs))


def _matches(name: str, addr: str, display: str = "") -> bool:
    local = addr.split("@")[0].lower()
    toks = _tokens(name)
    if display and set(toks) & set(_tokens(display)):
        return True
    return any(t in local for t in toks if len(t) > 2)


def _address_for(
    name: str, text: str, pos: int, msg: ParsedMessage, owner_addrs: set[str]
) -> str | None:
    skip = owner_addrs | {msg.from_addr}
    found = [m[0].lower() for m in _EMAIL.finditer(text) if m[0].lower() not in skip]
    for addr in found:
        if _matches(name, addr):
            return addr
    near = [m[0].lower() for m in _EMAIL.finditer(text, pos, pos + 250) if m[0].lower() not in skip]
    if near:
        return near[0]
    for display, addr in msg.cc:
        if addr not in skip and _matches(name, addr, display):
            return addr
    for link_text, addr in msg.html_mailtos:
        if addr not in skip and _matches(name, addr, link_text):
            return addr
    ccs = [a for _, a in msg.cc if a not in skip]
    if len(ccs) == 1 and re.search(r"(?i)\bcc'?e?d\b|\bcopied\b|\blooping\b", text):
        return ccs[0]
    return None
