"""Outbox throughput: N queued emails sent by ``send_due`` (one SMTP connection, reused for the
whole batch, every row moved through its committed states in SQLite) against the obvious
baseline, one aiosmtplib connection per email (connect, STARTTLS, AUTH, send, QUIT), and a
bare reused aiosmtplib connection with no store at all (the ceiling).

The receiver is aiosmtpd in this process (tests/servers/smtp.py), STARTTLS + AUTH required.
No IMAP is configured, so sent copies are not filed in Sent (that is a separate cost).
"""

from __future__ import annotations

import asyncio
import ssl
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import aiosmtplib

from bench.common import OWNER, BenchEnv, Row, quiet_logging, wait_until
from bench.seed import (
    bulk_contacts,
    bulk_outbox,
    bulk_threads,
    make_settings,
    outbox_row,
    outreach_raw,
    thread_row,
)
from coffeechat.clock import FixedClock
from coffeechat.service.sender import send_due
from coffeechat.settings import SmtpSettings
from coffeechat.store.db import Store
from servers.smtp import SmtpServer

NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # Wednesday 10:00 in New York: inside the window


def _queue(store: Store, account_id: int, count: int) -> list[tuple[str, bytes]]:
    created = NOW - timedelta(days=1)
    people = bulk_contacts(store, account_id, count, created=created)
    thread_ids = bulk_threads(
        store, [thread_row(account_id, cid, "outreach_queued", created) for cid, _, _ in people]
    )
    rows, mails = [], []
    for (cid, addr, name), tid in zip(people, thread_ids, strict=True):
        mid = f"cc.send{tid}@example.test"
        raw = outreach_raw(mid, addr, name, NOW)
        rows.append(
            outbox_row(account_id, thread_id=tid, contact_id=cid, key=f"thread:{tid}:outreach:1",
                       message_id=mid, to=addr, raw=raw, state="queued",
                       due_at=NOW - timedelta(minutes=1))
        )  # fmt: skip
        mails.append((addr, raw))
    bulk_outbox(store, rows)
    return mails


async def _per_connection(
    smtp: SmtpServer, ctx: ssl.SSLContext, mails: list[tuple[str, bytes]]
) -> float:
    t0 = time.perf_counter()
    for addr, raw in mails:
        await aiosmtplib.send(
            raw,
            sender=OWNER,
            recipients=[addr],
            hostname="127.0.0.1",
            port=smtp.port,
            start_tls=True,
            tls_context=ctx,
            username=smtp.username,
            password=smtp.password,
            timeout=30,
        )
    return time.perf_counter() - t0


async def _reused(smtp: SmtpServer, ctx: ssl.SSLContext, mails: list[tuple[str, bytes]]) -> float:
    t0 = time.perf_counter()
    client = aiosmtplib.SMTP(
        hostname="127.0.0.1", port=smtp.port, start_tls=True, tls_context=ctx, timeout=30
    )
    await client.connect()
    try:
        await client.login(smtp.username, smtp.password)
        for addr, raw in mails:
            await client.sendmail(OWNER, [addr], raw)
    finally:
        await client.quit()
    return time.perf_counter() - t0


def run(env: BenchEnv, emails: int) -> dict[str, Any]:
    quiet_logging()
    smtp = env.smtp()
    cert = env.cert[0]
    work = env.workdir(f"outbox-{emails}")
    url = f"sqlite:///{work / 'store.sqlite3'}"
    settings = make_settings(
        url,
        smtp=SmtpSettings(
            host="127.0.0.1",
            port=smtp.port,
            security="starttls",
            username=smtp.username,
            password=smtp.password,
            ca_file=cert,
            timeout_seconds=30,
        ),
        max_per_hour=1000,
    )
    store = Store(url)
    try:
        with store.session() as s:
            account_id = store.account(s, settings.owner.email.lower(), settings.owner.email).id
        mails = _queue(store, account_id, emails)
        clock = FixedClock(NOW)
        t0 = time.perf_counter()
        report = asyncio.run(send_due(store, settings, clock, limit=emails, account_id=account_id))
        ours = time.perf_counter() - t0
    finally:
        store.close()
    if report.sent != emails:
        raise RuntimeError(f"send_due sent {report.sent} of {emails}: {report}")
    ctx = ssl.create_default_context(cafile=str(cert))
    per_conn = asyncio.run(_per_connection(smtp, ctx, mails))
    reused = asyncio.run(_reused(smtp, ctx, mails))
    if not wait_until(lambda: len(smtp.messages) >= 3 * emails, 10):
        raise RuntimeError(f"the receiver got {len(smtp.messages)} of {3 * emails} emails")
    return {
        "emails": emails,
        "outbox_emails_per_s": round(emails / ours, 1),
        "per_connection_emails_per_s": round(emails / per_conn, 1),
        "bare_reused_emails_per_s": round(emails / reused, 1),
    }


def rows(f: dict[str, Any]) -> list[Row]:
    return [
        Row(
            f"outbox send_due, {f['emails']} emails, one connection",
            f["outbox_emails_per_s"],
            "email/s",
            f["per_connection_emails_per_s"],
            "aiosmtplib, one connection per email",
            "> baseline",
            f["outbox_emails_per_s"] > f["per_connection_emails_per_s"],
            note=f"bare reused aiosmtplib connection, no store: "
            f"{f['bare_reused_emails_per_s']} email/s",
        )
    ]
