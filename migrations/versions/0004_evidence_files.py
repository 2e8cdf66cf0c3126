"""Evidence files keep their bytes.

Zalo's photo links are CDN addresses that expire, and a Telegram ``file_id`` opens only
through the bot's own token: the bot now downloads a photo or file when it arrives and
keeps the bytes with the checklist item they answer, so officers open them later on the
admin dossier page. Rows received before keep only the channel's reference (NULL).

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("evidence_files") as batch:
        batch.add_column(sa.Column("content", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("evidence_files") as batch:
        batch.drop_column("content")
