"""The sender against real aiosmtpd + Dovecot, on SQLite and PostgreSQL, with a test clock."""

from __future__ import annotations

import asyncio
import email
import email.policy
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from coffeechat.clock import FixedClock
from coffeechat.domain.compose import Party, compose, make_message_id
from coffeechat.domain.states import MeetingStatus, OutboxKind, OutboxState, ThreadState
from coffeechat.service import followups, outreach, rerender, schedule, sender
from coffeechat.service.outbox import cancel_pending, enqueue
from coffeechat.service.send_batch import SendReport
from coffeechat.settings import Settings
from coffeechat.store.db import Store
from coffeechat.store.models import ComponentHealth, Event, Meeting, Message, OutboxItem
from servers.dovecot import ImapUser
from servers.smtp import SmtpServer

from .conftest import OWNER, account_of, add_contact, at, make_settings, set_thread, thread_of


def run(store: Store, settings: Settings, clock: FixedClock) -> SendReport:
    schedule.schedule_due(store, settings, clock)
    return asyncio.run(sender.send_due(store, settings, clock, limit=50))


def rows(store: Store, **where: Any) -> list[OutboxItem]:
    with store.session() as s:
        q = select(OutboxItem)
        for k, v in where.items():
            q = q.where(getattr(OutboxItem, k) == v)
        return list(s.scalars(q.order_by(OutboxItem.id)))


def folder_ids(user: ImapUser, folder: str) -> list[str]:
    c = user.client()
    try:
        c.select_folder(folder, readonly=True)
        uids = c.search(["ALL"])
        if not uids:
            return []
        data = c.fetch(uids, ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]", "FLAGS"])
        out = []
        for v in data.values():
            header = v[b"BODY[HEADER.FIELDS (MESSAGE-ID)]"].decode().strip()
            out.append(header.split(":", 1)[1].strip().strip("<>"))
        return out
    finally:
        c.logout()


def start_outreach(store: Store, settings: Settings, clock: FixedClock, **contact: Any) -> int:
    cid = add_contact(store, **contact)
    report = outreach.queue_outreach(
        store, settings, clock, [contact.get("email", "dana@example.com")]
    )
    assert report.queued, report
    return cid


def deliver_reply(store: Store, thread_id: int, when: datetime, **kw: Any) -> None:
    with store.session() as s:
        s.add(
            Message(
                account_id=account_of(store),
                thread_id=thread_id,
                message_id=make_message_id("dana@example.com"),
                content_hash=make_message_id("x"),
                direction="in",
                received_at=when,
                **kw,
            )
        )


# ---------------------------------------------------------------- follow-ups


def test_one_follow_up_after_seven_business_days_pushed_by_a_holiday(
    store: Store, settings: Settings, smtp_server: SmtpServer, imap_user: ImapUser
) -> None:
    clock = FixedClock(at(2025, 6, 30, 10))  # Monday; Friday 4 July is a US holiday
    cid = start_outreach(store, settings, clock)
    clock.advance(timedelta(minutes=20))
    report = run(store, settings, clock)
    assert report.sent == 1 and report.filed == 1
    thread = thread_of(store, cid)
    assert thread.state == ThreadState.OUTREACH_SENT
    sent_at = thread.last_outbound_at
    assert sent_at is not None
    first = smtp_server.messages[0].message

    for day in (7, 8, 9):  # 7 calendar days later, and the day 7 business days would be
        clock.set(at(2025, 7, day, 16, 59))
        run(store, settings, clock)
        assert len(smtp_server.messages) == 1

    clock.set(sent_at + timedelta(days=10))  # Thursday 10 July: 7 business days
    run(store, settings, clock)
    clock.advance(timedelta(minutes=16))  # the spread puts it within a quarter hour
    report = run(store, settings, clock)
    assert report.sent == 1
    assert len(smtp_server.messages) == 2
    follow = smtp_server.messages[1].message
    assert follow["In-Reply-To"] == first["Message-ID"]
    assert first["Message-ID"] in follow["References"]
    assert follow["Subject"] == f"Re: {first['Subject']}"
    assert "> Hi Dana," in follow.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    for h in ("List-Unsubscribe", "Precedence", "Auto-Submitted"):
        assert h not in follow
    assert thread_of(store, cid).followups_sent == 1
    assert len(folder_ids(imap_user, "Sent")) == 2

    for days in (1, 10, 30):  # max_followups = 1: never another
        clock.advance(timedelta(days=days))
        run(store, settings, clock)
    assert len(smtp_server.messages) == 2


