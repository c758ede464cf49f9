"""A pipeline of contacts at every stage, a daemon process to kill, and what came out of it.

The world is built in-process with a fixed clock (contacts, outreach sent, some replies already
booked with their invitation queued, more replies waiting, more outreach due), then handed to
``coffeechat run`` as a subprocess whose clock starts where the world's stopped.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import ColumnElement, func, select

from coffeechat.cli import main
from coffeechat.clock import FixedClock
from coffeechat.domain.states import MeetingStatus, OutboxState
from coffeechat.service.daemon import Daemon
from coffeechat.service.outreach import queue_outreach
from coffeechat.settings import Settings, load_settings
from coffeechat.store.db import Store
from coffeechat.store.models import Meeting, Message, OutboxItem
from servers.configs import OWNER, write_settings
from servers.dovecot import ImapUser
from servers.radicale import DavUser
from servers.smtp import Received, SmtpServer

#: Monday 2 March 2026, 10:00 in New York (the owner's and the contacts' zone).
MONDAY = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
#: Tuesday 3 March 2026, 09:30 in New York: replies arrive, the daemon takes over.
TUESDAY = datetime(2026, 3, 3, 14, 30, tzinfo=UTC)
HOURS = ("10am", "11am", "12pm", "1pm", "2pm", "3pm", "4pm")
UNFINISHED = (OutboxState.QUEUED, OutboxState.CLAIMED, OutboxState.SENDING)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def cli(path: Path, *args: str) -> str:
    result = CliRunner().invoke(main, ["--config", str(path), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def settings_file(
    tmp_path: Path,
    imap_user: ImapUser,
    smtp: SmtpServer,
    dav: DavUser,
    cafile: Path,
    extra: str = "",
    database_url: str | None = None,
) -> Path:
    """The fixture's settings plus a sending rate that never gets in a test's way."""
    path = write_settings(tmp_path, imap_user, smtp, dav, cafile)
    if database_url is not None:
        sqlite = f'url = "sqlite:///{tmp_path / "store.sqlite3"}"'
        path.write_text(path.read_text().replace(sqlite, f'url = "{database_url}"'))
    with path.open("a") as f:
        f.write("\n[sending]\nmax_per_hour = 500\n" + extra)
    return path


def contact_email(n: int) -> str:
    return f"c{n:02d}@example.org"


def reply_to(
    outreach: Received, n: int, text: str, when: datetime = TUESDAY, tag: str = ""
) -> bytes:
    msg = outreach.message
    return (
        f"From: Contact {n} <{contact_email(n)}>\r\nTo: Maya Chen <{OWNER}>\r\n"
        f"Subject: Re: {msg['Subject']}\r\n"
        f"Date: {when.strftime('%a, %d %b %Y %H:%M:%S +0000')}\r\n"
        f"Message-ID: <reply-{n}{tag}@example.org>\r\nIn-Reply-To: {msg['Message-ID']}\r\n"
        f"References: {msg['Message-ID']}\r\n\r\n"
        f"Hi Maya,\r\n\r\n{text}\r\n\r\nContact {n}\r\n"
    ).encode()


def accept_text(n: int) -> str:
    day = "Thursday" if n < 7 else "Friday"
    return f"Happy to chat! {day} at {HOURS[n % 7]} works for me."


def calendar_events(dav: DavUser) -> Counter[str]:
    """The events on the owner's "Coffee chats" calendar, counted by UID."""
    import caldav

    # caldav's annotations make DAVClient look uncallable to mypy
    client = caldav.DAVClient(dav.server.url, username=dav.name, password=dav.password)  # type: ignore[operator]
    with client as c:
        cal = next(x for x in c.principal().calendars() if x.get_display_name() == "Coffee chats")
        return Counter(str(e.icalendar_component["UID"]) for e in cal.events())


def kind_of(got: Received) -> str:
    """What an email at the collector is: digest, invitation, outreach or other."""
    msg = got.message
    if msg["Auto-Submitted"] == "auto-generated":
        return "digest"
    if any(p.get_content_type() == "text/calendar" for p in msg.walk()):
        return "invitation"
    if msg["In-Reply-To"] is None:
        return "outreach"
    return "other"


