"""Twelfth round: the fourteenth blind set's failure kinds, in other wording. Refusals,
referrals and "write again later" in Italian, Portuguese and Dutch; a referral by title or
by "X did your move"; a question that holds the choice back; a day that "fell apart"; "quarter
to ten"; "Thursday 18"; Japanese dates and times. Reference: Wednesday 10 June 2026."""

from __future__ import annotations

from datetime import date

import pytest
from tests.domain import read_reply, starts

from coffeechat.domain.intents import Intent

BOOKED = "2026-06-11T14:00:00-04:00"
OFFERED = ("2026-06-15T11:00:00-04:00", "2026-06-16T15:00:00-04:00")


@pytest.mark.parametrize(
    "body",
    [
        "Gentile Marco, purtroppo non riesco a ritagliarmi del tempo in questi mesi. "
        "In bocca al lupo!",
        "Olá! Infelizmente não posso agora, tenho a agenda lotada. Boa sorte!",
        "Beste Sanne, helaas heb ik er geen tijd voor. Veel succes!",
    ],
)
def test_a_refusal_in_another_language(body: str) -> None:
    u = read_reply(body)
    assert u.intent is Intent.DECLINE
    assert u.proposed == []


@pytest.mark.parametrize(
    ("body", "name"),
    [
        (
            "I'm on the finance side, so not much use here. A call with our head of design, "
            "Ruth Okafor, would serve you far better.",
            "Ruth Okafor",
        ),
        (
            "Probably not the best person for this. Dev Mehta over at Lumen made pretty much "
            "your exact switch, and he's easy to find on LinkedIn.",
            "Dev Mehta",
        ),
        (
            "Ciao Luca, io mi occupo di finanza. Ti consiglio di contattare Sara Conti, "
            "sara.conti@example.it: dille pure che ti mando io.",
            "Sara Conti",
        ),
        (
            "Oi Ana, não é bem a minha área. Recomendo que fale com Pedro Alves, ele fez "
            "essa transição.",
            "Pedro Alves",
        ),
    ],
)
def test_a_referral_by_title_or_by_the_move_they_made(body: str, name: str) -> None:
    u = read_reply(body)
    assert u.intent is Intent.REFERRAL
    assert u.referral is not None and u.referral.name == name


@pytest.mark.parametrize(
    ("body", "until"),
    [
        (
            "I'm off on sabbatical from Monday and back on 3 August. If you're still looking "
            "then, send me another email and I'll happily find time.",
            date(2026, 8, 3),
        ),
        (
            "Agora estou a fechar um projeto e não consigo. Volta a escrever-me em setembro?",
            date(2026, 9, 1),
        ),
    ],
)
def test_write_again_later(body: str, until: date) -> None:
    u = read_reply(body)
    assert u.intent is Intent.LATER
    assert u.later_until == until


def test_a_question_before_choosing_picks_nothing() -> None:
    u = read_reply(
        "Thanks for these! Before I choose: are those Eastern times? I'm in Lisbon this "
        "month, so Monday's might be a touch late for me.",
        offered=OFFERED,
    )
    assert u.intent is Intent.QUESTION
    assert u.proposed == []


def test_a_day_that_fell_through_is_not_the_new_time() -> None:
    u = read_reply(
        "So sorry, Thursday fell through with a site visit. Same time next week?", booked=BOOKED
    )
    assert u.intent is Intent.RESCHEDULE
    assert starts(u) == ["2026-06-18T14:00"]


def test_italian_same_time_next_week() -> None:
    u = read_reply(
        "Scusa, giovedì mi è saltato tutto. Stessa ora la prossima settimana?", booked=BOOKED
    )
    assert starts(u) == ["2026-06-18T14:00"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Happy to. Friday at quarter to eleven?", ["2026-06-12T10:45"]),
        ("Sure - Friday, half past four suits me.", ["2026-06-12T16:30"]),
        (
            "Glad to help. Thursday 25 at 2pm or Friday 26 in the morning?",
            ["2026-06-25T14:00", "2026-06-26T09:00"],
        ),
        ("Volentieri! Martedì pomeriggio?", ["2026-06-16T12:00"]),
        ("Graag! Vrijdag om 11 uur?", ["2026-06-12T11:00"]),
    ],
)
def test_spelled_times_and_days_with_their_date(body: str, expected: list[str]) -> None:
    u = read_reply(body)
    assert u.intent is Intent.ACCEPT
    assert starts(u) == expected


def test_thursday_three_is_not_a_date_months_away() -> None:
    """September 3rd is the next Thursday the 3rd; "Thursday 3" means this Thursday."""
    assert starts(read_reply("Sure, Thursday 3 works."))[0].startswith("2026-06-11")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("喜んでお話しします。6月18日（木）の午後2時はいかがでしょうか？", ["2026-06-18T14:00"]),
        ("ぜひ。来週の月曜日、１０時半から可能です。", ["2026-06-15T10:30"]),
    ],
)
def test_japanese_dates_and_times(body: str, expected: list[str]) -> None:
    u = read_reply(body, tz="Asia/Tokyo", date="Wed, 10 Jun 2026 09:00:00 +0900")
    assert u.intent is Intent.ACCEPT
    assert starts(u) == expected


def test_a_question_put_to_the_assistant_after_a_dash() -> None:
    u = read_reply(
        "Glad to! Copying Theo, who keeps my diary. Theo — could you find 30 minutes for "
        "Maya over the next fortnight?",
        headers="Cc: Theo Park <theo@example.com>\n",
    )
    assert u.intent is Intent.ACCEPT
