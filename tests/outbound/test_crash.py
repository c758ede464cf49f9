"""Exactly once under SIGKILL: a sender killed at random points while 200 emails are due.

Each trial queues 200 emails, starts the sender in a child process, kills it (SIGKILL) at a
random moment, restarts it, and lets it finish. Then it counts, per Message-ID, what the SMTP
server received: duplicates and losses must be 0; the only row allowed to be ``unknown`` is the
one (at most) that was between DATA and the 250 when the process died. Trials default to a
run of well under a minute; COFFEECHAT_TEST_CRASH_TRIALS=50 runs more.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from coffeechat.clock import FixedClock
from coffeechat.domain.compose import Party, compose, make_message_id
from coffeechat.domain.states import OutboxKind, OutboxState
from coffeechat.service.outbox import enqueue
from coffeechat.store.db import Store
from coffeechat.store.models import OutboxItem
from servers.dovecot import ImapUser
from servers.smtp import SmtpServer

from .conftest import OWNER, at

EMAILS = 200
CHILD = Path(__file__).with_name("crash_child.py")
ROOT = Path(__file__).resolve().parents[2]
CHILD_TIMEOUT = 90.0


def _trials(backend: str) -> int:
    default = 4 if backend == "sqlite" else 2
    return int(os.environ.get("COFFEECHAT_TEST_CRASH_TRIALS", default))


def _queue(store: Store, account: int, clock: FixedClock, trial: int) -> list[str]:
    mids = []
    with store.session() as s:
        for i in range(EMAILS):
            mid = make_message_id(OWNER)
            msg = compose(
                sender=Party("Alex", OWNER),
                to=[Party("", f"r{i}@example.com")],
                subject=f"trial {trial} email {i}",
                text=f"email {i}\n",
                date=clock.now(),
                message_id=mid,
            )
            enqueue(
                s,
                account_id=account,
                kind=OutboxKind.OFFER_SLOTS,
                key=f"crash:{trial}:{i}",
                message=msg,
                recipients=[f"r{i}@example.com"],
                due_at=clock.now(),
                message_id=mid,
            )
            mids.append(mid)
    return mids


def _child(cfg: dict[str, object], stderr: Path) -> subprocess.Popen[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "daemon"), env.get("PYTHONPATH", "")])
    with stderr.open("w") as err:
        return subprocess.Popen(
            [sys.executable, str(CHILD), json.dumps(cfg)],
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            env=env,
        )


def _finish(child: subprocess.Popen[str], stderr: Path, timeout: float) -> None:
    """Wait for a child that must finish; if it hangs, fail with its stacks and logs."""
    try:
        code = child.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
        pytest.fail(f"the sender child hung for {timeout:.0f} s:\n{stderr.read_text()[-20000:]}")
    assert code == 0, stderr.read_text()[-20000:]


@pytest.mark.slow
def test_sigkill_at_random_points_never_duplicates_or_loses(
    store_url: str,
    smtp_server: SmtpServer,
    imap_user: ImapUser,
    certificate: tuple[Path, Path],
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    backend = "sqlite" if store_url.startswith("sqlite") else "postgres"
    settings_map = {
        "owner": {"name": "Alex Example", "email": OWNER, "timezone": "America/New_York"},
        "smtp": {
            "host": "127.0.0.1",
            "port": smtp_server.port,
            "security": "starttls",
            "username": "alice",
            "password": "secret",
            "ca_file": str(certificate[0]),
            "timeout_seconds": 10,
        },
        "imap": {
            "host": "127.0.0.1",
            "port": imap_user.server.port,
            "security": "starttls",
            "username": imap_user.name,
            "password": imap_user.password,
            "ca_file": str(certificate[0]),
            "timeout_seconds": 10,
        },
        "sending": {"max_per_hour": 1000},
    }
    # A few ms between the end of DATA and the 250 widens the window a kill can hit there.
    smtp_server.collector.on_data = lambda _r: time.sleep(0.005)
    store = Store(store_url)
    try:
        rng = random.Random(os.environ.get("COFFEECHAT_TEST_CRASH_SEED"))
        clock = FixedClock(at(2025, 6, 2, 10))
        totals = Counter[str]()
        est = 3.0  # seconds a full run takes; refined when a child finishes first
        for trial in range(_trials(backend)):
            smtp_server.collector.messages.clear()
            with store.session() as s:
                account = store.account(s, f"crash-{trial}", OWNER).id
            mids = _queue(store, account, clock, trial)
            cfg = {
                "url": store_url,
                "settings": settings_map,
                "now": clock.now().isoformat(),
                "account": account,
                "dump_after": CHILD_TIMEOUT - 10,
            }
            child = _child(cfg, tmp_path / f"first-{trial}.err")
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "ready"
            started = time.monotonic()
            kill_after = rng.uniform(0.05, est)
            try:
                child.wait(timeout=kill_after)
                finished_alone = True
            except subprocess.TimeoutExpired:
                child.kill()  # SIGKILL
                child.wait()
                finished_alone = False
            child.stdout.close()
            delivered_before = len(smtp_server.messages)
            again_err = tmp_path / f"again-{trial}.err"
            again = _child(cfg, again_err)
            _finish(again, again_err, CHILD_TIMEOUT)
            assert again.stdout is not None
            again.stdout.close()
            if finished_alone:
                est = max(est, (time.monotonic() - started) * 1.5)
            got = Counter(m.message["Message-ID"].strip("<>") for m in smtp_server.messages)
            with store.session() as s:
                states = dict(
                    s.execute(
                        select(OutboxItem.message_id, OutboxItem.state).where(
                            OutboxItem.account_id == account
                        )
                    ).all()
                )
            unknown = [m for m in mids if states[m] == OutboxState.UNKNOWN]
            duplicates = sum(n - 1 for n in got.values() if n > 1)
            losses = [m for m in mids if got[m] == 0 and states[m] != OutboxState.UNKNOWN]
            not_done = [
                m for m in mids if states[m] not in (OutboxState.FILED, OutboxState.UNKNOWN)
            ]
            totals.update(
                trials=1,
                killed=0 if finished_alone else 1,
                duplicates=duplicates,
                losses=len(losses),
                unknown=len(unknown),
                unknown_delivered=sum(1 for m in unknown if got[m]),
            )
            print(
                f"[{backend}] trial {trial}: kill after {kill_after:.2f}s "
                f"({'finished first' if finished_alone else f'{delivered_before} delivered'}), "
                f"duplicates={duplicates} losses={len(losses)} unknown={len(unknown)}"
            )
            assert duplicates == 0
            assert losses == []
            assert len(unknown) <= 1  # at most the one between DATA and the 250
            assert not_done == []
            assert set(got) <= set(mids)
            clock.advance(timedelta(seconds=1))
        print(f"[{backend}] totals: {dict(totals)}")
        request.node.user_properties.append(("crash_totals", dict(totals)))
    finally:
        store.close()
