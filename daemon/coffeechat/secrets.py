"""Turn a password setting into the secret, at the moment a connection needs it.

A file is re-read each time (systemd credentials and container secrets rotate); a command is
run each time (OAuth helpers print a fresh token). Nothing here logs the secret or keeps it.
"""

from __future__ import annotations

import shlex
import subprocess

from coffeechat.settings import Credentials

COMMAND_TIMEOUT_SECONDS = 30.0


class SecretError(Exception):
    """The secret cannot be had; the message says which source failed, never the secret."""


def resolve_secret(creds: Credentials, what: str) -> str:
    """The password or token for ``what`` (e.g. "imap"); '' when none is configured."""
    if creds.password is not None:
        return creds.password.get_secret_value()
    if creds.password_file is not None:
        try:
            text = creds.password_file.read_text(encoding="utf-8")
        except OSError as exc:
            raise SecretError(
                f"[{what}] password_file {creds.password_file}: {exc.strerror or exc}"
            ) from None
        return text.rstrip("\r\n")
    if creds.password_command is not None:
        return _run(creds.password_command, what)
    return ""


def _run(command: str, what: str) -> str:
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise SecretError(f"[{what}] password_command cannot be parsed: {exc}") from None
    if not argv:
        raise SecretError(f"[{what}] password_command is empty")
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_SECONDS,
            check=False,
        )
    except FileNotFoundError:
        raise SecretError(f"[{what}] password_command: {argv[0]} not found") from None
    except subprocess.TimeoutExpired:
        raise SecretError(
            f"[{what}] password_command did not finish in {COMMAND_TIMEOUT_SECONDS:.0f}s"
        ) from None
    if done.returncode != 0:
        # stderr may say why; it is the helper's own message, not the secret
        detail = done.stderr.strip().splitlines()[-1:] if done.stderr else []
        raise SecretError(
            f"[{what}] password_command exited with {done.returncode}"
            + (f": {detail[0][:200]}" if detail else "")
        )
    secret = done.stdout.splitlines()[0] if done.stdout else ""
    if not secret:
        raise SecretError(f"[{what}] password_command printed nothing")
    return secret


def xoauth2_string(username: str, token: str) -> str:
    """The SASL XOAUTH2 initial response (Gmail, Microsoft 365), before base64."""
    return f"user={username}\x01auth=Bearer {token}\x01\x01"
