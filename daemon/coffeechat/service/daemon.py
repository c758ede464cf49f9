"""`coffeechat run`: one asyncio process that watches, reacts, books, sends and digests.

Tasks (each restarted with backoff by the supervisor if it crashes):
- ``imap``: one watcher thread per folder (INBOX and Sent) using IDLE, polling where missing;
  every sync pass wakes the worker.
- ``work``: reacts to new replies, queues what the cadence says is due (follow-ups,
  thank-yous, keep-in-touch, the digest), and sends due outbox rows; then sleeps until the next
  due row, meeting end or digest, or until woken by new mail.
- ``calendar``: follows the owner's hand edits on the calendar.

Blocking libraries (imapclient, caldav, SQLAlchemy) run in worker threads. SIGTERM/SIGINT set
the stop event: the email being sent is finished, connections close, exit 0. SIGHUP re-reads
the settings file and applies it live (``reload``); only a changed database or set of accounts
waits for a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import func, select

from coffeechat.clock import Clock
from coffeechat.domain.states import MeetingStatus, OutboxState
from coffeechat.entry import Terminated
from coffeechat.service.reload import plan_reload
from coffeechat.service.supervisor import Supervisor, record_health
from coffeechat.settings import Settings, SettingsError, load_settings
from coffeechat.store.db import Store
from coffeechat.store.models import Meeting, OutboxItem

log = structlog.get_logger(__name__)

#: The scheduler never sleeps longer than this, so cadence decisions that have no row yet
#: (a follow-up becoming due) are found within this much of their time.
MAX_SLEEP = timedelta(minutes=10)
CALENDAR_SYNC_EVERY = timedelta(minutes=5)
SEND_BATCH = 20
LOCK_RETRY = timedelta(seconds=30)
READY_TIMEOUT = 120.0


def sd_notify(message: str) -> None:
    """Tell systemd (Type=notify) we are ready or stopping; a no-op elsewhere."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return
    if address.startswith("@"):
        address = "\0" + address[1:]
    with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        s.connect(address)
        s.sendall(message.encode())


