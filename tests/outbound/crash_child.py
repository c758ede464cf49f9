"""Run by test_crash.py in a child process: recover, then send until nothing is due.

argv[1] is JSON: {"url", "settings", "now", "account"}. Prints "ready" once recovered, so the
parent can kill it at a random moment of real sending work.
"""

from __future__ import annotations

import asyncio
import faulthandler
import json
import sys
from datetime import datetime

from coffeechat.clock import FixedClock
from coffeechat.logsetup import configure_logging
from coffeechat.service import sender
from coffeechat.settings import settings_from_mapping
from coffeechat.store.db import Store


def main() -> int:
    cfg = json.loads(sys.argv[1])
    # A child that hangs prints every thread's stack (to the stderr file the parent shows)
    # shortly before the parent gives up on it.
    faulthandler.dump_traceback_later(float(cfg.get("dump_after", 80)), exit=False)
    # Logs go to stderr (a file): stdout is a pipe the parent reads only for "ready", and a
    # pipe nobody drains blocks the writer once it is full.
    configure_logging("info", "json", sys.stderr)
    settings = settings_from_mapping(cfg["settings"])
    store = Store(cfg["url"], run_migrations=False)
    clock = FixedClock(datetime.fromisoformat(cfg["now"]))
    account = int(cfg["account"])
    sender.recover(store, settings, clock, account_id=account)
    print("ready", flush=True)
    while True:
        report = asyncio.run(sender.send_due(store, settings, clock, limit=25, account_id=account))
        if report.claimed == 0 and report.filed == 0:
            break
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
