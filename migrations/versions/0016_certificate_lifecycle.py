"""Certificate lifecycle and published council decisions (QĐ 26, Điều 7.3, 8, 12.3).

Certificates record the ground and day of a revocation (Điều 8), the certificate that
superseded them after a re-evaluation or upgrade, and a Điều 12.3 extension; the council's
result records the published decision (number, date, signer), before which its scores are a
draft.

Revision ID: 0016
Revises: 0015
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revocation_ground", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("revoked_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("superseded_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("extended_until", sa.Date(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_certificates_superseded_by_id_certificates"),
            "certificates",
            ["superseded_by_id"],
            ["id"],
        )
    with op.batch_alter_table("evaluation_results", schema=None) as batch_op:
        batch_op.add_column(sa.Column("decision_number", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("decision_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("decision_signer", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("published_at", sa.DateTime(timezone=True), nullable=True))
    # Results recorded before this change were sent to the producer when saved.
    op.execute("UPDATE evaluation_results SET published_at = CURRENT_TIMESTAMP")


def downgrade() -> None:
    with op.batch_alter_table("evaluation_results", schema=None) as batch_op:
        batch_op.drop_column("published_at")
        batch_op.drop_column("decision_signer")
        batch_op.drop_column("decision_date")
        batch_op.drop_column("decision_number")
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_certificates_superseded_by_id_certificates"), type_="foreignkey"
        )
        batch_op.drop_column("extended_until")
        batch_op.drop_column("superseded_by_id")
        batch_op.drop_column("revoked_on")
        batch_op.drop_column("revocation_ground")
