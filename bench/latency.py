"""Reply-to-invitation latency: the daemon as a process, against Dovecot, Radicale, aiosmtpd.

Set-up, through the real CLI (``python -m coffeechat``, a settings file from
tests/servers/configs.py): N+1 contacts imported from a CSV, outreach queued and sent by
``run --once`` (Monday 2 March 2026). Then ``coffeechat run --now`` (Tuesday 10:00 New York)
is started and, one at a time, each contact's reply ("Sure! Thursday, March 5 at 2pm works",
every reply a different slot so none collide) is APPENDed to INBOX by another IMAP session.
Latency is from the APPEND's completion to the invitation (the email with the text/calendar
part answering that reply) arriving at the aiosmtpd receiver, stamped in its DATA handler.
The first reply is a warm-up and is not counted.

The floor is the raw IDLE push: a bare imapclient session IDLEs on INBOX while another
APPENDs; APPEND complete to EXISTS received. Dovecot holds change notifications for a fixed
500 ms, so nothing IDLE-based can beat about half a second here.

The polling baseline: a tool that polls every P seconds sees a reply after P/2 on average
(P·0.95 at p95), plus its processing; for the common 60 s interval that is 30 s and 57 s. With
``poll_replies`` the daemon itself is also run with IDLE off (``imap.use_idle = false``, every
``poll_seconds``) to measure that instead of only computing it.
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bench.common import (
    OWNER,
    BenchEnv,
    Row,
    percentile,
    stop_process,
    wait_until,
)
from servers.configs import write_settings
from servers.dovecot import ImapUser
from servers.smtp import Received

NY = ZoneInfo("America/New_York")
OUTREACH_AT = "2026-03-02T15:00:00Z"  # Monday 10:00 in New York
START = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)  # Tuesday 10:00 in New York
FIRST_SLOT_DAY = date(2026, 3, 5)  # past the 24 h minimum notice
HOURS = (9, 10, 11, 13, 14, 15, 16)
POLL_INTERVAL = 60.0  # what polling tools commonly use
TARGET_P50 = 1.0
_IN_REPLY_TO = re.compile(rb"^In-Reply-To:\s*<([^>\s]+)>", re.IGNORECASE | re.MULTILINE)


def slots(count: int) -> list[datetime]:
    """Distinct meeting starts in working hours on business days, New York time."""
    out: list[datetime] = []
    day = FIRST_SLOT_DAY
    for _ in range(400):  # bounded: 7 slots a business day
        if len(out) >= count:
            break
        if day.weekday() < 5:
            out.extend(datetime(day.year, day.month, day.day, h, tzinfo=NY) for h in HOURS)
        day += timedelta(days=1)
    return out[:count]


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def phrase(i: int, slot: datetime) -> str:
    """A reply accepting ``slot``, worded four ways."""
    hour = f"{(slot.hour - 1) % 12 + 1}{'am' if slot.hour < 12 else 'pm'}"
    variants = (
        f"Sure! {slot:%A}, {slot:%B} {slot.day} at {hour} works for me.",
        f"Happy to chat. How about {slot:%A} {slot:%B} {slot.day} at {hour}?",
        f"{slot:%A} {slot.month}/{slot.day} at {hour} works.",
        f"Thanks for reaching out! I could do {slot:%A} the {_ordinal(slot.day)} at {hour}.",
    )
    return variants[i % len(variants)]


def reply_raw(i: int, email: str, name: str, outreach_id: str, text: str, when: datetime) -> bytes:
    return (
        f"From: {name} <{email}>\r\nTo: Maya Chen <{OWNER}>\r\n"
        f"Subject: Re: coffee chat?\r\nDate: {format_datetime(when.astimezone(NY))}\r\n"
        f"Message-ID: <bench-reply-{i}@{email.rpartition('@')[2]}>\r\n"
        f"In-Reply-To: <{outreach_id}>\r\nReferences: <{outreach_id}>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        f"Hi Maya,\r\n\r\n{text}\r\n\r\n{name.split()[0]}\r\n"
    ).encode()


class _Arrivals:
    """Stamps each invitation as it reaches the receiver, keyed by the reply it answers."""

    def __init__(self) -> None:
        self.at: dict[str, float] = {}

    def __call__(self, got: Received) -> None:
        now = time.monotonic()
        if b"text/calendar" not in got.data:
            return
        head = got.data.split(b"\r\n\r\n", 1)[0]
        m = _IN_REPLY_TO.search(head)
        if m is not None:
            self.at.setdefault(m.group(1).decode("ascii", "replace"), now)


def _env(work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COFFEECHAT_")}
    env.update(
        XDG_CONFIG_HOME=str(work / "xdg-config"),
        XDG_DATA_HOME=str(work / "xdg-data"),
        COFFEECHAT_LOGGING__FORMAT="json",
    )
    return env


def _cli(config: Path, env: dict[str, str], *args: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "coffeechat", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"coffeechat {' '.join(args)} failed: {out.stdout[-1500:]}")
    return out.stdout


def _setup(env: BenchEnv, contacts: int) -> dict[str, Any]:
    """Servers, settings file, contacts, and their outreach sent: returns what the runs need."""
    work = env.workdir("latency")
    imap_user = env.dovecot.add_user()
    dav = env.radicale.add_user()
    dav.make_calendar("Coffee chats")
    smtp = env.smtp()
    config = write_settings(work, imap_user, smtp, dav, env.cert[0], idle_recheck_seconds=30)
    with config.open("a") as f:
        f.write("\n[sending]\nmax_per_hour = 1000\n")
    penv = _env(work)
    people = [(f"person{i}@firm{i}.example", f"Pat{i} Rivera{i}") for i in range(contacts)]
    csv = work / "contacts.csv"
    csv.write_text(
        "email,name,company,timezone\n"
        + "".join(f"{e},{n},Firm {i},America/New_York\n" for i, (e, n) in enumerate(people))
    )
    _cli(config, penv, "contacts", "import", str(csv))
    _cli(config, penv, "outreach", "start", "--all-new", "--now", OUTREACH_AT)
    emails = {e for e, _ in people}

    def outreach_ids() -> dict[str, str]:
        found = {}
        for m in smtp.messages:
            to = m.rcpt_tos[0] if m.rcpt_tos else ""
            if to in emails:
                found[to] = str(m.message["Message-ID"]).strip().strip("<>")
        return found

    for hour in range(16, 22):  # the sends are spread over the hour; a few passes at most
        _cli(config, penv, "run", "--once", "--now", f"2026-03-02T{hour}:05:00Z")
        if len(outreach_ids()) == contacts:
            break
    ids = outreach_ids()
    if len(ids) != contacts:
        raise RuntimeError(f"only {len(ids)} of {contacts} outreach emails were sent")
    return {
        "work": work,
        "config": config,
        "env": penv,
        "user": imap_user,
        "smtp": smtp,
        "people": [(e, n, ids[e]) for e, n in people],
    }


def _drive(
    env: BenchEnv,
    setup: dict[str, Any],
    people: list[tuple[str, str, str]],
    first: int,
    *,
    now: datetime,
    script: list[str],
    extra_env: dict[str, str],
    timeout: float,
    jitter: float = 0.0,
    gap: float = 0.5,
) -> tuple[list[float], int]:
    """Start a daemon, send ``people``'s replies one by one, return latencies and misses."""
    arrivals = _Arrivals()
    setup["smtp"].collector.on_data = arrivals
    log: Path = setup["work"] / f"daemon-{first}.log"
    with log.open("wb") as out:
        daemon = env.adopt(
            subprocess.Popen(
                [sys.executable, *script, "--config", str(setup["config"]), "run", "--now",
                 now.isoformat()],
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**setup["env"], **extra_env},
            )
        )  # fmt: skip
    launched = time.monotonic()

    def watching() -> bool:
        if daemon.poll() is not None:
            raise RuntimeError(f"the daemon exited: {log.read_text()[-2000:]}")
        return log.read_bytes().count(b'"watching folder"') >= 2

    if not wait_until(watching, 60, 0.05):
        raise RuntimeError(f"the daemon did not start watching: {log.read_text()[-2000:]}")
    time.sleep(1.5)  # let both watchers finish their first pass and go idle
    slot_list = slots(first + len(people))
    user: ImapUser = setup["user"]
    appender = user.client()
    latencies: list[float] = []
    missed = 0
    rng = random.Random(first)
    try:
        for k, (email, name, outreach_id) in enumerate(people):
            i = first + k
            when = now + timedelta(seconds=time.monotonic() - launched)
            raw = reply_raw(i, email, name, outreach_id, phrase(i, slot_list[i]), when)
            if jitter:
                time.sleep(rng.uniform(0, jitter))  # land anywhere in the poll interval
            appender.append("INBOX", raw)
            t0 = time.monotonic()
            key = f"bench-reply-{i}@{email.rpartition('@')[2]}"
            if wait_until(lambda key=key: key in arrivals.at, timeout, 0.005):  # type: ignore[misc]
                latencies.append(arrivals.at[key] - t0)
            else:
                missed += 1
                if daemon.poll() is not None:
                    raise RuntimeError(f"the daemon died: {log.read_text()[-2000:]}")
            time.sleep(gap)
    finally:
        appender.logout()
        stop_process(daemon)
        setup["smtp"].collector.on_data = None
    if missed and not latencies:
        raise RuntimeError(f"no invitation arrived; daemon log: {log.read_text()[-3000:]}")
    return latencies, missed


