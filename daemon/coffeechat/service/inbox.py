"""The inbox side: turn new IMAP messages into recorded, threaded, understood ``messages`` rows.

``InboxSync.sync_folder`` is called by the watcher whenever a folder may have changed. It reads
headers first and fetches a body only for a message that belongs to a tracked thread, comes
from (or, when the owner wrote it, goes to) a known contact. Every message is recorded once:
the pre-check and the unique constraints on (account, Message-ID) and (account, content hash)
make any re-run, resync or UIDVALIDITY reset idempotent. The folder's stored UID moves in the
same transaction as the message it passes, never past one whose recording failed for a
transient reason; a message that can never be recorded becomes a ``message_skipped`` event.

This module is the sync loop (folder state, batches, the pointer); which messages matter is
decided in ``inbox_plan``, and each one is written by ``inbox_record``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import date, timedelta
from typing import Literal

import structlog
from imapclient import IMAPClient
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from coffeechat.adapters.imap import sync
from coffeechat.adapters.imap.sync import Body, FolderStatus
from coffeechat.clock import Clock
from coffeechat.service.contact_directory import Directory, load_directory
from coffeechat.service.inbox_plan import SyncResult, plan_batch
from coffeechat.service.inbox_record import (
    RecordContext,
    Transient,
    advance_pointer,
    db_text,
    handle_message,
    sync_state_row,
)
from coffeechat.service.reply_reading import Understander, understand_raw
from coffeechat.settings import Settings
from coffeechat.store.db import Store
from coffeechat.store.models import ComponentHealth, SyncState, Thread

log = structlog.get_logger(__name__)

FolderRole = Literal["inbox", "sent"]


# ---------------------------------------------------------------- the sync loop


class InboxSync:
    """Records new mail of one account; safe to share between the INBOX and Sent watchers."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        clock: Clock,
        understander: Understander | None = understand_raw,
        *,
        max_body_bytes: int = sync.MAX_BODY_BYTES,
        batch_size: int = sync.BATCH_SIZE,
    ) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        self.understander = understander
        self.max_body_bytes = max_body_bytes
        self.batch_size = batch_size
        self.owner_email = settings.owner.email.lower()
        self.resync_interval = timedelta(
            minutes=settings.imap.resync_minutes if settings.imap else 60.0
        )
        with store.session() as s:
            self.account_id = store.account(s, self.owner_email, settings.owner.email).id

    # ------------------------------------------------------------ entry points

    def sync_folder(
        self,
        client: IMAPClient,
        folder: str,
        role: str,
        *,
        beat: Callable[[], None] | None = None,
    ) -> SyncResult:
        """Record every message above the stored UID (all of them after a UIDVALIDITY change).

        On a connection that still has ``folder`` open from the previous pass, a NOOP stands in
        for the EXAMINE (``sync.reselect``); its status has no UIDNEXT, so the UID SEARCH
        decides whether anything is new."""
        status = sync.reselect(client, folder)
        result = SyncResult(folder, role)
        last_uid = self._load_state(status, result)
        result.last_uid = last_uid
        if status.uidnext is not None and status.uidnext - 1 <= last_uid:
            self._touch_state(status)
            return result
        uids = sync.new_uids(client, last_uid)
        for _round in range(10):
            self._process(client, status, role, uids, result, beat, advance=True)
            if result.blocked or not uids:
                break
            # Mail that arrived meanwhile was announced (EXISTS) inside the answers to our
            # own commands, where IDLE will never repeat it: search again until nothing new.
            uids = sync.new_uids(client, max(uids))
        if not result.blocked:
            self._touch_state(status, full=last_uid == 0)
        return result

    def resync_folder(
        self,
        client: IMAPClient,
        folder: str,
        role: str,
        *,
        since: date | None = None,
        beat: Callable[[], None] | None = None,
    ) -> SyncResult:
        """The periodic full header pass over messages at or below the stored UID, to catch
        what an incremental pass could not (late-visible UIDs, contacts added since)."""
        status = sync.select(client, folder)
        result = SyncResult(folder, role)
        last_uid = self._load_state(status, result)
        result.last_uid = last_uid
        directory = load_directory(self.store, self.account_id, self.owner_email)
        if since is None:
            since = self._resync_since(directory)
        if since is not None:
            uids = [u for u in sync.all_uids(client, since) if u <= last_uid]
            self._process(client, status, role, uids, result, beat, advance=False)
        if not result.blocked:
            with self.store.session() as s:
                state = sync_state_row(s, self.account_id, status.name)
                state.last_full_resync_at = self.clock.now()
        log.info(
            "folder resynced",
            folder=folder,
            examined=result.examined,
            recorded=len(result.inbound) + len(result.outbound),
        )
        return result

    def resync_due(self, folder: str) -> bool:
        with self.store.session() as s:
            state = s.scalar(
                select(SyncState).where(
                    SyncState.account_id == self.account_id, SyncState.folder == folder
                )
            )
            last = state.last_full_resync_at if state else None
        return last is None or self.clock.now() - last >= self.resync_interval

    def report_health(self, error: str | None) -> None:
        """ComponentHealth("imap"): None means the last attempt worked."""
        try:
            self._report_health(error)
        except IntegrityError:  # both watchers created the row at once: update it now
            self._report_health(error)

    def _report_health(self, error: str | None) -> None:
        now = self.clock.now()
        with self.store.session() as s:
            row = s.scalar(
                select(ComponentHealth).where(
                    ComponentHealth.account_id == self.account_id,
                    ComponentHealth.component == "imap",
                )
            )
            if row is None:
                row = ComponentHealth(account_id=self.account_id, component="imap")
                s.add(row)
            if error is None:
                row.last_ok_at = now
                row.failing_since = None
                row.last_error = ""
            else:
                row.failing_since = row.failing_since or now
                row.last_error = db_text(error, 500)

    # ------------------------------------------------------------ folder state

    def _load_state(self, status: FolderStatus, result: SyncResult) -> int:
        """The stored UID to continue from; a new UIDVALIDITY starts over from 0 (safe:
        recording is idempotent)."""
        with self.store.session() as s:
            state = sync_state_row(s, self.account_id, status.name)
            stored = state.uidvalidity
            if stored != status.uidvalidity:
                if stored is not None:
                    log.warning(
                        "uidvalidity changed: resyncing folder",
                        folder=status.name,
                        old=stored,
                        new=status.uidvalidity,
                    )
                    result.uidvalidity_changed = True
                state.uidvalidity = status.uidvalidity
                state.last_uid = 0
                state.highest_modseq = None
            return state.last_uid or 0

    def _touch_state(self, status: FolderStatus, *, full: bool = False) -> None:
        """Note a completed pass; one that started from UID 0 was a full resync too."""
        with self.store.session() as s:
            state = sync_state_row(s, self.account_id, status.name)
            state.last_sync_at = self.clock.now()
            if full:
                state.last_full_resync_at = state.last_sync_at
            if not status.reused:  # a NOOP pass knows no HIGHESTMODSEQ: keep EXAMINE's
                state.highest_modseq = status.highest_modseq

    def _save_pointer(self, status: FolderStatus, uid: int) -> None:
        try:
            with self.store.session() as s:
                advance_pointer(s, self.account_id, self.clock, status, uid)
        except SQLAlchemyError as exc:  # the next pass redoes these (idempotently)
            log.warning("sync pointer not saved", folder=status.name, uid=uid, error=str(exc))

    def _resync_since(self, directory: Directory) -> date | None:
        """Nothing relevant predates the first contact or thread: look no further back."""
        with self.store.session() as s:
            first_thread = s.scalar(
                select(func.min(Thread.created_at)).where(Thread.account_id == self.account_id)
            )
        times = [c.created_at for c in directory.by_email.values()]
        if first_thread is not None:
            times.append(first_thread)
        if not times:
            return None
        return (min(times) - timedelta(days=2)).date()

    # ------------------------------------------------------------ one pass

    def _process(
        self,
        client: IMAPClient,
        status: FolderStatus,
        role: str,
        uids: Sequence[int],
        result: SyncResult,
        beat: Callable[[], None] | None,
        *,
        advance: bool,
    ) -> None:
        if not uids:
            return
        directory = load_directory(self.store, self.account_id, self.owner_email)
        ctx = RecordContext(
            self.store, self.account_id, self.clock, self.understander, self.settings.owner.timezone
        )
        for chunk in sync.batched(uids, self.batch_size):
            if beat is not None:
                beat()
            headers = sync.fetch_headers(client, chunk)
            result.examined += len(headers)
            plans = plan_batch(self.store, self.account_id, headers, directory, role, result)
            wanted = [(p.info.uid, p.info.size) for p in plans if p.needs_body]
            bodies = _BodyStream(sync.fetch_bodies(client, wanted, self.max_body_bytes))
            for plan in plans:
                body = bodies.get(plan.info.uid) if plan.needs_body else None
                if plan.needs_body and body is None:
                    log.info("message vanished before its body was read", uid=plan.info.uid)
                    continue
                try:
                    handle_message(ctx, plan, body, status, result, advance=advance)
                except Transient as exc:
                    result.blocked = True
                    log.error(
                        "message not recorded; will retry",
                        folder=status.name,
                        uid=plan.info.uid,
                        error=str(exc),
                    )
                    if advance:
                        done = [u for u in chunk if u < plan.info.uid]
                        if done:
                            self._save_pointer(status, max(done))
                    bodies.close()
                    return
            if advance and chunk:
                self._save_pointer(status, max(chunk))
                result.last_uid = max(result.last_uid, max(chunk))


class _BodyStream:
    """Bodies arrive lazily and in UID order; hand out the one a plan asks for."""

    def __init__(self, bodies: Iterator[Body]) -> None:
        self._bodies = bodies
        self._ahead: dict[int, Body] = {}

    def get(self, uid: int) -> Body | None:
        if uid in self._ahead:
            return self._ahead.pop(uid)
        for body in self._bodies:
            if body.uid == uid:
                return body
            if body.uid > uid:
                self._ahead[body.uid] = body
                return None
        return None

    def close(self) -> None:
        self._ahead.clear()
        close = getattr(self._bodies, "close", None)
        if close is not None:
            close()


__all__ = ["FolderRole", "InboxSync"]
