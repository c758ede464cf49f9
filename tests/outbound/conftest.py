"""Outbound fixtures: settings pointing at the test servers, a store, and a few builders."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from coffeechat.domain.states import ContactStatus, ThreadState
from coffeechat.settings import Settings, settings_from_mapping
from coffeechat.store.db import Store
from coffeechat.store.models import Contact, Thread
from servers.dovecot import ImapUser
from servers.smtp import SmtpServer

OWNER = "alex@example.org"
NY = "America/New_York"


def make_settings(
    smtp_srv: SmtpServer | None,
    imap_usr: ImapUser | None,
    cert: Path | None,
    **sections: dict[str, Any],
) -> Settings:
    smtp, imap = smtp_srv, imap_usr
    data: dict[str, Any] = {
        "owner": {"name": "Alex Example", "email": OWNER, "timezone": NY, "signature": "Alex"},
        "schedule": {"holidays_country": "US", "working_hours": "09:00-17:00"},
    }
    if smtp is not None:
        data["smtp"] = {
            "host": "127.0.0.1",
            "port": smtp.port,
            "security": "starttls",
            "username": smtp.username,
            "password": smtp.password,
            "ca_file": str(cert),
            "timeout_seconds": 10,
        }
    if imap is not None:
        data["imap"] = {
            "host": "127.0.0.1",
            "port": imap.server.port,
            "security": "starttls",
            "username": imap.name,
            "password": imap.password,
            "ca_file": str(cert),
            "timeout_seconds": 10,
        }
    for name, values in sections.items():
        data[name] = {**data.get(name, {}), **values}
    return settings_from_mapping(data)


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    s = Store(store_url)
    yield s
    s.close()


@pytest.fixture
def settings(
    smtp_server: SmtpServer, imap_user: ImapUser, certificate: tuple[Path, Path]
) -> Settings:
    return make_settings(smtp_server, imap_user, certificate[0])


def account_of(store: Store) -> int:
    with store.session() as s:
        return store.account(s, OWNER, OWNER).id


def add_contact(
    store: Store,
    email: str = "dana@example.com",
    *,
    name: str = "Dana Sample",
    company: str = "Example Corp",
    role: str = "Data Engineer",
    how_found: str = "your talk at PyCon",
    timezone: str | None = None,
    status: str = ContactStatus.NEW,
) -> int:
    with store.session() as s:
        account = store.account(s, OWNER, OWNER)
        c = Contact(
            account_id=account.id,
            email=email,
            name=name,
            company=company,
            role=role,
            how_found=how_found,
            timezone=timezone,
            status=status,
        )
        s.add(c)
        s.flush()
        return c.id


def thread_of(store: Store, contact_id: int) -> Thread:
    with store.session() as s:
        t = s.query(Thread).filter(Thread.contact_id == contact_id).one()
        s.expunge(t)
        return t


def set_thread(store: Store, thread_id: int, **values: Any) -> None:
    with store.session() as s:
        t = s.get(Thread, thread_id)
        assert t is not None
        for k, v in values.items():
            setattr(t, k, v)


def at(*args: int, tz: str = NY) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime(*args, tzinfo=ZoneInfo(tz)).astimezone(UTC)  # type: ignore[misc]


__all__ = ["ThreadState"]
