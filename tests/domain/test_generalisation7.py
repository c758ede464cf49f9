"""Seventh round: the kinds of failure a fresh blind set (70 replies) exposed, in other wording.

Conflicts described rather than negated ("Thursday is looking hectic", "the offsite overran into
the afternoon", "I can't see beyond Friday"); later requests with new verbs and units ("flick
me another email in a fortnight"); a bare day of the month after a written date ("until 4
March, back the 5th"); autoresponders that greet like people ("Hello there, thanks for your
note! I'm travelling ..."); identity questions ("Which Sam is this?", "have we met?");
referrals without the usual cues (a full name next to its own address, "have a word with",
a first name whose full name is only in Cc). All messages are our own wording.
Reference: Wednesday 10 June 2026, 09:00 New York.
"""

from __future__ import annotations

from datetime import date

import pytest
from tests.domain import read_reply as read
from tests.domain import starts

from coffeechat.domain.intents import Intent

NY = "America/New_York"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "Thursday is looking hectic for me. Could we try Friday at 11 instead?",
            "2026-06-12T11:00",
        ),
        (
            "Apologies, the offsite overran into this afternoon. Monday morning any good?",
            "2026-06-15T09:00",
        ),
        ("Friday's shaping up to be a write-off, so maybe Tuesday at 3pm?", "2026-06-16T15:00"),
        ("The audit will eat the whole of Thursday. Friday at 10am?", "2026-06-12T10:00"),
    ],
)
def test_a_conflict_described_in_words_is_not_proposed(body: str, expected: str) -> None:
    u = read(body, state="meeting_booked")
    assert starts(u) == [expected]


def test_a_horizon_of_busyness_is_not_a_proposal() -> None:
    u = read("Things are mad here and I can't see beyond Friday. Shoot me a note in a fortnight?")
    assert u.intent is Intent.LATER
    assert u.proposed == []
    assert u.later_until == date(2026, 6, 24)


@pytest.mark.parametrize(
    ("body", "until"),
    [
        ("Could you flick me another email in a fortnight? Happy to help then.", date(2026, 6, 24)),
        ("Drop me another note in two fortnights' time and we'll find a slot.", date(2026, 7, 8)),
        ("Fire me a quick line next month, it's calmer then.", date(2026, 7, 1)),
    ],
)
def test_later_with_new_verbs_and_units(body: str, until: date) -> None:
    u = read(body)
    assert u.intent is Intent.LATER
    assert u.later_until == until


@pytest.mark.parametrize(
    ("body", "until"),
    [
        ("I'm on leave until 3 August (back on the 4th). Write to me then?", date(2026, 8, 4)),
        (
            "I'm travelling from 28 September until 2 October, back in the office on the 5th. "
            "Try me then!",
            date(2026, 10, 5),
        ),
    ],
)
def test_a_bare_day_of_the_month_follows_the_date_written_before_it(body: str, until: date) -> None:
    u = read(body)
    assert u.later_until == until


def test_a_bare_day_after_a_written_date_is_proposed_in_that_month() -> None:
    u = read("Happy to chat! I could do Tuesday 14 July or the 16th, both at 2pm.")
    assert starts(u) == ["2026-07-14T14:00", "2026-07-16T14:00"]


@pytest.mark.parametrize(
    "body",
    [
        "Hello there,\n\nThanks for your note! I'm travelling for work with spotty wifi and will "
        "be back at my desk on 22 June. I'll reply properly then.\n\nIf this is urgent, call the "
        "front desk.",
        "Hey,\n\nThanks for your message. We're at a trade show all week and will be back on "
        "Monday 15 June.\n\nIf your enquiry is about an order, write to orders@shop.example.",
    ],
)
def test_an_autoresponder_that_greets_like_a_person(body: str) -> None:
    u = read(body)
    assert u.intent is Intent.AUTO_REPLY
    assert u.later_until is not None


@pytest.mark.parametrize(
    "body",
    [
        "Sorry - which Sam is this? Remind me how we know each other and we'll go from there.",
        "Have we met before? Apologies, my memory for names is awful.",
        "Hmm, did we meet at the design conference in March? Remind me and I'll happily help.",
    ],
)
def test_who_is_writing_is_a_question(body: str) -> None:
    assert read(body).intent is Intent.QUESTION


def test_a_full_name_beside_its_own_address_is_a_referral() -> None:
    u = read(
        "Afraid I can't take this on. Maria Lopez built our analytics team from scratch and "
        "honestly she'd be brilliant for you - maria.lopez@northwind.example."
    )
    assert u.intent is Intent.REFERRAL
    assert u.referral is not None
    assert (u.referral.name, u.referral.email) == ("Maria Lopez", "maria.lopez@northwind.example")


def test_have_a_word_with_a_mailto_link_is_a_referral() -> None:
    html = (
        "<p>I'm swamped, sorry. Have a word with "
        '<a href="mailto:zoe.jaeger@northwind.example">Zoë Jäger</a> instead, she did the same '
        "move.</p>"
    )
    u = read(html, ctype="text/html; charset=utf-8")
    assert u.intent is Intent.REFERRAL
    assert u.referral is not None
    assert (u.referral.name, u.referral.email) == ("Zoë Jäger", "zoe.jaeger@northwind.example")


def test_a_first_name_takes_the_full_name_from_cc() -> None:
    u = read(
        "Not really my area any more. Looping in Kwame (cc'd), who runs our platform team.",
        headers="Cc: Kwame Mensah <kwame.mensah@northwind.example>\n",
    )
    assert u.intent is Intent.REFERRAL
    assert u.referral is not None
    assert (u.referral.name, u.referral.email) == ("Kwame Mensah", "kwame.mensah@northwind.example")
