"""A chat's arrival keeps the webhook's payload.

The Telegram and Zalo webhooks answer once the event is kept (its arrival, committed), and
handle it after the answer; an event whose process died before applying it is handled from
this body by the next sweep (bot.inbox).

Revision ID: 0021
Revises: 0020
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("chat_arrivals") as batch:
        batch.add_column(sa.Column("body", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("chat_arrivals") as batch:
        batch.drop_column("body")
