"""A product's set becomes the QĐ 26/2026/QĐ-TTg set number (1–26) instead of a code.

Each set has its own scoring sheet, and the decision numbers them 1–26 (Phụ lục I). The old
``product_set_code`` column was never filled by the bot; where a product's QĐ 148 subgroup
holds exactly one set (herbal, handicraft, ornamental and tourism subgroups), the set is
filled from it; otherwise it stays empty and the producer is asked.

Revision ID: 0006
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The QĐ 148 subgroups that hold one QĐ 26 set (a copy: migrations do not follow later code).
SET_OF_SUBGROUP = {
    "herbal.medicine": 18,
    "herbal.cosmetic": 19,
    "herbal.oil_other": 20,
    "handicraft.wood": 21,
    "handicraft.fibre": 21,
    "handicraft.metal": 21,
    "handicraft.ceramic": 21,
    "handicraft.other": 21,
    "handicraft.textile": 22,
    "ornamental.flower": 23,
    "ornamental.plant": 24,
    "ornamental.animal": 25,
    "tourism.community_eco": 26,
}
# Tourism has a single subgroup and a single set; a product may have its group only.
SET_OF_GROUP = {"tourism": 26}


def upgrade() -> None:
    with op.batch_alter_table("products") as batch:
        batch.add_column(sa.Column("product_set", sa.Integer(), nullable=True))
    products = sa.table(
        "products",
        sa.column("group_code", sa.String),
        sa.column("subgroup_code", sa.String),
        sa.column("product_set", sa.Integer),
    )
    for code, number in SET_OF_SUBGROUP.items():
        op.execute(
            products.update().where(products.c.subgroup_code == code).values(product_set=number)
        )
    for code, number in SET_OF_GROUP.items():
        op.execute(
            products.update()
            .where(products.c.group_code == code)
            .where(products.c.product_set.is_(None))
            .values(product_set=number)
        )
    with op.batch_alter_table("products") as batch:
        batch.drop_column("product_set_code")


def downgrade() -> None:
    with op.batch_alter_table("products") as batch:
        batch.add_column(sa.Column("product_set_code", sa.String(length=32), nullable=True))
        batch.drop_column("product_set")