def test_no_follow_up_after_a_reply_one_second_before_due(
    store: Store, settings: Settings, smtp_server: SmtpServer
) -> None:
    clock = FixedClock(at(2025, 6, 2, 10))
    cid = start_outreach(store, settings, clock)
    clock.advance(timedelta(minutes=20))
    run(store, settings, clock)
    thread = thread_of(store, cid)
    assert thread.last_outbound_at is not None
    due = thread.last_outbound_at + timedelta(days=9)  # Mon + 7 business days = Wed next week
    deliver_reply(store, thread.id, due - timedelta(seconds=1), intent="question")
    clock.set(due)
    for _ in range(3):
        run(store, settings, clock)
        clock.advance(timedelta(hours=6))
    assert len(smtp_server.messages) == 1
    assert rows(store, kind=OutboxKind.FOLLOWUP) == []


def test_a_reply_between_queueing_and_sending_cancels_the_follow_up(
    store: Store, settings: Settings, smtp_server: SmtpServer
) -> None:
    clock = FixedClock(at(2025, 6, 2, 10))
    cid = start_outreach(store, settings, clock)
    clock.advance(timedelta(minutes=20))
    run(store, settings, clock)
    thread = thread_of(store, cid)
    assert thread.last_outbound_at is not None
    clock.set(thread.last_outbound_at + timedelta(days=9))
    schedule.schedule_due(store, settings, clock)
    (row,) = rows(store, kind=OutboxKind.FOLLOWUP)
    assert row.state == OutboxState.QUEUED
    deliver_reply(store, thread.id, clock.now() + timedelta(seconds=30), intent="decline")
    clock.advance(timedelta(minutes=16))
    report = asyncio.run(sender.send_due(store, settings, clock))
    assert report.cancelled == 1 and report.sent == 0
    assert rows(store, kind=OutboxKind.FOLLOWUP)[0].state == OutboxState.CANCELLED
    assert len(smtp_server.messages) == 1


def test_an_out_of_office_postpones_the_follow_up(
    store: Store, settings: Settings, smtp_server: SmtpServer
) -> None:
    clock = FixedClock(at(2025, 6, 2, 10))
    cid = start_outreach(store, settings, clock)
    clock.advance(timedelta(minutes=20))
    run(store, settings, clock)
    thread = thread_of(store, cid)
    deliver_reply(store, thread.id, at(2025, 6, 2, 11), intent="auto_reply", auto_submitted=True)
    with store.session() as s:
        from coffeechat.store.models import Thread

        t = s.get(Thread, thread.id)
        assert t is not None
        until = followups.postpone_for_auto_reply(
            s, settings, t, at(2025, 6, 2, 11), date(2025, 6, 20)
        )
    assert until == at(2025, 6, 23, 9)  # back Friday 20th: Monday 23rd at the start of the day

    clock.set(at(2025, 6, 11, 12))  # when the follow-up would have been due
    run(store, settings, clock)
    clock.set(at(2025, 6, 20, 16))
    run(store, settings, clock)
    assert len(smtp_server.messages) == 1
    clock.set(until)
    run(store, settings, clock)
    clock.advance(timedelta(minutes=16))
    run(store, settings, clock)
    assert len(smtp_server.messages) == 2
    assert smtp_server.messages[1].message["Subject"].startswith("Re: ")


# ---------------------------------------------------------------- thank-you, keep in touch


def _book(store: Store, cid: int, start: datetime, notes: str = "") -> int:
    thread = thread_of(store, cid)
    set_thread(store, thread.id, state=ThreadState.MEETING_BOOKED)
    with store.session() as s:
        m = Meeting(
            account_id=account_of(store),
            thread_id=thread.id,
            contact_id=cid,
            caldav_uid=f"uid-{cid}-{start.timestamp()}",
            start_at=start,
            end_at=start + timedelta(minutes=30),
            status=MeetingStatus.BOOKED,
            notes=notes,
        )
        s.add(m)
        s.flush()
        return m.id


