"""The disk holding the log is full: every write of a log line fails with ENOSPC. The daemon
keeps working (logging is never a reason to lose or repeat work) and stops cleanly."""

from __future__ import annotations

import asyncio
import errno
from datetime import timedelta
from pathlib import Path

from coffeechat.clock import FixedClock
from coffeechat.logsetup import configure_logging
from coffeechat.service.daemon import Daemon
from coffeechat.settings import load_settings
from servers.dovecot import ImapUser
from servers.radicale import DavUser
from servers.smtp import SmtpServer

from .harness import TUESDAY, DaemonProcess, SmallWorld, wait_for

DEV_FULL = Path("/dev/full")  # every write: ENOSPC, no mount privileges needed


class FullDisk:
    """A text stream on a full disk."""

    def __init__(self) -> None:
        self.attempts = 0

    def write(self, _text: str) -> int:
        self.attempts += 1
        raise OSError(errno.ENOSPC, "No space left on device")

    def flush(self) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    def isatty(self) -> bool:
        return False


def test_daemon_with_its_log_on_a_full_disk_keeps_working(
    tmp_path: Path,
    imap_user: ImapUser,
    smtp_server: SmtpServer,
    dav_user: DavUser,
    certificate: tuple[Path, Path],
) -> None:
    assert DEV_FULL.exists()
    world = SmallWorld.build(tmp_path, imap_user, smtp_server, dav_user, certificate[0], 2)
    before = len(smtp_server.messages)
    proc = DaemonProcess(world.path, TUESDAY, tmp_path / "unused.log", stdout=DEV_FULL)
    proc.spawn()
    try:
        for n in range(2):
            imap_user.deliver(world.reply(n))
        assert wait_for(lambda: all(world.sent_to(n, "invitation") for n in range(2)), 30)
        assert proc.alive()
        assert proc.terminate() == 0
    finally:
        proc.close()
    for n in range(2):
        assert len(world.sent_to(n, "invitation")) == 1
    assert len(smtp_server.messages) - before == 3  # two invitations and the day's digest


def test_one_pass_with_a_full_log_stream_completes(
    tmp_path: Path,
    imap_user: ImapUser,
    smtp_server: SmtpServer,
    dav_user: DavUser,
    certificate: tuple[Path, Path],
) -> None:
    world = SmallWorld.build(tmp_path, imap_user, smtp_server, dav_user, certificate[0], 1)
    full = FullDisk()
    configure_logging("debug", "json", stream=full)
    imap_user.deliver(world.reply(0))
    daemon = Daemon(load_settings(world.path), FixedClock(TUESDAY + timedelta(minutes=5)))
    daemon.open()
    try:
        assert asyncio.run(daemon.run_once()) == 0
    finally:
        daemon.close()
        assert daemon.store is not None
        daemon.store.close()
    assert full.attempts > 0  # it did try to log
    assert len(world.sent_to(0, "invitation")) == 1
