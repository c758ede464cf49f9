"""Fast store and mailbox seeding for the benchmarks (bulk SQL inserts, Maildir file drop)."""

from __future__ import annotations

import random
import subprocess
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from bench.common import OWNER, OWNER_NAME, OWNER_TZ
from coffeechat.settings import (
    DatabaseSettings,
    ImapSettings,
    OwnerSettings,
    SendingSettings,
    Settings,
    SmtpSettings,
)
from coffeechat.store.db import Store
from coffeechat.store.models import Contact, OutboxItem, Thread

CHUNK = 5_000  # rows per executemany


def make_settings(
    db_url: str,
    *,
    imap: ImapSettings | None = None,
    smtp: SmtpSettings | None = None,
    max_per_hour: int = 1000,
) -> Settings:
    return Settings(
        owner=OwnerSettings(name=OWNER_NAME, email=OWNER, timezone=OWNER_TZ, signature="Maya"),
        imap=imap,
        smtp=smtp,
        database=DatabaseSettings(url=db_url),
        sending=SendingSettings(max_per_hour=max_per_hour),
    )


def outreach_raw(message_id: str, to: str, name: str, when: datetime) -> bytes:
    """A small, well-formed outreach email as the outbox stores it."""
    return (
        f"From: {OWNER_NAME} <{OWNER}>\r\nTo: {name} <{to}>\r\n"
        f"Subject: Quick question about your path into research\r\n"
        f"Date: {format_datetime(when)}\r\nMessage-ID: <{message_id}>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        f"Hi {name.split()[0]},\r\n\r\nI'm moving into UX research and your talk stayed with "
        "me. Would you have 20 minutes for a call in the next couple of weeks?\r\n\r\n"
        "Thanks,\r\nMaya\r\n"
    ).encode()


@dataclass(frozen=True)
class SeededContact:
    id: int
    email: str
    name: str
    thread_id: int
    outreach_message_id: str