def test_thank_you_once_two_hours_after_a_30_minute_meeting(
    store: Store, settings: Settings, smtp_server: SmtpServer
) -> None:
    clock = FixedClock(at(2025, 6, 2, 10))
    cid = start_outreach(store, settings, clock)
    clock.advance(timedelta(minutes=20))
    run(store, settings, clock)
    _book(store, cid, at(2025, 6, 4, 10))
    assert (
        rerender.record_notes(
            store,
            "dana@example.com",
            "your advice to contribute to open source first",
            clock,
            settings=settings,
        )
        == "meeting"
    )
    clock.set(at(2025, 6, 4, 12, 29))
    run(store, settings, clock)
    assert len(smtp_server.messages) == 1
    clock.set(at(2025, 6, 4, 12, 30))
    report = run(store, settings, clock)
    assert report.sent == 1
    for _ in range(4):
        clock.advance(timedelta(hours=3))
        run(store, settings, clock)
    assert len(smtp_server.messages) == 2
    ty = smtp_server.messages[1].message
    assert ty["Subject"] == "Thank you, Dana"
    assert "contribute to open source first." in ty.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    (row,) = rows(store, kind=OutboxKind.THANK_YOU)
    assert row.sent_at == at(2025, 6, 4, 12, 30)
    assert thread_of(store, cid).state == ThreadState.THANKED


def test_thank_you_without_notes_goes_to_drafts_and_asks_the_owner(
    store: Store, settings: Settings, smtp_server: SmtpServer, imap_user: ImapUser
) -> None:
    clock = FixedClock(at(2025, 6, 2, 10))
    cid = start_outreach(store, settings, clock)
    clock.advance(timedelta(minutes=20))
    run(store, settings, clock)
    _book(store, cid, at(2025, 6, 4, 15, 30))  # ends 16:00: 18:00 is after hours
    clock.set(at(2025, 6, 4, 18, 0))
    run(store, settings, clock)
    assert rows(store, kind=OutboxKind.THANK_YOU) == []
    clock.set(at(2025, 6, 5, 9, 0))
    report = run(store, settings, clock)
    assert report.drafted == 1 and report.sent == 0
    (row,) = rows(store, kind=OutboxKind.THANK_YOU)
    assert row.state == OutboxState.DRAFTED
    assert row.message_id in folder_ids(imap_user, "Drafts")
    assert len(smtp_server.messages) == 1
    with store.session() as s:
        ev = s.scalar(select(Event).where(Event.kind == "outbox.drafted"))
        assert ev is not None and ev.needs_owner and "no notes" in ev.summary


def test_keep_in_touch_is_drafted_months_later(
    store: Store, settings: Settings, smtp_server: SmtpServer, imap_user: ImapUser
) -> None:
    cid = add_contact(store)
    clock = FixedClock(at(2025, 6, 2, 10))
    outreach.queue_outreach(store, settings, clock, ["dana@example.com"])
    thread = thread_of(store, cid)
    set_thread(store, thread.id, state=ThreadState.THANKED, last_exchange_at=at(2025, 3, 3, 10))
    clock.set(at(2025, 5, 30, 10))  # 88 days
    run(store, settings, clock)
    assert rows(store, kind=OutboxKind.KEEP_IN_TOUCH) == []
    clock.set(at(2025, 6, 3, 10))
    run(store, settings, clock)
    run(store, settings, clock)
    (row,) = rows(store, kind=OutboxKind.KEEP_IN_TOUCH)
    assert row.state == OutboxState.DRAFTED
    assert row.message_id in folder_ids(imap_user, "Drafts")


# ---------------------------------------------------------------- SMTP answers


