"""Third round of failure kinds found on an independently written set, in our own wording.

A return date or "once I'm back" is when contact may resume, not a proposal; slots turned down
as a whole are not picked; being busy with an event negates its days; "booked" in the owner's
own confirmation names the meeting; hedged times and times beside a refusal go to the owner.
The reference date is Wednesday 10 June 2026, 09:00 in New York unless a test says.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from tests.domain import eml

from coffeechat.domain.actions import BOOKING_ACTIONS, next_action
from coffeechat.domain.intents import Intent, ThreadContext, Understanding
from coffeechat.domain.mailparse import parse_message
from coffeechat.domain.understand import CONFIDENCE_THRESHOLD, understand

NY = "America/New_York"
OFFERED = ("2026-06-11T10:00:00-04:00", "2026-06-11T15:00:00-04:00", "2026-06-12T13:00:00-04:00")
OFFER_QUOTE = (
    "\n\nOn Tue, Jun 9, 2026 at 4:00 PM Maya Chen <maya@fastmail.com> wrote:\n"
    "> Here are a few times (Eastern):\n> - Thursday 11 June, 10:00\n"
    "> - Thursday 11 June, 15:00\n> - Friday 12 June, 13:00\n"
)
CONFIRM_HEAD = "\n\nOn Mon, Jun 1, 2026 at 10:00 AM Maya Chen <maya@fastmail.com> wrote:\n"
ROOT = Path(__file__).resolve().parents[2]


def read(
    body: str, state: str = "outreach_sent", offered: tuple[str, ...] = (), **kw: str
) -> tuple[Understanding, str]:
    c = ThreadContext(
        state=state, offered_slots=[datetime.fromisoformat(o) for o in offered], owner_tz=NY
    )
    u = understand(parse_message(eml(body, **kw)), c)
    return u, next_action(u, c)


def spans(u: Understanding) -> list[tuple[str, str | None]]:
    return [(w.start.isoformat(), w.end.isoformat() if w.end else None) for w in u.proposed]


# --- a return date or "once I'm back" is a resume point, never a proposal ---------------------


@pytest.mark.parametrize(
    ("body", "until"),
    [
        (
            "Travelling for work through the 19th. Could you send me a note once I'm back on "
            "Monday 22 June? Glad to talk then.",
            date(2026, 6, 22),
        ),
        (
            "I'm buried in a product launch. After the 26th I'd be glad to chat - try me then.",
            date(2026, 6, 26),
        ),
        (
            "From July 6th onwards I'll have a lot more time, so let's talk then.",
            date(2026, 7, 6),
        ),
        (
            "When I'm back from paternity leave in early August let's find a time.",
            date(2026, 8, 1),
        ),
        (
            "Summit week for me - in meetings till Friday. Write again after I return on the 16th?",
            date(2026, 6, 16),
        ),
    ],
)
def test_a_return_date_is_later_not_a_booking(body: str, until: date) -> None:
    u, action = read(body)
    assert u.intent is Intent.LATER
    assert u.proposed == []
    assert u.later_until == until
    assert action not in BOOKING_ACTIONS


@pytest.mark.parametrize(
    "body",
    [
        "Quarter close is eating my week. Could we connect after the audit? Should be much "
        "calmer then.",
        "Let's talk once the reorg is settled - things should ease up in a few weeks.",
        "Can we pick this up after the holidays? Easier then.",
        "Swamped right now. Once the board deck is out of the way I'd be happy to chat.",
    ],
)
def test_once_an_event_is_over_is_a_later_signal(body: str) -> None:
    u, action = read(body)
    assert u.intent is Intent.LATER
    assert u.proposed == []
    assert action == "postpone_followup"


@pytest.mark.parametrize(
    "body",
    [
        "Try me again after the 14th - Tuesday is hopeless anyway.",
        "Off grid until Thursday. Ping me once I'm back, Friday probably.",
        "Too hectic this week; once things settle, maybe Monday?",
    ],
)
def test_a_day_beside_a_later_wish_is_not_booked(body: str) -> None:
    u, action = read(body)
    assert u.proposed == [] or u.confidence < CONFIDENCE_THRESHOLD
    assert action not in BOOKING_ACTIONS


@pytest.mark.parametrize(
    ("body", "first"),
    [
        (
            "I'm away until the 14th, but once I'm back I could do Tuesday 16 June at 3pm.",
            "2026-06-16T15:00:00-04:00",
        ),
        (
            "Things calm down after the 12th. Happy to chat Monday 15 June at 10am.",
            "2026-06-15T10:00:00-04:00",
        ),
    ],
)
def test_a_time_clearly_offered_after_a_return_is_still_booked(body: str, first: str) -> None:
    u, action = read(body)
    assert u.intent is Intent.ACCEPT
    assert spans(u) == [(first, None)]
    assert action == "book_proposed_time"


def test_saying_no_then_mentioning_a_return_stays_a_decline() -> None:
    for body in (
        "I'll have to say no, sorry - when I'm back from leave it's straight into budget season.",
        "I need to decline this time. Once I'm back it's wall-to-wall hiring until the autumn.",
    ):
        u, action = read(body)
        assert u.intent is Intent.DECLINE, body
        assert action not in BOOKING_ACTIONS


# --- offered slots turned down as a whole: only the new time counts -------------------------


@pytest.mark.parametrize(
    ("body", "want"),
    [
        (
            "Sadly none of those suit - I'm on a training course Thursday and Friday. Would "
            "Monday at 11am work instead?",
            [("2026-06-15T11:00:00-04:00", None)],
        ),
        (
            "Those times don't work for me unfortunately, I've got back-to-backs Thursday. How "
            "about Tuesday at 4pm?",
            [("2026-06-16T16:00:00-04:00", None)],
        ),
        (
            "Can't do any of those, I'm at an offsite Thursday and Friday. Could you do next "
            "Wednesday at 9:30am?",
            [("2026-06-17T09:30:00-04:00", None)],
        ),
    ],
)
def test_turning_the_slots_down_keeps_only_the_new_time(
    body: str, want: list[tuple[str, str | None]]
) -> None:
    u, action = read(body + OFFER_QUOTE, state="slots_offered", offered=OFFERED)
    assert u.intent is Intent.ACCEPT
    assert spans(u) == want
    assert action == "book_proposed_time"


@pytest.mark.parametrize(
    ("body", "first"),
    [
        ("I'm at an all-hands Wednesday but Thursday at 2pm is good.", "2026-06-11T14:00:00-04:00"),
        ("We're in planning sessions all Monday; Tuesday 10am?", "2026-06-16T10:00:00-04:00"),
    ],
)
def test_days_taken_by_an_event_are_not_proposed(body: str, first: str) -> None:
    u, _ = read(body)
    assert spans(u) == [(first, None)]


# --- "booked" in the owner's own confirmation names the meeting ------------------------------


@pytest.mark.parametrize(
    ("quote", "body", "want"),
    [
        (
            "> You're booked for Friday 12 June at 2pm (Eastern). Invite to follow.",
            "Same day still works, but could we make it 4 instead of 2? Something landed.",
            "2026-06-12T16:00:00-04:00",
        ),
        (
            "> Lovely - I've blocked Friday 12 June, 2:00pm for our chat.",
            "Could we do 3:30 that Friday instead? Sorry for the shuffle.",
            "2026-06-12T15:30:00-04:00",
        ),
    ],
)
def test_the_booked_time_is_read_from_a_booked_confirmation(
    quote: str, body: str, want: str
) -> None:
    full = f"{body}{CONFIRM_HEAD}{quote}\n"
    u, action = read(full, state="meeting_booked")
    assert u.intent is Intent.RESCHEDULE
    assert spans(u) == [(want, None)]
    assert action == "reschedule_meeting"


# --- hedged times and times beside a refusal go to the owner --------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "Tuesday at 3pm might work, if my flight lands on time.",
        "Tentatively Thursday at 11am - I'll confirm closer to the day.",
        "Possibly Friday at 2pm, depending on how the launch goes.",
    ],
)
def test_a_hedged_time_is_asked_about(body: str) -> None:
    u, action = read(body)
    assert u.proposed
    assert u.confidence < CONFIDENCE_THRESHOLD
    assert action == "ask_owner"


@pytest.mark.parametrize(
    "body",
    [
        "I'd love to help but I'll have to pass; my diary is full until Friday 19 June.",
        "Not able to help with this one, sorry. I'm out Monday and Tuesday anyway.",
    ],
)
def test_dates_beside_a_refusal_are_never_booked(body: str) -> None:
    u, action = read(body)
    assert action not in BOOKING_ACTIONS
    assert u.intent in (Intent.DECLINE, Intent.LATER) or u.confidence < CONFIDENCE_THRESHOLD


@pytest.mark.parametrize(
    "body",
    [
        "Would love to but I'm slammed. Maybe Thursday the 18th, I'll let you know?",
        "I'd have to check, but possibly Monday at 9am.",
    ],
)
def test_a_time_the_sender_still_has_to_confirm_is_asked_about(body: str) -> None:
    u, action = read(body)
    assert u.confidence < CONFIDENCE_THRESHOLD
    assert action == "ask_owner"


@pytest.mark.parametrize(
    ("body", "until"),
    [
        ("My parental leave ends on July 6. Write to me after that.", date(2026, 7, 6)),
        ("Sure - the 19th onwards is better for me; ping me then.", date(2026, 6, 19)),
    ],
)
def test_the_end_of_a_leave_and_onwards_give_the_resume_date(body: str, until: date) -> None:
    u, action = read(body)
    assert u.intent is Intent.LATER
    assert u.proposed == []
    assert u.later_until == until
    assert action == "postpone_followup"


@pytest.mark.parametrize(
    ("body", "want"),
    [
        (
            "I'm unwell, so Friday is off. Let's try again next week, maybe Wednesday.",
            [("2026-06-17T09:00:00-04:00", "2026-06-17T17:00:00-04:00")],
        ),
        (
            "Friday's now off for me, sorry. Next week, Tuesday at 10am?",
            [("2026-06-16T10:00:00-04:00", None)],
        ),
    ],
)
def test_a_day_called_off_is_not_moved_into_next_week(
    body: str, want: list[tuple[str, str | None]]
) -> None:
    quote = "> Thanks! Confirmed: Friday 12 June at 2pm. I'll send a video link."
    u, _ = read(f"{body}{CONFIRM_HEAD}{quote}\n", state="meeting_booked")
    assert u.intent is Intent.RESCHEDULE
    assert spans(u) == want
