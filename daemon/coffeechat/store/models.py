"""The SQL schema: everything the daemon knows, in one place.

Times are stored as naive UTC and come back zone-aware (:class:`UTCDateTime`), so SQLite and
PostgreSQL behave alike. States are short strings checked by the Python enums in
``coffeechat.domain.states``; a string column keeps migrations free of database enum types.
Every table carries ``account_id`` so one store can serve several mailboxes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out; naive values are refused, not guessed."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r} given to the store; pass an aware one")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def utcnow_default() -> datetime:
    # Only for bookkeeping columns (created_at); decisions take the clock as a parameter.
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    owner_email: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow_default)


class Contact(Base):
    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("account_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    email: Mapped[str] = mapped_column(String(320))  # lower-cased
    name: Mapped[str] = mapped_column(String(200), default="")
    company: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(200), default="")
    how_found: Mapped[str] = mapped_column(Text, default="")
    referred_by_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    notes: Mapped[str] = mapped_column(Text, default="")
    timezone: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32), default="new", index=True)
    status_reason: Mapped[str] = mapped_column(Text, default="")
    # Unsubscribe is final unless the owner overrides with --force.
    do_not_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow_default)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow_default, onupdate=utcnow_default)

    referred_by: Mapped[Contact | None] = relationship(remote_side=[id])


class Thread(Base):
    """One outreach conversation with one contact."""

    __tablename__ = "threads"
    __table_args__ = (
        Index("ix_threads_account_state", "account_id", "state"),
        # The scheduler's follow-up query: waiting threads with follow-ups left, oldest first.
        Index(
            "ix_threads_account_followup",
            "account_id",
            "state",
            "followups_sent",
            "last_outbound_at",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    state: Mapped[str] = mapped_column(String(32), default="new")
    subject: Mapped[str] = mapped_column(Text, default="")
    # The employer, lower-cased, for the 3B7 routine (one person per employer at a time).
    employer_key: Mapped[str] = mapped_column(String(200), default="", index=True)
    followups_sent: Mapped[int] = mapped_column(Integer, default=0)
    # Automatic follow-ups wait until then (out-of-office, "later").
    paused_until: Mapped[datetime | None] = mapped_column()
    # The owner wrote by hand in this thread: no more automatic follow-ups.
    human_takeover: Mapped[bool] = mapped_column(Boolean, default=False)
    # Slots offered in the last offer-slots email, ISO strings with offsets.
    offered_slots: Mapped[list[Any]] = mapped_column(default=list)
    first_outbound_at: Mapped[datetime | None] = mapped_column()
    last_outbound_at: Mapped[datetime | None] = mapped_column()
    last_inbound_at: Mapped[datetime | None] = mapped_column()
    # Last real (human) exchange in either direction: the keep-in-touch clock.
    last_exchange_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow_default)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow_default, onupdate=utcnow_default)

    contact: Mapped[Contact] = relationship()


class Message(Base):
    """Every message seen or sent, recorded once (Message-ID, else a content hash)."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("account_id", "message_id"),
        UniqueConstraint("account_id", "content_hash"),
        Index("ix_messages_thread", "thread_id", "sent_at"),
        Index("ix_messages_account_direction_received", "account_id", "direction", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    message_id: Mapped[str | None] = mapped_column(String(998))  # without <>
    content_hash: Mapped[str] = mapped_column(String(64))
    direction: Mapped[str] = mapped_column(String(8))  # in | out
    folder: Mapped[str] = mapped_column(String(200), default="")
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger)
    uid: Mapped[int | None] = mapped_column(BigInteger)
    from_addr: Mapped[str] = mapped_column(String(320), default="")
    to_addrs: Mapped[list[Any]] = mapped_column(default=list)
    subject: Mapped[str] = mapped_column(Text, default="")
    in_reply_to: Mapped[str | None] = mapped_column(String(998))
    references: Mapped[list[Any]] = mapped_column(default=list)
    sent_at: Mapped[datetime | None] = mapped_column()  # the Date header
    received_at: Mapped[datetime | None] = mapped_column()  # INTERNALDATE or first seen
    size: Mapped[int] = mapped_column(Integer, default=0)
    auto_submitted: Mapped[bool] = mapped_column(Boolean, default=False)
    # What the understanding made of it (inbound only).
    intent: Mapped[str | None] = mapped_column(String(32))
    confidence: Mapped[float | None] = mapped_column(Float)
    proposed: Mapped[list[Any]] = mapped_column(default=list)
    later_until: Mapped[date | None] = mapped_column(Date)
    referral: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    reply_text: Mapped[str] = mapped_column(Text, default="")
    action: Mapped[str] = mapped_column(String(64), default="")
    # The rest of the reader's verdict: left_company, bounce details, reasons (for explain).
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # An iTIP REPLY from the contact's calendar client (RFC 6047), kept for the booking code.
    itip_reply: Mapped[str | None] = mapped_column(Text)
    needs_owner: Mapped[bool] = mapped_column(Boolean, default=False)
    processed_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow_default)


