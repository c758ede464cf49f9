"""The booking calendar: busy time, events by UID with ETags, and change detection.

Only requests every CalDAV server answers (Radicale, Xandikos, Nextcloud, Fastmail, iCloud,
Google): a time-range calendar-query expanded here, free-busy-query only for a calendar whose
events may not be read; PUT with If-None-Match / If-Match so nothing is ever overwritten
blindly; sync-collection (RFC 6578) with a ctag / ETag listing as the fallback.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol
from urllib.parse import urljoin
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

import structlog
from caldav.lib.error import UID_CONFLICT_PRECONDITIONS

from coffeechat.adapters.caldav.connection import CALDAV, NS, DavConnection, Reply, find_calendar
from coffeechat.adapters.caldav.errors import (
    CalendarAuthError,
    CalendarConflict,
    CalendarError,
    CalendarNotFound,
)
from coffeechat.domain.availability import Busy
from coffeechat.domain.invitations import resource_name
from coffeechat.domain.recurrence import busy_from_freebusy, expand_busy
from coffeechat.settings import CaldavSettings

log = structlog.get_logger(__name__)
_FLOATING_SLACK = timedelta(hours=15)  # a floating time may be this far from UTC
_XML = '<?xml version="1.0" encoding="utf-8"?>'


@dataclass(frozen=True, slots=True)
class StoredEvent:
    href: str
    etag: str | None
    ics: bytes


@dataclass(frozen=True, slots=True)
class SyncPoint:
    """Where the last sync stood (CalendarState.ctag / .sync_token)."""

    ctag: str | None = None
    sync_token: str | None = None


@dataclass(frozen=True, slots=True)
class Changes:
    point: SyncPoint
    changed: dict[str, str | None] = field(default_factory=dict)  # href -> new ETag
    deleted: frozenset[str] = frozenset()


class Calendar(Protocol):
    """What booking needs from a calendar."""

    url: str

    def busy(
        self, start: datetime, end: datetime, *, ignore_uids: Collection[str] = ()
    ) -> list[Busy]: ...
    def get(
        self, uid: str, href: str | None = None, *, search: bool = False
    ) -> StoredEvent | None: ...
    def fetch(self, href: str) -> StoredEvent | None: ...
    def put_event(
        self, uid: str, ics: bytes, *, etag: str | None = None, href: str | None = None
    ) -> tuple[str, str | None]: ...
    def delete(self, href: str, etag: str | None) -> None: ...
    def changes_since(self, point: SyncPoint, known: Mapping[str, str | None]) -> Changes: ...


def _stamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _caldav_preconditions(reply: Reply) -> list[str]:
    """The CalDAV preconditions (RFC 4791 5.3.2.1: valid-calendar-data, max-resource-size...)
    a refusal names, without their namespace."""
    return [p.removeprefix(CALDAV) for p in reply.preconditions if p.startswith(CALDAV)]


class _EventsHidden(CalendarAuthError):
    """A calendar whose events may not be read (403): on a busy calendar shared with the
    read-free-busy privilege only, free/busy is asked for instead."""


class CaldavCalendar:
    """The booking calendar plus ``busy_calendars``, found once by display name or URL."""

    def __init__(self, settings: CaldavSettings, *, owner_tz: ZoneInfo) -> None:
        self.owner_tz = owner_tz
        self.dav = DavConnection(settings)
        self._freebusy_only: set[str] = set()  # busy calendars whose events we may not read
        try:
            self.available = self.dav.calendars()
            self.url, self.display_name = find_calendar(
                self.available, settings.calendar, settings.url
            )
            self.busy_urls = [
                find_calendar(self.available, name, settings.url)[0]
                for name in settings.busy_calendars
            ]
        except BaseException:
            self.dav.close()
            raise

    def __enter__(self) -> CaldavCalendar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.dav.close()

    def describe(self) -> str:
        extra = f", busy also from {len(self.busy_urls)} more" if self.busy_urls else ""
        return f"calendar {self.display_name or '(unnamed)'!r} at {self.url}{extra}"

    def _abs(self, href: str) -> str:
        return urljoin(self.url, href)

    # ------------------------------------------------------------ busy time

    def busy(
        self, start: datetime, end: datetime, *, ignore_uids: Collection[str] = ()
    ) -> list[Busy]:
        """Busy periods in [start, end) over the booking calendar and ``busy_calendars``.

        The events are read and expanded here, not left to the server's free-busy-query: its
        answer differs between servers (Radicale and Xandikos put floating times and all-day
        dates in UTC, not in the owner's zone; Xandikos leaves out RDATE instances and all-day
        events without DTEND), and it cannot say which event a period belongs to, which
        ``ignore_uids`` (our own meeting, when moving it) needs. A busy calendar shared with
        the read-free-busy privilege only (RFC 4791 6.1.1) refuses the events: free-busy there.
        """
        out: list[Busy] = []
        for url in [self.url, *self.busy_urls]:
            if url not in self._freebusy_only:
                ignore = ignore_uids if url == self.url else ()
                try:
                    out.extend(self._query_busy(url, start, end, ignore))
                    continue
                except _EventsHidden:
                    if url == self.url:  # the booking calendar, which we write, must show them
                        raise
                    self._freebusy_only.add(url)
            out.extend(self._freebusy_report(url, start, end))
        return out

    def _freebusy_report(self, url: str, start: datetime, end: datetime) -> list[Busy]:
        body = (
            f"{_XML}<C:free-busy-query {NS}>"
            f'<C:time-range start="{_stamp(start)}" end="{_stamp(end)}"/></C:free-busy-query>'
        )
        reply = self.dav.call("REPORT", url, body, {"Depth": "1"})
        if reply.status == 404:
            raise CalendarNotFound(f"no calendar at {url} any more")
        if reply.status == 403:
            raise CalendarAuthError(f"CalDAV shows neither the events nor free/busy at {url}")
        if reply.status != 200:
            raise CalendarError(f"CalDAV free-busy-query at {url}: status {reply.status}")
        try:
            return busy_from_freebusy(reply.body, start, end)
        except ValueError:  # not iCalendar: a confused server answered with XML
            raise CalendarError(f"CalDAV free-busy-query at {url}: no iCalendar answer") from None

    def _query(self, url: str, filters: str) -> list[StoredEvent]:
        """The VEVENTs matching ``filters``; _EventsHidden when the server refuses them (403)."""
        body = (
            f"{_XML}<C:calendar-query {NS}><D:prop><D:getetag/><C:calendar-data/></D:prop>"
            f'<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">'
            f"{filters}</C:comp-filter></C:comp-filter></C:filter></C:calendar-query>"
        )
        reply = self.dav.call("REPORT", url, body, {"Depth": "1"})
        if reply.status == 404:
            raise CalendarNotFound(f"no calendar at {url} any more")
        if reply.status == 403:
            raise _EventsHidden(f"CalDAV refused to show the events at {url} (403)")
        if reply.status not in (200, 207):
            raise CalendarError(f"CalDAV calendar-query at {url}: status {reply.status}")
        return [
            StoredEvent(self._abs(r.href), r.etag, r.calendar_data.encode())
            for r in reply.response.parse_calendar_query()
            if r.calendar_data and r.status == 200
        ]

    def _query_busy(
        self, url: str, start: datetime, end: datetime, ignore: Collection[str]
    ) -> list[Busy]:
        """Busy time from the events themselves."""
        lo, hi = start - _FLOATING_SLACK, end + _FLOATING_SLACK
        found = self._query(url, f'<C:time-range start="{_stamp(lo)}" end="{_stamp(hi)}"/>')
        out: list[Busy] = []
        for item in found:
            try:
                busy = expand_busy(item.ics, start, end, owner_tz=self.owner_tz, ignore_uids=ignore)
            except ValueError as exc:  # one broken object must not stop all booking
                log.warning("caldav.unreadable_event", href=item.href, error=str(exc)[:200])
                continue
            out.extend(busy)
        return out

    # ------------------------------------------------------------ events

    def href_for(self, uid: str) -> str:
        return urljoin(self.url, resource_name(uid))

    def fetch(self, href: str) -> StoredEvent | None:
        reply = self.dav.call("GET", href, "", {"Accept": "text/calendar"})
        if reply.status in (404, 410):
            return None
        if reply.status != 200:
            raise CalendarError(f"CalDAV GET {href}: status {reply.status}")
        return StoredEvent(href, reply.headers.get("ETag"), reply.body)

    def get(self, uid: str, href: str | None = None, *, search: bool = False) -> StoredEvent | None:
        """The event at ``href`` (default: where we put it); with ``search``, else found by a
        UID query (after a UID conflict: a server may have stored it under another name)."""
        found = self.fetch(href or self.href_for(uid))
        if found is not None or not search:
            return found
        match = (
            '<C:prop-filter name="UID"><C:text-match collation="i;octet">'
            f"{escape(uid)}</C:text-match></C:prop-filter>"
        )
        hits = self._query(self.url, match)
        return hits[0] if hits else None

    def put_event(
        self, uid: str, ics: bytes, *, etag: str | None = None, href: str | None = None
    ) -> tuple[str, str | None]:
        """Create (If-None-Match: *) or replace the version read (If-Match: etag).

        412, or a UID already taken elsewhere, raises CalendarConflict: re-read, decide again.
        A refusal of the data itself (a CalDAV precondition such as valid-calendar-data, which
        Xandikos sends with 412 too) raises CalendarError: reading again would not change it.
        """
        url = href or self.href_for(uid)
        headers = {"Content-Type": "text/calendar; charset=utf-8"}
        if etag:
            headers["If-Match"] = etag
        else:
            headers["If-None-Match"] = "*"
        reply = self.dav.call("PUT", url, ics.decode("utf-8"), headers)
        if set(reply.preconditions) & UID_CONFLICT_PRECONDITIONS:
            raise CalendarConflict(f"event {uid} is on the calendar under another name")
        refused = _caldav_preconditions(reply)
        if refused:
            raise CalendarError(f"CalDAV refused event {uid} at {url} ({', '.join(refused)})")
        if reply.status == 412:
            raise CalendarConflict(f"event {uid} changed on the calendar since it was read")
        if reply.status == 403:
            raise CalendarAuthError(f"CalDAV refused to write {url} (403)")
        if reply.status not in (200, 201, 204):
            raise CalendarError(f"CalDAV PUT {url}: status {reply.status}")
        new_etag = reply.headers.get("ETag")
        if not new_etag:  # the server rewrote the data (allowed by RFC 4791): ask
            stored = self.fetch(url)
            new_etag = stored.etag if stored else None
        return url, new_etag

    def delete(self, href: str, etag: str | None) -> None:
        reply = self.dav.call("DELETE", href, "", {"If-Match": etag} if etag else {})
        if reply.status == 412:
            raise CalendarConflict(f"{href} changed on the calendar since it was read")
        if reply.status not in (200, 204, 404, 410):
            raise CalendarError(f"CalDAV DELETE {href}: status {reply.status}")

    # ------------------------------------------------------------ change detection

    def sync_point(self) -> SyncPoint:
        results = self.dav.propfind(self.url, "<CS:getctag/><D:sync-token/>", 0)
        found = results[0].properties if results else {}
        ctag = found.get("{http://calendarserver.org/ns/}getctag")
        token = found.get("{DAV:}sync-token")
        return SyncPoint(str(ctag) if ctag else None, str(token) if token else None)

    def changes_since(self, point: SyncPoint, known: Mapping[str, str | None]) -> Changes:
        """What happened to the ``known`` hrefs (href -> the ETag we hold) since ``point``.

        Cheapest first: an unchanged ctag ends it in one request; else sync-collection from
        the token; else (no token, expired, unsupported) a full ETag listing.
        """
        now = self.sync_point()
        if point.ctag and now.ctag == point.ctag:
            return Changes(point)
        if point.sync_token and now.sync_token:
            delta = self._sync_collection(point.sync_token)
            if delta is not None:
                token, changed, deleted = delta
                return Changes(
                    SyncPoint(now.ctag, token),
                    {h: e for h, e in changed.items() if h in known and known[h] != e},
                    frozenset(h for h in deleted if h in known),
                )
        listing = self._etags()
        return Changes(
            now,
            {h: e for h, e in listing.items() if h in known and known[h] != e},
            frozenset(h for h in known if h not in listing),
        )

    def _sync_collection(self, token: str) -> tuple[str, dict[str, str | None], set[str]] | None:
        changed: dict[str, str | None] = {}
        deleted: set[str] = set()
        for _ in range(100):  # a truncated answer (507) continues from its own token
            body = (
                f"{_XML}<D:sync-collection {NS}><D:sync-token>{escape(token)}</D:sync-token>"
                "<D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"
            )
            reply = self.dav.call("REPORT", self.url, body, {})
            if reply.status != 207:
                return None  # expired token (403/409 valid-sync-token) or unsupported
            result = reply.response.parse_sync_collection()
            for item in result.changed:
                changed[self._abs(item.href)] = item.etag
                deleted.discard(self._abs(item.href))
            for href in result.deleted:
                deleted.add(self._abs(href))
                changed.pop(self._abs(href), None)
            token = result.sync_token or token
            if not result.truncated:
                break
        return token, changed, deleted

    def _etags(self) -> dict[str, str | None]:
        out: dict[str, str | None] = {}
        for result in self.dav.propfind(self.url, "<D:getetag/>", 1):
            href = self._abs(result.href)
            if href.rstrip("/") != self.url.rstrip("/"):
                out[href] = result.properties.get("{DAV:}getetag")
        return out
