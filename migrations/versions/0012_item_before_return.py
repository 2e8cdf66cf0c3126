"""The answer a returned dossier item had before the producer changed it (issue 20, item 5).

When the commune sends a dossier back, the producer may change the items it flagged; the
officer then sees each change as old → new. The old answer is kept here at the first change
and cleared by the officer's next check of the form.

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("dossier_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("before_return", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("dossier_items", schema=None) as batch_op:
        batch_op.drop_column("before_return")
