"""InboxSync against a real Dovecot: threading, dedupe, \\Seen untouched, Sent, takeovers."""

from __future__ import annotations

from sqlalchemy import event as sa_event
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from coffeechat.adapters.imap import sync
from coffeechat.domain.states import ThreadState
from coffeechat.store.models import ComponentHealth, Event, Thread

from .conftest import FetchLog, World, flags_of, make_mail

JANE = "jane@acme.example"


def test_reply_by_in_reply_to_is_recorded_once_and_seen_untouched(world: World) -> None:
    cid = world.contact(JANE, "Jane Doe")
    tid = world.thread(cid, outreach_id="out-1@coffeechat.test")
    world.user.deliver(make_mail(JANE, world.owner, in_reply_to="out-1@coffeechat.test"))
    # an unrelated message the owner already read: its \Seen must stay, the others' absence too
    world.user.append("INBOX", make_mail("news@shop.example", world.owner, "Sale"), ("\\Seen",))
    before = flags_of(world.user)

    with world.client() as client:
        log = FetchLog(client)
        first = world.inbox.sync_folder(client, "INBOX", "inbox")
        second = world.inbox.sync_folder(client, "INBOX", "inbox")

    assert flags_of(world.user) == before
    assert not log.any_non_peek()
    assert len(first.inbound) == 1 and second.inbound == []
    [msg] = world.messages("in")
    assert (msg.thread_id, msg.contact_id, msg.intent) == (tid, cid, "accept")
    assert msg.reply_text == "Sure" and msg.confidence == 0.9
    assert world.understander.contexts[0].state == "outreach_sent"
    assert world.get_thread(tid).last_inbound_at is not None
    assert world.state().last_uid == 2
    with world.store.session() as s:
        health = s.scalar(select(ComponentHealth))
        assert health is None or health.failing_since is None


def test_reply_by_references_only(world: World) -> None:
    cid = world.contact(JANE)
    tid = world.thread(cid, outreach_id="out-2@coffeechat.test")
    world.user.deliver(
        make_mail(
            "assistant@acme.example",
            world.owner,
            references=["older@elsewhere.test", "out-2@coffeechat.test"],
        )
    )
    with world.client() as client:
        world.inbox.sync_folder(client, "INBOX", "inbox")
    [msg] = world.messages("in")
    assert msg.thread_id == tid and msg.contact_id == cid


def test_reply_by_address_and_slots_context(world: World) -> None:
    cid = world.contact(JANE)
    tid = world.thread(cid, state=ThreadState.SLOTS_OFFERED)
    with world.store.session() as s:
        t = s.get(Thread, tid)
        assert t is not None
        t.offered_slots = ["2030-01-07T10:00:00+01:00", "not a date"]
    world.user.deliver(make_mail("Jane Doe <JANE@acme.example>", world.owner, message_id=None))
    with world.client() as client:
        world.inbox.sync_folder(client, "INBOX", "inbox")
    [msg] = world.messages("in")
    assert msg.thread_id == tid and msg.message_id is None and len(msg.content_hash) == 64
    ctx = world.understander.contexts[0]
    assert ctx.state == "slots_offered" and len(ctx.offered_slots) == 1


def test_unrelated_mail_body_is_never_fetched(sqlite_world: World) -> None:
    w = sqlite_world
    w.thread(w.contact(JANE), outreach_id="out-3@coffeechat.test")
    for i in range(5):
        w.user.deliver(make_mail(f"shop{i}@shop.example", w.owner, "Deals"))
    w.user.deliver(make_mail(JANE, w.owner, in_reply_to="out-3@coffeechat.test"))
    with w.client() as client:
        log = FetchLog(client)
        result = w.inbox.sync_folder(client, "INBOX", "inbox")
    assert result.examined == 6 and len(result.inbound) == 1
    assert log.body_uids() == {6}
    assert len(w.messages()) == 2  # the outreach and the reply, nothing of the shop


def test_alias_at_same_domain_goes_to_the_digest_not_the_thread(sqlite_world: World) -> None:
    w = sqlite_world
    cid = w.contact(JANE, "Jane Doe")
    w.thread(cid)
    w.user.deliver(make_mail("Jane Doe <j.doe@acme.example>", w.owner, "hello again"))
    with w.client() as client:
        log = FetchLog(client)
        result = w.inbox.sync_folder(client, "INBOX", "inbox")
    assert result.inbound == [] and result.possible == 1 and log.body_uids() == set()
    [msg] = w.messages("in")
    assert msg.thread_id is None and msg.needs_owner
    with w.store.session() as s:
        [ev] = s.scalars(select(Event).where(Event.kind == "possible_contact")).all()
        assert ev.needs_owner and ev.contact_id == cid and ev.summary.startswith("possibly Jane")


