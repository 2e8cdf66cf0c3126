"""The Zalo OA's templates mapped per alert kind on the admin page, each template message
tried (for the page's counts and the quota Zalo reported), and the OA's name.

Revision ID: 0018
Revises: 0017
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "oa_templates",
        sa.Column("kind", sa.String(length=48), nullable=False),
        sa.Column("template_id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("paragraphs", sa.JSON(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("kind", name=op.f("pk_oa_templates")),
    )
    op.create_table(
        "oa_template_sends",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=48), nullable=False),
        sa.Column("template_id", sa.String(length=64), nullable=False),
        sa.Column("error_code", sa.Integer(), nullable=True),
        sa.Column("quota_daily", sa.Integer(), nullable=True),
        sa.Column("quota_left", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oa_template_sends")),
    )
    op.create_index(op.f("ix_oa_template_sends_outbox_id"), "oa_template_sends", ["outbox_id"])
    op.create_index(op.f("ix_oa_template_sends_kind_at"), "oa_template_sends", ["kind", "at"])
    with op.batch_alter_table("zalo_oa_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("oa_name", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("zalo_oa_tokens", schema=None) as batch_op:
        batch_op.drop_column("oa_name")
    op.drop_index(op.f("ix_oa_template_sends_kind_at"), table_name="oa_template_sends")
    op.drop_index(op.f("ix_oa_template_sends_outbox_id"), table_name="oa_template_sends")
    op.drop_table("oa_template_sends")
    op.drop_table("oa_templates")
