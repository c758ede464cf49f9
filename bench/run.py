"""coffeechat benchmarks against real Dovecot, Radicale and aiosmtpd on loopback.

    python bench/run.py                      # --size small: what CI runs (about 1.5 minutes)
    python bench/run.py --size full          # the figures the issue asks for (about 7 minutes)
    python bench/run.py --size tiny          # every code path once (about 15 seconds)
    python bench/run.py --json               # one JSON object instead of the table
    python bench/run.py --only sync,outbox   # some benchmarks only

Each figure is printed beside its baseline, measured in the same run, and its target. The
exit status is 0 when every benchmark ran (whatever the figures; ``--strict`` makes a missed
target exit 1), 1 when a benchmark failed to run. Servers and temp dirs are removed at the
end, on Ctrl-C and on SIGTERM too. Only 127.0.0.1 is used.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import platform
import signal
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# aiosmtpd logs a warning about its own deprecated Session.login_data on every AUTH
logging.getLogger("mail.log").setLevel(logging.ERROR)

from bench import latency, outbox, scheduler, sync, understanding  # noqa: E402
from bench.common import BenchEnv, Row  # noqa: E402

SIZES: dict[str, dict[str, dict[str, Any]]] = {
    "tiny": {
        "latency": {"replies": 2, "floor_samples": 2},
        "sync": {"sizes": [200], "poll_rounds": 1},
        "outbox": {"emails": 10},
        "scheduler": {"contacts": 500, "rounds": 3},
        "understanding": {"rounds": 1, "baseline_rounds": 1},
    },
    "small": {
        "latency": {"replies": 20, "floor_samples": 10, "poll_replies": 5, "poll_seconds": 2.0},
        "sync": {"sizes": [1_000, 10_000], "poll_rounds": 5},
        "outbox": {"emails": 100},
        "scheduler": {"contacts": 10_000},
        "understanding": {"rounds": 3, "baseline_rounds": 1},
    },
    "full": {
        "latency": {"replies": 50, "floor_samples": 50, "poll_replies": 10, "poll_seconds": 5.0},
        "sync": {"sizes": [1_000, 10_000, 100_000], "poll_rounds": 5},
        "outbox": {"emails": 500},
        "scheduler": {"contacts": 100_000},
        "understanding": {"rounds": 10, "baseline_rounds": 2},
    },
}

#: name -> (run(env, **params) -> figures, rows(figures) -> table rows)
BENCHES: dict[str, tuple[Callable[..., dict[str, Any]], Callable[[dict[str, Any]], list[Row]]]] = {
    "latency": (latency.run, latency.rows),
    "sync": (sync.run, sync.rows),
    "outbox": (outbox.run, outbox.rows),
    "scheduler": (scheduler.run, scheduler.rows),
    "understanding": (lambda _env, **kw: understanding.run(**kw), understanding.rows),
}

#: The JSON keys the issue names, and the benchmark each comes from.
HEADLINE = {
    "reply_to_invite_p50_s": "latency",
    "reply_to_invite_p95_s": "latency",
    "idle_push_p50_s": "latency",
    "polled_p50_s": "latency",
    "first_sync_msgs_per_s": "sync",
    "raw_fetch_msgs_per_s": "sync",
    "first_sync_rss_mb": "sync",
    "idle_poll_ms": "sync",
    "idle_poll_sdbox_ms": "sync",
    "outbox_emails_per_s": "outbox",
    "per_connection_emails_per_s": "outbox",
    "due_query_ms": "scheduler",
    "schedule_due_ms": "scheduler",
    "next_wake_ms": "scheduler",
    "sent_last_hour_ms": "scheduler",
    "understand_msgs_per_s": "understanding",
    "dateparser_msgs_per_s": "understanding",
}


def run_all(size: str, only: list[str], progress: Callable[[str], None]) -> dict[str, Any]:
    """Run the chosen benchmarks at ``size``; failures are recorded, the rest still run."""
    details: dict[str, dict[str, Any]] = {}
    seconds: dict[str, float] = {}
    errors: dict[str, str] = {}
    with BenchEnv() as env:
        for name in only:
            fn, _rows = BENCHES[name]
            progress(f"{name} ...")
            t0 = time.monotonic()
            try:
                details[name] = fn(env, **SIZES[size][name])
            except KeyboardInterrupt:
                raise
            except Exception as exc:
                errors[name] = f"{type(exc).__name__}: {exc}"
                progress(traceback.format_exc())
            seconds[name] = round(time.monotonic() - t0, 1)
            progress(f"{name} done in {seconds[name]} s")
    out: dict[str, Any] = {"size": size}
    for key, bench in HEADLINE.items():
        if bench in details and key in details[bench]:
            out[key] = details[bench][key]
    out["details"] = details
    out["seconds"] = seconds
    out["errors"] = errors
    out["machine"] = {"python": platform.python_version(), "cpus": _cpus()}
    return out


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0))


# ---------------------------------------------------------------- the table


def _num(value: float | None, unit: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if abs(value) >= 1000:
        text = f"{value:,.0f}"
    elif abs(value) >= 100:
        text = f"{value:.1f}"
    elif abs(value) >= 1:
        text = f"{value:.2f}"
    else:
        text = f"{value:.3f}"
    return f"{text} {unit}".strip()


def all_rows(results: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    for name, figures in results["details"].items():
        rows.extend(BENCHES[name][1](figures))
    return rows


def table(results: dict[str, Any]) -> str:
    rows = all_rows(results)
    head = ("figure", "value", "baseline", "ratio", "target", "pass")
    cells = [
        (
            r.figure,
            _num(r.value, r.unit),
            _num(r.baseline, r.unit) if r.baseline is not None else "—",
            f"{r.ratio:.2f}×" if r.ratio is not None else "—",
            r.target or "—",
            {True: "PASS", False: "FAIL", None: "—"}[r.ok],
        )
        for r in rows
    ]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(head)]
    widths[0] = min(widths[0], 60)

    def line(values: tuple[str, ...]) -> str:
        first = values[0] if len(values[0]) <= widths[0] else values[0][: widths[0] - 1] + "…"
        parts = [first.ljust(widths[0])]
        parts += [v.rjust(w) for v, w in zip(values[1:4], widths[1:4], strict=True)]
        parts += [v.ljust(w) for v, w in zip(values[4:], widths[4:], strict=True)]
        return "  ".join(parts).rstrip()

    machine = results["machine"]
    out = [
        f"coffeechat benchmarks, size {results['size']} "
        f"({machine['cpus']} CPUs, Python {machine['python']})",
        "",
    ]
    out.append(line(head))
    out.append("  ".join("-" * w for w in widths))
    notes = []
    for n, (r, c) in enumerate(zip(rows, cells, strict=True), 1):
        out.append(line(c))
        label = f"baseline: {r.baseline_label}" if r.baseline_label else ""
        extra = "; ".join(x for x in (label, r.note) if x)
        if extra or len(r.figure) > widths[0]:
            notes.append(f"  [{n}] {r.figure}: {extra}")
    if notes:
        out += ["", "notes:", *notes]
    if results["errors"]:
        out += ["", "benchmarks that failed to run:"]
        out += [f"  {name}: {why}" for name, why in results["errors"].items()]
    out.append("")
    out.append(
        "time per benchmark: " + ", ".join(f"{k} {v} s" for k, v in results["seconds"].items())
    )
    return "\n".join(out)


# ---------------------------------------------------------------- command line


def _sigterm(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # unwinds through BenchEnv: servers stopped, temp dirs removed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--only", default=",".join(BENCHES), help="comma-separated benchmarks")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    only = [x.strip() for x in args.only.split(",") if x.strip()]
    unknown = [x for x in only if x not in BENCHES]
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; choose from {', '.join(BENCHES)}")
    signal.signal(signal.SIGTERM, _sigterm)

    def progress(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    try:
        results = run_all(args.size, only, progress)
    except KeyboardInterrupt:
        print("interrupted: servers stopped, temp dirs removed", file=sys.stderr)
        return 130
    if args.json:
        results["rows"] = [
            {"figure": r.figure, "value": r.value, "unit": r.unit, "baseline": r.baseline,
             "baseline_label": r.baseline_label, "ratio": r.ratio, "target": r.target,
             "ok": r.ok, "note": r.note}
            for r in all_rows(results)
        ]  # fmt: skip
        print(json.dumps(results, indent=2, default=str))
    else:
        print(table(results))
    if results["errors"]:
        return 1
    if args.strict and any(r.ok is False for r in all_rows(results)):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
