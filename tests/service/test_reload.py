"""SIGHUP's decision: which served accounts change which sections, and what needs a restart."""

from __future__ import annotations

from pathlib import Path

import pytest

from coffeechat.service.reload import plan_reload
from coffeechat.settings import Settings, settings_from_mapping

BASE = {
    "owner": {"name": "Maya Chen", "email": "maya@example.org", "timezone": "America/New_York"},
    "database": {"url": "sqlite:////tmp/one.sqlite3"},
    "schedule": {"digest_at": "08:00"},
    "accounts": [{"name": "work", "owner": {"name": "Maya Chen", "email": "maya@work.example"}}],
}


def settings(**changes: object) -> Settings:
    data = {**BASE, **changes}
    return settings_from_mapping(data, Path("/etc/coffeechat.toml"))


def test_an_identical_file_changes_nothing() -> None:
    running = settings().all_accounts()
    assert plan_reload(running, settings(), None).unchanged


def test_a_shared_section_changes_every_account() -> None:
    running = settings().all_accounts()
    plan = plan_reload(running, settings(schedule={"digest_at": "07:30"}), None)
    assert [(c.owner, c.sections) for c in plan.changes] == [
        ("maya@example.org", ("schedule",)),
        ("maya@work.example", ("schedule",)),
    ]
    assert plan.changes[0].settings.schedule.digest_at == "07:30"
    assert plan.needs_restart == ()


def test_one_accounts_own_section_changes_only_it() -> None:
    running = settings().all_accounts()
    work = {"name": "work", "owner": {"name": "Maya C.", "email": "maya@work.example"}}
    plan = plan_reload(running, settings(accounts=[work]), None)
    assert [(c.owner, c.sections) for c in plan.changes] == [("maya@work.example", ("owner",))]


def test_the_database_and_the_set_of_accounts_wait_for_a_restart() -> None:
    running = settings().all_accounts()
    other = {"name": "side", "owner": {"name": "Maya", "email": "maya@side.example"}}
    plan = plan_reload(
        running,
        settings(database={"url": "sqlite:////tmp/two.sqlite3"}, accounts=[other]),
        None,
    )
    assert plan.needs_restart == (
        "database",
        "accounts added: maya@side.example",
        "accounts removed: maya@work.example",
    )
    assert plan.changes == ()


@pytest.mark.parametrize("changed", [True, False])
def test_a_process_serving_one_account_sees_only_that_one(changed: bool) -> None:
    running = [settings().for_account("work")]
    extra = {"name": "side", "owner": {"name": "Maya", "email": "maya@side.example"}}
    work = {"name": "work", "owner": {"name": "Maya C." if changed else "Maya Chen",
                                      "email": "maya@work.example"}}  # fmt: skip
    plan = plan_reload(running, settings(accounts=[work, extra]), "work")
    assert plan.needs_restart == ()  # another account in the file is not this process's
    assert [c.sections for c in plan.changes] == ([("owner",)] if changed else [])
