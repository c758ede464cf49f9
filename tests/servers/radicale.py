"""A real Radicale (CalDAV) on loopback, one per test session, a fresh user per test.

Plain HTTP by default; ``RadicaleServer.create(tls=(certificate, key))`` serves HTTPS instead,
with that certificate (``ca_file`` is then what a client must trust); ``rights=`` replaces the
default (each user owns their own collections) by a Radicale rights file. :class:`DavUser` is
shared with ``servers.xandikos``: a calendar test takes a user of either server.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from .ports import free_port, http_ready, stop_process, wait_for

CONFIG = """\
[server]
hosts = 127.0.0.1:{port}
{tls}[auth]
type = htpasswd
htpasswd_filename = {d}/users
htpasswd_encryption = plain
delay = 0
{rights}[storage]
filesystem_folder = {d}/collections
[logging]
level = warning
"""

TLS = """\
ssl = True
certificate = {certificate}
key = {key}
"""

RIGHTS = """\
[rights]
type = from_file
file = {file}
"""


class DavServer(Protocol):
    """What a test needs of a CalDAV server: RadicaleServer here, XandikosServer beside it."""

    @property
    def url(self) -> str: ...
    @property
    def ca_file(self) -> Path | None: ...
    @property
    def verify(self) -> bool | str: ...
    def add_user(self, password: str = "secret") -> DavUser: ...


@dataclass
class DavUser:
    server: DavServer
    name: str
    password: str

    @property
    def url(self) -> str:
        return f"{self.server.url}/{self.name}/"

    def make_calendar(self, name: str = "Coffee") -> str:
        """Create a calendar with caldav and return its URL."""
        import caldav

        with caldav.DAVClient(
            self.server.url,
            username=self.name,
            password=self.password,
            ssl_verify_cert=self.server.verify,
        ) as c:
            cal = c.principal().make_calendar(name=name, cal_id=uuid.uuid4().hex[:8])
            return str(cal.url)


@dataclass
class RadicaleServer:
    directory: Path
    port: int
    process: subprocess.Popen[bytes] | None = None
    tls: tuple[Path, Path] | None = None  # (certificate, key): serve HTTPS

    @property
    def url(self) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    @property
    def ca_file(self) -> Path | None:
        """The certificate a client must trust (None over plain HTTP)."""
        return self.tls[0] if self.tls else None

    @property
    def verify(self) -> bool | str:
        """``ssl_verify_cert`` for a caldav.DAVClient talking to this server."""
        return str(self.ca_file) if self.ca_file else True

    @classmethod
    def create(
        cls, tls: tuple[Path, Path] | None = None, rights: str | None = None
    ) -> RadicaleServer:
        """A server in a fresh directory; with ``tls`` (certificate, key) it speaks HTTPS, with
        ``rights`` (a rights file's text) it grants what that says."""
        d = Path(tempfile.mkdtemp(prefix="radicale-"))
        (d / "users").write_text("")
        server = cls(d, free_port(), tls=tls)
        extra = TLS.format(certificate=tls[0], key=tls[1]) if tls else ""
        if rights is not None:
            (d / "rights").write_text(rights)
        grants = RIGHTS.format(file=d / "rights") if rights is not None else ""
        (d / "config").write_text(CONFIG.format(d=d, port=server.port, tls=extra, rights=grants))
        return server

    def start(self) -> None:
        with (self.directory / "radicale.log").open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "radicale", "-C", str(self.directory / "config")],
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        wait_for(self._ready, 20, f"radicale on {self.port}")

    def _ready(self) -> bool:
        log = self.directory / "radicale.log"
        ca = self.ca_file if self.tls else None
        return http_ready("radicale", self.process, log, self.url, ca)

    def stop(self) -> None:
        stop_process(self.process)
        self.process = None

    def add_user(self, password: str = "secret", name: str | None = None) -> DavUser:
        """A new login (``name``, or a fresh one); Radicale makes its principal at first use."""
        name = name or f"u{uuid.uuid4().hex[:10]}"
        with (self.directory / "users").open("a") as f:
            f.write(f"{name}:{password}\n")
        return DavUser(self, name, password)

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)