def recipient_of(got: Received) -> str:
    return ",".join(sorted(a.lower() for a in got.rcpt_tos))


@dataclass
class Pipeline:
    """20 contacts: 0-6 booked with the invitation queued, 7-13 replied and waiting,
    14-19 with the outreach queued; everything due when the daemon starts."""

    path: Path
    settings: Settings
    imap_user: ImapUser
    smtp: SmtpServer
    dav: DavUser
    outreach: dict[int, Received] = field(default_factory=dict)
    booked_early: int = 7
    waiting: int = 7
    queued: int = 6
    start: datetime = TUESDAY + timedelta(minutes=75)

    @property
    def total(self) -> int:
        return self.booked_early + self.waiting + self.queued

    @property
    def repliers(self) -> int:
        return self.booked_early + self.waiting

    def store(self) -> Store:
        return Store(self.settings.database.effective_url)

    @classmethod
    def build(
        cls,
        tmp_path: Path,
        imap_user: ImapUser,
        smtp: SmtpServer,
        dav: DavUser,
        cafile: Path,
    ) -> Pipeline:
        dav.make_calendar("Coffee chats")
        path = settings_file(tmp_path, imap_user, smtp, dav, cafile)
        world = cls(path, load_settings(path), imap_user, smtp, dav)
        csv = tmp_path / "contacts.csv"
        rows = [f"{contact_email(n)},Contact {n},America/New_York" for n in range(world.total)]
        csv.write_text("email,name,timezone\n" + "\n".join(rows) + "\n")
        cli(path, "contacts", "import", str(csv))
        clock = FixedClock(MONDAY)
        daemon = Daemon(world.settings, clock)
        daemon.open()
        try:
            first = [contact_email(n) for n in range(world.repliers)]
            assert queue_outreach(daemon.store, world.settings, clock, first).queued  # type: ignore[arg-type]
            clock.advance(timedelta(minutes=75))
            asyncio.run(daemon.run_once())
            for got in smtp.messages:
                if kind_of(got) == "outreach":
                    world.outreach[int(got.rcpt_tos[0][1:3])] = got
            assert sorted(world.outreach) == list(range(world.repliers)), world.outreach
            # Tuesday: the first replies are booked (invitation queued, not yet sent)...
            clock.set(TUESDAY)
            for n in range(world.booked_early):
                imap_user.deliver(reply_to(world.outreach[n], n, accept_text(n)))
            daemon.inbox_once()
            daemon.work_once()
            # ... more replies arrive, and the last outreach is queued.
            for n in range(world.booked_early, world.repliers):
                imap_user.deliver(reply_to(world.outreach[n], n, accept_text(n)))
            rest = [contact_email(n) for n in range(world.repliers, world.total)]
            assert queue_outreach(daemon.store, world.settings, clock, rest).queued  # type: ignore[arg-type]
        finally:
            daemon.close()
            assert daemon.store is not None
            daemon.store.close()
        with world.counts() as c:
            assert c.booked == world.booked_early, c
        return world

    @contextmanager
    def counts(self) -> Iterator[Counts]:
        store = self.store()
        try:
            yield Counts.read(store)
        finally:
            store.close()

    def events_by_uid(self) -> Counter[str]:
        return calendar_events(self.dav)


@dataclass
class Counts:
    """What the store says, read by the test (never by the daemon under test)."""

    unfinished_due: int
    unprocessed: int
    inbound: int
    booked: int
    unknown: list[str]
    meeting_uids: list[str]
    rows: list[tuple[str, str, str, str]]  # kind, recipients, state, message_id

    @classmethod
    def read(cls, store: Store, now: datetime | None = None) -> Counts:
        with store.session() as s:
            cond: list[ColumnElement[bool]] = [OutboxItem.state.in_(UNFINISHED)]
            if now is not None:
                cond.append(OutboxItem.due_at <= now)
            unfinished = s.scalar(select(func.count()).select_from(OutboxItem).where(*cond))
            inbound = list(
                s.scalars(
                    select(Message).where(Message.direction == "in", Message.thread_id.is_not(None))
                )
            )
            meetings = list(
                s.scalars(select(Meeting).where(Meeting.status == MeetingStatus.BOOKED))
            )
            rows = [
                (r.kind, ",".join(sorted(r.recipients)), r.state, r.message_id)
                for r in s.scalars(select(OutboxItem).order_by(OutboxItem.id))
            ]
            return cls(
                unfinished_due=int(unfinished or 0),
                unprocessed=sum(1 for m in inbound if m.intent and m.processed_at is None),
                inbound=len(inbound),
                booked=len(meetings),
                unknown=[r[3] for r in rows if r[2] == OutboxState.UNKNOWN],
                meeting_uids=[m.caldav_uid for m in meetings],
                rows=rows,
            )


