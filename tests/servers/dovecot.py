"""A real Dovecot (IMAP + LMTP) on loopback, one per test session, a fresh user per test."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import smtplib
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from .ports import free_port, wait_for

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
DOVEADM = shutil.which("doveadm") or "/usr/bin/doveadm"

CONFIG = """\
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
protocols = imap lmtp
listen = 127.0.0.1
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
auth_mechanisms = plain login
auth_failure_delay = 0
first_valid_uid = 1
mail_location = maildir:~/Maildir
mail_fsync = never
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Sent {{
    special_use = \\Sent
    auto = subscribe
  }}
  mailbox Drafts {{
    special_use = \\Drafts
    auto = subscribe
  }}
  mailbox Trash {{
    special_use = \\Trash
    auto = subscribe
  }}
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {d}/users
  default_fields = uid=dovecot gid=dovecot home={d}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    port = {port}
  }}
  inet_listener imaps {{
    port = {tls_port}
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {lmtp_port}
  }}
}}
"""


OAUTH_PASSDB = """\
passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {d}/oauth2.conf
}}
"""
OAUTH2 = """\
introspection_mode = post
introspection_url = {url}
username_attribute = username
active_attribute = active
active_value = true
force_introspection = yes
"""

USER_BATCH = 25


@dataclass
class ImapUser:
    server: DovecotServer
    name: str
    password: str
    address: str

    def deliver(self, raw: bytes, sender: str = "someone@example.org") -> None:
        """Deliver through LMTP, as a mail server would (lands in INBOX/new, unseen)."""
        with smtplib.LMTP("127.0.0.1", self.server.lmtp_port) as lmtp:
            lmtp.sendmail(sender, [self.name], raw)

    def append(self, folder: str, raw: bytes, flags: tuple[str, ...] = ()) -> None:
        """APPEND with imapclient, as another client would."""
        from imapclient import IMAPClient

        with IMAPClient("127.0.0.1", self.server.port, ssl=False, timeout=10) as c:
            c.login(self.name, self.password)
            c.append(folder, raw, flags=flags)

    def client(self):  # type: ignore[no-untyped-def]
        from imapclient import IMAPClient

        c = IMAPClient("127.0.0.1", self.server.port, ssl=False, timeout=10)
        c.login(self.name, self.password)
        return c


@dataclass
class DovecotServer:
    directory: Path
    port: int
    tls_port: int
    lmtp_port: int
    cert: Path
    conf: Path
    process: subprocess.Popen[bytes] | None = None
    users: list[str] = field(default_factory=list)
    _pool: list[ImapUser] = field(default_factory=list)

    @classmethod
    def create(
        cls, cert: Path, key: Path, *, oauth_introspection_url: str | None = None
    ) -> DovecotServer:
        """A server in a fresh directory; with ``oauth_introspection_url`` it also accepts
        XOAUTH2/OAUTHBEARER logins, checking each token at that endpoint (RFC 7662)."""
        d = Path(tempfile.mkdtemp(prefix="dovecot-", dir="/tmp"))
        d.chmod(0o711)
        server = cls(d, free_port(), free_port(), free_port(), cert, d / "dovecot.conf")
        home = d / "home"
        home.mkdir()
        shutil.chown(home, "dovecot", "dovecot")
        shutil.copy(cert, d / "cert.pem")
        shutil.copy(key, d / "key.pem")
        (d / "users").write_text("")
        (d / "users").chmod(0o644)
        conf = CONFIG.format(
            d=d,
            cert=d / "cert.pem",
            key=d / "key.pem",
            port=server.port,
            tls_port=server.tls_port,
            lmtp_port=server.lmtp_port,
        )
        if oauth_introspection_url:
            (d / "oauth2.conf").write_text(OAUTH2.format(url=oauth_introspection_url))
            conf = conf.replace(
                "auth_mechanisms = plain login", "auth_mechanisms = plain login xoauth2 oauthbearer"
            ).replace("passdb {\n", OAUTH_PASSDB.format(d=d) + "passdb {\n", 1)
        server.conf.write_text(conf)
        return server

    def start(self) -> None:
        self.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(self.conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self._ready, 10, f"dovecot on {self.port} (log: {self.directory}/dovecot.log)")

    def _ready(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            check = subprocess.run(
                [DOVECOT, "-n", "-c", str(self.conf)], capture_output=True, text=True
            )
            raise RuntimeError(f"dovecot exited with {self.process.returncode}: {check.stderr}")
        with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
            s.settimeout(1)
            data = b""
            with contextlib.suppress(TimeoutError):
                while b"\n" not in data or b"ready." not in data:
                    chunk = s.recv(1024)
                    if not chunk:
                        break
                    data += chunk
            return b"ready." in data

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def kill(self) -> None:
        """An abrupt death (SIGKILL), for fault tests; start() brings it back."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None
            # the children die with the master's sockets; give the ports back
            subprocess.run(["pkill", "-9", "-f", str(self.directory)], check=False)

    def add_user(self, name: str | None = None, password: str = "secret") -> ImapUser:
        """A new mailbox, usable when this returns.

        Dovecot re-reads the users file when its mtime (in whole seconds) changes, so users are
        made in batches: one write, one wait, then handed out one by one at no cost.
        """
        if name is not None or password != "secret":
            return self._add_users([(name or f"u{uuid.uuid4().hex[:10]}", password)])[0]
        if not self._pool:
            self._pool = self._add_users(
                [(f"u{uuid.uuid4().hex[:10]}", password) for _ in range(USER_BATCH)]
            )
        return self._pool.pop()

    def _add_users(self, entries: list[tuple[str, str]]) -> list[ImapUser]:
        users = self.directory / "users"
        with users.open("a") as f:
            for name, password in entries:
                f.write(f"{name}:{{PLAIN}}{password}::::::\n")
        # a strictly newer whole-second mtime than the last write, so the change is seen
        stamp = max(users.stat().st_mtime + 1.0, float(int(time.time())))
        os.utime(users, (stamp, stamp))
        made = [ImapUser(self, n, p, f"{n}@example.test") for n, p in entries]
        self.users.extend(n for n, _ in entries)
        wait_for(lambda: self._known(made[-1]), 15, f"new user {made[-1].name}")
        return made

    def _known(self, user: ImapUser) -> bool:
        """LMTP's RCPT answers at once (a failed IMAP login would be delayed)."""
        with smtplib.LMTP("127.0.0.1", self.lmtp_port) as lmtp:
            lmtp.mail("probe@example.org")
            code, _ = lmtp.rcpt(user.name)
        return code == 250

    def doveadm(self, *args: str) -> str:
        out = subprocess.run(
            [DOVEADM, "-c", str(self.conf), *args], check=True, capture_output=True, text=True
        )
        return out.stdout

    def user_maildir(self, name: str) -> Path:
        return self.directory / "home" / name / "Maildir"

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


def dovecot_available() -> str | None:
    """None when Dovecot can run here, else the reason it cannot."""
    if not Path(DOVECOT).exists():
        return "dovecot is not installed (apt-get install dovecot-imapd dovecot-lmtpd)"
    if os.geteuid() != 0:
        return "the Dovecot fixture runs as root (see shared/notes/test-servers.md)"
    try:
        pwd.getpwnam("dovecot")
    except KeyError:
        return "no dovecot system user"
    return None