def idle_floor(user: ImapUser, samples: int, timeout: float = 10.0) -> list[float]:
    """APPEND (another session) complete → EXISTS on a bare imapclient IDLE session."""
    watcher = user.client()
    appender = user.client()
    watcher.select_folder("INBOX")
    out: list[float] = []
    try:
        for i in range(samples):
            watcher.idle()
            raw = (
                f"From: a@example.org\r\nTo: {OWNER}\r\nSubject: ping {i}\r\n"
                f"Message-ID: <floor{i}.{time.time_ns()}@example.org>\r\n\r\nping\r\n"
            ).encode()
            appender.append("INBOX", raw)
            t0 = time.monotonic()
            deadline = t0 + timeout
            while (remaining := deadline - time.monotonic()) > 0:
                responses = watcher.idle_check(timeout=remaining)
                if any(len(r) >= 2 and r[1] == b"EXISTS" for r in responses):
                    out.append(time.monotonic() - t0)
                    break
            watcher.idle_done()
    finally:
        appender.logout()
        watcher.logout()
    return out


def run(
    env: BenchEnv,
    replies: int,
    floor_samples: int,
    poll_replies: int = 0,
    poll_seconds: float = 5.0,
) -> dict[str, Any]:
    setup = _setup(env, 1 + replies + poll_replies)
    people = setup["people"]
    lat, missed = _drive(
        env,
        setup,
        people[: 1 + replies],
        0,
        now=START,
        script=["-m", "coffeechat"],
        extra_env={},
        timeout=30,
    )
    lat = lat[1:]  # the first reply warms the daemon up (CalDAV discovery, caches)
    floor = idle_floor(env.dovecot.add_user(), floor_samples)
    result: dict[str, Any] = {
        "replies": len(lat),
        "missed": missed,
        "reply_to_invite_p50_s": round(percentile(lat, 50), 3),
        "reply_to_invite_p95_s": round(percentile(lat, 95), 3),
        "reply_to_invite_min_s": round(min(lat), 3),
        "reply_to_invite_max_s": round(max(lat), 3),
        "idle_push_p50_s": round(percentile(floor, 50), 3),
        "idle_push_p95_s": round(percentile(floor, 95), 3),
        "idle_push_samples": len(floor),
        "poll_interval_s": POLL_INTERVAL,
        "polling_expected_p50_s": POLL_INTERVAL / 2,
        "polling_expected_p95_s": POLL_INTERVAL * 0.95,
    }
    if poll_replies:
        plat, pmissed = _drive(
            env,
            setup,
            people[1 + replies :],
            1 + replies,
            now=START + timedelta(hours=1),
            script=["-m", "coffeechat"],
            extra_env={
                "COFFEECHAT_IMAP__USE_IDLE": "false",
                "COFFEECHAT_IMAP__POLL_SECONDS": str(poll_seconds),
            },
            timeout=poll_seconds * 2 + 30,
            jitter=poll_seconds,
            gap=0.2,
        )
        result.update(
            {
                "polled_poll_seconds": poll_seconds,
                "polled_replies": len(plat),
                "polled_missed": pmissed,
                "polled_p50_s": round(percentile(plat, 50), 3),
                "polled_p95_s": round(percentile(plat, 95), 3),
            }
        )
    return result


