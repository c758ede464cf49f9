"""Several accounts: settings per account, and one process per account across processes."""

from __future__ import annotations

from pathlib import Path

import pytest

from coffeechat.service.account_lock import AccountLock
from coffeechat.settings import SettingsError, settings_from_mapping
from coffeechat.store.db import Store

BASE = {"owner": {"name": "Maya", "email": "maya@home.example"}}


def test_accounts_inherit_what_they_leave_out() -> None:
    s = settings_from_mapping(
        {
            **BASE,
            "schedule": {"slots_to_offer": 4},
            "accounts": [
                {
                    "name": "work",
                    "owner": {
                        "name": "Maya",
                        "email": "maya@work.example",
                        "timezone": "Europe/Berlin",
                    },
                    "imap": {"host": "127.0.0.1", "security": "none", "username": "m"},
                    "sending": {"mode": "drafts"},
                }
            ],
        }
    )
    work = s.for_account("work")
    assert work.owner.email == "maya@work.example"
    assert work.imap is not None and work.imap.username == "m"
    assert work.schedule.slots_to_offer == 4  # inherited
    assert work.sending.mode == "drafts"  # its own
    assert s.for_account(None) is s
    assert [a.owner.email for a in s.all_accounts()] == ["maya@home.example", "maya@work.example"]
    with pytest.raises(SettingsError, match="no account named 'play'"):
        s.for_account("play")


def test_two_accounts_may_not_share_a_mailbox() -> None:
    twin = {"name": "twin", "owner": {"name": "M", "email": "MAYA@home.example"}}
    with pytest.raises(SettingsError, match="same owner email"):
        settings_from_mapping({**BASE, "accounts": [twin]})


def test_one_process_per_account(store_url: str) -> None:
    """Two daemons on one store: the second waits; when the first goes, it can take over."""
    first, second = Store(store_url), Store(store_url)
    try:
        with first.session() as s:
            account = first.account(s, "maya@home.example", "maya@home.example").id
        a, b = AccountLock(first, account), AccountLock(second, account)
        assert a.acquire()
        assert not b.acquire()
        other = AccountLock(second, account + 1)
        assert other.acquire()  # another account is free
        other.release()
        a.release()
        assert b.acquire()
        b.release()
    finally:
        first.close()
        second.close()


def test_memory_database_needs_no_lock(tmp_path: Path) -> None:
    store = Store("sqlite://")
    assert AccountLock(store, 1).acquire()
    store.close()
