"""Fourth round: where a reply carries signals for two intents, they are weighed, not raced.

A refusal that names someone is a referral; a question asked before committing outweighs a day
mentioned beside it; calling a booked meeting off with only a vague "another time" is a cancel;
turning one day down while taking another is an accept; "back in <month> <year>" resumes on the
first of that month; a time restated in another zone is one proposal; "Tuesday is full" negates
Tuesday. All messages are our own wording. Reference: Wednesday 10 June 2026, 09:00 New York.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from tests.domain import eml

from coffeechat.domain import weigh
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


# --- a refusal that names someone else is a referral ----------------------------------------


@pytest.mark.parametrize(
    ("body", "name"),
    [
        (
            "Not really something I can help with, sorry. Marisol Quen in our Denver office "
            "made the same jump from teaching two years ago - she's on LinkedIn.",
            "Marisol Quen",
        ),
        (
            "I can't fit this in before the audit wraps up. My old teammate Farid Osman went "
            "through exactly this switch and would be a much better fit anyway.",
            "Farid Osman",
        ),
        (
            "This isn't quite something I could do justice to. Renata Vogel on the platform "
            "team did the same move last spring; worth looking her up.",
            "Renata Vogel",
        ),
    ],
)
def test_a_refusal_naming_someone_is_a_referral(body: str, name: str) -> None:
    u, _ = read(body)
    assert u.intent is Intent.REFERRAL
    assert u.referral is not None and u.referral.name == name


@pytest.mark.parametrize(
    "body",
    [
        "Happy to talk. My assistant Corinne will find us a slot next week.",
        "Sure thing - Hollis, my EA, keeps my calendar and will set up a time.",
    ],
)
def test_an_assistant_who_arranges_the_time_is_still_an_accept(body: str) -> None:
    u, _ = read(body)
    assert u.intent is Intent.ACCEPT
    assert u.referral is None


def test_a_job_title_with_assistant_in_it_does_not_make_a_scheduler() -> None:
    u, _ = read(
        "I can't take this on right now. My friend Tamsin Rowe, an assistant producer who "
        "moved into UX, would be a far better fit."
    )
    assert u.intent is Intent.REFERRAL
    assert u.referral is not None and u.referral.name == "Tamsin Rowe"


@pytest.mark.parametrize(
    "body",
    [
        "I stopped doing 1:1 mentoring calls a while back, the volume got too much.",
        "I no longer take informal career chats, I'm afraid. There's a good guide on our blog.",
    ],
)
def test_a_standing_policy_against_chats_is_a_decline(body: str) -> None:
    u, _ = read(body)
    assert u.intent is Intent.DECLINE


# --- a question asked before committing outweighs a day beside it ---------------------------


@pytest.mark.parametrize(
    "body",
    [
        "Before I say yes: are you applying for any roles with us at the moment? I'm on an "
        "interview loop Friday and need to keep things clean. If not, glad to help.",
        "Quick check before we lock anything in - are you currently interviewing here? I sit "
        "on the panel Monday.",
        "Would Thursday be a video call or in person at the office?",
    ],
)
def test_a_question_with_a_day_in_it_is_a_question(body: str) -> None:
    u, action = read(body)
    assert u.intent is Intent.QUESTION
    assert u.proposed == []
    assert action not in BOOKING_ACTIONS


@pytest.mark.parametrize(
    "body",
    [
        "Before I choose one - were those slots in Eastern time or Pacific? If Eastern, the "
        "Thursday one would be 7am for me.",
        "Are those times in your time or mine? If they're yours, Friday would be very early.",
    ],
)
def test_asking_which_zone_the_slots_are_in_is_a_question(body: str) -> None:
    u, action = read(body, "slots_offered", OFFERED)
    assert u.intent is Intent.QUESTION
    assert action not in BOOKING_ACTIONS


@pytest.mark.parametrize(
    "body",
    [
        "Open to it in principle. Could you tell me a little about what you're hoping to get "
        "out of it? These go better when I know.",
        "Happy to consider it - can you say more about the kind of roles you're after? I find "
        "it easier when I know up front.",
    ],
)
def test_a_request_for_detail_is_a_question_not_later(body: str) -> None:
    u, _ = read(body)
    assert u.intent is Intent.QUESTION


def test_a_clear_yes_with_a_time_and_a_format_question_stays_accept() -> None:
    u, _ = read("Thursday at 2pm works for me. Video or in person?")
    assert u.intent is Intent.ACCEPT
    assert starts(u) == ["2026-06-11T14:00:00-04:00"]


# --- turning one day down while taking another is an accept ---------------------------------


@pytest.mark.parametrize(
    ("body", "first"),
    [
        (
            "Thursday is packed with reviews unfortunately, but the Tuesday slot suits me.",
            "2026-06-16T12:00:00-04:00",
        ),
        (
            "Tuesday works, though could we make it 1pm rather than noon? I have a team lunch "
            "on Tuesdays I'd rather not move.",
            "2026-06-16T13:00:00-04:00",
        ),
    ],
)
def test_one_day_down_another_taken_is_an_accept(body: str, first: str) -> None:
    u, _ = read(body, "slots_offered", OFFERED)
    assert u.intent is Intent.ACCEPT
    assert starts(u)[0] == first
    assert "2026-06-11T10:00:00-04:00" not in starts(u)


# --- a time restated in another zone is one proposal -----------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "I could do Friday at 7pm Berlin, which I make 1pm for you.",
        "Friday 6pm London works - I make that 1pm for you.",
    ],
)
def test_a_city_zone_and_its_restatement_are_one_proposal(body: str) -> None:
    u, _ = read(body)
    assert starts(u) == ["2026-06-12T13:00:00-04:00"]


# --- calling a booked meeting off with a vague "another time" is a cancel --------------------


@pytest.mark.parametrize(
    "body",
    [
        "So sorry, I have to cancel Thursday. Work has gone sideways. Perhaps another time.",
        "Need to call off our chat this week, apologies. Hoping we can find another time "
        "down the line.",
        "I'm going to have to cancel. I'm starting a new job and staying out of anything "
        "career-related until 6 July. Sorry to back out.",
    ],
)
def test_calling_off_with_a_vague_future_is_a_cancel(body: str) -> None:
    u, action = read(body + CONFIRM, "meeting_booked")
    assert u.intent is Intent.CANCEL
    assert u.proposed == []
    assert action not in BOOKING_ACTIONS


@pytest.mark.parametrize(
    "body",
    [
        "I have to cancel Thursday - could we do another time next week instead?",
        "Something came up so I need to cancel, but could we reschedule to Friday at 3pm?",
    ],
)
def test_calling_off_with_a_request_to_move_is_a_reschedule(body: str) -> None:
    u, _ = read(body + CONFIRM, "meeting_booked")
    assert u.intent is Intent.RESCHEDULE


# --- "back in <month> <year>", "come <month>" ------------------------------------------------


@pytest.mark.parametrize(
    ("body", "until"),
    [
        (
            "I'm on sabbatical and will be back in March 2027. I won't be reading email.",
            date(2027, 3, 1),
        ),
        ("Slammed this quarter. Let's pick this up again come September.", date(2026, 9, 1)),
        ("Can we revisit this in October? Budget season until then.", date(2026, 10, 1)),
    ],
)
def test_a_month_to_resume_gives_its_first_day(body: str, until: date) -> None:
    u, _ = read(body)
    assert u.intent in (Intent.LATER, Intent.AUTO_REPLY)
    assert u.later_until == until


# --- the weighing itself ----------------------------------------------------------------------


def test_two_close_intents_lower_the_confidence() -> None:
    s = weigh.Signals(question=True, times=True)
    intent, top, second = weigh.decide(s)
    assert intent is Intent.ACCEPT
    assert weigh.competing(top, second)


def test_ties_go_to_the_cheapest_mistake() -> None:
    s = weigh.Signals(accept=True, question=True)
    assert weigh.decide(s)[0] is Intent.QUESTION
    s = weigh.Signals(decline=True, accept=True)
    assert weigh.decide(s)[0] is Intent.DECLINE


def test_a_refusal_with_a_name_outweighs_the_refusal() -> None:
    from coffeechat.domain.intents import Referral

    s = weigh.Signals(decline=True, general_decline=True, referral=Referral("Sam Lee", None))
    assert weigh.decide(s)[0] is Intent.REFERRAL


def test_a_booked_meeting_with_only_a_day_beside_a_cancel_is_cancelled() -> None:
    s = weigh.BookedSignals(day_only=True, call_off=True, later=True)
    assert weigh.decide_booked(s)[0] is Intent.CANCEL
    s = weigh.BookedSignals(exact_time=True, call_off=True)
    assert weigh.decide_booked(s)[0] is Intent.RESCHEDULE


@pytest.mark.parametrize(
    ("body", "name"),
    [
        (
            "I'm not the person for this, but you could try Amal Reyes, who runs our data team.",
            "Amal Reyes",
        ),
        (
            "Not really the one to ask. You might want to email Joss Hartley instead.",
            "Joss Hartley",
        ),
    ],
)
def test_pointing_elsewhere_without_refusal_words_is_a_referral(body: str, name: str) -> None:
    u, _ = read(body)
    assert u.intent is Intent.REFERRAL
    assert u.referral is not None and u.referral.name == name
