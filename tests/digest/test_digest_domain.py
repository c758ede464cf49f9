"""The digest's pure decisions: the schedule (DST included), prompts, counts, the subject."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from coffeechat.domain import digest as d

BERLIN = ZoneInfo("Europe/Berlin")


def at(y: int, mo: int, day: int, h: int, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, mo, day, h, mi, s, tzinfo=UTC)


# ------------------------------------------------------------------ schedule


def test_due_from_the_minute_and_only_until_sent_that_day() -> None:
    eight = time(8, 0)
    assert d.digest_due(at(2026, 6, 9, 5, 59), eight, BERLIN, None) is None  # 07:59 Berlin
    assert d.digest_due(at(2026, 6, 9, 6, 0), eight, BERLIN, None) == at(2026, 6, 9, 6, 0)
    # Down at 08:00, back at 15:00: still today's digest, once.
    assert d.digest_due(at(2026, 6, 9, 13, 0), eight, BERLIN, None) == at(2026, 6, 9, 6, 0)
    assert d.digest_due(at(2026, 6, 9, 13, 0), eight, BERLIN, date(2026, 6, 9)) is None
    assert d.digest_due(at(2026, 6, 9, 6, 0), eight, BERLIN, date(2026, 6, 8)) is not None


def test_the_local_date_decides_not_the_utc_one() -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    # 23:30 UTC on 8 June is 08:30 on 9 June in Tokyo.
    assert d.digest_due(at(2026, 6, 8, 23, 30), time(8, 0), tokyo, date(2026, 6, 8)) == at(
        2026, 6, 8, 23, 0
    )


def test_spring_forward_gap_still_goes_once_at_the_jump() -> None:
    # 29 March 2026, Berlin: 02:00 CET jumps to 03:00 CEST (01:00 UTC); 02:30 never happens.
    slot = d.resolve_wall_time(date(2026, 3, 29), time(2, 30), BERLIN)
    assert slot == at(2026, 3, 29, 1, 0)
    assert slot.astimezone(BERLIN).strftime("%H:%M %Z") == "03:00 CEST"
    assert d.digest_due(at(2026, 3, 29, 0, 59), time(2, 30), BERLIN, None) is None
    assert d.digest_due(at(2026, 3, 29, 1, 0), time(2, 30), BERLIN, None) == slot
    assert d.digest_due(at(2026, 3, 29, 1, 1), time(2, 30), BERLIN, date(2026, 3, 29)) is None


def test_fall_back_twice_02_30_goes_at_the_first() -> None:
    # 25 October 2026, Berlin: 02:30 CEST (00:30 UTC), then 02:30 CET again (01:30 UTC).
    slot = d.resolve_wall_time(date(2026, 10, 25), time(2, 30), BERLIN)
    assert slot == at(2026, 10, 25, 0, 30)
    assert d.digest_due(at(2026, 10, 25, 1, 30), time(2, 30), BERLIN, date(2026, 10, 25)) is None


def test_next_wake_up() -> None:
    eight = time(8, 0)
    now = at(2026, 6, 9, 4, 0)
    assert d.next_digest_at(now, eight, BERLIN, None) == at(2026, 6, 9, 6, 0)
    later = at(2026, 6, 9, 7, 0)
    assert d.next_digest_at(later, eight, BERLIN, None) == later  # due: now
    assert d.next_digest_at(later, eight, BERLIN, date(2026, 6, 9)) == at(2026, 6, 10, 6, 0)
    assert d.digest_key(3, date(2026, 6, 9)) == "digest:3:2026-06-09"


def test_since_last_window() -> None:
    now = at(2026, 6, 9, 6)
    assert d.since_last_start(now, None) == now - timedelta(days=1)
    assert d.since_last_start(now, at(2026, 6, 8, 6)) == at(2026, 6, 8, 6)
    assert d.since_last_start(now, at(2026, 1, 1, 0)) == now - timedelta(days=7)


# ------------------------------------------------------------------ content


def test_prep_prompts_use_company_role_and_how_found() -> None:
    p = d.Person("Maya Chen", "maya@example.com", "Northwind Labs", "Staff Engineer")
    path, industry, company = d.prep_prompts(p, "her talk at PyCon DE.")
    assert path.startswith("Their path: You found Maya via her talk at PyCon DE. ")
    assert "Staff Engineer" in path and "in your place" in path
    assert "Northwind Labs" in industry and "typical week as Staff Engineer" in industry
    assert "Northwind Labs" in company and "salary and openings" in company
    bare = d.prep_prompts(d.Person("", "x@example.com"), "")
    assert "their company" in bare[1] and "their role" in bare[0]


def test_pipeline_carves_due_counts_out_of_waiting_and_thanked() -> None:
    stages = d.pipeline(
        {"outreach_sent": 3, "followup_sent": 1, "thanked": 2, "new": 1, "closed": 4},
        contacts_without_thread=2,
        followup_due=2,
        keep_in_touch_due=1,
    )
    counts = {s.key: s.count for s in stages}
    assert counts["to_contact"] == 3
    assert (counts["waiting"], counts["followup_due"]) == (2, 2)
    assert (counts["thanked"], counts["keep_in_touch_due"]) == (1, 1)
    assert [s.key for s in stages][:9] == [k for k, _ in d.STAGES]
    assert "bounced" not in counts  # extras only when someone is there


def test_business_days_skip_the_weekend() -> None:
    fri = at(2026, 6, 5, 8)
    due = d.add_business_days(fri, 1, BERLIN, frozenset(range(5)))
    assert due == at(2026, 6, 8, 8)  # Monday, same wall time


def test_week_rows() -> None:
    w = d.WeekOverWeek(d.Week(4, 1, 2), d.Week(0, 0, 1))
    rows = {r.label: r for r in w.rows()}
    assert (rows["Reply rate"].this_week, rows["Reply rate"].last_week) == ("25%", "–")
    assert rows["Outreach sent"].trend == "up"
    assert rows["Meetings booked"].trend == "up"
    assert d.bar_percent(0, 5) == 0 and d.bar_percent(5, 5) == 100 and d.bar_percent(1, 500) == 2


@pytest.mark.parametrize(
    ("action", "intent", "until", "outcome", "phrase"),
    [
        ("book_proposed_time", "accept", None, d.Outcome.BOOKED, "meeting booked"),
        ("offer_slots", "accept", None, d.Outcome.OFFERED_SLOTS, "offered times"),
        (
            "postpone_followup",
            "auto_reply",
            date(2026, 6, 15),
            d.Outcome.POSTPONED,
            "out of office until Mon 15 Jun",
        ),
        (
            "postpone_followup",
            "later",
            date(2026, 9, 1),
            d.Outcome.POSTPONED,
            "postponed to Tue 1 Sep",
        ),
        ("flag_bounce", "bounce", None, d.Outcome.BOUNCE_FLAGGED, "flagged as bounced"),
        (
            "stop_followups_left_company",
            "auto_reply",
            None,
            d.Outcome.FOLLOWUP_STOPPED,
            "left the company",
        ),
        ("stop_forever", "unsubscribe", None, d.Outcome.UNSUBSCRIBED, "never written to again"),
        ("something_new", "decline", None, d.Outcome.DECLINED, "declined"),
    ],
)
def test_outcomes(
    action: str, intent: str, until: date | None, outcome: d.Outcome, phrase: str
) -> None:
    got, text = d.outcome_of(action, intent, until, needs_owner=False)
    assert got is outcome
    assert phrase in text


def test_next_step_split_into_words_and_a_command() -> None:
    n = d.NeedsYou(d.NeedKind.AUTH, "x", "check it, then run: coffeechat check")
    assert n.step_parts == ("check it, then run", "coffeechat check")
    prose = d.NeedsYou(d.NeedKind.QUESTION, "x", "answer; coffeechat stays out of this thread")
    assert prose.step_parts == ("answer; coffeechat stays out of this thread", "")


def test_needs_you_deduplicates_an_event_and_the_row_it_is_about() -> None:
    p = d.Person("A", "a@example.com")
    items = [
        d.NeedsYou(d.NeedKind.SEND_UNKNOWN, "from the event", "x", p, key="outbox:7"),
        d.NeedsYou(d.NeedKind.SEND_UNKNOWN, "from the row", "y", p, key="outbox:7"),
        d.NeedsYou(d.NeedKind.AUTH, "imap", "z", key="component:imap"),
        d.NeedsYou(d.NeedKind.AUTH, "caldav", "z", key="component:caldav"),
        d.NeedsYou(d.NeedKind.QUESTION, "q", "answer", p),
    ]
    kept = d.order_needs(items)
    assert [n.summary for n in kept] == ["q", "from the event", "imap", "caldav"]


def test_empty_and_subject() -> None:
    now = at(2026, 6, 9, 6)
    quiet = d.DigestData("A", "a@example.org", "Europe/Berlin", now)
    assert quiet.is_empty
    assert d.subject_line(quiet) == "coffeechat: all quiet"
    failing = d.Health("caldav", "CalDAV read", True, None, failing_since=now)
    broken = d.DigestData("A", "a@example.org", "Europe/Berlin", now, health=(failing,))
    assert not broken.is_empty
    assert d.subject_line(broken) == "coffeechat: CalDAV read failing"
    ok = d.Health("imap", "IMAP sync", True, now)
    assert d.DigestData("A", "a@example.org", "Europe/Berlin", now, health=(ok,)).is_empty
    one = d.NeedsYou(d.NeedKind.QUESTION, "q", "answer")
    assert (
        d.subject_line(d.DigestData("A", "a@example.org", "Europe/Berlin", now, needs_you=(one,)))
        == "coffeechat: 1 needs you"
    )
