"""explain: the exact dict shape that ``coffeechat explain`` prints, and next_action."""

from __future__ import annotations

from datetime import datetime

from tests.domain import eml

from coffeechat.domain.actions import next_action
from coffeechat.domain.explain import explain
from coffeechat.domain.intents import Intent, ThreadContext, Understanding, Window

KEYS = {"intent", "confidence", "proposed", "later_until", "referral", "reply_text", "action"}


def test_shape_and_owner_zone_offsets() -> None:
    raw = eml(
        "Could we do Friday at 11am ET?\n\nOn Mon, Jun 8, 2026 at 10:00 AM Jo <j@x.com> wrote:\n"
        "> Would Tuesday work?",
        date="Tue, 09 Jun 2026 15:40:00 -0400",
    )
    out = explain(raw, tz="America/Chicago", now=None, state="outreach_sent", offered=[])
    assert set(out) == KEYS
    assert out["intent"] == "accept"
    assert out["proposed"] == [{"start": "2026-06-12T10:00:00-05:00", "end": None}]
    assert out["later_until"] is None and out["referral"] is None
    assert out["reply_text"] == "Could we do Friday at 11am ET?"
    assert out["action"] == "book_proposed_time"


def test_offered_pick_books_the_offered_slot() -> None:
    offered = [datetime.fromisoformat("2026-06-16T14:00:00-04:00")]
    out = explain(
        eml("Tuesday works."),
        tz="America/New_York",
        now=None,
        state="slots_offered",
        offered=offered,
    )
    assert out["action"] == "book_offered_slot"
    assert out["proposed"] == [{"start": "2026-06-16T14:00:00-04:00", "end": None}]


def test_later_and_referral_fields() -> None:
    out = explain(eml("Could you ping me again in April?"), tz="UTC", now=None,
                  state="followup_sent", offered=[])  # fmt: skip
    assert (out["intent"], out["later_until"], out["action"]) == (
        "later", "2027-04-01", "postpone_followup"
    )  # fmt: skip
    out = explain(eml("Talk to Kim Park, kim@acme.com - she's the right person."), tz="UTC",
                  now=None, state="outreach_sent", offered=[])  # fmt: skip
    assert out["referral"] == {"name": "Kim Park", "email": "kim@acme.com"}
    assert out["action"] == "create_referral_contact"


def test_missing_date_uses_now() -> None:
    raw = b"From: a@b.c\nContent-Type: text/plain\n\nTomorrow at 3pm works."
    now = datetime.fromisoformat("2026-06-10T09:00:00-04:00")
    out = explain(raw, tz="America/New_York", now=now, state="outreach_sent", offered=[])
    assert out["proposed"] == [{"start": "2026-06-11T15:00:00-04:00", "end": None}]


def test_next_action_table() -> None:
    ctx = ThreadContext(state="outreach_sent", offered_slots=[], owner_tz="UTC")
    booked = ThreadContext(state="meeting_booked", offered_slots=[], owner_tz="UTC")
    start = datetime.fromisoformat("2026-06-16T14:00:00+00:00")
    cases = [
        (Understanding(Intent.ACCEPT, 0.9), ctx, "offer_slots"),
        (Understanding(Intent.ACCEPT, 0.9, proposed=[Window(start)]), ctx, "book_proposed_time"),
        (Understanding(Intent.ACCEPT, 0.3, proposed=[Window(start)]), ctx, "ask_owner"),
        (Understanding(Intent.DECLINE, 0.9), ctx, "stop_followups_and_record_decline"),
        (Understanding(Intent.LATER, 0.9), ctx, "postpone_followup"),
        (Understanding(Intent.REFERRAL, 0.9), ctx, "create_referral_contact"),
        (Understanding(Intent.QUESTION, 0.9), ctx, "ask_owner"),
        (Understanding(Intent.AUTO_REPLY, 0.9), ctx, "postpone_followup"),
        (Understanding(Intent.BOUNCE, 0.99), ctx, "flag_bounce"),
        (Understanding(Intent.UNSUBSCRIBE, 0.9), ctx, "stop_forever"),
        (
            Understanding(Intent.RESCHEDULE, 0.9, proposed=[Window(start)]),
            booked,
            "reschedule_meeting",
        ),
        (Understanding(Intent.CANCEL, 0.9), booked, "cancel_meeting"),
    ]
    for u, c, action in cases:
        assert next_action(u, c) == action, u
