"""Settings files pointing at the fixture servers, for tests that run the real CLI."""

from __future__ import annotations

from pathlib import Path

from .dovecot import ImapUser
from .radicale import DavUser
from .smtp import SmtpServer

OWNER = "maya@example.test"


def write_settings(
    tmp_path: Path,
    imap_user: ImapUser,
    smtp: SmtpServer,
    dav: DavUser,
    cafile: Path,
    *,
    idle_recheck_seconds: float = 5,
) -> Path:
    """Settings for a daemon against the test servers. Tests wait seconds, not the production
    30 s, for mail that lands just as IDLE starts; the benchmarks keep the default."""
    path = tmp_path / "coffeechat.toml"
    path.write_text(
        f"""
[owner]
name = "Maya Chen"
email = "{OWNER}"
timezone = "America/New_York"
signature = "Maya"

[imap]
host = "127.0.0.1"
port = {imap_user.server.port}
security = "none"
username = "{imap_user.name}"
password = "{imap_user.password}"
idle_recheck_seconds = {idle_recheck_seconds}

[smtp]
host = "127.0.0.1"
port = {smtp.port}
security = "starttls"
username = "alice"
password = "secret"
ca_file = "{cafile}"

[caldav]
url = "{dav.server.url}/"
username = "{dav.name}"
password = "{dav.password}"
calendar = "Coffee chats"

[database]
url = "sqlite:///{tmp_path / "store.sqlite3"}"

[schedule]
location = "https://meet.example.test/maya"
"""
    )
    path.chmod(0o600)
    return path
