"""Read-only IMAP operations on a connected client: folder status, new UIDs, headers, bodies.

Folders are opened with EXAMINE and every fetch is a ``BODY.PEEK``, so the owner's ``\\Seen``
flags never change and nothing is moved, flagged or deleted. Work goes in batches (at most
500 UIDs per command, bodies also capped by bytes) so a 100,000-message mailbox never sits in
memory; only UID lists (integers) are whole. imapclient 4 cannot parse responses to ranges
like ``1:*``, so every FETCH names its UIDs.

``parse_headers`` turns the fetched header block into the few fields threading needs; it is
lenient (compat32 parser, every field optional) because the mail is hostile until proven not.
``triage`` reads only what deciding relevance needs (From, the Message-IDs, the DSN mark) and
leaves the rest (recipients, subject, date, the full Envelope) until asked: most messages of a
big mailbox are newsletters nobody asks about. A plain header block (ASCII, CRLF, well formed:
nearly all of them) is split without the email parser, to exactly what compat32 would return;
anything else goes through the parser.
"""

from __future__ import annotations

import email.header
import email.utils
import hashlib
import re
import weakref
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.message import Message as EmailMessage
from email.parser import BytesHeaderParser
from email.policy import compat32
from typing import Any, TypeVar

from imapclient import IMAPClient

#: Headers fetched for every message: enough to thread, classify and dedupe without a body.
HEADER_FIELDS = (
    "FROM",
    "TO",
    "CC",
    "BCC",
    "SUBJECT",
    "DATE",
    "MESSAGE-ID",
    "IN-REPLY-TO",
    "REFERENCES",
    "AUTO-SUBMITTED",
    "X-AUTOREPLY",
    "X-AUTORESPOND",
    "X-AUTO-RESPONSE-SUPPRESS",
    "PRECEDENCE",
    "LIST-ID",
    "CONTENT-TYPE",
)
T = TypeVar("T")

HEADER_ITEM = f"BODY.PEEK[HEADER.FIELDS ({' '.join(HEADER_FIELDS)})]"
BATCH_SIZE = 500
#: Bodies larger than this are fetched partially (``BODY.PEEK[]<0.N>``) and marked truncated.
MAX_BODY_BYTES = 2 * 1024 * 1024
#: One body FETCH asks for at most this many bytes (and at most BODY_BATCH_COUNT messages).
BODY_BATCH_BYTES = 16 * 1024 * 1024
BODY_BATCH_COUNT = 50
MAX_REFERENCES = 50
MAX_MESSAGE_ID = 998
MAX_TEXT = 2000

