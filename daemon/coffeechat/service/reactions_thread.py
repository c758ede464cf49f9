"""Reactions that need no calendar: a bounce, "later", "stop", a decline, a referral, a question.

The contact left the company, asked to talk later or not at all, declined, pointed to someone
else, or wrote something the owner must answer. None of these needs the calendar, so each is
one transaction on the thread, the contact and the outbox; the calendar reactions (booking,
offering times) are in ``reactions_calendar``.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy.orm import Session

from coffeechat.clock import Clock
from coffeechat.domain.intents import Intent, Understanding
from coffeechat.domain.states import ContactStatus, ThreadState
from coffeechat.service.reactions_steps import reply_event, stop_everything, stop_followups
from coffeechat.settings import Settings
from coffeechat.store.models import Contact, Message, Thread


def react_without_calendar(
    s: Session,
    settings: Settings,
    clock: Clock,
    msg: Message,
    thread: Thread,
    u: Understanding,
    action: str,
) -> None:
    """Carry out ``action`` in the caller's transaction: thread, contact, outbox, an Event."""
    from coffeechat.service.followups import postpone_for_auto_reply
    from coffeechat.service.outreach import queue_referral

    contact = s.get(Contact, thread.contact_id)
    assert contact is not None
    now = clock.now()
    human = msg.intent not in (Intent.AUTO_REPLY, Intent.BOUNCE)
    if human:
        stop_followups(s, thread, "a reply arrived")
        thread.last_exchange_at = msg.sent_at or now
    if action == "flag_bounce":
        stop_everything(s, thread, "the address bounced")
        contact.status = ContactStatus.BOUNCED
        contact.status_reason = (msg.reply_text or "delivery failed")[:500]
        thread.state = ThreadState.BOUNCED
        reply_event(
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
        stop_everything(s, thread, "they have left the company")
        contact.status = ContactStatus.LEFT_COMPANY
        thread.state = ThreadState.CLOSED
        reply_event(
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
        reply_event(
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
        reply_event(s, msg, thread, "later", summary, now)
    elif action == "stop_forever":
        stop_everything(s, thread, "they asked not to be contacted")
        contact.do_not_contact = True
        contact.status = ContactStatus.UNSUBSCRIBED
        thread.state = ThreadState.UNSUBSCRIBED
        reply_event(
            s, msg, thread, "unsubscribed", f"{contact.email} asked not to be contacted again", now
        )
    elif action == "stop_followups_and_record_decline":
        thread.state = ThreadState.DECLINED
        contact.status = ContactStatus.DECLINED
        reply_event(s, msg, thread, "declined", f"{contact.name or contact.email} declined", now)
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
            reply_event(
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
            reply_event(
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
        reply_event(
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


def _first_line(text: str, limit: int = 140) -> str:
    for line in (text or "").splitlines():
        if line.strip():
            line = line.strip()
            return line if len(line) <= limit else line[: limit - 1] + "…"
    return "(no text)"
