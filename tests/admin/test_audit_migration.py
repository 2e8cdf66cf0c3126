"""Migration 0015: entries written before it are findable by their places after it."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from bot.db import schema
from bot.db.engine import create_engine

NOW = datetime(2026, 3, 1, 9, tzinfo=UTC)


async def test_older_entries_get_their_places(blank_database_url: str) -> None:
    engine = create_engine(blank_database_url)
    try:
        await schema.upgrade(engine, "0011")
        async with engine.begin() as connection:
            for sql in (
                "INSERT INTO subjects (id, subject_type, name, commune_code, created_at) "
                "VALUES (1, 'cooperative', 'HTX Xốp', '23356', :now)",
                "INSERT INTO products (id, subject_id, name, group_code, papers_held, "
                "idea_answers, created_at) VALUES (1, 1, 'Mật ong', 'food', '[]', '{}', :now)",
                "INSERT INTO dossiers (id, product_id, kind, status, commune_code, year, version, "
                "status_changed_at, created_at) "
                "VALUES (1, 1, 'new', 'scored', '23356', 2026, 1, :now, :now)",
                "INSERT INTO staff_accounts (id, username, password_hash, scope_kind, scope_code, "
                "created_at) VALUES (1, 'tinh51', 'x', 'province', '51', :now)",
                "INSERT INTO audit_log (id, actor_label, action, entity_type, entity_id, at) "
                "VALUES (1, 'staff:tinh51', 'council.scores', 'dossier', '1', :now), "
                "(2, 'staff:tinh51', 'certificate.revoke', 'product', '1', :now), "
                "(3, 'staff:tinh51', 'import.products', 'import', '20260301', :now)",
            ):
                await connection.execute(text(sql), {"now": NOW})
        await schema.upgrade(engine)
        async with engine.connect() as connection:
            rows = (
                await connection.execute(
                    text(
                        "SELECT id, province_code, commune_code, dossier_id, product_id "
                        "FROM audit_log ORDER BY id"
                    )
                )
            ).all()
        assert [tuple(row) for row in rows] == [
            (1, "51", "23356", 1, 1),
            (2, "51", "23356", None, 1),
            (3, "51", None, None, None),
        ]
    finally:
        await engine.dispose()
