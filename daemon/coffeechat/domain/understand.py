"""Understand one reply: intent, proposed times, resume date, referral, with a confidence.

Order matters: delivery failures and automatic replies are recognised by their structure and
headers before any wording is read; a booked meeting narrows the choice to reschedule, cancel
or acknowledgement; a wrong guess about times costs more than asking the owner, so doubtful
readings get a confidence below ``CONFIDENCE_THRESHOLD``.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from coffeechat.domain import cues, weigh
from coffeechat.domain.booked import MEETING_LENGTH, booked_intent
from coffeechat.domain.intents import Bounce, Intent, ThreadContext, Understanding
from coffeechat.domain.mailparse import ParsedMessage
from coffeechat.domain.quotes import split_reply
from coffeechat.domain.referrals import find_referral
from coffeechat.domain.resume import return_date
from coffeechat.domain.timeparse import TimeContext, TimeResult, extract
from coffeechat.domain.zones import zone as get_zone

CONFIDENCE_THRESHOLD = 0.6
MAX_NEW_TEXT = 6000  # a human reply is short; longer text is pasted material, not proposals

_DAY_FIRST_LANGS = ("en-gb", "en-au", "en-nz", "en-ie", "en-in", "en-sg", "en-za", "de", "es",
                    "fr", "it", "pt", "nl", "da", "sv", "nb", "fi", "pl")  # fmt: skip
_DAY_FIRST_TLDS = (".uk", ".au", ".nz", ".ie", ".in", ".sg", ".de", ".es", ".fr", ".it", ".nl",
                   ".at", ".ch", ".eu", ".za", ".hk", ".my", ".br", ".pt", ".be", ".dk", ".se",
                   ".no", ".fi", ".pl", ".cz", ".ar", ".cl", ".mx", ".pe")  # fmt: skip
# Owners whose own locale writes day/month: read a sender who gives no sign of theirs that way
_DAY_FIRST_ZONES = ("Europe/", "Australia/", "Africa/", "Pacific/Auckland", "Asia/Kolkata",
                    "Asia/Calcutta", "Asia/Singapore", "Asia/Hong_Kong", "Asia/Kuala_Lumpur",
                    "America/Sao_Paulo", "America/Argentina", "America/Santiago",
                    "America/Mexico_City", "America/Lima", "America/Bogota")  # fmt: skip
_MONTH_FIRST_TLDS = (".us", ".ca", ".ph")
_BOOKING_SENTENCE = re.compile(r"(?i)invite|booked|confirmed|scheduled|see\s+you|calendar|meeting")
# In the owner's own confirmation "booked"/"blocked" name the meeting, not a clash
_BOOKED_WORD = re.compile(r"(?i)\b(?:booked|blocked)\b")
_OTHER_PERSON = re.compile(
    r"(?i)\bnot\s+me\b|\bknows?\s+(?:this|a\s+lot|more|far)\b|\bexpert\b|\bwould\s+be\s+(?:ideal|"
    r"perfect|your\s+best\s+bet|a\s+(?:much\s+|far\s+)?better\s+bet)\b|\bnot\s+the\s+(?:right|best)\s+"
    r"(?:person|one|contact)\b|\bnot\s+the\s+one\s+(?:to|for)\b"
)  # someone else is pointed to: look for a name
_CONDITIONAL = ("if ", "if,", "unless ")
# Said of a named person: someone to talk to instead, not a scheduler
_INSTEAD = re.compile(
    r"(?i)\b(?:better|best)\s+(?:fit|person|placed|suited|contact)|\binstead\b|\bshould\s+"
    r"(?:talk|speak|reach|contact|ask)\b|\b(?:far|much|a\s+lot|way)\s+better\b|\bmore\s+"
    r"(?:relevant|useful|helpful)\b|\bknows?\s+(?:far\s+|much\s+|a\s+lot\s+)?more\b|\byou\s+two\b|"
    r"\bhappy\s+to\s+(?:chat|talk|speak|meet)\s+with\s+you\b"
)
_KEEPS_DIARY = re.compile(
    r"(?i)\b(?:manages|runs|handles|looks\s+after|keeps|owns|controls)\s+my\s+(?:calendar|diary|"
    r"schedule|agenda)\b|\bmy\s+(?:calendar|diary|schedule|agenda)\s+is\s+(?:managed|run|handled|"
    r"kept|looked\s+after)\s+by\b"
)
_SENTENCES = re.compile(r"(?<=[.!?])\s+|\n+")
_WEEK_ABBREVIATION = re.compile(r"(?i)\bwks?\b")  # "same time next wk"
_APOSTROPHES = re.compile(r"[\u2018\u2019\u02bc\u00b4`]")
_NO_APOSTROPHE = re.compile(
    r"\b((?i:can|don|isn|doesn|didn|couldn|wouldn|shouldn|aren|wasn|weren|haven|hasn))(t)\b"
)
_TIMEISH = re.compile(
    r"(?i)\d\s*(?:am|pm|a|p|h|uhr)\b|\d[:.]\d\d\b|\b(?:today|tomorrow|tonight|noon|"
    r"(?:mon|tues|wednes|thurs|fri|satur|sun)day|(?:this|next)\s+(?:week|month)|weekend|"
    r"sometime|mornings?|afternoons?|evenings?)\b"
)  # "wed 3pm?", "sometime next week?": a time or span offered as a question
_SPACES = re.compile(r"[\u00a0\u202f\u2009]")
_DATE_WORD = re.compile(
    r"(?i)\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tues?|weds?|thu|"
    r"thurs?|fri|sat|today|tomorrow|tonight|mornings?|afternoons?|evenings?|weeks?|weekend|"
    r"months?|january|february|march|april|june|july|august|september|october|november|"
    r"december|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec|lunes|martes|miércoles|jueves|"
    r"viernes|montag|dienstag|mittwoch|donnerstag|freitag|lundi|mardi|mercredi|jeudi|vendredi|"
    r"mañana|morgen|demain)\b|\d"
)


def day_first(msg: ParsedMessage, owner_tz: str = "") -> bool:
    """Is the writer's locale day/month? Accept-Language, then the address's country, then the
    owner's zone (a UK owner's contacts mostly write 03/04 for 3 April), else US."""
    if msg.languages:
        first = msg.languages[0]
        if first != "en-us" or (len(msg.languages) > 1 and msg.languages[0] == msg.languages[1]):
            if first.startswith(_DAY_FIRST_LANGS):
                return True
            if first in ("en-us", "en-ca", "es-us"):
                return False
    addr = msg.from_addr
    if addr.endswith(_DAY_FIRST_TLDS):
        return True
    if addr.endswith(_MONTH_FIRST_TLDS):
        return False
    return owner_tz.startswith(_DAY_FIRST_ZONES)


def _booked_from_quote(quoted: str, ref: datetime, tz: ZoneInfo) -> datetime | None:
    """The confirmed meeting time, read from the owner's quoted booking confirmation."""
    candidates = [s for s in _SENTENCES.split(quoted[:4000]) if _BOOKING_SENTENCE.search(s)]
    for sentence in candidates:
        sentence = _BOOKED_WORD.sub("set", sentence)
        res = extract(sentence, TimeContext(ref=ref, owner_tz=tz, nearest_year=True))
        # an exact time, or a meeting-length range ("4:00-4:30pm"): its start is the meeting
        starts = [
            w.start for w in res.windows if w.end is None or w.end - w.start <= MEETING_LENGTH
        ]
        if starts:
            return starts[0]
    return None


