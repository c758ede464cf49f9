"""First sync of a big mailbox and the idle poll that follows, against a real Dovecot.

Per mailbox size: a fresh Dovecot user whose INBOX is seeded by Maildir file drop (see
shared/notes/test-servers.md), and a SQLite store holding a few hundred contacts with sent
outreach, so a few messages in the mailbox are replies to thread and understand while most
(newsletters, receipts) are not. Then, each in its own child process (bench/_children.py) so
peak RSS is that work's alone:

1. a bare imapclient header FETCH of the whole mailbox (same items and batch size as
   coffeechat), cold: Dovecot builds its cache for those header fields here;
2. ``InboxSync.sync_folder(client, "INBOX", "inbox")`` from an empty sync state;
3. the bare FETCH again, warm: the baseline the first sync is compared with.

Then, in this process, the idle poll: one new message delivered (LMTP), ``sync_folder`` timed;
the bare equivalent (EXAMINE, UID SEARCH n:*, FETCH of the new UID) is its floor.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from imapclient import IMAPClient

from bench.common import OWNER, OWNER_TZ, ROOT, BenchEnv, Row, median, quiet_logging
from bench.seed import SeededContact, contacts_with_sent_outreach, drop_maildir, make_settings
from coffeechat.adapters.imap.connection import connect
from coffeechat.adapters.imap.sync import HEADER_ITEM
from coffeechat.clock import SystemClock
from coffeechat.service.inbox import InboxSync
from coffeechat.settings import ImapSettings
from coffeechat.store.db import Store
from servers.dovecot import DOVEADM, ImapUser

CONTACTS = 300
RATIO_TARGET = 0.5
RSS_TARGET_MB = 200.0
POLL_TARGET_MS = 50.0
SENT = datetime(2025, 1, 1, tzinfo=UTC)


@dataclass
class Mailbox:
    size: int
    user: ImapUser
    db_url: str
    contacts: list[SeededContact]
    seed_s: float

    @property
    def imap(self) -> ImapSettings:
        return ImapSettings(
            host="127.0.0.1",
            port=self.user.server.port,
            security="none",
            username=self.user.name,
            password=self.user.password,
            timeout_seconds=120,
        )

    def conf(self) -> dict[str, Any]:
        return {
            "port": self.user.server.port,
            "user": self.user.name,
            "password": self.user.password,
            "db_url": self.db_url,
            "owner": OWNER,
            "tz": OWNER_TZ,
        }


def prepare(env: BenchEnv, size: int, spare: int, fmt: str = "maildir") -> Mailbox:
    """A seeded mailbox of ``size`` messages and its store (``spare`` contacts kept unused
    for the poll rounds' replies). ``fmt`` "sdbox": seeded as Maildir, then copied into the
    sdbox Dovecot with ``doveadm sync`` (about 2,000 msg/s)."""
    server = env.dovecot if fmt == "maildir" else env.dovecot_sdbox
    user = server.add_user()
    work = env.workdir(f"sync-{fmt}-{size}")
    url = f"sqlite:///{work / 'store.sqlite3'}"
    store = Store(url)
    try:
        settings = make_settings(url)
        with store.session() as s:
            account_id = store.account(s, settings.owner.email.lower(), settings.owner.email).id
        contacts = contacts_with_sent_outreach(store, account_id, CONTACTS + spare, sent=SENT)
    finally:
        store.close()
    relevant = contacts[: min(CONTACTS, max(1, size // 200))]
    t0 = time.perf_counter()
    maildir = server.user_maildir(user.name)
    drop_maildir(maildir, size, relevant=relevant, start=SENT)
    if fmt != "maildir":
        subprocess.run(
            [DOVEADM, "-c", str(server.conf), "sync", "-u", user.name, "maildir:~/Maildir"],
            check=True,
            capture_output=True,
            timeout=60 + size / 100,
        )
        shutil.rmtree(maildir)
    with IMAPClient("127.0.0.1", user.server.port, ssl=False, timeout=300) as c:
        c.login(user.name, user.password)
        exists = c.select_folder("INBOX", readonly=True)[b"EXISTS"]  # Dovecot indexes here
    seed_s = time.perf_counter() - t0
    if exists != size:
        raise RuntimeError(f"seeded {size} messages but INBOX holds {exists}")
    return Mailbox(size, user, url, contacts, seed_s)


def _child(what: str, mailbox: Mailbox, timeout: float) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "_children.py"), what, json.dumps(mailbox.conf())],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"{what} child failed ({out.returncode}): {out.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _new_message(i: int, contact: SeededContact | None = None) -> bytes:
    date = format_datetime(datetime.now(UTC))
    if contact is not None:
        return (
            f"From: {contact.name} <{contact.email}>\r\nTo: Maya Chen <{OWNER}>\r\n"
            f"Subject: Re: Quick question\r\nDate: {date}\r\n"
            f"Message-ID: <poll-reply{i}.{time.time_ns()}@mail.example.org>\r\n"
            f"In-Reply-To: <{contact.outreach_message_id}>\r\n\r\n"
            "Happy to chat! Friday at 11am works for me.\r\n"
        ).encode()
    return (
        f"From: Shop <offers@shop{i}.example.net>\r\nTo: Maya Chen <{OWNER}>\r\n"
        f"Subject: This week's offers {i}\r\nDate: {date}\r\n"
        f"Message-ID: <poll{i}.{time.time_ns()}@shop.example.net>\r\n\r\n"
        + "Twenty percent off everything this week.\r\n"
        * 60
    ).encode()


def idle_poll(mailbox: Mailbox, rounds: int) -> dict[str, Any]:
    """Poll cost after the first sync, timed right after an LMTP delivery (as an IDLE
    wake-up sees it): one new stranger's message; one new reply from a contact (body
    fetched, understood, recorded); nothing new. Floors: a bare session doing what
    ``sync_folder`` does on the wire (EXAMINE, UID SEARCH n:*, FETCH), and the same with a
    NOOP instead of the re-EXAMINE (the folder is already selected).

    Dovecot's Maildir rescans the whole cur/ directory when a mailbox is (re)opened after a
    change, so on this server any poll that re-EXAMINEs grows with the mailbox: the EXAMINE
    floor shows how much of the figure that is."""
    quiet_logging()
    settings = make_settings(mailbox.db_url, imap=mailbox.imap)
    store = Store(mailbox.db_url)
    inbox = InboxSync(store, settings, SystemClock())
    client = connect(mailbox.imap)
    bare = IMAPClient("127.0.0.1", mailbox.user.server.port, ssl=False, timeout=60)
    bare.login(mailbox.user.name, mailbox.user.password)
    spare = mailbox.contacts[-rounds:]
    times: dict[str, list[float]] = {
        k: [] for k in ("one", "nothing", "reply", "floor", "floor_noop")
    }
    missed = 0

    def ours(key: str, examined: int, inbound: int = 0) -> None:
        nonlocal missed
        t0 = time.perf_counter()
        result = inbox.sync_folder(client, "INBOX", "inbox")
        times[key].append(time.perf_counter() - t0)
        missed += result.examined != examined or len(result.inbound) != inbound

    def floor(key: str, last: int) -> int:
        nonlocal missed
        mailbox.user.deliver(_new_message(time.time_ns()))
        t0 = time.perf_counter()
        if key == "floor":
            bare.select_folder("INBOX", readonly=True)
        else:
            bare.noop()
        uids = [u for u in bare.search(["UID", f"{last + 1}:*"]) if u > last]
        bare.fetch(uids, [HEADER_ITEM, "RFC822.SIZE", "INTERNALDATE", "FLAGS"])
        times[key].append(time.perf_counter() - t0)
        missed += len(uids) != 1
        return max(uids, default=last)

    try:
        inbox.sync_folder(client, "INBOX", "inbox")  # nothing new after the first sync
        for r in range(rounds):
            mailbox.user.deliver(_new_message(r))
            ours("one", 1)
            ours("nothing", 0)
            mailbox.user.deliver(_new_message(r, spare[r]))
            ours("reply", 1, inbound=1)
            last = int(bare.select_folder("INBOX", readonly=True)[b"UIDNEXT"]) - 1
            last = floor("floor", last)
            floor("floor_noop", last)
            inbox.sync_folder(client, "INBOX", "inbox")  # catch up, untimed
    finally:
        bare.logout()
        client.logout()
        store.close()
    if missed:
        raise RuntimeError(f"idle poll at {mailbox.size}: {missed} polls saw the wrong messages")
    ms = {k: round(median(v) * 1000, 2) for k, v in times.items()}
    return {
        "idle_poll_ms": ms["one"],
        "idle_poll_nothing_new_ms": ms["nothing"],
        "idle_poll_reply_ms": ms["reply"],
        "idle_poll_floor_ms": ms["floor"],
        "idle_poll_noop_floor_ms": ms["floor_noop"],
    }


def _one_size(env: BenchEnv, size: int, poll_rounds: int, fmt: str) -> dict[str, Any]:
    mailbox = prepare(env, size, spare=poll_rounds, fmt=fmt)
    limit = 120 + size / 100  # seconds: far above any plausible run, but bounded
    cold = _child("raw-fetch", mailbox, limit)
    ours = _child("first-sync", mailbox, limit)
    warm = _child("raw-fetch", mailbox, limit)
    if ours["messages"] != size or warm["messages"] != size or ours["blocked"]:
        raise RuntimeError(f"first sync at {size} ({fmt}): {ours}, raw {warm}")
    entry: dict[str, Any] = {
        "seed_s": round(mailbox.seed_s, 2),
        "first_sync_s": round(ours["seconds"], 2),
        "first_sync_msgs_per_s": round(size / ours["seconds"], 1),
        "first_sync_recorded": ours["recorded"],
        "first_sync_rss_mb": round(ours["peak_rss_mb"], 1),
        "first_sync_rss_before_mb": round(ours["rss_before_mb"], 1),
        "raw_fetch_cold_msgs_per_s": round(size / cold["seconds"], 1),
        "raw_fetch_msgs_per_s": round(size / warm["seconds"], 1),
        "raw_fetch_rss_mb": round(warm["peak_rss_mb"], 1),
    }
    entry.update(idle_poll(mailbox, poll_rounds))
    return entry


def run(
    env: BenchEnv,
    sizes: list[int],
    poll_rounds: int = 5,
    formats: tuple[str, ...] = ("maildir", "sdbox"),
) -> dict[str, Any]:
    """First sync and idle poll at every size, on the fixture's Maildir Dovecot and on an
    sdbox one. The headline figures are Maildir's (the fixture as it is) at the largest size."""
    by_format: dict[str, dict[str, dict[str, Any]]] = {}
    for fmt in formats:
        by_format[fmt] = {str(n): _one_size(env, n, poll_rounds, fmt) for n in sorted(sizes)}
    main = by_format[formats[0]]
    top = main[str(max(sizes))]
    out: dict[str, Any] = {
        "mailbox_size": max(sizes),
        "mailbox_format": formats[0],
        "first_sync_msgs_per_s": top["first_sync_msgs_per_s"],
        "raw_fetch_msgs_per_s": top["raw_fetch_msgs_per_s"],
        "first_sync_rss_mb": top["first_sync_rss_mb"],
        "idle_poll_ms": {size: e["idle_poll_ms"] for size, e in main.items()},
        "by_size": main,
    }
    for fmt in formats[1:]:
        out[f"idle_poll_{fmt}_ms"] = {n: e["idle_poll_ms"] for n, e in by_format[fmt].items()}
        out[f"by_size_{fmt}"] = by_format[fmt]
    return out


