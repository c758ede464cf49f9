"""Tenth round: a last blind set's failure kinds, in other wording. A calendar's "proposed a
new time" notice (auto-submitted, but a reschedule, with the original time shown too); "back
at my desk by then" beside a new proposal is not an out-of-office; "a late call on Tuesday"
is a conflict; "bail on tomorrow" calls the meeting off. Reference: Wednesday 10 June 2026."""

from __future__ import annotations

from tests.domain import read_reply, starts

from coffeechat.domain.intents import Intent, Understanding

NY = "America/New_York"
BOOKED = "2026-06-11T14:00:00-04:00"


def read(body: str, *, booked: str | None = None, **kw: str) -> Understanding:
    """One slot offered unless a meeting is booked."""
    offered = () if booked else ("2026-06-12T10:00:00-04:00",)
    return read_reply(body, booked=booked, offered=offered, **kw)


def test_a_calendar_counter_proposal_is_a_reschedule_not_an_autoreply() -> None:
    u = read(
        "Jo Park has proposed a new time for this event.\n\nCoffee chat\n\nProposed time\n"
        "Friday Jun 12, 2026 ⋅ 3pm – 3:30pm\nEastern Time - New York\n\nOriginal time\n"
        "Thursday Jun 11, 2026 ⋅ 2pm – 2:30pm\n",
        booked=BOOKED,
        subject="New event time proposed: Coffee chat @ Thu Jun 11, 2026 2pm",
        headers="Auto-Submitted: auto-generated\n",
    )
    assert u.intent is Intent.RESCHEDULE
    assert starts(u) == ["2026-06-12T15:00"]


def test_back_at_my_desk_beside_a_new_proposal_is_a_reply() -> None:
    u = read(
        "Sorry, I'm travelling with a client all of next week so that slot doesn't work. "
        "Could we do Monday 22 June at 11am instead? I'll be back at my desk by then."
    )
    assert u.intent is Intent.ACCEPT
    assert starts(u) == ["2026-06-22T11:00"]


def test_a_call_that_landed_on_the_day_is_a_conflict() -> None:
    u = read(
        "Apologies - I've got a late client call on Thursday now. Could we move to Friday at 4?",
        booked=BOOKED,
    )
    assert starts(u) == ["2026-06-12T16:00"]


def test_bailing_on_the_meeting_is_a_cancel() -> None:
    u = read("I'm going to have to bail on tomorrow, sorry - things are chaotic.", booked=BOOKED)
    assert u.intent is Intent.CANCEL
    assert u.proposed == []