def test_owner_hand_written_sent_message_starts_a_thread(world: World) -> None:
    cid = world.contact(JANE)
    world.user.append("Sent", make_mail(world.owner, f"Jane <{JANE}>", "Coffee?"), ("\\Seen",))
    with world.client() as client:
        result = world.inbox.sync_folder(client, "Sent", "sent")
    assert len(result.outbound) == 1 and result.inbound == []
    [msg] = world.messages("out")
    with world.store.session() as s:
        thread = s.scalar(select(Thread).where(Thread.contact_id == cid))
        assert thread is not None
        assert thread.state == ThreadState.OUTREACH_SENT
        assert thread.last_outbound_at is not None and not thread.human_takeover
        assert msg.thread_id == thread.id


def test_owner_message_in_a_thread_we_run_is_a_human_takeover(world: World) -> None:
    cid = world.contact(JANE)
    tid = world.thread(cid, outreach_id="out-4@coffeechat.test")
    world.user.append(
        "Sent", make_mail(world.owner, JANE, "Re: Coffee?", in_reply_to="out-4@coffeechat.test")
    )
    with world.client() as client:
        world.inbox.sync_folder(client, "Sent", "sent")
    assert world.get_thread(tid).human_takeover
    with world.store.session() as s:
        assert s.scalar(select(Event.kind).where(Event.thread_id == tid)) == "human_takeover"


def test_our_own_copies_are_never_replies(sqlite_world: World) -> None:
    w = sqlite_world
    cid = w.contact(JANE)
    w.thread(cid, outreach_id="out-5@coffeechat.test")
    copy = make_mail(w.owner, JANE, "Coffee?", message_id="out-5@coffeechat.test")
    w.user.deliver(copy)  # a server that files sent mail in INBOX
    w.user.append("Sent", copy, ("\\Seen",))
    with w.client() as client:
        a = w.inbox.sync_folder(client, "INBOX", "inbox")
        b = w.inbox.sync_folder(client, "Sent", "sent")
    assert a.inbound == b.inbound == [] and a.outbound == b.outbound == []
    assert [m.direction for m in w.messages()] == ["out"]
    assert w.state("INBOX").last_uid == 1 and w.state("Sent").last_uid == 1


def test_auto_reply_is_flagged_and_not_a_human_reply(sqlite_world: World) -> None:
    w = sqlite_world
    tid = w.thread(w.contact(JANE), outreach_id="out-6@coffeechat.test")
    w.user.deliver(
        make_mail(
            JANE,
            w.owner,
            "Automatic reply: away",
            in_reply_to="out-6@coffeechat.test",
            headers={"Auto-Submitted": "auto-replied"},
        )
    )
    with w.client() as client:
        w.inbox.sync_folder(client, "INBOX", "inbox")
    [msg] = w.messages("in")
    assert msg.auto_submitted and msg.thread_id == tid
    assert w.get_thread(tid).last_inbound_at is None


def test_uidvalidity_reset_loses_and_duplicates_nothing(world: World) -> None:
    cid = world.contact(JANE)
    world.thread(cid, outreach_id="out-7@coffeechat.test")
    world.user.deliver(make_mail(JANE, world.owner, in_reply_to="out-7@coffeechat.test"))
    world.user.deliver(make_mail(JANE, world.owner, "no id", message_id=None))
    with world.client() as client:
        world.inbox.sync_folder(client, "INBOX", "inbox")
    old = world.state().uidvalidity
    assert old is not None
    world.user.server.doveadm(
        "mailbox", "update", "-u", world.user.name, "--uid-validity", str(old + 7), "INBOX"
    )
    world.user.deliver(make_mail(JANE, world.owner, "third"))
    with world.client() as client:
        result = world.inbox.sync_folder(client, "INBOX", "inbox")
    assert result.uidvalidity_changed
    assert world.state().uidvalidity == old + 7
    subjects = sorted(m.subject for m in world.messages("in"))
    assert subjects == ["Re: coffee?", "no id", "third"]
    assert len(result.inbound) == 1 and result.duplicates == 2


