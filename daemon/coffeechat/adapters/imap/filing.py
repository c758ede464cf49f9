"""File copies of our mail over IMAP: sent mail into Sent, drafts into Drafts.

Blocking (imapclient); the async sender calls these through ``asyncio.to_thread``. A copy is
looked up by Message-ID before it is appended, so a crash between APPEND and the database
commit never leaves two copies, and the same lookup proves a crashed send went out when the
server files sent mail itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Literal

import structlog
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from coffeechat.adapters.imap.connection import (
    ImapError,
    ImapUnavailable,
    drafts_folder,
    sent_folder,
    session,
)
from coffeechat.settings import ImapSettings

log = structlog.get_logger(__name__)

Kind = Literal["sent", "drafts"]
#: Hosts whose SMTP submission already puts a copy in Sent (appending would duplicate it).
SELF_FILING_HOSTS = (
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "office365.com",
    "outlook.office365.com",
    "hotmail.com",
    "live.com",
)
FLAGS: dict[Kind, tuple[bytes, ...]] = {"sent": (b"\\Seen",), "drafts": (b"\\Draft", b"\\Seen")}


def _mid(message_id: str) -> str:
    return "<" + message_id.strip().removeprefix("<").removesuffix(">") + ">"


def append(
    client: IMAPClient,
    folder: str,
    raw: bytes,
    flags: Iterable[bytes] = (),
    when: datetime | None = None,
) -> None:
    """APPEND ``raw`` unchanged to ``folder``."""
    try:
        client.append(folder, raw, flags=tuple(flags), msg_time=when)
    except IMAPClientError as exc:
        raise ImapError(f"IMAP: cannot append to {folder!r}: {exc}") from None


def find_message_id(client: IMAPClient, folder: str, message_id: str) -> bool:
    """Whether ``folder`` holds a message with this Message-ID (SEARCH HEADER)."""
    try:
        client.select_folder(folder, readonly=True)
        found = client.search(["HEADER", "Message-ID", _mid(message_id)])
    except IMAPClientError as exc:
        raise ImapError(f"IMAP: cannot search {folder!r}: {exc}") from None
    return bool(found)


def files_sent_itself(client: IMAPClient | None, imap_host: str, smtp_host: str = "") -> bool:
    """Gmail (X-GM-EXT-1) and Microsoft 365 copy submitted mail into Sent on their own."""
    if client is not None:
        try:
            if b"X-GM-EXT-1" in client.capabilities():
                return True
        except IMAPClientError:
            pass
    for host in (imap_host.lower(), smtp_host.lower()):
        if any(host == h or host.endswith("." + h) for h in SELF_FILING_HOSTS):
            return True
    return False


def folder_for(client: IMAPClient, settings: ImapSettings, kind: Kind) -> str:
    folder = sent_folder(client, settings) if kind == "sent" else drafts_folder(client, settings)
    if folder is None:
        setting = "sent_folder" if kind == "sent" else "drafts_folder"
        raise ImapError(f"IMAP: no {kind} folder found; set [imap] {setting}")
    return folder


def file_copies(
    settings: ImapSettings, kind: Kind, items: Iterable[tuple[str, bytes]]
) -> dict[str, str]:
    """Put each (message_id, raw) into Sent or Drafts unless it is already there.

    Returns message_id -> "appended" or "present" for every item handled. Stops at the first
    failure and raises it; the items before it are reported through the exception's
    ``done`` attribute so the caller can record them.
    """
    done: dict[str, str] = {}
    try:
        with session(settings) as client:
            folder = folder_for(client, settings, kind)
            for message_id, raw in items:
                if find_message_id(client, folder, message_id):
                    done[message_id] = "present"
                    continue
                append(client, folder, raw, FLAGS[kind])
                done[message_id] = "appended"
                log.info("imap.filed", folder=folder, message_id=message_id)
    except ImapError as exc:
        exc.done = done  # type: ignore[attr-defined]
        raise
    except (OSError, IMAPClientError) as exc:
        err = ImapUnavailable(f"IMAP: {exc}")
        err.done = done  # type: ignore[attr-defined]
        raise err from None
    return done


def lookup_sent(settings: ImapSettings, message_ids: Iterable[str]) -> dict[str, bool]:
    """For crash recovery: which of these Message-IDs are in the Sent folder."""
    result: dict[str, bool] = {}
    with session(settings) as client:
        folder = folder_for(client, settings, "sent")
        for mid in message_ids:
            result[mid] = find_message_id(client, folder, mid)
    return result


def server_files_sent(settings: ImapSettings, smtp_host: str = "") -> bool:
    """Detection for ``append_to_sent = auto`` (one short IMAP session)."""
    with session(settings) as client:
        return files_sent_itself(client, settings.host, smtp_host)