def _queue_plain(store: Store, clock: FixedClock, n: int = 1) -> list[int]:
    ids = []
    account = account_of(store)
    with store.session() as s:
        for i in range(n):
            mid = make_message_id(OWNER)
            msg = compose(
                sender=Party("Alex", OWNER),
                to=[Party("", f"r{i}@example.com")],
                subject=f"hello {i}",
                text="hi\n",
                date=clock.now(),
                message_id=mid,
            )
            row = enqueue(
                s,
                account_id=account,
                kind=OutboxKind.OFFER_SLOTS,
                key=f"test:{i}",
                message=msg,
                recipients=[f"r{i}@example.com"],
                due_at=clock.now(),
                message_id=mid,
            )
            ids.append(row.id)
    return ids


def test_enqueue_is_idempotent_on_its_key(store: Store) -> None:
    clock = FixedClock(at(2025, 6, 2, 10))
    (first,) = _queue_plain(store, clock)
    (again,) = _queue_plain(store, clock)
    assert first == again
    assert len(rows(store)) == 1


def test_4xx_then_success_delivers_once_under_the_same_message_id(
    store: Store, settings: Settings, smtp_server: SmtpServer
) -> None:
    clock = FixedClock(at(2025, 6, 2, 10))
    _queue_plain(store, clock)
    smtp_server.collector.responses.append("451 4.3.0 Try again later")
    report = asyncio.run(sender.send_due(store, settings, clock))
    assert report.retried == 1 and not smtp_server.messages
    (row,) = rows(store)
    assert row.state == OutboxState.QUEUED and row.attempts == 1 and "451" in row.last_error
    assert row.due_at > clock.now()
    assert asyncio.run(sender.send_due(store, settings, clock)).sent == 0  # not yet
    clock.set(row.due_at)
    assert asyncio.run(sender.send_due(store, settings, clock)).sent == 1
    assert len(smtp_server.messages) == 1
    assert smtp_server.messages[0].message["Message-ID"] == f"<{row.message_id}>"


def test_5xx_fails_the_row_and_tells_the_digest(
    store: Store, settings: Settings, smtp_server: SmtpServer
) -> None:
    clock = FixedClock(at(2025, 6, 2, 10))
    _queue_plain(store, clock, 2)
    smtp_server.collector.responses.append("554 5.6.0 Message rejected")
    report = asyncio.run(sender.send_due(store, settings, clock))
    assert report.failed == 1 and report.sent == 1
    states = sorted(r.state for r in rows(store))
    assert states == [OutboxState.FAILED, OutboxState.FILED]
    with store.session() as s:
        ev = s.scalar(select(Event).where(Event.kind == "outbox.failed"))
        assert ev is not None and ev.needs_owner and "554" in ev.summary


def test_quota_pauses_sending_until_the_next_day(
    store: Store, settings: Settings, smtp_server: SmtpServer
) -> None:
    clock = FixedClock(at(2025, 6, 2, 10))
    _queue_plain(store, clock, 3)
    smtp_server.collector.responses.append("550 5.4.5 Daily user sending quota exceeded")
    report = asyncio.run(sender.send_due(store, settings, clock))
    assert report.paused_until == at(2025, 6, 3, 0)
    assert report.sent == 0 and not smtp_server.messages
    clock.advance(timedelta(hours=5))
    assert asyncio.run(sender.send_due(store, settings, clock)).sent == 0
    with store.session() as s:
        h = s.scalar(select(ComponentHealth).where(ComponentHealth.component == "smtp"))
        assert h is not None and h.paused_until == at(2025, 6, 3, 0)
        assert s.scalar(select(Event).where(Event.kind == "sender.paused", Event.needs_owner))
    clock.set(at(2025, 6, 3, 9))
    assert asyncio.run(sender.send_due(store, settings, clock)).sent == 3
    assert len(smtp_server.messages) == 3


def test_auth_failure_pauses_and_says_why(
    store: Store, smtp_server: SmtpServer, imap_user: ImapUser, certificate: tuple[Path, Path]
) -> None:
    bad = make_settings(smtp_server, imap_user, certificate[0], smtp={"password": "wrong"})
    clock = FixedClock(at(2025, 6, 2, 10))
    _queue_plain(store, clock)
    report = asyncio.run(sender.send_due(store, bad, clock))
    assert report.paused_until is not None and "login refused" in report.paused_reason
    assert rows(store)[0].state == OutboxState.QUEUED
    # a restart (recover) with the fixed password lifts the pause
    good = make_settings(smtp_server, imap_user, certificate[0])
    sender.recover(store, good, clock)
    assert asyncio.run(sender.send_due(store, good, clock)).sent == 1


