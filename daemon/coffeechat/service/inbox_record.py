"""Recording one planned message: its ``messages`` row, what it changes, the folder pointer.

Each message is written in one transaction together with what it implies (the thread it joins,
the reader's understanding, a takeover, a possible-contact or truncation event) and with the
folder's stored UID moving past it, so a crash never leaves a message half recorded or passed
over. A race with another writer is retried once; a failure that may pass is raised as
``Transient`` for the sync loop to hold the pointer; a message that can never be recorded is
skipped with one ``message_skipped`` event. The folder's ``SyncState`` row is read and moved
here for that reason; the sync loop uses the same two functions.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from sqlalchemy import select
from sqlalchemy.exc import DataError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from coffeechat.adapters.imap import sync
from coffeechat.adapters.imap.sync import Body, FolderStatus
from coffeechat.clock import Clock
from coffeechat.domain.intents import Intent, Understanding
from coffeechat.service.events import record_event
from coffeechat.service.inbox_plan import Plan, SyncResult
from coffeechat.service.inbox_threads import later, latest_thread, owner_wrote, thread_bounce
from coffeechat.service.reply_reading import Understander, itip_reply, reply_context
from coffeechat.store.db import Store
from coffeechat.store.models import Event, Message, SyncState, Thread

log = structlog.get_logger(__name__)


class Transient(Exception):
    """Recording failed for a reason that may pass (database down): retry later."""


def db_text(value: str, limit: int) -> str:
    """Text PostgreSQL accepts: no NUL, no lone surrogates, bounded."""
    return value.encode("utf-8", "replace").decode("utf-8").replace("\0", "")[:limit]


@dataclass(frozen=True)
class RecordContext:
    """Where and how messages are recorded: the store and account, the clock, the reader."""

    store: Store
    account_id: int
    clock: Clock
    understander: Understander | None
    owner_tz: str


def sync_state_row(s: Session, account_id: int, folder: str) -> SyncState:
    state = s.scalar(
        select(SyncState).where(SyncState.account_id == account_id, SyncState.folder == folder)
    )
    if state is None:
        state = SyncState(account_id=account_id, folder=folder, last_uid=0)
        s.add(state)
        s.flush()
    return state


def advance_pointer(
    s: Session, account_id: int, clock: Clock, status: FolderStatus, uid: int
) -> None:
    """Move the stored UID forward (never back, never under another UIDVALIDITY)."""
    state = sync_state_row(s, account_id, status.name)
    if state.uidvalidity != status.uidvalidity:
        return
    if (state.last_uid or 0) < uid:
        state.last_uid = uid
        state.last_sync_at = clock.now()


def handle_message(
    ctx: RecordContext,
    plan: Plan,
    body: Body | None,
    status: FolderStatus,
    result: SyncResult,
    *,
    advance: bool,
) -> None:
    """Record one planned message (``body`` is None when its plan needs none) and count it."""
    uid = plan.info.uid
    for attempt in (1, 2):
        try:
            outcome = _record(ctx, plan, body, status, result, advance)
        except IntegrityError:
            if attempt == 2:
                raise Transient("unique constraint conflict twice") from None
            continue  # raced with another writer: the pre-check will now see it
        except DataError as exc:
            _skip(ctx, plan, status, advance, f"database refused it: {exc.orig!r}")
            result.skipped += 1
            return
        except SQLAlchemyError as exc:
            raise Transient(str(exc).splitlines()[0]) from exc
        except Transient:
            raise
        except Exception as exc:  # deterministic trouble with this one message
            _skip(ctx, plan, status, advance, repr(exc)[:300])
            result.skipped += 1
            return
        if outcome == "duplicate":
            result.duplicates += 1
            log.info("message already recorded", uid=uid, message_id=plan.env.message_id)
        return


def _skip(ctx: RecordContext, plan: Plan, status: FolderStatus, advance: bool, reason: str) -> None:
    """A message that can never be recorded: one event (once), and the UID moves on."""
    store, account_id, clock = ctx.store, ctx.account_id, ctx.clock
    key = plan.env.message_id or f"uid {status.uidvalidity}/{plan.info.uid}"
    summary = db_text(f"skipped message {key} in {status.name}", 2000)
    log.warning("message skipped", folder=status.name, uid=plan.info.uid, reason=reason)
    try:
        with store.session() as s:
            exists = s.scalar(
                select(Event.id).where(
                    Event.account_id == account_id,
                    Event.kind == "message_skipped",
                    Event.summary == summary,
                )
            )
            if exists is None:
                record_event(
                    s,
                    account_id=account_id,
                    at=clock.now(),
                    kind="message_skipped",
                    summary=summary,
                    data={
                        "folder": db_text(status.name, 200),
                        "uid": plan.info.uid,
                        "uidvalidity": status.uidvalidity,
                        "from": plan.env.from_addr,
                        "reason": db_text(reason, 300),
                    },
                )
            if advance:
                advance_pointer(s, account_id, clock, status, plan.info.uid)
    except SQLAlchemyError as exc:
        raise Transient(str(exc).splitlines()[0]) from exc


def _record(
    ctx: RecordContext,
    plan: Plan,
    body: Body | None,
    status: FolderStatus,
    result: SyncResult,
    advance: bool,
) -> str:
    store, account_id, clock = ctx.store, ctx.account_id, ctx.clock
    env, info = plan.env, plan.info
    if body is not None:
        digest = sync.content_hash(body.raw, body.size)
    else:
        digest = sync.content_hash(info.raw_headers + b"\0headers", info.size)
    when = env.date or info.internaldate or clock.now()
    with store.session() as s:
        if _already(s, account_id, env.message_id, digest):
            if advance:
                advance_pointer(s, account_id, clock, status, info.uid)
            return "duplicate"
        if plan.kind == "bounce":
            assert body is not None
            plan = thread_bounce(s, account_id, plan, body)
            if plan.kind != "inbound":
                log.debug("message not relevant", uid=info.uid, why="bounce for no message of ours")
                if advance:
                    advance_pointer(s, account_id, clock, status, info.uid)
                return "irrelevant"
        row = Message(
            account_id=account_id,
            thread_id=plan.thread_id,
            contact_id=plan.contact.id if plan.contact else None,
            message_id=env.message_id,
            content_hash=digest,
            direction="out" if plan.kind == "owner" else "in",
            folder=db_text(status.name, 200),
            uidvalidity=status.uidvalidity,
            uid=info.uid,
            from_addr=env.from_addr[:320],
            to_addrs=list((env.to + env.cc)[:50]),
            subject=env.subject,
            in_reply_to=env.in_reply_to,
            references=list(env.references),
            sent_at=env.date,
            received_at=info.internaldate or clock.now(),
            size=min(info.size, 2**31 - 1),
            auto_submitted=env.auto_submitted,
        )
        understanding = None
        if plan.kind == "owner":
            owner_wrote(s, account_id, clock, plan, row, when)
        elif plan.kind == "possible":
            row.needs_owner = True
            row.action = "possible_contact"
        else:
            thread = s.get(Thread, plan.thread_id) if plan.thread_id else None
            if thread is None and plan.contact is not None:
                thread = latest_thread(s, account_id, plan.contact.id)
                row.thread_id = thread.id if thread else None
            assert body is not None
            understanding = _understand(s, ctx, row, body, thread)
            if thread is not None and not row.auto_submitted:
                thread.last_inbound_at = later(thread.last_inbound_at, when)
                thread.last_exchange_at = later(thread.last_exchange_at, when)
        s.add(row)
        s.flush()
        if plan.kind == "possible":
            _possible_event(s, account_id, clock, plan, row)
        if body is not None and body.truncated:
            record_event(
                s,
                account_id=account_id,
                at=clock.now(),
                kind="message_truncated",
                thread_id=row.thread_id,
                contact_id=row.contact_id,
                summary=f"only the first {len(body.raw)} of {body.size} bytes were read",
                data={"message": row.id},
            )
        if advance:
            advance_pointer(s, account_id, clock, status, info.uid)
    if plan.kind == "owner":
        result.outbound.append(row.id)
    elif plan.kind == "possible":
        result.possible += 1
    else:
        result.inbound.append(row.id)
        if understanding is not None:
            result.understood[row.id] = understanding
    log.info(
        "message recorded",
        folder=status.name,
        uid=info.uid,
        message_id=env.message_id,
        message=row.id,
        thread=row.thread_id,
        kind=plan.kind,
        matched_by=plan.matched_by,
        intent=row.intent,
        auto=row.auto_submitted,
        truncated=bool(body and body.truncated),
        defects=len(env.defects),
    )
    return "recorded"


def _already(s: Session, account_id: int, message_id: str | None, digest: str) -> bool:
    query = select(Message.id).where(Message.account_id == account_id)
    if message_id and s.scalar(query.where(Message.message_id == message_id)) is not None:
        return True
    return s.scalar(query.where(Message.content_hash == digest)) is not None


def _understand(
    s: Session, ctx: RecordContext, row: Message, body: Body, thread: Thread | None
) -> Understanding | None:
    if ctx.understander is None:
        return None
    context = reply_context(s, thread, ctx.owner_tz, ctx.clock)
    try:
        result = ctx.understander(body.raw, context)
    except Exception as exc:  # the reader failed on this message: the owner looks at it
        log.warning("reply not understood", uid=row.uid, error=repr(exc)[:300])
        row.needs_owner = True
        return None
    row.intent = str(result.intent)
    row.confidence = float(result.confidence)
    row.proposed = [
        {"start": w.start.isoformat(), "end": w.end.isoformat() if w.end else None}
        for w in result.proposed
    ]
    row.later_until = result.later_until
    row.referral = (
        {"name": result.referral.name, "email": result.referral.email} if result.referral else None
    )
    row.reply_text = db_text(result.reply_text, 20_000)
    row.details = {
        "left_company": result.left_company,
        "reasons": [db_text(r, 200) for r in result.reasons[:10]],
        "bounce": (
            {
                "recipient": result.bounce.recipient,
                "status": result.bounce.status,
                "permanent": result.bounce.permanent,
                "diagnostic": db_text(result.bounce.diagnostic or "", 500),
            }
            if result.bounce
            else None
        ),
    }
    row.itip_reply = itip_reply(body.raw)
    if result.intent in (Intent.AUTO_REPLY, Intent.BOUNCE):
        row.auto_submitted = True
    return result


def _possible_event(s: Session, account_id: int, clock: Clock, plan: Plan, row: Message) -> None:
    names = ", ".join(c.label for c in plan.candidates)
    record_event(
        s,
        account_id=account_id,
        at=clock.now(),
        kind="possible_contact",
        contact_id=plan.candidates[0].id,
        summary=db_text(f"possibly {names}: a message from {plan.env.from_addr}", 2000),
        data={
            "message": row.id,
            "from": plan.env.from_addr,
            "candidates": [c.id for c in plan.candidates],
            "subject": plan.env.subject[:200],
        },
        needs_owner=True,
        next_step="tell coffeechat whether this is the same person",
    )