_MSGID = re.compile(rb"<([^<>\s]{1,998})>")
_ADDRESS = re.compile(r"^[^@\s<>\"(),;:]+@[^@\s<>\"(),;:]+$")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_SPACE = re.compile(r"\s")  # str.isspace's characters
_AUTO_SUBJECT = re.compile(
    r"^\s*(automatic reply|auto(matic)?[- ]?(reply|response)|out of (the )?office|"
    r"abwesenheitsnotiz|r[ée]ponse automatique|respuesta autom[áa]tica|autoreply)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class FolderStatus:
    """What EXAMINE said about a folder; or, ``reused``, what the last EXAMINE on this
    connection said, brought up to date by a NOOP: UIDNEXT and HIGHESTMODSEQ unknown then."""

    name: str
    uidvalidity: int
    uidnext: int | None
    exists: int
    highest_modseq: int | None
    reused: bool = False


@dataclass(frozen=True)
class Capabilities:
    idle: bool
    condstore: bool


@dataclass(frozen=True)
class HeaderInfo:
    """One message as seen before deciding whether its body is worth fetching."""

    uid: int
    size: int
    internaldate: datetime | None
    flags: tuple[bytes, ...]
    raw_headers: bytes


@dataclass(frozen=True)
class Body:
    uid: int
    raw: bytes
    truncated: bool
    size: int


@dataclass(frozen=True)
class Envelope:
    """The threading-relevant header fields, cleaned: safe to log and to store."""

    from_name: str = ""
    from_addr: str = ""
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    subject: str = ""
    date: datetime | None = None
    message_id: str | None = None
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    auto_signals: tuple[str, ...] = ()
    is_dsn: bool = False
    defects: tuple[str, ...] = field(default_factory=tuple)

    @property
    def recipients(self) -> tuple[str, ...]:
        return self.to + self.cc + self.bcc

    @property
    def auto_submitted(self) -> bool:
        return bool(self.auto_signals)

    @property
    def referenced_ids(self) -> tuple[str, ...]:
        """In-Reply-To first, then References newest first: the order threading tries them."""
        ids = [self.in_reply_to] if self.in_reply_to else []
        ids.extend(reversed(self.references))
        return tuple(dict.fromkeys(ids))


# ---------------------------------------------------------------- commands


def prepare(client: IMAPClient) -> Capabilities:
    """Read capabilities after login and turn CONDSTORE on (must happen before SELECT)."""
    caps = set(client.capabilities())
    condstore = b"CONDSTORE" in caps
    if condstore and b"ENABLE" in caps:
        try:
            client.enable("CONDSTORE")
        except Exception:  # optional optimisation: a refusal only costs HIGHESTMODSEQ
            condstore = False
    return Capabilities(idle=b"IDLE" in caps, condstore=condstore)


#: Per connection: the status its last EXAMINE through ``select`` returned, and the response
#: store imaplib started for that EXAMINE (it starts a new one on every SELECT or EXAMINE,
#: whoever sends it: still the same one means the folder is still the one selected).
_EXAMINED: weakref.WeakKeyDictionary[IMAPClient, tuple[FolderStatus, object]] = (
    weakref.WeakKeyDictionary()
)


def select(client: IMAPClient, folder: str) -> FolderStatus:
    """EXAMINE (read-only SELECT): even a stray non-PEEK fetch could not set \\Seen."""
    _EXAMINED.pop(client, None)
    info = client.select_folder(folder, readonly=True)
    modseq = info.get(b"HIGHESTMODSEQ")
    uidnext = info.get(b"UIDNEXT")
    status = FolderStatus(
        name=folder,
        uidvalidity=int(info.get(b"UIDVALIDITY", 0)),
        uidnext=int(uidnext) if uidnext is not None else None,
        exists=int(info.get(b"EXISTS", 0)),
        highest_modseq=int(modseq) if modseq is not None else None,
    )
    responses = _selection(client)
    if responses is not None:
        _EXAMINED[client] = (status, responses)
    return status


def reselect(client: IMAPClient, folder: str) -> FolderStatus:
    """``select``, unless this connection still has ``folder`` open from our own EXAMINE:
    then a NOOP, which is cheaper and makes the server catch up with the mailbox (new
    messages become visible to SEARCH, as after EXAMINE). A UIDVALIDITY change cannot hide
    behind it: a server whose selected mailbox changes UIDVALIDITY must drop the connection
    (RFC 3501 2.3.1.1; Dovecot sends BYE), and a NOOP answer naming a UIDVALIDITY anyway
    falls back to EXAMINE. The status it returns has no UIDNEXT (the caller searches)."""
    known = _EXAMINED.get(client)
    if known is None or known[0].name != folder or _selection(client) is not known[1]:
        return select(client, folder)
    _text, responses = client.noop()
    exists = known[0].exists
    for response in responses:
        if b"UIDVALIDITY" in repr(response).upper().encode():
            return select(client, folder)
        if len(response) >= 2 and response[1] == b"EXISTS" and isinstance(response[0], int):
            exists = response[0]
    status = FolderStatus(
        name=folder,
        uidvalidity=known[0].uidvalidity,
        uidnext=None,
        exists=exists,
        highest_modseq=None,
        reused=True,
    )
    _EXAMINED[client] = (status, known[1])
    return status


def _selection(client: IMAPClient) -> object | None:
    """imaplib's response store of the current selection, None when nothing is selected (or
    the client is not imaplib-based: then every pass EXAMINEs)."""
    imap = getattr(client, "_imap", None)
    if imap is None or getattr(imap, "state", None) != "SELECTED":
        return None
    responses: object | None = getattr(imap, "untagged_responses", None)
    return responses


def new_uids(client: IMAPClient, after: int) -> list[int]:
    """UIDs above ``after``, ascending. ``UID n:*`` returns the highest UID even when it is
    below n (RFC 3501), hence the filter."""
    found = client.search(["UID", f"{after + 1}:*"])
    return sorted(uid for uid in found if uid > after)


def all_uids(client: IMAPClient, since: date | None = None) -> list[int]:
    """Every UID (or those with INTERNALDATE on/after ``since``), ascending."""
    criteria: list[Any] = ["SINCE", since] if since is not None else ["ALL"]
    return sorted(client.search(criteria))


def batched(items: Sequence[T], size: int = BATCH_SIZE) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def fetch_headers(client: IMAPClient, uids: Sequence[int]) -> list[HeaderInfo]:
    """Headers, size, date and flags of ``uids`` (one command; callers pass ≤ BATCH_SIZE).
    UIDs expunged meanwhile are simply absent from the answer."""
    if not uids:
        return []
    data = client.fetch(list(uids), [HEADER_ITEM, "RFC822.SIZE", "INTERNALDATE", "FLAGS"])
    out = []
    for uid in sorted(data):
        item = data[uid]
        raw = _section(item, b"BODY[HEADER")
        size = item.get(b"RFC822.SIZE")
        internal = item.get(b"INTERNALDATE")
        out.append(
            HeaderInfo(
                uid=int(uid),
                size=int(size) if isinstance(size, int) else 0,
                internaldate=_aware(internal) if isinstance(internal, datetime) else None,
                flags=tuple(item.get(b"FLAGS", ())),
                raw_headers=raw or b"",
            )
        )
    return out


def header_batches(
    client: IMAPClient, uids: Sequence[int], size: int = BATCH_SIZE
) -> Iterator[list[HeaderInfo]]:
    """Headers for ``uids`` a batch at a time; the caller finishes one before the next comes."""
    for chunk in batched(uids, size):
        yield fetch_headers(client, chunk)


def full_resync(
    client: IMAPClient, since: date | None = None, size: int = BATCH_SIZE
) -> Iterator[list[HeaderInfo]]:
    """The periodic full header pass: every message (since ``since``), in batches."""
    yield from header_batches(client, all_uids(client, since), size)


def fetch_bodies(
    client: IMAPClient,
    wanted: Iterable[tuple[int, int]],
    max_bytes: int = MAX_BODY_BYTES,
    batch_bytes: int = BODY_BATCH_BYTES,
    batch_count: int = BODY_BATCH_COUNT,
) -> Iterator[Body]:
    """Bodies of ``(uid, size)`` pairs, in groups bounded by bytes and count; bodies over
    ``max_bytes`` come back cut at ``max_bytes`` with ``truncated`` set."""
    group: list[tuple[int, int]] = []
    group_bytes = 0
    for uid, size in wanted:
        cost = min(size, max_bytes)
        if group and (group_bytes + cost > batch_bytes or len(group) >= batch_count):
            yield from _fetch_group(client, group, max_bytes)
            group, group_bytes = [], 0
        group.append((uid, size))
        group_bytes += cost
    if group:
        yield from _fetch_group(client, group, max_bytes)


def _fetch_group(client: IMAPClient, group: list[tuple[int, int]], max_bytes: int) -> list[Body]:
    sizes = dict(group)
    whole = [uid for uid, size in group if size <= max_bytes]
    partial = [uid for uid, size in group if size > max_bytes]
    out: list[Body] = []
    if whole:
        data = client.fetch(whole, ["BODY.PEEK[]"])
        for uid in whole:
            raw = _section(data.get(uid, {}), b"BODY[]")
            if raw is not None:
                out.append(Body(uid, raw, truncated=len(raw) > max_bytes, size=sizes[uid]))
    if partial:
        data = client.fetch(partial, [f"BODY.PEEK[]<0.{max_bytes}>"])
        for uid in partial:
            raw = _section(data.get(uid, {}), b"BODY[]")
            if raw is not None:
                out.append(Body(uid, raw[:max_bytes], truncated=True, size=sizes[uid]))
    out.sort(key=lambda body: body.uid)
    return out


def _section(item: dict[bytes, Any], prefix: bytes) -> bytes | None:
    for key, value in item.items():
        if isinstance(key, bytes) and key.upper().startswith(prefix):
            if isinstance(value, bytes):
                return value
            if isinstance(value, str):
                return value.encode("utf-8", "surrogateescape")
            return None
    return None


def _aware(value: datetime) -> datetime:
    # imapclient normalises INTERNALDATE to naive local time; make it an aware instant.
    return value.astimezone(UTC) if value.tzinfo else value.astimezone().astimezone(UTC)


# ---------------------------------------------------------------- header parsing


def content_hash(raw: bytes, size: int | None = None) -> str:
    """The dedupe key for messages without a Message-ID; a truncated body hashes with its
    full size so two large messages sharing a prefix stay apart."""
    digest = hashlib.sha256(raw)
    if size is not None and size != len(raw):
        digest.update(b"\0size=%d" % size)
    return digest.hexdigest()


def clean_text(value: str, limit: int = MAX_TEXT) -> str:
    """One line, no control characters, no NULs or lone surrogates (PostgreSQL refuses them)."""
    if value.isascii() and value.isprintable():  # nothing to replace or remove
        return " ".join(value.split())[:limit]
    value = value.encode("utf-8", "replace").decode("utf-8")
    value = value.replace("\r", " ").replace("\n", " ").replace("\t", " ")
    value = _CONTROL.sub("", value)
    return " ".join(value.split())[:limit]


class _PlainHeaders:
    """A plain header block split by hand: ``get``/``get_all`` answer exactly as a compat32
    ``Message`` parsed from the same bytes would (first value; values in order; continuation
    lines kept with their CRLF, the trailing line break dropped)."""

    __slots__ = ("_fields",)

    def __init__(self, fields: dict[str, list[str]]) -> None:
        self._fields = fields

    def get(self, name: str) -> str | None:
        values = self._fields.get(name.lower())
        return values[0] if values else None

    def get_all(self, name: str, failobj: list[str]) -> list[str]:
        return self._fields.get(name.lower(), failobj)


_Headers = EmailMessage | _PlainHeaders
#: One header field as compat32 reads it: a name of printable ASCII but ':', the colon, the
#: value's first line, then its continuation lines (each starting with a blank).
_PLAIN_FIELD = r"[\x21-\x39\x3b-\x7e]+:[^\r\n]*(?:\r\n[ \t][^\r\n]*)*"
_PLAIN_BLOCK = re.compile(rf"{_PLAIN_FIELD}(?:\r\n{_PLAIN_FIELD})*")
_PLAIN_FIELDS = re.compile(
    r"(?:^|\r\n)([\x21-\x39\x3b-\x7e]+):[ \t]*([^\r\n]*(?:\r\n[ \t][^\r\n]*)*)"
)


def _split_plain(raw: bytes) -> _PlainHeaders | None:
    """The header block as ``_PlainHeaders``, or None when it is not plain (non-ASCII or NUL
    bytes, a bare CR or LF, a line compat32 would not read as a header or a continuation):
    those go through the email parser, which alone knows every corner."""
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        return None
    crlf = text.count("\r\n")
    if text.count("\r") != crlf or text.count("\n") != crlf or "\0" in text:
        return None
    if text.startswith("\r\n"):
        return _PlainHeaders({})  # the block starts with its blank line: no fields
    end = text.find("\r\n\r\n")  # the blank line ending the block, if any
    block = text[:end] if end >= 0 else text.removesuffix("\r\n")
    if block and not _PLAIN_BLOCK.fullmatch(block):
        return None  # "From " envelope lines, missing names, stray continuations, body text
    fields: dict[str, list[str]] = {}
    # compat32's header_source_parse: the value after the first colon, left-stripped of
    # blanks, continuation lines appended as they were (CRLF included), no final line break.
    for name, value in _PLAIN_FIELDS.findall(block):
        fields.setdefault(name.lower(), []).append(value)
    return _PlainHeaders(fields)


def _read_headers(raw: bytes) -> _Headers:
    plain = _split_plain(raw)
    if plain is not None:
        return plain
    return BytesHeaderParser(policy=compat32).parsebytes(raw.replace(b"\0", b""))


def _raw_header(msg: _Headers, name: str) -> str:
    value = msg.get(name)
    if value is None:
        return ""
    value = str(value)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # 8-bit header bytes arrive as surrogates: read them as UTF-8
        value = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return value


def _decoded(msg: _Headers, name: str, defects: list[str]) -> str:
    value = _raw_header(msg, name)
    if not value:
        return ""
    try:
        parts = email.header.decode_header(value)
        text = ""
        for chunk, charset in parts:
            if isinstance(chunk, str):
                text += chunk
                continue
            try:
                text += chunk.decode(charset or "ascii", "replace")
            except (LookupError, ValueError):
                defects.append(f"{name.lower()}: unknown charset {clean_text(str(charset), 40)}")
                text += chunk.decode("utf-8", "replace")
        value = text
    except Exception:  # any decoding failure: keep the raw text, note it
        defects.append(f"{name.lower()}: undecodable")
    return clean_text(value)


def _addresses(msg: _Headers, name: str, defects: list[str]) -> list[tuple[str, str]]:
    values = [str(v) for v in msg.get_all(name, [])][:5]
    if not values:
        return []
    try:
        pairs = _getaddresses(values)
    except Exception:
        defects.append(f"{name.lower()}: unparseable")
        return []
    out = []
    for display, address in pairs[:100]:
        address = clean_text(address, 320).strip().lower()
        if _ADDRESS.match(address):
            out.append((_decode_words(display), address))
    return out


#: The simplest address fields, ``Display Name <local@domain>`` and ``local@domain``, for
#: which email.utils.getaddresses is known to return exactly ``(name words joined by one
#: space, address)``; anything else (quotes, comments, groups, encoded words, several
#: addresses, folding) goes to getaddresses itself.
_DOT_ATOM_ADDRESS = r"[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
_SIMPLE_ADDRESS = re.compile(
    rf"[ \t]*(?:(?:([A-Za-z0-9'._-]+(?:[ \t]+[A-Za-z0-9'._-]+)*)[ \t]*)?<({_DOT_ATOM_ADDRESS})>"
    rf"|({_DOT_ATOM_ADDRESS}))[ \t]*"
)


def _getaddresses(values: list[str]) -> list[tuple[str, str]]:
    if len(values) == 1 and (m := _SIMPLE_ADDRESS.fullmatch(values[0])):
        if m.group(3) is not None:
            return [("", m.group(3))]
        return [(" ".join((m.group(1) or "").split()), m.group(2))]
    return email.utils.getaddresses(values)


def _decode_words(value: str) -> str:
    if "=?" not in value:  # no encoded word: decode_header/make_header give it back as is
        return clean_text(value, 200)
    try:
        return clean_text(str(email.header.make_header(email.header.decode_header(value))), 200)
    except Exception:
        return clean_text(value, 200)


def _msgids(msg: _Headers, name: str) -> list[str]:
    raw = _raw_header(msg, name).encode("utf-8", "replace")
    return [m.decode("utf-8", "replace") for m in _MSGID.findall(raw)]


def normalise_message_id(value: str | None) -> str | None:
    """Without angle brackets, as the outbox stores it; None when unusable."""
    if not value:
        return None
    value = value.strip().removeprefix("<").removesuffix(">").strip()
    if not value or len(value) > MAX_MESSAGE_ID or _SPACE.search(value):
        return None
    if clean_text(value, MAX_MESSAGE_ID) != value:
        return None
    return value


def _date(msg: _Headers, defects: list[str]) -> datetime | None:
    value = _raw_header(msg, "Date")
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        defects.append("date: unparseable")
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        parsed = parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        defects.append("date: out of range")
        return None
    if not 1990 <= parsed.year <= 2200:
        defects.append("date: implausible")
        return None
    return parsed


def _auto_signals(msg: _Headers, subject: str, content_type: str) -> list[str]:
    signals = []
    auto = _raw_header(msg, "Auto-Submitted").strip().lower()
    if auto and not auto.startswith("no"):
        signals.append(f"auto-submitted:{clean_text(auto, 40)}")
    for name in ("X-Autoreply", "X-Autorespond"):
        if msg.get(name) is not None:
            signals.append(name.lower())
    precedence = _raw_header(msg, "Precedence").strip().lower()
    if precedence in {"auto_reply", "bulk", "junk", "list"}:
        signals.append(f"precedence:{precedence}")
    if msg.get("List-Id") is not None:
        signals.append("list-id")
    if _AUTO_SUBJECT.match(subject):
        signals.append("subject")
    if "report-type=delivery-status" in content_type.replace(" ", "").replace('"', ""):
        signals.append("dsn")
    return signals


def parse_headers(raw: bytes) -> Envelope:
    """The Envelope of a header block; never raises on malformed input."""
    return _envelope(_read_headers(raw))


def _envelope(msg: _Headers) -> Envelope:
    defects: list[str] = []
    subject = _decoded(msg, "Subject", defects)
    content_type = _raw_header(msg, "Content-Type").lower()
    sender = _addresses(msg, "From", defects)
    from_name, from_addr = sender[0] if sender else ("", "")
    message_id = _message_id(msg)
    if message_id is None and msg.get("Message-ID") is not None:
        defects.append("message-id: unusable")
    signals = _auto_signals(msg, subject, content_type)
    return Envelope(
        from_name=from_name,
        from_addr=from_addr,
        to=tuple(a for _, a in _addresses(msg, "To", defects)),
        cc=tuple(a for _, a in _addresses(msg, "Cc", defects)),
        bcc=tuple(a for _, a in _addresses(msg, "Bcc", defects)),
        subject=subject,
        date=_date(msg, defects),
        message_id=message_id,
        in_reply_to=_in_reply_to(msg),
        references=_references(msg),
        auto_signals=tuple(signals),
        is_dsn="dsn" in signals,
        defects=tuple(defects),
    )


def _message_id(msg: _Headers) -> str | None:
    message_ids = _msgids(msg, "Message-ID")
    if message_ids:
        return normalise_message_id(message_ids[0])
    return normalise_message_id(_raw_header(msg, "Message-ID"))


def _in_reply_to(msg: _Headers) -> str | None:
    return next((m for m in map(normalise_message_id, _msgids(msg, "In-Reply-To")) if m), None)


def _references(msg: _Headers) -> tuple[str, ...]:
    references = [normalise_message_id(m) for m in _msgids(msg, "References")]
    return tuple(m for m in references if m)[-MAX_REFERENCES:]


def _is_dsn(msg: _Headers) -> bool:
    # _auto_signals' "dsn" signal: the Content-Type alone decides it.
    content_type = _raw_header(msg, "Content-Type").lower()
    return "report-type=delivery-status" in content_type.replace(" ", "").replace('"', "")


class Triage:
    """What deciding a message's relevance reads, each field equal to the same field of
    ``parse_headers(raw)``: the sender, the Message-IDs and the DSN mark, parsed at once; the
    recipients (only an owner-written message needs them) and the whole Envelope (only a
    relevant message needs it) parsed when first asked for, if ever."""

    __slots__ = (
        "_full",
        "_msg",
        "_recipients",
        "from_addr",
        "from_name",
        "in_reply_to",
        "is_dsn",
        "message_id",
        "referenced_ids",
        "references",
    )

    def __init__(self, raw: bytes) -> None:
        msg = _read_headers(raw)
        self._msg: _Headers | None = msg
        self._full: Envelope | None = None
        self._recipients: tuple[str, ...] | None = None
        sender = _addresses(msg, "From", [])
        self.from_name, self.from_addr = sender[0] if sender else ("", "")
        self.message_id = _message_id(msg)
        self.in_reply_to = _in_reply_to(msg)
        self.references = _references(msg)
        # As Envelope.referenced_ids: In-Reply-To first, then References newest first.
        ids = [self.in_reply_to] if self.in_reply_to else []
        ids.extend(reversed(self.references))
        self.referenced_ids = tuple(dict.fromkeys(ids))
        self.is_dsn = _is_dsn(msg)

    @classmethod
    def unreadable(cls) -> Triage:
        """For a header block that could not be read at all: relevant to nothing."""
        out = cls(b"")
        out._msg = None
        out._full = Envelope(defects=("headers unreadable",))
        out._recipients = ()
        return out

    @property
    def recipients(self) -> tuple[str, ...]:
        """As ``Envelope.recipients``: To, then Cc, then Bcc."""
        if self._recipients is None:
            assert self._msg is not None
            msg = self._msg
            self._recipients = tuple(
                address for name in ("To", "Cc", "Bcc") for _, address in _addresses(msg, name, [])
            )
        return self._recipients

    def envelope(self) -> Envelope:
        """Everything ``parse_headers`` returns (parsed once)."""
        if self._full is None:
            assert self._msg is not None
            self._full = _envelope(self._msg)
        return self._full


def triage(raw: bytes) -> Triage:
    """The ``Triage`` of a header block; never raises on malformed input."""
    return Triage(raw)