def rows(f: dict[str, Any]) -> list[Row]:
    n = f["replies"]
    miss = f", {f['missed']} missed" if f["missed"] else ""
    out = [
        Row(
            f"reply→invitation p50, IDLE, {n} replies",
            f["reply_to_invite_p50_s"],
            "s",
            f["polling_expected_p50_s"],
            f"polling every {f['poll_interval_s']:g} s (expected, computed)",
            f"≤ {TARGET_P50:g} s",
            f["reply_to_invite_p50_s"] <= TARGET_P50,
            higher_is_better=False,
            note=f"min {f['reply_to_invite_min_s']} s, max {f['reply_to_invite_max_s']} s{miss}",
        ),
        Row(
            f"reply→invitation p95, IDLE, {n} replies",
            f["reply_to_invite_p95_s"],
            "s",
            f["polling_expected_p95_s"],
            f"polling every {f['poll_interval_s']:g} s (expected, computed)",
            higher_is_better=False,
        ),
        Row(
            f"raw IDLE push p50 (floor), {f['idle_push_samples']} samples",
            f["idle_push_p50_s"],
            "s",
            note=f"p95 {f['idle_push_p95_s']} s; Dovecot holds notifications 500 ms",
            higher_is_better=False,
        ),
    ]
    if "polled_p50_s" in f:
        p = f["polled_poll_seconds"]
        out.append(
            Row(
                f"reply→invitation p50, IDLE off, {p:g} s polling",
                f["polled_p50_s"],
                "s",
                p / 2,
                f"{p:g} s / 2 (expected wait)",
                higher_is_better=False,
                note=f"{f['polled_replies']} replies, p95 {f['polled_p95_s']} s; the daemon "
                "run with imap.use_idle = false",
            )
        )
    return out
