"""The daemon as a process: IDLE wakes it, SIGTERM stops it cleanly, SIGHUP is answered."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from coffeechat.cli import main
from coffeechat.clock import FixedClock
from coffeechat.service.supervisor import Supervisor, backoff_seconds
from coffeechat.store.db import Store
from coffeechat.store.models import ComponentHealth
from servers.configs import OWNER, write_settings
from servers.dovecot import ImapUser
from servers.radicale import DavUser
from servers.smtp import SmtpServer


def cli(path: Path, *args: str) -> str:
    result = CliRunner().invoke(main, ["--config", str(path), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def start_daemon(
    path: Path, now: str, log: Path, notify: Path | None = None
) -> subprocess.Popen[bytes]:
    env = {**os.environ, "COFFEECHAT_LOGGING__FORMAT": "json"}
    if notify is not None:
        env["NOTIFY_SOCKET"] = str(notify)
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "coffeechat", "--config", str(path), "run", "--now", now],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )


def send_outreach(path: Path, smtp_server: SmtpServer) -> str:
    """Ana Ruiz is a contact and has been written to; the outreach's Message-ID."""
    cli(path, "contacts", "add", "--email", "ana@example.org", "--name", "Ana Ruiz",
        "--timezone", "America/New_York")  # fmt: skip
    cli(path, "outreach", "start", "ana@example.org", "--now", "2026-03-02T15:00:00Z")
    cli(path, "run", "--once", "--now", "2026-03-02T16:05:00Z")
    assert len(smtp_server.messages) == 1
    return str(smtp_server.messages[0].message["Message-ID"])


def ana_says_yes(outreach_id: str, message_id: str) -> bytes:
    return (
        f"From: Ana Ruiz <ana@example.org>\r\nTo: <{OWNER}>\r\nSubject: Re: hello\r\n"
        f"Date: Tue, 03 Mar 2026 09:00:00 -0500\r\nMessage-ID: <{message_id}@example.org>\r\n"
        f"In-Reply-To: {outreach_id}\r\n\r\nSure! Thursday at 2pm works.\r\n"
    ).encode()


def invited(smtp_server: SmtpServer, before: int) -> bool:
    """An invitation (text/calendar) went out after the first ``before`` messages."""
    return any(
        m.message.get_content_type() != "text/plain"
        and "text/calendar" in m.data.decode("utf-8", "replace")
        for m in smtp_server.messages[before:]
    )


def wait_for(predicate, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_idle_reply_books_and_sigterm_stops(
    tmp_path: Path,
    imap_user: ImapUser,
    smtp_server: SmtpServer,
    dav_user: DavUser,
    certificate: tuple[Path, Path],
) -> None:
    dav_user.make_calendar("Coffee chats")
    path = write_settings(tmp_path, imap_user, smtp_server, dav_user, certificate[0])
    outreach_id = send_outreach(path, smtp_server)
    # a digest would go out at the daemon's first pass; we only look at the invitation
    log = tmp_path / "daemon.log"
    notify_path = Path(tempfile.mkdtemp(prefix="notify-")) / "n.sock"  # short: AF_UNIX limit
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(notify_path))
    notify.settimeout(20)
    daemon = start_daemon(path, "2026-03-03T14:00:00Z", log, notify_path)
    try:
        assert notify.recv(100) == b"READY=1"  # systemd Type=notify: after IMAP login
        assert b'"ready"' in log.read_bytes(), log.read_text()
        assert wait_for(lambda: log.read_text().count('"watching folder"') == 2, 20)
        before = len(smtp_server.messages)
        reply = ana_says_yes(outreach_id, "idle-reply")
        t0 = time.monotonic()
        imap_user.deliver(reply)
        assert wait_for(lambda: invited(smtp_server, before), 20), log.read_text()[-3000:]
        latency = time.monotonic() - t0
        assert latency < 10, latency
        t1 = time.monotonic()
        daemon.send_signal(signal.SIGHUP)
        time.sleep(0.3)
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=10) == 0
        assert time.monotonic() - t1 < 10.5
        assert notify.recv(100) == b"STOPPING=1"
    finally:
        notify.close()
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()
    text = log.read_text()
    assert '"stopped"' in text
    assert "reload.unchanged" in text
    assert "secret" not in text  # no password in the logs


