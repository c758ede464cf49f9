"""timeparse: the labelling conventions for proposed times, one rule per test."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from coffeechat.domain.timeparse import TimeContext, extract

NY = ZoneInfo("America/New_York")
# Wednesday 10 June 2026, 09:00 in New York
REF = datetime(2026, 6, 10, 9, 0, tzinfo=NY)


def times(
    text: str,
    *,
    ref: datetime = REF,
    tz: str = "America/New_York",
    offered: tuple[str, ...] = (),
    booked: str | None = None,
    day_first: bool = False,
) -> list[tuple[str, str | None]]:
    ctx = TimeContext(
        ref=ref,
        owner_tz=ZoneInfo(tz),
        day_first=day_first,
        offered=tuple(datetime.fromisoformat(o) for o in offered),
        booked=datetime.fromisoformat(booked) if booked else None,
        booked_state=booked is not None,
    )
    return [
        (w.start.isoformat(), w.end.isoformat() if w.end else None)
        for w in extract(text, ctx).windows
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Friday at 3 works.", [("2026-06-12T15:00:00-04:00", None)]),
        ("Thursday afternoon?", [("2026-06-11T12:00:00-04:00", "2026-06-11T17:00:00-04:00")]),
        ("Thursday morning", [("2026-06-11T09:00:00-04:00", "2026-06-11T12:00:00-04:00")]),
        ("Friday evening", [("2026-06-12T17:00:00-04:00", "2026-06-12T20:00:00-04:00")]),
        ("Thursday works for me.", [("2026-06-11T09:00:00-04:00", "2026-06-11T17:00:00-04:00")]),
        ("Tomorrow at noon?", [("2026-06-11T12:00:00-04:00", None)]),
        ("Thursday, half past two.", [("2026-06-11T14:30:00-04:00", None)]),
        ("Friday at 14h", [("2026-06-12T14:00:00-04:00", None)]),
        ("Friday, two thirty pm", [("2026-06-12T14:30:00-04:00", None)]),
        ("the 18th at 9:00", [("2026-06-18T09:00:00-04:00", None)]),
        ("Jan 5 at 3pm", [("2027-01-05T15:00:00-05:00", None)]),
        (
            "Tuesday 16 June, 10:00-11:00",
            [("2026-06-16T10:00:00-04:00", "2026-06-16T11:00:00-04:00")],
        ),
        (
            "tomorrow between 4 and 6 pm",
            [("2026-06-11T16:00:00-04:00", "2026-06-11T18:00:00-04:00")],
        ),
        ("Friday after 3", [("2026-06-12T15:00:00-04:00", "2026-06-12T17:00:00-04:00")]),
        ("Friday before 11", [("2026-06-12T09:00:00-04:00", "2026-06-12T11:00:00-04:00")]),
        ("next Tuesday at 10am", [("2026-06-16T10:00:00-04:00", None)]),
    ],
)
def test_single_proposals(text: str, expected: list[tuple[str, str | None]]) -> None:
    assert times(text) == expected


def test_part_of_day_shared_by_two_days() -> None:
    assert times("Wed or Thurs arvo suits") == [
        ("2026-06-17T12:00:00-04:00", "2026-06-17T17:00:00-04:00"),
        ("2026-06-11T12:00:00-04:00", "2026-06-11T17:00:00-04:00"),
    ]


def test_options_in_written_order() -> None:
    assert times("Monday 15th at 12:30, or Tuesday 16th at 9:00") == [
        ("2026-06-15T12:30:00-04:00", None),
        ("2026-06-16T09:00:00-04:00", None),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Monday doesn't work, but Tuesday at 10 does.",
        "Not Monday - Tuesday at 10?",
        "Monday's out; Tuesday at 10 is fine.",
        "I can't do Monday. Tuesday at 10?",
    ],
)
def test_negated_days_are_not_proposed(text: str) -> None:
    assert times(text) == [("2026-06-16T10:00:00-04:00", None)]


@pytest.mark.parametrize(
    "text",
    [
        "Sometime next week works.",
        "Whenever works for you in the next couple of weeks.",
        "This week's a write-off.",
        "Happy to chat! Send me a few times.",
        "I did the same move back in 2019 and it took 20-30 minutes a day.",
        "Call me on (617) 555-0142 or +44 7700 900123.",
        "I'll send you a few slots tomorrow.",
        "I was laid off this morning.",
    ],
)
def test_vague_or_no_times(text: str) -> None:
    assert times(text) == []


def test_named_zone_is_converted_with_its_own_dst() -> None:
    # 4pm Pacific on Wednesday 10 Feb 2027 is Thursday 11:00 in Sydney (AEDT)
    ref = datetime(2027, 2, 9, 16, 30, tzinfo=ZoneInfo("America/Los_Angeles"))
    assert times("Wednesday at 4pm Pacific?", ref=ref, tz="Australia/Sydney") == [
        ("2027-02-11T11:00:00+11:00", None)
    ]


def test_two_zones_for_one_time_is_one_proposal() -> None:
    ref = datetime(2026, 6, 9, 15, 40, tzinfo=ZoneInfo("America/New_York"))
    got = times("Friday at 11am ET? That's 10 your time.", ref=ref, tz="America/Chicago")
    assert got == [("2026-06-12T10:00:00-05:00", None)]
    got = times("Thursday 8am PT / 11am ET works", ref=ref, tz="America/Chicago")
    assert got == [("2026-06-11T10:00:00-05:00", None)]


def test_my_time_is_the_senders_offset() -> None:
    ref = datetime(2026, 11, 12, 9, 30, tzinfo=ZoneInfo("America/New_York"))
    got = times("1pm my time on Monday? That'd be 10am for you.", ref=ref, tz="America/Los_Angeles")
    assert got == [("2026-11-16T10:00:00-08:00", None)]


def test_dst_change_between_received_and_proposed() -> None:
    ref = datetime(2026, 3, 6, 14, 20, tzinfo=ZoneInfo("America/Los_Angeles"))
    assert times("Next Tuesday at 10am", ref=ref, tz="America/Los_Angeles") == [
        ("2026-03-10T10:00:00-07:00", None)
    ]
    ref = datetime(2027, 10, 25, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert times("Tuesday, 2 November, 10:00-11:00 CET", ref=ref, tz="Europe/Berlin") == [
        ("2027-11-02T10:00:00+01:00", "2027-11-02T11:00:00+01:00")
    ]


def test_relative_dates_use_the_senders_local_date() -> None:
    # Sunday evening in London is already Monday in Sydney; "tomorrow" is the sender's Monday
    ref = datetime(2026, 11, 1, 21, 14, tzinfo=ZoneInfo("Europe/London"))
    assert times("Tomorrow lunchtime? 12.30 ok?", ref=ref, tz="Europe/London") == [
        ("2026-11-02T12:30:00+00:00", None)
    ]


def test_numeric_dates_follow_the_writers_locale() -> None:
    assert times("6/12 at 2pm") == [("2026-06-12T14:00:00-04:00", None)]
    assert times("12/6 at 2pm", day_first=True) == [("2026-06-12T14:00:00-04:00", None)]
    assert times("12/6 at 2pm")[0][0].startswith("2026-12-06")
    assert times("9/15 at 11")[0][0] == "2026-09-15T11:00:00-04:00"
    assert times("22/06 from 10:00 to 11:00")[0][0].startswith("2026-06-22T10:00")


def test_spanish_and_german_basics() -> None:
    madrid = datetime(2027, 1, 18, 17, 45, tzinfo=ZoneInfo("Europe/Madrid"))
    assert times(
        "¿Te viene bien el miércoles a las 10:30? Si no, el jueves por la tarde.",
        ref=madrid,
        tz="Europe/Madrid",
    ) == [
        ("2027-01-20T10:30:00+01:00", None),
        ("2027-01-21T12:00:00+01:00", "2027-01-21T17:00:00+01:00"),
    ]
    berlin = datetime(2026, 6, 8, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert times("Passt Donnerstag um 14 Uhr?", ref=berlin, tz="Europe/Berlin") == [
        ("2026-06-11T14:00:00+02:00", None)
    ]


OFFERED = ("2026-06-15T10:00:00-04:00", "2026-06-16T14:00:00-04:00", "2026-06-18T11:30:00-04:00")


@pytest.mark.parametrize(
    ("text", "picked"),
    [
        ("The second one works.", [1]),
        ("Tuesday works best.", [1]),
        ("Thursday is good.", [2]),
        ("Any of those work for me.", [0, 1, 2]),
        ("Let's go with option 3.", [2]),
        ("Either of the first two.", [0, 1]),
    ],
)
def test_offered_slot_picks(text: str, picked: list[int]) -> None:
    assert times(text, offered=OFFERED) == [(OFFERED[i], None) for i in picked]


def test_turning_slots_down_for_a_new_time() -> None:
    got = times("None of those work. How about Wednesday at 3?", offered=OFFERED)
    assert got == [("2026-06-17T15:00:00-04:00", None)]


def test_same_time_and_same_day_refer_to_the_booked_meeting() -> None:
    booked = "2026-06-11T14:00:00-04:00"
    got = times(
        "Something came up on Thursday - could we push to Friday, same time?", booked=booked
    )
    assert got == [("2026-06-12T14:00:00-04:00", None)]
    got = times("Same day, any time between 9 and 11 works.", booked=booked)
    assert got == [("2026-06-11T09:00:00-04:00", "2026-06-11T11:00:00-04:00")]
    assert times("Can we start at 2:15 instead of 2?", booked=booked) == [
        ("2026-06-11T14:15:00-04:00", None)
    ]
    assert times("See you Thursday!", booked=booked) == []