# ---------------------------------------------------------------- the daemon as a process


@dataclass
class DaemonProcess:
    """``coffeechat run`` as a subprocess whose clock starts at ``start`` and keeps moving
    with real time across restarts (each restart resumes where the last left off)."""

    path: Path
    start: datetime
    log: Path
    stdout: Path | None = None  # None: the log file; "/dev/full" for a full disk
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    elapsed: float = 0.0
    started_at: float = 0.0
    runs: int = 0

    def now(self) -> datetime:
        running = time.monotonic() - self.started_at if self.process is not None else 0.0
        return self.start + timedelta(seconds=self.elapsed + running)

    def spawn(self) -> None:
        assert self.process is None
        env = {**os.environ, "COFFEECHAT_LOGGING__FORMAT": "json", **self.env}
        target = self.stdout or self.log
        with target.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "coffeechat", "--config", str(self.path), "run",
                 "--now", iso(self.now())],
                stdout=out, stderr=subprocess.STDOUT, env=env,
            )  # fmt: skip
        self.started_at = time.monotonic()
        self.runs += 1

    def _reap(self) -> int:
        assert self.process is not None
        code = self.process.wait(timeout=30)
        self.elapsed += time.monotonic() - self.started_at
        self.process = None
        return code

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self._reap()

    def terminate(self, timeout: float = 20) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
        return self._reap()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def close(self) -> None:
        if self.process is not None:
            self.process.kill()
            self._reap()

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def wait_for(predicate: Callable[[], bool], timeout: float, poll: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(poll)
    return predicate()


@dataclass
class SmallWorld:
    """A few contacts whose outreach went out on Monday; replies come next."""

    path: Path
    smtp: SmtpServer
    imap_user: ImapUser
    dav: DavUser
    outreach: dict[int, Received]

    @classmethod
    def build(
        cls,
        tmp_path: Path,
        imap_user: ImapUser,
        smtp: SmtpServer,
        dav: DavUser,
        cafile: Path,
        contacts: int = 2,
        extra: str = "",
        database_url: str | None = None,
    ) -> SmallWorld:
        dav.make_calendar("Coffee chats")
        path = settings_file(tmp_path, imap_user, smtp, dav, cafile, extra, database_url)
        for n in range(contacts):
            cli(path, "contacts", "add", "--email", contact_email(n), "--name", f"Contact {n}",
                "--timezone", "America/New_York")  # fmt: skip
        emails = [contact_email(n) for n in range(contacts)]
        cli(path, "outreach", "start", *emails, "--now", iso(MONDAY))
        cli(path, "run", "--once", "--now", iso(MONDAY + timedelta(minutes=75)))
        outreach = {int(m.rcpt_tos[0][1:3]): m for m in smtp.messages if kind_of(m) == "outreach"}
        assert sorted(outreach) == list(range(contacts)), [m.rcpt_tos for m in smtp.messages]
        return cls(path, smtp, imap_user, dav, outreach)

    def reply(self, n: int, text: str | None = None, tag: str = "") -> bytes:
        return reply_to(self.outreach[n], n, text or accept_text(n), tag=tag)

    @contextmanager
    def store(self) -> Iterator[Store]:
        store = Store(load_settings(self.path).database.effective_url)
        try:
            yield store
        finally:
            store.close()

    def sent_to(self, n: int, kind: str) -> list[Received]:
        addr = contact_email(n)
        return [m for m in self.smtp.messages if recipient_of(m) == addr and kind_of(m) == kind]

    def events(self) -> Counter[str]:
        return calendar_events(self.dav)
