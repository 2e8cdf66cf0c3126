"""The processes that handle conversations on the database, with the channels they take
events from, each alive while it writes its row again, so a process knows when another one
may hold an earlier event of a chat (``bot.presence``).

Revision ID: 0021
Revises: 0020
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "conversation_processes",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("channels", sa.Text(), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_conversation_processes")),
    )


def downgrade() -> None:
    op.drop_table("conversation_processes")
