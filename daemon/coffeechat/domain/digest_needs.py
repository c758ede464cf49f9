"""The digest's first section: what needs the owner, in which category, and the next step.

Separate from the other sections because it is the one with its own vocabulary: event kinds and
failures mapped to categories, default steps, and the order the owner reads them in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from coffeechat.domain.digest_naming import Person


class NeedKind(StrEnum):
    QUESTION = "question"
    UNCLEAR = "unclear"  # the reader was not confident enough to act
    UNKNOWN_SENDER = "unknown_sender"
    OTHER_ADDRESS = "other_address"  # a contact wrote from a different address
    THANK_YOU_NOTES = "thank_you_notes"
    DRAFT_WAITING = "draft_waiting"
    SEND_UNKNOWN = "send_unknown"  # crashed mid-send: never resent automatically
    SEND_FAILED = "send_failed"  # the server refused it for good
    HELD = "held"
    BOUNCED = "bounced"
    AUTH = "auth"
    CONNECTION = "connection"
    SETTINGS = "settings"
    OTHER = "other"


NEED_TITLES: Mapping[NeedKind, str] = {
    NeedKind.QUESTION: "Question for you",
    NeedKind.UNCLEAR: "Unclear reply",
    NeedKind.UNKNOWN_SENDER: "Unknown sender",
    NeedKind.OTHER_ADDRESS: "Reply from another address",
    NeedKind.THANK_YOU_NOTES: "Thank-you waiting for your notes",
    NeedKind.DRAFT_WAITING: "Draft waiting in Drafts",
    NeedKind.SEND_UNKNOWN: "Did this email go out?",
    NeedKind.SEND_FAILED: "Email refused",
    NeedKind.HELD: "Email held",
    NeedKind.BOUNCED: "Address bounced",
    NeedKind.AUTH: "Login failing",
    NeedKind.CONNECTION: "Connection failing",
    NeedKind.SETTINGS: "Settings problem",
    NeedKind.OTHER: "Needs you",
}

#: Event kinds the daemon records with needs_owner (service modules: sender, inbox, schedule...).
EVENT_KINDS: Mapping[str, NeedKind] = {
    "outbox.held": NeedKind.HELD,
    "outbox.unknown": NeedKind.SEND_UNKNOWN,
    "outbox.drafted": NeedKind.DRAFT_WAITING,
    "outbox.failed": NeedKind.SEND_FAILED,
    "possible_contact": NeedKind.UNKNOWN_SENDER,
}
#: Other kinds, by the words they contain.
_EVENT_WORDS: Sequence[tuple[str, NeedKind]] = (
    ("question", NeedKind.QUESTION),
    ("confidence", NeedKind.UNCLEAR),
    ("unclear", NeedKind.UNCLEAR),
    ("unknown", NeedKind.UNKNOWN_SENDER),
    ("other_address", NeedKind.OTHER_ADDRESS),
    ("different_address", NeedKind.OTHER_ADDRESS),
    ("alias", NeedKind.OTHER_ADDRESS),
    ("thank", NeedKind.THANK_YOU_NOTES),
    ("notes", NeedKind.THANK_YOU_NOTES),
    ("draft", NeedKind.DRAFT_WAITING),
    ("bounce", NeedKind.BOUNCED),
    ("auth", NeedKind.AUTH),
    ("login", NeedKind.AUTH),
    ("setting", NeedKind.SETTINGS),
    ("template", NeedKind.SETTINGS),
    ("connect", NeedKind.CONNECTION),
)

_AUTH_WORDS = ("auth", "login", "password", "credential", "535", "534", "token", "denied")


def classify_event(kind: str) -> NeedKind:
    """An Event.kind string to the digest's category (unknown kinds still show, as OTHER)."""
    if kind in EVENT_KINDS:
        return EVENT_KINDS[kind]
    low = kind.lower()
    for word, need in _EVENT_WORDS:
        if word in low:
            return need
    return NeedKind.OTHER


def classify_failure(component: str, error: str) -> NeedKind:
    if component == "settings":
        return NeedKind.SETTINGS
    low = error.lower()
    return NeedKind.AUTH if any(w in low for w in _AUTH_WORDS) else NeedKind.CONNECTION


def notes_command(email: str) -> str:
    return f'coffeechat notes {email} "what you learned, and what you will do with it"'


def default_next_step(kind: NeedKind, email: str | None) -> str:
    """The step shown when the recorder gave none."""
    steps = {
        NeedKind.QUESTION: "answer in your mail client; coffeechat stays out of this thread",
        NeedKind.UNCLEAR: "read it and answer in your mail client",
        NeedKind.UNKNOWN_SENDER: (
            f"if this is a contact, add them: coffeechat contacts add --email {email or 'ADDRESS'}"
            ' --name "..."'
        ),
        NeedKind.OTHER_ADDRESS: "answer in your mail client",
        NeedKind.THANK_YOU_NOTES: notes_command(email or "EMAIL"),
        NeedKind.DRAFT_WAITING: "open Drafts in your mail client, check it and send it",
        NeedKind.SEND_UNKNOWN: "look in your Sent folder; if it is not there, send it by hand",
        NeedKind.SEND_FAILED: "check the address; send it by hand if it still matters",
        NeedKind.HELD: "fix what is named above, then run: coffeechat templates check",
        NeedKind.BOUNCED: "find a current address (company site, a mutual contact) and add it",
        NeedKind.AUTH: "check the password or token, then run: coffeechat check",
        NeedKind.CONNECTION: "coffeechat retries by itself; if it lasts, run: coffeechat check",
        NeedKind.SETTINGS: "fix the settings file, then run: coffeechat check",
        NeedKind.OTHER: "see coffeechat status",
    }
    return steps[kind]


@dataclass(frozen=True)
class NeedsYou:
    kind: NeedKind
    summary: str
    next_step: str
    person: Person | None = None
    since: datetime | None = None
    #: Items with the same key are one thing seen twice (an event and the row it is about).
    key: str = ""

    @property
    def dedupe_key(self) -> str | None:
        if self.key:
            return self.key
        return f"{self.kind}:{self.person.email}" if self.person else None

    @property
    def title(self) -> str:
        return NEED_TITLES[self.kind]

    @property
    def step_parts(self) -> tuple[str, str]:
        """The next step split into words and the exact command to type (either may be '')."""
        m = _COMMAND.search(self.next_step)
        if m is None:
            return self.next_step, ""
        return self.next_step[: m.start()].rstrip(" :,;"), m.group(0).strip()


#: A command the owner can paste: `coffeechat <subcommand> ...` to the end of the step.
_COMMAND = re.compile(
    r"\bcoffeechat (?:notes|contacts|check|status|digest|outreach|templates|run|init)\b.*$"
)

#: Owner-facing order: people waiting on a human first, machinery last.
_NEED_ORDER = list(NeedKind)


def order_needs(items: Sequence[NeedsYou]) -> tuple[NeedsYou, ...]:
    """By category, then oldest first; of items with one key, the first given wins."""
    seen: set[str] = set()
    kept: list[NeedsYou] = []
    for item in items:
        key = item.dedupe_key
        if key is not None:
            if key in seen:
                continue
            seen.add(key)
        kept.append(item)
    floor = datetime.min.replace(tzinfo=UTC)
    kept.sort(key=lambda n: (_NEED_ORDER.index(n.kind), n.since or floor))
    return tuple(kept)
