"""Announcements keep the one-time key of the form or API call that sent them, unique per
author, so the same send submitted twice (a double click, a resubmitted form, a retried API
call) makes one announcement and reaches each person once.

Revision ID: 0019
Revises: 0018
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("announcements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("submission_key", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_announcements_author_submission_key"), ["author", "submission_key"]
        )


def downgrade() -> None:
    with op.batch_alter_table("announcements", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("uq_announcements_author_submission_key"), type_="unique"
        )
        batch_op.drop_column("submission_key")
