"""A real Xandikos (a second CalDAV server) on loopback, one per session, a fresh user per test.

The same shape as ``servers.radicale`` (``add_user()`` gives a :class:`DavUser` whose
``make_calendar`` and ``url`` work the same), so a calendar test can take either server.

Xandikos runs in its multi-user mode: every Basic-auth user gets a principal ``/NAME/`` with
its own calendar home, as a Radicale user does, so tests stay independent. Xandikos checks
Basic auth only over HTTPS (it refuses ``--htpasswd`` without ``--autocert``), so this server
always speaks HTTPS, with a certificate made here (``ca_file`` is what a client must trust);
the passwords are real and a wrong one gets a 401.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from .ports import free_port, http_ready, stop_process, wait_for
from .radicale import DavUser

# Xandikos' --autocert serves <state>/certs/selfsigned.crt, and makes its own (named for the
# listen address, which a client connecting to an IP address refuses) when that one is missing
# or expires within 30 days: ours lasts longer.
CERT_DAYS = 400


def _certificate(certs: Path) -> Path:
    """A self-signed certificate for 127.0.0.1 where --autocert looks for it (about 0.2 s)."""
    certs.mkdir(parents=True)
    cert, key = certs / "selfsigned.crt", certs / "selfsigned.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", str(CERT_DAYS),
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert


@dataclass
class XandikosServer:
    directory: Path
    port: int
    ca_file: Path  # the certificate a client must trust
    process: subprocess.Popen[bytes] | None = None
    _users_stamp: int = 0  # the htpasswd file's last mtime (ns), see add_user

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def verify(self) -> bool | str:
        """``ssl_verify_cert`` for a caldav.DAVClient talking to this server."""
        return str(self.ca_file)

    @property
    def users(self) -> Path:
        return self.directory / "users"

    @classmethod
    def create(cls) -> XandikosServer:
        """A server in a fresh directory, not started yet."""
        d = Path(tempfile.mkdtemp(prefix="xandikos-"))
        cert = _certificate(d / "state" / "certs")
        (d / "users").write_text("")
        return cls(d, free_port(), cert)

    def start(self) -> None:
        d = self.directory
        with (d / "xandikos.log").open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "xandikos", "multi-user", "-d", str(d / "collections"),
                 "--state-dir", str(d / "state"), "-l", "127.0.0.1", "-p", str(self.port),
                 "--autocert", "--htpasswd", str(self.users), "--no-detect-systemd"],
                stdout=subprocess.DEVNULL,
                stderr=log,
            )  # fmt: skip
        wait_for(self._ready, 20, f"xandikos on {self.port}")

    def _ready(self) -> bool:
        # 401 is ready too: up, over our certificate, asking for a login
        log = self.directory / "xandikos.log"
        return http_ready("xandikos", self.process, log, self.url, self.ca_file)

    def stop(self) -> None:
        stop_process(self.process)  # SIGTERM: Xandikos shuts its sites down cleanly
        self.process = None

    def add_user(self, password: str = "secret") -> DavUser:
        """A user with an empty principal (Xandikos creates it at the first request).

        Xandikos rereads the htpasswd file when its mtime changes; two users added within one
        clock tick of the file system could share an mtime, so each write moves it forward.
        """
        name = f"u{uuid.uuid4().hex[:10]}"
        digest = base64.b64encode(hashlib.sha1(password.encode()).digest()).decode()  # noqa: S324
        with self.users.open("a") as f:
            f.write(f"{name}:{{SHA}}{digest}\n")  # the one hash it takes without bcrypt
        self._users_stamp = max(time.time_ns(), self._users_stamp + 1_000_000)
        os.utime(self.users, ns=(self._users_stamp, self._users_stamp))
        return DavUser(self, name, password)

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)
