"""A populated store for the digest: every section has something, all times fixed.

Used by the digest tests and by ``scripts/digest_screenshots.py``. The owner is in Berlin and
reads the digest on Tuesday 9 June 2026 at 08:00; the last one went out a day earlier.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from coffeechat.settings import Settings, settings_from_mapping
from coffeechat.store.db import Store
from coffeechat.store.models import (
    ComponentHealth,
    Contact,
    Event,
    Meeting,
    Message,
    OutboxItem,
    Thread,
)

NOW = datetime(2026, 6, 9, 6, 0, tzinfo=UTC)  # 08:00 in Berlin
LAST_DIGEST = NOW - timedelta(days=1)
MEET_LINK = "https://meet.example.com/abc-defg-hij"


def utc(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def demo_settings(**schedule: Any) -> Settings:
    return settings_from_mapping(
        {
            "owner": {
                "name": "Alex Rivera",
                "email": "alex@example.org",
                "timezone": "Europe/Berlin",
            },
            "schedule": {"digest_at": "08:00", "location": MEET_LINK, **schedule},
            "imap": {"host": "imap.example.org", "username": "alex"},
            "smtp": {"host": "smtp.example.org", "username": "alex"},
            "caldav": {"url": "https://dav.example.org/alex/"},
        }
    )


def populate(store: Store, settings: Settings) -> int:
    """Fill the store; returns the account id."""
    with store.session() as s:
        acct = store.account(s, settings.owner.email.lower(), settings.owner.email).id
        mid = iter(range(1, 1000))

        def contact(email: str, name: str, company: str = "", role: str = "", **kw: Any) -> Contact:
            c = Contact(
                account_id=acct,
                email=email,
                name=name,
                company=company,
                role=role,
                created_at=kw.pop("created_at", utc(5, 1)),
                **kw,
            )
            s.add(c)
            s.flush()
            return c

        def thread(c: Contact, state: str, **kw: Any) -> Thread:
            t = Thread(
                account_id=acct,
                contact_id=c.id,
                state=state,
                subject="Coffee chat?",
                employer_key=c.company.lower(),
                **kw,
            )
            s.add(t)
            s.flush()
            return t

        def inbound(c: Contact | None, t: Thread | None, at: datetime, **kw: Any) -> None:
            n = next(mid)
            s.add(
                Message(
                    account_id=acct,
                    thread_id=t.id if t else None,
                    contact_id=c.id if c else None,
                    message_id=f"in{n}@example.com",
                    content_hash=f"h{n}",
                    direction="in",
                    folder="INBOX",
                    from_addr=kw.pop("from_addr", c.email if c else ""),
                    subject="Re: Coffee chat?",
                    received_at=at,
                    sent_at=at,
                    **kw,
                )
            )

        def sent(c: Contact, t: Thread, kind: str, at: datetime, subject: str) -> None:
            n = next(mid)
            s.add(
                OutboxItem(
                    account_id=acct,
                    thread_id=t.id,
                    contact_id=c.id,
                    kind=kind,
                    idempotency_key=f"thread:{t.id}:{kind}:{n}",
                    message_id=f"out{n}@example.org",
                    recipients=[c.email],
                    subject=subject,
                    raw=b"...",
                    state="sent",
                    due_at=at,
                    sent_at=at,
                )
            )

        def meeting(
            c: Contact, t: Thread, start: datetime, status: str = "booked", **kw: Any
        ) -> None:
            s.add(
                Meeting(
                    account_id=acct,
                    thread_id=t.id,
                    contact_id=c.id,
                    caldav_uid=f"uid-{c.id}@coffeechat",
                    start_at=start,
                    end_at=start + timedelta(minutes=30),
                    status=status,
                    **kw,
                )
            )

        # Today 15:00 Berlin (09:00 in New York), by video: met through a talk.
        maya = contact(
            "maya@example.com",
            "Maya Chen",
            "Northwind Labs",
            "Staff Data Engineer",
            how_found="her talk on data contracts at PyCon DE",
            notes="Moved from analytics into platform work in 2021.",
            timezone="America/New_York",
        )
        t = thread(
            maya, "meeting_booked", first_outbound_at=utc(5, 28, 8), last_inbound_at=utc(5, 29, 14)
        )
        meeting(
            maya,
            t,
            utc(6, 9, 13),
            location=MEET_LINK,
            created_at=utc(5, 30, 9),
            notes="Ask about the on-call rotation.",
        )

        # Thursday in a café; booked yesterday, and he suggested Ana.
        jonas = contact(
            "jonas.weber@example.de",
            "Jonas Weber",
            "Fjord Energy",
            "Product Lead",
            how_found="LinkedIn search: climate-tech product leads in Berlin",
            timezone="Europe/Berlin",
        )
        t = thread(
            jonas,
            "meeting_booked",
            first_outbound_at=utc(6, 3, 8),
            last_inbound_at=utc(6, 8, 13, 50),
        )
        meeting(
            jonas,
            t,
            utc(6, 11, 8),
            location="Café Einstein, Unter den Linden 42",
            created_at=utc(6, 8, 13, 52),
        )
        inbound(
            jonas,
            t,
            utc(6, 8, 13, 50),
            intent="accept",
            confidence=0.97,
            action="book_proposed_time",
            referral={"name": "Ana Souza", "email": "ana.souza@example.com"},
        )
        sent(jonas, t, "invitation", utc(6, 8, 13, 52), "Coffee chat on Thursday 11 June")
        contact(
            "ana.souza@example.com",
            "Ana Souza",
            "Fjord Energy",
            "Grid Analyst",
            how_found="suggested by Jonas Weber",
            referred_by_id=jonas.id,
            created_at=utc(6, 8, 13, 55),
        )

        # A question: the owner answers by hand.
        priya = contact(
            "priya@example.net", "Priya Natarajan", "Helio Health", "Engineering Manager"
        )
        t = thread(
            priya, "needs_owner", first_outbound_at=utc(6, 4, 8), last_inbound_at=utc(6, 8, 18, 20)
        )
        inbound(
            priya,
            t,
            utc(6, 8, 18, 20),
            intent="question",
            confidence=0.91,
            action="ask_owner",
            needs_owner=True,
        )
        s.add(
            Event(
                account_id=acct,
                at=utc(6, 8, 18, 21),
                kind="reply_question",
                thread_id=t.id,
                contact_id=priya.id,
                needs_owner=True,
                summary="Priya asks whether a phone call works instead of video, "
                "and what you would like to focus on.",
                next_step="answer in your mail client; coffeechat stays out of this thread",
            )
        )
        # A reply from another address in Maya's thread.
        s.add(
            Event(
                account_id=acct,
                at=utc(6, 8, 20, 5),
                kind="reply_from_other_address",
                contact_id=maya.id,
                needs_owner=True,
                data={"from": "m.chen@northwind.example"},
                summary="m.chen@northwind.example wrote in your thread with Maya Chen; "
                "it may be her work address.",
            )
        )
        # A resolved one must not show.
        s.add(
            Event(
                account_id=acct,
                at=utc(6, 1),
                kind="reply_question",
                contact_id=maya.id,
                needs_owner=True,
                summary="old",
                resolved_at=utc(6, 2),
            )
        )

        # Bounced, flagged.
        tom = contact(
            "tom.becker@example.com",
            "Tom Becker",
            "Lumen Robotics",
            "CTO",
            status="bounced",
            status_reason="550 5.1.1 user unknown",
        )
        t = thread(tom, "bounced", first_outbound_at=utc(6, 8, 9), last_outbound_at=utc(6, 8, 9))
        sent(tom, t, "outreach", utc(6, 8, 9), "Coffee chat?")
        inbound(
            None,
            t,
            utc(6, 8, 9, 1),
            intent="bounce",
            confidence=1.0,
            action="flag_bounce",
            from_addr="MAILER-DAEMON@example.com",
        )

        # Out of office until Monday 15 June.
        sara = contact("sara.lind@example.se", "Sara Lind", "Nordlys Studio", "Design Director")
        t = thread(
            sara,
            "later",
            first_outbound_at=utc(6, 8, 9),
            last_outbound_at=utc(6, 8, 9),
            paused_until=utc(6, 15, 7),
        )
        sent(sara, t, "outreach", utc(6, 8, 9), "Coffee chat?")
        inbound(
            sara,
            t,
            utc(6, 8, 9, 5),
            intent="auto_reply",
            confidence=0.99,
            later_until=date(2026, 6, 15),
            action="postpone_followup",
            auto_submitted=True,
        )

        # Agreed without a time: we offered three.
        hana = contact(
            "hana@example.jp",
            "Hana Sato",
            "Kumo Cloud",
            "Solutions Architect",
            timezone="Asia/Tokyo",
        )
        t = thread(
            hana, "slots_offered", first_outbound_at=utc(6, 5, 8), last_inbound_at=utc(6, 8, 10, 30)
        )
        inbound(hana, t, utc(6, 8, 10, 30), intent="accept", confidence=0.88, action="offer_slots")
        sent(hana, t, "offer_slots", utc(6, 8, 10, 32), "Re: Coffee chat?")

        # Declined kindly.
        emma = contact(
            "emma@example.co.uk", "Emma Brown", "Brightwater", "Head of Data", status="declined"
        )
        t = thread(emma, "declined", first_outbound_at=utc(5, 12, 8))
        inbound(
            emma,
            t,
            utc(6, 8, 16),
            intent="decline",
            confidence=0.95,
            action="stop_followups_and_record_decline",
        )

        # Met yesterday, no notes yet: the thank-you waits.
        daniel = contact(
            "daniel@example.org", "Daniel Okafor", "Kite Analytics", "Data Scientist", status="met"
        )
        t = thread(daniel, "met", first_outbound_at=utc(5, 20, 8))
        meeting(daniel, t, utc(6, 8, 14), status="happened", created_at=utc(5, 29, 9))

        # Waiting; one follow-up due (seven business days passed).
        lena = contact("lena@example.com", "Lena Fischer", "Pixelwerk", "UX Researcher")
        thread(
            lena, "outreach_sent", first_outbound_at=utc(5, 27, 8), last_outbound_at=utc(5, 27, 8)
        )
        for i, day in enumerate((29, 31)):
            w = contact(f"waiting{i}@example.com", f"Waiting {i}", "Acme", "Engineer")
            thread(
                w, "outreach_sent", first_outbound_at=utc(5, day, 8), last_outbound_at=utc(6, 8, 8)
            )
        # Thanked long ago: keep in touch is due.
        rui = contact("rui@example.pt", "Rui Costa", "Mar Azul", "Founder", status="met")
        thread(rui, "thanked", first_outbound_at=utc(1, 10), last_exchange_at=utc(2, 20))
        karl = contact(
            "karl@example.dk",
            "Karl Jensen",
            "Hygge Soft",
            "CEO",
            status="unsubscribed",
            do_not_contact=True,
        )
        thread(karl, "unsubscribed", first_outbound_at=utc(4, 1))
        for i in range(3):
            contact(f"new{i}@example.com", f"New {i}", "Someplace")

        # A digest went out yesterday; the one before it was cancelled (empty day).
        for when, state in ((LAST_DIGEST, "sent"), (LAST_DIGEST - timedelta(days=1), "cancelled")):
            key = f"digest:{acct}:{when.date().isoformat()}"
            s.add(
                OutboxItem(
                    account_id=acct,
                    kind="digest",
                    idempotency_key=key,
                    message_id=f"{key}@example.org",
                    recipients=["alex@example.org"],
                    raw=b"...",
                    state=state,
                    due_at=when,
                    sent_at=when,
                )
            )

        # Health: IMAP fine, SMTP fine, CalDAV refusing the password since 05:12.
        s.add_all(
            [
                ComponentHealth(account_id=acct, component="imap", last_ok_at=utc(6, 9, 5, 58)),
                ComponentHealth(account_id=acct, component="smtp", last_ok_at=utc(6, 8, 13, 52)),
                ComponentHealth(
                    account_id=acct,
                    component="caldav",
                    last_ok_at=utc(6, 9, 3),
                    failing_since=utc(6, 9, 3, 12),
                    last_error="401 Unauthorized from dav.example.org",
                ),
            ]
        )
    return acct
