"""Eighth round: the kinds of failure a second fresh blind set (70 replies) exposed, in other
wording. Opt-outs phrased as requests ("take my name off your list and kindly not email me
again"); refusals citing a rule ("we can't take informational calls with outside people");
deadlines that are not meetings; return dates in Portuguese and Spanish; opening hours that
are not return dates; "realistically that means October", "mid-July"; referrals introduced
as "the person you want is ..." or a relative cc'd "so you two can find a time"; picking "the
earliest" offered slot; Outlook's "New Time Proposed" notice with its "(UTC+01:00) Amsterdam,
Berlin" zones. All messages are our own wording. Reference: Wednesday 10 June 2026, 09:00
New York.
"""

from __future__ import annotations

from datetime import date

import pytest
from tests.domain import read_reply as read
from tests.domain import starts

from coffeechat.domain.intents import Intent

NY = "America/New_York"
OFFERED = ["2026-06-15T10:00:00-04:00", "2026-06-16T14:00:00-04:00", "2026-06-18T11:00:00-04:00"]


@pytest.mark.parametrize(
    "body",
    [
        "Please take my name off your list and kindly not email me again. Thanks.",
        "I'd ask you to remove my email address from your mailing and to not contact me again.",
    ],
)
def test_an_opt_out_phrased_as_a_request(body: str) -> None:
    assert read(body).intent is Intent.UNSUBSCRIBE


def test_someone_who_no_longer_works_there_is_an_autoresponder() -> None:
    u = read(
        "Hello,\n\nAlex Moreau no longer works at Brightline. This mailbox is not monitored.\n\n"
        "Our reception is open Monday to Friday, 08:30-17:30."
    )
    assert u.intent is Intent.AUTO_REPLY
    assert u.later_until is None


@pytest.mark.parametrize(
    "body",
    [
        "Thanks for asking. Sadly we can't take informational calls with outside candidates "
        "during the hiring freeze, so I have to say sorry for now. Best of luck!",
        "Kind of you to write. I'm going to sit this one out, I'm afraid, but I hope the move "
        "goes well.",
    ],
)
def test_a_refusal_citing_a_rule_or_sitting_out(body: str) -> None:
    assert read(body).intent is Intent.DECLINE


def test_a_deadline_is_not_a_proposal() -> None:
    u = read(
        "I'd rather not, to keep things fair while we hire. Applications close on 30 June if "
        "you want to apply, and the posting is due to come down the day after."
    )
    assert u.intent is Intent.DECLINE
    assert u.proposed == []


@pytest.mark.parametrize(
    ("body", "until"),
    [
        (
            "Olá! Estou de férias até 19 de junho, sem acesso ao e-mail. Retorno na segunda-feira, "
            "22 de junho.",
            date(2026, 6, 22),
        ),
        (
            "Hola, estoy de vacaciones hasta el 26 de junio. Vuelvo el lunes 29 de junio.",
            date(2026, 6, 29),
        ),
    ],
)
def test_return_dates_in_portuguese_and_spanish(body: str, until: date) -> None:
    u = read(body, subject="Resposta automática: Quick chat?")
    assert u.intent is Intent.AUTO_REPLY
    assert u.later_until == until


@pytest.mark.parametrize(
    ("body", "until"),
    [
        (
            "Slammed until the fiscal year closes, which realistically means August. Send me a "
            "line then?",
            date(2026, 8, 1),
        ),
        ("Could you reach out again mid-July? It'll be calmer.", date(2026, 7, 15)),
    ],
)
def test_later_with_a_month_said_loosely(body: str, until: date) -> None:
    u = read(body)
    assert u.intent is Intent.LATER
    assert u.later_until == until


def test_the_person_you_want_is_a_referral() -> None:
    u = read(
        "Flattered, but I only dabbled in this. The person you want is Ines Carvalho - she "
        "built our whole partner programme. Look her up and say I sent you."
    )
    assert u.intent is Intent.REFERRAL
    assert u.referral is not None and u.referral.name == "Ines Carvalho"


def test_a_relative_cc_d_to_find_a_time_with_you_is_a_referral() -> None:
    u = read(
        "I'd only be guessing about product roles. My sister Noor Haddad runs product at "
        "Larkspur and she's said she's happy to chat with you - cc'd so you two can find a time.",
        headers="Cc: Noor Haddad <noor@larkspur.example>\n",
    )
    assert u.intent is Intent.REFERRAL
    assert u.referral is not None
    assert (u.referral.name, u.referral.email) == ("Noor Haddad", "noor@larkspur.example")


def test_an_assistant_who_keeps_the_diary_still_arranges() -> None:
    u = read(
        "Happy to help. My assistant Tomas Berg keeps my diary and will find us a time - I've "
        "copied him in.",
        headers="Cc: Tomas Berg <tomas@firm.example>\n",
    )
    assert u.intent is Intent.ACCEPT


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("The earliest one suits me best.", "2026-06-15T10:00"),
        ("Let's go with the latest option, mornings are hard.", "2026-06-18T11:00"),
    ],
)
def test_picking_the_earliest_or_latest_offered_slot(body: str, expected: str) -> None:
    u = read(body, state="slots_offered", offered=tuple(OFFERED))
    assert starts(u) == [expected]


def test_an_outlook_counter_proposal_proposes_only_the_new_time() -> None:
    body = (
        "Jonas Weber has proposed a new time for this meeting.\n\n"
        "When: Monday, 15 June 2026 4:00 PM-4:30 PM (UTC+01:00) Amsterdam, Berlin, Bern, Rome\n\n"
        "Proposed new time: Wednesday, 17 June 2026 5:00 PM-5:30 PM (UTC+01:00) Amsterdam, "
        "Berlin, Bern, Rome\n\nSorry, something came up on Monday."
    )
    u = read(body, state="meeting_booked", booked="2026-06-15T10:00:00-04:00")
    assert u.intent is Intent.RESCHEDULE
    # 17:00 in Berlin (CEST, UTC+2) is 11:00 in New York
    assert starts(u) == ["2026-06-17T11:00"]


def test_a_bare_time_restated_with_a_place_is_one_proposal_in_that_zone() -> None:
    u = read("Gladly! Would Friday 16h00 suit? (That's 16h00 in Berlin, so 10am for you, I think.)")
    # 16:00 in Berlin (CEST) is 10:00 in New York: one proposal, not 16:00 and 10:00
    assert starts(u) == ["2026-06-12T10:00"]


def test_a_time_in_a_named_city_takes_that_city_s_zone() -> None:
    u = read("Sure - Tuesday at 3pm in London works for me.")
    assert starts(u) == ["2026-06-16T10:00"]
