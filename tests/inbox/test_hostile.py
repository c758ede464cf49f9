"""1,000 malformed or hostile messages, seeded straight into the Maildir: each is recorded or
skipped with exactly one log line, nothing crashes, the sync completes; and sync speed."""

from __future__ import annotations

import os
import resource
import shutil
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from coffeechat.service.inbox import InboxSync
from coffeechat.service.reply_reading import understand_raw
from servers.dovecot import ImapUser

from .conftest import World, build_world, make_mail

JANE = "jane@acme.example"
OUTCOMES = {
    "message recorded",
    "message already recorded",
    "message skipped",
    "message not relevant",
    "our own copy",
}
CRLF = b"\r\n"


def hostile(i: int, owner: str) -> bytes:
    """Message number ``i`` of a zoo of broken and malicious mail, mostly from a contact."""
    frm = f"Jane Doe <{JANE}>".encode()
    base = [
        b"From: " + frm,
        b"To: " + owner.encode(),
        b"Subject: hostile %d" % i,
        b"Date: Mon, 5 Jan 2026 10:00:00 +0000",
        b"Message-ID: <h%d@hostile.test>" % i,
        b"MIME-Version: 1.0",
    ]
    kind = i % 13
    body = b"Sure, happy to talk. %d" % i
    if kind == 0:  # broken MIME boundaries
        base.append(b'Content-Type: multipart/mixed; boundary="AAA"')
        body = b"--BBB\r\nContent-Type: text/plain\r\n\r\nhello\r\n--AAA\r\nbroken" + b"\r\n--" * 50
    elif kind == 1:  # header injection through encoded words and folding
        base[2] = b"Subject: =?utf-8?q?hi=0D=0ABcc:_victim@evil.test=0D=0A=0D=0Abody?="
        base.append(b"X-Folded: a\r\n\tBcc: other@evil.test")
        base.append(b"Reply-To: x@evil.test\r\nBcc: y@evil.test")
    elif kind == 2:  # charset tricks
        base[2] = b"Subject: =?x-bogus-42?B?SGVsbG8=?= =?utf-7?B?K0FHRUFiZ0JrLQ==?="
        base.append(b"Content-Type: text/plain; charset=x-unknown-charset")
        body = bytes(range(128, 256)) * 20
    elif kind == 3:  # no Date, no Message-ID
        base = [b for b in base if not b.startswith((b"Date", b"Message-ID"))]
    elif kind == 4:  # NUL bytes everywhere
        base[2] = b"Subject: nul\x00 in \x00subject %d" % i
        body = b"before\x00after\x00" * 100
    elif kind == 5:  # raw 8-bit headers, invalid UTF-8
        base[0] = b"From: J\xe9r\xf4me \xff\xfe <" + JANE.encode() + b">"
        base[2] = b"Subject: caf\xc3\xa9 \xc3\x28 \xa0\xa1 %d" % i
    elif kind == 6:  # enormous headers
        base[2] = b"Subject: " + b"A" * 200_000
        base.append(b"References: " + b" ".join(b"<r%d@x.test>" % n for n in range(5000)))
    elif kind == 7:  # absurd or duplicated Message-IDs
        base[4] = (b"Message-ID: <" + b"m" * 2000 + b"@x>") if i % 2 else b"Message-ID: <dup@x>"
    elif kind == 8:  # deeply nested multipart
        depth = 200
        base.append(b'Content-Type: multipart/mixed; boundary="b0"')
        parts = []
        for d in range(1, depth):
            parts.append(b'--b%d\r\nContent-Type: multipart/mixed; boundary="b%d"\r\n' % (d - 1, d))
        body = CRLF.join(parts) + b"\r\n--b%d\r\nContent-Type: text/plain\r\n\r\ndeep\r\n" % (
            depth - 1
        )
    elif kind == 9:  # bad transfer encodings
        base.append(b"Content-Type: text/plain; charset=utf-8")
        base.append(
            b"Content-Transfer-Encoding: base64" if i % 2 else b"Content-Transfer-Encoding: x-bogus"
        )
        body = b"!!!not base64@@@===\r\n=ZZ=\r\n" * 50
    elif kind == 10:  # absurd Date, odd From, bare LF lines
        base[3] = b"Date: Mon, 99 Foo 99999 99:99:99 +9999"
        base[0] = b"From: " + JANE.encode() + b" (comment <evil@evil.test>)"
        return b"\n".join(base) + b"\n\nbare\rCR\nand LF\n"
    elif kind == 11:  # no usable sender at all, or a group
        base[0] = b"From: undisclosed-recipients:;" if i % 2 else b"From: <>"
    elif kind == 12:  # HTML only, scripts, a huge single line
        base.append(b"Content-Type: text/html; charset=utf-8")
        body = b"<html><script>alert(1)</script><p>" + b"x" * 300_000 + b"</p>"
    return CRLF.join(base) + CRLF + CRLF + body + CRLF


