"""Sixth round: robustness to phrasings no labelled set has used.

Accepts without the usual cue words ("I'm game", "go on then", "why not"); refusals without
"no" ("sit this one out", "my plate is full"); questions put as statements ("I'd want to know
what you're after first", "tell me first"); later with vague returns ("hit me up again in
March"); referrals without cue words ("Jane on my team did exactly this move", "You want
Priya Shah"); clock times in unusual formats ("1500h", "3.30pm", "15.30", "half 3",
"3 o'clock"); and readings the text casts doubt on ("Tues 11/3" that is no Tuesday where the
owner lives, "Thursday 3 works"), which go to the owner. All messages are our own wording.
Reference: Wednesday 10 June 2026, 09:00 New York.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from tests.domain import eml

from coffeechat.domain.actions import BOOKING_ACTIONS, next_action
from coffeechat.domain.intents import Intent, ThreadContext, Understanding
from coffeechat.domain.mailparse import parse_message
from coffeechat.domain.understand import CONFIDENCE_THRESHOLD, understand

NY = "America/New_York"
LONDON = "Europe/London"


def read(
    body: str, tz: str = NY, state: str = "outreach_sent", sender: str = "Pat <pat@example.com>"
) -> tuple[Understanding, str]:
    c = ThreadContext(state=state, offered_slots=[], owner_tz=tz)
    u = understand(parse_message(eml(body, sender=sender)), c)
    return u, next_action(u, c)


def starts(u: Understanding) -> list[str]:
    return [w.start.isoformat() for w in u.proposed]


# --- accepts without the usual cue words --------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "Let's do it. Send me a couple of times next week.",
        "Count me in - whenever suits.",
        "I'm game! Just tell me when.",
        "Go on then, I can spare half an hour.",
        "Why not - I remember being in your shoes.",
        "I'd be up for that. Send me an invite.",
        "For sure, whenever works on your side.",
        "Keen for a chat - sometime next week? Whenever suits, I'm pretty flexible.",
        "Happy to. Maybe sometime this week?",
    ],
)
def test_agreeing_without_times_is_an_accept(body: str) -> None:
    u, action = read(body)
    assert u.intent is Intent.ACCEPT
    assert u.proposed == []
    assert u.confidence >= CONFIDENCE_THRESHOLD
    assert action not in BOOKING_ACTIONS


@pytest.mark.parametrize(
    ("body", "first"),
    [
        ("Sounds good, how's Weds 10am?", "2026-06-17T10:00:00-04:00"),
        ("Sure, how about Thursday 3.30pm?", "2026-06-11T15:30:00-04:00"),
        ("Happy to. Thursday 15.30 suits me.", "2026-06-11T15:30:00-04:00"),
        ("Sure - Thursday at 3 o'clock?", "2026-06-11T15:00:00-04:00"),
        ("Why not - Friday at 1500h?", "2026-06-12T15:00:00-04:00"),
        ("Happy to - Friday 0930 hrs?", "2026-06-12T09:30:00-04:00"),
        ("No problem at all, Thursday 2pm?", "2026-06-11T14:00:00-04:00"),
        ("For sure. Free Monday 9:30.", "2026-06-15T09:30:00-04:00"),
        ("Totally, I'd be up for that. Tuesday 11am?", "2026-06-16T11:00:00-04:00"),
        ("Delighted to help - grab 20 mins Friday 11am?", "2026-06-12T11:00:00-04:00"),
        ("Sure. It takes half 2 hours to get there, so Friday 2pm?", "2026-06-12T14:00:00-04:00"),
    ],
)
def test_unusual_clock_formats_are_read(body: str, first: str) -> None:
    u, action = read(body)
    assert u.intent is Intent.ACCEPT
    assert starts(u)[:1] == [first]
    assert action == "book_proposed_time"


def test_british_half_three_is_half_past_three() -> None:
    u, action = read("Happy to - Thursday at half 3?", tz=LONDON, sender="Pat <pat@ex.co.uk>")
    assert starts(u) == ["2026-06-11T15:30:00+01:00"]
    assert action == "book_proposed_time"


# --- readings the text casts doubt on go to the owner -----------------------------------------


@pytest.mark.parametrize(
    ("body", "tz", "sender"),
    [
        ("Yep, Thursday 3 works.", NY, "Pat <pat@example.com>"),
        ("Go on then, Tues 3/10 at 2pm?", NY, "Pat <pat@example.com>"),
        ("Sure - Tues 11/3 at 2pm?", LONDON, "Pat <pat@example.co.uk>"),
    ],
)
def test_a_day_that_contradicts_its_reading_is_not_booked(body: str, tz: str, sender: str) -> None:
    u, action = read(body, tz=tz, sender=sender)
    assert u.confidence < CONFIDENCE_THRESHOLD
    assert action not in BOOKING_ACTIONS


@pytest.mark.parametrize(
    ("tz", "sender", "body", "first"),
    [
        (NY, "Pat <pat@example.com>", "Sure - Tues 11/3 at 2pm?", "2026-11-03T14:00:00-05:00"),
        (LONDON, "Pat <p@ex.co.uk>", "Sure - Tues 10/11 at 2pm?", "2026-11-10T14:00:00+00:00"),
    ],
)
def test_a_weekday_that_matches_its_date_is_booked(
    tz: str, sender: str, body: str, first: str
) -> None:
    u, action = read(body, tz=tz, sender=sender)
    assert starts(u) == [first]
    assert action == "book_proposed_time"


# --- refusals without "no" ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "I'll have to sit this one out, sorry. Good luck with the search.",
        "My plate is full at the moment, so I can't take this on. Best of luck.",
        "I'm going to have to say no this time. All the best.",
        "Thanks for thinking of me, but it's not something I'm able to fit in. Good luck!",
        "Appreciate the note but I'll pass this time round.",
        "I'm at capacity at the moment, so I'll have to decline. Best of luck.",
    ],
)
def test_polite_refusals_decline(body: str) -> None:
    u, action = read(body)
    assert u.intent is Intent.DECLINE
    assert action not in BOOKING_ACTIONS


# --- questions put as statements -----------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "I'd want to know what you're hoping to get out of it first.",
        "Before we go further, tell me a bit about your background.",
        "Which of my old teams are you curious about - payments or lending? Tell me first.",
        "Happy to consider it. Which part of the business are you interested in?",
        "What's the context here - are you job hunting?",
        "Can you share your CV first?",
        "Who pointed you my way?",
        "I'd like to understand what you're after before I agree to a call.",
    ],
)
def test_questions_as_statements_ask_first(body: str) -> None:
    u, action = read(body)
    assert u.intent is Intent.QUESTION
    assert action not in BOOKING_ACTIONS


def test_a_question_about_the_senders_teams_is_not_about_ms_teams() -> None:
    u, _ = read("Which of my teams are you interested in, design or research?")
    assert u.intent is Intent.QUESTION


def test_being_in_a_city_is_no_yes() -> None:
    u, action = read("Before I pick one: are those New York times? I'm in Denver.")
    assert u.intent is Intent.QUESTION
    assert action not in BOOKING_ACTIONS


# --- later with vague returns --------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "Circle back after the holidays and we'll find a time.",
        "Things are mad right now. Try me again in the new year.",
        "Hit me up again in March - Q1 is crazy.",
        "Give me a shout in a few weeks, once this launch is out of the way.",
        "Ask me again next month, I'll have more time then.",
        "Could you follow up in a few weeks? Swamped right now.",
    ],
)
def test_vague_returns_ask_for_later(body: str) -> None:
    u, action = read(body)
    assert u.intent is Intent.LATER
    assert action not in BOOKING_ACTIONS


# --- referrals without cue words -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "name", "address"),
    [
        ("Jane on my team did exactly this move — jane@x.com. She'd know.", "Jane", "jane@x.com"),
        (
            "Jane Park on my team did exactly this move - drop her a line at jane.park@x.com.",
            "Jane Park",
            "jane.park@x.com",
        ),
        (
            "Sam Lee made the same switch last year and would be a great person to talk to: "
            "sam.lee@x.com",
            "Sam Lee",
            "sam.lee@x.com",
        ),
        ("You want Priya Shah, she runs that team now. priya@x.com", "Priya Shah", "priya@x.com"),
    ],
)
def test_referrals_without_cue_words(body: str, name: str, address: str) -> None:
    u, action = read(body)
    assert u.intent is Intent.REFERRAL
    assert u.referral is not None
    assert (u.referral.name, u.referral.email) == (name, address)
    assert action not in BOOKING_ACTIONS


def test_an_unrelated_date_in_a_referral_is_not_booked() -> None:
    u, action = read("Kim Ortiz in our Leeds office made the same switch in May: kim@x.com")
    assert u.intent is Intent.REFERRAL
    assert action not in BOOKING_ACTIONS


def test_reference_is_a_wednesday() -> None:
    assert datetime(2026, 6, 10).weekday() == 2
