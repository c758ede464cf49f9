"""structlog configuration: JSON lines in service mode, readable lines on a terminal.

Secrets never reach a log: settings hold them as SecretStr, and a processor below masks any
event key that looks like a credential in case a caller passes one by mistake.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any, Literal

import structlog

SECRET_KEYS = ("password", "secret", "token", "authorization", "passwd")


def _redact(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in list(event):
        if any(s in key.lower() for s in SECRET_KEYS):
            event[key] = "**redacted**"
    return event


class ForgivingStream:
    """A log stream whose write errors drop the line instead of raising.

    A log that cannot be written (disk full, a closed pipe, a vanished terminal) must never
    stop the work being logged: every structlog call would otherwise raise ``OSError`` into
    whatever the daemon was doing. ``dropped`` counts the lines lost.
    """

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.dropped = 0

    def write(self, text: str) -> int:
        try:
            return int(self.stream.write(text))
        except (OSError, ValueError):
            self.dropped += 1
            return len(text)

    def flush(self) -> None:
        try:
            self.stream.flush()
        except (OSError, ValueError):
            self.dropped += 1

    def isatty(self) -> bool:
        try:
            return bool(self.stream.isatty())
        except (OSError, ValueError):
            return False


def configure_logging(
    level: str = "info", fmt: Literal["auto", "json", "console"] = "auto", stream: Any = None
) -> None:
    """Configure structlog and the stdlib root logger once, at start."""
    stream = stream or sys.stderr
    if not isinstance(stream, ForgivingStream):
        stream = ForgivingStream(stream)
    as_json = fmt == "json" or (fmt == "auto" and not stream.isatty())
    numeric = getattr(logging, level.upper(), logging.INFO)
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _redact,
    ]
    renderer: Any
    if as_json:
        shared.append(structlog.processors.dict_tracebacks)
        renderer = structlog.processors.JSONRenderer()
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=stream.isatty())
    structlog.configure(
        processors=[*shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=stream),
        cache_logger_on_first_use=False,
    )
    # Libraries that log through the stdlib (caldav, aiosmtplib, alembic) stay quiet below
    # warning: their debug output can include protocol lines with credentials.
    logging.basicConfig(level=max(numeric, logging.WARNING), stream=stream, force=True)
    for noisy in ("imapclient", "caldav", "aiosmtplib", "alembic", "urllib3", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