def _chunks(
    rows: Sequence[dict[str, Any]], size: int = CHUNK
) -> Iterable[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def bulk_contacts(
    store: Store,
    account_id: int,
    count: int,
    *,
    created: datetime,
    domain_of: Any = None,
) -> list[tuple[int, str, str]]:
    """``count`` contacts (id, email, name), inserted with executemany."""
    rows = []
    for i in range(count):
        domain = domain_of(i) if domain_of else f"firm{i}.example"
        rows.append(
            {
                "account_id": account_id,
                "email": f"person{i}@{domain}",
                "name": f"Pat{i} Rivera{i}",
                "company": f"Firm {i % 997}",
                "role": "Research lead",
                "how_found": "a talk",
                "notes": "",
                "timezone": OWNER_TZ,
                "status": "active",
                "status_reason": "",
                "do_not_contact": False,
                "created_at": created,
                "updated_at": created,
            }
        )
    with store.session() as s:
        for part in _chunks(rows):
            s.execute(insert(Contact), list(part))
        found = s.execute(
            select(Contact.id, Contact.email, Contact.name)
            .where(Contact.account_id == account_id)
            .order_by(Contact.id)
        ).all()
    return [(r.id, r.email, r.name) for r in found]


def bulk_threads(store: Store, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert thread rows (dicts of Thread columns); returns their ids in order."""
    with store.session() as s:
        before = s.scalar(select(Thread.id).order_by(Thread.id.desc()).limit(1)) or 0
        for part in _chunks(rows):
            s.execute(insert(Thread), list(part))
        return list(s.scalars(select(Thread.id).where(Thread.id > before).order_by(Thread.id)))


def bulk_outbox(store: Store, rows: Sequence[dict[str, Any]]) -> None:
    with store.session() as s:
        for part in _chunks(rows):
            s.execute(insert(OutboxItem), list(part))


def thread_row(
    account_id: int, contact_id: int, state: str, created: datetime, **extra: Any
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "account_id": account_id,
        "contact_id": contact_id,
        "state": state,
        "subject": "Quick question about your path into research",
        "employer_key": "",
        "followups_sent": 0,
        "paused_until": None,
        "human_takeover": False,
        "offered_slots": [],
        "first_outbound_at": None,
        "last_outbound_at": None,
        "last_inbound_at": None,
        "last_exchange_at": None,
        "created_at": created,
        "updated_at": created,
    }
    row.update(extra)
    return row


def outbox_row(
    account_id: int,
    *,
    thread_id: int | None,
    contact_id: int | None,
    key: str,
    message_id: str,
    to: str,
    raw: bytes,
    state: str,
    due_at: datetime,
    kind: str = "outreach",
    sent_at: datetime | None = None,
) -> dict[str, Any]:
    return {
        "account_id": account_id,
        "thread_id": thread_id,
        "contact_id": contact_id,
        "kind": kind,
        "idempotency_key": key,
        "message_id": message_id,
        "recipients": [to],
        "subject": "Quick question about your path into research",
        "raw": raw,
        "state": state,
        "due_at": due_at,
        "attempts": 1 if sent_at else 0,
        "last_error": "",
        "lease_owner": None,
        "lease_until": None,
        "sent_at": sent_at,
        "created_at": due_at,
        "updated_at": due_at,
    }


def contacts_with_sent_outreach(
    store: Store, account_id: int, count: int, *, sent: datetime
) -> list[SeededContact]:
    """``count`` contacts, each with a thread in outreach_sent and its sent outreach row: the
    store a mailbox's replies can thread onto."""
    created = sent - timedelta(days=1)
    contacts = bulk_contacts(store, account_id, count, created=created)
    thread_ids = bulk_threads(
        store,
        [
            thread_row(
                account_id,
                cid,
                "outreach_sent",
                created,
                first_outbound_at=sent,
                last_outbound_at=sent,
            )
            for cid, _email, _name in contacts
        ],
    )
    out, rows = [], []
    for (cid, addr, name), tid in zip(contacts, thread_ids, strict=True):
        mid = f"cc.bench{tid}@example.test"
        rows.append(
            outbox_row(
                account_id,
                thread_id=tid,
                contact_id=cid,
                key=f"thread:{tid}:outreach:1",
                message_id=mid,
                to=addr,
                raw=outreach_raw(mid, addr, name, sent),
                state="filed",
                due_at=sent,
                sent_at=sent,
            )
        )
        out.append(SeededContact(cid, addr, name, tid, mid))
    bulk_outbox(store, rows)
    return out


# ---------------------------------------------------------------- mailboxes

_WORDS = (
    "research", "design", "team", "product", "interview", "user", "study", "insight",
    "roadmap", "launch", "quarter", "review", "meeting", "update", "newsletter", "offer",
    "discount", "members", "event", "webinar", "invoice", "receipt", "order", "shipping",
    "account", "security", "notice", "weekly", "digest", "community", "release", "survey",
)  # fmt: skip


def _filler(rng: random.Random, size: int) -> str:
    words: list[str] = []
    length = 0
    while length < size:
        line = " ".join(rng.choice(_WORDS) for _ in range(11))
        words.append(line)
        length += len(line) + 2
    return "\r\n".join(words)


def _paragraphs(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    return [_filler(rng, rng.randint(2600, 4600)) for _ in range(count)]


def mailbox_message(
    i: int, when: datetime, body: str, *, contact: SeededContact | None = None
) -> bytes:
    """Message number ``i``: a reply from ``contact`` (threaded onto its outreach), or bulk
    mail from a stranger (newsletters, receipts, notifications: most of an inbox)."""
    date = format_datetime(when)
    if contact is not None:
        return (
            f"Return-Path: <{contact.email}>\r\n"
            f"Received: from mx.example.net by mail.example.test; {date}\r\n"
            f"From: {contact.name} <{contact.email}>\r\nTo: {OWNER_NAME} <{OWNER}>\r\n"
            f"Subject: Re: Quick question about your path into research\r\nDate: {date}\r\n"
            f"Message-ID: <reply{i}.{contact.id}@mail.example.org>\r\n"
            f"In-Reply-To: <{contact.outreach_message_id}>\r\n"
            f"References: <{contact.outreach_message_id}>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            "Hi Maya,\r\n\r\nHappy to help. Thursday at 2pm works for me.\r\n\r\n"
            f"{contact.name.split()[0]}\r\n\r\n> Would you have 20 minutes for a call?\r\n"
        ).encode()
    sender = f"news{i % 4000}@list{i % 600}.example.net"
    return (
        f"Return-Path: <{sender}>\r\n"
        f"Received: from mx{i % 7}.example.net by mail.example.test; {date}\r\n"
        f"From: Weekly Update {i % 4000} <{sender}>\r\nTo: {OWNER_NAME} <{OWNER}>\r\n"
        f"Subject: Your weekly update #{i}\r\nDate: {date}\r\n"
        f"Message-ID: <m{i}.{i * 7919 % 100003}@list{i % 600}.example.net>\r\n"
        f"List-Id: <list{i % 600}.example.net>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        f"{body}\r\n"
    ).encode()


def drop_maildir(
    maildir: Path,
    count: int,
    *,
    relevant: Sequence[SeededContact] = (),
    start: datetime | None = None,
) -> int:
    """Write ``count`` messages straight into ``maildir/cur`` (unseen), replies from
    ``relevant`` spread evenly among them; chown the tree to dovecot. Returns bytes written.
    The fast route of shared/notes/test-servers.md: no IMAP involved; the first SELECT
    indexes the files."""
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    start = start or datetime(2025, 1, 1, tzinfo=UTC)
    bodies = _paragraphs(64)
    every = max(1, count // len(relevant)) if relevant else 0
    stamp = int(time.time())
    total = 0
    cur = maildir / "cur"
    for i in range(count):
        contact = None
        if every and i % every == every // 2 and i // every < len(relevant):
            contact = relevant[i // every]
        raw = mailbox_message(
            i, start + timedelta(minutes=5 * i), bodies[i % len(bodies)], contact=contact
        )
        name = f"{stamp}.M{i}P1.bench,S={len(raw)}:2,"
        (cur / name).write_bytes(raw)
        total += len(raw)
    home = maildir.parent
    subprocess.run(["chown", "-R", "dovecot:dovecot", str(home)], check=True)
    return total
