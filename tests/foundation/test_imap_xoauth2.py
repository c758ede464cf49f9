"""IMAP XOAUTH2 (Gmail, Microsoft 365) against a real Dovecot whose oauth2 passdb checks each
token at an introspection endpoint, with the token printed by the owner's password_command."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from coffeechat.adapters.imap.connection import ImapAuthError, check_imap
from coffeechat.settings import ImapSettings
from servers.dovecot import DovecotServer, ImapUser, dovecot_available
from servers.oauth import IntrospectionServer


@pytest.fixture(scope="module")
def introspection() -> Iterator[IntrospectionServer]:
    server = IntrospectionServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def oauth_dovecot(
    certificate: tuple[Path, Path], introspection: IntrospectionServer
) -> Iterator[DovecotServer]:
    reason = dovecot_available()
    if reason:
        pytest.skip(reason)
    server = DovecotServer.create(*certificate, oauth_introspection_url=introspection.url)
    server.start()
    yield server
    server.cleanup()


def _settings(user: ImapUser, cert: Path, tmp_path: Path, token: str) -> ImapSettings:
    helper = tmp_path / "token-helper"
    helper.write_text(f"#!/bin/sh\necho {token}\n")
    helper.chmod(0o700)
    return ImapSettings(
        host="127.0.0.1",
        port=user.server.port,
        security="starttls",  # type: ignore[arg-type]
        username=user.name,
        auth="xoauth2",  # type: ignore[arg-type]
        password_command=str(helper),
        ca_file=cert,
        timeout_seconds=10,
    )


def test_xoauth2_logs_in_with_the_token_the_helper_prints(
    oauth_dovecot: DovecotServer,
    introspection: IntrospectionServer,
    certificate: tuple[Path, Path],
    tmp_path: Path,
) -> None:
    user = oauth_dovecot.add_user()
    user.deliver(b"From: a@example.org\r\nSubject: hello\r\nMessage-ID: <x1@t>\r\n\r\nhi\r\n")
    introspection.tokens["ya29.valid-for-user"] = user.name
    summary = check_imap(_settings(user, certificate[0], tmp_path, "ya29.valid-for-user"))
    assert "INBOX has 1 messages" in summary
    assert "ya29.valid-for-user" in introspection.asked  # the server checked that token


def test_an_expired_token_is_an_auth_error_that_does_not_show_the_token(
    oauth_dovecot: DovecotServer,
    introspection: IntrospectionServer,
    certificate: tuple[Path, Path],
    tmp_path: Path,
) -> None:
    user = oauth_dovecot.add_user()
    with pytest.raises(ImapAuthError) as err:
        check_imap(_settings(user, certificate[0], tmp_path, "ya29.expired-long-ago"))
    assert user.name in str(err.value)
    assert "expired-long-ago" not in str(err.value)


def test_a_token_issued_to_someone_else_is_refused(
    oauth_dovecot: DovecotServer,
    introspection: IntrospectionServer,
    certificate: tuple[Path, Path],
    tmp_path: Path,
) -> None:
    user, other = oauth_dovecot.add_user(), oauth_dovecot.add_user()
    introspection.tokens["ya29.for-the-other-one"] = other.name
    with pytest.raises(ImapAuthError):
        check_imap(_settings(user, certificate[0], tmp_path, "ya29.for-the-other-one"))