@dataclass
class Daemon:
    settings: Settings
    clock: Clock
    store: Store | None = None
    account_id: int = 0
    calendar: Any = None
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    #: set by a reload that changed the settings: the IMAP watchers restart with them
    imap_restart: asyncio.Event = field(default_factory=asyncio.Event)
    #: set by a reload that changed [caldav]: the connection is rebuilt before the next pass
    calendar_stale: bool = False
    last_calendar_sync: datetime | None = None

    # ------------------------------------------------------------ start and stop

    def open(self, store: Store | None = None) -> None:
        self.store = store or Store(self.settings.database.effective_url)
        with self.store.session() as s:
            owner = self.settings.owner.email
            self.account_id = self.store.account(s, owner.lower(), owner).id

    def close(self) -> None:
        if self.calendar is not None:
            with contextlib.suppress(Exception):
                self.calendar.close()
            self.calendar = None

    def _calendar(self) -> Any:
        """The CalDAV calendar, connected on first need (None when not configured)."""
        if self.settings.caldav is None:
            return None
        if self.calendar is None:
            from coffeechat.adapters.caldav import CaldavCalendar

            self.calendar = CaldavCalendar(self.settings.caldav, owner_tz=self.settings.owner.zone)
        return self.calendar

    def _health(self, component: str, error: str | None) -> None:
        assert self.store is not None
        record_health(self.store, self.account_id, component, self.clock, error)

    # ------------------------------------------------------------ one pass of work

    def inbox_once(self) -> None:
        """Sync INBOX and Sent once (for --once, and at start before IDLE takes over)."""
        if self.settings.imap is None:
            return
        from coffeechat.adapters.imap.connection import sent_folder, session
        from coffeechat.service.inbox import InboxSync

        assert self.store is not None
        inbox = InboxSync(self.store, self.settings, self.clock)
        try:
            with session(self.settings.imap) as client:
                inbox.sync_folder(client, self.settings.imap.folder, "inbox")
                sent = sent_folder(client, self.settings.imap)
                if sent:
                    inbox.sync_folder(client, sent, "sent")
            inbox.report_health(None)
        except Exception as exc:
            inbox.report_health(f"{type(exc).__name__}: {exc}")
            raise

    def work_once(self) -> None:
        """React to replies, queue what is due, sync the calendar if it is time. Blocking."""
        from coffeechat.service.digest import queue_daily_digest
        from coffeechat.service.reactions import react_pending
        from coffeechat.service.rerender import rerender_held
        from coffeechat.service.schedule import schedule_due

        assert self.store is not None
        settings = self.settings  # one pass, one version of the settings (SIGHUP swaps it)
        if self.calendar_stale:  # between passes, so no booking is using the old one
            self.calendar_stale = False
            self.close()
        calendar = None
        if settings.caldav is not None:
            try:
                calendar = self._calendar()
                self._health("caldav", None)
            except Exception as exc:
                self._health("caldav", f"{type(exc).__name__}: {exc}")
                log.warning("caldav.unavailable", error=f"{type(exc).__name__}: {exc}")
        react_pending(self.store, settings, self.clock, calendar, self.account_id)
        if calendar is not None and self._calendar_sync_due():
            self.sync_calendar(calendar)
        schedule_due(self.store, settings, self.clock, account_id=self.account_id)
        # emails held by a template error go out once the owner has fixed the template
        rerender_held(self.store, settings, self.clock, account_id=self.account_id)
        queue_daily_digest(self.store, settings, self.clock)

    def _calendar_sync_due(self) -> bool:
        now = self.clock.now()
        return self.last_calendar_sync is None or now - self.last_calendar_sync >= (
            CALENDAR_SYNC_EVERY
        )

    def sync_calendar(self, calendar: Any) -> None:
        from coffeechat.service.calendar_sync import sync_calendar

        assert self.store is not None
        try:
            sync_calendar(
                self.store, calendar, self.clock, self.account_id, self.settings,
                within=self._queue_calendar_update,
            )  # fmt: skip
            self.last_calendar_sync = self.clock.now()
            self._health("caldav", None)
        except Exception as exc:
            self._health("caldav", f"{type(exc).__name__}: {exc}")
            log.warning("calendar.sync_failed", error=f"{type(exc).__name__}: {exc}")

    def _queue_calendar_update(self, session: Any, invitation: Any) -> None:
        """The owner moved or deleted a meeting by hand: tell the contact (REQUEST / CANCEL)."""
        from coffeechat.domain.invitations import invitation_parts
        from coffeechat.domain.states import OutboxKind
        from coffeechat.service.thread_mail import queue_thread_email
        from coffeechat.store.models import Thread

        thread = session.get(Thread, invitation.thread_id)
        if thread is None:
            return
        moved = invitation.method == "REQUEST"
        meeting = session.scalar(
            select(Meeting).where(Meeting.thread_id == thread.id).order_by(Meeting.id.desc())
        )
        queue_thread_email(
            session, self.settings, self.clock, thread=thread,
            kind=OutboxKind.RESCHEDULE if moved else OutboxKind.CANCELLATION,
            key=invitation.idempotency_key,
            template="reschedule" if moved else "cancellation",
            meeting=meeting, extra_parts=invitation_parts(invitation.ics, invitation.method),
        )  # fmt: skip

    async def send_once(self) -> int:
        """Send everything due now, in batches; returns how many went out (or to Drafts)."""
        from coffeechat.service.sender import send_due

        assert self.store is not None
        total = 0
        for _ in range(50):  # bounded: max_per_hour keeps the real count far lower
            if self.stop.is_set():
                break
            report = await send_due(
                self.store, self.settings, self.clock, limit=SEND_BATCH, account_id=self.account_id
            )
            done = int(getattr(report, "sent", 0)) + int(getattr(report, "drafted", 0))
            total += done
            if getattr(report, "claimed", 0) < SEND_BATCH or done == 0:
                break
        return total

    def next_wake(self) -> datetime:
        """The earliest of: the next queued outbox row, the next meeting's end (thank-you),
        the next digest; never later than MAX_SLEEP from now."""
        from coffeechat.domain.digest import next_digest_at

        assert self.store is not None
        now = self.clock.now()
        candidates = [now + MAX_SLEEP]
        with self.store.session() as s:
            due = s.scalar(
                select(func.min(OutboxItem.due_at)).where(
                    OutboxItem.account_id == self.account_id,
                    OutboxItem.state == OutboxState.QUEUED,
                )
            )
            meeting_end = s.scalar(
                select(func.min(Meeting.end_at)).where(
                    Meeting.account_id == self.account_id,
                    Meeting.status == MeetingStatus.BOOKED,
                    Meeting.end_at > now,
                )
            )
        if due is not None:
            candidates.append(due)
        if meeting_end is not None:
            hours = self.settings.schedule.thankyou_after_hours
            candidates.append(meeting_end + timedelta(hours=hours))
        with contextlib.suppress(Exception):
            candidates.append(
                next_digest_at(
                    now, self.settings.schedule.digest_time, self.settings.owner.zone, None
                )
            )
        return max(now, min(candidates))

    # ------------------------------------------------------------ the tasks

    async def work_loop(self) -> None:
        while not self.stop.is_set():
            self.wake.clear()
            await asyncio.to_thread(self.work_once)
            await self.send_once()
            await asyncio.to_thread(self.work_once)  # react to what sending changed (states)
            wake_at = await asyncio.to_thread(self.next_wake)
            delay = max(0.0, (wake_at - self.clock.now()).total_seconds())
            if delay == 0.0:
                delay = 1.0  # something is due but deferred (send window, pause): breathe
            log.debug("scheduler.sleep", seconds=round(delay, 1), until=wake_at.isoformat())
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await _first_of(self.stop, self.wake)

    async def imap_task(self) -> None:
        """Watch the mailbox until stopped; a reload restarts the watchers with its settings."""
        from coffeechat.adapters.imap.watch import WatchOptions, watch_mailbox
        from coffeechat.service.inbox import InboxSync

        assert self.store is not None
        while not self.stop.is_set():
            self.imap_restart.clear()
            settings = self.settings
            watch_stop = asyncio.Event()
            relay = asyncio.ensure_future(_set_when_any(watch_stop, self.stop, self.imap_restart))
            try:
                if settings.imap is None:
                    await watch_stop.wait()
                    continue
                inbox = InboxSync(self.store, settings, self.clock)
                options = WatchOptions(use_idle=None if settings.imap.use_idle else False)
                await watch_mailbox(
                    settings.imap,
                    inbox,
                    watch_stop,
                    on_result=lambda _result: self.wake.set(),
                    options=options,
                )
            finally:
                relay.cancel()
            if not self.stop.is_set():
                log.info("imap.restarting", reason="settings reloaded")

    # ------------------------------------------------------------ entry points

    async def run_once(self) -> int:
        await asyncio.to_thread(self._recover)
        await asyncio.to_thread(self.inbox_once)
        await asyncio.to_thread(self.work_once)
        sent = await self.send_once()
        await asyncio.to_thread(self.work_once)
        log.info("once.done", sent=sent)
        return 0

    def _recover(self) -> None:
        from coffeechat.service.sender import recover

        assert self.store is not None
        if self.settings.smtp is not None or self.settings.sending.mode == "drafts":
            recover(self.store, self.settings, self.clock, account_id=self.account_id)

    async def run_forever(self) -> int:
        """Serve this account until the stop event: wait for its lock, then run its tasks."""
        from coffeechat.service.account_lock import AccountLock

        assert self.store is not None
        lock = AccountLock(self.store, self.account_id)
        announced = False
        while not lock.acquire():
            if not announced:
                log.warning(
                    "account.busy",
                    account=self.settings.owner.email,
                    hint="another coffeechat process serves it; waiting to take over",
                )
                announced = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), LOCK_RETRY.total_seconds())
            self.ready.set()  # waiting for the lock is a ready state too
            if self.stop.is_set():
                return 0
        try:
            problems = await asyncio.to_thread(self._probe)
            await asyncio.to_thread(self._recover)
            supervisor = Supervisor(self.store, self.account_id, self.clock, self.stop)
            supervisor.add("imap", self.imap_task)
            supervisor.add("work", self.work_loop)
            if problems:  # running, but not everything works: say so, keep retrying
                log.warning("ready.degraded", account=self.settings.owner.email, problems=problems)
            else:
                log.info("ready", account=self.settings.owner.email, database=self.store.dialect)
            self.ready.set()
            await supervisor.run()
        finally:
            self.ready.set()
            lock.release()
        return 0

    def _probe(self) -> list[str]:
        """Ready means working: log in to IMAP and find the calendar once before saying so."""
        problems = []
        if self.settings.imap is not None:
            from coffeechat.adapters.imap.connection import session

            try:
                with session(self.settings.imap):
                    pass
                self._health("imap", None)
            except Exception as exc:
                problems.append(f"imap: {exc}")
                self._health("imap", f"{type(exc).__name__}: {exc}")
        if self.settings.caldav is not None:
            try:
                self._calendar()
                self._health("caldav", None)
            except Exception as exc:
                problems.append(f"caldav: {exc}")
                self._health("caldav", f"{type(exc).__name__}: {exc}")
        return problems

    def apply_settings(self, fresh: Settings, sections: tuple[str, ...]) -> None:
        """Run on ``fresh`` from the next pass on. Connections built from a changed section
        are rebuilt: the calendar before the next pass, the IMAP watchers now."""
        self.settings = fresh
        if "caldav" in sections:
            self.calendar_stale = True
        self.imap_restart.set()  # the inbox reader holds the settings too
        self.wake.set()
        log.info("reload.applied", account=fresh.owner.email, sections=list(sections))


