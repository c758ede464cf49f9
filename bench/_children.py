"""Child processes for bench/sync.py, so peak RSS is the sync's own and not the bench's.

    python bench/_children.py first-sync '{"host": ..., "port": ..., "user": ..., ...}'
    python bench/_children.py raw-fetch  '{...}'

Each prints one JSON line: seconds, messages, peak RSS (VmHWM) and RSS before the work.
Imports nothing from bench/ (nor the test servers): only what the daemon itself loads.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any


def _rss() -> dict[str, float]:
    out: dict[str, float] = {}
    with Path("/proc/self/status").open() as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                out[line[:5]] = int(line.split()[1]) / 1024
    return out


def first_sync(conf: dict[str, Any]) -> dict[str, Any]:
    from coffeechat.adapters.imap.connection import connect
    from coffeechat.clock import SystemClock
    from coffeechat.logsetup import configure_logging
    from coffeechat.service.inbox import InboxSync
    from coffeechat.settings import DatabaseSettings, ImapSettings, OwnerSettings, Settings
    from coffeechat.store.db import Store

    configure_logging("info", "json", stream=open(os.devnull, "w"))  # noqa: SIM115
    settings = Settings(
        owner=OwnerSettings(name="Maya Chen", email=conf["owner"], timezone=conf["tz"]),
        imap=ImapSettings(
            host="127.0.0.1",
            port=conf["port"],
            security="none",
            username=conf["user"],
            password=conf["password"],
            timeout_seconds=120,
        ),
        database=DatabaseSettings(url=conf["db_url"]),
    )
    store = Store(conf["db_url"])
    inbox = InboxSync(store, settings, SystemClock())
    assert settings.imap is not None
    client = connect(settings.imap)
    before = _rss()["VmRSS"]
    try:
        t0 = time.perf_counter()
        result = inbox.sync_folder(client, "INBOX", "inbox")
        seconds = time.perf_counter() - t0
    finally:
        client.logout()
        store.close()
    return {
        "seconds": seconds,
        "messages": result.examined,
        "recorded": len(result.inbound) + len(result.outbound),
        "possible": result.possible,
        "skipped": result.skipped,
        "blocked": result.blocked,
        "rss_before_mb": before,
        "peak_rss_mb": _rss()["VmHWM"],
    }


def raw_fetch(conf: dict[str, Any]) -> dict[str, Any]:
    """The same header FETCH coffeechat issues (same items, same batch size), nothing else."""
    from imapclient import IMAPClient

    from coffeechat.adapters.imap.sync import BATCH_SIZE, HEADER_ITEM

    client = IMAPClient("127.0.0.1", conf["port"], ssl=False, timeout=120)
    client.login(conf["user"], conf["password"])
    before = _rss()["VmRSS"]
    try:
        t0 = time.perf_counter()
        client.select_folder("INBOX", readonly=True)
        uids = sorted(client.search(["ALL"]))
        count = 0
        for start in range(0, len(uids), BATCH_SIZE):
            data = client.fetch(
                uids[start : start + BATCH_SIZE],
                [HEADER_ITEM, "RFC822.SIZE", "INTERNALDATE", "FLAGS"],
            )
            count += len(data)
        seconds = time.perf_counter() - t0
    finally:
        client.logout()
    return {
        "seconds": seconds,
        "messages": count,
        "rss_before_mb": before,
        "peak_rss_mb": _rss()["VmHWM"],
    }


def main(argv: list[str]) -> int:
    what, conf = argv[1], json.loads(argv[2])
    work = {"first-sync": first_sync, "raw-fetch": raw_fetch}[what]
    print(json.dumps(work(conf)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
