"""What a reply means: the vocabulary shared by the reply reader and the rest of the daemon.

Plain frozen-ish dataclasses so that results can be compared in tests and logged as dicts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum


class Intent(StrEnum):
    """What the sender wants; exactly the labels of the reply data set."""

    ACCEPT = "accept"
    DECLINE = "decline"
    LATER = "later"
    REFERRAL = "referral"
    QUESTION = "question"
    AUTO_REPLY = "auto_reply"
    BOUNCE = "bounce"
    UNSUBSCRIBE = "unsubscribe"
    RESCHEDULE = "reschedule"
    CANCEL = "cancel"


@dataclass(frozen=True)
class Window:
    """A proposed time: an exact start (``end`` None) or a window, aware datetimes."""

    start: datetime
    end: datetime | None = None


@dataclass(frozen=True)
class Referral:
    """Someone the sender suggests talking to instead."""

    name: str | None
    email: str | None


@dataclass(frozen=True)
class Bounce:
    """A delivery failure (RFC 3464); ``permanent`` means never retry this address."""

    recipient: str | None
    status: str | None
    action: str | None
    diagnostic: str | None
    permanent: bool


@dataclass
class Understanding:
    """The reply reader's verdict on one message, with the reasons that led to it."""

    intent: Intent
    confidence: float
    proposed: list[Window] = field(default_factory=list)
    later_until: date | None = None
    referral: Referral | None = None
    reply_text: str = ""
    left_company: bool = False
    bounce: Bounce | None = None
    reasons: list[str] = field(default_factory=list)


@dataclass
class ThreadContext:
    """What the daemon knows about the thread when a reply arrives.

    ``state`` is one of outreach_sent, followup_sent, slots_offered, meeting_booked.
    ``now`` is only used when the message carries no usable Date header.
    """

    state: str
    offered_slots: list[datetime]
    owner_tz: str
    booked_start: datetime | None = None
    booked_end: datetime | None = None
    now: datetime | None = None
