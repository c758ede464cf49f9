"""Weigh the signals of a reply with no meeting booked yet: one score per intent, not first match.

A reply often carries signs of two intents: a refusal and a name to ask instead, a question
and a day, a time and an apology. Every sign adds to the intents it supports; the highest
score wins, ties go to the intent whose mistake costs least (``TIE_ORDER``), and the
confidence drops when the runner-up comes close. The weights encode the README's
intent-boundary conventions:

- a refusal that names someone else is a referral (``REFERRAL`` outweighs ``DECLINE``);
- an explicit "write to me in May" outweighs a refusal; a mere "once I'm back" does not;
- a question that must be answered before anything is booked ("before I commit: are you
  interviewing with us?") outweighs a day mentioned beside it, but not a plain "Tuesday
  at 2 works for me";
- turning one day down while offering another ("can't do Monday, Tuesday 2pm?") is an accept;
  a refusal of the request as a whole outweighs dates mentioned elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from coffeechat.domain.intents import Intent, Referral

# Cheapest mistake first: a wrong referral or "later" only delays; a wrong accept books.
TIE_ORDER = (Intent.REFERRAL, Intent.LATER, Intent.DECLINE, Intent.QUESTION, Intent.ACCEPT)

W_REFERRAL = 6.5  # someone named instead
W_ASKS_LATER = 6.0  # "ping me in May"
W_RESUME = 3.5  # "once I'm back", "after the launch" (only without a refusal)
W_GENERAL_DECLINE = 5.5  # a refusal with no date in its sentence
W_DATED_DECLINE = 3.5  # a refusal cue in a sentence that also names a day
W_GOOD_LUCK = 2.0  # a closing wish of luck, read only without a stronger sign
W_APOLOGY = 1.0
W_STRONG_QUESTION = 5.0  # asks the owner something specific before going on
W_QUESTION = 3.5
W_TIMES = 4.0  # windows read from the text
W_OFFERED = 1.0  # one of the owner's slots picked
W_ACCEPT = 3.0  # "happy to", "sure", "Thursday works"
W_OFFER = 1.0  # "I could do", "how about"
W_CLEAR_OFFER = 2.0  # an exact time plainly offered beside a "later" wording
W_ARRANGER = 3.0  # an assistant will arrange the time
W_NOTHING = 0.5  # the reader's default: a reply that says nothing clear
CLOSE = 1.0  # a runner-up within this much of the winner makes the reading doubtful


@dataclass
class Signals:
    """What the text says, each read on its own."""

    accept: bool = False
    offer: bool = False
    decline: bool = False
    general_decline: bool = False
    question: bool = False
    strong_question: bool = False
    asks_later: bool = False
    resume: bool = False
    good_luck: bool = False
    apology: bool = False
    referral: Referral | None = None
    arranger: bool = False
    times: bool = False
    picked_offered: bool = False
    clear_offer: bool = False


def scores(s: Signals) -> dict[Intent, float]:
    """The weight of evidence for each open intent."""
    sc = dict.fromkeys(TIE_ORDER, 0.0)
    if s.referral is not None:
        sc[Intent.REFERRAL] += W_REFERRAL
    if s.asks_later:
        sc[Intent.LATER] += W_ASKS_LATER
    elif s.resume and not s.decline:
        sc[Intent.LATER] += W_RESUME
    if s.decline:
        sc[Intent.DECLINE] += W_GENERAL_DECLINE if s.general_decline else W_DATED_DECLINE
    elif not s.accept and not s.times:
        sc[Intent.DECLINE] += W_GOOD_LUCK if s.good_luck else W_APOLOGY if s.apology else 0.0
    if s.strong_question:
        sc[Intent.QUESTION] += W_STRONG_QUESTION
    elif s.question:
        sc[Intent.QUESTION] += W_QUESTION
    acc = W_NOTHING
    if s.times:
        acc += W_TIMES + (W_OFFERED if s.picked_offered else 0.0) + (W_OFFER if s.offer else 0.0)
        acc += W_CLEAR_OFFER if s.clear_offer else 0.0
    deferred = not s.times and (s.asks_later or (s.resume and not s.decline))
    if s.accept and not deferred:  # "happy to chat once I'm back": the yes is deferred
        acc += W_ACCEPT
    elif s.arranger:
        acc += W_ARRANGER
    sc[Intent.ACCEPT] = acc
    return sc


def decide(s: Signals) -> tuple[Intent, float, float]:
    """The winning intent, its score and the runner-up's score."""
    sc = scores(s)
    ranked = sorted(TIE_ORDER, key=lambda i: (-sc[i], TIE_ORDER.index(i)))
    return ranked[0], sc[ranked[0]], sc[ranked[1]]


def competing(top: float, second: float) -> bool:
    """Two intents nearly tie: the owner should look."""
    return second > W_NOTHING and top - second <= CLOSE


# A booked meeting: does it move, is it off, or is this an acknowledgement?
BOOKED_TIE_ORDER = (Intent.CANCEL, Intent.RESCHEDULE, Intent.ACCEPT)
W_NEW_EXACT = 5.0  # a new clock time for the meeting
W_NEW_DAY = 2.5  # only a day or part of day: may be the end of a busy spell
W_MOVE = 4.5  # "can we push it to next week?"
W_MOVE_ASKED = 1.5  # the move put as a question: "Can we find another time?"
W_CALL_OFF = 4.0  # "I have to cancel"
W_REFUSE = 3.0  # a refusal with no cancel word
W_VAGUE_LATER = 1.0  # "I'll reach out when things calm down" beside calling it off
W_FRIENDLY = 2.0  # "see you then", "sounds good"
W_SOFT = 1.0  # an apology or wish of luck with nothing friendly


@dataclass
class BookedSignals:
    """What a reply to a booked meeting says."""

    exact_time: bool = False
    day_only: bool = False
    move: bool = False
    move_asked: bool = False
    call_off: bool = False
    refuse: bool = False
    later: bool = False
    friendly: bool = False
    soft: bool = False


def decide_booked(s: BookedSignals) -> tuple[Intent, float, float]:
    """Reschedule needs a new time or a request to move; calling it off with only a vague
    "some other time" or a date when things calm down is a cancel (README conventions)."""
    sc = dict.fromkeys(BOOKED_TIE_ORDER, 0.0)
    sc[Intent.RESCHEDULE] = (
        (W_NEW_EXACT if s.exact_time else W_NEW_DAY if s.day_only else 0.0)
        + (W_MOVE if s.move else 0.0)
        + (W_MOVE_ASKED if s.move and s.move_asked else 0.0)
    )
    if s.call_off or s.refuse:
        sc[Intent.CANCEL] = (W_CALL_OFF if s.call_off else W_REFUSE) + (
            W_VAGUE_LATER if s.later else 0.0
        )
    elif s.soft and not s.friendly:
        sc[Intent.CANCEL] = W_SOFT
    sc[Intent.ACCEPT] = W_NOTHING + (W_FRIENDLY if s.friendly else 0.0)
    ranked = sorted(BOOKED_TIE_ORDER, key=lambda i: (-sc[i], BOOKED_TIE_ORDER.index(i)))
    return ranked[0], sc[ranked[0]], sc[ranked[1]]
