"""Store IMAP UIDs, UIDVALIDITY and HIGHESTMODSEQ as 64-bit integers, unwrapped.

UIDs and UIDVALIDITY are unsigned 32-bit and HIGHESTMODSEQ is up to 63 bits (RFC 7162), so a
signed 32-bit column cannot hold them. Until this revision UIDs were stored wrapped into the
negative range and large mod-sequences were dropped; this revision widens the columns and
unwraps the stored values, so the numbers in the store are the server's numbers.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = {
    "messages": ("uidvalidity", "uid"),
    "sync_state": ("uidvalidity", "last_uid", "highest_modseq"),
}
_WRAP = 2**32


def upgrade() -> None:
    for table, columns in _COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            for name in columns:
                batch.alter_column(name, type_=sa.BigInteger(), existing_type=sa.Integer())
    for table, columns in _COLUMNS.items():
        for name in columns:
            if name == "highest_modseq":
                continue  # never wrapped: values that did not fit were stored as NULL
            col = sa.column(name, sa.BigInteger())
            op.execute(sa.table(table, col).update().where(col < 0).values({name: col + _WRAP}))


def downgrade() -> None:
    for table, columns in _COLUMNS.items():
        for name in columns:
            col = sa.column(name, sa.BigInteger())
            target = sa.null() if name == "highest_modseq" else col - _WRAP
            op.execute(sa.table(table, col).update().where(col >= 2**31).values({name: target}))
        with op.batch_alter_table(table) as batch:
            for name in columns:
                batch.alter_column(name, type_=sa.Integer(), existing_type=sa.BigInteger())
