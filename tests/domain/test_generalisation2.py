"""Second round of failure kinds found on an independently written set, in our own wording.

Each rule has at least two messages worded unlike any labelled line. The reference date is
Wednesday 10 June 2026, 09:00 in New York (the default Date of ``eml``) unless a test says.
"""

from __future__ import annotations

from datetime import date

import pytest
from tests.domain import eml

from coffeechat.domain.actions import next_action
from coffeechat.domain.intents import Intent, ThreadContext, Understanding
from coffeechat.domain.mailparse import parse_message
from coffeechat.domain.understand import understand
from coffeechat.domain.weekdays import correct

NY = "America/New_York"
BOOKING_ACTIONS = {"book_proposed_time", "book_offered_slot", "reschedule_meeting"}
BOOKED = (
    "\n\nOn Mon, Jun 1, 2026 at 10:00 AM Maya Chen <maya@fastmail.com> wrote:\n"
    "> Thanks! Confirmed: Friday 12 June at 2pm. I'll send a video link.\n"
)


def read(
    body: str, state: str = "outreach_sent", tz: str = NY, **kw: str
) -> tuple[Understanding, str]:
    c = ThreadContext(state=state, offered_slots=[], owner_tz=tz)
    u = understand(parse_message(eml(body, **kw)), c)
    return u, next_action(u, c)


def spans(u: Understanding) -> list[tuple[str, str | None]]:
    return [(w.start.isoformat(), w.end.isoformat() if w.end else None) for w in u.proposed]


# --- weekdays as typed: misspelt, clipped, lower case -----------------------------------------


@pytest.mark.parametrize(
    ("body", "first"),
    [
        ("Happy to help - how about thursdya at 11am?", "2026-06-11T11:00:00-04:00"),
        ("Sure thing. Wensday at 4pm would suit me.", "2026-06-17T16:00:00-04:00"),
        ("Glad to chat. Firday 10am?", "2026-06-12T10:00:00-04:00"),
        ("Yes! this tuesady at 1:30pm works.", "2026-06-16T13:30:00-04:00"),
    ],
)
def test_misspelt_weekdays_are_read_as_days(body: str, first: str) -> None:
    u, action = read(body)
    assert u.intent is Intent.ACCEPT
    assert spans(u)[0] == (first, None)
    assert action == "book_proposed_time"


@pytest.mark.parametrize("word", ["sundry", "steady", "sturdy", "Mundy", "friendly", "weekday"])
def test_real_words_are_not_taken_for_weekdays(word: str) -> None:
    assert correct(word) is None


@pytest.mark.parametrize(
    ("body", "first"),
    [
        ("yep, thu 2pm?", "2026-06-11T14:00:00-04:00"),
        ("could do fri at 9:30 if that helps", "2026-06-12T09:30:00-04:00"),
        ("sure - on mon, any time after 3", "2026-06-15T15:00:00-04:00"),
        ("ok next tues morning then", "2026-06-16T09:00:00-04:00"),
    ],
)
def test_lower_case_day_abbreviations_next_to_a_time_are_days(body: str, first: str) -> None:
    u, _ = read(body)
    assert u.intent is Intent.ACCEPT
    assert spans(u)[0][0] == first


@pytest.mark.parametrize(
    "body",
    [
        "I sat with your note for a while. Happy to chat, send me some times.",
        "Yes, glad to help - I'm out in the sun all week but reachable. What works for you?",
    ],
)
def test_prose_words_that_look_like_days_are_not_dates(body: str) -> None:
    u, action = read(body)
    assert u.intent is Intent.ACCEPT
    assert u.proposed == []
    assert action not in BOOKING_ACTIONS


# --- clock shorthand, ranges, parts of day ----------------------------------------------------


@pytest.mark.parametrize(
    ("body", "want"),
    [
        (
            "sure - 9a or 3:30p on Monday, your pick",
            [("2026-06-15T09:00:00-04:00", None), ("2026-06-15T15:30:00-04:00", None)],
        ),
        (
            "Friday works: 11a, or 4p if that's better",
            [("2026-06-12T11:00:00-04:00", None), ("2026-06-12T16:00:00-04:00", None)],
        ),
    ],
)
def test_a_p_shorthand_gives_exact_times_not_a_whole_day(
    body: str, want: list[tuple[str, str | None]]
) -> None:
    u, _ = read(body)
    assert spans(u) == want


