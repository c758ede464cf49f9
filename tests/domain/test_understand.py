"""understand: every intent from hand-written replies, plus the dev-set regression gate."""

from __future__ import annotations

import importlib.util
import sys
from datetime import date, datetime
from pathlib import Path
from types import ModuleType

import pytest
from tests.domain import eml

from coffeechat.domain.intents import Intent, ThreadContext
from coffeechat.domain.mailparse import parse_message
from coffeechat.domain.understand import understand

ROOT = Path(__file__).resolve().parents[2]
DEV = ROOT.parent / "shared" / "replies" / "dev.jsonl"
NY = "America/New_York"
BOOKED_QUOTE = (
    "\n\nOn Mon, Jun 1, 2026 at 10:00 AM Maya Chen <maya@fastmail.com> wrote:\n> Great, thank "
    "you! I've just sent a calendar invite for Thursday, June 11 at 2:00 PM (Eastern).\n"
)


def ctx(state: str = "outreach_sent", offered: tuple[str, ...] = ()) -> ThreadContext:
    return ThreadContext(
        state=state, offered_slots=[datetime.fromisoformat(o) for o in offered], owner_tz=NY
    )


@pytest.mark.parametrize(
    ("body", "intent"),
    [
        ("Happy to chat! Thursday at 2pm works.", Intent.ACCEPT),
        ("Absolutely - what times work for you?", Intent.ACCEPT),
        ("Sure, my assistant Jo (cc'd) will find us a time.", Intent.ACCEPT),
        ("Thanks, but I'll have to pass. Good luck!", Intent.DECLINE),
        ("I'm not the right person for this, sorry.", Intent.DECLINE),
        ("Leider habe ich keine Zeit dafür.", Intent.DECLINE),
        ("Swamped right now - could you ping me again in September?", Intent.LATER),
        ("Let's revisit this in the new year.", Intent.LATER),
        ("You should talk to Kim Park (kim.park@acme.com), she did this move.", Intent.REFERRAL),
        ("Are you a recruiter? If so I'm not looking.", Intent.QUESTION),
        ("Happy to consider it - what would you like to cover?", Intent.QUESTION),
        ("Please remove me from your list.", Intent.UNSUBSCRIBE),
        ("Do not email me again.", Intent.UNSUBSCRIBE),
    ],
)
def test_intents_without_a_booking(body: str, intent: Intent) -> None:
    assert understand(parse_message(eml(body)), ctx()).intent is intent


@pytest.mark.parametrize(
    ("body", "intent", "n_times"),
    [
        ("Something came up - could we push to Monday, same time?", Intent.RESCHEDULE, 1),
        ("I need to reschedule, sorry. Will send new times.", Intent.RESCHEDULE, 0),
        ("Really sorry, I have to cancel tomorrow's chat.", Intent.CANCEL, 0),
        ("Can we cancel Thursday for now? I'll reach out when things calm down.", Intent.CANCEL, 0),
        ("Looking forward to it, see you Thursday!", Intent.ACCEPT, 0),
    ],
)
def test_intents_with_a_booking(body: str, intent: Intent, n_times: int) -> None:
    u = understand(parse_message(eml(body + BOOKED_QUOTE)), ctx("meeting_booked"))
    assert u.intent is intent
    assert len(u.proposed) == n_times
    if n_times:
        assert u.proposed[0].start.isoformat() == "2026-06-15T14:00:00-04:00"


def test_out_of_office_with_urgent_contact_is_auto_reply_without_referral() -> None:
    body = (
        "Thank you for your email. I am out of the office, returning Monday, June 22. "
        "For anything urgent, please contact Beth Lowe at beth@acme.com."
    )
    u = understand(parse_message(eml(body, headers="Auto-Submitted: auto-replied\n")), ctx())
    assert u.intent is Intent.AUTO_REPLY
    assert u.referral is None
    assert u.later_until == date(2026, 6, 22)


def test_ooo_without_headers_and_left_company() -> None:
    body = "I'm out of the office through June 19 and back on Monday June 22."
    u = understand(parse_message(eml(body, subject="Out of Office: Quick chat?")), ctx())
    assert (u.intent, u.later_until) == (Intent.AUTO_REPLY, date(2026, 6, 22))
    body = "Jo is no longer with Acme. This mailbox is not monitored."
    u = understand(parse_message(eml(body)), ctx())
    assert u.intent is Intent.AUTO_REPLY and u.left_company


@pytest.mark.parametrize(
    ("body", "until"),
    [
        ("Could you ping me again in April?", date(2027, 4, 1)),
        ("Try me again next month?", date(2026, 7, 1)),
        ("Could you follow up in two weeks?", date(2026, 6, 24)),
        ("I'm back on 1 July - drop me a line then.", date(2026, 7, 1)),
        ("Can you check back after Chinese New Year?", None),
    ],
)
def test_later_until(body: str, until: date | None) -> None:
    u = understand(parse_message(eml(body)), ctx())
    assert u.intent is Intent.LATER
    assert u.later_until == until


def test_referral_address_only_in_cc() -> None:
    body = "I'm not the best person, but Jamie Fletcher on our team is - I've cc'd him."
    msg = parse_message(eml(body, headers="Cc: Jamie Fletcher <jamie.f@acme.com>\n"))
    u = understand(msg, ctx())
    assert u.intent is Intent.REFERRAL
    assert u.referral is not None
    assert (u.referral.name, u.referral.email) == ("Jamie Fletcher", "jamie.f@acme.com")


def test_referral_address_only_in_html_mailto() -> None:
    html = (
        "<div>I've moved teams. Please reach out to "
        '<a href="mailto:a.chen@acme.com">Amy Chen</a>, our content lead.</div>'
    )
    u = understand(parse_message(eml(html, ctype="text/html; charset=utf-8")), ctx())
    assert u.referral is not None
    assert (u.referral.name, u.referral.email) == ("Amy Chen", "a.chen@acme.com")


def test_bounce_from_dsn() -> None:
    from tests.domain.test_mailparse import DSN

    u = understand(parse_message(DSN), ctx())
    assert u.intent is Intent.BOUNCE
    assert u.bounce is not None and u.bounce.permanent
    assert u.bounce.recipient == "gone@example.org"


def test_offered_slot_pick() -> None:
    offered = ("2026-06-15T10:00:00-04:00", "2026-06-16T14:00:00-04:00")
    u = understand(parse_message(eml("The second one works.")), ctx("slots_offered", offered))
    assert u.intent is Intent.ACCEPT
    assert [w.start.isoformat() for w in u.proposed] == [offered[1]]


def test_no_signal_is_low_confidence() -> None:
    u = understand(parse_message(eml("Got it.")), ctx())
    assert u.confidence < 0.6


def _evaluator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "evaluate_replies", ROOT / "scripts" / "evaluate_replies.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not DEV.exists(), reason="../shared/replies/dev.jsonl is not in reach")
def test_dev_set_regression_gate() -> None:
    """Measured on dev: 100 % intent, 100 % first slot, 0 false bookings; fail well before."""
    report = _evaluator().evaluate(DEV, baseline=False, rounds=1)
    assert report["intent_accuracy"] >= 0.95
    assert report["ours"]["first_slot_correct"] >= 0.95
    assert report["ours"]["false_booking_rate"] <= 0.02
    assert report["later_until_accuracy"] >= 0.9
