"""The Zalo Official Account: its OAuth token pair (sealed with OCOP_SECRET_KEY), each
follower's messaging window, and the route each alert went out by.

Revision ID: 0017
Revises: 0016
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "zalo_oa_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("oa_id", sa.String(length=64), nullable=False),
        sa.Column("access_token", sa.Text(), nullable=False),
        sa.Column("refresh_token", sa.Text(), nullable=False),
        sa.Column("access_expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refresh_expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refresh_failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refresh_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zalo_oa_tokens")),
        sa.UniqueConstraint("oa_id", name=op.f("uq_zalo_oa_tokens_oa_id")),
    )

    op.create_table(
        "zalo_oa_chats",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("last_inbound_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_msg_id", sa.Text(), nullable=True),
        sa.Column("replies_since", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zalo_oa_chats")),
        sa.UniqueConstraint("user_id", name=op.f("uq_zalo_oa_chats_user_id")),
    )
    op.create_table(
        "zalo_oa_inbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zalo_oa_inbox")),
        sa.UniqueConstraint("event_id", name=op.f("uq_zalo_oa_inbox_event_id")),
    )
    op.create_index(
        op.f("ix_zalo_oa_inbox_handled_at_received_at"),
        "zalo_oa_inbox",
        ["handled_at", "received_at"],
    )
    with op.batch_alter_table("notification_outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("route", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notification_outbox", schema=None) as batch_op:
        batch_op.drop_column("delivered_at")
        batch_op.drop_column("route")
    op.drop_index(op.f("ix_zalo_oa_inbox_handled_at_received_at"), table_name="zalo_oa_inbox")
    op.drop_table("zalo_oa_inbox")
    op.drop_table("zalo_oa_chats")
    op.drop_table("zalo_oa_tokens")
