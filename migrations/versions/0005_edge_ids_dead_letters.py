"""Platform ids of any length, and the time an alert became a dead letter.

Chat, sender and event ids and file references are the platforms' to choose: Zalo's have
outgrown the 64 characters they were given, and PostgreSQL refused the whole step of
such a chat. They become TEXT. A notification given up on keeps its reason in
``last_error`` and now the moment in ``failed_at``, for the admin page of dead letters.

Revision ID: 0005
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table → (column, its size before this revision)
ID_COLUMNS: dict[str, tuple[tuple[str, int], ...]] = {
    "channel_accounts": (("external_id", 64), ("chat_id", 64)),
    "invite_attempts": (("external_id", 64),),
    "conversation_sessions": (("chat_id", 64),),
    "processed_events": (("event_id", 128),),
    "evidence_files": (("file_ref", 1024),),
}


def upgrade() -> None:
    for table, columns in ID_COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            for column, size in columns:
                batch.alter_column(
                    column, existing_type=sa.String(length=size), type_=sa.Text(), nullable=False
                )
    with op.batch_alter_table("notification_outbox") as batch:
        batch.add_column(sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notification_outbox") as batch:
        batch.drop_column("failed_at")
    for table, columns in ID_COLUMNS.items():
        for column, size in columns:
            # A longer id cannot go back into the old size: it is cut, as the old schema
            # would have refused it.
            op.execute(
                sa.text(
                    f"UPDATE {table} SET {column} = substr({column}, 1, {size}) "  # noqa: S608 - constant names
                    f"WHERE length({column}) > {size}"
                )
            )
        with op.batch_alter_table(table) as batch:
            for column, size in columns:
                batch.alter_column(
                    column, existing_type=sa.Text(), type_=sa.String(length=size), nullable=False
                )
