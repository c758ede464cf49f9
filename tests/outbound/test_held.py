"""Held rows are rendered again with what they were first rendered with (no servers)."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import select

from coffeechat.clock import FixedClock
from coffeechat.domain.compose import make_message_id
from coffeechat.domain.invitations import invitation_parts
from coffeechat.domain.states import OutboxKind, OutboxState, ThreadState
from coffeechat.service import rerender, thread_mail
from coffeechat.store.db import Store
from coffeechat.store.models import OutboxItem, Thread

from .conftest import account_of, add_contact, at, make_settings

ICS = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"


def test_slots_reply_target_and_calendar_parts_survive_the_hold(
    store: Store, tmp_path: Path
) -> None:
    mine = tmp_path / "templates"
    mine.mkdir()
    template = mine / "offer_slots.txt"
    template.write_text("Subject: Times\n\n{% for s in slots %}- {{ s.wen }}\n{% endfor %}")
    settings = make_settings(None, None, None, templates={"dir": str(mine)})
    cid = add_contact(store)
    clock = FixedClock(at(2025, 6, 2, 10))
    parent = make_message_id("dana@example.com")
    slots = [
        (at(2025, 6, 4, 10), at(2025, 6, 4, 10, 30)),
        (at(2025, 6, 5, 14), at(2025, 6, 5, 14, 30)),
    ]
    with store.session() as s:
        thread = Thread(
            account_id=account_of(store),
            contact_id=cid,
            state=ThreadState.OUTREACH_SENT,
            subject="Hi",
        )
        s.add(thread)
        s.flush()
        item = thread_mail.queue_thread_email(
            s,
            settings,
            clock,
            thread=thread,
            kind=OutboxKind.OFFER_SLOTS,
            key=f"thread:{thread.id}:offer_slots:msg:1",
            slots=slots,
            in_reply_to=parent,
            extra_parts=invitation_parts(ICS, "REQUEST"),
        )
        assert item.state == OutboxState.HELD and ".wen" in item.last_error
        item_id, message_id = item.id, item.message_id

    template.write_text("Subject: Times\n\n{% for s in slots %}- {{ s.when }}\n{% endfor %}")
    assert rerender.rerender_held(store, settings, clock) == [(item_id, "queued")]
    with store.session() as s:
        row = s.scalar(select(OutboxItem).where(OutboxItem.id == item_id))
        assert row is not None and row.state == OutboxState.QUEUED
        assert row.message_id == message_id
        msg = email.message_from_bytes(row.raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    assert msg["Message-ID"] == f"<{message_id}>"
    assert msg["In-Reply-To"] == f"<{parent}>"
    body = msg.get_body(("plain",))
    assert body is not None
    listed = [line for line in body.get_content().splitlines() if line.startswith("- ")]
    assert len(listed) == 2
    calendar = [p for p in msg.walk() if p.get_content_type() == "text/calendar"]
    assert len(calendar) == 1 and calendar[0].get_param("method") == "REQUEST"
    assert calendar[0].get_payload(decode=True) == ICS
    attached = [p for p in msg.walk() if p.get_content_type() == "application/ics"]
    assert len(attached) == 1 and attached[0].get_filename() == "invite.ics"
