"""Deciding, from a batch's headers alone, what each new message is to the inbox.

Fetching a body is the expensive part of a pass, so each message is first triaged from its
headers: our own copy, a reply in a thread (by In-Reply-To / References against the outbox and
the recorded messages), mail from or (when the owner wrote it) to a known contact, a bounce,
a possible contact, or none of our business. Only a message with a ``Plan`` can get a row, and
only one whose plan needs it gets its body fetched. Kept apart from the recorder: deciding is a
few batched queries per batch and writes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import structlog
from sqlalchemy import select

from coffeechat.adapters.imap import sync
from coffeechat.adapters.imap.sync import Envelope, HeaderInfo, Triage
from coffeechat.domain.intents import Understanding
from coffeechat.service.contact_directory import ContactRef, Directory
from coffeechat.store.db import Store
from coffeechat.store.models import Message, OutboxItem

log = structlog.get_logger(__name__)

IN_LIST = 500  # ids per SQL IN (...)
_BOUNCE_SENDER = re.compile(r"^(mailer-daemon|postmaster|mail-daemon)@", re.IGNORECASE)


@dataclass
class Plan:
    """What to do with one message, decided from its headers alone."""

    info: HeaderInfo
    env: Envelope
    kind: Literal["inbound", "owner", "possible", "bounce"]
    thread_id: int | None = None
    contact: ContactRef | None = None
    candidates: list[ContactRef] = field(default_factory=list)
    matched_by: str = ""

    @property
    def needs_body(self) -> bool:
        return self.kind != "possible"


@dataclass
class SyncResult:
    """What one pass over a folder did; ``inbound`` is for the reaction code to act on."""

    folder: str
    role: str
    examined: int = 0
    inbound: list[int] = field(default_factory=list)  # new inbound Message ids
    outbound: list[int] = field(default_factory=list)  # owner-written Message ids
    understood: dict[int, Understanding] = field(default_factory=dict)
    possible: int = 0
    duplicates: int = 0
    skipped: int = 0
    blocked: bool = False  # a transient failure held the UID back: retry soon
    uidvalidity_changed: bool = False
    last_uid: int = 0


class _Unreadable(Exception):
    """The full header parse of a message failed (it never should: belt and braces)."""


def _full(t: Triage) -> Envelope:
    try:
        return t.envelope()
    except Exception as exc:
        raise _Unreadable(repr(exc)) from exc


@dataclass
class _Lookups:
    """Per-batch answers from the store for the Message-IDs a batch mentions."""

    ours: set[str]  # Message-IDs of our outbox
    threads: dict[str, tuple[int | None, int | None]]  # message-id → (thread, contact)
    recorded: set[str]  # Message-IDs already in messages


def _lookups(store: Store, account_id: int, triaged: Sequence[Triage]) -> _Lookups:
    """Two queries per IN_LIST Message-IDs, for the whole batch at once."""
    own = {t.message_id for t in triaged if t.message_id}
    referenced = {m for t in triaged for m in t.referenced_ids}
    ids = list(own | referenced)
    found = _Lookups(set(), {}, set())
    with store.session() as s:
        for part in sync.batched(ids, IN_LIST):
            for mid, thread_id, contact_id in s.execute(
                select(OutboxItem.message_id, OutboxItem.thread_id, OutboxItem.contact_id)
                .where(OutboxItem.account_id == account_id)
                .where(OutboxItem.message_id.in_(part))
            ):
                found.ours.add(mid)
                found.threads[mid] = (thread_id, contact_id)
            for seen_id, thread_id, contact_id in s.execute(
                select(Message.message_id, Message.thread_id, Message.contact_id)
                .where(Message.account_id == account_id)
                .where(Message.message_id.in_(part))
            ):
                if seen_id is None:
                    continue
                found.recorded.add(seen_id)
                if thread_id is not None or seen_id not in found.threads:
                    found.threads[seen_id] = (thread_id, contact_id)
    return found


def plan_batch(
    store: Store,
    account_id: int,
    headers: Sequence[HeaderInfo],
    directory: Directory,
    role: str,
    result: SyncResult,
) -> list[Plan]:
    """The batch's Plans, in UID order; a message already recorded counts as a duplicate."""
    # Only what relevance needs is parsed here; the full Envelope waits for a Plan.
    triaged = []
    for info in headers:
        try:
            triaged.append(sync.triage(info.raw_headers))
        except Exception as exc:  # triage is lenient; this is belt and braces
            log.warning("message skipped: headers unreadable", uid=info.uid, error=repr(exc))
            triaged.append(Triage.unreadable())
    found = _lookups(store, account_id, triaged)
    plans = []
    debug = log.bind()  # bound once per batch: a lazy logger binds on every call
    for info, t in zip(headers, triaged, strict=True):
        try:
            plan = _decide(info, t, directory, found)
        except _Unreadable as exc:
            log.warning("message skipped: headers unreadable", uid=info.uid, error=str(exc))
            continue
        if isinstance(plan, str):
            debug.debug(plan, uid=info.uid, folder_role=role)
            continue
        if t.message_id and t.message_id in found.recorded:
            result.duplicates += 1
            log.info("message already recorded", uid=info.uid, message_id=t.message_id)
            continue
        plans.append(plan)
    return plans


def _decide(info: HeaderInfo, t: Triage, directory: Directory, found: _Lookups) -> Plan | str:
    """A Plan, or why the message is none of our business (a log line). Reads only the
    triage fields (recipients only for the owner's own mail); the full Envelope is parsed
    for a message that gets a Plan."""
    if t.message_id and t.message_id in found.ours:
        return "our own copy"  # in Sent, Drafts, or a server that files it in INBOX
    thread_id, contact_id, matched = None, None, ""
    for mid in t.referenced_ids:
        if mid in found.threads and found.threads[mid][0] is not None:
            thread_id, contact_id = found.threads[mid]
            matched = "in-reply-to" if mid == t.in_reply_to else "references"
            break
    if directory.is_owner(t.from_addr):
        contact = next((c for a in t.recipients if (c := directory.contact(a)) is not None), None)
        if thread_id is None and contact is None:
            return "message not relevant"
        if thread_id is not None and contact_id is not None:
            contact = directory.by_id.get(contact_id, contact)
        return Plan(info, _full(t), "owner", thread_id, contact, matched_by=matched or "recipient")
    contact = directory.contact(t.from_addr)
    if thread_id is not None:
        if contact is None and contact_id is not None:
            contact = directory.by_id.get(contact_id)
        return Plan(info, _full(t), "inbound", thread_id, contact, matched_by=matched)
    if contact is not None:
        return Plan(info, _full(t), "inbound", None, contact, matched_by="address")
    if t.is_dsn or _BOUNCE_SENDER.match(t.from_addr):
        return Plan(info, _full(t), "bounce", matched_by="bounce")
    if t.from_addr and (candidates := directory.possibly(t.from_addr, t.from_name)):
        return Plan(info, _full(t), "possible", candidates=candidates, matched_by="possible")
    return "message not relevant"
