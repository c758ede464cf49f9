"""Fifth round: time extraction first, then resume dates and referral names.

A move verb with "back to" moves the booking, it is no return; a mention or a zone wrapped onto
the next line still belongs to its sentence; "a no-go" negates its day; a commitment that sits
on a day ("I have a board meeting on ...") rules that day out; an inline "this one works" under a
quoted slot picks that slot; "<name> would be ideal" refers; a leading verb ("Try") is not part
of a name; "next month would be better" and "write me again" ask for later; "back on\\n<date>"
is a return date. All messages are our own wording. Reference: Wednesday 10 June 2026, 09:00
New York.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from tests.domain import eml

from coffeechat.domain.actions import BOOKING_ACTIONS, next_action
from coffeechat.domain.intents import Intent, ThreadContext, Understanding
from coffeechat.domain.mailparse import parse_message
from coffeechat.domain.understand import understand

NY = "America/New_York"
OFFERED = ("2026-06-11T10:00:00-04:00", "2026-06-11T15:00:00-04:00", "2026-06-16T12:00:00-04:00")
CONFIRM = (
    "\n\nOn Mon, Jun 1, 2026 at 10:00 AM Maya Chen <maya@fastmail.com> wrote:\n"
    "> Great, you're confirmed for Thursday 11 June at 14:00. I've sent a calendar invite.\n"
)
AUTO = "Auto-Submitted: auto-replied\n"
ROOT = Path(__file__).resolve().parents[2]


def read(
    body: str, state: str = "outreach_sent", offered: tuple[str, ...] = (), **kw: str
) -> tuple[Understanding, str]:
    c = ThreadContext(
        state=state, offered_slots=[datetime.fromisoformat(o) for o in offered], owner_tz=NY
    )
    u = understand(parse_message(eml(body, **kw)), c)
    return u, next_action(u, c)


def starts(u: Understanding) -> list[str]:
    return [w.start.isoformat() for w in u.proposed]


# --- "push it back to 3:30": a move, not a return ---------------------------------------------


@pytest.mark.parametrize(
    ("body", "first"),
    [
        ("Could we push Thursday back to 3:30 rather than 2? My lunch runs long.", "15:30"),
        ("Would you mind if we shift our call back to 4pm? Sorry for the faff.", "16:00"),
    ],
)
def test_moving_the_booking_back_to_a_time_proposes_that_time(body: str, first: str) -> None:
    u, _ = read(body + CONFIRM, state="meeting_booked")
    assert u.intent is Intent.RESCHEDULE
    assert starts(u) == [f"2026-06-11T{first}:00-04:00"]


# --- hard-wrapped lines ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "first"),
    [
        ("Something urgent landed on Thursday. Could we keep the same\ntime but on Friday?", "12"),
        ("A family thing came up, sorry. Could we do the same\ntime on Monday instead?", "15"),
    ],
)
def test_same_time_wrapped_over_a_line_still_takes_the_day_after_it(body: str, first: str) -> None:
    u, _ = read(body + CONFIRM, state="meeting_booked")
    assert starts(u) == [f"2026-06-{first}T14:00:00-04:00"]


@pytest.mark.parametrize(
    ("body", "first"),
    [
        ("Glad to help! I'm on the west coast, so could we do Friday at 2pm\nPT?", "17:00"),
        ("Sure. Would Friday at 9am\nCentral work for you?", "10:00"),
    ],
)
def test_a_zone_wrapped_onto_the_next_line_is_still_read(body: str, first: str) -> None:
    u, _ = read(body)
    assert starts(u) == [f"2026-06-12T{first}:00-04:00"]


def test_a_city_on_the_next_line_is_not_taken_as_a_zone() -> None:
    u, _ = read("Happy to chat. Friday at 2pm works.\nLondon is where I'm based, by the way.")
    assert starts(u) == ["2026-06-12T14:00:00-04:00"]


# --- a day ruled out ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "first"),
    [
        ("Thursday's a no-go for me but Friday at 10 works.", "2026-06-12T10:00:00-04:00"),
        ("Monday is a non-starter, Tuesday at 11am is fine though.", "2026-06-16T11:00:00-04:00"),
    ],
)
def test_a_no_go_day_is_not_proposed(body: str, first: str) -> None:
    u, _ = read(body)
    assert starts(u) == [first]


@pytest.mark.parametrize(
    "body",
    [
        "I have a board meeting that got moved onto Thursday afternoon. Friday at 11 instead?",
        "I've got a dentist appointment on Thursday morning; could we do Friday at 11 instead?",
    ],
)
def test_a_commitment_on_a_day_rules_that_day_out(body: str) -> None:
    u, _ = read(body)
    assert starts(u) == ["2026-06-12T11:00:00-04:00"]


# --- inline answers under quoted slots ---------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "slot"),
    [
        (
            "Answers below.\n\n> - Thursday 11 June, 10:00\n\nNo, sorry, I teach then.\n\n"
            "> - Thursday 11 June, 15:00\n\nThat one works!\n\n> - Tuesday 16 June, 12:00\n\n"
            "Also no.\n",
            OFFERED[1],
        ),
        (
            "See inline.\n\n> Thu 11 Jun at 10:00\nI'm out that morning.\n"
            "> Tue 16 Jun at 12:00\nYes, this slot is perfect.\n",
            OFFERED[2],
        ),
    ],
)
def test_this_one_works_under_a_quoted_slot_picks_it(body: str, slot: str) -> None:
    u, _ = read(body, state="slots_offered", offered=OFFERED)
    assert u.intent is Intent.ACCEPT
    assert starts(u) == [slot]


def test_that_works_under_a_quoted_signature_picks_nothing() -> None:
    u, action = read(
        "> Thanks, Maya Chen | +1 212 555 0100\n\nThat works for me, what times suit you?\n"
    )
    assert u.proposed == []
    assert action not in BOOKING_ACTIONS


# --- referral names ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "name", "email"),
    [
        (
            "I've moved on from that team so I'm not the one, but Odette Lamar at Brightwell "
            "Labs would be ideal. odette.lamar@brightwell.io",
            "Odette Lamar",
            "odette.lamar@brightwell.io",
        ),
        (
            "Sorry, this isn't my area any more. Kwame Asante in finance would be your best "
            "bet, he made the same move.",
            "Kwame Asante",
            None,
        ),
    ],
)
def test_would_be_ideal_names_a_referral(body: str, name: str, email: str | None) -> None:
    u, _ = read(body)
    assert u.intent is Intent.REFERRAL
    assert u.referral is not None
    assert (u.referral.name, u.referral.email) == (name, email)


@pytest.mark.parametrize(
    ("body", "name"),
    [
        (
            "Not my field these days. Try Ingrid Falk in our Oslo office, she switched.",
            "Ingrid Falk",
        ),
        ("I can't help, sorry. Maybe Desmond Ortiz on the data team could.", "Desmond Ortiz"),
    ],
)
def test_a_leading_verb_is_not_part_of_the_name(body: str, name: str) -> None:
    u, _ = read(body)
    assert u.intent is Intent.REFERRAL
    assert u.referral is not None and u.referral.name == name


# --- later ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "until"),
    [
        ("Next month would be far better, things settle after our launch. Email me again then?",
         date(2026, 7, 1)),
        ("Right now is mad. Next month would suit me much better - write me again then?",
         date(2026, 7, 1)),
    ],
)  # fmt: skip
def test_next_month_would_be_better_asks_for_later(body: str, until: date) -> None:
    u, action = read(body)
    assert u.intent is Intent.LATER
    assert u.later_until == until
    assert action not in BOOKING_ACTIONS


@pytest.mark.parametrize(
    ("body", "until"),
    [
        ("Thanks for your note. I'm at a summit this week and back on\nTuesday 16 June.",
         date(2026, 6, 16)),
        ("I am travelling with patchy email and will return on\nMonday 22 June. Thank you.",
         date(2026, 6, 22)),
    ],
)  # fmt: skip
def test_a_return_date_wrapped_onto_the_next_line_is_read(body: str, until: date) -> None:
    u, _ = read(body, headers=AUTO, subject="Automatic reply: Quick chat?")
    assert u.intent is Intent.AUTO_REPLY
    assert u.later_until == until
