"""The producer's self-assessments against the set's scoring sheet (QĐ 26, Mẫu 02, phần III).

One row per run: a re-run adds a version and keeps the earlier answers for comparison. The
answers are option indices by criterion code (-1: skipped), written one at a time, so a run
can stop and resume on any channel; the total and star band are kept when it is finished,
for the officer's card and the province's pages and exports.

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "self_assessments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("product_set", sa.Integer(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("total", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("stars", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossiers.id"],
            name=op.f("fk_self_assessments_dossier_id_dossiers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_self_assessments")),
        sa.UniqueConstraint(
            "dossier_id", "version", name=op.f("uq_self_assessments_dossier_id_version")
        ),
    )


def downgrade() -> None:
    op.drop_table("self_assessments")
