"""Announcements to a segment, and producers' questions to their commune officer.

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "announcements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("province_code", sa.String(length=2), nullable=False),
        sa.Column("author", sa.String(length=255), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("segment", sa.JSON(), nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_announcements")),
    )
    op.create_index(op.f("ix_announcements_province_code"), "announcements", ["province_code"])
    op.create_table(
        "officer_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("producer_person_id", sa.Integer(), nullable=True),
        sa.Column("commune_code", sa.String(length=5), nullable=False),
        sa.Column("province_code", sa.String(length=2), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=True),
        sa.Column("routed_to", sa.String(length=16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_by", sa.String(length=255), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["producer_person_id"],
            ["people.id"],
            name=op.f("fk_officer_questions_producer_person_id_people"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["commune_code"],
            ["communes.code"],
            name=op.f("fk_officer_questions_commune_code_communes"),
        ),
        sa.ForeignKeyConstraint(
            ["dossier_id"], ["dossiers.id"], name=op.f("fk_officer_questions_dossier_id_dossiers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_officer_questions")),
    )
    op.create_index(
        op.f("ix_officer_questions_commune_code_answered_at"),
        "officer_questions",
        ["commune_code", "answered_at"],
    )
    op.create_index(
        op.f("ix_officer_questions_producer_person_id"), "officer_questions", ["producer_person_id"]
    )
    op.create_index(
        op.f("ix_officer_questions_province_code"), "officer_questions", ["province_code"]
    )
    op.create_index(op.f("ix_officer_questions_dossier_id"), "officer_questions", ["dossier_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_officer_questions_dossier_id"), table_name="officer_questions")
    op.drop_index(op.f("ix_officer_questions_province_code"), table_name="officer_questions")
    op.drop_index(op.f("ix_officer_questions_producer_person_id"), table_name="officer_questions")
    op.drop_index(
        op.f("ix_officer_questions_commune_code_answered_at"), table_name="officer_questions"
    )
    op.drop_table("officer_questions")
    op.drop_index(op.f("ix_announcements_province_code"), table_name="announcements")
    op.drop_table("announcements")