def test_drafts_mode_sends_nothing_and_fills_drafts(
    store: Store, smtp_server: SmtpServer, imap_user: ImapUser, certificate: tuple[Path, Path]
) -> None:
    settings = make_settings(smtp_server, imap_user, certificate[0], sending={"mode": "drafts"})
    clock = FixedClock(at(2025, 6, 2, 10))
    ids = _queue_plain(store, clock, 3)
    report = asyncio.run(sender.send_due(store, settings, clock))
    assert report.drafted == 3 and report.sent == 0
    assert smtp_server.messages == []
    drafts = folder_ids(imap_user, "Drafts")
    assert sorted(drafts) == sorted(r.message_id for r in rows(store))
    assert folder_ids(imap_user, "Sent") == []
    assert {r.state for r in rows(store)} == {OutboxState.DRAFTED}
    assert asyncio.run(sender.send_due(store, settings, clock)).drafted == 0
    assert len(folder_ids(imap_user, "Drafts")) == len(ids)


def test_sending_only_inside_the_recipients_working_hours(
    store: Store, settings: Settings, smtp_server: SmtpServer
) -> None:
    kenji = add_contact(store, "kenji@example.jp", name="Kenji Sato", timezone="Asia/Tokyo")
    clock = FixedClock(at(2025, 6, 2, 10))  # 23:00 in Tokyo
    outreach.queue_outreach(store, settings, clock, ["kenji@example.jp"])
    (row,) = rows(store)
    assert at(2025, 6, 2, 20) <= row.due_at < at(2025, 6, 2, 20, 16)  # 09:00 Tokyo + spread
    # a reply-type email queued for now waits in the sender for their morning too
    with store.session() as s:
        mid = make_message_id(OWNER)
        msg = compose(
            sender=Party("Alex", OWNER),
            to=[Party("Kenji", "kenji@example.jp")],
            subject="Re: times",
            text="hi",
            date=clock.now(),
            message_id=mid,
        )
        enqueue(
            s,
            account_id=account_of(store),
            kind=OutboxKind.OFFER_SLOTS,
            key="slots:1",
            message=msg,
            recipients=["kenji@example.jp"],
            due_at=clock.now(),
            message_id=mid,
            contact_id=kenji,
        )
    report = asyncio.run(sender.send_due(store, settings, clock))
    assert report.deferred == 1 and not smtp_server.messages
    (slots,) = rows(store, kind=OutboxKind.OFFER_SLOTS)
    assert slots.due_at == at(2025, 6, 2, 20)
    clock.set(at(2025, 6, 2, 20, 16))
    assert run(store, settings, clock).sent == 2


def test_unsubscribed_contacts_are_refused_without_force(
    store: Store, settings: Settings, smtp_server: SmtpServer
) -> None:
    add_contact(store, status="unsubscribed")
    clock = FixedClock(at(2025, 6, 2, 10))
    report = outreach.queue_outreach(store, settings, clock, ["dana@example.com"])
    assert report.queued == [] and "--force" in report.refused[0]
    report = outreach.queue_outreach(store, settings, clock, ["dana@example.com"], force=True)
    assert report.queued == ["dana@example.com"]


def test_a_template_error_holds_the_email_naming_the_field(
    store: Store,
    smtp_server: SmtpServer,
    imap_user: ImapUser,
    certificate: tuple[Path, Path],
    tmp_path: Path,
) -> None:
    mine = tmp_path / "templates"
    mine.mkdir()
    (mine / "outreach.txt").write_text("Subject: Hi\n\nHi {{ contact.nmae }}\n")
    settings = make_settings(smtp_server, imap_user, certificate[0], templates={"dir": str(mine)})
    add_contact(store)
    clock = FixedClock(at(2025, 6, 2, 10))
    report = outreach.queue_outreach(store, settings, clock, ["dana@example.com"])
    assert "contact.nmae" in report.refused[0]
    (row,) = rows(store)
    assert row.state == OutboxState.HELD and "contact.nmae" in row.last_error
    assert asyncio.run(sender.send_due(store, settings, clock)).sent == 0
    with store.session() as s:
        ev = s.scalar(select(Event).where(Event.kind == "outbox.held"))
        assert ev is not None and ev.needs_owner and "outreach" in ev.summary


