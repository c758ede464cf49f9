"""Submit mail over SMTP (aiosmtplib), with failures sorted by what the sender should do.

* ``SmtpTemporary``: 4xx answers, timeouts and dropped connections before the message was
  handed over: retry later, same Message-ID.
* ``SmtpPermanent``: 5xx answers: the row fails and the digest says why.
* ``SmtpQuota``: the provider's sending limit, recognised by enhanced status 5.4.5 (Gmail's
  "Daily user sending quota exceeded"), 4.5.3 / 5.5.3 (too many recipients / messages), or a
  421/450/451/452/454/550/554 answer whose text speaks of a quota, a daily or sending limit,
  or too many messages (Microsoft 365 "SubmissionQuotaExceeded", Gmail's 421 4.7.0 rate limit
  when it says so). Sending pauses until the next day.
* ``SmtpAuthError``: login refused (or STARTTLS/TLS trouble, ``SmtpTlsError``): sending pauses
  and the owner is told why; retrying with the same secret will not help.
* ``SmtpOutcomeUnknown``: the connection broke after the message body began: the server may
  have accepted it. The sender never resends such a row by itself.

The message is sent in two steps, ``envelope`` (MAIL FROM, RCPT TO) then ``data``, so the
sender can commit "sending" between them, just before DATA. aiosmtplib's debug logger would
show the AUTH exchange; it is kept at INFO here, and nothing in this module logs a secret.
"""

from __future__ import annotations

import asyncio
import logging
import re
import socket
import ssl
from collections.abc import Sequence
from types import TracebackType

import aiosmtplib
import structlog

from coffeechat.secrets import SecretError, resolve_secret
from coffeechat.settings import Auth, Security, SmtpSettings
from coffeechat.tlsconfig import client_context, describe_tls_error

log = structlog.get_logger(__name__)
logging.getLogger("aiosmtplib").setLevel(logging.INFO)  # its DEBUG output includes AUTH

_ENHANCED = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_QUOTA_WORDS = re.compile(
    r"quota|daily|sending limit|rate limit|limit exceeded|exceeded the|too many messages"
    r"|submissionquota|message limit",
    re.IGNORECASE,
)
_QUOTA_CODES = frozenset({421, 450, 451, 452, 454, 550, 554})
_QUOTA_ENHANCED = frozenset({"5.4.5", "4.5.3", "5.5.3", "4.4.5"})


