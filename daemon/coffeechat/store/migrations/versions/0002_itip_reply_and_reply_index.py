"""Keep iTIP replies on messages; index inbound messages by time for the digest.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("itip_reply", sa.Text(), nullable=True))
    op.create_index(
        "ix_messages_account_direction_received",
        "messages",
        ["account_id", "direction", "received_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_messages_account_direction_received", table_name="messages")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("itip_reply")
