"""One booking at a time per calendar, across threads and processes.

Booking reads free/busy and then writes the event; two bookers (two accounts in one process,
or two daemons on one store) that share a calendar could both see a slot free and both take
it. CalDAV has no lock across events, so the store provides one: a PostgreSQL advisory lock
keyed by the calendar, or an ``flock`` on a file beside the SQLite database. Both are dropped
by the server or the kernel if the process dies. Waiting is bounded: a lock not obtained in
time raises, and the reaction is retried on the next pass.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import threading
import time
from collections.abc import Callable, Iterator

from sqlalchemy import text

from coffeechat.service.account_lock import lock_file
from coffeechat.store.db import Store

#: First key of PostgreSQL's two-int advisory lock: "cl" for calendar lock.
LOCK_NAMESPACE = 0x636C
WAIT_SECONDS = 60.0

_memory_locks: dict[int, threading.Lock] = {}
_memory_guard = threading.Lock()


class CalendarBusy(Exception):
    """Another booking on this calendar held the lock for longer than we wait."""


def calendar_key(url: str, calendar: str) -> int:
    """A stable signed 32-bit key for the calendar (the server URL plus the calendar's name)."""
    digest = hashlib.sha256(f"{url.rstrip('/')}\n{calendar}".encode()).digest()
    return int.from_bytes(digest[:4], "big", signed=True)


def _poll(try_once: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    delay = 0.01
    while not try_once():
        if time.monotonic() >= deadline:
            return False
        time.sleep(delay)
        delay = min(delay * 2, 0.25)
    return True


@contextlib.contextmanager
def calendar_lock(store: Store, key: int, *, timeout: float = WAIT_SECONDS) -> Iterator[None]:
    """Hold the calendar's lock for the block; raises CalendarBusy after ``timeout`` s."""
    if store.dialect == "postgresql":
        with store.engine.connect() as conn:

            def try_pg() -> bool:
                got = conn.execute(
                    text("SELECT pg_try_advisory_lock(:ns, :key)"),
                    {"ns": LOCK_NAMESPACE, "key": key},
                ).scalar()
                conn.commit()
                return bool(got)

            if not _poll(try_pg, timeout):
                raise CalendarBusy("another booking on this calendar is taking too long")
            try:
                yield
            finally:
                conn.execute(
                    text("SELECT pg_advisory_unlock(:ns, :key)"),
                    {"ns": LOCK_NAMESPACE, "key": key},
                )
                conn.commit()
        return
    path = lock_file(store, f"calendar-{key & 0xFFFFFFFF:08x}")
    if path is None:  # an in-memory database: only this process can book through it
        with _memory_guard:
            lock = _memory_locks.setdefault(key, threading.Lock())
        if not lock.acquire(timeout=timeout):
            raise CalendarBusy("another booking on this calendar is taking too long")
        try:
            yield
        finally:
            lock.release()
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:

        def try_flock() -> bool:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            return True

        if not _poll(try_flock, timeout):
            raise CalendarBusy("another booking on this calendar is taking too long")
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
