"""Every foreign key column has an index.

Without one, each insert of a referenced row (SQLite looks for rows that were waiting for
it) and each delete of one (both databases, to set the references to NULL or refuse) read
the referencing table in full: a new person read every commune assessment and every
officer invite, an erased one did the same on PostgreSQL.

Revision ID: 0020
Revises: 0019
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("certificates", "dossier_id"),
    ("certificates", "superseded_by_id"),
    ("commune_assessments", "officer_person_id"),
    ("commune_assessments", "report_document_id"),
    ("officer_assignments", "invite_id"),
    ("officer_invites", "used_by_person_id"),
)


def upgrade() -> None:
    for table, column in INDEXES:
        op.create_index(op.f(f"ix_{table}_{column}"), table, [column])


def downgrade() -> None:
    for table, column in reversed(INDEXES):
        op.drop_index(op.f(f"ix_{table}_{column}"), table_name=table)
