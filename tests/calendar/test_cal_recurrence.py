"""What counts as busy in iCalendar data: recurrences, overrides, all-day, TRANSP, STATUS."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from coffeechat.domain.availability import Busy
from coffeechat.domain.recurrence import busy_from_freebusy, expand_busy

BERLIN = ZoneInfo("Europe/Berlin")
START, END = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 15, tzinfo=UTC)


def cal(*events: str) -> bytes:
    body = "".join(
        f"BEGIN:VEVENT\nDTSTAMP:20260101T000000Z\n{e.strip()}\nEND:VEVENT\n" for e in events
    )
    text = f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\n{body}END:VCALENDAR\n"
    return text.replace("\n", "\r\n").encode()


def spans(busy: list[Busy]) -> list[tuple[datetime, datetime]]:
    return sorted((b.start, b.end) for b in busy)


def u(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_weekly_series_with_exdate_and_a_moved_instance() -> None:
    data = cal(
        """UID:standup
DTSTART;TZID=Europe/Berlin:20260303T100000
DTEND;TZID=Europe/Berlin:20260303T110000
RRULE:FREQ=WEEKLY;COUNT=4
EXDATE;TZID=Europe/Berlin:20260310T100000""",
        """UID:standup
RECURRENCE-ID;TZID=Europe/Berlin:20260317T100000
DTSTART;TZID=Europe/Berlin:20260317T150000
DTEND;TZID=Europe/Berlin:20260317T160000""",
    )
    got = spans(expand_busy(data, START, END, owner_tz=BERLIN))
    assert got == [
        (u(2026, 3, 3, 9), u(2026, 3, 3, 10)),  # 10:00 CET
        # 10 March excluded; 17 March moved to the afternoon
        (u(2026, 3, 17, 14), u(2026, 3, 17, 15)),
        (u(2026, 3, 24, 9), u(2026, 3, 24, 10)),
    ]


def test_a_weekly_series_keeps_its_local_time_across_the_eu_change() -> None:
    data = cal(
        """UID:weekly
DTSTART;TZID=Europe/Berlin:20260326T100000
DURATION:PT30M
RRULE:FREQ=WEEKLY;COUNT=2"""
    )
    got = spans(expand_busy(data, START, END, owner_tz=BERLIN))
    assert got == [
        (u(2026, 3, 26, 9), u(2026, 3, 26, 9, 30)),
        (u(2026, 4, 2, 8), u(2026, 4, 2, 8, 30)),
    ]


def test_rdate_adds_occurrences() -> None:
    data = cal(
        """UID:r
DTSTART:20260305T120000Z
DTEND:20260305T130000Z
RDATE:20260306T120000Z,20260307T120000Z"""
    )
    assert len(expand_busy(data, START, END, owner_tz=BERLIN)) == 3


def test_all_day_events_block_the_owners_whole_local_day() -> None:
    data = cal(
        """UID:offsite
DTSTART;VALUE=DATE:20260312
DTEND;VALUE=DATE:20260314"""
    )
    got = spans(expand_busy(data, START, END, owner_tz=BERLIN))
    assert got == [(u(2026, 3, 11, 23), u(2026, 3, 13, 23))]


def test_floating_times_are_in_the_owners_zone() -> None:
    data = cal(
        """UID:floating
DTSTART:20260312T090000
DTEND:20260312T100000"""
    )
    assert spans(expand_busy(data, START, END, owner_tz=ZoneInfo("America/Los_Angeles"))) == [
        (u(2026, 3, 12, 16), u(2026, 3, 12, 17))  # PDT, UTC-7 since 8 March
    ]


def test_transparent_and_cancelled_events_are_free() -> None:
    data = cal(
        """UID:a
DTSTART:20260312T090000Z
DTEND:20260312T100000Z
TRANSP:TRANSPARENT""",
        """UID:b
DTSTART:20260312T110000Z
DTEND:20260312T120000Z
STATUS:CANCELLED""",
        """UID:c
DTSTART:20260312T130000Z
DTEND:20260312T140000Z
STATUS:TENTATIVE""",
    )
    assert spans(expand_busy(data, START, END, owner_tz=BERLIN)) == [
        (u(2026, 3, 12, 13), u(2026, 3, 12, 14))
    ]


def test_one_cancelled_instance_of_a_series_is_free_the_others_busy() -> None:
    data = cal(
        """UID:daily
DTSTART:20260302T080000Z
DTEND:20260302T090000Z
RRULE:FREQ=DAILY;COUNT=3""",
        """UID:daily
RECURRENCE-ID:20260303T080000Z
DTSTART:20260303T080000Z
DTEND:20260303T090000Z
STATUS:CANCELLED""",
    )
    assert [b.start.day for b in expand_busy(data, START, END, owner_tz=BERLIN)] == [2, 4]


def test_events_are_clipped_to_the_range_and_ignored_uids_skipped() -> None:
    data = cal(
        """UID:long
DTSTART:20260228T000000Z
DTEND:20260302T000000Z""",
        """UID:mine
DTSTART:20260305T100000Z
DTEND:20260305T110000Z""",
    )
    got = expand_busy(data, START, END, owner_tz=BERLIN, ignore_uids={"mine"})
    assert spans(got) == [(START, u(2026, 3, 2))]
    assert got[0].uid == "long"


def test_freebusy_answers_are_read_with_their_types() -> None:
    data = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VFREEBUSY\r\n"
        b"DTSTART:20260301T000000Z\r\nDTEND:20260401T000000Z\r\n"
        b"FREEBUSY;FBTYPE=BUSY:20260310T140000Z/20260310T150000Z,20260311T140000Z/PT1H\r\n"
        b"FREEBUSY;FBTYPE=BUSY-TENTATIVE:20260312T140000Z/20260312T150000Z\r\n"
        b"FREEBUSY;FBTYPE=FREE:20260313T140000Z/20260313T150000Z\r\n"
        b"FREEBUSY:20260314T140000Z/20260314T150000Z\r\n"
        b"END:VFREEBUSY\r\nEND:VCALENDAR\r\n"
    )
    got = spans(busy_from_freebusy(data, START, END))
    assert [s[0].day for s in got] == [10, 11, 12, 14]
    assert got[1] == (u(2026, 3, 11, 14), u(2026, 3, 11, 15))
