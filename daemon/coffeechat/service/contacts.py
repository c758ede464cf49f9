"""Adding, importing and listing contacts (the people the owner wants to talk to)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from coffeechat.domain.states import ContactStatus
from coffeechat.settings import check_address, check_zone
from coffeechat.store.models import Contact

FIELDS = ("email", "name", "company", "role", "how_found", "notes", "timezone", "referred_by")
#: CSV header spellings people use, mapped to our field names.
ALIASES = {
    "e-mail": "email",
    "mail": "email",
    "email address": "email",
    "full name": "name",
    "first name": "first_name",
    "last name": "last_name",
    "organisation": "company",
    "organization": "company",
    "employer": "company",
    "title": "role",
    "position": "role",
    "job title": "role",
    "how found": "how_found",
    "how_found": "how_found",
    "source": "how_found",
    "note": "notes",
    "tz": "timezone",
    "time zone": "timezone",
    "referred by": "referred_by",
    "referrer": "referred_by",
}


class ContactError(ValueError):
    """A contact's data is unusable; the message says which field and why."""


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)


def clean_contact(values: dict[str, Any]) -> dict[str, Any]:
    """Validate and normalise one contact's fields; raises ContactError."""
    out: dict[str, Any] = {}
    email = str(values.get("email") or "").strip()
    if not email:
        raise ContactError("email is missing")
    try:
        out["email"] = check_address(email).lower()
    except ValueError as exc:
        raise ContactError(str(exc)) from None
    for key in ("name", "company", "role", "how_found", "notes"):
        value = str(values.get(key) or "").strip()
        if key in {"name", "company", "role"} and ("\r" in value or "\n" in value):
            raise ContactError(f"{key} must be one line")
        out[key] = value
    tz = str(values.get("timezone") or "").strip()
    if tz:
        try:
            out["timezone"] = check_zone(tz)
        except ValueError as exc:
            raise ContactError(f"timezone: {exc}") from None
    referrer = str(values.get("referred_by") or "").strip()
    if referrer:
        out["referred_by"] = referrer.lower()
    return out


def upsert_contact(
    session: Session, account_id: int, values: dict[str, Any]
) -> tuple[Contact, str]:
    """Insert or update by email; returns the contact and 'added' | 'updated' | 'unchanged'.

    Blank fields never erase what is stored: an import can add a role without losing notes.
    """
    data = clean_contact(values)
    referrer_email = data.pop("referred_by", None)
    contact = session.scalar(
        select(Contact).where(Contact.account_id == account_id, Contact.email == data["email"])
    )
    outcome = "unchanged"
    if contact is None:
        contact = Contact(account_id=account_id, status=ContactStatus.NEW, **data)
        session.add(contact)
        outcome = "added"
    else:
        for key, value in data.items():
            if value and getattr(contact, key) != value:
                setattr(contact, key, value)
                outcome = "updated"
    if referrer_email:
        referrer = session.scalar(
            select(Contact).where(Contact.account_id == account_id, Contact.email == referrer_email)
        )
        if referrer is not None and contact.referred_by_id != referrer.id:
            session.flush()
            if referrer.id != contact.id:
                contact.referred_by_id = referrer.id
                outcome = "updated" if outcome == "unchanged" else outcome
    session.flush()
    return contact, outcome


def _header_map(header: Iterable[str]) -> list[str]:
    names = []
    for raw in header:
        key = raw.strip().lower().lstrip("\ufeff")
        names.append(ALIASES.get(key, key.replace(" ", "_")))
    return names


def import_csv(session: Session, account_id: int, text: str) -> ImportReport:
    """Import a CSV with a header row; bad rows are reported by line number, the rest imported.

    Idempotent on email: importing the same file twice adds nothing the second time.
    """
    report = ImportReport()
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        report.errors.append((1, "the file is empty (a header row is needed)"))
        return report
    names = _header_map(header)
    if "email" not in names:
        report.errors.append((1, f"no email column in the header ({', '.join(header)})"))
        return report
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(names):
            report.errors.append((line, f"{len(row)} fields, the header has {len(names)}"))
            continue
        values = dict(zip(names, row, strict=False))
        if not values.get("name") and (values.get("first_name") or values.get("last_name")):
            values["name"] = f"{values.get('first_name', '')} {values.get('last_name', '')}"
        try:
            with session.begin_nested():
                _contact, outcome = upsert_contact(session, account_id, values)
        except ContactError as exc:
            report.errors.append((line, str(exc)))
            continue
        setattr(report, outcome, getattr(report, outcome) + 1)
    return report


def list_contacts(session: Session, account_id: int) -> list[Contact]:
    return list(
        session.scalars(
            select(Contact).where(Contact.account_id == account_id).order_by(Contact.email)
        )
    )


def contact_dict(contact: Contact) -> dict[str, Any]:
    return {
        "email": contact.email,
        "name": contact.name,
        "company": contact.company,
        "role": contact.role,
        "how_found": contact.how_found,
        "timezone": contact.timezone,
        "status": contact.status,
        "referred_by": contact.referred_by.email if contact.referred_by else None,
        "notes": contact.notes,
    }
