"""What the daemon should do next with a reply: one short machine word per outcome."""

from __future__ import annotations

from coffeechat.domain.intents import Intent, ThreadContext, Understanding
from coffeechat.domain.understand import CONFIDENCE_THRESHOLD

_MAY_BOOK = frozenset({Intent.ACCEPT, Intent.RESCHEDULE})
#: The actions that put a meeting on the calendar (the costliest to get wrong).
BOOKING_ACTIONS = frozenset({"book_proposed_time", "book_offered_slot", "reschedule_meeting"})


def next_action(
    u: Understanding, ctx: ThreadContext, threshold: float = CONFIDENCE_THRESHOLD
) -> str:
    """Map an understanding to the next step; doubtful readings go to the owner."""
    if u.intent is Intent.BOUNCE:
        return "flag_bounce"
    if u.intent is Intent.AUTO_REPLY:
        return "stop_followups_left_company" if u.left_company else "postpone_followup"
    if u.confidence < threshold or u.intent is Intent.QUESTION:
        return "ask_owner"
    booked = ctx.state == "meeting_booked"
    may_book = u.intent in _MAY_BOOK
    if u.intent is Intent.UNSUBSCRIBE:
        return "stop_forever"
    if u.intent is Intent.CANCEL:
        return "cancel_meeting"
    if u.intent is Intent.RESCHEDULE:
        if not booked:  # nothing to move: never book from a reschedule outside a booking
            return "ask_owner"
        return "reschedule_meeting" if u.proposed else "offer_new_slots"
    if u.intent is Intent.DECLINE:
        return "cancel_meeting" if booked else "stop_followups_and_record_decline"
    if u.intent is Intent.LATER:
        return "postpone_followup"
    if u.intent is Intent.REFERRAL:
        return "create_referral_contact"
    if not may_book:  # defence in depth: an intent added later must never fall into a booking
        return "ask_owner"
    if booked:
        return "none"
    if not u.proposed:
        return "offer_slots"
    offered = {s.timestamp() for s in ctx.offered_slots}
    if ctx.state == "slots_offered" and all(
        w.end is None and w.start.timestamp() in offered for w in u.proposed
    ):
        return "book_offered_slot"
    return "book_proposed_time"
