"""Once a day, across restarts and DST; skipped when empty unless digest_always; delivered."""

from __future__ import annotations

import asyncio
import email
import email.policy
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from digest_seed import NOW, demo_settings, populate
from sqlalchemy import func, select

from coffeechat.clock import FixedClock
from coffeechat.domain.states import OutboxKind, OutboxState
from coffeechat.service.digest import queue_daily_digest, render_digest_for_cli, send_digest_now
from coffeechat.settings import Settings, settings_from_mapping
from coffeechat.store.db import Store
from coffeechat.store.models import ComponentHealth, OutboxItem
from servers.smtp import SmtpServer


def digest_rows(url: str) -> list[OutboxItem]:
    store = Store(url)
    try:
        with store.session() as s:
            return list(
                s.scalars(
                    select(OutboxItem)
                    .where(OutboxItem.kind == OutboxKind.DIGEST)
                    .order_by(OutboxItem.idempotency_key)
                ).all()
            )
    finally:
        store.close()


def run_once(url: str, settings: Settings, at: datetime) -> bool:
    """One daemon 'process': its own Store (engine, pool), then gone, as after a restart."""
    store = Store(url)
    try:
        return queue_daily_digest(store, settings, FixedClock(at))
    finally:
        store.close()


def quiet_settings(**schedule: object) -> Settings:
    """An owner with nothing going on, reading the digest at ``digest_at`` in Berlin."""
    return settings_from_mapping(
        {
            "owner": {"name": "Alex", "email": "alex@example.org", "timezone": "Europe/Berlin"},
            "schedule": {"digest_at": "08:00", **schedule},
        }
    )


def test_a_restart_at_the_send_minute_sends_one(store_url: str) -> None:
    settings = demo_settings()
    store = Store(store_url)
    populate(store, settings)
    store.close()
    today = [r for r in digest_rows(store_url) if r.idempotency_key.endswith("2026-06-09")]
    assert today == []

    assert run_once(store_url, settings, NOW - timedelta(seconds=1)) is False  # 07:59:59
    assert run_once(store_url, settings, NOW + timedelta(seconds=5)) is True
    assert run_once(store_url, settings, NOW + timedelta(seconds=40)) is False  # restarted
    assert run_once(store_url, settings, NOW + timedelta(hours=9)) is False  # later that day
    rows = [r for r in digest_rows(store_url) if r.idempotency_key.endswith(":2026-06-09")]
    assert len(rows) == 1
    (row,) = rows
    assert row.state == OutboxState.QUEUED
    assert row.recipients == ["alex@example.org"]
    assert row.subject == "coffeechat: 5 need you, 1 meeting today, CalDAV read failing"
    msg = email.message_from_bytes(row.raw, policy=email.policy.default)
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg.get_content_type() == "multipart/alternative"

    # The next day is a new digest, covering only what happened since this one.
    assert run_once(store_url, settings, NOW + timedelta(days=1)) is True
    assert len(digest_rows(store_url)) == 4  # two from the seed, today's, tomorrow's


