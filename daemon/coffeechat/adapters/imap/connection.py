"""Open an authenticated IMAP connection from settings, with errors a person can act on.

Used by the watcher, by the sender (to file copies in Sent and Drafts) and by
``coffeechat check``. imapclient is blocking; callers in the service run it in a worker thread.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from coffeechat.secrets import SecretError, resolve_secret
from coffeechat.settings import Auth, ImapSettings, Security
from coffeechat.tlsconfig import client_context, describe_tls_error

SENT_FALLBACKS = ("Sent", "Sent Items", "Sent Messages", "INBOX.Sent", "[Gmail]/Sent Mail")
DRAFTS_FALLBACKS = ("Drafts", "INBOX.Drafts", "[Gmail]/Drafts")


class ImapError(Exception):
    """Base for IMAP adapter failures."""

    retryable = True


class ImapAuthError(ImapError):
    """Login refused: retrying with the same secret will not help."""

    retryable = False


class ImapUnavailable(ImapError):
    """Network, TLS or server trouble: retry with backoff."""


class ImapTlsError(ImapError):
    retryable = False


def connect(settings: ImapSettings) -> IMAPClient:
    """Connect, secure and log in; the caller owns the client (use ``session`` when you can)."""
    where = f"{settings.host}:{settings.effective_port}"
    ctx = client_context(settings.ca_file)
    try:
        client = IMAPClient(
            settings.host,
            port=settings.effective_port,
            ssl=settings.security is Security.TLS,
            ssl_context=ctx,
            timeout=settings.timeout_seconds,
        )
    except ssl.SSLError as exc:
        raise ImapTlsError(f"IMAP {where}: {describe_tls_error(exc)}") from None
    except (OSError, IMAPClientError) as exc:
        raise ImapUnavailable(f"IMAP {where}: cannot connect: {_reason(exc)}") from None
    try:
        if settings.security is Security.STARTTLS:
            try:
                client.starttls(ctx)
            except ssl.SSLError as exc:
                raise ImapTlsError(f"IMAP {where}: {describe_tls_error(exc)}") from None
            except IMAPClientError as exc:
                raise ImapTlsError(f"IMAP {where}: STARTTLS refused: {_reason(exc)}") from None
        _login(client, settings, where)
    except BaseException:
        _close(client)
        raise
    return client


def _login(client: IMAPClient, settings: ImapSettings, where: str) -> None:
    try:
        secret = resolve_secret(settings, "imap")
    except SecretError as exc:
        raise ImapAuthError(str(exc)) from None
    try:
        if settings.auth is Auth.XOAUTH2:
            client.oauth2_login(settings.username, secret)
        else:
            client.login(settings.username, secret)
    except LoginError as exc:
        raise ImapAuthError(
            f"IMAP {where}: login refused for user {settings.username!r} "
            f"(wrong username or password?): {_reason(exc)}"
        ) from None
    except (OSError, IMAPClientError) as exc:
        raise ImapUnavailable(f"IMAP {where}: login failed: {_reason(exc)}") from None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, socket.timeout | TimeoutError):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (is the host and port right?)"
    if isinstance(exc, socket.gaierror):
        return f"host name not found ({exc.strerror})"
    text = exc.args[0] if exc.args else exc
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return str(text)


def _close(client: IMAPClient) -> None:
    with suppress(Exception):
        client.logout()
    with suppress(Exception):
        client.shutdown()


@contextmanager
def session(settings: ImapSettings) -> Iterator[IMAPClient]:
    """A logged-in client that is logged out (or its socket shut) however the block ends."""
    client = connect(settings)
    try:
        yield client
    finally:
        _close(client)


def special_folder(
    client: IMAPClient, flag: bytes, configured: str | None, fallbacks: tuple[str, ...]
) -> str | None:
    """The folder for ``flag`` (b"\\\\Sent"): configured, else SPECIAL-USE, else a usual name."""
    if configured:
        return configured
    folders = client.list_folders()
    for flags, _delim, name in folders:
        if flag in flags:
            return str(name)
    names = {str(name).lower(): str(name) for _f, _d, name in folders}
    for candidate in fallbacks:
        if candidate.lower() in names:
            return names[candidate.lower()]
    return None


def sent_folder(client: IMAPClient, settings: ImapSettings) -> str | None:
    return special_folder(client, b"\\Sent", settings.sent_folder, SENT_FALLBACKS)


def drafts_folder(client: IMAPClient, settings: ImapSettings) -> str | None:
    return special_folder(client, b"\\Drafts", settings.drafts_folder, DRAFTS_FALLBACKS)


def check_imap(settings: ImapSettings) -> str:
    """Connect, log in, open the watched folder; a one-line summary or an ImapError."""
    with session(settings) as client:
        try:
            info = client.select_folder(settings.folder, readonly=True)
        except IMAPClientError as exc:
            raise ImapError(
                f"IMAP: cannot open folder {settings.folder!r}: {_reason(exc)}"
            ) from None
        caps = client.capabilities()
        sent = sent_folder(client, settings)
        drafts = drafts_folder(client, settings)
        idle = "IDLE" if b"IDLE" in caps else "no IDLE (polling)"
        count = info.get(b"EXISTS", 0)
        return (
            f"{settings.username}@{settings.host}: {settings.folder} has {count} messages, "
            f"{idle}, Sent={sent or 'not found'}, Drafts={drafts or 'not found'}"
        )
