"""Settings: every mistake gives one clear line naming the file and the key."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from coffeechat.cli import main
from coffeechat.secrets import SecretError, resolve_secret
from coffeechat.settings import (
    Credentials,
    SettingsError,
    load_settings,
    parse_day_spec,
    resolve_config_path,
)

GOOD = """
[owner]
name = "Maya Chen"
email = "maya@example.com"
timezone = "America/New_York"

[imap]
host = "127.0.0.1"
security = "none"
username = "maya"
password = "pw"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "coffeechat.toml"
    path.write_text(text)
    return path


def test_good_file_loads_with_defaults(tmp_path: Path) -> None:
    s = load_settings(write(tmp_path, GOOD))
    assert s.owner.timezone == "America/New_York"
    assert s.imap is not None and s.imap.effective_port == 143
    assert s.schedule.followup_after_business_days == 7
    assert s.schedule.working_days == ["mon", "tue", "wed", "thu", "fri"]
    assert s.sending.mode == "send"
    assert s.source == tmp_path / "coffeechat.toml"


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COFFEECHAT_IMAP__PASSWORD", "from-env")
    monkeypatch.setenv("COFFEECHAT_SCHEDULE__SLOTS_TO_OFFER", "5")
    s = load_settings(write(tmp_path, GOOD))
    assert s.imap is not None and s.imap.password is not None
    assert s.imap.password.get_secret_value() == "from-env"
    assert s.schedule.slots_to_offer == 5


def test_secrets_never_print(tmp_path: Path) -> None:
    s = load_settings(write(tmp_path, GOOD))
    assert "pw" not in repr(s.imap)
    assert "pw" not in s.model_dump_json()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[owner]\nname = 'A'\n", "[owner.email] required key is missing"),
        (GOOD + "\n[schedule]\nslots_to_offer = 'many'\n", "[schedule.slots_to_offer]"),
        (GOOD + "\n[bogus]\nx = 1\n", "[bogus] unknown key"),
        (GOOD.replace('host = "127.0.0.1"', 'host = "mail.example.com"'), "clear text"),
        (GOOD.replace("America/New_York", "Mars/Olympus"), "not an IANA time zone"),
        (GOOD + "\n[schedule]\nworking_hours = '17:00-09:00'\n", "end must come after"),
        ("[owner\n", "not valid TOML"),
    ],
)
def test_each_mistake_is_one_clear_line_and_exit_2(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(SettingsError) as err:
        load_settings(path)
    assert expected in str(err.value)
    assert str(path) in str(err.value)
    result = CliRunner().invoke(main, ["--config", str(path), "status"])
    assert result.exit_code == 2
    assert expected in result.output
    assert "Traceback" not in result.output


def test_unreadable_or_shared_password_file(tmp_path: Path) -> None:
    secret = tmp_path / "imap.pw"
    secret.write_text("s3cret\n")
    secret.chmod(0o644)
    text = GOOD.replace('password = "pw"', f'password_file = "{secret}"')
    with pytest.raises(SettingsError, match=r"\[imap.password_file\].*can be read by others"):
        load_settings(write(tmp_path, text))
    secret.chmod(0o600)
    s = load_settings(write(tmp_path, text))
    assert s.imap is not None
    assert resolve_secret(s.imap, "imap") == "s3cret"
    missing = GOOD.replace('password = "pw"', f'password_file = "{tmp_path / "nope"}"')
    with pytest.raises(SettingsError, match=r"\[imap.password_file\] cannot read"):
        load_settings(write(tmp_path, missing))


def test_two_password_sources_are_refused(tmp_path: Path) -> None:
    text = GOOD.replace('password = "pw"', 'password = "pw"\npassword_command = "echo x"')
    with pytest.raises(SettingsError, match="give only one of password, password_command"):
        load_settings(write(tmp_path, text))


def test_password_command_and_its_failures() -> None:
    assert resolve_secret(Credentials(password_command="printf 'tok\\nignored'"), "smtp") == "tok"
    with pytest.raises(SecretError, match=r"\[smtp\] password_command exited with 3"):
        resolve_secret(Credentials(password_command="sh -c 'exit 3'"), "smtp")
    with pytest.raises(SecretError, match="not found"):
        resolve_secret(Credentials(password_command="/no/such/helper"), "smtp")


def test_xoauth2_needs_a_token_command(tmp_path: Path) -> None:
    text = GOOD.replace('username = "maya"', 'username = "maya"\nauth = "xoauth2"')
    with pytest.raises(SettingsError, match="xoauth2 needs password_command"):
        load_settings(write(tmp_path, text))


def test_config_path_resolution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_config_path(tmp_path / "x.toml") == tmp_path / "x.toml"
    monkeypatch.setenv("COFFEECHAT_CONFIG", str(tmp_path / "env.toml"))
    assert resolve_config_path(None) == tmp_path / "env.toml"
    monkeypatch.delenv("COFFEECHAT_CONFIG")
    expected = Path(os.environ["XDG_CONFIG_HOME"]) / "coffeechat" / "coffeechat.toml"
    assert resolve_config_path(None) == expected


def test_day_specs() -> None:
    assert parse_day_spec("Mon-Fri") == ["mon", "tue", "wed", "thu", "fri"]
    assert parse_day_spec("Fri-Mon") == ["fri", "sat", "sun", "mon"]
    assert parse_day_spec("mon, wed,fri") == ["mon", "wed", "fri"]
