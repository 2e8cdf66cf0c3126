"""Admin sessions kept server-side, and the login throttle per (username, address).

A session cookie now names a row (by the SHA-256 of its random token) that logout ends, so
a copied cookie stops working at logout on every process. Wrong passwords are counted per
username and address in the database, so the growing delays hold across processes and
restarts.

Revision ID: 0007
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "admin_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_accounts.id"],
            name=op.f("fk_admin_sessions_staff_id_staff_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_admin_sessions_token_hash")),
    )
    with op.batch_alter_table("admin_sessions") as batch:
        batch.create_index(batch.f("ix_admin_sessions_staff_id"), ["staff_id"], unique=False)
        batch.create_index(batch.f("ix_admin_sessions_expires_at"), ["expires_at"], unique=False)
    op.create_table(
        "login_throttles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_try_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("wait_until", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_throttles")),
        sa.UniqueConstraint(
            "username", "address", name=op.f("uq_login_throttles_username_address")
        ),
    )
    with op.batch_alter_table("login_throttles") as batch:
        batch.create_index(batch.f("ix_login_throttles_last_try_at"), ["last_try_at"], unique=False)


def downgrade() -> None:
    op.drop_table("login_throttles")
    op.drop_table("admin_sessions")
