"""The guard over every labelled reply file: nothing without a labelled proposal is booked.

One test for all files (the development set beside the repo and tests/data/replies_*.jsonl),
so a new labelled file is guarded as soon as it lands.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from coffeechat.domain.actions import BOOKING_ACTIONS, next_action
from coffeechat.domain.intents import ThreadContext
from coffeechat.domain.mailparse import parse_message
from coffeechat.domain.understand import CONFIDENCE_THRESHOLD, understand

ROOT = Path(__file__).resolve().parents[2]
DEV = ROOT.parent / "shared" / "replies" / "dev.jsonl"
LABELLED = [p for p in [DEV, *sorted((ROOT / "tests/data").glob("replies_*.jsonl"))] if p.exists()]


def _cases() -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for path in LABELLED:
        out.extend(json.loads(line) for line in path.read_text().splitlines() if line.strip())
    return out


@pytest.mark.skipif(not LABELLED, reason="no labelled reply file in reach")
def test_no_labelled_case_without_a_proposal_is_booked_on_any_file() -> None:
    booked: list[str] = []
    for case in _cases():
        if case["proposed"]:
            continue
        slots = case["offered_slots"]
        assert isinstance(slots, list)
        offered = [datetime.fromisoformat(str(s)) for s in slots]
        state, tz = str(case["thread_state"]), str(case["tz"])
        c = ThreadContext(state=state, offered_slots=offered, owner_tz=tz)
        u = understand(parse_message(str(case["eml"])), c)
        action = next_action(u, c)
        if action in BOOKING_ACTIONS and u.confidence >= CONFIDENCE_THRESHOLD:
            booked.append(f"{case['id']}: {action}")
    assert booked == []