def _is_question(text: str) -> bool:
    return _question_strength(text) > 0


def _question_strength(text: str) -> int:
    """2: asks the owner something specific before going on ("video or in person?", "before I
    commit: are you ...?"); 1: some other question; 0: none, or only about times."""
    found = 0
    for sentence in _SENTENCES.split(text):
        if cues.MEETING_FORMAT.search(sentence) and sentence.rstrip().endswith("?"):
            return 2
        if cues.SCHEDULING_REQUEST.search(sentence):
            continue  # "Could you send a few options?" asks for times
        if cues.LATER.search(sentence) or cues.RESUME.search(sentence):
            continue  # "Could you write again once I'm back?" asks to be contacted later
        if cues.QUESTION_STRONG.search(sentence):
            return 2
        if len(sentence) <= 40 and _TIMEISH.search(sentence):
            continue  # "wed 3pm?", "Tomorrow at 10?": a time offered as a question
        if sentence.rstrip().endswith("?") and not cues.SCHEDULING_QUESTION.search(sentence):
            found = 1
    return found


# Full-width forms (Japanese, Chinese input) as ASCII: "１７時" reads as "17時", "？" as "?"
_FULL_WIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {
    0x3000: " ",
    0x3002: ". ",
    0x3001: ", ",
}


def _for_cues(text: str) -> str:
    """One spelling of apostrophes and spaces, so that "I’ll pass" reads like "I'll pass" and
    a phone-typed "cant make fri" like "can't make fri"."""
    text = _APOSTROPHES.sub("'", _SPACES.sub(" ", text.translate(_FULL_WIDTH)))
    text = _WEEK_ABBREVIATION.sub(lambda m: "weeks" if m[0].lower() == "wks" else "week", text)
    return _NO_APOSTROPHE.sub(r"\1'\2", text)


