"""Calendar figures: slot computation over a big calendar, and one booking end to end.

    python bench/calendar_bench.py               # 5,000 events, 30 bookings against Radicale
    python bench/calendar_bench.py --size small  # 500 events, 5 bookings (well under a minute)

Slot computation is compared with a naive baseline measured in the same run: every 15-minute
cell of every candidate slot checked against every busy period (what a first version would do).
Both must give the same slots; the script stops if they differ. Booking end to end is
``service.booking.book`` against a Radicale the script starts (tests/servers/radicale.py):
read busy time, PUT the event, record the Meeting in a SQLite store.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the Radicale fixture, reused as is

from coffeechat.adapters.caldav import CaldavCalendar  # noqa: E402
from coffeechat.clock import FixedClock  # noqa: E402
from coffeechat.domain.availability import (  # noqa: E402
    Busy,
    Slot,
    free_slots,
    holiday_dates,
    offer_slots,
)
from coffeechat.domain.recurrence import expand_busy  # noqa: E402
from coffeechat.service import booking  # noqa: E402
from coffeechat.settings import ScheduleSettings, settings_from_mapping  # noqa: E402
from coffeechat.store.db import Store  # noqa: E402
from coffeechat.store.models import Account, Contact, Thread  # noqa: E402
from servers.radicale import RadicaleServer  # noqa: E402

OWNER_TZ = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)  # a Monday; the EU clock change is in range
SCHEDULE = ScheduleSettings(
    min_notice_hours=24, buffer_minutes=15, meeting_minutes=30, holidays_country="DE"
)
T = TypeVar("T")
Row = tuple[str, str, str, str]


def timed(fn: Callable[[], T], repeat: int) -> tuple[float, T]:
    """Median wall time of ``repeat`` runs, in seconds, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    assert result is not None
    return statistics.median(times), result


# ---------------------------------------------------------------- a synthetic calendar


@dataclass(frozen=True)
class Resource:
    """One calendar object as a server stores it: a UID's VEVENTs in one VCALENDAR."""

    ics: bytes
    first: datetime
    last: datetime  # of the first occurrence; recurring series count as unbounded
    recurring: bool


def synthetic_calendar(events: int, rng: random.Random) -> list[Resource]:
    """``events`` series over four years (three back, one ahead, as a real calendar has):
    10 % recurring (with an EXDATE, some with a moved instance), 5 % all-day, 5 % transparent,
    2 % cancelled; the rest ordinary appointments of 15 minutes to two hours."""
    fmt = "%Y%m%dT%H%M%S"
    first = NOW - timedelta(days=3 * 365)
    out: list[Resource] = []
    for i in range(events):
        day = (first + timedelta(days=rng.randrange(4 * 365))).date()
        start = datetime.combine(day, datetime.min.time(), OWNER_TZ) + timedelta(
            minutes=rng.randrange(7 * 4, 19 * 4) * 15
        )
        end = start + timedelta(minutes=rng.choice((15, 30, 45, 60, 90, 120)))
        kind = rng.random()
        ev = ["BEGIN:VEVENT", f"UID:bench-{i}", "DTSTAMP:20260101T000000Z", f"SUMMARY:event {i}"]
        if kind < 0.05:
            start = datetime.combine(day, datetime.min.time(), OWNER_TZ)
            ev += [f"DTSTART;VALUE=DATE:{start:%Y%m%d}"]
            ev += [f"DTEND;VALUE=DATE:{start + timedelta(days=1):%Y%m%d}"]
        else:
            ev += [f"DTSTART;TZID=Europe/Berlin:{start:{fmt}}"]
            ev += [f"DTEND;TZID=Europe/Berlin:{end:{fmt}}"]
        recurring = 0.05 <= kind < 0.15
        extra: list[str] = []
        if recurring:
            freq = rng.choice(("DAILY;COUNT=20", "WEEKLY;COUNT=26", "WEEKLY;INTERVAL=2", "MONTHLY"))
            ev.append(f"RRULE:FREQ={freq}")
            skip = start + timedelta(days=7 if "WEEK" in freq else 1)
            ev.append(f"EXDATE;TZID=Europe/Berlin:{skip:{fmt}}")
            if freq.startswith("WEEKLY;C"):  # one instance moved two hours later
                moved = start + timedelta(days=14, hours=2)
                extra = [
                    "BEGIN:VEVENT",
                    f"UID:bench-{i}",
                    "DTSTAMP:20260101T000000Z",
                    f"RECURRENCE-ID;TZID=Europe/Berlin:{start + timedelta(days=14):{fmt}}",
                    f"DTSTART;TZID=Europe/Berlin:{moved:{fmt}}",
                    f"DTEND;TZID=Europe/Berlin:{moved + (end - start):{fmt}}",
                    "END:VEVENT",
                ]
        elif 0.15 <= kind < 0.20:
            ev.append("TRANSP:TRANSPARENT")
        elif 0.20 <= kind < 0.22:
            ev.append("STATUS:CANCELLED")
        lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//bench//EN", *ev, "END:VEVENT"]
        lines += [*extra, "END:VCALENDAR"]
        ics = ("\r\n".join(lines) + "\r\n").encode()
        out.append(Resource(ics, start, end + timedelta(days=1), recurring))
    return out


