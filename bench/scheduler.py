"""Scheduler: find what is due among N contacts (SQLite, the default store).

The store is filled in bulk (executemany) to look like a long-running account: one thread per
contact in every state, the sent history in the outbox, a thousand rows queued for later and
twenty due now, ten conversations whose follow-up just became due. Timed:

- the due-outbox query, exactly as the sender's claim step builds it (``claim`` in
  service/outbox_rows.py), through SQLAlchemy as the daemon runs it; the same SQL on the raw
  sqlite3 connection, and forced to a full table scan (``NOT INDEXED``) as the baseline;
- ``Daemon.next_wake`` (when to wake up next: the earliest queued row, meeting end, digest);
- ``schedule_due`` (every cadence decision: follow-ups, thank-yous, keep-in-touch), its first
  pass (queues the ten due follow-ups) and the steady state (nothing new due).
"""

from __future__ import annotations

import random
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import and_, event, func, or_, select

from bench.common import BenchEnv, Row, median, quiet_logging, time_call, timer
from bench.seed import (
    bulk_contacts,
    bulk_outbox,
    bulk_threads,
    make_settings,
    outbox_row,
    outreach_raw,
    thread_row,
)
from coffeechat.clock import FixedClock
from coffeechat.domain.states import OutboxState
from coffeechat.service.daemon import Daemon
from coffeechat.service.schedule import schedule_due
from coffeechat.store.db import Store
from coffeechat.store.models import Meeting, OutboxItem

NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # a Wednesday, 10:00 in New York
DUE_NOW = 20
DUE_FOLLOWUPS = 10
QUEUED_LATER = 1000
TARGET_MS = 20.0


def due_statement(account_id: int, now: datetime, limit: int = 20) -> Any:
    """The sender's claim query (service/outbox_rows.py ``claim``), rebuilt here because it is
    inline there: due rows, queued or with an expired lease, oldest first."""
    due = and_(
        OutboxItem.account_id == account_id,
        OutboxItem.due_at <= now,
        or_(
            OutboxItem.state == OutboxState.QUEUED,
            and_(OutboxItem.state == OutboxState.CLAIMED, OutboxItem.lease_until < now),
        ),
    )
    return select(OutboxItem.id).where(due).order_by(OutboxItem.due_at, OutboxItem.id).limit(limit)


RAW_DUE_SQL = (
    "SELECT outbox.id FROM outbox {hint} WHERE outbox.account_id = ? AND outbox.due_at <= ? "
    "AND (outbox.state = ? OR (outbox.state = ? AND outbox.lease_until < ?)) "
    "ORDER BY outbox.due_at, outbox.id LIMIT 20"
)