def _dated(sentence: str) -> bool:
    return bool(_DATE_WORD.search(sentence))


def _general_decline(text: str) -> bool:
    """A refusal of the request itself, not of one day: no date or time in its sentence.

    "I don't have the bandwidth this year" declines; "I can't do Monday, Tuesday at 2?" only
    turns one day down.
    """
    return any(
        cues.DECLINE.search(s) and not _dated(s) and not s.lstrip().lower().startswith(_CONDITIONAL)
        for s in _SENTENCES.split(text)
    )


def _not_conditional(rx: re.Pattern[str], text: str) -> bool:
    """A cue outside "If so, ..." sentences: "Are you a recruiter? If so I'm not looking"."""
    return any(
        rx.search(s) and not s.lstrip().lower().startswith(_CONDITIONAL)
        for s in _SENTENCES.split(text)
    )


def _declined_invite(msg: ParsedMessage) -> bool:
    if msg.subject.lower().startswith(("declined:", "abgelehnt:", "rechazado:", "refusé")):
        return True
    return any(
        (c.method or "").upper() == "REPLY" and "PARTSTAT=DECLINED" in c.ics.upper()
        for c in msg.calendar
    )


def understand(msg: ParsedMessage, ctx: ThreadContext) -> Understanding:
    """Read one reply in the context of its thread."""
    tz = get_zone(ctx.owner_tz) or ZoneInfo("UTC")
    ref = msg.date or ctx.now  # no wall clock here: without either, times cannot be read
    reply = split_reply(msg.text)
    text = _for_cues(reply.new[:MAX_NEW_TEXT])
    u = Understanding(intent=Intent.ACCEPT, confidence=0.4, reply_text=text)
    reasons = u.reasons

    if msg.is_dsn or (
        cues.BOUNCE_FROM.search(msg.from_addr + " " + msg.from_name)
        and cues.BOUNCE_SUBJECT.search(msg.subject)
    ):
        d = msg.dsn
        status = d.status if d else None
        action = d.action if d else None
        permanent = not (status or "").startswith("4") and action not in ("delayed", "relayed")
        u.intent, u.confidence = Intent.BOUNCE, 0.99 if msg.is_dsn else 0.8
        u.bounce = Bounce(
            recipient=d.recipient if d else None,
            status=status,
            action=action,
            diagnostic=d.diagnostic if d else None,
            permanent=permanent,
        )
        reasons.append("delivery status notification" if msg.is_dsn else "mailer-daemon notice")
        return u

    booked = ctx.state == "meeting_booked"
    declined_invite = _declined_invite(msg)
    auto = _auto_reason(msg, text)
    if auto and not declined_invite:
        u.intent = Intent.AUTO_REPLY
        u.confidence = 0.95 if msg.auto_submitted or cues.AUTO_SUBJECT.search(msg.subject) else 0.7
        u.left_company = bool(cues.LEFT_COMPANY.search(text))
        u.later_until = _resume(text, ref, msg, ctx.owner_tz)
        reasons.append(auto)
        return u

    if declined_invite:
        u.intent = Intent.CANCEL if booked else Intent.DECLINE
        u.confidence = 0.9
        reasons.append("calendar invitation declined")
        return u

    if cues.UNSUBSCRIBE.search(text):
        u.intent, u.confidence = Intent.UNSUBSCRIBE, 0.9
        reasons.append("asks not to be contacted")
        return u

    booked_at = ctx.booked_start
    times = TimeResult()
    if ref is None:
        reasons.append("no Date header and no clock: times not read")
    else:
        if booked and booked_at is None:
            booked_at = _booked_from_quote(reply.quoted, ref, tz)
            if booked_at is not None:
                reasons.append(f"booked time read from quote: {booked_at.isoformat()}")
        offered = tuple(ctx.offered_slots) if ctx.state == "slots_offered" else ()
        tctx = TimeContext(
            ref=ref,
            owner_tz=tz,
            day_first=day_first(msg, ctx.owner_tz),
            offered=offered,
            booked=booked_at,
            booked_state=booked,
        )
        times = extract(_without_superseded_time(text), tctx)
    if booked:
        booked_intent(u, text, times)
        return u
    _open_intent(u, text, times, msg, ctx, ref)
    return u


