"""Reactions that need the calendar: book or move a meeting, offer times, cancel, an iTIP answer.

Each talks to the calendar outside any transaction (through ``booking`` or ``itip_reply``) and
does its store work inside the use-case's ``within`` hook, or in a transaction of its own after
the calendar call, so an email it queues is written atomically with the meeting row and the
reply is marked done with it.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from coffeechat.adapters.caldav.calendar import Calendar
from coffeechat.clock import Clock
from coffeechat.domain import invitations as inv
from coffeechat.domain.availability import Slot
from coffeechat.domain.intents import Understanding
from coffeechat.domain.states import OutboxKind, ThreadState
from coffeechat.service.reactions_steps import (
    booked_meeting,
    cancel_employer_siblings,
    mark_processed,
    reply_event,
    stop_everything,
    stop_followups,
)
from coffeechat.settings import Settings
from coffeechat.store.db import Store
from coffeechat.store.models import Contact, Meeting, Message, Thread

log = structlog.get_logger(__name__)


def _proposals(u: Understanding, settings: Settings) -> list[Slot]:
    out = []
    for w in u.proposed:
        end = w.end or w.start
        out.append(Slot(w.start, end))
    return out


def react_book(
    store: Store,
    settings: Settings,
    clock: Clock,
    calendar: Calendar | None,
    msg: Message,
    u: Understanding,
    action: str,
) -> None:
    """Book the time they named (or move the booked meeting there); none free: offer others."""
    from coffeechat.service import booking

    assert calendar is not None and msg.thread_id is not None
    thread_id = msg.thread_id
    proposals = _proposals(u, settings)

    def within(s: Session, result: booking.BookingResult) -> None:
        _after_booking(s, settings, clock, msg.id, thread_id, result, action)

    with store.session() as s:
        already = booked_meeting(s, thread_id) is not None
    # booking runs ``within`` exactly once, in the transaction that records the outcome
    use_case = booking.reschedule if already else booking.book
    use_case(store, calendar, clock, thread_id, proposals, settings, within=within)


def _after_booking(
    s: Session,
    settings: Settings,
    clock: Clock,
    message_id: int,
    thread_id: int,
    result: object,
    action: str,
) -> None:
    """Inside booking's transaction: queue the email, move the thread, mark the reply done."""
    from coffeechat.service.thread_mail import queue_thread_email

    msg = s.get(Message, message_id)
    thread = s.get(Thread, thread_id)
    assert msg is not None and thread is not None
    outcome = getattr(result, "outcome", "")
    stop_followups(s, thread, "they agreed to talk")
    thread.last_exchange_at = msg.sent_at or clock.now()
    invitation = getattr(result, "invitation", None)
    if outcome in {"booked", "rescheduled"} and invitation is not None:
        meeting = booked_meeting(s, thread_id)
        kind = OutboxKind.RESCHEDULE if outcome == "rescheduled" else OutboxKind.INVITATION
        template = "reschedule" if outcome == "rescheduled" else "confirmation"
        queue_thread_email(
            s,
            settings,
            clock,
            thread=thread,
            kind=kind,
            key=invitation.idempotency_key,
            template=template,
            meeting=meeting,
            in_reply_to=msg.message_id,
            extra_parts=inv.invitation_parts(invitation.ics, invitation.method),
        )
        thread.state = ThreadState.MEETING_BOOKED
        cancel_employer_siblings(s, settings, thread)
        mark_processed(s, msg, action if outcome == "booked" else "reschedule_meeting", clock)
    elif outcome == "none_free":
        offer = list(getattr(result, "offer", ()))
        _queue_offer(s, settings, clock, thread, msg, offer)
        mark_processed(s, msg, "offer_slots", clock)
    else:  # unchanged: nothing new to tell them
        mark_processed(s, msg, action, clock)


