"""Who a sender is: the owner's contacts, indexed for recognising the address on a message.

The inbox asks this for every message it examines, so the contacts are loaded once per pass
into plain, in-memory indexes: the exact address, an alias of it (``user+tag``, Gmail dots),
a colleague at the same non-free-mail domain, or the same full name. Only the exact address
decides; the rest only suggest a "possible contact" for the owner to confirm.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from coffeechat.store.db import Store
from coffeechat.store.models import Contact

#: Free-mail domains: sharing one says nothing about being the same person.
FREEMAIL = frozenset(
    {
        "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com",
        "yahoo.com", "ymail.com", "icloud.com", "me.com", "mac.com", "aol.com", "gmx.de",
        "gmx.net", "web.de", "proton.me", "protonmail.com", "pm.me", "fastmail.com",
        "yandex.ru", "mail.ru", "qq.com", "163.com", "zoho.com", "hey.com", "example.com",
    }
)  # fmt: skip


@dataclass(frozen=True)
class ContactRef:
    id: int
    email: str
    name: str
    company: str
    created_at: datetime

    @property
    def label(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email


def _canonical(address: str) -> str:
    """user+tag@host → user@host; dots ignored in Gmail local parts."""
    local, _, domain = address.partition("@")
    local = local.split("+", 1)[0]
    if domain in {"gmail.com", "googlemail.com"}:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def _name_key(name: str) -> str:
    words = re.findall(r"\w+", name.lower())
    return " ".join(words) if len(words) >= 2 else ""


class Directory:
    """The owner's contacts, indexed for the three ways a sender can be recognised."""

    def __init__(self, owner_email: str, contacts: Iterable[ContactRef]) -> None:
        self.owner = owner_email.lower()
        self.by_email: dict[str, ContactRef] = {}
        self.by_canonical: dict[str, list[ContactRef]] = {}
        self.by_domain: dict[str, list[ContactRef]] = {}
        self.by_name: dict[str, list[ContactRef]] = {}
        self.by_id: dict[int, ContactRef] = {}
        for c in contacts:
            self.by_email[c.email] = c
            self.by_canonical.setdefault(_canonical(c.email), []).append(c)
            domain = c.email.rpartition("@")[2]
            if domain not in FREEMAIL:
                self.by_domain.setdefault(domain, []).append(c)
            if key := _name_key(c.name):
                self.by_name.setdefault(key, []).append(c)
        for c in self.by_email.values():  # the contacts an address finds, by id
            self.by_id.setdefault(c.id, c)

    def is_owner(self, address: str) -> bool:
        return address == self.owner

    def contact(self, address: str) -> ContactRef | None:
        return self.by_email.get(address)

    def possibly(self, address: str, display_name: str) -> list[ContactRef]:
        """Contacts this unknown sender might be: an alias, a colleague address at the same
        (non-free-mail) domain, or the same full name. Never decides, only suggests."""
        found: dict[int, ContactRef] = {}
        for c in self.by_canonical.get(_canonical(address), []):
            found[c.id] = c
        for c in self.by_name.get(_name_key(display_name), []) if display_name else []:
            found[c.id] = c
        for c in self.by_domain.get(address.rpartition("@")[2], [])[:5]:
            found.setdefault(c.id, c)
        return list(found.values())[:5]


def load_directory(store: Store, account_id: int, owner_email: str) -> Directory:
    """The account's contacts as they are now (read once per pass)."""
    with store.session() as s:
        rows = s.execute(
            select(
                Contact.id, Contact.email, Contact.name, Contact.company, Contact.created_at
            ).where(Contact.account_id == account_id)
        ).all()
    return Directory(
        owner_email,
        (ContactRef(r.id, r.email.lower(), r.name, r.company, r.created_at) for r in rows),
    )
