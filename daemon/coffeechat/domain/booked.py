"""A reply to a booked meeting: does it move, is it off, or is it an acknowledgement?

Reschedule needs a new time or a request to move; calling the meeting off with only a vague
"maybe another time", or a date when things calm down, is a cancel. The signals are weighed in
``weigh.decide_booked``.
"""

from __future__ import annotations

import re
from datetime import timedelta

from coffeechat.domain import cues, weigh
from coffeechat.domain.intents import Intent, Understanding
from coffeechat.domain.timeparse import TimeResult

MEETING_LENGTH = timedelta(hours=2)


_QUESTIONS = re.compile(r"[^.!?\n]*\?")


def _firm_moves(text: str) -> str:
    """The text without sentences that only hope to meet again some day.

    "I need to cancel Friday, not sure when I can reschedule" calls the meeting off; "Can we
    move Friday's call?" moves it. A vague wish is not a request to move.
    """
    if not cues.CANCEL.search(text):
        return text
    return " ".join(s for s in cues.SENTENCES.split(text) if not cues.VAGUE_FUTURE.search(s))


def booked_intent(u: Understanding, text: str, times: TimeResult) -> None:
    """A meeting is booked: does it move, is it off, or is this just an acknowledgement?"""
    exact = any(w.end is None or w.end - w.start <= MEETING_LENGTH for w in times.windows)
    move = _firm_moves(text)
    call_off = bool(cues.CANCEL.search(text))
    friendly = bool(cues.ACCEPT.search(text) or re.search(r"(?i)see\s+you|looking\s+forward", text))
    s = weigh.BookedSignals(
        exact_time=exact,
        day_only=bool(times.windows) and not exact,
        # beside a cancel word only "another time"/"reschedule" in a firm sentence asks to move
        move=cues.un_negated(cues.RESCHEDULE, move)
        and not (call_off and not re.search(r"(?i)another\s+time|reschedul", move)),
        move_asked=any(cues.un_negated(cues.RESCHEDULE, q) for q in _QUESTIONS.findall(move)),
        call_off=call_off,
        refuse=bool(cues.DECLINE.search(text)),
        later=bool(cues.RESUME.search(text) or cues.VAGUE_FUTURE.search(text)),
        friendly=friendly,
        soft=bool(cues.GOOD_LUCK.search(text) or cues.APOLOGY.search(text)),
    )
    intent, top, second = weigh.decide_booked(s)
    u.intent = intent
    if intent is Intent.RESCHEDULE and times.windows:
        u.proposed = times.windows
        u.confidence = 0.6 if times.dateless else 0.9
        u.reasons.append("new time proposed for a booked meeting")
        later = cues.RESUME.search(text) or call_off
        if cues.HEDGE.search(text) or (later and not exact):
            u.confidence = min(u.confidence, 0.5)
            u.reasons.append("the new time is hedged or only a day beside a later/cancel: unsure")
    elif intent is Intent.RESCHEDULE:
        u.confidence = 0.8
        u.reasons.append("asks to move the booked meeting")
    elif intent is Intent.CANCEL and (call_off or s.refuse):
        u.confidence = 0.85
        u.reasons.append(
            "calls off the booked meeting; the dates it mentions are not new times"
            if times.windows
            else "calls off the booked meeting"
        )
    elif intent is Intent.CANCEL:
        u.confidence = 0.5
        u.reasons.append("apologises or wishes luck about a booked meeting: unsure")
    else:
        u.confidence = 0.7 if friendly else 0.5
        u.reasons.append("reply to a booked meeting without a change")
    if weigh.competing(top, second):
        u.confidence = min(u.confidence, 0.5 if intent is Intent.RESCHEDULE else 0.55)
        u.reasons.append("another intent nearly as likely: owner confirms")
