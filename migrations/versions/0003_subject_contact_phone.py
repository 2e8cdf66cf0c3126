"""A subject's published contact phone, so a producer who signs up can claim it.

Provinces' OCOP lists often give the subject's phone number; an imported subject keeps it
(E.164) so that a producer who later signs up with that number is offered the subject and
its certified products.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("subjects") as batch:
        batch.add_column(sa.Column("contact_phone_e164", sa.String(length=20), nullable=True))
        batch.create_index(
            batch.f("ix_subjects_contact_phone_e164"), ["contact_phone_e164"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("subjects") as batch:
        batch.drop_index(batch.f("ix_subjects_contact_phone_e164"))
        batch.drop_column("contact_phone_e164")