def _resume(text: str, ref: datetime | None, msg: ParsedMessage, owner_tz: str) -> date | None:
    return return_date(text, ref.date(), day_first=day_first(msg, owner_tz)) if ref else None


# A greeting with the reader's first name: autoresponders do not know it
_GREETS_BY_NAME = re.compile(
    r"\s*(?:hi|hello|hey|hiya|dear|morning|good\s+(?:morning|afternoon|evening)|hallo|hola|bonjour|"
    r"ciao|olá|oi|hej|hoi|liebe|lieber)\s+(?!(?:all|colleague|colleagues|sender|sir|madam|team|"
    r"there|friend|customer|valued|everyone)\b)[A-ZÀ-Þ][\w'’-]+\s*[,!:\n]",
    re.IGNORECASE,
)


def _auto_reason(msg: ParsedMessage, text: str) -> str | None:
    if CALENDAR_PROPOSAL.search(msg.subject) or CALENDAR_PROPOSAL.search(text):
        return None  # a counter-proposal from the contact's calendar: read it as a reply
    if msg.auto_submitted:
        return "auto headers: " + ", ".join(msg.auto_signals)
    if cues.AUTO_SUBJECT.search(msg.subject):
        return "out-of-office subject"
    if cues.LEFT_COMPANY.search(text) and re.search(r"(?i)mailbox|forwarded|monitored", text):
        return "left-company autoresponder"
    if cues.AUTO_SELF.search(text):
        return "says it is automatic"
    if _GREETS_BY_NAME.match(text) and not cues.AUTO_ABSENCE_STRONG.search(text):
        return None  # "Hi Rhiannon, I'm on leave ... but happy to chat from the 14th": a person
    if cues.AUTO_BODY.search(text) and cues.AUTO_OPENING.search(text):
        return "out-of-office wording"
    if (
        cues.AUTO_BODY.search(text)
        and cues.AUTO_ABSENCE.search(text)
        and not cues.un_negated(cues.ACCEPT, text)
        and not _is_question(text)
        and not cues.SCHEDULING_QUESTION.search(text)  # "Could we do Monday instead?"
    ):
        return "out-of-office wording, no greeting"
    return None


def _clear_offer(text: str, times: TimeResult) -> bool:
    """Beside a "later" wording, only a clock time the sender plainly offers is a proposal:
    "back on the 14th - I could do the 15th at 3" offers; "try me after the 14th" does not."""
    if times.picked_offered:
        return True
    exact = any(w.end is None or w.end - w.start <= MEETING_LENGTH for w in times.windows)
    return exact and (cues.un_negated(cues.ACCEPT, text) or cues.un_negated(cues.OFFER, text))


