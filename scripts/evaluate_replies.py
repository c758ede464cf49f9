#!/usr/bin/env python3
"""Measure the reply reader on a labelled JSONL file (format: ../shared/replies/README.md).

Prints intent accuracy and macro-F1, time-extraction figures (first slot, slot precision and
recall, false bookings), later_until and referral accuracy and throughput, with dateparser's
``search_dates`` on the same stripped text as a baseline for the time figures.

    python scripts/evaluate_replies.py [FILE] [--json] [--verbose] [--no-baseline]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "daemon"))

from coffeechat.domain.intents import Intent, ThreadContext, Window  # noqa: E402
from coffeechat.domain.mailparse import parse_message  # noqa: E402
from coffeechat.domain.quotes import split_reply  # noqa: E402
from coffeechat.domain.understand import understand  # noqa: E402

DEFAULT = ROOT.parent / "shared" / "replies" / "dev.jsonl"
Span = tuple[datetime, datetime | None]


@dataclass
class TimeScore:
    """Time-extraction figures for one extractor."""

    first_ok: int = 0
    first_total: int = 0
    spurious: int = 0  # predicted times where the label has none
    no_label: int = 0
    matched: int = 0
    predicted: int = 0
    labelled: int = 0
    failures: list[str] = field(default_factory=list)

    def add(self, cid: str, pred: list[Span], gold: list[Span]) -> None:
        self.predicted += len(pred)
        self.labelled += len(gold)
        self.matched += sum(1 for g in gold if g in pred)
        if gold:
            self.first_total += 1
            ok = bool(pred) and _inside(pred[0][0], gold[0])
            self.first_ok += ok
            if not ok:
                self.failures.append(f"{cid}: first slot {_fmt(pred)} vs {_fmt(gold)}")
        else:
            self.no_label += 1
            if pred:
                self.spurious += 1
                self.failures.append(f"{cid}: false booking {_fmt(pred)}")

    def summary(self) -> dict[str, float | int]:
        return {
            "first_slot_correct": _ratio(self.first_ok, self.first_total),
            "first_slot_cases": self.first_total,
            "predicted_without_label": self.spurious,
            "false_booking_rate": _ratio(self.spurious, self.no_label),
            "slot_precision": _ratio(self.matched, self.predicted),
            "slot_recall": _ratio(self.matched, self.labelled),
        }


def _ratio(a: int, b: int) -> float:
    return round(a / b, 4) if b else 1.0


def _fmt(spans: list[Span]) -> str:
    return "[" + ", ".join(f"{s.isoformat()}..{e.isoformat() if e else ''}" for s, e in spans) + "]"


def _inside(start: datetime, gold: Span) -> bool:
    g0, g1 = gold
    return start == g0 if g1 is None else g0 <= start <= g1


def _spans(ws: list[Window]) -> list[Span]:
    return [(w.start, w.end) for w in ws]


def _gold(case: dict[str, Any]) -> list[Span]:
    return [
        (datetime.fromisoformat(p["start"]), datetime.fromisoformat(p["end"]) if p["end"] else None)
        for p in case["proposed"]
    ]


def _context(case: dict[str, Any]) -> ThreadContext:
    return ThreadContext(
        state=case["thread_state"],
        offered_slots=[datetime.fromisoformat(s) for s in case["offered_slots"]],
        owner_tz=case["tz"],
    )


def _baseline(text: str, ref: datetime, tz: str) -> list[Span]:
    """dateparser.search_dates with the same reference date and zones as our reader."""
    from dateparser.search import search_dates

    settings = {
        "RELATIVE_BASE": ref.replace(tzinfo=None),
        "TIMEZONE": tz,
        "TO_TIMEZONE": tz,
        "RETURN_AS_TIMEZONE_AWARE": True,
        "PREFER_DATES_FROM": "future",
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = search_dates(text, languages=["en", "es", "de"], settings=settings) or []
    return [(d.astimezone(ZoneInfo(tz)), None) for _, d in found]


def _macro_f1(pairs: list[tuple[str, str]]) -> float:
    scores = []
    for label in Intent:
        tp = sum(1 for g, p in pairs if g == p == label)
        fp = sum(1 for g, p in pairs if p == label and g != label)
        fn = sum(1 for g, p in pairs if g == label and p != label)
        if tp + fp + fn == 0:
            continue
        scores.append(2 * tp / (2 * tp + fp + fn))
    return round(sum(scores) / len(scores), 4) if scores else 1.0


def evaluate(path: Path, *, baseline: bool = True, rounds: int = 5) -> dict[str, Any]:
    """All figures for one labelled file, as a dict."""
    cases = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    pairs: list[tuple[str, str]] = []
    ours, base = TimeScore(), TimeScore()
    later_ok = later_total = ref_ok = ref_total = 0
    failures: list[str] = []
    for case in cases:
        msg = parse_message(case["eml"])
        u = understand(msg, _context(case))
        pairs.append((case["intent"], str(u.intent)))
        if case["intent"] != u.intent:
            failures.append(f"{case['id']}: intent {u.intent} vs {case['intent']} {u.reasons}")
        gold = _gold(case)
        ours.add(case["id"], _spans(u.proposed), gold)
        if baseline:
            ref = msg.date or datetime.fromisoformat(case["received_at"])
            pred = []
            if u.intent in (Intent.ACCEPT, Intent.RESCHEDULE):
                pred = _baseline(split_reply(msg.text).new, ref, case["tz"])
            base.add(case["id"], pred, gold)
        if case["intent"] in ("later", "auto_reply"):
            later_total += 1
            want = date.fromisoformat(case["later_until"]) if case["later_until"] else None
            later_ok += u.later_until == want
            if u.later_until != want:
                failures.append(f"{case['id']}: later_until {u.later_until} vs {want}")
        if case["intent"] == "referral":
            ref_total += 1
            want_ref = case["referral"] or {}
            got = u.referral
            ok = (
                got is not None
                and (got.name or "").lower() == (want_ref.get("name") or "").lower()
                and (got.email or "") == (want_ref.get("email") or "")
            )
            ref_ok += ok
            if not ok:
                failures.append(f"{case['id']}: referral {got} vs {want_ref}")
    raws = [c["eml"].encode("utf-8") for c in cases]
    ctxs = [_context(c) for c in cases]
    start = time.perf_counter()
    for _ in range(rounds):
        for raw, ctx in zip(raws, ctxs, strict=True):
            understand(parse_message(raw), ctx)
    elapsed = time.perf_counter() - start
    correct = sum(1 for g, p in pairs if g == p)
    report: dict[str, Any] = {
        "file": str(path),
        "cases": len(cases),
        "intent_accuracy": _ratio(correct, len(cases)),
        "intent_macro_f1": _macro_f1(pairs),
        "ours": ours.summary(),
        "later_until_accuracy": _ratio(later_ok, later_total),
        "referral_accuracy": _ratio(ref_ok, ref_total),
        "messages_per_second": round(len(cases) * rounds / elapsed, 1),
        "failures": failures + ours.failures,
        "confusion": dict(Counter(f"{g}->{p}" for g, p in pairs if g != p)),
    }
    if baseline:
        report["baseline_dateparser"] = base.summary()
        report["baseline_failures"] = base.failures
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--verbose", action="store_true", help="list every failure")
    parser.add_argument("--no-baseline", action="store_true", help="skip dateparser (faster)")
    args = parser.parse_args(argv)
    report = evaluate(args.path, baseline=not args.no_baseline)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"{report['file']}: {report['cases']} cases")
    print(f"intent accuracy      {report['intent_accuracy']:.1%}")
    print(f"intent macro-F1      {report['intent_macro_f1']:.3f}")
    base = report.get("baseline_dateparser")
    print(f"{'time extraction':<26}{'ours':>10}{'dateparser':>12}")
    for key, value in report["ours"].items():
        other = "" if base is None else base[key]
        fmt = (lambda v: f"{v:.1%}") if isinstance(value, float) else str
        print(f"  {key:<24}{fmt(value):>10}{fmt(other) if other != '' else '':>12}")
    print(f"later_until accuracy {report['later_until_accuracy']:.1%}")
    print(f"referral accuracy    {report['referral_accuracy']:.1%}")
    print(f"messages per second  {report['messages_per_second']}")
    print("(dateparser runs on the same stripped text, only where we read accept/reschedule)")
    if args.verbose:
        for line in report["failures"]:
            print("  FAIL", line)
        for line in report.get("baseline_failures", []):
            print("  BASELINE", line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
