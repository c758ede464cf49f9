"""The watcher against a real Dovecot: IDLE push, polling, restarts, a stuck watcher, stop."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from imapclient import IMAPClient

from coffeechat.adapters.imap.watch import (
    FolderWatcher,
    Liveness,
    WatchOptions,
    backoff_delay,
    silent_watchers,
    watch_mailbox,
)
from coffeechat.service.inbox_plan import SyncResult
from coffeechat.settings import Security
from servers.dovecot import DovecotServer

from .conftest import World, make_mail


@pytest.fixture(scope="module")
def dovecot(killable_dovecot: DovecotServer) -> DovecotServer:
    """This module restarts and kills its server: a Dovecot of its own."""
    return killable_dovecot


JANE = "jane@acme.example"
FAST = WatchOptions(tick=0.05, backoff_base=0.1, backoff_cap=0.5, grace=5.0)


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> float:
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)
    return time.monotonic() - start


@pytest.fixture
def running() -> Iterator[Callable[[FolderWatcher], FolderWatcher]]:
    started: list[tuple[FolderWatcher, threading.Thread]] = []

    def start(watcher: FolderWatcher) -> FolderWatcher:
        thread = threading.Thread(target=watcher.run, daemon=True)
        thread.start()
        started.append((watcher, thread))
        return watcher

    yield start
    for watcher, thread in started:
        watcher.stop()
        thread.join(5)
        assert not thread.is_alive(), "watcher did not stop"


def inbound_subjects(w: World) -> list[str]:
    return sorted(m.subject for m in w.messages("in"))


# ---------------------------------------------------------------- pure parts


def test_backoff_grows_caps_and_jitters() -> None:
    assert backoff_delay(0, rand=lambda: 0.0) == 0.5
    assert backoff_delay(0, rand=lambda: 1.0) == 1.0
    assert backoff_delay(3, rand=lambda: 0.0) == 4.0
    assert backoff_delay(50, cap=300, rand=lambda: 1.0) == 300.0
    assert backoff_delay(10_000, cap=60, rand=lambda: 0.5) == 45.0
    ceilings = [backoff_delay(n, rand=lambda: 1.0) for n in range(12)]
    assert ceilings == sorted(ceilings) and min(ceilings) > 0


def test_liveness_deadline() -> None:
    now = [100.0]
    live = Liveness(lambda: now[0])
    live.beat(10)
    now[0] = 105.0
    assert live.overdue() == -5.0
    now[0] = 111.0
    assert live.overdue() == 1.0


# ---------------------------------------------------------------- against Dovecot


def test_idle_push_wakes_the_watcher(sqlite_world: World, running: Any) -> None:
    w = sqlite_world
    w.thread(w.contact(JANE))
    assert w.settings.imap is not None
    watcher = running(FolderWatcher(w.settings.imap, "inbox", w.inbox, options=FAST))
    wait_for(lambda: watcher.mode == "idle", 5, "IDLE")
    latencies = []
    for n in range(3):
        # deliver once the server is idling: mail that lands between the pre-IDLE NOOP and
        # IDLE's start is the re-check's job (test below), not the push's
        wait_for(lambda: watcher.mode == "idle", 5, "IDLE again")
        w.user.deliver(make_mail(JANE, w.owner, f"push {n}"))
        latencies.append(wait_for(lambda n=n: len(w.messages("in")) == n + 1, 5, "push"))
    assert watcher.connections == 1 and watcher.wakeups >= 3
    assert max(latencies) < 4, latencies  # Dovecot holds notifications for 0.5 s
    print(f"IDLE push latency (deliver → recorded): {[round(x, 3) for x in latencies]}")


def test_poll_fallback_when_idle_is_not_used(sqlite_world: World, running: Any) -> None:
    w = sqlite_world
    w.thread(w.contact(JANE))
    assert w.settings.imap is not None
    settings = w.settings.imap.model_copy(update={"poll_seconds": 1.0})
    options = WatchOptions(use_idle=False, tick=0.05, backoff_base=0.1, grace=5.0)
    watcher = running(FolderWatcher(settings, "inbox", w.inbox, options=options))
    wait_for(lambda: watcher.mode == "poll", 5, "polling")
    w.user.deliver(make_mail(JANE, w.owner, "polled"))
    wait_for(lambda: inbound_subjects(w) == ["polled"], 4, "the poll")


def test_sent_watcher_follows_the_special_use_folder(sqlite_world: World, running: Any) -> None:
    w = sqlite_world
    w.contact(JANE)
    assert w.settings.imap is not None
    watcher = running(FolderWatcher(w.settings.imap, "sent", w.inbox, options=FAST))
    wait_for(lambda: watcher.mode == "idle", 5, "IDLE on Sent")
    assert watcher.folder == "Sent"
    w.user.append("Sent", make_mail(w.owner, JANE, "hand-written"), ("\\Seen",))
    wait_for(lambda: len(w.messages("out")) == 1, 5, "the Sent message")


def test_stop_is_prompt(sqlite_world: World) -> None:
    w = sqlite_world
    assert w.settings.imap is not None
    watcher = FolderWatcher(w.settings.imap, "inbox", w.inbox, options=FAST)
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    wait_for(lambda: watcher.mode == "idle", 5, "IDLE")
    start = time.monotonic()
    watcher.stop()
    thread.join(3)
    assert not thread.is_alive() and time.monotonic() - start < 1.5


def test_reconnects_after_drops_and_misses_nothing(sqlite_world: World, running: Any) -> None:
    """The connection is cut under the watcher twice (as by a NAT timeout or a server
    restart); mail delivered while it is down is recorded once after the reconnect."""
    w = sqlite_world
    w.thread(w.contact(JANE))
    assert w.settings.imap is not None
    errors: list[str | None] = []
    real_report = w.inbox.report_health

    def report(error: str | None) -> None:
        errors.append(error)
        real_report(error)

    w.inbox.report_health = report  # type: ignore[method-assign]
    watcher = running(FolderWatcher(w.settings.imap, "inbox", w.inbox, options=FAST))
    wait_for(lambda: watcher.mode == "idle", 5, "IDLE")
    for n in range(2):
        wait_for(lambda: watcher.mode == "idle", 5, "IDLE before the cut")
        watcher.kick()
        w.user.deliver(make_mail(JANE, w.owner, f"while down {n}"))
        wait_for(lambda n=n: len(w.messages("in")) == n + 1, 5, "the reconnect")
    assert watcher.connections == 3
    # the message is recorded inside the pass; health is reported ok just after it
    wait_for(lambda: bool(errors) and errors[-1] is None, 5, "health reported ok")
    assert any(e for e in errors) and errors[-1] is None
    assert inbound_subjects(w) == ["while down 0", "while down 1"]


def kill_server_side(watcher: FolderWatcher) -> None:
    """SIGKILL the Dovecot imap process serving this watcher's connection, by its pid.

    A Dovecot restart leaves running imap processes alone (they keep serving), so a restart
    alone never breaks the watcher's connection; a crashed server does."""
    client = watcher._client
    assert client is not None
    local_port = client.socket().getsockname()[1]
    out = subprocess.run(
        ["ss", "-Htnp", "state", "established", f"( dport = :{local_port} )"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    pids = {int(p) for p in re.findall(r"pid=(\d+)", out)}
    assert pids, out
    for pid in pids:
        os.kill(pid, signal.SIGKILL)


def test_server_restart_mid_watch_loses_and_duplicates_nothing(
    sqlite_world: World, running: Any
) -> None:
    w = sqlite_world
    w.thread(w.contact(JANE))
    assert w.settings.imap is not None
    watcher = running(FolderWatcher(w.settings.imap, "inbox", w.inbox, options=FAST))
    wait_for(lambda: watcher.mode == "idle", 5, "IDLE")
    w.user.deliver(make_mail(JANE, w.owner, "before"))
    wait_for(lambda: len(w.messages("in")) == 1, 5, "first")
    w.user.server.restart()
    kill_server_side(watcher)
    w.user.deliver(make_mail(JANE, w.owner, "after restart"))
    wait_for(lambda: len(w.messages("in")) == 2, 10, "after restart")
    assert watcher.connections == 2
    w.user.server.kill()  # abrupt: the master dies, then the process serving us
    wait_for(lambda: watcher.mode == "idle", 5, "IDLE again")
    kill_server_side(watcher)
    w.user.server.start()
    w.user.deliver(make_mail(JANE, w.owner, "after kill"))
    wait_for(lambda: len(w.messages("in")) == 3, 10, "after kill")
    assert watcher.connections == 3
    assert inbound_subjects(w) == ["after kill", "after restart", "before"]


def test_watchdog_replaces_a_stuck_watcher(sqlite_world: World) -> None:
    """A watcher whose sync hangs (not on a socket, so dropping the connection cannot free
    it) stops beating; the supervisor kicks it, then replaces it, and mail still flows."""
    w = sqlite_world
    w.thread(w.contact(JANE))
    assert w.settings.imap is not None
    hang = threading.Event()
    release = threading.Event()
    generations: list[dict[str, FolderWatcher]] = []
    results: list[SyncResult] = []

    class Hanging:
        def __getattr__(self, name: str) -> Any:
            return getattr(w.inbox, name)

        def sync_folder(self, client: IMAPClient, folder: str, role: Any, **kw: Any) -> Any:
            if hang.is_set():
                hang.clear()
                release.wait(20)
            return w.inbox.sync_folder(client, folder, role, **kw)

    async def main() -> None:
        stop = asyncio.Event()
        options = WatchOptions(tick=0.05, backoff_base=0.1, grace=0.3, sync_budget=0.3)
        task = asyncio.create_task(
            watch_mailbox(
                w.settings.imap,  # type: ignore[arg-type]
                Hanging(),  # type: ignore[arg-type]
                stop,
                roles=("inbox",),
                options=options,
                check_seconds=0.1,
                replace_after=0.3,
                started=lambda g: generations.append(dict(g)),
                on_result=results.append,  # type: ignore[arg-type]
            )
        )
        await asyncio.to_thread(
            wait_for,
            lambda: bool(generations) and generations[-1]["inbox"].mode == "idle",
            5,
            "IDLE",
        )
        hang.set()
        w.user.deliver(make_mail(JANE, w.owner, "during the hang"))
        await asyncio.to_thread(wait_for, lambda: len(generations) == 2, 10, "a replacement")
        await asyncio.to_thread(
            wait_for, lambda: inbound_subjects(w) == ["during the hang"], 10, "the mail"
        )
        # The row is committed before the watcher reports the pass to the loop; wait for
        # the report too, or stopping now can race it.
        await asyncio.to_thread(
            wait_for, lambda: any(r.inbound for r in results), 5, "the sync report"
        )
        assert silent_watchers([generations[0]["inbox"]])  # the old one is still stuck
        release.set()
        stop.set()
        await asyncio.wait_for(task, 10)

    asyncio.run(main())
    assert inbound_subjects(w) == ["during the hang"]


def test_idle_over_tls_and_reissue(sqlite_world: World, running: Any) -> None:
    """TLS buffers decrypted bytes the socket's select() cannot see; pushes must still wake
    the watcher. IDLE is re-issued on schedule on the same connection."""
    w = sqlite_world
    w.thread(w.contact(JANE))
    assert w.settings.imap is not None
    server = w.user.server
    tls = w.settings.imap.model_copy(
        update={"security": Security.TLS, "port": server.tls_port, "ca_file": server.cert}
    )
    options = WatchOptions(tick=0.05, backoff_base=0.1, grace=5.0, idle_seconds=0.4)
    watcher = running(FolderWatcher(tls, "inbox", w.inbox, options=options))
    wait_for(lambda: watcher.wakeups >= 3, 5, "IDLE re-issues")
    for n in range(2):
        w.user.deliver(make_mail(JANE, w.owner, f"tls {n}"))
        wait_for(lambda n=n: len(w.messages("in")) == n + 1, 5, "push over TLS")
    assert watcher.connections == 1


class _RaceWatcher(FolderWatcher):
    """A real watcher with one delivery placed in the race window: after the NOOP that looks
    for news, before IDLE starts. Dovecot announces such a message only at its next IDLE
    keepalive (seconds to minutes later), not when IDLE begins."""

    def __init__(self, *args: Any, deliver: Callable[[], None], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deliver_once: Callable[[], None] | None = deliver
        self.armed = threading.Event()

    def _arrived_during_sync(self, client: IMAPClient) -> bool:
        news = super()._arrived_during_sync(client)
        if not news and self._deliver_once is not None and self.armed.is_set():
            deliver, self._deliver_once = self._deliver_once, None
            deliver()
            time.sleep(0.3)  # the delivery is complete before IDLE starts
        return news


def test_mail_landing_just_before_idle_starts_is_found_by_the_recheck(
    sqlite_world: World, running: Any
) -> None:
    w = sqlite_world
    w.thread(w.contact(JANE))
    assert w.settings.imap is not None
    options = WatchOptions(
        tick=0.05, backoff_base=0.1, grace=5.0, idle_seconds=600, idle_recheck_seconds=1.0
    )
    watcher = running(
        _RaceWatcher(
            w.settings.imap,
            "inbox",
            w.inbox,
            options=options,
            deliver=lambda: w.user.deliver(make_mail(JANE, w.owner, "raced")),
        )
    )
    wait_for(lambda: watcher.mode == "idle", 5, "IDLE")
    watcher.armed.set()
    took = wait_for(lambda: len(w.messages("in")) == 1, 10, "the raced message")
    assert watcher.rechecks >= 1
    assert took < 6, took  # found by the re-check, not by a keepalive minutes later


def test_mail_announced_inside_our_own_commands_is_found_by_the_recheck(
    sqlite_world: World, running: Any
) -> None:
    """An EXISTS that arrives in the answer to one of the sync's own commands is consumed
    there and never repeated, so neither the NOOP before IDLE nor IDLE reports it."""
    w = sqlite_world
    w.thread(w.contact(JANE))
    assert w.settings.imap is not None
    armed = threading.Event()

    class Swallowing:
        def __getattr__(self, name: str) -> Any:
            return getattr(w.inbox, name)

        def sync_folder(self, client: IMAPClient, folder: str, role: Any, **kw: Any) -> Any:
            result = w.inbox.sync_folder(client, folder, role, **kw)
            if armed.is_set():
                armed.clear()
                w.user.deliver(make_mail(JANE, w.owner, "swallowed"))
                time.sleep(0.3)
                client.noop()  # the EXISTS lands here, inside the pass, and is dropped
            return result

    options = WatchOptions(
        tick=0.05, backoff_base=0.1, grace=5.0, idle_seconds=600, idle_recheck_seconds=1.0
    )
    watcher = running(
        FolderWatcher(w.settings.imap, "inbox", Swallowing(), options=options)  # type: ignore[arg-type]
    )
    wait_for(lambda: watcher.mode == "idle", 5, "IDLE")
    armed.set()  # the next pass (the first re-check) swallows the announcement
    wait_for(lambda: len(w.messages("in")) == 1, 10, "the swallowed message")
