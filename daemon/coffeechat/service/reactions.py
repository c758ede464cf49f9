"""Act on understood replies: book, offer times, stop or postpone follow-ups, ask the owner.

The inbox records each reply with what the reader made of it; this module turns that into
state changes and outbox rows. Work is driven from the store (every inbound message with an
intent and no ``processed_at``), so a crash or a CalDAV outage only delays a reaction: the next
pass picks it up, and every email it queues is idempotent on its key. Booking writes the
invitation email in the same transaction as the meeting row (booking's ``within`` hook).

Nothing is ever sent in answer to an auto-submitted message, and a reply the reader is not
sure of goes to the owner instead of being acted on.

Deciding and driving live here; the reactions themselves are in ``reactions_calendar`` (book,
offer times, cancel, an iTIP answer) and ``reactions_thread`` (everything the store alone
settles), built from the shared steps in ``reactions_steps``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from coffeechat.adapters.caldav.calendar import Calendar
from coffeechat.clock import Clock
from coffeechat.domain.actions import next_action
from coffeechat.domain.intents import Intent, Referral, ThreadContext, Understanding, Window
from coffeechat.domain.states import ThreadState
from coffeechat.service.reactions_calendar import react_book, react_cancel, react_itip, react_offer
from coffeechat.service.reactions_steps import booked_meeting, mark_processed
from coffeechat.service.reactions_thread import react_without_calendar
from coffeechat.settings import Settings
from coffeechat.store.db import Store
from coffeechat.store.models import Message, Thread

log = structlog.get_logger(__name__)

#: Actions that would email the contact; never taken in answer to an auto-submitted message.
SENDING_ACTIONS = frozenset(
    {
        "offer_slots",
        "offer_new_slots",
        "book_offered_slot",
        "book_proposed_time",
        "reschedule_meeting",
        "cancel_meeting",
        "create_referral_contact",
    }
)
#: Actions that need the calendar.
CALENDAR_ACTIONS = frozenset(
    {
        "offer_slots",
        "offer_new_slots",
        "book_offered_slot",
        "book_proposed_time",
        "reschedule_meeting",
        "cancel_meeting",
    }
)
CONTEXT_STATES = {
    ThreadState.OUTREACH_SENT: "outreach_sent",
    ThreadState.OUTREACH_QUEUED: "outreach_sent",
    ThreadState.FOLLOWUP_SENT: "followup_sent",
    ThreadState.SLOTS_OFFERED: "slots_offered",
    ThreadState.MEETING_BOOKED: "meeting_booked",
}


@dataclass
class ReactionReport:
    processed: dict[int, str] = field(default_factory=dict)  # message id -> action taken
    deferred: dict[int, str] = field(default_factory=dict)  # message id -> why (retry later)


def understanding_of(msg: Message) -> Understanding:
    """The reader's verdict as the inbox stored it on the message row."""
    proposed = [
        Window(
            datetime.fromisoformat(p["start"]),
            datetime.fromisoformat(p["end"]) if p.get("end") else None,
        )
        for p in (msg.proposed or [])
    ]
    referral = None
    if msg.referral:
        referral = Referral(msg.referral.get("name"), msg.referral.get("email"))
    return Understanding(
        intent=Intent(msg.intent or "question"),
        confidence=msg.confidence or 0.0,
        proposed=proposed,
        later_until=msg.later_until,
        referral=referral,
        reply_text=msg.reply_text,
        left_company=bool((msg.details or {}).get("left_company")),
    )


def thread_context(session: Session, thread: Thread, settings: Settings) -> ThreadContext:
    meeting = booked_meeting(session, thread.id)
    state = CONTEXT_STATES.get(ThreadState(thread.state), "outreach_sent")
    if meeting is not None and state != "slots_offered":
        state = "meeting_booked"
    return ThreadContext(
        state=state,
        offered_slots=[datetime.fromisoformat(s) for s in thread.offered_slots or []],
        owner_tz=settings.owner.timezone,
        booked_start=meeting.start_at if meeting else None,
        booked_end=meeting.end_at if meeting else None,
    )


def decide(msg: Message, thread: Thread, ctx: ThreadContext, settings: Settings) -> str:
    """The action for one reply, with the daemon's own guards on top of the reader's."""
    action = next_action(understanding_of(msg), ctx)
    if msg.intent == Intent.AUTO_REPLY and action == "postpone_followup":
        return action
    if msg.auto_submitted and action in SENDING_ACTIONS:
        return "ask_owner"  # never answer a machine
    if action in CALENDAR_ACTIONS and settings.caldav is None:
        return "ask_owner"  # no calendar configured: the owner books by hand
    if thread.human_takeover and action in SENDING_ACTIONS:
        return "ask_owner"  # the owner writes in this thread by hand
    return action


def pending_messages(store: Store, account_id: int, limit: int = 100) -> list[int]:
    """Inbound replies understood but not yet acted on, oldest first."""
    with store.session() as s:
        return list(
            s.scalars(
                select(Message.id)
                .where(
                    Message.account_id == account_id,
                    Message.direction == "in",
                    Message.thread_id.is_not(None),
                    Message.intent.is_not(None),
                    Message.processed_at.is_(None),
                )
                .order_by(Message.id)
                .limit(limit)
            )
        )


def react_pending(
    store: Store,
    settings: Settings,
    clock: Clock,
    calendar: Calendar | None,
    account_id: int,
    *,
    limit: int = 100,
) -> ReactionReport:
    """Act on every reply waiting for a reaction. Safe to call as often as you like."""
    report = ReactionReport()
    for message_id in pending_messages(store, account_id, limit):
        try:
            action = react_one(store, settings, clock, calendar, message_id)
        except Exception as exc:  # the edge of one job: the next pass retries it
            log.warning(
                "reaction.deferred", message_id=message_id, error=f"{type(exc).__name__}: {exc}"
            )
            report.deferred[message_id] = f"{type(exc).__name__}: {exc}"
            continue
        report.processed[message_id] = action
    return report


def react_one(
    store: Store, settings: Settings, clock: Clock, calendar: Calendar | None, message_id: int
) -> str:
    """Decide and carry out the reaction to one recorded reply; returns the action taken."""
    with store.session() as s:
        msg = s.get(Message, message_id)
        if msg is None or msg.processed_at is not None or msg.thread_id is None:
            return "none"
        thread = s.get(Thread, msg.thread_id)
        assert thread is not None
        ctx = thread_context(s, thread, settings)
        action = decide(msg, thread, ctx, settings)
        u = understanding_of(msg)
    if msg.itip_reply and calendar is not None:
        return react_itip(store, settings, clock, calendar, msg)
    log.info("reaction", message_id=message_id, thread_id=msg.thread_id, action=action)
    if action in {"book_offered_slot", "book_proposed_time", "reschedule_meeting"}:
        react_book(store, settings, clock, calendar, msg, u, action)
    elif action in {"offer_slots", "offer_new_slots"}:
        react_offer(store, settings, clock, calendar, msg, action)
    elif action == "cancel_meeting":
        react_cancel(store, settings, clock, calendar, msg)
    else:
        with store.session() as s:
            msg = s.get(Message, message_id)
            assert msg is not None
            thread = s.get(Thread, msg.thread_id)
            assert thread is not None
            react_without_calendar(s, settings, clock, msg, thread, u, action)
            mark_processed(s, msg, action, clock)
    return action


__all__: Sequence[str] = ("ReactionReport", "decide", "react_one", "react_pending")