def seed_maildir(user: ImapUser, messages: Iterable[bytes]) -> None:
    """Write files into Maildir/cur (unseen) and hand them to dovecot: fast seeding."""
    c = user.client()
    c.select_folder("INBOX")  # makes Dovecot create the Maildir
    c.logout()
    cur = user.server.user_maildir(user.name) / "cur"
    stamp = int(time.time())
    for n, raw in enumerate(messages):
        (cur / f"{stamp}.M{n}P{os.getpid()}Q{uuid.uuid4().hex[:6]}.seed:2,").write_bytes(raw)
    for path in [cur, *cur.iterdir()]:
        shutil.chown(path, "dovecot", "dovecot")


def test_a_thousand_hostile_messages(store_url: str, imap_user: ImapUser) -> None:
    w = build_world(store_url, imap_user)
    w.inbox.understander = understand_raw  # the real reader, not the test double
    w.thread(w.contact(JANE, "Jane Doe"))
    messages = [hostile(i, w.owner) for i in range(1000)]
    for i in (5, 500, 995):  # three 10 MB messages
        messages[i] = make_mail(JANE, w.owner, f"huge {i}", "y" * (10 * 1024 * 1024))
    seed_maildir(w.user, messages)

    start = time.monotonic()
    with capture_logs() as logs, w.client() as client:
        result = w.inbox.sync_folder(client, "INBOX", "inbox")
    elapsed = time.monotonic() - start

    per_uid = Counter(e["uid"] for e in logs if e["event"] in OUTCOMES)
    assert result.examined == 1000 and not result.blocked
    assert set(per_uid) == set(range(1, 1001)), sorted(set(range(1, 1001)) - set(per_uid))[:10]
    assert max(per_uid.values()) == 1, [u for u, n in per_uid.items() if n > 1][:10]
    assert w.state().last_uid == 1000
    recorded = len(result.inbound) + result.possible
    print(
        f"\nhostile: {recorded} recorded, {result.duplicates} duplicates, "
        f"{result.skipped} skipped, {elapsed:.1f}s ({1000 / elapsed:.0f} msg/s)"
    )
    assert recorded >= 850 and result.skipped <= 10
    # and once more: nothing new, nothing twice
    with w.client() as client:
        again = w.inbox.resync_folder(client, "INBOX", "inbox")
    assert again.inbound == [] and not again.blocked
    w.store.close()


def _plain(count: int, relevant_every: int, owner: str) -> Iterator[bytes]:
    for n in range(count):
        frm = JANE if n % relevant_every == 0 else f"list{n % 97}@news.example"
        yield make_mail(frm, owner, f"msg {n}", "Hello there. " * 40)


@pytest.mark.parametrize("count", [5000])
def test_sync_speed_on_a_seeded_mailbox(sqlite_url: str, imap_user: ImapUser, count: int) -> None:
    _speed(sqlite_url, imap_user, count)


@pytest.mark.slow
def test_sync_speed_on_a_100k_mailbox(sqlite_url: str, imap_user: ImapUser) -> None:
    _speed(sqlite_url, imap_user, 100_000)


def _speed(sqlite_url: str, imap_user: ImapUser, count: int) -> None:
    w: World = build_world(sqlite_url, imap_user)
    w.thread(w.contact(JANE))
    seed_maildir(w.user, _plain(count, 100, w.owner))
    inbox: InboxSync = w.inbox
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.monotonic()
    with w.client() as client:
        result = inbox.sync_folder(client, "INBOX", "inbox")
    elapsed = time.monotonic() - start
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert result.examined == count and len(result.inbound) == count // 100
    print(
        f"\nsync of {count} messages ({count // 100} relevant): {elapsed:.1f}s "
        f"= {count / elapsed:.0f} msg/s; peak RSS {rss_before // 1024} -> {rss_after // 1024} MB"
    )
    w.store.close()


def test_fixture_paths_exist(imap_user: ImapUser) -> None:
    assert isinstance(imap_user.server.user_maildir(imap_user.name), Path)
