from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text

from coffeechat.store.db import Store, schema_tables
from coffeechat.store.models import Contact, SyncState


def test_migrations_create_every_table_and_are_idempotent(store_url: str) -> None:
    store = Store(store_url)
    tables = schema_tables(store.engine)
    assert {
        "accounts",
        "contacts",
        "threads",
        "messages",
        "meetings",
        "outbox",
        "sync_state",
        "calendar_state",
        "events",
        "component_health",
        "alembic_version",
    } <= tables
    store.close()
    Store(store_url).close()  # a second start migrates nothing and fails on nothing


def test_times_round_trip_as_aware_utc(store_url: str) -> None:
    store = Store(store_url)
    berlin = timezone(timedelta(hours=2))
    with store.session() as s:
        acct = store.account(s, "default", "me@example.org")
        s.add(
            Contact(
                account_id=acct.id,
                email="a@example.org",
                name="A",
                created_at=datetime(2026, 6, 1, 12, 0, tzinfo=berlin),
            )
        )
    with store.session() as s:
        c = s.scalars(select(Contact)).one()
        assert c.created_at == datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
        assert c.created_at.tzinfo is UTC
    store.close()


def test_naive_datetimes_are_refused(sqlite_url: str) -> None:
    store = Store(sqlite_url)
    with pytest.raises(Exception, match="naive datetime"), store.session() as s:
        acct = store.account(s, "default", "me@example.org")
        s.add(
            Contact(
                account_id=acct.id, email="b@example.org", created_at=datetime(2026, 6, 1, 12, 0)
            )
        )
        s.flush()
    store.close()


def test_models_and_migrations_agree(store_url: str) -> None:
    """Autogenerate finds nothing to do: the migrations build exactly the models' schema."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from coffeechat.store.models import Base

    store = Store(store_url)
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    store.close()
    assert diff == []


def test_imap_numbers_are_stored_as_the_server_gives_them(store_url: str) -> None:
    """UIDs up to 2**32-1 and 63-bit mod-sequences (RFC 3501, RFC 7162) fit unchanged."""
    store = Store(store_url)
    with store.session() as s:
        acct = store.account(s, "default", "me@example.org")
        s.add(
            SyncState(
                account_id=acct.id,
                folder="INBOX",
                uidvalidity=2**32 - 1,
                last_uid=2**32 - 2,
                highest_modseq=2**63 - 1,
            )
        )
    with store.session() as s:
        row = s.scalars(select(SyncState)).one()
        assert (row.uidvalidity, row.last_uid, row.highest_modseq) == (
            2**32 - 1,
            2**32 - 2,
            2**63 - 1,
        )
    store.close()


def test_upgrade_unwraps_uids_stored_by_older_versions(store_url: str) -> None:
    """Revision 0005 stored UIDs wrapped into signed 32 bits; 0006 gives back the real ones."""
    from alembic import command

    from coffeechat.store.db import alembic_config, create_store_engine, normalise_url

    engine = create_store_engine(normalise_url(store_url))
    command.upgrade(alembic_config(engine), "0005")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO accounts (name, owner_email, created_at)"
                " VALUES ('a', 'me@x.org', '2026-01-01 00:00:00')"
            )
        )
        account = conn.execute(text("SELECT id FROM accounts")).scalar_one()
        conn.execute(
            text(
                "INSERT INTO sync_state (account_id, folder, uidvalidity, last_uid)"
                " VALUES (:a, 'INBOX', :v, :u)"
            ),
            {"a": account, "v": 3_000_000_000 - 2**32, "u": 7},
        )
    engine.dispose()
    store = Store(store_url)  # migrates to head
    with store.session() as s:
        row = s.scalars(select(SyncState)).one()
        assert (row.uidvalidity, row.last_uid) == (3_000_000_000, 7)
    store.close()
