"""The names of every state the store records, shared by the domain, the service and the CLI.

Stored as plain strings; these enums are the only place the spellings live.
"""

from __future__ import annotations

from enum import StrEnum


class ThreadState(StrEnum):
    NEW = "new"  # contact known, nothing queued
    OUTREACH_QUEUED = "outreach_queued"  # outreach in the outbox
    OUTREACH_SENT = "outreach_sent"  # waiting for a reply
    FOLLOWUP_SENT = "followup_sent"  # waiting, follow-up(s) sent
    SLOTS_OFFERED = "slots_offered"  # they agreed, we offered times
    MEETING_BOOKED = "meeting_booked"
    MET = "met"  # the meeting happened; thank-you due
    THANKED = "thanked"  # thank-you sent; keep-in-touch later
    LATER = "later"  # "not now": paused until a date
    DECLINED = "declined"
    UNSUBSCRIBED = "unsubscribed"
    BOUNCED = "bounced"
    NEEDS_OWNER = "needs_owner"  # a question or an unclear reply: the owner answers by hand
    CLOSED = "closed"


#: States in which automatic follow-ups may still go out.
AWAITING_REPLY = frozenset({ThreadState.OUTREACH_SENT, ThreadState.FOLLOWUP_SENT})
#: States after which nothing is ever sent automatically again.
FINAL = frozenset({ThreadState.DECLINED, ThreadState.UNSUBSCRIBED, ThreadState.BOUNCED})


class ContactStatus(StrEnum):
    NEW = "new"
    ACTIVE = "active"  # a thread is running
    MET = "met"
    DECLINED = "declined"
    UNSUBSCRIBED = "unsubscribed"  # never contacted again without --force
    BOUNCED = "bounced"
    LEFT_COMPANY = "left_company"


class OutboxKind(StrEnum):
    OUTREACH = "outreach"
    REFERRAL_OUTREACH = "referral_outreach"
    FOLLOWUP = "followup"
    OFFER_SLOTS = "offer_slots"
    INVITATION = "invitation"  # confirmation + text/calendar METHOD:REQUEST
    RESCHEDULE = "reschedule"  # updated REQUEST, SEQUENCE+1
    CANCELLATION = "cancellation"  # METHOD:CANCEL
    THANK_YOU = "thank_you"
    KEEP_IN_TOUCH = "keep_in_touch"
    DIGEST = "digest"


class OutboxState(StrEnum):
    QUEUED = "queued"  # due at due_at
    HELD = "held"  # needs the owner (template error, missing notes...)
    CLAIMED = "claimed"  # a sender holds the lease
    SENDING = "sending"  # committed just before DATA
    SENT = "sent"  # the server said 250
    FILED = "filed"  # the same bytes are in Sent
    DRAFTED = "drafted"  # written to Drafts instead of sent
    FAILED = "failed"  # permanent failure (5xx)
    UNKNOWN = "unknown"  # crashed between DATA and 250: the owner decides, never resent
    CANCELLED = "cancelled"  # a reply or a decision made it moot


class MeetingStatus(StrEnum):
    BOOKED = "booked"
    CANCELLED = "cancelled"
    HAPPENED = "happened"
