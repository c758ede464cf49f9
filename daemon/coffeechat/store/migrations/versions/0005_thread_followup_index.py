"""Index threads by account, state, follow-ups sent and last outbound: the scheduler's query.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_threads_account_followup",
        "threads",
        ["account_id", "state", "followups_sent", "last_outbound_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_threads_account_followup", table_name="threads")
