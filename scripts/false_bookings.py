"""Count the replies in a labelled JSONL file that the daemon would *book* although the label
proposes no time: the error that costs the most (a meeting nobody asked for).

    python scripts/false_bookings.py FILE [FILE ...]
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

from coffeechat.domain.actions import BOOKING_ACTIONS
from coffeechat.domain.explain import explain


def main(paths: list[str]) -> int:
    total = booked_wrong = asked = 0
    for path in paths:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            case = json.loads(line)
            offered = [datetime.fromisoformat(x) for x in case["offered_slots"]]
            out = explain(
                case["eml"].encode(), tz=case["tz"], now=None,
                state=case["thread_state"], offered=offered,
            )  # fmt: skip
            total += 1
            asked += out["action"] == "ask_owner"
            if out["action"] in BOOKING_ACTIONS and not case["proposed"]:
                booked_wrong += 1
                print(f"  {case['id']}: label {case['intent']}, read {out['intent']} "
                      f"({out['confidence']:.2f}) -> {out['action']}")  # fmt: skip
    print(f"{total} replies: {booked_wrong} would be booked without a proposal "
          f"({100 * booked_wrong / max(total, 1):.1f} %); {asked} go to the owner")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
