"""Act on understood replies: book, offer times, stop or postpone follow-ups, ask the owner.

The inbox records each reply with what the reader made of it; this module turns that into
state changes and outbox rows. Work is driven from the store (every inbound message with an
intent and no ``processed_at``), so a crash or a CalDAV outage only delays a reaction: the next
pass picks it up, and every email it queues is idempotent on its key. Booking writes the
invitation email in the same transaction as the meeting row (booking's ``within`` hook).

Nothing is ever sent in answer to an auto-submitted message, and a reply the reader is not
sure of goes to the owner instead of being acted on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from coffeechat.adapters.caldav.calendar import Calendar
from coffeechat.clock import Clock
from coffeechat.domain import invitations as inv
from coffeechat.domain.actions import next_action
from coffeechat.domain.availability import Slot
from coffeechat.domain.intents import Intent, Referral, ThreadContext, Understanding, Window
from coffeechat.domain.states import ContactStatus, MeetingStatus, OutboxKind, ThreadState
from coffeechat.service.events import record_event
from coffeechat.settings import Cadence, Settings
from coffeechat.store.db import Store
from coffeechat.store.models import Contact, Meeting, Message, Thread

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
FOLLOWUP_KINDS = (OutboxKind.FOLLOWUP, OutboxKind.OUTREACH, OutboxKind.REFERRAL_OUTREACH)
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
    meeting = _booked_meeting(session, thread.id)
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


def _booked_meeting(session: Session, thread_id: int) -> Meeting | None:
    return session.scalar(
        select(Meeting)
        .where(Meeting.thread_id == thread_id, Meeting.status == MeetingStatus.BOOKED)
        .order_by(Meeting.id.desc())
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
        return _itip(store, settings, clock, calendar, msg)
    log.info("reaction", message_id=message_id, thread_id=msg.thread_id, action=action)
    if action in {"book_offered_slot", "book_proposed_time", "reschedule_meeting"}:
        _book(store, settings, clock, calendar, msg, u, action)
    elif action in {"offer_slots", "offer_new_slots"}:
        _offer(store, settings, clock, calendar, msg, action)
    elif action == "cancel_meeting":
        _cancel(store, settings, clock, calendar, msg)
    else:
        with store.session() as s:
            msg = s.get(Message, message_id)
            assert msg is not None
            thread = s.get(Thread, msg.thread_id)
            assert thread is not None
            _apply_simple(s, settings, clock, msg, thread, u, action)
            _finish(s, msg, action, clock)
    return action


# ---------------------------------------------------------------- actions without the calendar


def _apply_simple(
    s: Session,
    settings: Settings,
    clock: Clock,
    msg: Message,
    thread: Thread,
    u: Understanding,
    action: str,
) -> None:
    from coffeechat.service.followups import postpone_for_auto_reply
    from coffeechat.service.outreach import queue_referral

    contact = s.get(Contact, thread.contact_id)
    assert contact is not None
    now = clock.now()
    human = msg.intent not in (Intent.AUTO_REPLY, Intent.BOUNCE)
    if human:
        _stop_followups(s, thread, "a reply arrived")
        thread.last_exchange_at = msg.sent_at or now
    if action == "flag_bounce":
        _stop_everything(s, thread, "the address bounced")
        contact.status = ContactStatus.BOUNCED
        contact.status_reason = (msg.reply_text or "delivery failed")[:500]
        thread.state = ThreadState.BOUNCED
        _event(
            s,
            msg,
            thread,
            "bounce",
            f"{contact.email} bounced",
            now,
            needs_owner=True,
            next_step=f"find a working address for {contact.name or contact.email}, then "
            f'coffeechat contacts add --email NEW --name "{contact.name}"',
        )
    elif action == "stop_followups_left_company":
        _stop_everything(s, thread, "they have left the company")
        contact.status = ContactStatus.LEFT_COMPANY
        thread.state = ThreadState.CLOSED
        _event(
            s,
            msg,
            thread,
            "left_company",
            f"{contact.email} has left the company",
            now,
            needs_owner=True,
            next_step="look them up at their new employer, if you like",
        )
    elif action == "postpone_followup" and msg.intent == Intent.AUTO_REPLY:
        until = postpone_for_auto_reply(s, settings, thread, msg.sent_at or now, msg.later_until)
        _event(
            s,
            msg,
            thread,
            "followup_postponed",
            f"out of office; follow-up waits until {until.date().isoformat()}",
            now,
        )
    elif action == "postpone_followup":  # "later": not now
        thread.state = ThreadState.LATER
        if msg.later_until is not None:
            resume = datetime.combine(msg.later_until, time(9, 0), settings.owner.zone)
            thread.paused_until = resume
            summary = (
                f"{contact.name or contact.email} asked to talk later: after {msg.later_until}"
            )
        else:
            thread.paused_until = now + timedelta(days=settings.schedule.keep_in_touch_after_days)
            summary = f"{contact.name or contact.email} asked to talk later (no date given)"
        _event(s, msg, thread, "later", summary, now)
    elif action == "stop_forever":
        _stop_everything(s, thread, "they asked not to be contacted")
        contact.do_not_contact = True
        contact.status = ContactStatus.UNSUBSCRIBED
        thread.state = ThreadState.UNSUBSCRIBED
        _event(
            s, msg, thread, "unsubscribed", f"{contact.email} asked not to be contacted again", now
        )
    elif action == "stop_followups_and_record_decline":
        thread.state = ThreadState.DECLINED
        contact.status = ContactStatus.DECLINED
        _event(s, msg, thread, "declined", f"{contact.name or contact.email} declined", now)
    elif action == "create_referral_contact":
        thread.state = ThreadState.CLOSED
        ref = u.referral
        if ref is not None and ref.email:
            row = None
            if not msg.auto_submitted:
                row = queue_referral(
                    s,
                    settings,
                    clock,
                    account_id=thread.account_id,
                    referrer_id=contact.id,
                    email_addr=ref.email,
                    name=ref.name or "",
                    company=contact.company,
                    how_found=f"referred by {contact.name or contact.email}",
                )
            _event(
                s,
                msg,
                thread,
                "referral",
                f"{contact.name or contact.email} suggested {ref.name or ref.email} "
                f"<{ref.email}>" + ("; outreach queued" if row is not None else ""),
                now,
            )
        else:
            who = (ref.name if ref else None) or "someone"
            _event(
                s,
                msg,
                thread,
                "referral_needs_address",
                f"{contact.name or contact.email} suggested {who}, without an address",
                now,
                needs_owner=True,
                next_step=f'coffeechat contacts add --email ADDRESS --name "{who}" '
                f"--referred-by {contact.email}",
            )
    elif action == "ask_owner":
        msg.needs_owner = True
        kind = "question" if msg.intent == Intent.QUESTION else "unclear_reply"
        if thread.state not in (ThreadState.MEETING_BOOKED, ThreadState.SLOTS_OFFERED):
            thread.state = ThreadState.NEEDS_OWNER
        _event(
            s,
            msg,
            thread,
            kind,
            f"{contact.name or contact.email}: " + _first_line(msg.reply_text),
            now,
            needs_owner=True,
            next_step="answer in your mail client",
        )
    # "none": a friendly acknowledgement; recorded, nothing to do


# ---------------------------------------------------------------- calendar actions


def _proposals(u: Understanding, settings: Settings) -> list[Slot]:
    out = []
    for w in u.proposed:
        end = w.end or w.start
        out.append(Slot(w.start, end))
    return out


def _book(
    store: Store,
    settings: Settings,
    clock: Clock,
    calendar: Calendar | None,
    msg: Message,
    u: Understanding,
    action: str,
) -> None:
    from coffeechat.service import booking

    assert calendar is not None and msg.thread_id is not None
    thread_id = msg.thread_id
    proposals = _proposals(u, settings)

    def within(s: Session, result: booking.BookingResult) -> None:
        _after_booking(s, settings, clock, msg.id, thread_id, result, action)

    with store.session() as s:
        already = _booked_meeting(s, thread_id) is not None
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
    _stop_followups(s, thread, "they agreed to talk")
    thread.last_exchange_at = msg.sent_at or clock.now()
    invitation = getattr(result, "invitation", None)
    if outcome in {"booked", "rescheduled"} and invitation is not None:
        meeting = _booked_meeting(s, thread_id)
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
        _cancel_employer_siblings(s, settings, thread)
        _finish(s, msg, action if outcome == "booked" else "reschedule_meeting", clock)
    elif outcome == "none_free":
        offer = list(getattr(result, "offer", ()))
        _queue_offer(s, settings, clock, thread, msg, offer)
        _finish(s, msg, "offer_slots", clock)
    else:  # unchanged: nothing new to tell them
        _finish(s, msg, action, clock)


def _offer(
    store: Store,
    settings: Settings,
    clock: Clock,
    calendar: Calendar | None,
    msg: Message,
    action: str,
) -> None:
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
        _stop_followups(s, thread, "they agreed to talk")
        thread.last_exchange_at = m.sent_at or clock.now()
        _queue_offer(s, settings, clock, thread, m, slots)
        if action == "offer_slots":
            _cancel_employer_siblings(s, settings, thread)
        _finish(s, m, action, clock)


def _queue_offer(
    s: Session, settings: Settings, clock: Clock, thread: Thread, msg: Message, slots: list[Slot]
) -> None:
    from coffeechat.service.thread_mail import queue_thread_email

    if not slots:
        msg.needs_owner = True
        _event(
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


def _cancel(
    store: Store, settings: Settings, clock: Clock, calendar: Calendar | None, msg: Message
) -> None:
    from coffeechat.service import booking

    assert calendar is not None and msg.thread_id is not None
    thread_id = msg.thread_id
    with store.session() as s:
        meeting = _booked_meeting(s, thread_id)
    if meeting is None:
        with store.session() as s:
            m = s.get(Message, msg.id)
            thread = s.get(Thread, thread_id)
            assert m is not None and thread is not None
            _stop_followups(s, thread, "they declined")
            thread.state = ThreadState.DECLINED
            _finish(s, m, "stop_followups_and_record_decline", clock)
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
        _stop_everything(s, thread, "the meeting was cancelled")
        thread.state = ThreadState.CLOSED
        _finish(s, m, "cancel_meeting", clock)

    booking.cancel(store, calendar, clock, thread_id, settings, within=within)


def _itip(store: Store, settings: Settings, clock: Clock, calendar: Calendar, msg: Message) -> str:
    """The contact answered the invitation in their calendar client: PARTSTAT follows."""
    from coffeechat.service.booking import apply_itip_reply

    assert msg.itip_reply is not None
    result = apply_itip_reply(store, calendar, clock, msg.itip_reply.encode(), settings)
    action = f"itip_reply_{(result.partstat or result.outcome).lower()}"
    with store.session() as s:
        m = s.get(Message, msg.id)
        assert m is not None
        _finish(s, m, action, clock)
    log.info("reaction", message_id=msg.id, thread_id=msg.thread_id, action=action)
    return action


# ---------------------------------------------------------------- helpers


def _stop_followups(s: Session, thread: Thread, reason: str) -> None:
    from coffeechat.service.outbox import cancel_pending

    cancel_pending(s, thread_id=thread.id, kinds=[OutboxKind.FOLLOWUP], reason=reason)


def _stop_everything(s: Session, thread: Thread, reason: str) -> None:
    from coffeechat.service.outbox import cancel_pending

    cancel_pending(s, thread_id=thread.id, reason=reason)


def _cancel_employer_siblings(s: Session, settings: Settings, thread: Thread) -> None:
    """3B7: the moment anyone at an employer agrees, every other pending email there stops."""
    from coffeechat.service.outbox import cancel_pending

    if settings.schedule.cadence is Cadence.THREE_B_SEVEN and thread.employer_key:
        cancel_pending(
            s,
            employer_key=thread.employer_key,
            account_id=thread.account_id,
            except_thread_id=thread.id,
            kinds=FOLLOWUP_KINDS,
            reason="someone at this employer agreed to talk",
        )


def _finish(s: Session, msg: Message, action: str, clock: Clock) -> None:
    msg.action = action
    msg.processed_at = clock.now()


def _event(
    s: Session,
    msg: Message,
    thread: Thread,
    kind: str,
    summary: str,
    at: datetime,
    *,
    needs_owner: bool = False,
    next_step: str = "",
) -> None:
    """An event about a reply in a thread: the message and its intent go into the data."""
    record_event(
        s,
        account_id=thread.account_id,
        at=at,
        kind=kind,
        thread_id=thread.id,
        contact_id=thread.contact_id,
        summary=summary,
        data={"message_id": msg.message_id, "intent": msg.intent},
        needs_owner=needs_owner,
        next_step=next_step,
    )


def _first_line(text: str, limit: int = 140) -> str:
    for line in (text or "").splitlines():
        if line.strip():
            line = line.strip()
            return line if len(line) <= limit else line[: limit - 1] + "…"
    return "(no text)"


def _zone(name: str | None) -> ZoneInfo | None:
    try:
        return ZoneInfo(name) if name else None
    except (ValueError, KeyError):
        return None


__all__: Sequence[str] = ("ReactionReport", "decide", "react_one", "react_pending")
