"""Where each audit entry belongs: province, commune, dossier and product.

Staff search the log by commune, dossier and product and see only their own province's or
commune's entries; entries written before this revision get their places from their
dossier, product, invite or round, and a province clerk's other entries their province.

Revision ID: 0015
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
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
        "UPDATE audit_log SET product_id = (SELECT p.id FROM products p "
        "WHERE CAST(p.id AS VARCHAR(64)) = audit_log.entity_id) WHERE entity_type = 'product'"
    )
    op.execute(
        "UPDATE audit_log SET commune_code = (SELECT s.commune_code FROM products p "
        "JOIN subjects s ON s.id = p.subject_id WHERE p.id = audit_log.product_id) "
        "WHERE commune_code IS NULL AND product_id IS NOT NULL"
    )
    op.execute(
        "UPDATE audit_log SET commune_code = (SELECT i.commune_code FROM officer_invites i "
        "WHERE CAST(i.id AS VARCHAR(64)) = audit_log.entity_id) "
        "WHERE entity_type = 'officer_invite'"
    )
    op.execute(
        "UPDATE audit_log SET province_code = (SELECT r.province_code FROM evaluation_rounds r "
        "WHERE CAST(r.id AS VARCHAR(64)) = audit_log.entity_id) "
        "WHERE entity_type = 'evaluation_round'"
    )
    op.execute(
        "UPDATE audit_log SET province_code = (SELECT c.province_code FROM communes c "
        "WHERE c.code = audit_log.commune_code) "
        "WHERE commune_code IS NOT NULL AND province_code IS NULL"
    )
    # What a province clerk did without a commune (imports, removed rounds): their province.
    op.execute(
        "UPDATE audit_log SET province_code = (SELECT a.scope_code FROM staff_accounts a "
        "WHERE 'staff:' || a.username = audit_log.actor_label AND a.scope_kind = 'province') "
        "WHERE province_code IS NULL AND commune_code IS NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        for name, _ in reversed(COLUMNS):
            batch_op.drop_index(batch_op.f(f"ix_audit_log_{name}"))
            batch_op.drop_column(name)
