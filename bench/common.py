"""What every benchmark shares: the servers (reused from tests/servers), temp dirs, timing
helpers and the table row type.

The servers are the test fixtures' own classes (``tests/servers``), started lazily by
``BenchEnv`` and always stopped by ``BenchEnv.close`` (also on Ctrl-C). Everything listens on
127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))  # the test fixtures' server classes, reused as they are

from servers.dovecot import DovecotServer, dovecot_available  # noqa: E402
from servers.ports import make_certificate  # noqa: E402
from servers.radicale import RadicaleServer  # noqa: E402
from servers.smtp import SmtpServer  # noqa: E402

OWNER = "maya@example.test"
OWNER_NAME = "Maya Chen"
OWNER_TZ = "America/New_York"


# ---------------------------------------------------------------- table rows


@dataclass(frozen=True)
class Row:
    """One line of the table: a figure, its baseline and target, and whether it passed."""

    figure: str
    value: float | None
    unit: str
    baseline: float | None = None
    baseline_label: str = ""
    target: str = ""
    ok: bool | None = None  # None: no target
    higher_is_better: bool = True
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.baseline:
            return None
        return self.value / self.baseline


# ---------------------------------------------------------------- numbers


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100), as numpy's default."""
    if not values:
        return math.nan
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else math.nan


def time_call(fn: Callable[[], Any], rounds: int, warmup: int = 1) -> list[float]:
    """Wall times of ``rounds`` calls (after ``warmup`` untimed ones), in seconds."""
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.01) -> bool:
    """Poll ``predicate`` until it holds or ``timeout`` seconds pass (bounded in time)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def rss_mb() -> tuple[float, float]:
    """(current RSS, peak RSS) of this process in MB, from /proc/self/status."""
    now = peak = math.nan
    with contextlib.suppress(OSError), Path("/proc/self/status").open() as f:
        for line in f:
            if line.startswith("VmRSS:"):
                now = int(line.split()[1]) / 1024
            elif line.startswith("VmHWM:"):
                peak = int(line.split()[1]) / 1024
    return now, peak


_DEVNULL: list[Any] = []  # one handle for the whole run, never closed (nor collected)


def quiet_logging() -> None:
    """The daemon's own structlog setup at level info, written to /dev/null: log calls cost
    what they cost in production, and the bench's output stays a table."""
    from coffeechat.logsetup import configure_logging

    if not _DEVNULL:
        _DEVNULL.append(open(os.devnull, "w"))  # noqa: SIM115
    configure_logging("info", "json", stream=_DEVNULL[0])


# ---------------------------------------------------------------- servers


class BenchEnv:
    """Temp dirs and servers for one run; ``close`` stops and removes everything."""

    def __init__(self) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="coffeechat-bench-", dir="/tmp"))
        self.tmp.chmod(0o755)
        self._cert: tuple[Path, Path] | None = None
        self._dovecot: DovecotServer | None = None
        self._dovecot_sdbox: DovecotServer | None = None
        self._radicale: RadicaleServer | None = None
        self._smtp: list[SmtpServer] = []
        self._cleanup: list[Callable[[], None]] = []
        self._processes: list[subprocess.Popen[bytes]] = []

    def __enter__(self) -> BenchEnv:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def workdir(self, name: str) -> Path:
        d = self.tmp / name
        d.mkdir(parents=True, exist_ok=True)
        return d

    @property
    def cert(self) -> tuple[Path, Path]:
        if self._cert is None:
            d = self.workdir("certs")
            self._cert = make_certificate(d)
        return self._cert

    @property
    def dovecot(self) -> DovecotServer:
        """The test fixture's Dovecot, as it is (Maildir)."""
        if self._dovecot is None:
            self._dovecot = self._start_dovecot(sdbox=False)
        return self._dovecot

    @property
    def dovecot_sdbox(self) -> DovecotServer:
        """The same Dovecot storing mail as sdbox (one file per message, no dovecot-uidlist
        to re-read after every change), for figures that Maildir's own costs would hide."""
        if self._dovecot_sdbox is None:
            self._dovecot_sdbox = self._start_dovecot(sdbox=True)
        return self._dovecot_sdbox

    def _start_dovecot(self, *, sdbox: bool) -> DovecotServer:
        reason = dovecot_available()
        if reason:
            raise RuntimeError(f"cannot run Dovecot here: {reason}")
        server = DovecotServer.create(*self.cert)
        self._cleanup.append(server.cleanup)  # registered first: a failed start is cleaned too
        if sdbox:
            conf = server.conf.read_text()
            fixed = conf.replace(
                "mail_location = maildir:~/Maildir", "mail_location = sdbox:~/sdbox"
            )
            if fixed == conf:
                raise RuntimeError("the Dovecot fixture's mail_location changed; update bench")
            server.conf.write_text(fixed)
        server.start()
        return server

    @property
    def radicale(self) -> RadicaleServer:
        if self._radicale is None:
            server = RadicaleServer.create()
            self._radicale = server
            server.start()
        return self._radicale

    def smtp(self) -> SmtpServer:
        """A fresh aiosmtpd receiver (STARTTLS + AUTH alice/secret) in this process."""
        server = SmtpServer(*self.cert)
        server.start()
        self._smtp.append(server)
        return server

    def adopt(self, process: subprocess.Popen[bytes]) -> subprocess.Popen[bytes]:
        """Stop this child process in ``close`` if it is still running."""
        self._processes.append(process)
        return process

    def close(self) -> None:
        for process in self._processes:
            stop_process(process)
        for smtp in self._smtp:
            with contextlib.suppress(Exception):
                smtp.stop()
        if self._radicale is not None:
            self._radicale.cleanup()
        for cleanup in self._cleanup:
            with contextlib.suppress(Exception):
                cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)


def stop_process(process: subprocess.Popen[bytes], timeout: float = 15.0) -> int | None:
    """SIGTERM, wait, then SIGKILL: this one process only, never by name."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


@contextlib.contextmanager
def timer() -> Iterator[list[float]]:
    """``with timer() as t: ...`` then ``t[0]`` holds the seconds taken."""
    out: list[float] = []
    t0 = time.perf_counter()
    try:
        yield out
    finally:
        out.append(time.perf_counter() - t0)
