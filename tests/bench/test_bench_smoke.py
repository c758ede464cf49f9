"""The benchmark script still runs: every benchmark at a tiny size, in-process, once.

No timing assertions: the figures are the script's output (``python bench/run.py``), not
claims a unit test can make on a shared machine. This checks that each benchmark runs against
the real servers and reports every figure the issue names, as a positive number.
"""

from __future__ import annotations

import json
import logging
import math
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from servers.dovecot import dovecot_available

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import run as bench_run  # noqa: E402

pytestmark = pytest.mark.slow

#: Smaller than ``--size tiny``: just enough to go through every code path once.
SMOKE: dict[str, dict[str, Any]] = {
    "latency": {"replies": 1, "floor_samples": 1},
    "sync": {"sizes": [60], "poll_rounds": 1},
    "outbox": {"emails": 3},
    "scheduler": {"contacts": 100, "rounds": 2},
    "understanding": {"rounds": 1, "baseline_rounds": 1},
}

REQUIRED = (
    "reply_to_invite_p50_s",
    "reply_to_invite_p95_s",
    "idle_push_p50_s",
    "first_sync_msgs_per_s",
    "raw_fetch_msgs_per_s",
    "first_sync_rss_mb",
    "due_query_ms",
    "understand_msgs_per_s",
)


def _positive(value: Any) -> bool:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    return number and value > 0 and math.isfinite(value)


@pytest.fixture(scope="module")
def results() -> Iterator[dict[str, Any]]:
    reason = dovecot_available()
    if reason:
        pytest.skip(reason)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    sizes = dict(bench_run.SIZES)
    bench_run.SIZES["smoke"] = SMOKE
    try:
        yield bench_run.run_all("smoke", list(bench_run.BENCHES), lambda _text: None)
    finally:
        bench_run.SIZES.clear()
        bench_run.SIZES.update(sizes)
        root.handlers[:] = handlers
        root.setLevel(level)


def test_every_benchmark_ran(results: dict[str, Any]) -> None:
    assert results["errors"] == {}
    assert set(results["details"]) == set(bench_run.BENCHES)
    assert results["size"] == "smoke"


def test_the_issue_keys_are_positive_numbers(results: dict[str, Any]) -> None:
    for key in REQUIRED:
        assert _positive(results.get(key)), (key, results.get(key))
    polls = results["idle_poll_ms"]
    assert isinstance(polls, dict) and set(polls) == {"60"}
    assert all(_positive(v) for v in polls.values()), polls


def test_baselines_are_measured_too(results: dict[str, Any]) -> None:
    d = results["details"]
    assert _positive(d["outbox"]["per_connection_emails_per_s"])
    assert _positive(d["outbox"]["outbox_emails_per_s"])
    assert _positive(d["scheduler"]["due_query_full_scan_ms"])
    assert _positive(d["scheduler"]["schedule_due_ms"])
    assert _positive(d["understanding"]["dateparser_msgs_per_s"])
    assert _positive(d["sync"]["by_size"]["60"]["idle_poll_floor_ms"])


def test_table_and_json_render(results: dict[str, Any]) -> None:
    text = bench_run.table(results)
    assert "reply→invitation p50" in text and "baseline" in text
    rows = bench_run.all_rows(results)
    assert rows and all(r.value is not None for r in rows)
    json.dumps(results)  # the --json output is plain JSON
