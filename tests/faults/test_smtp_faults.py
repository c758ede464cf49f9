"""SMTP refusals seen by ``run --once`` passes: 4xx retried into one delivery, 5xx a failed
row that the next digest shows the owner."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from coffeechat.domain.states import OutboxKind, OutboxState
from coffeechat.store.models import Event, OutboxItem
from servers.dovecot import ImapUser
from servers.radicale import DavUser
from servers.smtp import SmtpServer

from .harness import TUESDAY, SmallWorld, cli, contact_email, iso, kind_of


def invitations(world: SmallWorld) -> list[OutboxItem]:
    with world.store() as store, store.session() as s:
        rows = s.scalars(select(OutboxItem).where(OutboxItem.kind == OutboxKind.INVITATION))
        out = list(rows)
        s.expunge_all()
        return out


def test_421_and_451_then_success_deliver_each_email_once(
    tmp_path: Path,
    imap_user: ImapUser,
    smtp_server: SmtpServer,
    dav_user: DavUser,
    certificate: tuple[Path, Path],
) -> None:
    world = SmallWorld.build(tmp_path, imap_user, smtp_server, dav_user, certificate[0], 2)
    cli(world.path, "run", "--once", "--now", iso(TUESDAY))  # the day's digest goes first
    before = len(smtp_server.messages)
    for n in range(2):
        imap_user.deliver(world.reply(n))
    smtp_server.collector.responses.extend(
        ["421 4.7.0 Try again later, closing connection", "451 4.3.0 Try again later"]
    )
    now = TUESDAY + timedelta(minutes=10)
    cli(world.path, "run", "--once", "--now", iso(now))
    assert not smtp_server.collector.responses  # both refusals were used
    assert len(smtp_server.messages) == before
    rows = invitations(world)
    assert sorted(r.state for r in rows) == [OutboxState.QUEUED] * 2
    errors = sorted(r.last_error for r in rows)
    assert "421" in errors[0] and "451" in errors[1], errors
    assert all(r.attempts == 1 and r.due_at > now for r in rows)
    for _ in range(5):  # bounded: each pass at the latest retry time
        pending = [r for r in invitations(world) if r.state == OutboxState.QUEUED]
        if not pending:
            break
        now = max(now, *(r.due_at for r in pending)) + timedelta(minutes=1)
        cli(world.path, "run", "--once", "--now", iso(now))
    rows = invitations(world)
    assert all(r.state == OutboxState.FILED for r in rows), [(r.state, r.last_error) for r in rows]
    got = [m.message["Message-ID"] for m in smtp_server.messages[before:]]
    assert sorted(got) == sorted(f"<{r.message_id}>" for r in rows)  # once each, same id
    for n in range(2):
        assert len(world.sent_to(n, "invitation")) == 1
    assert len(world.events()) == 2


def test_550_fails_the_row_and_the_next_digest_says_so(
    tmp_path: Path,
    imap_user: ImapUser,
    smtp_server: SmtpServer,
    dav_user: DavUser,
    certificate: tuple[Path, Path],
) -> None:
    world = SmallWorld.build(tmp_path, imap_user, smtp_server, dav_user, certificate[0], 1)
    cli(world.path, "run", "--once", "--now", iso(TUESDAY))
    before = len(smtp_server.messages)
    imap_user.deliver(world.reply(0))
    smtp_server.collector.responses.append(
        "550 5.1.1 The email account that you tried to reach does not exist"
    )
    cli(world.path, "run", "--once", "--now", iso(TUESDAY + timedelta(minutes=10)))
    (row,) = invitations(world)
    assert row.state == OutboxState.FAILED and "550" in row.last_error
    assert len(smtp_server.messages) == before
    with world.store() as store, store.session() as s:
        ev = s.scalar(select(Event).where(Event.kind == "outbox.failed"))
        assert ev is not None and ev.needs_owner and "550" in ev.summary
    # More passes never resend it; the next morning's digest tells the owner.
    wednesday = TUESDAY + timedelta(days=1)
    for minutes in (30, 60):
        cli(world.path, "run", "--once", "--now", iso(TUESDAY + timedelta(minutes=minutes)))
    cli(world.path, "run", "--once", "--now", iso(wednesday))
    later = smtp_server.messages[before:]
    assert [kind_of(m) for m in later] == ["digest"], [m.message["Subject"] for m in later]
    digest = later[0].message.get_body(("plain",))
    assert digest is not None
    text = digest.get_content()
    assert contact_email(0) in text and "550" in text, text
    assert invitations(world)[0].state == OutboxState.FAILED
