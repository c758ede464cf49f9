"""CalDAV over HTTPS with a private CA, as against a self-hosted Nextcloud: with ``ca_file``
the adapter discovers, writes and reads busy time; without it (or with the wrong CA) the
certificate is refused with one clear line naming the server, never a traceback or the
password.

Radicale only: these test the adapter's TLS set-up and error messages, which do not depend on
the server software (the Xandikos runs of the other calendar tests are over HTTPS too).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from calhelp import OwnersClient, caldav_settings, vevent
from click.testing import CliRunner

from coffeechat.adapters.caldav import CaldavCalendar, CalendarError, check_caldav
from coffeechat.cli import main
from coffeechat.service.checks import run_checks
from coffeechat.settings import (
    DatabaseSettings,
    OwnerSettings,
    Settings,
    SettingsError,
    settings_from_mapping,
)
from servers.ports import make_certificate
from servers.radicale import DavUser, RadicaleServer

BERLIN = ZoneInfo("Europe/Berlin")
PASSWORD = "Xq9-tls-not-shown"
MAR_1, APR_1 = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)


def u(day: int, hour: int) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


@pytest.fixture
def https_user(radicale_https: RadicaleServer) -> DavUser:
    """A fresh user with a "Coffee" calendar on the HTTPS Radicale."""
    user = radicale_https.add_user(PASSWORD)
    user.make_calendar("Coffee")
    return user


@pytest.fixture
def cafile(radicale_https: RadicaleServer) -> Path:
    assert radicale_https.ca_file is not None
    return radicale_https.ca_file


@pytest.fixture
def coffee(https_user: DavUser, cafile: Path) -> Iterator[CaldavCalendar]:
    settings = caldav_settings(https_user, calendar="Coffee", ca_file=cafile)
    with CaldavCalendar(settings, owner_tz=BERLIN) as cal:
        yield cal


def assert_certificate_error(message: str, user: DavUser) -> None:
    assert user.url in message  # names the server
    assert "certificate" in message and "ca_file" in message  # and the fix
    assert "Traceback" not in message and PASSWORD not in message


# ---------------------------------------------------------------- trusted: works


def test_the_server_really_speaks_https(https_user: DavUser, cafile: Path) -> None:
    assert https_user.url.startswith("https://127.0.0.1:")
    line = check_caldav(caldav_settings(https_user, calendar="coffee", ca_file=cafile))
    assert "'Coffee'" in line and https_user.url in line and https_user.name in line


def test_with_ca_file_events_are_written_and_busy_time_read_back(
    coffee: CaldavCalendar, https_user: DavUser
) -> None:
    assert coffee.url.startswith("https://") and coffee.display_name == "Coffee"
    ics = vevent("tls-meeting@test", u(3, 9), u(3, 10)).encode()
    href, etag = coffee.put_event("tls-meeting@test", ics)
    assert href.startswith("https://") and etag
    stored = coffee.get("tls-meeting@test")
    assert stored is not None and stored.etag == etag and b"UID:tls-meeting@test" in stored.ics

    owner = OwnersClient(https_user, coffee.url)  # the owner's own app adds one too
    owner.add(vevent("lunch", u(6, 11), u(6, 12)))
    seen = {str(c.walk("VEVENT")[0]["UID"]) for c in owner.events()}
    owner.close()
    assert seen == {"tls-meeting@test", "lunch"}

    expected = [(u(3, 9), u(3, 10)), (u(6, 11), u(6, 12))]
    assert sorted((b.start, b.end) for b in coffee.busy(MAR_1, APR_1)) == expected

    changes = coffee.changes_since(coffee.sync_point(), {href: etag})
    assert not changes.changed and not changes.deleted


def test_check_passes_with_ca_file_from_the_settings_file(
    tmp_path: Path, https_user: DavUser, cafile: Path
) -> None:
    path = settings_file(tmp_path, https_user, f"ca_file = '{cafile}'\n")
    result = CliRunner().invoke(main, ["--config", str(path), "check"])
    lines = {line.split()[1]: line for line in result.stdout.splitlines() if line.strip()}
    assert lines["caldav"].startswith("ok") and "'Coffee'" in lines["caldav"], result.output
    assert result.exit_code == 0, result.output


# ---------------------------------------------------------------- untrusted: a clear error


def test_without_ca_file_the_self_signed_certificate_is_refused(https_user: DavUser) -> None:
    with pytest.raises(CalendarError) as err:
        check_caldav(
            caldav_settings(https_user, calendar="Coffee", ca_file=None, timeout_seconds=5)
        )
    assert_certificate_error(str(err.value), https_user)
    assert "not trusted" in str(err.value)
    assert not err.value.retryable  # waiting will not make the certificate trusted


def test_a_ca_file_of_another_ca_is_refused(tmp_path: Path, https_user: DavUser) -> None:
    other_ca, _ = make_certificate(tmp_path)
    settings = caldav_settings(https_user, ca_file=other_ca, timeout_seconds=5)
    with pytest.raises(CalendarError) as err:
        CaldavCalendar(settings, owner_tz=BERLIN)
    assert_certificate_error(str(err.value), https_user)


def test_check_reports_the_untrusted_certificate(tmp_path: Path, https_user: DavUser) -> None:
    settings = Settings(
        owner=OwnerSettings(name="Ada Lovelace", email="ada@example.org"),
        caldav=caldav_settings(https_user, calendar="Coffee", ca_file=None, timeout_seconds=5),
        database=DatabaseSettings(url=f"sqlite:///{tmp_path / 'cc.sqlite3'}"),
    )
    results = {r.component: r for r in run_checks(settings)}
    assert results["caldav"].ok is False
    assert_certificate_error(results["caldav"].detail, https_user)


def test_check_command_without_ca_file_fails_plainly(tmp_path: Path, https_user: DavUser) -> None:
    path = settings_file(tmp_path, https_user)
    result = CliRunner().invoke(main, ["--config", str(path), "check"])
    assert result.exit_code == 1, result.output
    lines = {line.split()[1]: line for line in result.stdout.splitlines() if line.strip()}
    assert lines["caldav"].startswith("FAIL")
    assert_certificate_error(lines["caldav"], https_user)
    assert PASSWORD not in result.output and "Traceback" not in result.output


# ---------------------------------------------------------------- the setting itself


def test_ca_file_must_exist_and_is_named_in_the_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.pem"
    data = {
        "owner": {"name": "Ada", "email": "ada@example.org"},
        "caldav": {"url": "https://dav.example.org/", "ca_file": str(missing)},
    }
    with pytest.raises(SettingsError) as err:
        settings_from_mapping(data, tmp_path / "coffeechat.toml")
    assert str(err.value) == (
        f"{tmp_path / 'coffeechat.toml'}: [caldav.ca_file] no such file: {missing}"
    )


def test_ca_file_expands_the_home_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    data = {
        "owner": {"name": "Ada", "email": "ada@example.org"},
        "caldav": {"url": "https://dav.example.org/", "ca_file": "~/ca.pem"},
    }
    settings = settings_from_mapping(data)
    assert settings.caldav is not None and settings.caldav.ca_file == tmp_path / "ca.pem"


def settings_file(tmp_path: Path, user: DavUser, extra: str = "") -> Path:
    path = tmp_path / "coffeechat.toml"
    path.write_text(
        "[owner]\nname = 'Maya Chen'\nemail = 'maya@example.test'\n"
        f"[database]\nurl = 'sqlite:///{tmp_path / 'cc.sqlite3'}'\n"
        f"[caldav]\nurl = '{user.url}'\nusername = '{user.name}'\n"
        f"password = '{user.password}'\ncalendar = 'Coffee'\ntimeout_seconds = 5\n{extra}"
    )
    path.chmod(0o600)
    return path
