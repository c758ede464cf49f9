"""Eleventh round: the thirteenth blind set's failure kinds (and later sets'), in other wording.
Reference: Wednesday 10 June 2026, New York."""

from __future__ import annotations

from datetime import date

import pytest
from tests.domain import read_reply, starts

from coffeechat.domain.intents import Intent
from coffeechat.domain.resume import return_date

REF = date(2026, 6, 10)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("We're slammed until mid-July with the launch. Try me again in September?", "2026-09-01"),
        ("Audit season runs till late August; could you check back in October?", "2026-10-01"),
        ("Busy until July. Ping me again in mid-August and we'll find a slot.", "2026-08-15"),
    ],
)
def test_the_month_asked_for_beats_the_end_of_a_busy_spell(text: str, expected: str) -> None:
    got = return_date(text, REF, day_first=False)
    assert got == date.fromisoformat(expected)


def test_reply_asks_for_a_later_month() -> None:
    u = read_reply("Quarter-end has me tied up until mid-July. Reach out again in August?")
    assert u.later_until == date(2026, 8, 1)


@pytest.mark.parametrize(
    "body",
    [
        "Automated reply: I'm on a writing sabbatical this term and will be slow to respond. "
        "Admissions questions go to the faculty office.",
        "This message was sent automatically. I am away at a field site with patchy signal "
        "and checking email only sporadically.",
    ],
)
def test_a_message_that_says_it_is_automatic(body: str) -> None:
    assert read_reply(body).intent is Intent.AUTO_REPLY


def test_the_day_leave_begins_is_not_offered() -> None:
    u = read_reply(
        "Thanks for thinking of me. I start paternity leave on 3 July and the handover is "
        "eating every hour, so I'm going to have to pass."
    )
    assert u.intent is Intent.DECLINE
    assert u.proposed == []


def test_a_day_that_is_not_going_to_work_is_not_proposed() -> None:
    u = read_reply(
        "Ah, Thursday isn't going to work anymore, sorry. Could we push to Monday morning?",
        booked="2026-06-11T14:00:00-04:00",
    )
    assert u.intent is Intent.RESCHEDULE
    assert starts(u) == ["2026-06-15T09:00"]
