"""The alert sweep's watermark.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alert_sweeps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("swept_through", sa.Date(), nullable=False),
        sa.Column("swept_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_sweeps")),
    )


def downgrade() -> None:
    op.drop_table("alert_sweeps")
