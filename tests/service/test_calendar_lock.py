"""The per-calendar booking lock: bounded waits, and released when the holder is done."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from coffeechat.service.calendar_lock import CalendarBusy, calendar_key, calendar_lock
from coffeechat.store.db import Store


def test_keys_are_stable_and_tell_calendars_apart() -> None:
    a = calendar_key("https://dav.example/", "Coffee")
    assert a == calendar_key("https://dav.example", "Coffee")
    assert a != calendar_key("https://dav.example/", "Work")
    assert -(2**31) <= a < 2**31


@pytest.mark.parametrize("url_kind", ["file", "memory"])
def test_a_second_booker_waits_then_gives_up(url_kind: str, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/s.db" if url_kind == "file" else "sqlite://"
    _contend(url)


@pytest.mark.postgres
def test_a_second_booker_waits_then_gives_up_on_postgres(pg_url: str) -> None:
    _contend(pg_url)


def _contend(url: str) -> None:
    first, second = Store(url), Store(url, run_migrations=False)
    key = calendar_key("https://dav.example/", "Coffee")
    held, done = threading.Event(), threading.Event()

    def hold() -> None:
        with calendar_lock(first, key):
            held.set()
            done.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(10)
        with pytest.raises(CalendarBusy), calendar_lock(second, key, timeout=0.2):
            pass
        with calendar_lock(second, calendar_key("https://dav.example/", "Other"), timeout=0.2):
            pass  # another calendar is not blocked
    finally:
        done.set()
        holder.join()
    with calendar_lock(second, key, timeout=2):
        pass  # free again once the holder is done
    first.close()
    second.close()