def test_sighup_applies_changed_settings_live(
    tmp_path: Path,
    imap_user: ImapUser,
    smtp_server: SmtpServer,
    dav_user: DavUser,
    certificate: tuple[Path, Path],
) -> None:
    """A broken file changes nothing; a fixed one moves the watcher to another folder and a
    reply landing there is booked, all without a restart."""
    dav_user.make_calendar("Coffee chats")
    path = write_settings(tmp_path, imap_user, smtp_server, dav_user, certificate[0])
    good = path.read_text()
    outreach_id = send_outreach(path, smtp_server)
    with imap_user.client() as c:
        c.create_folder("Replies")
    log = tmp_path / "daemon.log"
    daemon = start_daemon(path, "2026-03-03T14:00:00Z", log)
    try:
        assert wait_for(lambda: log.read_text().count('"watching folder"') == 2, 20)
        path.write_text(good.replace("[schedule]", "[schedule]\nslots_to_offer = 99", 1))
        daemon.send_signal(signal.SIGHUP)
        assert wait_for(lambda: b"reload.invalid" in log.read_bytes(), 10), log.read_text()
        assert "slots_to_offer" in log.read_text()  # the error names the key
        path.write_text(good.replace("[imap]\n", '[imap]\nfolder = "Replies"\n', 1))
        daemon.send_signal(signal.SIGHUP)
        assert wait_for(lambda: b"imap.restarting" in log.read_bytes(), 10), log.read_text()
        assert wait_for(lambda: b'"folder": "Replies"' in log.read_bytes(), 10), log.read_text()
        before = len(smtp_server.messages)
        reply = ana_says_yes(outreach_id, "moved")
        imap_user.append("Replies", reply)

        assert wait_for(lambda: invited(smtp_server, before), 20), log.read_text()[-3000:]
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=10) == 0
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()
    text = log.read_text()
    assert '"reload.applied"' in text and '"sections": ["imap"]' in text
    assert "reload.needs_restart" not in text


def test_backoff_grows_and_is_capped() -> None:
    import random

    rng = random.Random(1)
    assert backoff_seconds(0) == 0
    values = [backoff_seconds(n, base=1, cap=60, rng=rng) for n in range(1, 12)]
    assert 0.5 <= values[0] <= 1
    assert all(v <= 60 for v in values)
    assert values[-1] >= 30


def test_supervisor_restarts_a_crashed_task_and_marks_it_unhealthy(sqlite_url: str) -> None:
    store = Store(sqlite_url)
    clock = FixedClock(datetime(2026, 3, 2, 12, tzinfo=UTC))
    with store.session() as s:
        account = store.account(s, "me@example.org", "me@example.org").id
    runs: list[int] = []

    async def scenario() -> None:
        stop = asyncio.Event()

        async def flaky() -> None:
            runs.append(1)
            if len(runs) < 3:
                raise RuntimeError("boom")
            stop.set()

        sup = Supervisor(store, account, clock, stop, base_backoff=0.01)
        sup.add("flaky", flaky)
        await asyncio.wait_for(sup.run(), 10)

    asyncio.run(scenario())
    assert len(runs) == 3
    with store.session() as s:
        health = s.query(ComponentHealth).filter_by(component="flaky").one()
        assert health.failing_since == clock.now()
        assert "boom" in health.last_error
    store.close()


@pytest.mark.parametrize(
    "args", [["run", "--now", "yesterday"], ["run", "--now", "2026-03-02T10:00"]]
)
def test_bad_now_is_a_usage_error(tmp_path: Path, args: list[str]) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[owner]\nname='A'\nemail='a@example.org'\n")
    result = CliRunner().invoke(main, ["--config", str(path), *args])
    assert result.exit_code == 2


@pytest.mark.parametrize("delay", [0.2, 0.5, 2.0])
def test_sigterm_at_any_moment_of_start_up_exits_0(tmp_path: Path, delay: float) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        "[owner]\nname='A'\nemail='a@example.org'\n"
        f"[database]\nurl='sqlite:///{tmp_path / 's.sqlite3'}'\n"
    )
    proc = start_daemon(path, "2026-03-02T10:00:00Z", tmp_path / "log")
    time.sleep(delay)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0, (tmp_path / "log").read_text()
