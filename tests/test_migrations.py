"""Migrations: the schema they build matches the models, and they round-trip."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, func, inspect, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db import schema
from bot.db.base import Base
from bot.db.engine import create_engine
from bot.db.models import Commune
from bot.db.sqlite_inline import InlineConnection
from tests.conftest import is_postgres


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def test_migrated_schema_matches_the_models(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        assert await connection.run_sync(_diff) == []


async def test_upgrade_downgrade_upgrade_round_trip(blank_database_url: str) -> None:
    engine = create_engine(blank_database_url)
    try:
        assert not (await schema.schema_state(engine)).is_current
        await schema.upgrade(engine)
        state = await schema.schema_state(engine)
        assert state.is_current
        async with engine.connect() as connection:
            tables = await connection.run_sync(_tables)
        assert {table.name for table in Base.metadata.sorted_tables} <= tables

        await schema.downgrade(engine, "base")
        assert (await schema.schema_state(engine)).current is None
        async with engine.connect() as connection:
            assert await connection.run_sync(_tables) <= {"alembic_version"}

        await schema.upgrade(engine)
        await schema.upgrade(engine)  # a second upgrade is a no-op
        assert (await schema.schema_state(engine)).is_current
        async with engine.connect() as connection:
            count = (await connection.execute(select(func.count()).select_from(Commune))).scalar()
        assert count == 3321
    finally:
        await engine.dispose()


async def test_communes_are_the_2025_units(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        rows = (
            await connection.execute(
                select(Commune.division_type, func.count()).group_by(Commune.division_type)
            )
        ).all()
        xop = (await connection.execute(select(Commune).where(Commune.search_key == "xop"))).one()
        provinces = (
            await connection.execute(select(func.count(func.distinct(Commune.province_code))))
        ).scalar()
    assert dict(rows) == {"xã": 2621, "phường": 687, "đặc khu": 13}
    assert provinces == 34
    assert xop.name == "Xã Xốp"
    assert xop.province_code == "51"
    assert xop.province_name == "Quảng Ngãi"


async def test_sqlite_connections_use_wal_foreign_keys_and_busy_timeout(
    engine: AsyncEngine,
) -> None:
    """A lock is waited for in the connection's thread with the busy timeout, never on the
    event loop, where statements fail at once and are handed over (tests/test_sqlite_inline)."""
    if is_postgres():
        return
    async with engine.connect() as connection:
        journal = (await connection.execute(text("PRAGMA journal_mode"))).scalar()
        foreign_keys = (await connection.execute(text("PRAGMA foreign_keys"))).scalar()
        on_the_loop = (await connection.execute(text("PRAGMA busy_timeout"))).scalar()
        driver = (await connection.get_raw_connection()).driver_connection
    assert journal == "wal"
    assert foreign_keys == 1
    assert on_the_loop == 0
    assert isinstance(driver, InlineConnection)
    assert driver.busy_timeout_ms >= 5000
