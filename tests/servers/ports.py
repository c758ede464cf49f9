"""Free loopback ports and a shared self-signed certificate."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError as exc:
            last = exc
        time.sleep(0.02)
    raise RuntimeError(f"{what} did not become ready in {timeout}s (last error: {last})")


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed cert for localhost and 127.0.0.1 (about 0.2 s; make it once per session)."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    key.chmod(0o644)  # Dovecot's login process reads it after dropping privileges
    return cert, key


def stop_process(process: subprocess.Popen[bytes] | None) -> None:
    """SIGTERM (the servers shut down cleanly on it), SIGKILL after 10 s."""
    if process is None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def http_ready(
    name: str, process: subprocess.Popen[bytes] | None, log: Path, url: str, ca: Path | None
) -> bool:
    """An HTTP(S) test server answers OPTIONS (200, or 401 asking for a login); one that has
    exited raises with its log, so a broken config fails at once, not after the timeout."""
    import ssl
    import urllib.error
    import urllib.request

    if process is not None and process.poll() is not None:
        raise RuntimeError(
            f"{name} exited with {process.returncode}: {log.read_text(errors='replace')}"
        )
    req = urllib.request.Request(url + "/", method="OPTIONS")  # noqa: S310 loopback
    context = ssl.create_default_context(cafile=str(ca)) if ca is not None else None
    try:
        with urllib.request.urlopen(req, timeout=1, context=context) as resp:  # noqa: S310
            return int(resp.status) == 200
    except urllib.error.HTTPError as exc:
        return exc.code == 401
