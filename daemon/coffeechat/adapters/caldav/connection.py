"""One authenticated CalDAV connection: requests with errors a person can act on, discovery.

The ``caldav`` library does transport, auth negotiation (Basic/Digest/Bearer) and XML parsing;
every request goes through :meth:`DavConnection.call`, which turns network trouble into
:class:`CalendarUnavailable` and refusals into :class:`CalendarAuthError`.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn
from urllib.parse import urljoin, urlsplit

from caldav.davclient import DAVClient
from caldav.lib import error as dav_error

from coffeechat.adapters.caldav.errors import (
    CalendarAuthError,
    CalendarError,
    CalendarNotFound,
    CalendarUnavailable,
)
from coffeechat.secrets import SecretError, resolve_secret
from coffeechat.settings import CaldavSettings
from coffeechat.tlsconfig import describe_tls_error

# caldav can dump whole exchanges, credentials included, to /tmp or its debug log: never.
dav_error.debug_dump_communication = False
logging.getLogger("caldav").setLevel(logging.WARNING)

NS = 'xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:CS="http://calendarserver.org/ns/"'
CALDAV = "{urn:ietf:params:xml:ns:caldav}"


@dataclass
class Reply:
    status: int
    headers: Mapping[str, str]
    body: bytes
    response: Any  # caldav's DAVResponse, for its multistatus parsers
    preconditions: list[str] = field(default_factory=list)


def _tls_error(exc: BaseException) -> ssl.SSLError | None:
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return None
        if isinstance(seen, ssl.SSLError):
            return seen
        for arg in getattr(seen, "args", ()):
            if isinstance(arg, ssl.SSLError):
                return arg
        seen = seen.__cause__ or seen.__context__
    return None


class DavConnection:
    """A DAVClient plus the settings it came from; ``close()`` when done."""

    def __init__(self, settings: CaldavSettings) -> None:
        self.settings = settings
        self.user = settings.username or "(no user)"
        try:
            password = resolve_secret(settings, "caldav")
        except SecretError as exc:
            raise CalendarAuthError(str(exc)) from None
        self.client: Any = DAVClient(
            url=settings.url,
            username=settings.username or None,
            password=password or None,
            timeout=settings.timeout_seconds,  # type: ignore[arg-type]  # float works
            ssl_verify_cert=str(settings.ca_file) if settings.ca_file else True,
            enable_rfc6764=False,
        )

    def close(self) -> None:
        self.client.close()

    def _translate(self, exc: Exception, what: str) -> NoReturn:
        """caldav's and the HTTP library's exceptions as ours, with a message naming the fix."""
        where = self.settings.url
        if isinstance(exc, dav_error.RateLimitError):
            raise CalendarUnavailable(
                f"CalDAV server {where} asks to wait ({exc.retry_after})", exc.retry_after_seconds
            ) from None
        if isinstance(exc, dav_error.AuthorizationError):
            if exc.status == 403:
                raise CalendarAuthError(f"CalDAV access denied for user {self.user} at {where}")
            raise CalendarAuthError(f"CalDAV login refused for user {self.user} at {where}")
        if isinstance(exc, dav_error.DAVError):
            if exc.status is not None and exc.status >= 500:
                raise CalendarUnavailable(f"CalDAV {what} at {where}: server error {exc.status}")
            raise CalendarError(f"CalDAV {what} at {where} failed: {exc}") from None
        if isinstance(exc, OSError | ValueError):  # requests/niquests errors are OSErrors
            tls = _tls_error(exc)
            if tls is not None:
                raise CalendarError(f"CalDAV {where}: {describe_tls_error(tls)}") from None
            raise CalendarUnavailable(
                f"CalDAV server {where} unreachable ({type(exc).__name__})"
            ) from None
        raise exc

    def call(
        self,
        method: str,
        url: str,
        body: str = "",
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        """One request. 5xx, 429 and network errors raise CalendarUnavailable; 401 raises
        CalendarAuthError; a 403 to a REPORT or PUT comes back (it may mean "unsupported"
        or "UID taken"), as do other statuses, for the caller to judge."""
        try:
            r = self.client.request(url, method, body, dict(headers or {}))
        except dav_error.AuthorizationError as exc:
            if exc.status == 403 and (exc.preconditions or method in {"REPORT", "PUT"}):
                data = exc.body.encode() if isinstance(exc.body, str) else exc.body or b""
                return Reply(403, {}, data, None, list(exc.preconditions))
            self._translate(exc, f"{method} {url}")
        except Exception as exc:
            self._translate(exc, f"{method} {url}")
        status = int(r.status)
        if status >= 500:
            raise CalendarUnavailable(f"CalDAV {method} {url}: server error {status}")
        raw = getattr(r, "_raw", b"") or b""
        data = raw.encode() if isinstance(raw, str) else bytes(raw)
        preconditions = dav_error.parse_preconditions(data) if status >= 400 else []
        return Reply(status, r.headers, data, r, preconditions)

    def propfind(self, url: str, props: str, depth: int) -> list[Any]:
        """caldav's PropfindResult list (``.href``, ``.properties``)."""
        body = (
            f'<?xml version="1.0" encoding="utf-8"?>'
            f"<D:propfind {NS}><D:prop>{props}</D:prop></D:propfind>"
        )
        reply = self.call("PROPFIND", url, body, {"Depth": str(depth)})
        if reply.status == 404:
            raise CalendarNotFound(f"nothing at {url} (404)")
        if reply.status not in (200, 207):
            raise CalendarError(f"CalDAV PROPFIND {url}: status {reply.status}")
        results: list[Any] = reply.response.parse_propfind()
        return results

    def calendar_home(self) -> str:
        """The calendar home set of the logged-in principal (RFC 4791 6.2.1)."""
        try:
            principal = self.client.principal()
            return str(principal.calendar_home_set.url)
        except Exception as exc:
            self._translate(exc, "discovery")

    def calendars(self) -> list[tuple[str, str]]:
        """(display name, URL) of every calendar that holds events, in the server's order."""
        home = self.calendar_home()
        props = "<D:resourcetype/><D:displayname/><C:supported-calendar-component-set/>"
        found: list[tuple[str, str]] = []
        for result in self.propfind(home, props, 1):
            kinds = result.properties.get("{DAV:}resourcetype") or []
            comps = result.properties.get(f"{CALDAV}supported-calendar-component-set")
            if f"{CALDAV}calendar" not in kinds or (comps and "VEVENT" not in comps):
                continue
            name = str(result.properties.get("{DAV:}displayname") or "")
            found.append((name, urljoin(home, result.href)))
        return found


def find_calendar(available: list[tuple[str, str]], wanted: str, where: str) -> tuple[str, str]:
    """(url, name) of the calendar called ``wanted`` (a display name, a URL or a path);
    empty ``wanted``: the first one."""
    if not wanted:
        if not available:
            raise CalendarNotFound(f"no calendar with events at {where}")
        name, url = available[0]
        return url, name
    target = urlsplit(urljoin(where, wanted)).path.rstrip("/") if "/" in wanted else None
    for name, url in available:
        if target is not None and urlsplit(url).path.rstrip("/") == target:
            return url, name
        if name.casefold() == wanted.casefold():
            return url, name
    names = ", ".join(n or u for n, u in available) or "none"
    raise CalendarNotFound(f"no calendar named {wanted!r} at {where}; calendars there: {names}")