def one_file(resources: Sequence[Resource]) -> bytes:
    """All resources as one VCALENDAR (an exported .ics)."""
    bodies = [
        r.ics.split(b"PRODID:-//bench//EN\r\n", 1)[1].rsplit(b"END:VCALENDAR", 1)[0]
        for r in resources
    ]
    return (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\n"
        + b"".join(bodies)
        + b"END:VCALENDAR\r\n"
    )


def as_queried(resources: Sequence[Resource], lo: datetime, hi: datetime) -> list[Busy]:
    """What the adapter does after a time-range calendar-query: the server returns only the
    objects that may overlap (series, and singles in range); each is expanded here."""
    out: list[Busy] = []
    for r in resources:
        if r.recurring or (r.first < hi and r.last > lo):
            out.extend(expand_busy(r.ics, lo, hi, owner_tz=OWNER_TZ))
    return out


# ---------------------------------------------------------------- the naive baseline


def naive_free_slots(busy: Sequence[Busy], horizon_days: int) -> list[Slot]:
    """Every 30-minute candidate, each of its 15-minute cells checked against every busy
    period (widened by the buffer), the working hours and the holidays."""
    cell, length = timedelta(minutes=15), timedelta(minutes=SCHEDULE.meeting_minutes)
    pad = timedelta(minutes=SCHEDULE.buffer_minutes)
    earliest = NOW + timedelta(hours=SCHEDULE.min_notice_hours)
    end = NOW + timedelta(days=horizon_days)
    opens, closes = SCHEDULE.hours
    closed = holiday_dates(SCHEDULE, NOW.date() - timedelta(days=1), end.date() + timedelta(days=1))

    def cell_free(c: datetime) -> bool:
        lo, hi = c.astimezone(OWNER_TZ), (c + cell).astimezone(OWNER_TZ)
        if lo.date() in closed or lo.weekday() not in SCHEDULE.weekday_numbers:
            return False
        if not (opens <= lo.time() and hi.time() <= closes and lo.date() == hi.date()):
            return False
        return all(not (b.start - pad < c + cell and c < b.end + pad) for b in busy)

    out: list[Slot] = []
    day = NOW.astimezone(OWNER_TZ).date()
    t = datetime.combine(day, datetime.min.time(), OWNER_TZ).astimezone(UTC)
    while t + length <= end:
        if t >= earliest and t.astimezone(OWNER_TZ).minute % 30 == 0:
            cells = [t + k * cell for k in range(length // cell)]
            if all(cell_free(c) for c in cells):
                out.append(Slot(t, t + length))
        t += cell
    return out


# ---------------------------------------------------------------- end to end


def seed_thread(store: Store, n: int) -> int:
    with store.session() as s:
        account = s.get(Account, 1) or Account(name="bench", owner_email="ada@example.org")
        s.add(account)
        s.flush()
        contact = Contact(
            account_id=account.id, email=f"c{n}@example.net", timezone="Europe/London"
        )
        s.add(contact)
        s.flush()
        thread = Thread(account_id=account.id, contact_id=contact.id, subject="bench")
        s.add(thread)
        s.flush()
        return thread.id


def end_to_end(bookings: int, seeded: int, rng: random.Random) -> dict[str, Any]:
    server = RadicaleServer.create()
    server.start()
    tmp = Path(tempfile.mkdtemp(prefix="calbench-"))
    try:
        user = server.add_user()
        user.make_calendar("Coffee")
        settings = settings_from_mapping(
            {
                "owner": {"name": "Ada", "email": "ada@example.org", "timezone": "Europe/Berlin"},
                "caldav": {"url": user.url, "username": user.name, "password": user.password},
                "schedule": {"min_notice_hours": 24, "buffer_minutes": 15},
            }
        )
        assert settings.caldav is not None
        store = Store(f"sqlite:///{tmp / 'bench.sqlite3'}")
        calendar = CaldavCalendar(settings.caldav, owner_tz=OWNER_TZ)
        for i in range(seeded):  # the owner's other appointments
            start = NOW + timedelta(days=rng.randrange(1, 60), hours=rng.randrange(0, 10))
            ics = (
                "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\nBEGIN:VEVENT\r\n"
                f"UID:seed-{i}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{start:%Y%m%dT%H%M%SZ}\r\n"
                f"DURATION:PT1H\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
            )
            calendar.put_event(f"seed-{i}", ics.encode())
        window = (NOW, NOW + timedelta(days=14))
        busy_time, _ = timed(lambda: calendar.busy(*window), 5)
        query_time, _ = timed(lambda: calendar.busy(*window, ignore_uids={"-"}), 5)
        clock = FixedClock(NOW)
        durations, booked = [], 0
        threads = [seed_thread(store, n) for n in range(bookings)]
        weekdays = [d for d in (NOW + timedelta(days=k) for k in range(2, 40)) if d.weekday() < 5]
        for n, thread_id in enumerate(threads):
            day = weekdays[n % len(weekdays)]
            proposal = Slot(day.replace(hour=8), day.replace(hour=16))  # "any time that day"
            t0 = time.perf_counter()
            result = booking.book(store, calendar, clock, thread_id, [proposal], settings)
            durations.append(time.perf_counter() - t0)
            booked += result.outcome == "booked"
        calendar.close()
        store.close()
        return {
            "busy": busy_time,
            "query": query_time,
            "book_median": statistics.median(durations),
            "book_max": max(durations),
            "booked": booked,
            "bookings": bookings,
            "seeded": seeded,
        }
    finally:
        server.cleanup()
        for f in sorted(tmp.glob("*"), reverse=True):
            f.unlink()
        tmp.rmdir()


def slot_rows(resources: Sequence[Resource], whole: bytes, horizon: int) -> list[Row]:
    lo, hi = NOW, NOW + timedelta(days=horizon)
    whole_t, busy = timed(lambda: expand_busy(whole, lo, hi, owner_tz=OWNER_TZ), 3)
    query_t, queried = timed(lambda: as_queried(resources, lo, hi), 3)
    assert sorted(busy) == sorted(queried)
    kw: dict[str, Any] = {"schedule": SCHEDULE, "owner_tz": OWNER_TZ, "now": NOW}
    sweep_t, fast = timed(lambda: free_slots(busy, horizon_days=horizon, **kw), 20)
    naive_t, slow = timed(lambda: naive_free_slots(busy, horizon), 1)
    if fast != slow:
        raise SystemExit(
            f"sweep and baseline disagree ({horizon} days): {len(fast)} vs {len(slow)}"
        )
    new_york = ZoneInfo("America/New_York")
    offer_t, _ = timed(
        lambda: offer_slots(busy, contact_tz=new_york, horizon_days=horizon, **kw), 20
    )
    label = f"{len(resources)} events, {horizon}-day horizon ({len(busy)} busy, {len(fast)} free)"
    return [
        (label, "parse + expand the whole .ics", f"{whole_t * 1000:.1f} ms", ""),
        (label, "expand what a time-range query returns", f"{query_t * 1000:.1f} ms", ""),
        (label, "free slots: sort + sweep", f"{sweep_t * 1000:.2f} ms", "1x"),
        (
            label,
            "free slots: naive 15-min scan",
            f"{naive_t * 1000:.1f} ms",
            f"{naive_t / sweep_t:.0f}x slower",
        ),
        (label, "offer 3 slots (contact in New York)", f"{offer_t * 1000:.2f} ms", ""),
    ]


# ---------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=("small", "full"), default="full")
    args = parser.parse_args()
    small = args.size == "small"
    events, bookings, seeded = (500, 5, 30) if small else (5000, 30, 200)
    rng = random.Random(20260302)

    resources = synthetic_calendar(events, rng)
    whole = one_file(resources)
    rows = [row for horizon in (14, 60) for row in slot_rows(resources, whole, horizon)]
    e2e = end_to_end(bookings, seeded, rng)
    label = f"Radicale, {e2e['seeded']} other events"
    rows.append((label, "busy: calendar-query + expansion", f"{e2e['busy'] * 1000:.1f} ms", ""))
    rows.append(
        (label, "busy, ignoring our own event (moving it)", f"{e2e['query'] * 1000:.1f} ms", "")
    )
    rows.append(
        (
            label,
            f"book one meeting end to end ({e2e['booked']}/{e2e['bookings']} booked)",
            f"{e2e['book_median'] * 1000:.1f} ms median",
            f"max {e2e['book_max'] * 1000:.1f} ms",
        )
    )
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    header = ("workload", "what", "time", "ratio")
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
