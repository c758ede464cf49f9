"""Kinds of failure found on independently written replies, each with wordings of our own.

Every rule is shown with at least two messages worded differently from any labelled set, so a
rule that only fits one line fails here. Safety first: a refusal must never become a booking.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from tests.domain import eml

from coffeechat.domain.actions import next_action
from coffeechat.domain.intents import Intent, ThreadContext, Understanding, Window
from coffeechat.domain.mailparse import parse_message
from coffeechat.domain.quotes import strip_quotes
from coffeechat.domain.understand import CONFIDENCE_THRESHOLD, understand

NY = "America/New_York"
# Wednesday 10 June 2026, 09:00 in New York (the default Date of ``eml``)
OFFERED = ("2026-06-15T10:00:00-04:00", "2026-06-16T15:00:00-04:00", "2026-06-18T11:00:00-04:00")
BOOKING_ACTIONS = {"book_proposed_time", "book_offered_slot", "reschedule_meeting"}


def ctx(state: str = "outreach_sent", offered: tuple[str, ...] = ()) -> ThreadContext:
    return ThreadContext(
        state=state, offered_slots=[datetime.fromisoformat(o) for o in offered], owner_tz=NY
    )


def read(body: str, state: str = "outreach_sent", **kw: str) -> tuple[Understanding, str]:
    c = ctx(state, OFFERED if state == "slots_offered" else ())
    u = understand(parse_message(eml(body, **kw)), c)
    return u, next_action(u, c)


def starts(u: Understanding) -> list[str]:
    return [w.start.isoformat() for w in u.proposed]


def booked_quote(when: str) -> str:
    return (
        "\n\nOn Mon, Jun 1, 2026 at 10:00 AM Maya Chen <maya@fastmail.com> wrote:\n"
        f"> Thanks! Confirmed: {when}. I'll send a video link.\n"
    )


# --- declines: polite refusals of the request as a whole -------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        # "going to have to pass" / "I'll pass" (also with a typographic apostrophe)
        "Appreciate you thinking of me, but I'm going to pass on this one.",
        "I\u2019ll pass for now, but all the best with the transition.",
        "Gonna pass, sorry - it's a hectic stretch.",
        # "not the right person" said of oneself, without naming anyone
        "Honestly I don't think I'm the best person to ask about this. Sorry!",
        "I don't think I'd be of much help here, my path was quite different.",
        # a full calendar, no capacity
        "My diary is completely full through the autumn, so I'll have to say no.",
        "I have zero bandwidth at the moment and can't see that changing soon.",
        "With a newborn at home I have no time for anything extra at the moment.",
        # a standing policy
        "I no longer take networking calls, I'm afraid.",
        "As a rule I don't accept cold meetings. Hope you understand.",
        "This really isn't something I can take on right now.",
        "I'd rather not, to be honest.",
        # German, Spanish, French basics
        "Vielen Dank für Ihre Nachricht, aber dafür habe ich momentan keine Kapazitäten.",
        "Das passt bei mir leider gar nicht. Alles Gute für Sie!",
        "Gracias por escribir, pero no tengo disponibilidad en estos meses.",
        "Lo siento, no podré atenderte. Mucho éxito en tu búsqueda.",
        "Merci pour votre message, mais je n'ai pas le temps en ce moment.",
        "Je ne pourrai pas vous aider, désolée. Bon courage pour la suite.",
    ],
)
def test_polite_refusals_are_declines(body: str) -> None:
    u, action = read(body)
    assert u.intent is Intent.DECLINE, u.reasons
    assert action not in BOOKING_ACTIONS


@pytest.mark.parametrize(
    "body",
    [
        "Good luck with the search - it's just not a fit for me right now.",
        "Wishing you every success, but I'm stepping back from these for a while.",
    ],
)
def test_wish_of_luck_without_agreement_reads_as_decline(body: str) -> None:
    u, action = read(body)
    assert u.intent is Intent.DECLINE
    assert action not in BOOKING_ACTIONS


@pytest.mark.parametrize(
    "body",
    [
        "I'm away until the 22nd, and then it's quarter-end. Sorry.",
        "Sorry, I'm tied up with a product launch until the 19th and then off for two weeks.",
        "I'm flying to Austin on Monday and back Friday, so I can't commit to anything. Apologies.",
        "I'm at a trade show 15-17 June and slammed afterwards. Sorry I can't be more help.",
    ],
)
def test_dates_only_in_a_refusing_context_never_book(body: str) -> None:
    u, action = read(body)
    assert u.intent is not Intent.ACCEPT or u.confidence < CONFIDENCE_THRESHOLD
    assert action not in BOOKING_ACTIONS


@pytest.mark.parametrize(
    "body",
    [
        "Thanks, but I'm not able to help with this.\n\nPriya\n\nPriya Raman\n"
        "Director, Data Platforms | Northwind\n+1 617 555 0142\nKeynote at DataConf, July 8-9",
        "I have to decline this year. I'm presenting at a summit on 14 July and on leave after.",
    ],
)
def test_decline_with_dates_elsewhere_is_decline(body: str) -> None:
    u, action = read(body)
    assert u.intent is Intent.DECLINE
    assert u.proposed == []
    assert action not in BOOKING_ACTIONS


@pytest.mark.parametrize(
    ("body", "first"),
    [
        (
            "Unfortunately Monday is out, but Tuesday at 3 works for me.",
            "2026-06-16T15:00:00-04:00",
        ),
        ("I can't do Thursday, but happy to chat Friday at 11am.", "2026-06-12T11:00:00-04:00"),
    ],
)
def test_turning_one_day_down_is_still_accept(body: str, first: str) -> None:
    u, action = read(body)
    assert u.intent is Intent.ACCEPT
    assert starts(u)[0] == first
    assert action == "book_proposed_time"


@pytest.mark.parametrize(
    "body",
    [
        "Not in a position to do Monday - how about Tuesday at 3?",
        "I'm not available for calls on Mondays. Tuesday 2pm?",
    ],
)
def test_refusal_mixed_with_times_is_left_to_the_owner_or_skips_the_refused_day(
    body: str,
) -> None:
    u, _ = read(body)
    assert "2026-06-15" not in " ".join(starts(u)) or u.confidence < CONFIDENCE_THRESHOLD


# --- questions and accepts --------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "Sure, maybe. Are you thinking of a phone call or meeting in person?",
        "Would that be over video or in person? I'm mostly remote these days.",
        "Are you looking for a referral, or just general advice?",
        "What kind of role are you after?",
    ],
)
def test_questions_before_anything_can_be_booked(body: str) -> None:
    assert read(body)[0].intent is Intent.QUESTION


@pytest.mark.parametrize(
    "body",
    [
        "None of those suit, sadly. Could you suggest a few times the week after? Glad to help.",
        "Those don't work for me. Would you send me some other options? Definitely keen.",
    ],
)
def test_asking_for_other_times_is_accept(body: str) -> None:
    u, action = read(body, "slots_offered")
    assert u.intent is Intent.ACCEPT
    assert u.proposed == []
    assert action == "offer_slots"


@pytest.mark.parametrize(
    "body",
    [
        "This isn't something I can do this quarter.",
        "Not something I could do, sorry.",
    ],
)
def test_negated_accept_phrase_is_not_accept(body: str) -> None:
    assert read(body)[0].intent is not Intent.ACCEPT


@pytest.mark.parametrize(
    "body",
    [
        "Sounds useful. Let me loop in my assistant Carla (carla@acme.com) to find a slot.",
        "Yes - Omar Haddad (cc'd) runs my calendar and will sort out a time with you.",
    ],
)
def test_someone_arranging_the_time_is_accept(body: str) -> None:
    u, _ = read(body, headers="Cc: Omar Haddad <omar@acme.com>\n")
    assert u.intent is Intent.ACCEPT
    assert u.referral is None


@pytest.mark.parametrize(
    ("body", "name"),
    [
        (
            "I'm not the right person, but Ines Ortega leads our pricing team - ines@acme.com.",
            "Ines Ortega",
        ),
        (
            "Not my area at all. Kofi Mensah heads up analytics and would be glad to talk.",
            "Kofi Mensah",
        ),
    ],
)
def test_referral_named_by_what_they_do(body: str, name: str) -> None:
    u, _ = read(body)
    assert u.intent is Intent.REFERRAL
    assert u.referral is not None and u.referral.name == name


@pytest.mark.parametrize(
    "body",
    [
        "Sorry, crazy month. Happy to chat in September though!",
        "Swamped until the summer - happy to talk in the new year if you're still looking.",
    ],
)
def test_happy_later_is_later(body: str) -> None:
    assert read(body)[0].intent is Intent.LATER


# --- times ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "first"),
    [
        ("The 3pm one works best.", OFFERED[1]),
        ("11am suits me.", OFFERED[2]),
    ],
)
def test_offered_slot_picked_by_its_clock_time(body: str, first: str) -> None:
    u, action = read(body, "slots_offered")
    assert starts(u) == [first]
    assert action == "book_offered_slot"


@pytest.mark.parametrize(
    ("body", "quote", "first"),
    [
        # "same time" refers to a booking written as a range
        (
            "I've been dragged into an offsite tomorrow. Same time on Friday instead?",
            "Thursday 11 June, 2:00-2:30pm ET",
            "2026-06-12T14:00:00-04:00",
        ),
        (
            "Something urgent landed. Could we keep the same time but Monday?",
            "Thu 11 June, 14:00-14:30",
            "2026-06-15T14:00:00-04:00",
        ),
        # a bare new time moves the booked day's meeting
        (
            "Could we make it 3:30 rather than 2? My previous call runs over.",
            "Thursday 11 June, 2:00-2:30pm ET",
            "2026-06-11T15:30:00-04:00",
        ),
        ("Can we push it to 4 instead?", "Thursday 11 June at 2pm ET", "2026-06-11T16:00:00-04:00"),
    ],
)
def test_reschedule_reads_the_booking_from_the_quote(body: str, quote: str, first: str) -> None:
    u, action = read(body + booked_quote(quote), "meeting_booked")
    assert u.intent is Intent.RESCHEDULE
    assert starts(u) == [first]
    assert action == "reschedule_meeting"


@pytest.mark.parametrize(
    ("body", "window"),
    [
        (
            "Apologies, a clash has come up for tomorrow morning. Tomorrow afternoon instead?",
            ("2026-06-11T12:00:00-04:00", "2026-06-11T17:00:00-04:00"),
        ),
        (
            "I'm stuck in a board meeting tomorrow. Could we shift to Friday morning instead?",
            ("2026-06-12T09:00:00-04:00", "2026-06-12T12:00:00-04:00"),
        ),
    ],
)
def test_the_reason_for_moving_is_not_a_proposal(body: str, window: tuple[str, str]) -> None:
    u, _ = read(body + booked_quote("Thursday 11 June at 10am ET"), "meeting_booked")
    got = [(w.start.isoformat(), w.end.isoformat() if w.end else None) for w in u.proposed]
    assert got == [window]


@pytest.mark.parametrize(
    ("body", "first"),
    [
        ("Sure - could we do 9am my time (Pacific) on Monday?", "2026-06-15T12:00:00-04:00"),
        ("Happy to. Tuesday at 4pm my time, i.e. Berlin time.", "2026-06-16T10:00:00-04:00"),
    ],
)
def test_my_time_followed_by_a_named_zone(body: str, first: str) -> None:
    assert starts(read(body)[0])[0] == first


@pytest.mark.parametrize(
    ("body", "first"),
    [
        ("Avec plaisir ! Vendredi à 10h ?", "2026-06-12T10:00:00-04:00"),
        ("Volontiers. Le mardi 16 juin l'après-midi me va.", "2026-06-16T12:00:00-04:00"),
    ],
)
def test_french_basics(body: str, first: str) -> None:
    u, _ = read(body)
    assert u.intent is Intent.ACCEPT
    assert starts(u)[0] == first


# --- signatures -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Friday works.\n\nJo\n\nJo Park\nHead of Ops | Lumen\n+44 20 7946 0018\nOOO 3-7 Aug",
        "Friday works.\n\nSam Ortiz\nSenior Recruiter, Acme\nwww.acme.com\nPanel on 12 June",
    ],
)
def test_signature_without_signoff_is_dropped(text: str) -> None:
    assert strip_quotes(text) == "Friday works."


@pytest.mark.parametrize(
    "text",
    [
        "Sounds good.\n\nNext Tuesday\nat 3pm works for me",
        "Sure.\n\nMonday Afternoon\nor Tuesday at 10 - either is fine",
    ],
)
def test_a_day_on_its_own_line_is_not_a_signature(text: str) -> None:
    assert strip_quotes(text) == text


# --- the booking path end to end --------------------------------------------------------------


@pytest.mark.parametrize("intent", [i for i in Intent if i not in (Intent.ACCEPT,)])
@pytest.mark.parametrize("state", ["outreach_sent", "slots_offered", "meeting_booked"])
def test_only_accept_or_reschedule_can_book(intent: Intent, state: str) -> None:
    start = datetime.fromisoformat(OFFERED[0])
    u = Understanding(intent, 0.99, proposed=[Window(start)])
    action = next_action(u, ctx(state, OFFERED))
    if intent is Intent.RESCHEDULE and state == "meeting_booked":
        assert action == "reschedule_meeting"
    else:
        assert action not in BOOKING_ACTIONS


def test_unsure_accept_never_books() -> None:
    start = datetime.fromisoformat(OFFERED[0])
    u = Understanding(Intent.ACCEPT, CONFIDENCE_THRESHOLD - 0.01, proposed=[Window(start)])
    assert next_action(u, ctx("slots_offered", OFFERED)) == "ask_owner"


@pytest.mark.parametrize(
    ("body", "first"),
    [
        ("Could we start 15 minutes later? My previous call tends to overrun.", "T14:15"),
        ("Would it be OK to push it back by an hour? Same day.", "T15:00"),
        ("Can we bring it 30 minutes earlier? I have a school pickup.", "T13:30"),
    ],
)
def test_booked_time_shifted_by_minutes_or_hours(body: str, first: str) -> None:
    u, action = read(body + booked_quote("Thursday 11 June at 2pm ET"), "meeting_booked")
    assert u.intent is Intent.RESCHEDULE
    assert [s[10:16] for s in starts(u)] == [first]
    assert action == "reschedule_meeting"


@pytest.mark.parametrize(
    "body",
    [
        "I'm on parental leave until 3 August with limited access to email. For urgent "
        "matters please contact the front desk.",
        "Currently out of the office, returning on Monday 22 June. I will reply upon my return.",
    ],
)
def test_absence_notice_without_headers_or_greeting(body: str) -> None:
    u, action = read(body)
    assert u.intent is Intent.AUTO_REPLY
    assert action not in BOOKING_ACTIONS


@pytest.mark.parametrize(
    "body",
    [
        "Sorry, I'm away until 30 June, just so you know.",
        "Heads up: I'm travelling till the 25th.",
    ],
)
def test_end_of_an_absence_is_not_a_proposal(body: str) -> None:
    u, action = read(body)
    assert u.proposed == []
    assert action not in BOOKING_ACTIONS


@pytest.mark.parametrize(
    "body",
    [
        "Sure. How about 9am Pacific on Friday? That's noon for me in Boston.",
        "Happy to - Friday at 12pm ET works, which would be 9am where I am.",
    ],
)
def test_same_instant_restated_in_the_senders_zone_is_one_proposal(body: str) -> None:
    assert starts(read(body)[0]) == ["2026-06-12T12:00:00-04:00"]