@pytest.mark.parametrize(
    ("body", "want"),
    [
        ("Happy to! Tuesday between 8 and 9am?", ("2026-06-16T08:00:00-04:00", "09:00")),
        ("Gerne, Montag zwischen 14 und 15 Uhr?", ("2026-06-15T14:00:00-04:00", "15:00")),
        ("Claro! Pode ser na sexta entre 10 e 11h?", ("2026-06-12T10:00:00-04:00", "11:00")),
    ],
)
def test_ranges_are_windows_not_exact_times(body: str, want: tuple[str, str]) -> None:
    u, _ = read(body)
    start, end = spans(u)[0]
    assert start == want[0]
    assert end is not None and end[11:16] == want[1]


@pytest.mark.parametrize(
    ("body", "want"),
    [
        (
            "Sure, Thursday after lunch is wide open.",
            ("2026-06-11T12:00:00-04:00", "2026-06-11T17:00:00-04:00"),
        ),
        (
            "Happy to - first thing Tuesday suits me best.",
            ("2026-06-16T09:00:00-04:00", "2026-06-16T12:00:00-04:00"),
        ),
    ],
)
def test_after_lunch_is_afternoon_and_first_thing_is_morning(
    body: str, want: tuple[str, str]
) -> None:
    assert spans(read(body)[0])[0] == want


@pytest.mark.parametrize(
    ("body", "first"),
    [
        ("Oi! Pode ser amanhã à tarde?", "2026-06-11T12:00:00-04:00"),
        ("Claro, na quinta-feira às 15h.", "2026-06-11T15:00:00-04:00"),
        ("Sure, tmw at 4pm?", "2026-06-11T16:00:00-04:00"),
        ("Yes - tommorow 10am works.", "2026-06-11T10:00:00-04:00"),
    ],
)
def test_portuguese_and_informal_day_words(body: str, first: str) -> None:
    u, _ = read(body)
    assert u.intent is Intent.ACCEPT
    assert spans(u)[0][0] == first


def test_segunda_as_an_ordinal_is_not_monday() -> None:
    u, _ = read("Claro! La segunda opción me va bien, gracias.")
    assert all(not s.startswith("2026-06-15") for s, _ in spans(u))


# --- booked meetings: moved or called off -----------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "So sorry, I have to cancel Friday - a deadline moved. Not sure when I can reschedule.",
        "I need to cancel our chat, things are chaotic. "
        "I'll reach out to reschedule at some point.",
    ],
)
def test_cancel_with_a_vague_hope_to_reschedule_is_cancel(body: str) -> None:
    u, action = read(body + BOOKED, "meeting_booked")
    assert u.intent is Intent.CANCEL, u.reasons
    assert action not in BOOKING_ACTIONS


@pytest.mark.parametrize(
    "body",
    [
        "I have to cancel Friday, sorry - could we reschedule for next week?",
        "Can't do Friday after all. Can we move it to another day?",
    ],
)
def test_cancel_with_a_request_to_move_is_reschedule(body: str) -> None:
    u, _ = read(body + BOOKED, "meeting_booked")
    assert u.intent is Intent.RESCHEDULE, u.reasons


def test_missing_apostrophes_still_negate_a_day() -> None:
    u, _ = read("cant make fri anymore, sorry. 10a monday instead?" + BOOKED, "meeting_booked")
    assert u.intent is Intent.RESCHEDULE
    assert spans(u) == [("2026-06-15T10:00:00-04:00", None)]
    u, _ = read("dont think thursday works tbh - friday 2pm?")
    assert [s for s, _ in spans(u)] == ["2026-06-12T14:00:00-04:00"]


# --- later, questions and accepts -------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "until"),
    [
        ("Swamped right now. Would you mind emailing me again in October?", date(2026, 10, 1)),
        ("Not a good time - could you reach back out next month?", date(2026, 7, 1)),
        ("Ahora no puedo. ¿Me escribes de nuevo en octubre?", date(2026, 10, 1)),
    ],
)
def test_asking_to_be_written_to_again_is_later_not_question(body: str, until: date) -> None:
    u, action = read(body)
    assert u.intent is Intent.LATER, u.reasons
    assert u.later_until == until
    assert action not in BOOKING_ACTIONS


