"""Watch one IMAP folder for new mail and hand each change to a sync handler.

One ``FolderWatcher`` per folder (INBOX and Sent), each on its own connection and thread:
IDLE where the server offers it (re-issued every ``idle_seconds``, under RFC 2177's 29
minutes), NOOP polling every ``poll_seconds`` where it does not. Every wake-up runs the
handler, which resumes from the stored UID, so a reconnect after a drop, a server restart or
a timeout misses nothing. Reconnects back off exponentially with jitter (``backoff_delay``,
a pure function). Each watcher keeps a heartbeat deadline (``Liveness``); ``watch_mailbox``
checks it and restarts a watcher that has gone silent instead of trusting a thread that only
looks alive. The code is blocking (imapclient); run it in a thread.
"""

from __future__ import annotations

import asyncio
import random
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Protocol

import structlog
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from coffeechat.adapters.imap import sync
from coffeechat.adapters.imap.connection import (
    ImapAuthError,
    ImapError,
    ImapUnavailable,
    connect,
    sent_folder,
)
from coffeechat.retry import backoff_seconds
from coffeechat.settings import ImapSettings

log = structlog.get_logger(__name__)

#: How many extra passes a watcher makes for mail that arrived during a pass before it IDLEs.
MAX_RESYNCS_BEFORE_IDLE = 3

#: Errors that mean "this connection is gone": reconnect with backoff.
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (ImapError, IMAPClientError, OSError)


class SyncOutcome(Protocol):
    blocked: bool


class FolderHandler(Protocol):
    """What the watcher drives; ``coffeechat.service.inbox.InboxSync`` implements it."""

    def sync_folder(
        self, client: IMAPClient, folder: str, role: str, *, beat: Callable[[], None] | None
    ) -> SyncOutcome: ...

    def resync_folder(
        self, client: IMAPClient, folder: str, role: str, *, beat: Callable[[], None] | None
    ) -> SyncOutcome: ...

    def resync_due(self, folder: str) -> bool: ...

    def report_health(self, error: str | None) -> None: ...


def backoff_delay(
    attempt: int,
    *,
    base: float = 1.0,
    cap: float = 300.0,
    rand: Callable[[], float] = random.random,
) -> float:
    """Seconds to wait before reconnect ``attempt`` (0-based): exponential, capped, with
    "equal jitter" (half fixed, half random) so many daemons never retry in step and a retry
    never comes instantly."""
    return backoff_seconds(attempt + 1, rand(), base=base, cap=cap)