class Meeting(Base):
    __tablename__ = "meetings"
    __table_args__ = (Index("ix_meetings_account_start", "account_id", "start_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    caldav_uid: Mapped[str] = mapped_column(String(255), unique=True)
    href: Mapped[str | None] = mapped_column(Text)
    etag: Mapped[str | None] = mapped_column(String(255))
    start_at: Mapped[datetime] = mapped_column()
    end_at: Mapped[datetime] = mapped_column()
    # booked | cancelled | happened
    status: Mapped[str] = mapped_column(String(32), default="booked")
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    partstat: Mapped[str] = mapped_column(String(32), default="NEEDS-ACTION")
    location: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow_default)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow_default, onupdate=utcnow_default)


class OutboxItem(Base):
    """One email to send, exactly once. Rendered bytes and Message-ID fixed before sending."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_state_due", "state", "due_at"),
        Index("ix_outbox_account_sent", "account_id", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    kind: Mapped[str] = mapped_column(String(32))
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    message_id: Mapped[str] = mapped_column(String(998), unique=True)  # without <>
    recipients: Mapped[list[Any]] = mapped_column(default=list)
    subject: Mapped[str] = mapped_column(Text, default="")
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    # queued | held | claimed | sending | sent | filed | drafted | failed | unknown | cancelled
    state: Mapped[str] = mapped_column(String(16), default="queued")
    due_at: Mapped[datetime] = mapped_column()
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None] = mapped_column()
    sent_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow_default)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow_default, onupdate=utcnow_default)


class SyncState(Base):
    """Per IMAP folder: where the incremental sync stands."""

    __tablename__ = "sync_state"
    __table_args__ = (UniqueConstraint("account_id", "folder"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    folder: Mapped[str] = mapped_column(String(200))
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    highest_modseq: Mapped[int | None] = mapped_column(BigInteger)
    last_sync_at: Mapped[datetime | None] = mapped_column()
    last_full_resync_at: Mapped[datetime | None] = mapped_column()


class CalendarState(Base):
    """Per calendar: what the last CalDAV sync saw."""

    __tablename__ = "calendar_state"
    __table_args__ = (UniqueConstraint("account_id", "calendar_url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    calendar_url: Mapped[str] = mapped_column(Text)
    ctag: Mapped[str | None] = mapped_column(String(255))
    sync_token: Mapped[str | None] = mapped_column(Text)
    last_sync_at: Mapped[datetime | None] = mapped_column()


class Event(Base):
    """The audit log, and the digest's source: what happened, and what needs the owner."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_account_at", "account_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    at: Mapped[datetime] = mapped_column()
    kind: Mapped[str] = mapped_column(String(64))
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    summary: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    needs_owner: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    next_step: Mapped[str] = mapped_column(Text, default="")
    resolved_at: Mapped[datetime | None] = mapped_column()


class ComponentHealth(Base):
    """Last success and current failure of each outside system, for status and the digest."""

    __tablename__ = "component_health"
    __table_args__ = (UniqueConstraint("account_id", "component"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    component: Mapped[str] = mapped_column(String(32))  # imap | smtp | caldav | sender | ...
    last_ok_at: Mapped[datetime | None] = mapped_column()
    failing_since: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str] = mapped_column(Text, default="")
    # Sending paused (quota, auth) until then; None: not paused.
    paused_until: Mapped[datetime | None] = mapped_column()
