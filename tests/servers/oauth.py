"""A token introspection endpoint (RFC 7662) on loopback, for Dovecot's oauth2 passdb.

Dovecot POSTs ``token=...`` and reads ``active`` and ``username`` from the JSON answer; the
test decides which tokens are valid, for which user, as Google or Microsoft would.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from .ports import free_port


class IntrospectionServer:
    def __init__(self) -> None:
        self.tokens: dict[str, str] = {}  # token -> user it was issued to
        self.asked: list[str] = []
        self.port = free_port()
        tokens, asked = self.tokens, self.asked

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode())
                token = (form.get("token") or [""])[0]
                asked.append(token)
                user = tokens.get(token)
                answer = {"active": True, "username": user} if user else {"active": False}
                body = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/introspect"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
