"""Ninth round: the kinds of failure two more blind sets (160 replies) exposed, in other
wording. Closure notices and "24/7" that are not dates; a shared inbox thanking you "for
reaching out to" the person it answers for; job titles in signatures that read like "my
partner, X"; "same time next wk"; 24-hour "1600 tmrw" and "at 0930"; formal German and
Spanish ways of asking to move or to write later; "the person you really want is our design
lead, X"; a referral given as an address block; a question put to the assistant in Cc; one
negation covering "Monday or Tuesday"; "Thursday, same time?"; "not going to be able to
reschedule". All messages are our own wording. Reference: Wednesday 10 June 2026, 09:00 NY.
"""

from __future__ import annotations

from datetime import date

import pytest
from tests.domain import read_reply as read
from tests.domain import starts

from coffeechat.domain.intents import Intent

NY = "America/New_York"
BOOKED = "2026-06-11T14:00:00-04:00"  # Thursday 11 June, 2pm


@pytest.mark.parametrize(
    "body",
    [
        "Happy to talk - send me a few times that suit you.\n\nDana Reyes\nHead of Ops\n\n"
        "Our offices will be closed Friday, June 19 in observance of Juneteenth.",
        "Glad to help, just send an invite for whenever.\n\nSupport line available 24/7.",
    ],
)
def test_closures_and_round_the_clock_are_not_proposals(body: str) -> None:
    u = read(body)
    assert u.intent is Intent.ACCEPT
    assert u.proposed == []


def test_a_shared_inbox_declining_for_someone_is_not_a_referral() -> None:
    u = read(
        "Thank you for reaching out to Priya. This mailbox is looked after by her office. "
        "I'm sorry, but Priya is unable to take informational meetings at present."
    )
    assert u.intent is Intent.DECLINE
    assert u.referral is None


def test_a_title_in_a_signature_is_not_a_person_referred() -> None:
    u = read(
        "I'm afraid I have to decline; I don't take these calls any more.\n\nRegards,\n"
        "Harriet Lowe\nPartner, Strategy & Growth\nLowe Whitfield LLP"
    )
    assert u.intent is Intent.DECLINE
    assert u.referral is None


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("so sorry, thurs got eaten by a board thing. same time next wk?", "2026-06-18T14:00"),
        ("Client call landed on our slot - could we do 1600 tmrw instead?", "2026-06-11T16:00"),
        ("Apologies! Can we push to Friday at 0930 instead?", "2026-06-12T09:30"),
        ("Tut mir leid, können wir das verschieben? Freitag um 15 Uhr ginge.", "2026-06-12T15:00"),
        ("Perdona, ¿podemos pasarlo al viernes a las 11?", "2026-06-12T11:00"),
        ("A board call landed on Thursday. Can we move to Friday, same time?", "2026-06-12T14:00"),
    ],
)
def test_moving_a_booked_meeting(body: str, expected: str) -> None:
    u = read(body, booked=BOOKED)
    assert u.intent is Intent.RESCHEDULE
    assert starts(u) == [expected]


def test_not_able_to_reschedule_is_a_cancel() -> None:
    u = read(
        "I'm so sorry, I have to bow out of Thursday - a family matter, and I won't be able to "
        "reschedule for a good while.",
        booked=BOOKED,
    )
    assert u.intent is Intent.CANCEL


def test_formal_german_write_again_later() -> None:
    u = read("Gerne, aber erst nach dem Projektabschluss. Melden Sie sich bitte im August wieder.")
    assert u.intent is Intent.LATER
    assert u.later_until == date(2026, 8, 1)


def test_the_person_you_really_want_is_our_lead() -> None:
    u = read(
        "I'd only be guessing. The person you really want is our design lead, Omar Haddad - "
        "he made the same switch."
    )
    assert u.intent is Intent.REFERRAL
    assert u.referral is not None and u.referral.name == "Omar Haddad"


def test_a_referral_given_as_an_address_block() -> None:
    u = read(
        "I left that field a while ago, so I'd suggest you speak with my old colleague:\n\n"
        "Mr. Tomasz Nowak\nPrincipal Engineer, Grid Systems\ntomasz.nowak@northwind.example\n\n"
        "He is very approachable."
    )
    assert u.intent is Intent.REFERRAL
    assert u.referral is not None
    assert (u.referral.name, u.referral.email) == ("Tomasz Nowak", "tomasz.nowak@northwind.example")


def test_a_question_to_the_assistant_in_cc_is_not_one_for_the_owner() -> None:
    u = read(
        "Yes, happy to chat! My PA, Lou Berg, runs my diary so I've copied her. Lou, could you "
        "please find Maya half an hour in the next few weeks?",
        headers="Cc: Lou Berg <lou@firm.example>\n",
    )
    assert u.intent is Intent.ACCEPT


def test_one_negation_covers_days_joined_by_or() -> None:
    u = read("Happy to. Just not Monday or Tuesday next week - otherwise send me an invite.")
    assert u.intent is Intent.ACCEPT
    assert u.proposed == []
