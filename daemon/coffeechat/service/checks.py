"""`coffeechat check`: try every outside system once and say plainly what is wrong."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from coffeechat.settings import Settings


@dataclass(frozen=True)
class CheckResult:
    component: str
    ok: bool | None  # None: not configured, skipped
    detail: str


def _attempt(component: str, probe: Callable[[], Any]) -> CheckResult:
    try:
        detail = probe()
        if inspect.isawaitable(detail):
            detail = asyncio.run(_await(detail))
        return CheckResult(component, True, str(detail))
    except Exception as exc:  # the edge of a connection: report, never crash
        return CheckResult(component, False, str(exc) or type(exc).__name__)


async def _await(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


def check_database(settings: Settings) -> str:
    from sqlalchemy import text

    from coffeechat.store.db import Store

    store = Store(settings.database.effective_url)
    try:
        with store.session() as session:
            session.execute(text("SELECT 1"))
        url = store.engine.url.render_as_string(hide_password=True)
        return f"{store.dialect} at {url}, schema up to date"
    finally:
        store.close()


def _probe_imap(settings: Settings) -> Any:
    from coffeechat.adapters.imap.connection import check_imap

    assert settings.imap is not None
    return check_imap(settings.imap)


def _probe_smtp(settings: Settings) -> Any:
    from coffeechat.adapters.smtp import check_smtp

    assert settings.smtp is not None
    return check_smtp(settings.smtp)


def _probe_caldav(settings: Settings) -> Any:
    from coffeechat.adapters.caldav import check_caldav

    assert settings.caldav is not None
    return check_caldav(settings.caldav)


PROBES: dict[str, tuple[Callable[[Settings], Any], str]] = {
    "imap": (_probe_imap, "no [imap] section: replies are not watched"),
    "smtp": (_probe_smtp, "no [smtp] section: nothing can be sent"),
    "caldav": (_probe_caldav, "no [caldav] section: meetings are not booked"),
}


def run_checks(settings: Settings) -> list[CheckResult]:
    """Database first (everything needs it), then each configured server."""
    results = [_attempt("database", lambda: check_database(settings))]
    for name, (probe, missing) in PROBES.items():
        if getattr(settings, name) is None:
            results.append(CheckResult(name, None, missing))
        else:
            results.append(_attempt(name, lambda probe=probe: probe(settings)))  # type: ignore[misc]
    return results
