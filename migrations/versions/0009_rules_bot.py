"""Expiry reminders still waiting to be sent under the old schedule are dropped.

Until QĐ 26/2026/QĐ-TTg the bot reminded producers 180, 90, 30, 7 and 0 days before a
certificate expired, sent the 30-day one as the issuing office's "legal" notice (through
any opt-out) and copied it to the commune's officers. Under QĐ 26 a re-evaluation is filed
180 to 120 days before expiry (Điều 7.6.a) and nobody owes a written notice, so the
reminders now come at 180, 150, 127, 120 and 0 days (``ocop_rules.ALERT_SCHEDULE``).

The sweep plans a certificate's reminders day by day as they fall due, so certificates that
already exist get the new schedule from the next sweep on. What remains of the old one are
rows planned but not sent yet (waiting for the morning, or for the bot to be running): an
old offset (90, 30, 7 days — after the window has closed), a "legal" notice, or an
officer's copy. Those pending rows are deleted; rows already sent, skipped or failed are
the history of what happened and stay. A pending reminder at an offset both schedules
share (180, 0) stays: it is worded by today's code when it is sent.

Revision ID: 0009
Revises: 0007
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The QĐ 26 offsets (a copy: migrations do not follow later code).
NEW_OFFSETS = frozenset({180, 150, 127, 120, 0})


def planned_under_the_old_schedule(payload: dict[str, Any]) -> bool:
    """Whether a pending expiry reminder belongs to the old schedule only."""
    return (
        payload.get("days_before") not in NEW_OFFSETS
        or bool(payload.get("legal"))
        or payload.get("audience") == "officer"
    )


def upgrade() -> None:
    outbox = sa.table(
        "notification_outbox",
        sa.column("id", sa.Integer),
        sa.column("kind", sa.String),
        sa.column("state", sa.String),
        sa.column("payload", sa.JSON),
    )
    connection = op.get_bind()
    pending = connection.execute(
        sa.select(outbox.c.id, outbox.c.payload)
        .where(outbox.c.kind == "cert_expiry")
        .where(outbox.c.state == "pending")
    ).all()
    stale = [row_id for row_id, payload in pending if planned_under_the_old_schedule(payload)]
    for start in range(0, len(stale), 500):
        connection.execute(outbox.delete().where(outbox.c.id.in_(stale[start : start + 500])))


def downgrade() -> None:
    """Nothing to restore: the deleted rows were reminders the old code would plan again."""
