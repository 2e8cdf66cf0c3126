"""Events of a chat received and not yet applied, in their platform's order, so several
processes on one database apply a chat's events in that order (``bot.engine``).

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chat_arrivals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("chat_id", sa.Text(), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("order_at", sa.BigInteger(), nullable=False),
        sa.Column("order_key", sa.Text(), nullable=False),
        sa.Column("arrived_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_arrivals")),
        sa.UniqueConstraint("channel", "event_id", name=op.f("uq_chat_arrivals_channel_event_id")),
    )
    with op.batch_alter_table("chat_arrivals") as batch:
        batch.create_index(
            batch.f("ix_chat_arrivals_channel_chat_id_order_at_order_key"),
            ["channel", "chat_id", "order_at", "order_key"],
        )


def downgrade() -> None:
    op.drop_table("chat_arrivals")
