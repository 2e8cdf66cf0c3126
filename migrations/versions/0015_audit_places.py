"""Where each audit entry belongs: province, commune, dossier and product.

Staff search the log by commune, dossier and product and see only their own province's or
commune's entries; entries about dossiers written before this revision get their places
from the dossier.

Revision ID: 0015
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ("province_code", sa.String(length=2)),
    ("commune_code", sa.String(length=5)),
    ("dossier_id", sa.Integer()),
    ("product_id", sa.Integer()),
)


def upgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        for name, kind in COLUMNS:
            batch_op.add_column(sa.Column(name, kind, nullable=True))
            batch_op.create_index(batch_op.f(f"ix_audit_log_{name}"), [name])
    op.execute(
        "UPDATE audit_log SET dossier_id = (SELECT d.id FROM dossiers d "
        "WHERE CAST(d.id AS VARCHAR(64)) = audit_log.entity_id) WHERE entity_type = 'dossier'"
    )
    op.execute(
        "UPDATE audit_log SET "
        "commune_code = (SELECT d.commune_code FROM dossiers d WHERE d.id = audit_log.dossier_id), "
        "product_id = (SELECT d.product_id FROM dossiers d WHERE d.id = audit_log.dossier_id) "
        "WHERE dossier_id IS NOT NULL"
    )
    op.execute(
        "UPDATE audit_log SET province_code = (SELECT c.province_code FROM communes c "
        "WHERE c.code = audit_log.commune_code) WHERE commune_code IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        for name, _ in reversed(COLUMNS):
            batch_op.drop_index(batch_op.f(f"ix_audit_log_{name}"))
            batch_op.drop_column(name)
