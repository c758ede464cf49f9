"""SIGHUP: what a changed settings file means for a running daemon.

Every pass of the work loop reads the account's settings afresh, so most changes (schedule,
sending, templates, owner, SMTP, logging) apply by swapping the settings object; a changed
IMAP or CalDAV section also needs its connection rebuilt, which the daemon does between
passes. Two things cannot change under a running process: the database (every account
shares one store) and the set of accounts it serves (each holds a lock and its own tasks).
Those are reported and wait for a restart; everything else still applies.

This module only decides; ``daemon.Daemon.apply_settings`` acts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from coffeechat.settings import Settings

#: Sections a running account picks up without a restart.
LIVE_SECTIONS = ("owner", "imap", "smtp", "caldav", "schedule", "sending", "templates", "logging")


@dataclass(frozen=True)
class AccountChange:
    """One served account's fresh settings and which sections differ from what it runs."""

    owner: str
    settings: Settings
    sections: tuple[str, ...]


@dataclass(frozen=True)
class ReloadPlan:
    changes: tuple[AccountChange, ...] = ()
    needs_restart: tuple[str, ...] = field(default=())

    @property
    def unchanged(self) -> bool:
        return not self.changes and not self.needs_restart


def _key(settings: Settings) -> str:
    return settings.owner.email.lower()


def plan_reload(running: list[Settings], fresh: Settings, account: str | None) -> ReloadPlan:
    """Compare the settings each served account runs with a freshly read file.

    ``account`` is the --account the process was started with (None: every account in the
    file). Accounts are matched by owner address, since that is what the store keys them by:
    a changed owner email is one account leaving and another arriving.
    """
    served = fresh.for_account(account).all_accounts() if account else fresh.all_accounts()
    wanted = {_key(s): s for s in served}
    have = {_key(s): s for s in running}
    restart: list[str] = []
    if running and fresh.database != running[0].database:
        restart.append("database")
    added = sorted(set(wanted) - set(have))
    removed = sorted(set(have) - set(wanted))
    if added:
        restart.append("accounts added: " + ", ".join(added))
    if removed:
        restart.append("accounts removed: " + ", ".join(removed))
    changes = []
    for key, old in have.items():
        new = wanted.get(key)
        if new is None:
            continue
        sections = tuple(s for s in LIVE_SECTIONS if getattr(new, s) != getattr(old, s))
        if sections:
            changes.append(AccountChange(key, new, sections))
    return ReloadPlan(tuple(changes), tuple(restart))