async def _first_of(*events: asyncio.Event) -> None:
    """Return as soon as any of ``events`` is set."""
    waits = [asyncio.ensure_future(e.wait()) for e in events]
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waits:
            w.cancel()


async def _set_when_any(target: asyncio.Event, *sources: asyncio.Event) -> None:
    """Set ``target`` once any of ``sources`` is (cancelled first: never)."""
    await _first_of(*sources)
    target.set()


def reload(daemons: list[Daemon], account: str | None) -> None:
    """SIGHUP: re-read the settings file and apply what can change while running.

    An unreadable or invalid file changes nothing (the error is logged with the key and the
    file); the daemon carries on with the settings it has.
    """
    source = daemons[0].settings.source if daemons else None
    if source is None:
        log.warning("reload.ignored", reason="settings were not read from a file")
        return
    try:
        fresh = load_settings(source)
        plan = plan_reload([d.settings for d in daemons], fresh, account)
    except SettingsError as exc:
        log.error("reload.invalid", error=str(exc), hint="still running on the previous settings")
        return
    if plan.unchanged:
        log.info("reload.unchanged")
        return
    if any("logging" in change.sections for change in plan.changes):  # one for the process
        from coffeechat.logsetup import configure_logging

        configure_logging(fresh.logging.level, fresh.logging.format)
    by_owner = {d.settings.owner.email.lower(): d for d in daemons}
    for change in plan.changes:
        by_owner[change.owner].apply_settings(change.settings, change.sections)
    if plan.needs_restart:
        log.warning(
            "reload.needs_restart",
            changed=list(plan.needs_restart),
            hint="restart coffeechat (systemctl restart coffeechat) to apply these",
        )


