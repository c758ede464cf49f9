"""The command line against real servers: init, check, contacts, status."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from coffeechat.cli import main
from servers.dovecot import ImapUser
from servers.radicale import DavUser
from servers.smtp import SmtpServer


def settings_file(
    tmp_path: Path,
    *,
    imap_user: ImapUser | None = None,
    smtp: SmtpServer | None = None,
    dav: DavUser | None = None,
    calendar: str = "",
    cafile: Path | None = None,
    imap_password: str | None = None,
    db_url: str = "",
) -> Path:
    parts = [
        "[owner]\nname = 'Maya Chen'\nemail = 'maya@example.test'\ntimezone = 'Europe/Berlin'\n",
        f"[database]\nurl = '{db_url or 'sqlite:///' + str(tmp_path / 'cc.sqlite3')}'\n",
    ]
    if imap_user:
        parts.append(
            f"[imap]\nhost = '127.0.0.1'\nport = {imap_user.server.port}\nsecurity = 'none'\n"
            f"username = '{imap_user.name}'\npassword = '{imap_password or imap_user.password}'\n"
        )
    if smtp:
        parts.append(
            f"[smtp]\nhost = '127.0.0.1'\nport = {smtp.port}\nsecurity = 'starttls'\n"
            f"username = 'alice'\npassword = 'secret'\nca_file = '{cafile}'\n"
        )
    if dav:
        parts.append(
            f"[caldav]\nurl = '{dav.server.url}/'\nusername = '{dav.name}'\n"
            f"password = '{dav.password}'\ncalendar = '{calendar}'\n"
        )
    path = tmp_path / "coffeechat.toml"
    path.write_text("\n".join(parts))
    path.chmod(0o600)
    return path


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def run_stdout(*args: str) -> tuple[int, str]:
    """stdout only: the in-process test servers may log on stderr."""
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout


def test_help_and_version_from_the_installed_script() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "coffeechat", "--help"], capture_output=True, text=True, check=True
    )
    for command in ("init", "check", "contacts", "outreach", "run", "status", "explain", "digest"):
        assert command in out.stdout
    code, text = run("--version")
    assert code == 0 and "coffeechat" in text


def test_init_writes_the_example_and_refuses_to_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "conf" / "coffeechat.toml"
    code, text = run("--config", str(target), "init")
    assert code == 0, text
    assert "[owner]" in target.read_text()
    assert target.stat().st_mode & 0o077 == 0
    code, text = run("--config", str(target), "init")
    assert code == 2 and "--force" in text
    code, _ = run("--config", str(target), "init", "--force")
    assert code == 0


def test_missing_settings_file_says_how_to_make_one(tmp_path: Path) -> None:
    code, text = run("--config", str(tmp_path / "none.toml"), "status")
    assert code == 2
    assert "coffeechat init" in text


def test_check_against_real_servers(
    tmp_path: Path,
    imap_user: ImapUser,
    smtp_server: SmtpServer,
    dav_user: DavUser,
    certificate: tuple[Path, Path],
) -> None:
    dav_user.make_calendar("Coffee chats")
    path = settings_file(
        tmp_path,
        imap_user=imap_user,
        smtp=smtp_server,
        dav=dav_user,
        calendar="Coffee chats",
        cafile=certificate[0],
    )
    code, text = run_stdout("--config", str(path), "check", "--json")
    assert code == 0, text
    report = json.loads(text)
    assert all(v["ok"] for v in report.values()), report
    assert "INBOX" in report["imap"]["detail"]


def test_check_names_a_wrong_password_and_a_missing_calendar(
    tmp_path: Path,
    imap_user: ImapUser,
    dav_user: DavUser,
) -> None:
    dav_user.make_calendar("Personal")
    path = settings_file(
        tmp_path, imap_user=imap_user, dav=dav_user, calendar="Work", imap_password="Xq9-not-it"
    )
    code, text = run_stdout("--config", str(path), "check")
    assert code == 1
    lines = {line.split()[1]: line for line in text.splitlines() if line.strip()}
    assert lines["imap"].startswith("FAIL") and "login refused" in lines["imap"]
    assert lines["caldav"].startswith("FAIL") and "Work" in lines["caldav"]
    assert lines["smtp"].startswith("skip")
    assert "Xq9-not-it" not in text  # the password itself never shows


def test_check_reports_an_untrusted_tls_certificate(
    tmp_path: Path, smtp_server: SmtpServer
) -> None:
    path = settings_file(tmp_path, smtp=smtp_server, cafile=None)
    path.write_text(path.read_text().replace("ca_file = 'None'\n", ""))
    code, text = run("--config", str(path), "check")
    assert code == 1
    assert "certificate" in text.lower()


def test_contacts_add_import_list(tmp_path: Path) -> None:
    path = settings_file(tmp_path)
    code, text = run(
        "--config",
        str(path),
        "contacts",
        "add",
        "--email",
        "Ana@Example.org",
        "--name",
        "Ana Ruiz",
        "--company",
        "Acme",
        "--role",
        "Research lead",
        "--how-found",
        "her talk at UXConf",
    )
    assert code == 0 and "added" in text
    csv_file = tmp_path / "people.csv"
    csv_file.write_text(
        "Email,Name,Company,Title,Referred by\n"
        "ben@example.org,Ben Ode,Initech,Designer,ana@example.org\n"
        "not-an-address,Bad Row,X,Y,\n"
        "ana@example.org,Ana Ruiz,Acme,Research lead,\n"
        "cy@example.org,Cy,Hooli,PM,,extra\n"
    )
    code, text = run("--config", str(path), "contacts", "import", str(csv_file), "--json")
    assert code == 1  # some rows were rejected
    report = json.loads(text)
    assert report["added"] == 1 and report["unchanged"] == 1
    assert [e["line"] for e in report["errors"]] == [3, 5]
    code, text = run("--config", str(path), "contacts", "import", str(csv_file), "--json")
    assert json.loads(text)["added"] == 0  # idempotent on email
    code, text = run("--config", str(path), "contacts", "list", "--json")
    assert code == 0
    rows = {r["email"]: r for r in json.loads(text)}
    assert set(rows) == {"ana@example.org", "ben@example.org"}
    assert rows["ben@example.org"]["referred_by"] == "ana@example.org"
    assert rows["ana@example.org"]["how_found"] == "her talk at UXConf"


def test_status_json(tmp_path: Path) -> None:
    path = settings_file(tmp_path)
    run("--config", str(path), "contacts", "add", "--email", "a@example.org", "--name", "A")
    code, text = run("--config", str(path), "status", "--json", "--now", "2026-03-02T09:00:00Z")
    assert code == 0, text
    data = json.loads(text)
    assert data["contacts_by_status"] == {"new": 1}
    assert data["now"].startswith("2026-03-02T10:00:00+01:00")


@pytest.mark.postgres
def test_contacts_on_postgres(tmp_path: Path, pg_url: str) -> None:
    path = settings_file(tmp_path, db_url=pg_url)
    code, text = run(
        "--config", str(path), "contacts", "add", "--email", "z@example.org", "--name", "Z"
    )
    assert code == 0, text
    code, text = run("--config", str(path), "contacts", "list", "--json")
    assert [r["email"] for r in json.loads(text)] == ["z@example.org"]


REPLY = (
    b"From: Ana Ruiz <ana@example.org>\r\nTo: maya@example.test\r\nSubject: Re: coffee\r\n"
    b"Date: Tue, 03 Mar 2026 09:12:00 -0500\r\nMessage-ID: <r1@example.org>\r\n\r\n"
    b"Happy to chat! Thursday at 2pm works for me.\r\n"
)


def test_explain_json_without_any_settings(tmp_path: Path) -> None:
    eml = tmp_path / "reply.eml"
    eml.write_bytes(REPLY)
    result = CliRunner().invoke(
        main,
        ["--config", str(tmp_path / "none.toml"), "explain", "--json",
         "--tz", "America/New_York", str(eml)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {
        "intent", "confidence", "proposed", "later_until", "referral", "reply_text", "action",
    }  # fmt: skip
    assert data["intent"] == "accept"
    assert data["proposed"] == [{"start": "2026-03-05T14:00:00-05:00", "end": None}]
    assert data["action"] == "book_proposed_time"


def test_explain_reads_stdin_and_offered_slots(tmp_path: Path) -> None:
    reply = REPLY.replace(b"Thursday at 2pm works for me.", b"The second one works!")
    result = CliRunner().invoke(
        main,
        ["--config", str(tmp_path / "none.toml"), "explain", "--json", "--tz", "UTC",
         "--state", "slots_offered",
         "--offered", "2026-03-04T15:00:00+00:00,2026-03-05T19:00:00+00:00", "-"],
        input=reply,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["proposed"] == [{"start": "2026-03-05T19:00:00+00:00", "end": None}]
    assert data["action"] == "book_offered_slot"


def test_explain_bad_arguments_are_usage_errors(tmp_path: Path) -> None:
    eml = tmp_path / "reply.eml"
    eml.write_bytes(REPLY)
    for args in (["--tz", "Mars/Base"], ["--offered", "tuesday"], ["--now", "soon"]):
        result = CliRunner().invoke(
            main, ["--config", str(tmp_path / "none.toml"), "explain", *args, str(eml)]
        )
        assert result.exit_code == 2, (args, result.output)