class Liveness:
    """A heartbeat with a deadline: the watcher says by when it will show life again; a
    supervisor that finds the deadline passed knows the watcher is stuck, not quiet."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self.last_beat = monotonic()
        self._deadline = self.last_beat + 3600.0

    def beat(self, within: float) -> None:
        with self._lock:
            self.last_beat = self._monotonic()
            self._deadline = self.last_beat + within

    def overdue(self, now: float | None = None) -> float:
        """Seconds past the promised deadline (≤ 0: fine)."""
        with self._lock:
            return (self._monotonic() if now is None else now) - self._deadline


@dataclass(frozen=True)
class WatchOptions:
    """Knobs beyond ImapSettings; the defaults suit production, tests shrink them."""

    use_idle: bool | None = None  # None: IDLE when the server offers it
    idle_seconds: float | None = None  # None: settings.idle_seconds
    idle_recheck_seconds: float | None = None  # None: settings.idle_recheck_seconds
    poll_seconds: float | None = None  # None: settings.poll_seconds
    tick: float = 1.0  # how often a wait looks at the stop flag
    backoff_base: float = 1.0
    backoff_cap: float = 300.0
    grace: float = 60.0  # slack on every heartbeat deadline
    sync_budget: float = 300.0  # one batch of a sync must finish within this
    missing_folder_retry: float = 600.0


class FolderWatcher:
    """Watch one folder (role "inbox" or "sent") until stopped; blocking, run it in a thread."""

    def __init__(
        self,
        settings: ImapSettings,
        role: str,
        handler: FolderHandler,
        *,
        stop: threading.Event | None = None,
        on_result: Callable[[SyncOutcome], None] | None = None,
        options: WatchOptions | None = None,
        connect_fn: Callable[[ImapSettings], IMAPClient] = connect,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.settings = settings
        self.role = role
        self.handler = handler
        self.options = options or WatchOptions()
        self.on_result = on_result
        self._connect = connect_fn
        self._rand = rand
        self._outer_stop = stop or threading.Event()
        self._own_stop = threading.Event()
        self._client: IMAPClient | None = None
        self.liveness = Liveness()
        self.mode = "starting"
        self.folder: str | None = None
        self.connections = 0
        self.wakeups = 0
        self.rechecks = 0  # quiet IDLE cycles ended to look for a missed announcement
        self._attempt = 0
        self._retry_attempt = 0
        self._resyncs_before_idle = 0

    # ------------------------------------------------------------ control

    def stopping(self) -> bool:
        return self._outer_stop.is_set() or self._own_stop.is_set()

    def stop(self) -> None:
        """Stop promptly: wakes any wait and breaks the connection out of a blocking read."""
        self._own_stop.set()
        self.kick()

    def kick(self) -> None:
        """Drop the connection (from another thread): a read stuck on a silent server fails
        at once and the watcher reconnects."""
        client = self._client
        if client is None:
            return
        with suppress(Exception):
            client.socket().shutdown(socket.SHUT_RDWR)

    def _wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True when asked to stop."""
        deadline = time.monotonic() + seconds
        while not self.stopping():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            self._own_stop.wait(min(self.options.tick, remaining))
        return True

    # ------------------------------------------------------------ the loop

    def run(self) -> None:
        """Connect, sync, wait for changes, repeat; reconnect with backoff on any failure."""
        log.info("watcher started", role=self.role)
        while not self.stopping():
            self.liveness.beat(self.settings.timeout_seconds * 3 + self.options.grace)
            try:
                self._session()
                continue
            except ImapAuthError as exc:
                error, delay = str(exc), self.options.backoff_cap
            except CONNECTION_ERRORS as exc:
                error = _describe(exc)
                delay = backoff_delay(
                    self._attempt,
                    base=self.options.backoff_base,
                    cap=self.options.backoff_cap,
                    rand=self._rand,
                )
            except Exception as exc:  # a bug or a database outage: keep watching
                log.exception("watcher error", role=self.role)
                error = _describe(exc)
                delay = backoff_delay(
                    self._attempt,
                    base=self.options.backoff_base,
                    cap=self.options.backoff_cap,
                    rand=self._rand,
                )
            finally:
                self._client = None
            if self.stopping():
                break
            self._attempt += 1
            self.mode = "backoff"
            log.warning(
                "imap connection lost; reconnecting",
                role=self.role,
                error=error,
                retry_in=round(delay, 2),
                attempt=self._attempt,
            )
            with suppress(Exception):
                self.handler.report_health(f"{self.role}: {error}")
            self.liveness.beat(delay + self.options.grace)
            self._wait(delay)
        self.mode = "stopped"
        log.info("watcher stopped", role=self.role)

    @contextmanager
    def _connection(self) -> Iterator[IMAPClient]:
        client = self._connect(self.settings)
        self._client = client
        try:
            yield client
        finally:
            self._client = None
            with suppress(Exception):
                client.logout()
            with suppress(Exception):
                client.shutdown()

    def _session(self) -> None:
        self.mode = "connecting"
        with self._connection() as client:
            if self.stopping():
                return
            self.connections += 1
            caps = sync.prepare(client)
            folder = self._resolve_folder(client)
            if folder is None:
                log.warning("no Sent folder found; not watching it", role=self.role)
                self.mode = "no_folder"
                self.liveness.beat(self.options.missing_folder_retry + self.options.grace)
                self._wait(self.options.missing_folder_retry)
                return
            self.folder = folder
            use_idle = (
                caps.idle
                if self.options.use_idle is None
                else (self.options.use_idle and caps.idle)
            )
            log.info("watching folder", role=self.role, folder=folder, idle=use_idle)
            blocked = self._sync(client, folder)
            synced_at = time.monotonic()
            self._attempt = 0
            while not self.stopping():
                wait = self._next_wait(use_idle, blocked)
                if use_idle and not blocked and self._arrived_during_sync(client):
                    self.wakeups += 1
                    blocked = self._sync(client, folder)
                    synced_at = time.monotonic()
                    continue
                if use_idle:
                    recheck = (
                        self.options.idle_recheck_seconds or self.settings.idle_recheck_seconds
                    )
                    news = self._idle(client, min(wait, recheck))
                    if not news and not blocked and time.monotonic() - synced_at < wait:
                        # A quiet re-check, by UID SEARCH rather than waiting for news: mail
                        # that landed between the NOOP and the start of IDLE is announced by
                        # some servers (Dovecot) only at their next keepalive, minutes later,
                        # and an EXISTS that arrived inside the answer to one of our own
                        # commands is never announced again.
                        self.rechecks += 1
                        blocked = self._sync(client, folder)
                        synced_at = time.monotonic()
                        continue
                else:
                    self.mode = "poll"
                    self.liveness.beat(wait + self.options.grace)
                    if self._wait(wait):
                        break
                    client.noop()
                if self.stopping():
                    break
                self.wakeups += 1
                blocked = self._sync(client, folder)
                synced_at = time.monotonic()

    def _arrived_during_sync(self, client: IMAPClient) -> bool:
        """Mail announced while we were busy syncing is not announced again once IDLE starts:
        one NOOP before IDLE asks for anything new since the pass began. Bounded, so a
        server that always reports news cannot keep the watcher out of IDLE."""
        if self._resyncs_before_idle >= MAX_RESYNCS_BEFORE_IDLE:
            self._resyncs_before_idle = 0
            return False
        _text, responses = client.noop()
        news = _has_news(responses)
        self._resyncs_before_idle = self._resyncs_before_idle + 1 if news else 0
        return news

    def _resolve_folder(self, client: IMAPClient) -> str | None:
        if self.role == "sent":
            return sent_folder(client, self.settings)
        return self.settings.folder

    def _next_wait(self, use_idle: bool, blocked: bool) -> float:
        if use_idle:
            wait = self.options.idle_seconds or self.settings.idle_seconds
        else:
            wait = self.options.poll_seconds or self.settings.poll_seconds
        if blocked:  # a message failed to record: retry sooner than the next change
            self._retry_attempt += 1
            return min(
                wait,
                backoff_delay(
                    self._retry_attempt - 1,
                    base=self.options.backoff_base,
                    cap=self.options.backoff_cap,
                    rand=self._rand,
                ),
            )
        self._retry_attempt = 0
        return wait

    def _sync(self, client: IMAPClient, folder: str) -> bool:
        """One incremental pass (and a full one when due); True if something must be retried."""
        self.mode = "syncing"

        def beat() -> None:
            self.liveness.beat(self.options.sync_budget)

        beat()
        result = self.handler.sync_folder(client, folder, self.role, beat=beat)
        self._deliver(result)
        blocked = result.blocked
        if not blocked and self.handler.resync_due(folder):
            full = self.handler.resync_folder(client, folder, self.role, beat=beat)
            self._deliver(full)
            blocked = full.blocked
        self.handler.report_health(None)
        return blocked

    def _deliver(self, result: SyncOutcome) -> None:
        if self.on_result is not None:
            try:
                self.on_result(result)
            except Exception:
                log.exception("sync result handler failed", role=self.role)

    def _idle(self, client: IMAPClient, seconds: float) -> bool:
        """IDLE up to ``seconds``; True when the server reported new mail. A connection that
        turns out dead raises (and the run loop reconnects)."""
        self.mode = "entering_idle"
        budget = self.settings.timeout_seconds + self.options.grace
        client.idle()
        self.mode = "idle"  # the server has answered: from now on it announces new mail
        self.liveness.beat(seconds + budget)
        deadline = time.monotonic() + seconds
        changed = False
        empty_reads = 0
        while not self.stopping() and not changed:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            sock = client.socket()
            pending = isinstance(sock, ssl.SSLSocket) and sock.pending() > 0
            if not pending:
                ready, _, _ = select.select([sock], [], [], min(self.options.tick, remaining))
                if not ready:
                    continue
            responses = client.idle_check(timeout=0)
            if not responses:
                # Readable but nothing parsed, again and again: that is EOF.
                empty_reads += 1
                if empty_reads >= 3:
                    raise ImapUnavailable("connection closed during IDLE")
                continue
            empty_reads = 0
            self.liveness.beat(remaining + budget)
            changed = _has_news(responses)
        _text, responses = client.idle_done()
        self.liveness.beat(budget)
        return changed or _has_news(responses)