def react_offer(
    store: Store,
    settings: Settings,
    clock: Clock,
    calendar: Calendar | None,
    msg: Message,
    action: str,
) -> None:
    """They agreed to talk without naming a time: offer free slots fresh from the calendar."""
    from coffeechat.service.booking import replacement_slots

    assert calendar is not None and msg.thread_id is not None
    with store.session() as s:
        contact = s.scalar(select(Contact).join(Thread).where(Thread.id == msg.thread_id))
        zone = _zone(contact.timezone if contact else None)
    slots = list(replacement_slots(calendar, settings, clock.now(), zone))
    with store.session() as s:
        m = s.get(Message, msg.id)
        thread = s.get(Thread, msg.thread_id)
        assert m is not None and thread is not None
        if m.processed_at is not None:
            return
        stop_followups(s, thread, "they agreed to talk")
        thread.last_exchange_at = m.sent_at or clock.now()
        _queue_offer(s, settings, clock, thread, m, slots)
        if action == "offer_slots":
            cancel_employer_siblings(s, settings, thread)
        mark_processed(s, m, action, clock)


def _queue_offer(
    s: Session, settings: Settings, clock: Clock, thread: Thread, msg: Message, slots: list[Slot]
) -> None:
    from coffeechat.service.thread_mail import queue_thread_email

    if not slots:
        msg.needs_owner = True
        reply_event(
            s,
            msg,
            thread,
            "no_free_slots",
            "they agreed to talk, but the calendar has no free slot in the next weeks",
            clock.now(),
            needs_owner=True,
            next_step="free some time, then answer in your mail client",
        )
        return
    queue_thread_email(
        s,
        settings,
        clock,
        thread=thread,
        kind=OutboxKind.OFFER_SLOTS,
        key=f"thread:{thread.id}:offer_slots:msg:{msg.id}",
        slots=[(slot.start, slot.end) for slot in slots],
        in_reply_to=msg.message_id,
    )
    thread.offered_slots = [slot.start.isoformat() for slot in slots]
    thread.state = ThreadState.SLOTS_OFFERED


def react_cancel(
    store: Store, settings: Settings, clock: Clock, calendar: Calendar | None, msg: Message
) -> None:
    """They called it off: cancel the booked meeting; with none booked, record a decline."""
    from coffeechat.service import booking

    assert calendar is not None and msg.thread_id is not None
    thread_id = msg.thread_id
    with store.session() as s:
        meeting = booked_meeting(s, thread_id)
    if meeting is None:
        with store.session() as s:
            m = s.get(Message, msg.id)
            thread = s.get(Thread, thread_id)
            assert m is not None and thread is not None
            stop_followups(s, thread, "they declined")
            thread.state = ThreadState.DECLINED
            mark_processed(s, m, "stop_followups_and_record_decline", clock)
        return

    def within(s: Session, result: booking.BookingResult) -> None:
        from coffeechat.service.thread_mail import queue_thread_email

        m = s.get(Message, msg.id)
        thread = s.get(Thread, thread_id)
        assert m is not None and thread is not None
        invitation = result.invitation
        if invitation is not None:
            queue_thread_email(
                s,
                settings,
                clock,
                thread=thread,
                kind=OutboxKind.CANCELLATION,
                key=invitation.idempotency_key,
                template="cancellation",
                meeting=s.get(Meeting, result.meeting_id) if result.meeting_id else None,
                in_reply_to=m.message_id,
                extra_parts=inv.invitation_parts(invitation.ics, invitation.method),
            )
        stop_everything(s, thread, "the meeting was cancelled")
        thread.state = ThreadState.CLOSED
        mark_processed(s, m, "cancel_meeting", clock)

    booking.cancel(store, calendar, clock, thread_id, settings, within=within)


def react_itip(
    store: Store, settings: Settings, clock: Clock, calendar: Calendar, msg: Message
) -> str:
    """The contact answered the invitation in their calendar client: PARTSTAT follows."""
    from coffeechat.service.itip_reply import apply_itip_reply

    assert msg.itip_reply is not None
    result = apply_itip_reply(store, calendar, clock, msg.itip_reply.encode(), settings)
    action = f"itip_reply_{(result.partstat or result.outcome).lower()}"
    with store.session() as s:
        m = s.get(Message, msg.id)
        assert m is not None
        mark_processed(s, m, action, clock)
    log.info("reaction", message_id=msg.id, thread_id=msg.thread_id, action=action)
    return action


def _zone(name: str | None) -> ZoneInfo | None:
    try:
        return ZoneInfo(name) if name else None
    except (ValueError, KeyError):
        return None