def test_a_held_email_is_rerendered_after_the_template_is_fixed_and_sent_once(
    store: Store,
    smtp_server: SmtpServer,
    imap_user: ImapUser,
    certificate: tuple[Path, Path],
    tmp_path: Path,
) -> None:
    mine = tmp_path / "templates"
    mine.mkdir()
    template = mine / "outreach.txt"
    template.write_text("Subject: Hi\n\nHi {{ contact.nmae }}\n")
    settings = make_settings(smtp_server, imap_user, certificate[0], templates={"dir": str(mine)})
    cid = add_contact(store)
    clock = FixedClock(at(2025, 6, 2, 10))
    outreach.queue_outreach(store, settings, clock, ["dana@example.com"])
    (held,) = rows(store)
    assert held.state == OutboxState.HELD and "contact.nmae" in held.last_error
    with store.session() as s:  # a hold that is not a template error stays the owner's
        other = enqueue(
            s,
            account_id=account_of(store),
            kind=OutboxKind.FOLLOWUP,
            key="manual:1",
            message=b"",
            recipients=["dana@example.com"],
            due_at=clock.now(),
            message_id=make_message_id(OWNER),
            thread_id=thread_of(store, cid).id,
            held_reason="the owner wants to read it first",
        )
        s.flush()
        s.expunge(other)
    assert rerender.rerender_held(store, settings, clock) == []  # still broken: no news

    template.write_text("Subject: Hi\n\nHi {{ contact.nmea }}\n")  # another typo
    clock.advance(timedelta(minutes=1))
    ((row_id, reason),) = rerender.rerender_held(store, settings, clock)
    assert row_id == held.id and "contact.nmea" in reason
    (row,) = rows(store, id=held.id)
    assert row.state == OutboxState.HELD and "contact.nmea" in row.last_error
    assert rerender.rerender_held(store, settings, clock) == []  # asked once per reason
    with store.session() as s:
        asks = s.scalars(
            select(Event).where(Event.kind == "outbox.held", Event.resolved_at.is_(None))
        ).all()
        assert [e.data["outbox_id"] for e in asks] == [held.id]  # only the newest ask is open
        assert "contact.nmea" in asks[0].summary

    template.write_text("Subject: Hi {{ contact.first_name }}\n\nHi {{ contact.name }}\n")
    assert rerender.rerender_held(store, settings, clock) == [(held.id, "queued")]
    (row,) = rows(store, id=held.id)
    assert row.state == OutboxState.QUEUED and row.last_error == ""
    assert row.idempotency_key == held.idempotency_key and row.message_id == held.message_id
    assert row.due_at == held.due_at and row.subject == "Hi Dana"
    assert b"Hi Dana Sample" in row.raw
    (untouched,) = rows(store, id=other.id)
    assert untouched.state == OutboxState.HELD and untouched.raw == other.raw
    assert rerender.rerender_held(store, settings, clock) == []

    clock.advance(timedelta(minutes=20))
    assert run(store, settings, clock).sent == 1
    for _ in range(3):
        clock.advance(timedelta(hours=1))
        run(store, settings, clock)
        rerender.rerender_held(store, settings, clock)
    assert len(smtp_server.messages) == 1
    sent_msg = smtp_server.messages[0].message
    assert sent_msg["Message-ID"] == f"<{held.message_id}>"
    assert sent_msg["Subject"] == "Hi Dana"
    assert "Hi Dana Sample" in sent_msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert smtp_server.messages[0].rcpt_tos == ["dana@example.com"]
    assert rows(store, id=other.id)[0].state == OutboxState.HELD


