"""One ``send_due`` call's batch: a lazily opened SMTP connection, each row's fate, the report.

For each claimed row the batch decides in one transaction whether to cancel, defer, draft or
send it, then speaks SMTP and sorts the server's answer: sent, retried later with the same
bytes, failed, unknown (never resent by itself), or a pause for the whole account. Rows to
draft are APPENDed to Drafts together at the end, in one IMAP session.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import select

from coffeechat.adapters.imap.connection import ImapError
from coffeechat.adapters.imap.filing import file_copies
from coffeechat.adapters.smtp import (
    SmtpAuthError,
    SmtpConnection,
    SmtpError,
    SmtpOutcomeUnknown,
    SmtpPermanent,
    SmtpQuota,
    SmtpTemporary,
)
from coffeechat.clock import Clock
from coffeechat.domain import cadence
from coffeechat.domain.states import ContactStatus, OutboxKind, OutboxState
from coffeechat.service.events import record_event
from coffeechat.service.outbox_rows import after_sent, release, transition, unknown_event
from coffeechat.service.send_health import AUTH_PAUSE, mark_failing, pause
from coffeechat.service.send_rules import draft_reason, stop_reason
from coffeechat.settings import Settings
from coffeechat.store.db import Store
from coffeechat.store.models import Contact, OutboxItem, Thread

log = structlog.get_logger(__name__)

MAX_ATTEMPTS = 12
#: Kinds the cadence sends on its own; the rest answer a person and go promptly.
CADENCE_KINDS = frozenset(
    {
        OutboxKind.OUTREACH,
        OutboxKind.REFERRAL_OUTREACH,
        OutboxKind.FOLLOWUP,
        OutboxKind.THANK_YOU,
        OutboxKind.KEEP_IN_TOUCH,
    }
)


@dataclass
class SendReport:
    """What one ``send_due`` call did; ``paused_until`` is set when sending is paused."""

    claimed: int = 0
    sent: int = 0
    filed: int = 0
    drafted: int = 0
    retried: int = 0
    failed: int = 0
    unknown: int = 0
    cancelled: int = 0
    deferred: int = 0
    held: int = 0
    paused_until: datetime | None = None
    paused_reason: str = ""
    errors: list[str] = field(default_factory=list)


class Batch:
    """One ``send_due`` call: a lazily opened SMTP connection and the report."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        clock: Clock,
        account_id: int,
        worker: str,
        rand: Callable[[], float],
    ) -> None:
        self.store, self.settings, self.clock = store, settings, clock
        self.account_id, self.worker, self.rand = account_id, worker, rand
        self.report = SendReport()
        self.conn: SmtpConnection | None = None
        self.stop_sending = False
        self.owner_cal = cadence.WorkCalendar.from_settings(settings.schedule, settings.owner.zone)
        self.to_draft: list[int] = []
        self._recent_sends: list[datetime | None] | None = None  # sent_at, see _sent_last_hour

    async def connection(self) -> SmtpConnection:
        if self.conn is not None and self.conn.is_open:
            return self.conn
        if self.settings.smtp is None:
            raise SmtpAuthError("no [smtp] settings: nothing can be sent")
        self.conn = SmtpConnection(self.settings.smtp)
        await self.conn.open()
        return self.conn

    async def close(self) -> None:
        if self.conn is not None:
            await self.conn.close()

    def _sent_last_hour(self, now: datetime) -> int:
        """Rows sent in the hour before ``now``: read once per batch, then counted here (the
        batch adds what it sends; one sender per account, the daemon holds the lock)."""
        if self._recent_sends is None:
            with self.store.session() as s:
                self._recent_sends = list(
                    s.scalars(
                        select(OutboxItem.sent_at).where(
                            OutboxItem.account_id == self.account_id,
                            OutboxItem.sent_at > now - timedelta(hours=1),
                        )
                    )
                )
        hour_ago = now - timedelta(hours=1)
        return sum(1 for t in self._recent_sends if t is not None and t > hour_ago)

    def prepare(self, item_id: int) -> tuple[str, OutboxItem | None]:
        """Decide in one transaction: cancel, defer, draft or send."""
        now = self.clock.now()
        with self.store.session() as s:
            # One query loads the row with its contact and thread; the checks below find
            # them in the session instead of asking again.
            loaded = s.execute(
                select(OutboxItem, Contact, Thread)
                .outerjoin(Contact, Contact.id == OutboxItem.contact_id)
                .outerjoin(Thread, Thread.id == OutboxItem.thread_id)
                .where(OutboxItem.id == item_id)
            ).first()
            item = loaded[0] if loaded is not None else None
            if item is None or item.state != OutboxState.CLAIMED or item.lease_owner != self.worker:
                return "gone", None
            reason = stop_reason(s, item, self.settings)
            if reason:
                transition(
                    s,
                    item.id,
                    self.worker,
                    OutboxState.CLAIMED,
                    state=OutboxState.CANCELLED,
                    last_error=f"not sent: {reason}",
                    lease_owner=None,
                    lease_until=None,
                )
                record_event(
                    s,
                    account_id=item.account_id,
                    at=now,
                    kind="outbox.cancelled",
                    summary=f"The {item.kind} to {', '.join(item.recipients)} was not sent: "
                    f"{reason}",
                    thread_id=item.thread_id,
                    contact_id=item.contact_id,
                    data={"outbox_id": item.id},
                )
                log.info("sender.cancelled", outbox_id=item.id, kind=item.kind, reason=reason)
                return "cancelled", None
            thread = s.get(Thread, item.thread_id) if item.thread_id else None
            if (
                item.kind == OutboxKind.FOLLOWUP
                and thread is not None
                and thread.paused_until is not None
                and thread.paused_until > now
            ):  # an out-of-office arrived after this was queued: wait, same row
                release(s, item.id, self.worker, due_at=thread.paused_until)
                return "deferred", None
            if draft_reason(s, self.settings, item):
                return "draft", item
            if self.stop_sending:
                release(s, item.id, self.worker)
                return "deferred", None
            if item.kind != OutboxKind.DIGEST:
                contact = s.get(Contact, item.contact_id) if item.contact_id else None
                zone = cadence.zone_or(contact.timezone if contact else None, self.owner_cal.zone)
                cal = self.owner_cal.for_zone(zone)
                if not cal.is_open(now):
                    opens = cal.next_open(now)
                    if item.kind in CADENCE_KINDS:
                        opens += cadence.spread_offset(
                            item.idempotency_key,
                            cadence.spread_span(self.settings.sending.max_per_hour),
                        )
                    release(s, item.id, self.worker, due_at=opens)
                    return "deferred", None
            return "send", item

    async def send_one(self, item: OutboxItem) -> None:
        now = self.clock.now()
        if self._sent_last_hour(now) >= self.settings.sending.max_per_hour:
            with self.store.session() as s:
                release(s, item.id, self.worker, due_at=now + timedelta(minutes=5))
            self.report.deferred += 1
            self.stop_sending = True
            return
        try:
            conn = await self.connection()
            await conn.envelope(self.settings.owner.email, item.recipients)
        except SmtpError as exc:
            self.failed_before_data(item, exc)
            return
        with self.store.session() as s:
            ok = transition(
                s,
                item.id,
                self.worker,
                OutboxState.CLAIMED,
                state=OutboxState.SENDING,
                attempts=item.attempts + 1,
            )
        if not ok:  # cancelled while we were connecting: nothing was handed over
            await conn.reset()
            self.report.cancelled += 1
            return
        try:
            reply = await conn.data(item.raw)
        except SmtpOutcomeUnknown as exc:
            self.mark_unknown(item, str(exc))
            return
        except SmtpError as exc:
            self.refused(item, exc, OutboxState.SENDING)
            return
        now = self.clock.now()
        with self.store.session() as s:
            transition(
                s,
                item.id,
                self.worker,
                OutboxState.SENDING,
                state=OutboxState.SENT,
                sent_at=now,
                last_error="",
                lease_owner=None,
                lease_until=None,
            )
            after_sent(s, item, now)  # same transaction: the 250 and its bookkeeping
        if self._recent_sends is not None:
            self._recent_sends.append(now)
        self.report.sent += 1
        log.info(
            "sender.sent",
            outbox_id=item.id,
            kind=item.kind,
            message_id=item.message_id,
            reply=reply[:80],
        )

    def failed_before_data(self, item: OutboxItem, exc: SmtpError) -> None:
        self.refused(item, exc, OutboxState.CLAIMED)

    def refused(self, item: OutboxItem, exc: SmtpError, frm: OutboxState) -> None:
        """The server said no (or could not be reached): nothing was accepted."""
        now = self.clock.now()
        why = str(exc)
        self.report.errors.append(why)
        base: dict[str, Any] = {"lease_owner": None, "lease_until": None, "last_error": why}
        attempts = item.attempts + (1 if frm == OutboxState.SENDING else 0)
        if isinstance(exc, SmtpQuota | SmtpAuthError):
            until = (
                cadence.next_day_start(now, self.settings.owner.zone)
                if isinstance(exc, SmtpQuota)
                else now + AUTH_PAUSE
            )
            with self.store.session() as s:
                transition(s, item.id, self.worker, frm, state=OutboxState.QUEUED, **base)
            pause(self.store, self.account_id, now, until, why)
            self.report.paused_until, self.report.paused_reason = until, why
            self.stop_sending = True
            self.report.retried += 1
            return
        if isinstance(exc, SmtpPermanent) or (
            isinstance(exc, SmtpTemporary) and item.attempts + 1 >= MAX_ATTEMPTS
        ):
            with self.store.session() as s:
                transition(
                    s,
                    item.id,
                    self.worker,
                    frm,
                    state=OutboxState.FAILED,
                    attempts=attempts,
                    **base,
                )
                record_event(
                    s,
                    account_id=item.account_id,
                    at=now,
                    kind="outbox.failed",
                    summary=f"The {item.kind} to {', '.join(item.recipients)} could not be sent: "
                    f"{why}",
                    needs_owner=True,
                    next_step="Check the address; send it by hand if it still matters.",
                    thread_id=item.thread_id,
                    contact_id=item.contact_id,
                    data={"outbox_id": item.id, "code": exc.code},
                )
                if exc.code is not None and exc.code >= 500 and " 5.1." in f" {why}":
                    contact = s.get(Contact, item.contact_id) if item.contact_id else None
                    if contact is not None:
                        contact.status = ContactStatus.BOUNCED
                        contact.status_reason = why
            self.report.failed += 1
            log.warning("sender.failed", outbox_id=item.id, kind=item.kind, error=why)
            return
        # temporary: same bytes, same Message-ID, later
        delay = cadence.backoff(item.attempts + 1, self.rand())
        with self.store.session() as s:
            transition(
                s,
                item.id,
                self.worker,
                frm,
                state=OutboxState.QUEUED,
                attempts=item.attempts + 1,
                due_at=now + delay,
                **base,
            )
        if self.conn is None or not self.conn.is_open:
            self.stop_sending = True  # the server is unreachable: no point trying the rest now
            mark_failing(self.store, self.account_id, now, why)
        self.report.retried += 1
        log.info(
            "sender.retry",
            outbox_id=item.id,
            kind=item.kind,
            error=why,
            retry_in=int(delay.total_seconds()),
        )

    def mark_unknown(self, item: OutboxItem, why: str) -> None:
        now = self.clock.now()
        with self.store.session() as s:
            transition(
                s,
                item.id,
                self.worker,
                OutboxState.SENDING,
                state=OutboxState.UNKNOWN,
                last_error=why,
                lease_owner=None,
                lease_until=None,
            )
            unknown_event(s, item, now, why)
        self.report.unknown += 1
        self.stop_sending = True

    async def draft_all(self) -> None:
        """APPEND the rows to draft into Drafts (one IMAP session), then mark them drafted."""
        if not self.to_draft:
            return
        imap = self.settings.imap
        with self.store.session() as s:
            items = [s.get(OutboxItem, i) for i in self.to_draft]
        pairs = [(it.message_id, it.raw) for it in items if it is not None]
        done: dict[str, str] = {}
        if imap is None:
            error = "drafts need the [imap] settings"
        else:
            try:
                done = await asyncio.to_thread(file_copies, imap, "drafts", pairs)
                error = ""
            except ImapError as exc:
                done = getattr(exc, "done", {})
                error = str(exc)
        now = self.clock.now()
        with self.store.session() as s:
            for it in items:
                if it is None:
                    continue
                if it.message_id in done:
                    reason = draft_reason(s, self.settings, it) or "drafted"
                    transition(
                        s,
                        it.id,
                        self.worker,
                        OutboxState.CLAIMED,
                        state=OutboxState.DRAFTED,
                        lease_owner=None,
                        lease_until=None,
                        last_error="",
                    )
                    record_event(
                        s,
                        account_id=it.account_id,
                        at=now,
                        kind="outbox.drafted",
                        summary=f"A {it.kind.replace('_', '-')} to {', '.join(it.recipients)} "
                        f"is waiting in Drafts ({reason})",
                        needs_owner=it.kind in (OutboxKind.THANK_YOU, OutboxKind.KEEP_IN_TOUCH),
                        next_step="Open it in Drafts, make it yours and send it.",
                        thread_id=it.thread_id,
                        contact_id=it.contact_id,
                        data={"outbox_id": it.id, "message_id": it.message_id},
                    )
                    self.report.drafted += 1
                elif imap is None:
                    transition(
                        s,
                        it.id,
                        self.worker,
                        OutboxState.CLAIMED,
                        state=OutboxState.HELD,
                        last_error=error,
                        lease_owner=None,
                        lease_until=None,
                    )
                    self.report.held += 1
                else:
                    release(
                        s, it.id, self.worker, due_at=now + timedelta(minutes=5), last_error=error
                    )
                    self.report.deferred += 1
        if error:
            self.report.errors.append(error)
            log.warning("sender.draft_failed", error=error)
