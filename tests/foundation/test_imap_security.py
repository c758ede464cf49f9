"""IMAP over STARTTLS and implicit TLS against the real Dovecot, with certificate checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from coffeechat.adapters.imap.connection import ImapTlsError, check_imap
from coffeechat.settings import ImapSettings
from servers.dovecot import ImapUser


def settings(user: ImapUser, **extra: object) -> ImapSettings:
    return ImapSettings(
        host="127.0.0.1", username=user.name, password=user.password, timeout_seconds=10,
        **extra,  # type: ignore[arg-type]
    )  # fmt: skip


def test_starttls_with_the_servers_ca(imap_user: ImapUser, certificate: tuple[Path, Path]) -> None:
    s = settings(imap_user, port=imap_user.server.port, security="starttls", ca_file=certificate[0])
    assert "INBOX" in check_imap(s)


def test_implicit_tls_with_the_servers_ca(
    imap_user: ImapUser, certificate: tuple[Path, Path]
) -> None:
    s = settings(imap_user, port=imap_user.server.tls_port, security="tls", ca_file=certificate[0])
    assert "INBOX" in check_imap(s)


def test_an_untrusted_certificate_is_refused_with_the_fix_named(imap_user: ImapUser) -> None:
    s = settings(imap_user, port=imap_user.server.tls_port, security="tls")
    with pytest.raises(ImapTlsError, match="ca_file"):
        check_imap(s)


def test_tls_to_a_plain_port_says_so(imap_user: ImapUser, certificate: tuple[Path, Path]) -> None:
    s = settings(imap_user, port=imap_user.server.port, security="tls", ca_file=certificate[0])
    with pytest.raises(ImapTlsError, match="did not answer with TLS"):
        check_imap(s)