def _sqlite_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def populate(store: Store, account_id: int, contacts: int, seed: int = 1) -> dict[str, int]:
    """A store that looks like a long-running account with ``contacts`` contacts."""
    rng = random.Random(seed)
    created = NOW - timedelta(days=400)
    people = bulk_contacts(store, account_id, contacts, created=created)
    threads: list[dict[str, Any]] = []
    kinds: list[str] = []
    for i, (cid, _addr, _name) in enumerate(people):
        if i < DUE_FOLLOWUPS:  # silent for 14 days: the follow-up is due now
            sent = NOW - timedelta(days=14)
            threads.append(
                thread_row(account_id, cid, "outreach_sent", created,
                           first_outbound_at=sent, last_outbound_at=sent)
            )  # fmt: skip
            kinds.append("awaiting")
            continue
        roll = rng.random()
        if roll < 0.50:  # follow-up already sent: nothing more will go
            sent = NOW - timedelta(days=rng.uniform(10, 200))
            threads.append(
                thread_row(account_id, cid, "followup_sent", created, followups_sent=1,
                           first_outbound_at=sent - timedelta(days=10), last_outbound_at=sent)
            )  # fmt: skip
            kinds.append("followed_up")
        elif roll < 0.60:  # outreach sent days ago: follow-up not due yet
            sent = NOW - timedelta(days=rng.uniform(0.5, 4))
            threads.append(
                thread_row(account_id, cid, "outreach_sent", created,
                           first_outbound_at=sent, last_outbound_at=sent)
            )  # fmt: skip
            kinds.append("awaiting")
        elif roll < 0.75:
            sent = NOW - timedelta(days=rng.uniform(10, 300))
            threads.append(
                thread_row(account_id, cid, rng.choice(["declined", "closed", "bounced"]),
                           created, first_outbound_at=sent, last_outbound_at=sent,
                           last_inbound_at=sent + timedelta(days=1))
            )  # fmt: skip
            kinds.append("closed")
        elif roll < 0.85:  # thanked recently: keep-in-touch months away
            met = NOW - timedelta(days=rng.uniform(5, 60))
            threads.append(
                thread_row(account_id, cid, "thanked", created,
                           first_outbound_at=met - timedelta(days=20), last_outbound_at=met,
                           last_inbound_at=met, last_exchange_at=met)
            )  # fmt: skip
            kinds.append("thanked")
        elif roll < 0.90:
            sent = NOW - timedelta(days=rng.uniform(3, 10))
            threads.append(
                thread_row(account_id, cid, "meeting_booked", created,
                           first_outbound_at=sent, last_outbound_at=sent,
                           last_inbound_at=sent, last_exchange_at=sent)
            )  # fmt: skip
            kinds.append("booked")
        else:
            threads.append(thread_row(account_id, cid, "new", created))
            kinds.append("new")
    thread_ids = bulk_threads(store, threads)

    outbox: list[dict[str, Any]] = []
    meetings: list[dict[str, Any]] = []
    for n, ((cid, addr, name), tid, kind, t) in enumerate(
        zip(people, thread_ids, kinds, threads, strict=True)
    ):
        if kind == "new":
            continue
        first = t["first_outbound_at"]
        mid = f"cc.out{tid}@example.test"
        outbox.append(
            outbox_row(account_id, thread_id=tid, contact_id=cid, key=f"thread:{tid}:outreach:1",
                       message_id=mid, to=addr, raw=outreach_raw(mid, addr, name, first),
                       state="filed", due_at=first, sent_at=first)
        )  # fmt: skip
        if kind == "followed_up":
            fmid = f"cc.fu{tid}@example.test"
            last = t["last_outbound_at"]
            outbox.append(
                outbox_row(account_id, thread_id=tid, contact_id=cid, kind="followup",
                           key=f"thread:{tid}:followup:1", message_id=fmid, to=addr,
                           raw=outreach_raw(fmid, addr, name, last), state="filed",
                           due_at=last, sent_at=last)
            )  # fmt: skip
        if kind == "booked":
            start = NOW + timedelta(days=1 + n % 20, hours=n % 7)
            meetings.append(
                {"account_id": account_id, "thread_id": tid, "contact_id": cid,
                 "caldav_uid": f"bench-{tid}@example.test", "href": None, "etag": None,
                 "start_at": start, "end_at": start + timedelta(minutes=30), "status": "booked",
                 "sequence": 0, "partstat": "ACCEPTED", "location": "", "notes": "",
                 "created_at": created, "updated_at": created}
            )  # fmt: skip
    # queued rows: some for later, a few due now (answers to people, digests)
    for k in range(QUEUED_LATER + DUE_NOW):
        due = NOW - timedelta(minutes=k + 1) if k < DUE_NOW else NOW + timedelta(hours=k)
        mid = f"cc.q{k}@example.test"
        outbox.append(
            outbox_row(account_id, thread_id=None, contact_id=None, kind="digest",
                       key=f"bench:queued:{k}", message_id=mid, to="maya@example.test",
                       raw=outreach_raw(mid, "maya@example.test", "Maya Chen", due),
                       state="queued", due_at=due)
        )  # fmt: skip
    bulk_outbox(store, outbox)
    if meetings:
        with store.session() as s:
            from sqlalchemy import insert

            s.execute(insert(Meeting), meetings)
    return {"contacts": len(people), "threads": len(thread_ids), "outbox": len(outbox)}