def test_3b7_one_person_at_a_time_and_stop_when_one_agrees(
    store: Store, smtp_server: SmtpServer, imap_user: ImapUser, certificate: tuple[Path, Path]
) -> None:
    settings = make_settings(smtp_server, imap_user, certificate[0], schedule={"cadence": "3b7"})
    a = add_contact(store, "a@corp.com", name="Ann A", company="Corp")
    b = add_contact(store, "b@corp.com", name="Ben B", company="Corp")
    c = add_contact(store, "c@corp.com", name="Cat C", company="Corp")
    clock = FixedClock(at(2025, 6, 2, 10))  # Monday
    report = outreach.queue_outreach(
        store, settings, clock, ["a@corp.com", "b@corp.com", "c@corp.com"]
    )
    assert report.queued == ["a@corp.com"] and sorted(report.waiting) == [
        "b@corp.com",
        "c@corp.com",
    ]
    clock.advance(timedelta(minutes=16))
    run(store, settings, clock)
    assert [m.rcpt_tos for m in smtp_server.messages] == [["a@corp.com"]]
    clock.set(at(2025, 6, 4, 16))  # only 2 business days
    run(store, settings, clock)
    assert len(smtp_server.messages) == 1
    clock.set(at(2025, 6, 5, 10, 30))  # 3 business days: Ben's turn
    run(store, settings, clock)
    clock.advance(timedelta(minutes=16))
    run(store, settings, clock)
    assert [m.rcpt_tos[0] for m in smtp_server.messages] == ["a@corp.com", "b@corp.com"]
    # Ben agrees: Cat is never written to, Ann gets no follow-up
    set_thread(store, thread_of(store, b).id, state=ThreadState.SLOTS_OFFERED)
    for day in (10, 12, 20):
        clock.set(at(2025, 6, day, 11))
        run(store, settings, clock)
    assert [m.rcpt_tos[0] for m in smtp_server.messages] == ["a@corp.com", "b@corp.com"]
    assert thread_of(store, c).state == ThreadState.NEW
    assert thread_of(store, a).followups_sent == 0


def test_3b7_follow_up_only_to_the_first_person_and_an_agreement_cancels_the_rest(
    store: Store, smtp_server: SmtpServer, imap_user: ImapUser, certificate: tuple[Path, Path]
) -> None:
    settings = make_settings(smtp_server, imap_user, certificate[0], schedule={"cadence": "3b7"})
    a = add_contact(store, "a@corp.com", name="Ann A", company="Corp")
    b = add_contact(store, "b@corp.com", name="Ben B", company="Corp")
    c = add_contact(store, "c@corp.com", name="Cat C", company="Corp")
    clock = FixedClock(at(2025, 6, 2, 10))  # Monday = business day 0
    report = outreach.queue_outreach(
        store, settings, clock, ["a@corp.com", "b@corp.com", "c@corp.com"]
    )
    assert report.queued == ["a@corp.com"]
    business_day = {date(2025, 6, 2) + timedelta(days=n): n for n in (0, 1, 2, 3, 4)}
    business_day |= {date(2025, 6, 9) + timedelta(days=n): 5 + n for n in (0, 1, 2, 3, 4)}
    went: list[tuple[int | None, str, str]] = []
    for day in range(2, 31):  # every day of June from Monday the 2nd, several times a day
        for hour, minute in ((10, 16), (10, 30), (10, 50), (16, 30)):
            clock.set(at(2025, 6, day, hour, minute))
            before = len(smtp_server.messages)
            run(store, settings, clock)
            for m in smtp_server.messages[before:]:
                kind = "followup" if m.message["In-Reply-To"] else "outreach"
                went.append((business_day.get(date(2025, 6, day)), kind, m.rcpt_tos[0]))
    assert went == [
        (0, "outreach", "a@corp.com"),
        (3, "outreach", "b@corp.com"),
        (6, "outreach", "c@corp.com"),
        (7, "followup", "a@corp.com"),  # the only follow-up: none to Ben or Cat
    ]
    assert [thread_of(store, x).followups_sent for x in (a, b, c)] == [1, 0, 0]
    follow = smtp_server.messages[3].message
    assert follow["In-Reply-To"] == smtp_server.messages[0].message["Message-ID"]

    # Dan joins; his outreach is queued at once (Cat's 3 business days are long over)...
    d = add_contact(store, "d@corp.com", name="Dan D", company="Corp")
    clock.set(at(2025, 7, 1, 10))
    assert outreach.queue_outreach(store, settings, clock, ["d@corp.com"]).queued == ["d@corp.com"]
    assert [r.state for r in rows(store, thread_id=thread_of(store, d).id)] == [OutboxState.QUEUED]
    # ...but Ben agrees before it goes: everything pending at Corp is cancelled
    set_thread(store, thread_of(store, b).id, state=ThreadState.SLOTS_OFFERED)
    for day in (1, 2, 10, 31):
        clock.set(at(2025, 7, day, 11))
        run(store, settings, clock)
    assert len(smtp_server.messages) == 4
    pending = [str(x) for x in (OutboxState.QUEUED, OutboxState.HELD, OutboxState.CLAIMED)]
    assert [r for r in rows(store) if r.state in pending] == []
    (dan_row,) = rows(store, thread_id=thread_of(store, d).id)
    assert dan_row.state == OutboxState.CANCELLED and "agreed" in dan_row.last_error
    assert thread_of(store, d).state == ThreadState.NEW


