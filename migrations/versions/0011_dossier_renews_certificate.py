"""The certificate a re-evaluation or upgrade dossier renews (QĐ 26, Điều 12 and 13).

A first-evaluation dossier has none; a re-evaluation or upgrade dossier points at the
certificate it would replace, so the certificate can show "in re-evaluation" and be
superseded by the new one when the province decides.

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("certificate_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_dossiers_certificate_id"), ["certificate_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_dossiers_certificate_id_certificates"),
            "certificates",
            ["certificate_id"],
            ["id"],
            use_alter=True,
        )


def downgrade() -> None:
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_dossiers_certificate_id_certificates"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_dossiers_certificate_id"))
        batch_op.drop_column("certificate_id")
