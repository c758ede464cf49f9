"""Helpers for the inbox tests: a store with an owner, contacts and threads; messages to send;
an understander that records what it was asked; a fetch counter around the IMAP client."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from imapclient import IMAPClient
from sqlalchemy import select

from coffeechat.adapters.imap.connection import connect
from coffeechat.clock import SystemClock
from coffeechat.domain.intents import Intent, ThreadContext, Understanding
from coffeechat.domain.states import OutboxState, ThreadState
from coffeechat.service.inbox import InboxSync
from coffeechat.settings import ImapSettings, OwnerSettings, Settings
from coffeechat.store.db import Store
from coffeechat.store.models import Contact, Message, OutboxItem, SyncState, Thread
from servers.dovecot import ImapUser

_counter = itertools.count()


def imap_settings(user: ImapUser, **extra: Any) -> ImapSettings:
    return ImapSettings(
        host="127.0.0.1",
        port=user.server.port,
        security="none",
        username=user.name,
        password=user.password,
        timeout_seconds=10,
        **extra,
    )


def make_mail(
    frm: str,
    to: str,
    subject: str = "Re: coffee?",
    body: str = "Sure, happy to chat next week.",
    *,
    message_id: str | None = "auto",
    in_reply_to: str | None = None,
    references: list[str] | None = None,
    headers: dict[str, str] | None = None,
    date: datetime | None = None,
) -> bytes:
    lines = [f"From: {frm}", f"To: {to}", f"Subject: {subject}"]
    when = date or datetime.now(UTC)
    lines.append(f"Date: {format_datetime(when)}")
    if message_id == "auto":
        message_id = f"{uuid.uuid4().hex}@mail.test"
    if message_id:
        lines.append(f"Message-ID: <{message_id}>")
    if in_reply_to:
        lines.append(f"In-Reply-To: <{in_reply_to}>")
    if references:
        lines.append("References: " + " ".join(f"<{r}>" for r in references))
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    lines += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "", body, ""]
    return "\r\n".join(lines).encode()


@dataclass
class RecordingUnderstander:
    """Says "accept" to everything and remembers the contexts it saw."""

    contexts: list[ThreadContext] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)

    def __call__(self, raw: bytes, context: ThreadContext) -> Understanding:
        self.contexts.append(context)
        self.sizes.append(len(raw))
        return Understanding(intent=Intent.ACCEPT, confidence=0.9, reply_text="Sure")


@dataclass
class World:
    """One owner's store and mailbox."""

    store: Store
    user: ImapUser
    settings: Settings
    inbox: InboxSync
    understander: RecordingUnderstander

    @property
    def owner(self) -> str:
        return self.settings.owner.email

    @property
    def account_id(self) -> int:
        return self.inbox.account_id

    def contact(self, email: str, name: str = "", company: str = "Acme") -> int:
        with self.store.session() as s:
            c = Contact(account_id=self.account_id, email=email.lower(), name=name, company=company)
            s.add(c)
            s.flush()
            return c.id

    def thread(
        self,
        contact_id: int,
        state: str = ThreadState.OUTREACH_SENT,
        outreach_id: str | None = None,
    ) -> int:
        """A thread coffeechat runs: one sent outreach in the outbox (and in messages)."""
        now = datetime.now(UTC)
        with self.store.session() as s:
            t = Thread(
                account_id=self.account_id,
                contact_id=contact_id,
                state=state,
                subject="Coffee?",
                first_outbound_at=now,
                last_outbound_at=now,
            )
            s.add(t)
            s.flush()
            if outreach_id:
                s.add(
                    OutboxItem(
                        account_id=self.account_id,
                        thread_id=t.id,
                        contact_id=contact_id,
                        kind="outreach",
                        idempotency_key=f"thread:{t.id}:outreach:{next(_counter)}",
                        message_id=outreach_id,
                        recipients=["x"],
                        subject="Coffee?",
                        raw=b"...",
                        state=OutboxState.SENT,
                        due_at=now,
                        sent_at=now,
                    )
                )
                s.add(
                    Message(
                        account_id=self.account_id,
                        thread_id=t.id,
                        contact_id=contact_id,
                        message_id=outreach_id,
                        content_hash=uuid.uuid4().hex,
                        direction="out",
                        from_addr=self.owner,
                        subject="Coffee?",
                        sent_at=now,
                    )
                )
            return t.id

    def messages(self, direction: str | None = None) -> list[Message]:
        with self.store.session() as s:
            q = select(Message).where(Message.account_id == self.account_id)
            if direction:
                q = q.where(Message.direction == direction)
            return list(s.scalars(q.order_by(Message.id)))

    def get_thread(self, thread_id: int) -> Thread:
        with self.store.session() as s:
            t = s.get(Thread, thread_id)
            assert t is not None
            return t

    def state(self, folder: str = "INBOX") -> SyncState:
        with self.store.session() as s:
            st = s.scalar(select(SyncState).where(SyncState.folder == folder))
            assert st is not None
            return st

    def client(self) -> IMAPClient:
        assert self.settings.imap is not None
        return connect(self.settings.imap)


def build_world(store_url: str, user: ImapUser, **inbox_kwargs: Any) -> World:
    settings = Settings(
        owner=OwnerSettings(name="Olivia Owner", email=user.address),
        imap=imap_settings(user),
    )
    store = Store(store_url)
    understander = RecordingUnderstander()
    inbox = InboxSync(store, settings, SystemClock(), understander, **inbox_kwargs)
    return World(store, user, settings, inbox, understander)


@pytest.fixture
def world(store_url: str, imap_user: ImapUser) -> Iterator[World]:
    w = build_world(store_url, imap_user)
    yield w
    w.store.close()


@pytest.fixture
def sqlite_world(sqlite_url: str, imap_user: ImapUser) -> Iterator[World]:
    w = build_world(sqlite_url, imap_user)
    yield w
    w.store.close()


class FetchLog:
    """Wraps ``client.fetch`` to list which UIDs each data item was fetched for."""

    def __init__(self, client: IMAPClient) -> None:
        self.calls: list[tuple[list[int], list[str]]] = []
        original = client.fetch

        def fetch(messages: Any, data: Any, modifiers: Any = None) -> Any:
            self.calls.append((list(messages), [str(d) for d in data]))
            return original(messages, data, modifiers)

        client.fetch = fetch

    def body_uids(self) -> set[int]:
        return {
            uid
            for uids, items in self.calls
            if any(i.startswith("BODY.PEEK[]") for i in items)
            for uid in uids
        }

    def any_non_peek(self) -> bool:
        return any(
            ("BODY[" in i.upper() and "PEEK" not in i.upper()) or i.upper() == "RFC822"
            for _, items in self.calls
            for i in items
        )


def flags_of(user: ImapUser, folder: str = "INBOX") -> dict[int, tuple[bytes, ...]]:
    c = user.client()
    try:
        c.select_folder(folder, readonly=True)
        uids = c.search("ALL")
        return {uid: tuple(sorted(v[b"FLAGS"])) for uid, v in c.fetch(uids, ["FLAGS"]).items()}
    finally:
        c.logout()


def an_hour_ago() -> datetime:
    return datetime.now(UTC) - timedelta(hours=1)
