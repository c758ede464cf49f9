"""One process serves an account at a time, even when several daemons share a store.

On PostgreSQL a session-level advisory lock (released by the server if the process dies);
on SQLite an exclusive ``flock`` on a file beside the database (released by the kernel).
Outbox rows are additionally claimed row by row (SKIP LOCKED), so even two senders for the
same account could never send one email twice; this lock keeps watchers from doubling up.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

from coffeechat.store.db import Store

#: First key of PostgreSQL's two-int advisory lock: "cc" for coffeechat.
LOCK_NAMESPACE = 0x6363


class AccountLock:
    def __init__(self, store: Store, account_id: int) -> None:
        self.store = store
        self.account_id = account_id
        self._conn: Any = None
        self._fd: int | None = None

    def acquire(self) -> bool:
        """True when this process now serves the account; never blocks."""
        if self.held:
            return True
        if self.store.dialect == "postgresql":
            conn = self.store.engine.connect()
            got = conn.execute(
                text("SELECT pg_try_advisory_lock(:ns, :acct)"),
                {"ns": LOCK_NAMESPACE, "acct": self.account_id},
            ).scalar()
            conn.commit()
            if got:
                self._conn = conn
                return True
            conn.close()
            return False
        path = self._lock_path()
        if path is None:
            self._fd = -1  # an in-memory database cannot be shared anyway
            return True
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    @property
    def held(self) -> bool:
        return self._conn is not None or self._fd is not None

    def release(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.execute(
                    text("SELECT pg_advisory_unlock(:ns, :acct)"),
                    {"ns": LOCK_NAMESPACE, "acct": self.account_id},
                )
                self._conn.commit()
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None
        if self._fd is not None:
            if self._fd >= 0:
                with contextlib.suppress(OSError):
                    fcntl.flock(self._fd, fcntl.LOCK_UN)
                os.close(self._fd)
            self._fd = None

    def _lock_path(self) -> Path | None:
        return lock_file(self.store, f"account-{self.account_id}")


def lock_file(store: Store, name: str) -> Path | None:
    """The lock file beside a SQLite database, shared by every process that opens it; None
    for an in-memory database (which no other process can open)."""
    database = make_url(store.url).database
    if store.dialect != "sqlite" or not database or database == ":memory:":
        return None
    return Path(f"{database}.{name}.lock")