def test_cancel_pending_by_employer(store: Store, settings: Settings) -> None:
    clock = FixedClock(at(2025, 6, 2, 10))
    a = add_contact(store, "a@corp.com", company="Corp")
    add_contact(store, "b@corp.com", company="Corp")
    outreach.queue_outreach(store, settings, clock, ["a@corp.com", "b@corp.com"])
    with store.session() as s:
        n = cancel_pending(s, employer_key="Corp", except_thread_id=thread_of(store, a).id)
    assert n == 1
    assert sorted(r.state for r in rows(store)) == [OutboxState.CANCELLED, OutboxState.QUEUED]


# ---------------------------------------------------------------- recovery


def test_recovery_marks_an_unprovable_sending_row_unknown_and_a_filed_one_sent(
    store: Store, settings: Settings, smtp_server: SmtpServer, imap_user: ImapUser
) -> None:
    clock = FixedClock(at(2025, 6, 2, 10))
    ids = _queue_plain(store, clock, 3)
    with store.session() as s:
        for i in ids[:2]:
            row = s.get(OutboxItem, i)
            assert row is not None
            row.state = OutboxState.SENDING
            row.lease_owner = "dead"
        claimed = s.get(OutboxItem, ids[2])
        assert claimed is not None
        claimed.state, claimed.lease_owner = OutboxState.CLAIMED, "dead"
        claimed.lease_until = clock.now() + timedelta(minutes=10)
        proven = s.get(OutboxItem, ids[1])
        assert proven is not None
        imap_user.append("Sent", proven.raw, flags=("\\Seen",))
    report = sender.recover(store, settings, clock)
    assert (report.requeued, report.proven_sent, report.unknown) == (1, 1, 1)
    states = [r.state for r in rows(store)]
    assert states == [OutboxState.UNKNOWN, OutboxState.FILED, OutboxState.QUEUED]
    assert asyncio.run(sender.send_due(store, settings, clock)).sent == 1
    assert len(smtp_server.messages) == 1  # the unknown one is never resent
    with store.session() as s:
        ev = s.scalar(select(Event).where(Event.kind == "outbox.unknown"))
        assert ev is not None and ev.needs_owner


def test_sent_mail_is_filed_once_even_if_already_there(
    store: Store, settings: Settings, imap_user: ImapUser
) -> None:
    clock = FixedClock(at(2025, 6, 2, 10))
    _queue_plain(store, clock, 2)
    assert asyncio.run(sender.send_due(store, settings, clock)).filed == 2
    sent = folder_ids(imap_user, "Sent")
    assert sorted(sent) == sorted(r.message_id for r in rows(store))
    parsed = email.message_from_bytes(rows(store)[0].raw, policy=email.policy.default)
    assert parsed["Date"]
