"""aiosmtpd in the test process: the SMTP receiver that keeps what the daemon sent."""

from __future__ import annotations

import base64
import email
import email.policy
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from .ports import free_port


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        msg = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        return msg


@dataclass
class Collector:
    """Keeps every message; `responses` lets a test script 4xx/5xx answers for the next DATAs."""

    messages: list[Received] = field(default_factory=list)
    responses: list[str] = field(default_factory=list)
    on_data: Callable[[Received], None] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: user -> the OAuth 2 access token XOAUTH2 accepts (RFC 7628-style SASL, as Gmail does)
    oauth_tokens: dict[str, str] = field(default_factory=dict)

    async def auth_XOAUTH2(self, server: Any, args: list[str]) -> AuthResult:
        """SASL XOAUTH2: base64 of ``user=U^Aauth=Bearer T^A^A``; a wrong token gets the
        JSON error challenge real servers send, then 535 once the client answers it."""
        if len(args) == 2:
            response: Any = args[1].encode()
        else:
            response = await server.challenge_auth("")
            if not isinstance(response, bytes):
                return AuthResult(success=False, handled=True)
        try:
            fields = dict(
                part.split("=", 1)
                for part in base64.b64decode(response).decode().split("\x01")
                if part
            )
        except (ValueError, UnicodeDecodeError):
            return AuthResult(success=False, handled=False)
        user, auth = fields.get("user", ""), fields.get("auth", "")
        if user in self.oauth_tokens and auth == f"Bearer {self.oauth_tokens[user]}":
            return AuthResult(success=True, auth_data=user)
        await server.challenge_auth(b'{"status":"401","schemes":"bearer"}')  # client answers ""
        return AuthResult(
            success=False, handled=False, message="535 5.7.8 Username and Password not accepted"
        )

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            if self.responses:
                return self.responses.pop(0)
            got = Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content))
            self.messages.append(got)
        if self.on_data:
            self.on_data(got)
        return "250 2.0.0 OK queued"


class SmtpServer:
    """STARTTLS on a plain port by default; ``implicit_tls`` serves TLS from the first byte
    (port 465 style, RFC 8314)."""

    def __init__(
        self,
        cert: Path,
        key: Path,
        username: str = "alice",
        password: str = "secret",
        *,
        implicit_tls: bool = False,
    ):
        self.username, self.password = username, password
        self.collector = Collector()
        self.port = free_port()
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(cert, key)
        # aiosmtpd counts only STARTTLS as TLS for AUTH; with implicit TLS every byte is encrypted
        tls: dict[str, Any] = (
            {"ssl_context": ctx, "auth_require_tls": False}
            if implicit_tls
            else {"tls_context": ctx, "require_starttls": True}
        )
        self.controller = Controller(
            self.collector,
            hostname="127.0.0.1",
            port=self.port,
            server_hostname="localhost",
            authenticator=self._auth,
            auth_required=True,
            **tls,
        )

    def _auth(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            self.username.encode(),
            self.password.encode(),
        )
        return AuthResult(success=ok, handled=False)

    @property
    def messages(self) -> list[Received]:
        return self.collector.messages

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()
