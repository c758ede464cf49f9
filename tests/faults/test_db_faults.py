"""The store misbehaves under the daemon: SQLite locked by another writer, PostgreSQL's
connection killed in the middle of a transaction. Nothing is lost; the work resumes."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from coffeechat.clock import FixedClock
from coffeechat.service import thread_mail
from coffeechat.service.daemon import Daemon
from coffeechat.settings import load_settings
from servers.dovecot import ImapUser
from servers.radicale import DavUser
from servers.smtp import SmtpServer

from .harness import TUESDAY, DaemonProcess, SmallWorld, wait_for

HOLD_SECONDS = 3.0


def test_sqlite_locked_by_another_writer_the_daemon_waits_and_loses_nothing(
    tmp_path: Path,
    imap_user: ImapUser,
    smtp_server: SmtpServer,
    dav_user: DavUser,
    certificate: tuple[Path, Path],
) -> None:
    world = SmallWorld.build(tmp_path, imap_user, smtp_server, dav_user, certificate[0], 3)
    proc = DaemonProcess(world.path, TUESDAY, tmp_path / "daemon.log")
    proc.spawn()
    blocker = sqlite3.connect(tmp_path / "store.sqlite3", timeout=10, isolation_level=None)
    try:
        assert wait_for(lambda: proc.text().count('"event": "watching folder"') >= 2, 20)
        time.sleep(1.0)  # IDLE
        blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        for n in range(3):
            imap_user.deliver(world.reply(n))
        time.sleep(HOLD_SECONDS)  # the daemon sees the mail and waits on the lock
        assert not any(world.sent_to(n, "invitation") for n in range(3))
        blocker.execute("COMMIT")
        assert wait_for(lambda: all(world.sent_to(n, "invitation") for n in range(3)), 30), (
            proc.text()[-3000:]
        )
        time.sleep(1.0)
        assert proc.terminate() == 0
    finally:
        blocker.close()
        proc.close()
    for n in range(3):
        assert len(world.sent_to(n, "invitation")) == 1
    assert sum(world.events().values()) == 3
    assert "Traceback" not in proc.text()


@pytest.mark.postgres
def test_postgres_connection_killed_mid_transaction_recovers_on_the_next_pass(
    tmp_path: Path,
    imap_user: ImapUser,
    smtp_server: SmtpServer,
    dav_user: DavUser,
    certificate: tuple[Path, Path],
    pg_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import psycopg

    app = f"coffeechat-fault-{tmp_path.name[-12:]}"
    url = f"{pg_url}&application_name={app}"
    world = SmallWorld.build(
        tmp_path, imap_user, smtp_server, dav_user, certificate[0], 2, database_url=url
    )
    plain = pg_url.split("?")[0].replace("postgresql+psycopg://", "postgresql://")
    killed: list[int] = []
    real = thread_mail.queue_thread_email

    def terminate_then_queue(session: Any, *args: Any, **kwargs: Any) -> Any:
        """Inside the booking transaction (meeting row written, invitation next): the
        connection dies, as when the server restarts or a proxy drops it."""
        if not killed:
            with psycopg.connect(plain, autocommit=True) as admin:
                rows = admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = %s AND state = 'idle in transaction'",
                    (app,),
                ).fetchall()
            killed.append(len(rows))
        return real(session, *args, **kwargs)

    monkeypatch.setattr(thread_mail, "queue_thread_email", terminate_then_queue)
    settings = load_settings(world.path)
    clock = FixedClock(TUESDAY)
    daemon = Daemon(settings, clock)
    daemon.open()
    try:
        for n in range(2):
            imap_user.deliver(world.reply(n))
        daemon.inbox_once()
        daemon.work_once()  # the first booking loses its connection mid-transaction
        assert killed == [1], killed
        asyncio.run(daemon.send_once())
        assert sum(len(world.sent_to(n, "invitation")) for n in range(2)) == 1
        clock.advance(timedelta(minutes=1))
        asyncio.run(daemon.run_once())  # the next pass: a fresh connection, the booking again
        clock.advance(timedelta(minutes=1))
        asyncio.run(daemon.run_once())
    finally:
        daemon.close()
        assert daemon.store is not None
        daemon.store.close()
    for n in range(2):
        assert len(world.sent_to(n, "invitation")) == 1, n
    assert sum(world.events().values()) == 2
