"""The SMTP adapter against the real aiosmtpd fixture (STARTTLS required, AUTH alice/secret)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from coffeechat.adapters.smtp import (
    SmtpAuthError,
    SmtpConnection,
    SmtpOutcomeUnknown,
    SmtpPermanent,
    SmtpQuota,
    SmtpTemporary,
    SmtpTlsError,
    check_smtp,
    classify,
)
from coffeechat.settings import Security, SmtpSettings
from servers.smtp import SmtpServer


@pytest.mark.parametrize(
    ("code", "text", "expected"),
    [
        (550, "5.4.5 Daily user sending quota exceeded", SmtpQuota),
        (452, "4.5.3 Too many recipients", SmtpQuota),
        (421, "4.7.0 Try again later, daily sending limit reached", SmtpQuota),
        (554, "5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException", SmtpQuota),
        (421, "4.7.0 Try again later, closing connection", SmtpTemporary),
        (451, "4.3.0 Mail server temporarily rejected message", SmtpTemporary),
        (450, "4.2.1 mailbox busy", SmtpTemporary),
        (535, "5.7.8 Username and Password not accepted", SmtpAuthError),
        (530, "5.7.0 Authentication required", SmtpAuthError),
        (550, "5.1.1 The email account that you tried to reach does not exist", SmtpPermanent),
        (554, "5.7.1 Message rejected as spam", SmtpPermanent),
    ],
)
def test_replies_are_classified(code: int, text: str, expected: type) -> None:
    assert classify(code, text) is expected


def _settings(server: SmtpServer, cert: Path | None, password: str = "secret") -> SmtpSettings:
    return SmtpSettings(
        host="127.0.0.1",
        port=server.port,
        security="starttls",  # type: ignore[arg-type]
        username="alice",
        password=password,  # type: ignore[arg-type]
        ca_file=cert,
        timeout_seconds=5,
    )


def test_check_smtp_says_what_works(
    smtp_server: SmtpServer, certificate: tuple[Path, Path]
) -> None:
    summary = check_smtp(_settings(smtp_server, certificate[0]))
    assert "STARTTLS" in summary and "login accepted" in summary


def test_bad_password_is_a_clear_auth_error_without_the_secret(
    smtp_server: SmtpServer, certificate: tuple[Path, Path]
) -> None:
    with pytest.raises(SmtpAuthError) as err:
        check_smtp(_settings(smtp_server, certificate[0], password="hunter2-wrong"))
    assert "login refused" in str(err.value) and "alice" in str(err.value)
    assert "hunter2" not in str(err.value)


def test_untrusted_certificate_is_a_tls_error(smtp_server: SmtpServer) -> None:
    with pytest.raises(SmtpTlsError, match="certificate"):
        check_smtp(_settings(smtp_server, None))


def test_nobody_listening_is_temporary(certificate: tuple[Path, Path]) -> None:
    from servers.ports import free_port

    s = SmtpSettings(
        host="127.0.0.1",
        port=free_port(),
        security="starttls",  # type: ignore[arg-type]
        username="alice",
        password="secret",  # type: ignore[arg-type]
        ca_file=certificate[0],
        timeout_seconds=3,
    )
    with pytest.raises(SmtpTemporary, match="cannot connect"):
        check_smtp(s)


def test_one_connection_carries_several_messages_and_survives_a_refusal(
    smtp_server: SmtpServer, certificate: tuple[Path, Path]
) -> None:
    raw = (
        b"From: a@example.org\r\nTo: b@example.com\r\nSubject: x\r\nMessage-ID: <m@x>\r\n\r\nhi\r\n"
    )

    async def go() -> None:
        async with SmtpConnection(_settings(smtp_server, certificate[0])) as conn:
            await conn.envelope("a@example.org", ["b@example.com"])
            await conn.data(raw)
            smtp_server.collector.responses.append("554 5.6.0 rejected")
            await conn.envelope("a@example.org", ["b@example.com"])
            with pytest.raises(SmtpPermanent):
                await conn.data(raw)
            await conn.envelope("a@example.org", ["b@example.com"])
            await conn.data(raw)
            assert conn.is_open

    asyncio.run(go())
    assert len(smtp_server.messages) == 2


def test_outcome_unknown_is_its_own_class() -> None:
    assert issubclass(SmtpOutcomeUnknown, Exception)
    assert not issubclass(SmtpOutcomeUnknown, SmtpTemporary)


def _send_one(settings: SmtpSettings) -> None:
    raw = (
        b"From: a@example.org\r\nTo: b@example.com\r\nSubject: x\r\nMessage-ID: <t@x>\r\n\r\nhi\r\n"
    )

    async def go() -> None:
        async with SmtpConnection(settings) as conn:
            await conn.envelope("a@example.org", ["b@example.com"])
            await conn.data(raw)

    asyncio.run(go())


@pytest.fixture
def implicit_tls_server(certificate: tuple[Path, Path]) -> Iterator[SmtpServer]:
    server = SmtpServer(*certificate, implicit_tls=True)
    server.start()
    yield server
    server.stop()


def test_implicit_tls_submission_sends(
    implicit_tls_server: SmtpServer, certificate: tuple[Path, Path]
) -> None:
    """Port 465 style (RFC 8314): TLS from the first byte, no STARTTLS."""
    settings = _settings(implicit_tls_server, certificate[0]).model_copy(
        update={"security": Security.TLS}
    )
    assert "implicit TLS" in check_smtp(settings)
    _send_one(settings)
    assert len(implicit_tls_server.messages) == 1


def test_starttls_settings_against_an_implicit_tls_port_fail_clearly(
    implicit_tls_server: SmtpServer, certificate: tuple[Path, Path]
) -> None:
    with pytest.raises((SmtpTlsError, SmtpTemporary)):
        check_smtp(_settings(implicit_tls_server, certificate[0]))


def _oauth_settings(server: SmtpServer, cert: Path, tmp_path: Path, token: str) -> SmtpSettings:
    helper = tmp_path / "token-helper"
    helper.write_text(f"#!/bin/sh\necho {token}\n")
    helper.chmod(0o700)
    return SmtpSettings(
        host="127.0.0.1",
        port=server.port,
        security="starttls",  # type: ignore[arg-type]
        username="alice@example.org",
        auth="xoauth2",  # type: ignore[arg-type]
        password_command=str(helper),
        ca_file=cert,
        timeout_seconds=5,
    )


def test_xoauth2_sends_the_token_the_helper_prints(
    smtp_server: SmtpServer, certificate: tuple[Path, Path], tmp_path: Path
) -> None:
    smtp_server.collector.oauth_tokens["alice@example.org"] = "ya29.fresh-token"
    settings = _oauth_settings(smtp_server, certificate[0], tmp_path, "ya29.fresh-token")
    assert "login accepted" in check_smtp(settings)
    _send_one(settings)
    assert len(smtp_server.messages) == 1


def test_an_expired_xoauth2_token_is_an_auth_error_without_the_token(
    smtp_server: SmtpServer, certificate: tuple[Path, Path], tmp_path: Path
) -> None:
    smtp_server.collector.oauth_tokens["alice@example.org"] = "ya29.fresh-token"
    settings = _oauth_settings(smtp_server, certificate[0], tmp_path, "ya29.expired-token")
    with pytest.raises(SmtpAuthError) as err:
        check_smtp(settings)
    assert "alice@example.org" in str(err.value)
    assert "expired-token" not in str(err.value)
