"""CalDAV refusals seen by ``run --once``: a 503 (busy) and a 412 (the event is already
there, because an earlier PUT's answer was lost) each end with one event and one invitation.

Radicale never answers 503, so a small forwarding proxy in front of it scripts the answers.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

import pytest

from servers.dovecot import ImapUser
from servers.radicale import DavUser
from servers.smtp import SmtpServer

from .harness import TUESDAY, SmallWorld, cli, iso

HOP = {"connection", "keep-alive", "transfer-encoding", "host", "content-length"}


class Proxy(BaseHTTPRequestHandler):
    """Forwards to Radicale; ``script`` holds what to do with the next PUTs:
    "503": answer 503 with Retry-After without forwarding; "lost": forward, then answer 503
    (the server did it, the client never heard); "race": the same PUT lands first, so the
    client's own ``If-None-Match: *`` gets Radicale's genuine 412."""

    upstream: ClassVar[str] = ""
    script: ClassVar[list[str]] = []
    puts: ClassVar[list[tuple[str, int]]] = []  # (what happened, upstream status)
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _forward(self, body: bytes | None) -> tuple[int, list[tuple[str, str]], bytes]:
        parts = urlsplit(self.upstream)
        conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
            conn.request(self.command, self.path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, [(k, v) for k, v in resp.getheaders() if k.lower() not in HOP], data
        finally:
            conn.close()

    def _answer(self, status: int, headers: list[tuple[str, str]], data: bytes) -> None:
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self) -> None:
        action = self.script.pop(0) if self.command == "PUT" and self.script else ""
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        if action == "503":
            self.puts.append(("503", 0))
            self._answer(503, [("Retry-After", "1")], b"busy")
            return
        if action == "race":  # the same event lands just before this PUT (another writer)
            first, _, _ = self._forward(body)
            self.puts.append(("race", first))
        status, headers, data = self._forward(body)
        if self.command == "PUT":
            self.puts.append((action or "forwarded", status))
        if action == "lost":
            self._answer(503, [("Retry-After", "1")], b"gateway lost the answer")
            return
        self._answer(status, headers, data)

    do_GET = do_PUT = do_DELETE = do_OPTIONS = do_PROPFIND = do_REPORT = _handle
    do_MKCALENDAR = do_PROPPATCH = do_POST = do_HEAD = _handle


@pytest.fixture
def proxy(dav_user: DavUser) -> Iterator[type[Proxy]]:
    handler = type("ScriptedProxy", (Proxy,), {"upstream": dav_user.server.url, "script": [],
                                               "puts": []})  # fmt: skip
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    handler.url = f"http://127.0.0.1:{server.server_address[1]}"  # type: ignore[attr-defined]
    yield handler
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.mark.parametrize(
    "script",
    [["503"], ["503", "503"], ["lost"], ["race"]],
    ids=["503", "503-twice", "answer-lost", "412"],
)
def test_caldav_refusals_end_with_one_event_and_one_invitation(
    tmp_path: Path,
    imap_user: ImapUser,
    smtp_server: SmtpServer,
    dav_user: DavUser,
    certificate: tuple[Path, Path],
    proxy: type[Proxy],
    script: list[str],
) -> None:
    world = SmallWorld.build(tmp_path, imap_user, smtp_server, dav_user, certificate[0], 1)
    text = world.path.read_text().replace(
        f'url = "{dav_user.server.url}/"',
        f'url = "{proxy.url}/"',  # type: ignore[attr-defined]
    )
    world.path.write_text(text)
    cli(world.path, "run", "--once", "--now", iso(TUESDAY))  # the day's digest goes first
    imap_user.deliver(world.reply(0))
    proxy.script.extend(script)
    now = TUESDAY + timedelta(minutes=5)
    for _ in range(6):  # bounded: one pass a minute until the invitation is out
        cli(world.path, "run", "--once", "--now", iso(now))
        if world.sent_to(0, "invitation"):
            break
        now += timedelta(minutes=1)
    assert not proxy.script, proxy.puts
    assert len(world.sent_to(0, "invitation")) == 1, proxy.puts
    assert sum(world.events().values()) == 1, (world.events(), proxy.puts)
    for minutes in (10, 60):  # later passes change nothing
        cli(world.path, "run", "--once", "--now", iso(now + timedelta(minutes=minutes)))
    assert len(world.sent_to(0, "invitation")) == 1
    assert sum(world.events().values()) == 1
    if script == ["race"]:
        assert [status for _, status in proxy.puts][:2] == [201, 412], proxy.puts
    print(f"\nPUTs seen by the proxy: {proxy.puts}")