async def _serve_all(daemons: list[Daemon], once: bool, account: str | None) -> int:
    if once:
        codes = [await d.run_once() for d in daemons]
        return max(codes, default=0)
    loop = asyncio.get_running_loop()

    def request_stop(name: str) -> None:
        log.info("stopping", signal=name)
        for d in daemons:
            d.stop.set()
            d.wake.set()

    def on_hup() -> None:
        reload(daemons, account)  # one file for all accounts: one report

    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, request_stop, sig.name)
    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGHUP, on_hup)

    async def notify_when_ready() -> None:
        # every account probed (or waiting for another process's lock): tell systemd
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                asyncio.gather(*(d.ready.wait() for d in daemons)), READY_TIMEOUT
            )
        sd_notify("READY=1")

    await asyncio.gather(notify_when_ready(), *(d.run_forever() for d in daemons))
    sd_notify("STOPPING=1")
    log.info("stopped")
    return 0


def serve(
    settings: Settings, clock: Clock, *, once: bool = False, account: str | None = None
) -> int:
    """Run the daemon for every account in ``settings`` until stopped (or one pass with
    ``once``); ``account`` names the one account --account chose, for reloads."""
    try:
        store = Store(settings.database.effective_url)
    except Exception as exc:
        log.error("start.failed", error=str(exc))
        return 1
    daemons = [Daemon(account, clock) for account in settings.all_accounts()]
    try:
        for daemon in daemons:
            daemon.open(store)
        return int(asyncio.run(_serve_all(daemons, once, account)))
    except (KeyboardInterrupt, Terminated):
        return 0
    except Exception as exc:
        log.error("start.failed", error=f"{type(exc).__name__}: {exc}")
        return 1
    finally:
        for daemon in daemons:
            daemon.close()
        store.close()
