"""A day of work compressed: 24 simulated hours on a fixed clock, new contacts, replies and
sends every hour, the daemon's passes called in-process. Memory and open file descriptors
stay flat after a warm-up."""

from __future__ import annotations

import asyncio
import gc
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from coffeechat.clock import FixedClock
from coffeechat.service.daemon import Daemon
from coffeechat.service.outreach import queue_outreach
from coffeechat.settings import load_settings
from coffeechat.store.models import Contact, Message
from servers.dovecot import ImapUser
from servers.radicale import DavUser
from servers.smtp import Received, SmtpServer

from .harness import cli, contact_email, kind_of, reply_to, settings_file

HOURS = 24
WARM_UP = 4  # hours before the baseline is taken
STEPS_PER_HOUR = 4
NEW_PER_HOUR = 2
RSS_BOUND_KB = 10 * 1024
FD_BOUND = 5
#: Sunday 1 March 2026, 23:00 in New York: a night, a working day, an evening.
START = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)


def rss_kb() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def open_fds() -> int:
    return len(list(Path("/proc/self/fd").iterdir()))


def business_days_after(day: date, n: int) -> date:
    while n:
        day += timedelta(days=1)
        if day.weekday() < 5:
            n -= 1
    return day


def answer(n: int) -> str:
    """Every other contact accepts a distinct weekday afternoon; the rest decline."""
    if n % 2:
        return "Thanks for writing, but I'm not able to help at the moment. Good luck!"
    day = business_days_after(date(2026, 3, 4), n // 2)
    hour = 10 + (n // 2) % 6
    when = f"{day.strftime('%A')}, {day.strftime('%B')} {day.day} at {hour % 12 or 12}" + (
        "am" if hour < 12 else "pm"
    )
    return f"Happy to chat! Would {when} work for you?"


@pytest.mark.slow
def test_a_compressed_day_keeps_memory_and_fds_flat(
    tmp_path: Path,
    imap_user: ImapUser,
    smtp_server: SmtpServer,
    dav_user: DavUser,
    certificate: tuple[Path, Path],
) -> None:
    dav_user.make_calendar("Coffee chats")
    path = settings_file(tmp_path, imap_user, smtp_server, dav_user, certificate[0])
    settings = load_settings(path)
    clock = FixedClock(START)
    daemon = Daemon(settings, clock)
    daemon.open()
    store = daemon.store
    assert store is not None
    replied: set[int] = set()
    added = 0
    series: list[tuple[int, int, int]] = []  # hour, RSS kB, fds

    async def soak() -> None:
        nonlocal added
        for hour in range(HOURS):
            for _ in range(NEW_PER_HOUR):  # new contacts, outreach queued
                cli(path, "contacts", "add", "--email", contact_email(added),
                    "--name", f"Contact {added}", "--timezone", "America/New_York")  # fmt: skip
                queue_outreach(store, settings, clock, [contact_email(added)])
                added += 1
            outreach: dict[int, Received] = {
                int(m.rcpt_tos[0][1:3]): m for m in smtp_server.messages if kind_of(m) == "outreach"
            }
            for n in sorted(set(outreach) - replied):  # everyone written to answers
                imap_user.deliver(reply_to(outreach[n], n, answer(n), when=clock.now()))
                replied.add(n)
            for _ in range(STEPS_PER_HOUR):
                daemon.inbox_once()
                daemon.work_once()
                await daemon.send_once()
                daemon.work_once()
                clock.advance(timedelta(hours=1) / STEPS_PER_HOUR)
            gc.collect()
            series.append((hour, rss_kb(), open_fds()))

    try:
        asyncio.run(soak())
    finally:
        daemon.close()
        store.close()

    base_rss, base_fds = series[WARM_UP][1], series[WARM_UP][2]
    after = series[WARM_UP:]
    rss_growth = max(r for _, r, _ in after) - base_rss
    fd_growth = max(f for _, _, f in after) - base_fds
    print("\nsoak hour: RSS kB / fds")
    print("  " + " ".join(f"{h}:{r}/{f}" for h, r, f in series))
    print(f"  after warm-up: RSS growth {rss_growth} kB (bound {RSS_BOUND_KB}), "
          f"fd growth {fd_growth} (bound {FD_BOUND})")  # fmt: skip

    # The day did real work: everyone written to, every reply recorded and acted on.
    kinds = Counter(kind_of(m) for m in smtp_server.messages)
    ids = Counter(m.message["Message-ID"] for m in smtp_server.messages)
    assert all(v == 1 for v in ids.values())
    assert kinds["outreach"] >= HOURS and kinds["invitation"] >= 4, kinds
    check = load_settings(path)
    from coffeechat.store.db import Store

    verify = Store(check.database.effective_url)
    try:
        with verify.session() as s:
            contacts = s.scalar(select(func.count()).select_from(Contact))
            unprocessed = s.scalar(
                select(func.count())
                .select_from(Message)
                .where(Message.direction == "in", Message.intent.is_not(None),
                       Message.processed_at.is_(None))
            )  # fmt: skip
    finally:
        verify.close()
    assert contacts == HOURS * NEW_PER_HOUR and unprocessed == 0
    assert rss_growth < RSS_BOUND_KB, series
    assert fd_growth < FD_BOUND, series
