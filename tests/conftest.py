"""Shared fixtures: real servers on loopback (Dovecot, Radicale, Xandikos, aiosmtpd, PostgreSQL).

Servers that cost time to start (Dovecot ~1 s to stop, Radicale ~0.4 s to start) live for the
session; each test gets a fresh user, mailbox or calendar so tests stay independent.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from servers.dovecot import DovecotServer, ImapUser, dovecot_available
from servers.ports import make_certificate
from servers.radicale import DavServer, DavUser, RadicaleServer
from servers.smtp import SmtpServer
from servers.xandikos import XandikosServer

PG_URL = os.environ.get("COFFEECHAT_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(autouse=True)
def _reset_global_state(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No test sees another's settings, XDG dirs or structlog configuration.

    ``COFFEECHAT_TEST_*`` variables are knobs for the tests themselves (trials, seeds, the
    PostgreSQL URL), not daemon settings, so they stay.
    """
    for name in list(os.environ):
        if name.startswith("COFFEECHAT_") and not name.startswith("COFFEECHAT_TEST_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    yield
    structlog.reset_defaults()


@pytest.fixture(scope="session")
def certificate() -> Iterator[tuple[Path, Path]]:
    d = Path(tempfile.mkdtemp(prefix="certs-"))
    d.chmod(0o755)
    yield make_certificate(d)
    shutil.rmtree(d, ignore_errors=True)


def running_dovecot(certificate: tuple[Path, Path]) -> Iterator[DovecotServer]:
    """Start a Dovecot for a fixture and clean it up after (skips where none can run)."""
    reason = dovecot_available()
    if reason:
        pytest.skip(reason)
    server = DovecotServer.create(*certificate)
    server.start()
    yield server
    server.cleanup()


@pytest.fixture(scope="session")
def dovecot(certificate: tuple[Path, Path]) -> Iterator[DovecotServer]:
    """The session's Dovecot. Tests that kill or restart a server use ``killable_dovecot``."""
    yield from running_dovecot(certificate)


@pytest.fixture(scope="module")
def killable_dovecot(certificate: tuple[Path, Path]) -> Iterator[DovecotServer]:
    """A Dovecot of the module's own: killing it leaves the session's server untouched
    (a killed Dovecot leaves orphan processes that can delay other tests' IDLE pushes)."""
    yield from running_dovecot(certificate)


@pytest.fixture
def imap_user(dovecot: DovecotServer) -> ImapUser:
    """A fresh mailbox (INBOX, Sent, Drafts, Trash) on the session's Dovecot."""
    return dovecot.add_user()


@pytest.fixture(scope="session")
def radicale() -> Iterator[RadicaleServer]:
    server = RadicaleServer.create()
    server.start()
    yield server
    server.cleanup()


@pytest.fixture
def dav_user(radicale: RadicaleServer) -> DavUser:
    """A fresh user on Radicale only; ``calendar_user`` is one on each CalDAV server."""
    return radicale.add_user()


@pytest.fixture(scope="session")
def xandikos() -> Iterator[XandikosServer]:
    """A second CalDAV implementation (HTTPS only, see servers.xandikos), started on first use."""
    server = XandikosServer.create()
    server.start()
    yield server
    server.cleanup()


@pytest.fixture(params=["radicale", "xandikos"])
def dav_server(request: pytest.FixtureRequest) -> DavServer:
    """Each CalDAV server in turn: a test taking this runs once against each implementation,
    so the adapter cannot come to rely on one server's habits."""
    server: DavServer = request.getfixturevalue(request.param)
    return server


@pytest.fixture
def calendar_user(dav_server: DavServer) -> DavUser:
    """A fresh user on Radicale, then on Xandikos."""
    return dav_server.add_user()


@pytest.fixture(scope="session")
def radicale_https(certificate: tuple[Path, Path]) -> Iterator[RadicaleServer]:
    """A Radicale serving HTTPS with the session's self-signed certificate (a private CA:
    clients trust it only with ``ca_file``). Started only by the tests that ask for it."""
    server = RadicaleServer.create(tls=certificate)
    server.start()
    yield server
    server.cleanup()


@pytest.fixture
def smtp_server(certificate: tuple[Path, Path]) -> Iterator[SmtpServer]:
    server = SmtpServer(*certificate)
    server.start()
    yield server
    server.stop()


def _postgres_or_skip() -> str:
    try:
        import psycopg
    except ImportError:
        pytest.skip("PostgreSQL tests skipped: psycopg is not installed")
    plain = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    try:
        psycopg.connect(plain, connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL tests skipped: no server at {PG_URL} ({exc})".replace("\n", " "))
    return plain


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh schema in the test database, dropped afterwards."""
    import psycopg

    plain = _postgres_or_skip()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store.sqlite3'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Run a store test on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite3'}"
    return str(request.getfixturevalue("pg_url"))