def test_two_processes_at_the_same_minute_queue_one(store_url: str) -> None:
    settings = quiet_settings(digest_always=True)
    # Two engines on one database, opened one after the other (Alembic is not thread-safe),
    # then racing to queue the same day's digest.
    stores = [Store(store_url), Store(store_url)]
    with stores[0].session() as s:  # the daemon's start creates the account
        stores[0].account(s, "alex@example.org", "alex@example.org")
    start = threading.Barrier(2)
    results: list[bool] = []
    errors: list[BaseException] = []

    def process(store: Store, offset: int) -> None:
        start.wait()
        try:
            clock = FixedClock(NOW + timedelta(seconds=offset))
            results.append(queue_daily_digest(store, settings, clock))
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=process, args=(st, i)) for i, st in enumerate(stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    for st in stores:
        st.close()
    assert errors == []
    assert sorted(results) == [False, True]
    assert len(digest_rows(store_url)) == 1


def test_spring_forward_day_goes_once(store_url: str) -> None:
    # 29 March 2026 in Berlin: 02:30 does not exist; the digest goes at the jump (03:00 CEST).
    settings = quiet_settings(digest_at="02:30", digest_always=True)
    jump = datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert run_once(store_url, settings, jump - timedelta(minutes=1)) is False
    assert run_once(store_url, settings, jump) is True
    assert run_once(store_url, settings, jump + timedelta(seconds=30)) is False
    assert run_once(store_url, settings, jump + timedelta(hours=1)) is False
    assert [r.idempotency_key.rsplit(":", 1)[1] for r in digest_rows(store_url)] == ["2026-03-29"]


def test_fall_back_day_goes_once_though_02_30_happens_twice(store_url: str) -> None:
    settings = quiet_settings(digest_at="02:30", digest_always=True)
    first = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST
    second = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 02:30 CET
    assert run_once(store_url, settings, first) is True
    assert run_once(store_url, settings, second) is False
    assert len(digest_rows(store_url)) == 1


def test_nothing_to_say_is_skipped_once_unless_digest_always(sqlite_url: str) -> None:
    at = datetime(2026, 6, 9, 6, 0, tzinfo=UTC)
    assert run_once(sqlite_url, quiet_settings(), at) is False
    (row,) = digest_rows(sqlite_url)
    assert row.state == OutboxState.CANCELLED  # decided once for the day, nothing sent
    assert "nothing to say" in row.last_error
    assert run_once(sqlite_url, quiet_settings(digest_always=True), at) is False  # same day

    tomorrow = at + timedelta(days=1)
    assert run_once(sqlite_url, quiet_settings(digest_always=True), tomorrow) is True
    sent = digest_rows(sqlite_url)[-1]
    assert sent.state == OutboxState.QUEUED
    assert sent.subject == "coffeechat: all quiet"


def test_a_failure_alone_is_worth_a_digest(sqlite_url: str) -> None:
    settings = quiet_settings()
    store = Store(sqlite_url)
    with store.session() as s:
        acct = store.account(s, "alex@example.org", "alex@example.org")
        s.add(
            ComponentHealth(
                account_id=acct.id,
                component="imap",
                failing_since=NOW - timedelta(hours=3),
                last_error="timed out",
            )
        )
    store.close()
    assert run_once(sqlite_url, settings, NOW) is True


def test_cli_helpers(sqlite_url: str) -> None:
    settings = demo_settings()
    store = Store(sqlite_url)
    populate(store, settings)
    clock = FixedClock(NOW + timedelta(hours=1))
    rendered = render_digest_for_cli(store, settings, clock)
    assert rendered.subject.startswith("coffeechat: 5 need you")
    assert "NEEDS YOU (5)" in rendered.text and "<!DOCTYPE html>" in rendered.html
    first = send_digest_now(store, settings, clock)
    clock.advance(timedelta(minutes=1))
    second = send_digest_now(store, settings, clock)
    assert first != second  # --send always sends; it never blocks the daily one
    with store.session() as s:
        assert s.scalar(select(func.count()).where(OutboxItem.kind == "digest")) == 4
    store.close()


def test_the_sender_delivers_it_to_the_owner(
    sqlite_url: str, smtp_server: SmtpServer, certificate: tuple[Path, Path]
) -> None:
    settings = settings_from_mapping(
        {
            "owner": {"name": "Alex", "email": "alex@example.org", "timezone": "Europe/Berlin"},
            "schedule": {"digest_at": "08:00", "digest_always": True},
            "smtp": {
                "host": "127.0.0.1",
                "port": smtp_server.port,
                "security": "starttls",
                "username": "alice",
                "password": "secret",
                "ca_file": str(certificate[0]),
                "timeout_seconds": 5,
            },
        }
    )
    from coffeechat.service.sender import send_due

    store = Store(sqlite_url)
    clock = FixedClock(NOW)
    assert queue_daily_digest(store, settings, clock) is True
    asyncio.run(send_due(store, settings, clock))
    store.close()
    (got,) = smtp_server.messages
    assert got.rcpt_tos == ["alex@example.org"]
    msg = got.message
    assert msg["Subject"] == "coffeechat: all quiet"
    assert msg["Auto-Submitted"] == "auto-generated"
    assert {p.get_content_type() for p in msg.iter_parts()} == {"text/plain", "text/html"}
    (row,) = digest_rows(sqlite_url)
    assert row.state in (OutboxState.SENT, OutboxState.FILED)