def rows(f: dict[str, Any]) -> list[Row]:
    out: list[Row] = []
    formats = [f["mailbox_format"]] + [
        k.removeprefix("by_size_") for k in f if k.startswith("by_size_")
    ]
    for fmt in formats:
        by_size = f["by_size"] if fmt == f["mailbox_format"] else f[f"by_size_{fmt}"]
        n = max(by_size, key=int)
        top = by_size[n]
        ratio = top["first_sync_msgs_per_s"] / top["raw_fetch_msgs_per_s"]
        out.append(
            Row(
                f"first sync of {int(n):,} messages ({fmt})",
                top["first_sync_msgs_per_s"],
                "msg/s",
                top["raw_fetch_msgs_per_s"],
                "bare imapclient header FETCH, same items and batches",
                f"≥ {RATIO_TARGET:.0%} of baseline",
                ratio >= RATIO_TARGET,
                note=f"{top['first_sync_s']} s, {top['first_sync_recorded']} recorded; cold "
                f"FETCH {top['raw_fetch_cold_msgs_per_s']} msg/s; seeding {top['seed_s']} s",
            )
        )
        out.append(
            Row(
                f"first sync of {int(n):,} messages ({fmt}), peak RSS",
                top["first_sync_rss_mb"],
                "MB",
                top["raw_fetch_rss_mb"],
                "the bare FETCH's process",
                f"≤ {RSS_TARGET_MB:g} MB",
                top["first_sync_rss_mb"] <= RSS_TARGET_MB,
                higher_is_better=False,
                note=f"child process VmHWM; {top['first_sync_rss_before_mb']} MB after imports "
                "and connect",
            )
        )
        for size, e in by_size.items():
            own = e["idle_poll_ms"] - e["idle_poll_floor_ms"]
            out.append(
                Row(
                    f"idle poll, 1 new message, {int(size):,} mailbox ({fmt})",
                    e["idle_poll_ms"],
                    "ms",
                    e["idle_poll_floor_ms"],
                    "bare EXAMINE + UID SEARCH + FETCH",
                    f"≤ {POLL_TARGET_MS:g} ms",
                    e["idle_poll_ms"] <= POLL_TARGET_MS,
                    higher_is_better=False,
                    note=f"coffeechat's own share {own:.1f} ms; nothing new "
                    f"{e['idle_poll_nothing_new_ms']} ms; a contact's reply (body, "
                    f"understanding, record) {e['idle_poll_reply_ms']} ms; bare NOOP instead "
                    f"of EXAMINE {e['idle_poll_noop_floor_ms']} ms",
                )
            )
    return out
