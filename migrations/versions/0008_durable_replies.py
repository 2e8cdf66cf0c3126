"""Replies kept with the step that made them, until the platform has taken them.

A conversation step writes its replies to ``reply_outbox`` in its own transaction; a sender
delivers each chat's rows in order and deletes them once sent, so a crash between the
commit and the sending loses nothing.

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reply_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("chat_id", sa.Text(), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reply_outbox")),
    )
    with op.batch_alter_table("reply_outbox") as batch:
        batch.create_index(
            batch.f("ix_reply_outbox_channel_chat_id_id"), ["channel", "chat_id", "id"]
        )
        batch.create_index(
            batch.f("ix_reply_outbox_state_next_attempt_at"), ["state", "next_attempt_at"]
        )


def downgrade() -> None:
    op.drop_table("reply_outbox")
