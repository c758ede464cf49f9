"""Thirteenth round: the fifteenth blind set's failure kinds (the middle of a conversation),
in other wording. Offered slots picked as "the later one", "the last of those", "either the
first or the third"; a pick moved "half an hour later"; "same time" from the offered slots; a
booking pushed "a week" or "back by half an hour"; "the following Monday" after the booking;
"Can we find another time?"; a person on leave who greets you by name; "in Q1"; a Dutch
Outlook quote header. Reference: Wednesday 10 June 2026, New York."""

from __future__ import annotations

from datetime import date

import pytest
from tests.domain import read_reply, starts

from coffeechat.domain.intents import Intent
from coffeechat.domain.quotes import split_reply

OFFERED = ("2026-06-15T11:00:00-04:00", "2026-06-16T13:00:00-04:00", "2026-06-18T10:00:00-04:00")
BOOKED = "2026-06-12T10:00:00-04:00"  # a Friday


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Let's do the earlier one, the rest of the week is packed.", ["2026-06-15T11:00"]),
        ("The last of these is best for me.", ["2026-06-18T10:00"]),
        (
            "The first or the third would work; not the second, I'm travelling.",
            ["2026-06-15T11:00", "2026-06-18T10:00"],
        ),
        (
            "Tuesday works, but could we start half an hour later? I've a 1pm standing call.",
            ["2026-06-16T13:30"],
        ),
    ],
)
def test_picks_among_offered_slots(body: str, expected: list[str]) -> None:
    u = read_reply(body, offered=OFFERED)
    assert u.intent is Intent.ACCEPT
    assert starts(u) == expected


def test_same_time_takes_the_clock_every_offered_slot_shares() -> None:
    u = read_reply(
        "Sadly neither works - I'm away both days. Same time on Friday the 19th?",
        offered=("2026-06-15T10:00:00-04:00", "2026-06-17T10:00:00-04:00"),
    )
    assert starts(u) == ["2026-06-19T10:00"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Could we bump it a week? Same time works otherwise.", ["2026-06-19T10:00"]),
        (
            "Any chance we could push Friday's call back by half an hour? My 9:30 is running long.",
            ["2026-06-12T10:30"],
        ),
        (
            "Something came up for Friday, sorry. The following Tuesday, same time?",
            ["2026-06-16T10:00"],
        ),
    ],
)
def test_moving_a_booking_relative_to_itself(body: str, expected: list[str]) -> None:
    u = read_reply(body, booked=BOOKED)
    assert u.intent is Intent.RESCHEDULE
    assert starts(u) == expected


def test_asking_for_another_time_after_calling_it_off_is_a_reschedule() -> None:
    u = read_reply(
        "I need to bail on Friday, I'm stuck at a client site. Could we find another time? "
        "I'll send some options when I'm back.",
        booked=BOOKED,
    )
    assert u.intent is Intent.RESCHEDULE
    assert u.proposed == []


def test_a_person_on_leave_who_greets_you_by_name_is_not_an_autoresponder() -> None:
    u = read_reply(
        "Hi Maya,\n\nThanks for your email. I'm on annual leave until the end of the month, "
        "but I'd be happy to talk from 7/6 - ping me then and we'll set something up."
    )
    assert u.intent is Intent.LATER
    assert u.later_until == date(2026, 7, 6)


def test_an_out_of_office_that_greets_by_name_with_urgent_contacts_stays_automatic() -> None:
    u = read_reply(
        "Dear Maya,\n\nThank you for your email. I am out of the office with limited access to "
        "email. For urgent matters please contact the front desk."
    )
    assert u.intent is Intent.AUTO_REPLY


def test_in_a_quarter_is_its_first_day() -> None:
    u = read_reply("It's planning season, so I'm swamped. Could you try me again in Q4?")
    assert u.intent is Intent.LATER
    assert u.later_until == date(2026, 10, 1)


def test_a_dutch_outlook_header_starts_the_quote() -> None:
    reply = split_reply(
        "Prima, dinsdag werkt.\n\nVan: Maya Chen <maya@example.com>\n"
        "Verzonden: maandag 8 juni 2026 10:00\nAan: Joost <j@example.nl>\n"
        "Onderwerp: Koffie?\n\nTuesday at 3pm or Thursday at 10?"
    )
    assert reply.new.strip() == "Prima, dinsdag werkt."


def test_an_abbreviated_weekday_in_a_name_is_not_a_day() -> None:
    u = read_reply("Always glad to help a fellow Sun Devil! How about Thursday at 8am?")
    assert starts(u) == ["2026-06-11T08:00"]