def _has_news(responses: Sequence[tuple[object, ...]]) -> bool:
    for response in responses:
        if not response:
            continue
        if response[0] == b"BYE":
            raise ImapUnavailable(f"server closed the connection: {response[1:]!r}")
        if len(response) >= 2 and response[1] in (b"EXISTS", b"RECENT"):
            return True
    return False


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:300]


# ---------------------------------------------------------------- supervision


def silent_watchers(watchers: Sequence[FolderWatcher], now: float | None = None) -> list[str]:
    """Roles of the watchers whose heartbeat deadline has passed."""
    return [w.role for w in watchers if w.liveness.overdue(now) > 0]


@dataclass
class _Slot:
    watcher: FolderWatcher
    thread: threading.Thread
    kicked_at: float | None = None


async def watch_mailbox(
    settings: ImapSettings,
    handler: FolderHandler,
    stop: asyncio.Event,
    *,
    roles: Sequence[str] = ("inbox", "sent"),
    on_result: Callable[[SyncOutcome], None] | None = None,
    options: WatchOptions | None = None,
    check_seconds: float = 15.0,
    replace_after: float = 60.0,
    connect_fn: Callable[[ImapSettings], IMAPClient] = connect,
    started: Callable[[dict[str, FolderWatcher]], None] | None = None,
) -> None:
    """Run one watcher thread per role until ``stop`` is set, with a watchdog: a watcher past
    its heartbeat deadline is kicked (its connection dropped); one still silent
    ``replace_after`` seconds later is abandoned and replaced by a fresh watcher.
    ``on_result`` runs in the event loop for every sync pass."""
    loop = asyncio.get_running_loop()
    opts = options or WatchOptions()

    def deliver(result: SyncOutcome) -> None:
        if on_result is not None:
            loop.call_soon_threadsafe(on_result, result)

    def launch(role: str) -> _Slot:
        watcher = FolderWatcher(
            settings, role, handler, on_result=deliver, options=opts, connect_fn=connect_fn
        )
        thread = threading.Thread(target=watcher.run, name=f"imap-{role}", daemon=True)
        thread.start()
        return _Slot(watcher, thread)

    slots = {role: launch(role) for role in roles}
    if started is not None:
        started({role: slot.watcher for role, slot in slots.items()})
    try:
        while not stop.is_set():
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), check_seconds)
            if stop.is_set():
                break
            now = time.monotonic()
            for role, slot in list(slots.items()):
                overdue = slot.watcher.liveness.overdue(now)
                if not slot.thread.is_alive():
                    log.error("watcher thread ended; restarting", role=role)
                    slots[role] = launch(role)
                elif overdue <= 0:
                    slot.kicked_at = None
                elif slot.kicked_at is None:
                    log.warning(
                        "watcher silent; dropping its connection",
                        role=role,
                        overdue=round(overdue, 1),
                        mode=slot.watcher.mode,
                    )
                    slot.kicked_at = now
                    slot.watcher.kick()
                elif now - slot.kicked_at >= replace_after:
                    log.error("watcher stuck; replacing it", role=role, mode=slot.watcher.mode)
                    slot.watcher.stop()
                    slots[role] = launch(role)
                if started is not None and slots[role] is not slot:
                    started({r: s.watcher for r, s in slots.items()})
    finally:
        for slot in slots.values():
            slot.watcher.stop()
        threads = [slot.thread for slot in slots.values()]
        await asyncio.to_thread(_join_all, threads, opts.tick + 5.0)


def _join_all(threads: Sequence[threading.Thread], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