def _open_intent(
    u: Understanding,
    text: str,
    times: TimeResult,
    msg: ParsedMessage,
    ctx: ThreadContext,
    ref: datetime | None,
) -> None:
    """No meeting yet: accept, decline, later, referral or question, weighed in ``weigh``.

    A booking needs a clear yes: a refusal of the request as a whole outweighs dates found
    elsewhere (an event in a signature, "I'm away until the 12th"), and competing signals go
    to the owner with a confidence below ``CONFIDENCE_THRESHOLD``.
    """
    strength = _question_strength(_not_to_others(text, msg))
    # "Before I commit: are you interviewing with us? If not, happy to help": a conditional yes
    accept = cues.un_negated(cues.ACCEPT, _statements(text) if strength == 2 else text)
    decline = _not_conditional(cues.DECLINE, text)
    redirect = cues.REDIRECT.search(text) or decline or _OTHER_PERSON.search(text)
    referral = find_referral(text, msg, set(msg.to)) if redirect else None
    arranger = bool(cues.ASSISTANT.search(text) and cues.ARRANGER.search(text))
    if referral is not None and _arranges(text, referral.name or ""):
        u.reasons.append(f"{referral.name} arranges the time: not a referral")
        referral, arranger = None, True
    asks_later = bool(cues.LATER.search(text))
    resume = bool(cues.RESUME.search(text))
    if (asks_later or resume) and times.windows and not _clear_offer(text, times):
        # "ping me after the 14th", "once I'm back, Thursday maybe": a resume point, not a slot
        u.reasons.append("dates given beside a wish to talk later: not proposals")
        times = TimeResult(mentions=times.mentions, negated=True)
    if strength == 2 and times.windows and cues.BEFORE_CHOOSING.search(text) and "?" in text:
        # "Before I pick: are those London times? Monday's might be early": nothing chosen yet
        u.reasons.append("asks before choosing: the times it mentions are not picked")
        times = TimeResult(mentions=times.mentions, negated=True)
    s = weigh.Signals(
        accept=accept,
        offer=cues.un_negated(cues.OFFER, text),
        decline=decline,
        general_decline=_general_decline(text),
        question=strength > 0,
        strong_question=strength == 2,
        asks_later=asks_later,
        resume=resume,
        good_luck=bool(cues.GOOD_LUCK.search(text)),
        apology=bool(cues.APOLOGY.search(text)),
        referral=referral,
        arranger=arranger,
        times=bool(times.windows),
        picked_offered=times.picked_offered,
        clear_offer=bool(times.windows) and (asks_later or resume),
    )
    intent, top, second = weigh.decide(s)
    u.intent = intent
    if intent is Intent.REFERRAL and referral is not None:
        u.referral = referral
        u.confidence = 0.85 if referral.email else 0.75
        u.reasons.append(f"refers to {referral.name}")
    elif intent is Intent.LATER:
        u.confidence = 0.8
        u.later_until = _resume(text, ref, msg, ctx.owner_tz)
        u.reasons.append("asks to be contacted later")
    elif intent is Intent.DECLINE:
        _decline_confidence(u, s)
    elif intent is Intent.QUESTION:
        u.confidence = 0.75
        u.reasons.append(
            "asks something first; the days it mentions are not proposals"
            if times.windows
            else "asks something first"
        )
    else:
        _accept_confidence(u, s, times, text)
    if weigh.competing(top, second):
        u.confidence = min(u.confidence, 0.5 if intent is Intent.ACCEPT else 0.55)
        u.reasons.append("another intent nearly as likely: owner confirms")


def _decline_confidence(u: Understanding, s: weigh.Signals) -> None:
    if s.decline and not s.times:
        u.confidence = 0.85 if not s.accept else 0.55
        u.reasons.append("declines" if not s.accept else "declines, with friendly words: unsure")
    elif s.decline:
        u.confidence = 0.7
        u.reasons.append("declines; the dates it mentions are not proposals")
    else:
        u.confidence = 0.65 if s.good_luck else 0.5
        u.reasons.append("wishes luck or apologises without agreeing: reads as a refusal")


def _accept_confidence(u: Understanding, s: weigh.Signals, times: TimeResult, text: str) -> None:
    if times.windows:
        u.proposed = times.windows
        u.confidence = 0.9 if not times.dateless else 0.55
        if (s.decline and not s.accept) or (s.question and not s.accept):
            u.confidence = min(u.confidence, 0.5)
            u.reasons.append("times given, but also refusing or asking: unsure")
        elif s.decline or s.general_decline:
            u.confidence = min(u.confidence, 0.55)
            u.reasons.append("times given beside refusing words: owner confirms")
        doubt = _misread_day(text, times)
        if doubt:
            u.confidence = min(u.confidence, 0.5)
            u.reasons.append(doubt)
        if cues.HEDGE.search(text):
            u.confidence = min(u.confidence, 0.5)
            u.reasons.append("times given on a condition or tentatively: owner confirms")
        u.reasons.append("picked an offered slot" if times.picked_offered else "proposes times")
    elif s.accept or s.arranger:
        u.confidence = 0.8 if s.accept else 0.7
        u.reasons.append("agrees without times" if s.accept else "someone arranges the time")
    else:
        u.confidence = 0.4
        u.reasons.append("no clear signal")


_WEEKDAY_NUMBER = re.compile(
    r"(?i)\b(?P<wd>mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+(?:at\s+)?(?P<n>\d{1,2})"
    r"(?P<slash>/\d{1,2})?(?![\d:.]|\s*(?:am|pm|a\b|p\b|h\b|st|nd|rd|th|o'?clock|-|–|to\b|uhr))"
)
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WHOLE_DAY_HOURS = 8


