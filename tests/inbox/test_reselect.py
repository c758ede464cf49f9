"""The poll pass on a connection that already has the folder open: NOOP instead of EXAMINE,
with UIDVALIDITY changes and foreign selections still caught; and triage equals the full parse."""

from __future__ import annotations

from typing import Any

import pytest
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from coffeechat.adapters.imap import sync
from coffeechat.adapters.imap.sync import parse_headers, triage

from .conftest import World, make_mail

JANE = "jane@acme.example"


class Commands:
    """Counts EXAMINEs and NOOPs a client sends."""

    def __init__(self, client: IMAPClient) -> None:
        self.examine = 0
        self.noop = 0
        select, noop = client.select_folder, client.noop

        def counted_select(folder: str, readonly: bool = False) -> Any:
            self.examine += 1
            return select(folder, readonly)

        def counted_noop() -> Any:
            self.noop += 1
            return noop()

        client.select_folder = counted_select
        client.noop = counted_noop


def test_second_pass_on_the_same_connection_uses_noop_and_misses_nothing(
    sqlite_world: World,
) -> None:
    w = sqlite_world
    cid = w.contact(JANE, "Jane Doe")
    w.thread(cid, outreach_id="out-r1@coffeechat.test")
    w.user.deliver(make_mail("news@shop.example", w.owner, "Sale"))
    with w.client() as client:
        sync.prepare(client)  # CONDSTORE on, as the watcher does: EXAMINE says HIGHESTMODSEQ
        seen = Commands(client)
        first = w.inbox.sync_folder(client, "INBOX", "inbox")
        nothing = w.inbox.sync_folder(client, "INBOX", "inbox")
        w.user.deliver(make_mail(JANE, w.owner, in_reply_to="out-r1@coffeechat.test"))
        reply = w.inbox.sync_folder(client, "INBOX", "inbox")
        assert (seen.examine, seen.noop) == (1, 2)
    assert first.examined == 1 and first.inbound == []
    assert nothing.examined == 0 and not nothing.blocked
    assert reply.examined == 1 and len(reply.inbound) == 1
    assert w.state().last_uid == 2
    assert w.state().highest_modseq is not None  # EXAMINE's value, kept by the NOOP passes


def test_another_folder_selected_in_between_means_examine_again(sqlite_world: World) -> None:
    w = sqlite_world
    w.user.deliver(make_mail("news@shop.example", w.owner, "Sale"))
    with w.client() as client:
        seen = Commands(client)
        w.inbox.sync_folder(client, "INBOX", "inbox")
        client.select_folder("Sent", readonly=True)  # someone else's EXAMINE on this connection
        w.user.deliver(make_mail(JANE, w.owner, "later"))
        again = w.inbox.sync_folder(client, "INBOX", "inbox")
        client.unselect_folder()
        third = w.inbox.sync_folder(client, "INBOX", "inbox")
        assert (seen.examine, seen.noop) == (4, 0)
        w.inbox.sync_folder(client, "Sent", "sent")  # another folder: EXAMINE, never NOOP
        assert (seen.examine, seen.noop) == (5, 0)
    assert again.examined == 1 and third.examined == 0


def test_uidvalidity_change_under_a_selected_folder_is_caught(world: World) -> None:
    cid = world.contact(JANE)
    world.thread(cid, outreach_id="out-r2@coffeechat.test")
    world.user.deliver(make_mail(JANE, world.owner, in_reply_to="out-r2@coffeechat.test"))
    with world.client() as client:
        world.inbox.sync_folder(client, "INBOX", "inbox")
        old = world.state().uidvalidity
        assert old is not None
        world.user.server.doveadm(
            "mailbox", "update", "-u", world.user.name, "--uid-validity", str(old + 7), "INBOX"
        )
        world.user.deliver(make_mail(JANE, world.owner, "third"))
        # Dovecot drops a connection whose selected mailbox changed UIDVALIDITY: the watcher
        # reconnects (a connection error), and the new connection's EXAMINE sees the change.
        with pytest.raises((IMAPClientError, OSError)):
            world.inbox.sync_folder(client, "INBOX", "inbox")
    with world.client() as client:
        result = world.inbox.sync_folder(client, "INBOX", "inbox")
    assert result.uidvalidity_changed and world.state().uidvalidity == old + 7
    assert len(result.inbound) == 1 and result.duplicates == 1


def test_reselect_without_a_previous_examine_examines() -> None:
    class Fake:
        def __init__(self) -> None:
            self.calls: list[str] = []

        def select_folder(self, folder: str, readonly: bool = False) -> dict[bytes, Any]:
            self.calls.append(f"EXAMINE {folder}")
            return {b"UIDVALIDITY": 5, b"UIDNEXT": 9, b"EXISTS": 8}

    fake = Fake()
    status = sync.reselect(fake, "INBOX")
    again = sync.reselect(fake, "INBOX")
    assert fake.calls == ["EXAMINE INBOX", "EXAMINE INBOX"]  # no imaplib: always EXAMINE
    assert status == again and status.uidnext == 9 and not status.reused


HEADERS = [
    b"From: Jane Doe <Jane.Doe@Acme.Example>\r\nTo: Maya <me@mine.example>\r\n"
    b"Cc: a@b.example\r\nMessage-ID: <x@y>\r\nIn-Reply-To: <p@y>\r\n"
    b"References: <r1@y>\r\n <r2@y>\r\n\r\n",
    b'From: "Doe, Jane" <j@x.example> (work)\r\nTo: undisclosed-recipients:;\r\n\r\n',
    b"From: J\xe9r\xf4me <j@x.example>\r\nSubject: =?utf-8?q?Caf=C3=A9?=\r\n\r\n",
    b"From jane@x Mon Jan 1 00:00:00 2026\r\nFrom: a@b.example\r\n\r\n",
    b" stray\r\nFrom: a@b.example\nTo: c@d.example\n\n",
    b"From: MAILER-DAEMON@x.example\r\nContent-Type: multipart/report;\r\n"
    b' report-type="delivery-status"\r\n\r\n',
    b"",
]


@pytest.mark.parametrize("raw", HEADERS)
def test_triage_fields_equal_the_full_parse(raw: bytes) -> None:
    env, t = parse_headers(raw), triage(raw)
    assert t.envelope() == env
    assert (t.from_name, t.from_addr, t.message_id, t.in_reply_to) == (
        env.from_name,
        env.from_addr,
        env.message_id,
        env.in_reply_to,
    )
    assert (t.references, t.referenced_ids, t.is_dsn, t.recipients) == (
        env.references,
        env.referenced_ids,
        env.is_dsn,
        env.recipients,
    )
