"""The CalDAV adapter against a real Radicale: discovery, errors, busy time, writes, sync."""

from __future__ import annotations

import itertools
import random
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import pytest
from calhelp import OwnersClient, caldav_settings, vevent

from coffeechat.adapters.caldav import (
    CaldavCalendar,
    CalendarAuthError,
    CalendarConflict,
    CalendarNotFound,
    CalendarUnavailable,
    SyncPoint,
    check_caldav,
    retry_delay,
)
from coffeechat.settings import CaldavSettings
from servers.ports import free_port
from servers.radicale import DavUser

BERLIN = ZoneInfo("Europe/Berlin")
MAR_1, APR_1 = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)


def u(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def work(dav_user: DavUser) -> Iterator[CaldavCalendar]:
    dav_user.make_calendar("Work")
    dav_user.make_calendar("Private")
    with CaldavCalendar(caldav_settings(dav_user, calendar="Work"), owner_tz=BERLIN) as cal:
        yield cal


# ---------------------------------------------------------------- check and discovery


def test_check_caldav_describes_the_calendar(dav_user: DavUser) -> None:
    dav_user.make_calendar("Work")
    line = check_caldav(caldav_settings(dav_user, calendar="work"))
    assert "'Work'" in line and dav_user.name in line


def test_check_caldav_wrong_password(dav_user: DavUser) -> None:
    with pytest.raises(CalendarAuthError) as err:
        check_caldav(caldav_settings(dav_user, password="wrong"))
    assert str(err.value) == f"CalDAV login refused for user {dav_user.name} at {dav_user.url}"
    assert not err.value.retryable
    assert "wrong" not in str(err.value)


def test_check_caldav_missing_calendar_lists_the_others(dav_user: DavUser) -> None:
    dav_user.make_calendar("Home")
    dav_user.make_calendar("Family")
    with pytest.raises(CalendarNotFound) as err:
        check_caldav(caldav_settings(dav_user, calendar="Work"))
    message = str(err.value)
    assert message.startswith(f"no calendar named 'Work' at {dav_user.url}; calendars there: ")
    assert "Home" in message and "Family" in message


def test_check_caldav_unreachable_server_is_retryable() -> None:
    settings = CaldavSettings(
        url=f"http://127.0.0.1:{free_port()}/", username="alice", password="x", timeout_seconds=3
    )
    with pytest.raises(CalendarUnavailable, match="unreachable") as err:
        check_caldav(settings)
    assert err.value.retryable


def test_calendar_found_by_url_or_first_when_unnamed(dav_user: DavUser) -> None:
    first = dav_user.make_calendar("A")
    second = dav_user.make_calendar("B")
    with CaldavCalendar(caldav_settings(dav_user, calendar=second), owner_tz=BERLIN) as cal:
        assert cal.url == second and cal.display_name == "B"
    with CaldavCalendar(caldav_settings(dav_user), owner_tz=BERLIN) as cal:
        assert cal.url in {first, second}


class _Busy503(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        self.send_response(503)
        self.send_header("Retry-After", "7")
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_PROPFIND = do_GET = do_OPTIONS = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_503_with_retry_after_is_retryable_and_carries_the_delay() -> None:
    """Radicale never says 503, so a three-line server does."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Busy503)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        settings = CaldavSettings(url=url, username="a", password="b")
        with pytest.raises(CalendarUnavailable) as err:
            check_caldav(settings)
        assert err.value.retry_after == 7.0
        assert retry_delay(1, err.value.retry_after) == 7.0
    finally:
        server.shutdown()
        server.server_close()


def test_retry_delay_backs_off_with_jitter() -> None:
    rng = random.Random(1)
    delays = [retry_delay(n, None, rng) for n in range(1, 12)]
    assert 4.0 <= delays[0] <= 6.0
    assert all(a < b for a, b in itertools.pairwise(delays[:6]))
    assert max(delays) <= 900 * 1.2


# ---------------------------------------------------------------- busy time


def test_busy_from_freebusy_and_from_expanded_events_agree(
    work: CaldavCalendar, dav_user: DavUser
) -> None:
    owner = OwnersClient(dav_user, work.url)
    owner.add(vevent("weekly", u(2026, 3, 3, 9), u(2026, 3, 3, 10), "RRULE:FREQ=WEEKLY;COUNT=4",
                     "EXDATE:20260310T090000Z"))  # fmt: skip
    owner.add(vevent("free", u(2026, 3, 4, 9), u(2026, 3, 4, 10), "TRANSP:TRANSPARENT"))
    owner.add(vevent("off", u(2026, 3, 5, 9), u(2026, 3, 5, 10), "STATUS:CANCELLED"))
    owner.add(vevent("lunch", u(2026, 3, 6, 11), u(2026, 3, 6, 12)))
    owner.close()
    via_freebusy = sorted((b.start, b.end) for b in work.busy(MAR_1, APR_1))
    via_query = sorted((b.start, b.end) for b in work.busy(MAR_1, APR_1, ignore_uids={"not-there"}))
    expected = [
        (u(2026, 3, 3, 9), u(2026, 3, 3, 10)),
        (u(2026, 3, 6, 11), u(2026, 3, 6, 12)),
        (u(2026, 3, 17, 9), u(2026, 3, 17, 10)),
        (u(2026, 3, 24, 9), u(2026, 3, 24, 10)),
    ]
    assert via_freebusy == expected
    assert via_query == expected


def test_ignored_uid_is_left_out(work: CaldavCalendar, dav_user: DavUser) -> None:
    owner = OwnersClient(dav_user, work.url)
    owner.add(vevent("mine", u(2026, 3, 3, 9), u(2026, 3, 3, 10)))
    owner.close()
    assert work.busy(MAR_1, APR_1, ignore_uids={"mine"}) == []
    assert len(work.busy(MAR_1, APR_1)) == 1


def test_busy_calendars_count_too(dav_user: DavUser) -> None:
    work_url = dav_user.make_calendar("Work")
    private_url = dav_user.make_calendar("Private")
    owner = OwnersClient(dav_user, private_url)
    owner.add(vevent("dentist", u(2026, 3, 3, 9), u(2026, 3, 3, 10)))
    owner.close()
    settings = caldav_settings(dav_user, calendar="Work", busy_calendars=["Private"])
    with CaldavCalendar(settings, owner_tz=BERLIN) as cal:
        assert cal.url == work_url and cal.busy_urls == [private_url]
        assert [b.start for b in cal.busy(MAR_1, APR_1)] == [u(2026, 3, 3, 9)]
    with pytest.raises(CalendarNotFound, match="'Gym'"):
        CaldavCalendar(caldav_settings(dav_user, busy_calendars=["Gym"]), owner_tz=BERLIN)


# ---------------------------------------------------------------- writes


def test_create_is_never_an_overwrite(work: CaldavCalendar) -> None:
    ics = vevent("x@test", u(2026, 3, 3, 9), u(2026, 3, 3, 10)).encode()
    href, etag = work.put_event("x@test", ics)
    assert href == work.href_for("x@test") and etag
    with pytest.raises(CalendarConflict):
        work.put_event("x@test", ics)  # If-None-Match: * -> 412
    stored = work.get("x@test")
    assert stored is not None and stored.etag == etag and b"UID:x@test" in stored.ics
    assert work.get("missing@test") is None


def test_replace_needs_the_etag_read(work: CaldavCalendar) -> None:
    ics = vevent("x@test", u(2026, 3, 3, 9), u(2026, 3, 3, 10))
    _, etag = work.put_event("x@test", ics.encode())
    _, newer = work.put_event("x@test", ics.replace("Busy", "Busier").encode(), etag=etag)
    with pytest.raises(CalendarConflict):
        work.put_event("x@test", ics.encode(), etag=etag)  # stale: 412
    work.delete(work.href_for("x@test"), newer)
    assert work.get("x@test") is None


def test_event_found_by_uid_when_stored_under_another_name(work: CaldavCalendar) -> None:
    ics = vevent("their-uid", u(2026, 3, 3, 9), u(2026, 3, 3, 10)).encode()
    work.put_event("their-uid", ics, href=work.url + "named-by-their-client.ics")
    assert work.get("their-uid") is None  # not where we would have put it
    found = work.get("their-uid", search=True)
    assert found is not None and found.href.endswith("/named-by-their-client.ics")
    with pytest.raises(CalendarConflict):  # the server keeps UIDs unique: no second copy
        work.put_event("their-uid", ics)


# ---------------------------------------------------------------- change detection


def test_changes_by_ctag_sync_token_and_listing(work: CaldavCalendar) -> None:
    ics = vevent("x@test", u(2026, 3, 3, 9), u(2026, 3, 3, 10))
    href, etag = work.put_event("x@test", ics.encode())
    known = {href: etag}
    point = work.sync_point()
    assert point.ctag and point.sync_token
    assert work.changes_since(point, known).changed == {}  # one PROPFIND, ctag equal

    _, newer = work.put_event("x@test", ics.replace("Busy", "Moved").encode(), etag=etag)
    delta = work.changes_since(point, known)
    assert delta.changed == {href: newer} and not delta.deleted
    assert delta.point.sync_token != point.sync_token
    # the same answer from a full listing (no token, or one the server forgot)
    for start in (SyncPoint(), SyncPoint(sync_token="http://radicale.org/ns/sync/bogus")):
        assert work.changes_since(start, known).changed == {href: newer}

    work.delete(href, newer)
    gone = work.changes_since(delta.point, {href: newer})
    assert gone.deleted == {href} and gone.changed == {}
    assert work.changes_since(SyncPoint(), {href: newer}).deleted == {href}


def test_changes_ignore_events_the_caller_does_not_track(work: CaldavCalendar) -> None:
    point = work.sync_point()
    work.put_event("other@test", vevent("other@test", MAR_1, MAR_1 + timedelta(hours=1)).encode())
    delta = work.changes_since(point, {})
    assert delta.changed == {} and delta.deleted == frozenset()
    assert delta.point != point