def _misread_day(text: str, times: TimeResult) -> str | None:
    """A reading the text itself casts doubt on: "Tues 3/10" where the date read is no Tuesday
    (a US or UK date misread), or "Thursday 3 works" read as the whole day (3 is a clock hour
    or the 3rd)."""
    for mt in _WEEKDAY_NUMBER.finditer(text):
        wd = _WEEKDAYS.index(mt["wd"].lower())
        if mt["slash"]:
            if not any(w.start.weekday() == wd for w in times.windows):
                return "the weekday written does not match the date read: owner confirms"
        elif any(
            w.start.weekday() == wd
            and w.end is not None
            and (w.end - w.start).total_seconds() >= WHOLE_DAY_HOURS * 3600
            for w in times.windows
        ):
            return "a bare number beside a day, read as the whole day: owner confirms"
    return None


def _statements(text: str) -> str:
    """The text without questions and "If so, ..." sentences: "Before I say yes: are you ...?"
    and "If not, glad to help" do not agree to anything yet."""
    return " ".join(
        s
        for s in _SENTENCES.split(text)
        if not s.lstrip().lower().startswith(_CONDITIONAL) and not s.rstrip().endswith("?")
    )


_NEW_TIME_LINE = re.compile(
    r"(?im)^[ \t]*(?:proposed\s+new\s+time|new\s+time|neue\s+zeit)\s*:|"
    r"^[ \t]*proposed\s+(?:new\s+)?time\s*$"
)
# "When: ..." on one line (Outlook), or an "Original time" heading over its value (Google)
_OLD_TIME_LINE = re.compile(
    r"(?im)^[ \t]*(?:when|original\s+time|old\s+time|current\s+time|wann|cuándo)\s*:[^\n]*$|"
    r"^[ \t]*(?:original|old|current)\s+time\s*\n[^\n]*$"
)
# A calendar's "proposed a new time" notice carries Auto-Submitted but asks to move the meeting
CALENDAR_PROPOSAL = re.compile(
    r"(?i)\bproposed\s+a\s+new\s+time\b|\bnew\s+(?:event\s+)?time\s+proposed\b|"
    r"\bneue\s+uhrzeit\s+vorgeschlagen\b"
)


def _without_superseded_time(text: str) -> str:
    """A counter-proposal notice (Outlook's "New Time Proposed") shows the meeting's current
    time on a "When:" line and the new one on "Proposed new time:": only the new one is
    proposed. In a calendar's "proposed a new time" notice the guest's note above it ("would
    Monday work?") only restates it."""
    new = _NEW_TIME_LINE.search(text)
    if not new:
        return text
    if CALENDAR_PROPOSAL.search(text):  # the notice's own block is the proposal, not the note
        text = text[new.start() :]
    return _OLD_TIME_LINE.sub("", text)


def _not_to_others(text: str, msg: ParsedMessage) -> str:
    """The text without sentences addressed to someone in Cc ("Jess, could you find Aroha 30
    minutes?"): a question to the assistant is not one the owner must answer."""
    firsts = {d.split()[0].lower() for d, _a in msg.cc if d and d.split()}
    if not firsts:
        return text
    kept = [
        s
        for s in _SENTENCES.split(text)
        if not ((m := _VOCATIVE.match(s)) and m[1].lower() in firsts)
    ]
    return "\n".join(kept)


_VOCATIVE = re.compile(r"\s*(?:hi\s+|hey\s+|and\s+)?([A-Z][\w'-]+)\s*[,:–—-]")


def _arranges(text: str, name: str) -> bool:
    """Is the named person someone who will arrange the time, not someone to talk to instead?

    "My assistant Jo will find us a slot" arranges; "my friend Jo would be a far better fit"
    refers, whatever job titles the sentence mentions.
    """
    if not cues.ASSISTANT.search(text):
        return False
    if not (cues.ARRANGER.search(text) or _KEEPS_DIARY.search(text)):
        return False  # "my cousin Mereana ... cc'd so you two can sort out a time": a referral
    first = name.split()[0]
    said = [s for s in _SENTENCES.split(text) if first in s]
    return not any(_INSTEAD.search(s) for s in said)