def run(env: BenchEnv, contacts: int, rounds: int = 20) -> dict[str, Any]:
    quiet_logging()
    work = env.workdir(f"scheduler-{contacts}")
    db = work / "store.sqlite3"
    url = f"sqlite:///{db}"
    store = Store(url)
    settings = make_settings(url)
    clock = FixedClock(NOW)
    try:
        with store.session() as s:
            account_id = store.account(s, settings.owner.email.lower(), settings.owner.email).id
        with timer() as t_fill:
            counts = populate(store, account_id, contacts)
        with store.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()

        stmt = due_statement(account_id, NOW)
        captured: list[tuple[str, Any]] = []

        def capture(_c: Any, _cur: Any, statement: str, params: Any, *_a: Any) -> None:
            captured.append((statement, params))

        event.listen(store.engine, "before_cursor_execute", capture)
        with store.session() as s:
            found = list(s.scalars(stmt))
        event.remove(store.engine, "before_cursor_execute", capture)
        sql, params = next((c for c in captured if "FROM outbox" in c[0]), captured[-1])

        def orm_query() -> None:
            with store.session() as s:
                list(s.scalars(stmt))

        orm_ms = [x * 1000 for x in time_call(orm_query, rounds)]
        plan, raw_ms, scan_ms = _raw_queries(db, sql, params, account_id, rounds)

        hour_ago = NOW - timedelta(hours=1)
        count_stmt = select(func.count(OutboxItem.id)).where(
            OutboxItem.account_id == account_id, OutboxItem.sent_at > hour_ago
        )  # the sender's max_per_hour check (``send_batch.Batch._sent_last_hour``), once per email

        def sent_last_hour() -> None:
            with store.session() as s:
                s.scalar(count_stmt)

        count_ms = [x * 1000 for x in time_call(sent_last_hour, rounds)]

        daemon = Daemon(settings, clock, store=store, account_id=account_id)
        wake_ms = [x * 1000 for x in time_call(daemon.next_wake, rounds)]

        with timer() as t_first:
            first = schedule_due(store, settings, clock, account_id=account_id)
        steady = [
            x * 1000
            for x in time_call(
                lambda: schedule_due(store, settings, clock, account_id=account_id),
                max(2, rounds // 5),
                warmup=0,
            )
        ]
    finally:
        store.close()
    return {
        "contacts": counts["contacts"],
        "outbox_rows": counts["outbox"],
        "fill_s": round(t_fill[0], 2),
        "due_rows_found": len(found),
        "due_query_ms": round(median(orm_ms), 3),
        "due_query_raw_ms": round(median(raw_ms), 3),
        "due_query_full_scan_ms": round(median(scan_ms), 3),
        "due_query_plan": plan,
        "next_wake_ms": round(median(wake_ms), 3),
        "sent_last_hour_ms": round(median(count_ms), 3),
        "schedule_due_first_ms": round(t_first[0] * 1000, 1),
        "schedule_due_first_queued": len(first.queued),
        "schedule_due_ms": round(median(steady), 1),
    }


def _raw_queries(
    db: Path, sql: str, params: Any, account_id: int, rounds: int
) -> tuple[str, list[float], list[float]]:
    """EXPLAIN the daemon's own SQL, then time the hand-written equivalent with the index
    allowed and forbidden (the full-scan baseline)."""
    import time

    conn = sqlite3.connect(db)
    try:
        plan = " | ".join(
            str(r[-1]) for r in conn.execute("EXPLAIN QUERY PLAN " + sql, tuple(params))
        )
        args = (account_id, _sqlite_time(NOW), "queued", "claimed", _sqlite_time(NOW))
        out: dict[str, list[float]] = {}
        for hint in ("", "NOT INDEXED"):
            q = RAW_DUE_SQL.format(hint=hint)
            conn.execute(q, args).fetchall()
            times = []
            for _ in range(rounds):
                t0 = time.perf_counter()
                conn.execute(q, args).fetchall()
                times.append((time.perf_counter() - t0) * 1000)
            out[hint] = times
    finally:
        conn.close()
    return plan, out[""], out["NOT INDEXED"]


def rows(f: dict[str, Any]) -> list[Row]:
    n = f"{f['contacts']:,}"
    return [
        Row(
            f"due-outbox query, {n} contacts / {f['outbox_rows']:,} outbox rows",
            f["due_query_ms"],
            "ms",
            f["due_query_full_scan_ms"],
            "same SQL, NOT INDEXED",
            f"≤ {TARGET_MS:g} ms",
            f["due_query_ms"] <= TARGET_MS,
            higher_is_better=False,
            note=f"raw sqlite3 {f['due_query_raw_ms']} ms; plan: {f['due_query_plan']}",
        ),
        Row(
            "next_wake (earliest due row, meeting, digest)",
            f["next_wake_ms"],
            "ms",
            target=f"≤ {TARGET_MS:g} ms",
            ok=f["next_wake_ms"] <= TARGET_MS,
            higher_is_better=False,
        ),
        Row(
            "sent-in-the-last-hour count (sender, once per email)",
            f["sent_last_hour_ms"],
            "ms",
            higher_is_better=False,
            note="uses ix_outbox_account_sent",
        ),
        Row(
            f"schedule_due, steady state, {n} contacts",
            f["schedule_due_ms"],
            "ms",
            target=f"≤ {TARGET_MS:g} ms",
            ok=f["schedule_due_ms"] <= TARGET_MS,
            higher_is_better=False,
            note=f"first pass {f['schedule_due_first_ms']} ms "
            f"(queued {f['schedule_due_first_queued']} follow-ups)",
        ),
    ]
