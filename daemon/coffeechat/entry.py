"""The `coffeechat` executable: install the SIGTERM answer before anything heavy is imported.

A service manager may stop the daemon while it is still importing or migrating; that is not
an error (nothing has been sent, every start-up step is safe to repeat), so it exits 0. Once
the event loop runs, its own handler takes over and finishes in-flight work first.
"""

from __future__ import annotations

import signal
import sys
from types import FrameType


class Terminated(BaseException):
    """SIGTERM arrived before the daemon's event loop was ready to handle it."""


def _on_sigterm(_signum: int, _frame: FrameType | None) -> None:
    raise Terminated


def main() -> None:
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        from coffeechat.cli import main as cli

        cli(prog_name="coffeechat")
    except Terminated:
        sys.exit(0)