@pytest.mark.parametrize(
    "body",
    [
        "Yes, glad to help with this. What suits you? Send me a few options and I'll pick one.",
        "Absolutely, happy to talk. What would work on your side? I'm flexible most days.",
    ],
)
def test_asking_for_the_owners_times_is_accept(body: str) -> None:
    u, action = read(body)
    assert u.intent is Intent.ACCEPT, u.reasons
    assert u.proposed == []
    assert action not in BOOKING_ACTIONS


# --- referrals ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "name", "kw"),
    [
        (
            "I'm only a few months into this myself. Priya Anand-Shah would be far better - "
            "she's done it twice.",
            "Priya Anand-Shah",
            {},
        ),
        (
            "Honestly I'm not the one to ask these days. Declan O'Rourke runs the analytics "
            "team now; tell him I sent you.",
            "Declan O'Rourke",
            {},
        ),
        (
            "I'm not sure I'd be much use. I've copied Jo Kim-Laurent who leads that work.",
            "Jo Kim-Laurent",
            {"headers": "Cc: Jo Kim-Laurent <jo.kim-laurent@example.org>\n"},
        ),
    ],
)
def test_referrals_by_name_including_hyphenated_names(
    body: str, name: str, kw: dict[str, str]
) -> None:
    u, action = read(body, **kw)
    assert u.intent is Intent.REFERRAL, u.reasons
    assert u.referral is not None and u.referral.name == name
    if kw:
        assert u.referral.email == "jo.kim-laurent@example.org"
    assert action not in BOOKING_ACTIONS


def test_referral_address_only_in_a_mailto_link() -> None:
    html = (
        "<p>I've moved teams, so I'm probably not the one to ask. "
        '<a href="mailto:r.bianchi@example.it">Rosa Bianchi</a> heads up the group now - '
        "just mention my name.</p>"
    )
    u, _ = read(html, ctype="text/html; charset=utf-8")
    assert u.intent is Intent.REFERRAL, u.reasons
    assert u.referral is not None
    assert (u.referral.name, u.referral.email) == ("Rosa Bianchi", "r.bianchi@example.it")


# --- resume dates and day-first locales ---------------------------------------------------------

LONDON = "Europe/London"
UK_DATE = "Tue, 16 Mar 2027 08:00:00 +0000"


@pytest.mark.parametrize(
    ("body", "sender", "until"),
    [
        (
            "I'm out of the office until 06/04, back 07/04. No access to email meanwhile.",
            "Sam Reed <sam@example.co.uk>",
            date(2027, 4, 7),
        ),
        (
            "I am on leave until 9/4 and back in the office 12/4. "
            "For urgent matters call reception.",
            "Kit Lowe <kit.lowe@gmail.com>",
            date(2027, 4, 12),
        ),
    ],
)
def test_return_date_wins_and_day_first_in_a_uk_mailbox(
    body: str, sender: str, until: date
) -> None:
    u, _ = read(body, tz=LONDON, sender=sender, date=UK_DATE, subject="Out of office: Re: chat")
    assert u.intent is Intent.AUTO_REPLY
    assert u.later_until == until


@pytest.mark.parametrize(
    ("tz", "want"),
    [
        ("Europe/Berlin", "2026-07-03T10:00"),
        ("Australia/Sydney", "2026-07-03T10:00"),
        (NY, "2027-03-07T10:00"),  # month first: 7 March, the next one
    ],
)
def test_numeric_dates_follow_the_owners_locale_when_the_sender_gives_no_sign(
    tz: str, want: str
) -> None:
    u, _ = read("Happy to chat - 3/7 at 10am works for me.", tz=tz, sender="Al <al@gmail.com>")
    assert spans(u)[0][0][:16] == want


@pytest.mark.parametrize("body", ["Great! thu 11am?", "Tomorrow at 4pm?"])
def test_a_bare_time_asked_as_a_question_is_a_proposal(body: str) -> None:
    u, action = read(body)
    assert u.intent is Intent.ACCEPT
    assert u.confidence >= 0.6 and action == "book_proposed_time"


@pytest.mark.parametrize(
    "body",
    [
        "Sure - drop by our office at 12a Mill Road whenever. What suits you?",
        "Happy to. We're at 4b Station Square, by the way. What works on your end?",
    ],
)
def test_a_street_number_is_not_a_clock_time(body: str) -> None:
    u, action = read(body)
    assert u.proposed == []
    assert action not in BOOKING_ACTIONS
