"""The digest rendered from a populated store: every section says the right thing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage

import pytest
from digest_seed import MEET_LINK, NOW, demo_settings, populate

from coffeechat.domain.digest import DigestData, NeedKind
from coffeechat.domain.html_check import check_email_html
from coffeechat.service.digest import (
    RenderedDigest,
    allowed_links,
    build_digest_message,
    gather,
    render_digest,
)
from coffeechat.store.db import Store


@pytest.fixture
def populated(store_url: str) -> Iterator[tuple[Store, int]]:
    store = Store(store_url)
    yield store, populate(store, demo_settings())
    store.close()


@pytest.fixture
def data(populated: tuple[Store, int]) -> DigestData:
    store, account_id = populated
    return gather(store, account_id, demo_settings(), NOW)


@pytest.fixture
def rendered(data: DigestData) -> RenderedDigest:
    return render_digest(data, demo_settings())


def section(text: str, heading: str) -> str:
    """The plain text from one heading to the next."""
    m = re.search(rf"^{re.escape(heading)}.*?\n=+\n(.*?)(?=\n\n\n[A-Z]|\Z)", text, re.S | re.M)
    assert m, f"no section {heading!r} in:\n{text}"
    return m.group(1)


def test_needs_you_names_the_contact_and_the_exact_next_step(
    data: DigestData, rendered: RenderedDigest
) -> None:
    kinds = [n.kind for n in data.needs_you]
    assert kinds == [
        NeedKind.QUESTION,
        NeedKind.OTHER_ADDRESS,
        NeedKind.THANK_YOU_NOTES,
        NeedKind.BOUNCED,
        NeedKind.AUTH,
    ]
    text = section(rendered.text, "NEEDS YOU (5)")
    assert "Priya Natarajan, Engineering Manager at Helio Health <priya@example.net>" in text
    assert "Next: answer in your mail client" in text
    # The thank-you waits for notes: the exact command, on one line, ready to paste.
    assert re.search(
        r"Daniel Okafor.*\n.*met Daniel Okafor on Mon 8 Jun.*\n(.*\n)*?"
        r'  Next: coffeechat notes daniel@example\.org "[^"\n]+"\n',
        text,
    )
    assert "550 5.1.1 user unknown" in text
    assert 'coffeechat contacts add --email NEW --name "Tom Becker"' in text
    assert "CalDAV read failing since today 05:12: 401 Unauthorized" in text
    assert "check the [caldav] password" in text
    assert "coffeechat check" in text
    # Resolved events stay out.
    assert "old" not in [n.summary for n in data.needs_you]


def test_meetings_show_both_zones_place_background_and_three_prompts(
    data: DigestData, rendered: RenderedDigest
) -> None:
    assert [m.person.name for m in data.meetings] == ["Maya Chen", "Jonas Weber"]
    maya = data.meetings[0]
    assert len(maya.prompts) == 3
    assert [p.split(":")[0] for p in maya.prompts] == ["Their path", "The industry", "The company"]
    assert "her talk on data contracts at PyCon DE" in maya.prompts[0]
    assert "Staff Data Engineer" in maya.prompts[0]
    assert "Northwind Labs" in maya.prompts[2]
    assert "salary" in maya.prompts[2]  # the guides: leave salary and openings out

    text = section(rendered.text, "TODAY AND THE NEXT 7 DAYS")
    assert "* Today 15:00-15:30 CEST (09:00 EDT for them, America/New_York)" in text
    assert "Maya Chen, Staff Data Engineer at Northwind Labs <maya@example.com>" in text
    assert f"Where: {MEET_LINK}" in text
    assert "How you found them: her talk on data contracts at PyCon DE" in text
    assert "Ask about the on-call rotation." in text  # notes so far
    assert re.search(
        r"    1\. Their path.*\n(.*\n)*?    2\. The industry.*\n(.*\n)*?    3\. ", text
    )
    # Same zone as the owner: no second time.
    assert "* Thu 11 Jun 10:00-10:30 CEST\n" in text
    assert "Where: Café Einstein, Unter den Linden 42" in text
    # A meeting that already happened is not "ahead".
    assert "Daniel" not in text


def test_since_last_lists_what_was_done(data: DigestData, rendered: RenderedDigest) -> None:
    since = data.since_last
    assert since.since == NOW - timedelta(days=1)  # the last digest sent, not the cancelled one
    text = section(rendered.text, "SINCE THE LAST DIGEST (yesterday 08:00)")
    assert "* Jonas Weber, yesterday 15:50\n  Meeting booked, invitation sent" in text
    assert "* Hana Sato, yesterday 12:30\n  Offered times" in text
    assert (
        "* Sara Lind, yesterday 11:05\n  Out of office until Mon 15 Jun; follow-up postponed"
        in text
    )
    # The bounce came from the mailer daemon; the digest names the contact.
    assert "* Tom Becker, yesterday 11:01\n  Address flagged as bounced" in text
    assert "* Emma Brown, yesterday 18:00\n  Declined; follow-ups stopped" in text
    assert "Sent (4): outreach 2, times offered 1, invitation 1" in text
    assert "* Invitation to Jonas Weber, yesterday 15:52" in text
    assert "Referrals captured (1):" in text
    assert "* Ana Souza <ana.souza@example.com>, suggested by Jonas Weber" in text


def test_pipeline_counts_by_state_and_week_over_week(
    data: DigestData, rendered: RenderedDigest
) -> None:
    counts = {s.key: s.count for s in data.pipeline}
    assert counts == {
        "to_contact": 4,  # three never written to, plus Ana (referred, no thread yet)
        "waiting": 4,  # Sara (out of office), Hana (times offered), two recent outreaches
        "followup_due": 1,  # Lena: seven business days since 27 May
        "booked": 2,
        "met": 1,
        "thanked": 0,
        "keep_in_touch_due": 1,  # Rui: thanked in February
        "declined": 1,
        "unsubscribed": 1,
        "needs_you": 1,
        "bounced": 1,
    }
    this, last = data.weeks.this_week, data.weeks.last_week
    assert (this.outreach_sent, this.replied, this.meetings_booked) == (5, 3, 1)
    assert (last.outreach_sent, last.replied, last.meetings_booked) == (4, 1, 2)
    text = section(rendered.text, "PIPELINE")
    assert re.search(r"To contact\s+4\s+#+", text)
    assert re.search(r"Follow-up due\s+1\s+#+", text)
    assert re.search(r"Reply rate\s+60%\s+25%\s+up", text)
    assert re.search(r"Meetings booked\s+1\s+2\s+down", text)


def test_health_shows_last_success_and_failing_since(rendered: RenderedDigest) -> None:
    text = section(rendered.text, "HEALTH")
    assert re.search(r"IMAP sync\s+ok, last success today 07:58", text)
    assert re.search(r"SMTP send\s+ok, last success yesterday 15:52", text)
    assert re.search(r"CalDAV read\s+FAILING since today 05:12; last success today 05:00", text)
    assert "401 Unauthorized from dav.example.org" in text


def test_plain_text_reads_on_its_own(rendered: RenderedDigest) -> None:
    text = rendered.text
    without_addresses = re.sub(r"<[^<>@\s]+@[^<>\s]+>", "", text)  # <maya@example.com> is fine
    assert not re.search(r"</?[a-zA-Z][^>]*>", without_addresses)
    assert "&amp;" not in text and "&#" not in text
    assert text.index("NEEDS YOU") < text.index("TODAY AND THE NEXT") < text.index("SINCE THE")
    assert text.index("SINCE THE") < text.index("PIPELINE") < text.index("HEALTH")
    prose = [ln for ln in text.splitlines() if "coffeechat notes" not in ln]
    assert max(len(ln) for ln in prose) <= 80


def test_html_has_every_section_and_passes_the_mail_client_check(
    data: DigestData, rendered: RenderedDigest
) -> None:
    html = rendered.html
    assert check_email_html(html, allowed_links(data)) == []
    for heading in (
        "Needs you",
        "Today and the next 7 days",
        "Since the last digest",
        "Pipeline",
        "This week against last week",
        "Health",
    ):
        assert heading in html
    assert f'<a href="{MEET_LINK}"' in html
    assert 'href="mailto:priya@example.net"' in html
    assert "coffeechat notes daniel@example.org" in html
    assert "Failing since <strong>today 05:12</strong>" in html
    assert "Café Einstein" in html
    # The chart: table cells with a width and a background colour, no images.
    assert re.search(r'<table role="presentation" width="\d+%"[^>]*><tr><td class="cc-bar"', html)
    assert "<img" not in html and "<svg" not in html


def test_message_is_multipart_alternative_from_and_to_the_owner(data: DigestData) -> None:
    msg = build_digest_message(data, demo_settings(), NOW)
    assert isinstance(msg, EmailMessage)
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["From"] == msg["To"] == "Alex Rivera <alex@example.org>"
    assert msg["Subject"] == "coffeechat: 5 need you, 1 meeting today, CalDAV read failing"
    assert msg["Message-ID"].endswith("@example.org>")
    plain = msg.get_body(("plain",))
    assert plain is not None and "NEEDS YOU (5)" in plain.get_content()
