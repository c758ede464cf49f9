"""Reply understanding throughput: messages/s of ``understand(parse_message(raw), ctx)`` on one
core, over the labelled development replies (shared/replies/dev.jsonl) when present.

Baseline: dateparser's ``search_dates`` (what a first version would reach for) on the same
parsed, quote-stripped text, with the same reference time and zone; it only finds dates, where
the reader also classifies the intent, strips quotes and reads the time windows.
"""

from __future__ import annotations

import json
import time
import warnings
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bench.common import ROOT, Row
from coffeechat.domain.intents import ThreadContext
from coffeechat.domain.mailparse import parse_message
from coffeechat.domain.quotes import split_reply
from coffeechat.domain.understand import understand

DEV_SET = ROOT.parent / "shared" / "replies" / "dev.jsonl"

_FALLBACK = [
    ("Sure! Thursday at 2pm works for me.", "outreach_sent"),
    ("Thanks for reaching out, but I'm not able to help right now.", "outreach_sent"),
    ("Happy to chat. Could we do Tuesday morning or Wednesday after 3?", "followup_sent"),
    ("I'm out of the office until Monday, March 9, with limited access to email.", "outreach_sent"),
    ("Please remove me from your list.", "outreach_sent"),
    ("Something came up, can we move it to Friday at 11am?", "meeting_booked"),
]


def load_cases(path: Path = DEV_SET) -> tuple[list[tuple[bytes, ThreadContext]], str]:
    """(raw, context) pairs and where they came from: the dev set, or a built-in handful."""
    if path.is_file():
        cases = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x]
        return [
            (
                c["eml"].encode("utf-8"),
                ThreadContext(
                    state=c["thread_state"],
                    offered_slots=[datetime.fromisoformat(s) for s in c["offered_slots"]],
                    owner_tz=c["tz"],
                ),
            )
            for c in cases
        ], str(path)
    out = []
    for i, (body, state) in enumerate(_FALLBACK):
        raw = (
            "From: Ana Ruiz <ana@example.org>\r\nTo: Maya Chen <maya@example.test>\r\n"
            "Subject: Re: coffee?\r\nDate: Tue, 03 Mar 2026 09:00:00 -0500\r\n"
            f"Message-ID: <fallback{i}@example.org>\r\n\r\n{body}\r\n"
        ).encode()
        out.append((raw, ThreadContext(state=state, offered_slots=[], owner_tz="America/New_York")))
    return out, "built-in sample (dev.jsonl not found)"


def _dateparser(raw: bytes, ctx: ThreadContext) -> None:
    from dateparser.search import search_dates

    msg = parse_message(raw)
    ref = msg.date or datetime(2026, 3, 3, tzinfo=ZoneInfo(ctx.owner_tz))
    settings = {
        "RELATIVE_BASE": ref.replace(tzinfo=None),
        "TIMEZONE": ctx.owner_tz,
        "TO_TIMEZONE": ctx.owner_tz,
        "RETURN_AS_TIMEZONE_AWARE": True,
        "PREFER_DATES_FROM": "future",
    }
    search_dates(split_reply(msg.text).new, languages=["en", "es", "de"], settings=settings)


def _rate(fn: Any, cases: list[tuple[bytes, ThreadContext]], rounds: int) -> float:
    for raw, ctx in cases[:3]:  # warm-up: imports, regex compilation, dateparser's tables
        fn(raw, ctx)
    t0 = time.perf_counter()
    for _ in range(rounds):
        for raw, ctx in cases:
            fn(raw, ctx)
    return len(cases) * rounds / (time.perf_counter() - t0)


def run(rounds: int = 3, baseline_rounds: int = 1, path: Path = DEV_SET) -> dict[str, Any]:
    cases, source = load_cases(path)
    ours = _rate(lambda raw, ctx: understand(parse_message(raw), ctx), cases, rounds)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        base = _rate(_dateparser, cases, baseline_rounds)
    return {
        "cases": len(cases),
        "source": source,
        "understand_msgs_per_s": round(ours, 1),
        "dateparser_msgs_per_s": round(base, 1),
    }


def rows(f: dict[str, Any]) -> list[Row]:
    return [
        Row(
            f"understand(parse_message()), {f['cases']} replies, one core",
            f["understand_msgs_per_s"],
            "msg/s",
            f["dateparser_msgs_per_s"],
            "dateparser search_dates",
            note=f"source: {f['source']}",
        )
    ]