def test_stored_uid_does_not_pass_a_message_that_failed_to_record(world: World) -> None:
    cid = world.contact(JANE)
    world.thread(cid)
    for subject in ("one", "two", "three"):
        world.user.deliver(make_mail(JANE, world.owner, subject))
    failures = []

    def fail_once(conn, cursor, statement, params, context, executemany):  # type: ignore[no-untyped-def]
        text = str(params)
        if (
            statement.lstrip().upper().startswith("INSERT INTO MESSAGES")
            and "'two'" in text
            and not failures
        ):
            failures.append(1)
            raise OperationalError(statement, params, Exception("injected: database gone"))

    sa_event.listen(world.store.engine, "before_cursor_execute", fail_once)
    try:
        with world.client() as client:
            first = world.inbox.sync_folder(client, "INBOX", "inbox")
            assert first.blocked and len(first.inbound) == 1
            assert world.state().last_uid == 1
            second = world.inbox.sync_folder(client, "INBOX", "inbox")
    finally:
        sa_event.remove(world.store.engine, "before_cursor_execute", fail_once)
    assert not second.blocked and len(second.inbound) == 2
    assert sorted(m.subject for m in world.messages("in")) == ["one", "three", "two"]
    assert world.state().last_uid == 3


def test_a_permanently_bad_message_is_skipped_once_and_does_not_block(
    sqlite_world: World, monkeypatch: object
) -> None:
    w = sqlite_world
    w.thread(w.contact(JANE))
    w.user.deliver(make_mail(JANE, w.owner, "poison", body="POISON"))
    w.user.deliver(make_mail(JANE, w.owner, "fine"))
    real = sync.content_hash

    def picky(raw: bytes, size: int | None = None) -> str:
        if b"POISON" in raw:
            raise ValueError("cannot digest this")
        return real(raw, size)

    import pytest

    mp = pytest.MonkeyPatch()
    mp.setattr(sync, "content_hash", picky)
    try:
        with w.client() as client:
            result = w.inbox.sync_folder(client, "INBOX", "inbox")
            again = w.inbox.resync_folder(client, "INBOX", "inbox")
    finally:
        mp.undo()
    assert result.skipped == 1 and len(result.inbound) == 1 and not result.blocked
    assert again.skipped == 1
    assert w.state().last_uid == 2
    with w.store.session() as s:
        skipped = s.scalars(select(Event).where(Event.kind == "message_skipped")).all()
        assert len(skipped) == 1


def test_big_bodies_are_read_partially_and_marked(sqlite_url: str, imap_user) -> None:  # type: ignore[no-untyped-def]
    from .conftest import build_world

    w = build_world(sqlite_url, imap_user, max_body_bytes=20_000)
    w.thread(w.contact(JANE))
    w.user.deliver(make_mail(JANE, w.owner, "big", body="x" * 200_000))
    with w.client() as client:
        w.inbox.sync_folder(client, "INBOX", "inbox")
    assert w.understander.sizes == [20_000]
    with w.store.session() as s:
        assert s.scalar(select(Event.kind).where(Event.kind == "message_truncated"))
    w.store.close()


def test_bounce_is_threaded_by_the_message_id_in_its_body(sqlite_world: World) -> None:
    w = sqlite_world
    tid = w.thread(w.contact(JANE), outreach_id="out-8@coffeechat.test")
    dsn = (
        "From: Mail Delivery System <MAILER-DAEMON@mx.example>\r\n"
        f"To: {w.owner}\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <dsn-1@mx.example>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nUser unknown\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Final-Recipient: rfc822; jane@acme.example\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
        "--b\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        "Message-ID: <out-8@coffeechat.test>\r\n\r\n--b--\r\n"
    ).encode()
    w.user.deliver(dsn)
    w.user.deliver(dsn.replace(b"out-8@coffeechat", b"nobody@else").replace(b"dsn-1", b"dsn-2"))
    with w.client() as client:
        result = w.inbox.sync_folder(client, "INBOX", "inbox")
    [msg] = w.messages("in")
    assert msg.thread_id == tid and msg.auto_submitted and len(result.inbound) == 1


def test_full_resync_catches_a_sender_who_became_a_contact_later(sqlite_world: World) -> None:
    w = sqlite_world
    w.contact("someone@else.example")
    w.user.deliver(make_mail("bob@bobco.example", w.owner, "hi from bob"))
    with w.client() as client:
        first = w.inbox.sync_folder(client, "INBOX", "inbox")
        assert first.inbound == [] and w.state().last_uid == 1
        assert not w.inbox.resync_due("INBOX")  # a pass from UID 0 was a full one
        bob = w.contact("bob@bobco.example", "Bob")
        full = w.inbox.resync_folder(client, "INBOX", "inbox")
        again = w.inbox.resync_folder(client, "INBOX", "inbox")
    assert len(full.inbound) == 1 and again.inbound == [] and again.duplicates == 1
    [msg] = w.messages("in")
    assert msg.contact_id == bob and msg.thread_id is None
    assert w.state().last_full_resync_at is not None