class SmtpError(Exception):
    """Base of SMTP failures; ``code`` is the server's reply code when there was one."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class SmtpTemporary(SmtpError):
    pass


class SmtpPermanent(SmtpError):
    pass


class SmtpQuota(SmtpError):
    pass


class SmtpAuthError(SmtpError):
    pass


class SmtpTlsError(SmtpAuthError):
    """TLS cannot be set up: a settings problem, like a wrong password."""


class SmtpOutcomeUnknown(SmtpError):
    """The link broke after DATA began; the message may or may not have been accepted."""


def classify(code: int, text: str) -> type[SmtpError]:
    """Which failure an SMTP reply is (see the module docstring for the quota rules)."""
    enhanced = _ENHANCED.search(text)
    status = ".".join(enhanced.groups()) if enhanced else ""
    if status in _QUOTA_ENHANCED or (code in _QUOTA_CODES and _QUOTA_WORDS.search(text)):
        return SmtpQuota
    if code in (530, 534, 535, 538) or status.startswith("5.7.8"):
        return SmtpAuthError
    if 400 <= code < 500:
        return SmtpTemporary
    return SmtpPermanent


def _reply_error(exc: aiosmtplib.SMTPResponseException, where: str) -> SmtpError:
    text = f"{exc.code} {exc.message}".strip()
    cls = classify(exc.code, exc.message)
    return cls(f"SMTP {where}: {text}", exc.code)


def _tls_cause(exc: BaseException) -> ssl.SSLError | None:
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return None
        if isinstance(seen, ssl.SSLError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


class SmtpConnection:
    """One authenticated connection, reused for a batch of messages."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self.where = f"{settings.host}:{settings.effective_port}"
        self._client: aiosmtplib.SMTP | None = None

    async def __aenter__(self) -> SmtpConnection:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def is_open(self) -> bool:
        return self._client is not None and self._client.is_connected

    async def open(self) -> None:
        s = self.settings
        client = aiosmtplib.SMTP(
            hostname=s.host,
            port=s.effective_port,
            use_tls=s.security is Security.TLS,
            start_tls=s.security is Security.STARTTLS,
            tls_context=client_context(s.ca_file) if s.security is not Security.NONE else None,
            timeout=s.timeout_seconds,
            local_hostname=socket.gethostname() or "localhost",
        )
        try:
            await _connect(client)
        except aiosmtplib.SMTPResponseException as exc:
            raise _reply_error(exc, f"{self.where} refused the connection") from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            tls = _tls_cause(exc)
            if tls is not None:
                raise SmtpTlsError(f"SMTP {self.where}: {describe_tls_error(tls)}") from None
            raise SmtpTemporary(f"SMTP {self.where}: cannot connect: {_reason(exc)}") from None
        try:
            await self._login(client)
        except BaseException:
            await _close_quietly(client)
            raise
        self._client = client
        log.debug("smtp.connected", server=self.where)

    async def _login(self, client: aiosmtplib.SMTP) -> None:
        s = self.settings
        if not s.username and not s.has_secret:
            return  # an unauthenticated relay (loopback test servers)
        try:
            secret = resolve_secret(s, "smtp")
        except SecretError as exc:
            raise SmtpAuthError(str(exc)) from None
        try:
            if s.auth is Auth.XOAUTH2:
                await client.auth_xoauth2(s.username, secret)
            else:
                await client.login(s.username, secret)
        except aiosmtplib.SMTPAuthenticationError as exc:
            raise SmtpAuthError(
                f"SMTP {self.where}: login refused for user {s.username!r} "
                f"(wrong username or password?): {exc.code} {exc.message}",
                exc.code,
            ) from None
        except aiosmtplib.SMTPNotSupported as exc:
            raise SmtpAuthError(
                f"SMTP {self.where}: the server offers no usable login ({exc}); "
                "check security (starttls / tls) and auth"
            ) from None
        except aiosmtplib.SMTPResponseException as exc:
            raise _reply_error(exc, f"{self.where} login") from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise SmtpTemporary(f"SMTP {self.where}: login failed: {_reason(exc)}") from None

    def _need(self) -> aiosmtplib.SMTP:
        if self._client is None or not self._client.is_connected:
            raise SmtpTemporary(f"SMTP {self.where}: not connected")
        return self._client

    async def envelope(self, sender: str, recipients: Sequence[str]) -> None:
        """MAIL FROM and RCPT TO. Nothing is delivered if this fails."""
        client = self._need()
        try:
            await client.mail(sender)
            for rcpt in recipients:
                await client.rcpt(rcpt)
        except aiosmtplib.SMTPResponseException as exc:
            await self.reset()
            raise _reply_error(exc, f"{self.where} refused the envelope") from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            await self.close()
            raise SmtpTemporary(f"SMTP {self.where}: {_reason(exc)}") from None

    async def data(self, raw: bytes) -> str:
        """DATA; returns the server's acceptance text. A broken link here is
        ``SmtpOutcomeUnknown``; an explicit 4xx/5xx answer means not accepted."""
        client = self._need()
        try:
            response = await client.data(raw)
        except aiosmtplib.SMTPResponseException as exc:
            await self.reset()
            raise _reply_error(exc, f"{self.where} refused the message") from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            await self.close()
            raise SmtpOutcomeUnknown(
                f"SMTP {self.where}: the connection broke while sending: {_reason(exc)}"
            ) from None
        return f"{response.code} {response.message}"

    async def reset(self) -> None:
        """RSET after a refused transaction, so the connection can carry the next one."""
        if self._client is None:
            return
        try:
            await self._client.rset()
        except (aiosmtplib.SMTPException, OSError):
            await self.close()

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await _close_quietly(client)


async def _connect(client: aiosmtplib.SMTP) -> None:
    try:
        await client.connect()
    except BaseException:
        client.close()  # no half-open transport left for the garbage collector
        raise


async def _close_quietly(client: aiosmtplib.SMTP) -> None:
    try:
        if client.is_connected:
            await client.quit()
    except (aiosmtplib.SMTPException, OSError):
        client.close()
    # A TLS transport closes its socket after the TLS shutdown, a few loop turns later; give
    # it those turns so a loop ending right after us does not leave the socket to the GC.
    for _ in range(5):
        await asyncio.sleep(0.002)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError | aiosmtplib.SMTPTimeoutError):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (is the host and port right?)"
    if isinstance(exc, socket.gaierror):
        return f"host name not found ({exc.strerror})"
    return str(exc) or type(exc).__name__


async def check_smtp_async(settings: SmtpSettings) -> str:
    """Connect, secure, log in and say so; raises SmtpError with a message a person can act on."""
    async with SmtpConnection(settings) as conn:
        client = conn._need()
        await client.noop()
        size = client.esmtp_extensions.get("size", "")
        security = {
            Security.TLS: "implicit TLS",
            Security.STARTTLS: "STARTTLS",
            Security.NONE: "no TLS (loopback)",
        }[settings.security]
        who = settings.username or "(no login)"
        return f"{who}@{conn.where}: {security}, login accepted" + (
            f", messages up to {int(size) // 1_000_000} MB" if size.isdigit() else ""
        )


def check_smtp(settings: SmtpSettings) -> str:
    """``check_smtp_async`` for synchronous callers such as ``coffeechat check``."""
    return asyncio.run(check_smtp_async(settings))
