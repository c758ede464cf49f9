"""Which contact an address names, and whether they may be written to at all.

The owner's commands, the scheduler and referrals all ask these two questions; answering them
in one place keeps an unsubscribed or bounced contact out of every path that queues email.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from coffeechat.domain.states import ContactStatus
from coffeechat.store.models import Contact


def contact_by_email(s: Session, email_addr: str, account_id: int | None) -> Contact | None:
    """The contact with this address (in this account when given), oldest first."""
    q = select(Contact).where(Contact.email == email_addr.strip().lower())
    if account_id is not None:
        q = q.where(Contact.account_id == account_id)
    return s.scalar(q.order_by(Contact.id))


def contact_stopped(contact: Contact) -> bool:
    """True when the contact asked not to be written to, unsubscribed or bounced."""
    return contact.do_not_contact or contact.status in (
        ContactStatus.UNSUBSCRIBED,
        ContactStatus.BOUNCED,
    )
