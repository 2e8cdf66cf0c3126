"""Shared fixtures: a real database per test, SQLite by default, PostgreSQL on request.

Set ``OCOP_TEST_DATABASE_URL`` (e.g. ``postgresql+asyncpg://postgres@127.0.0.1:5432/test``)
to run the very same tests against PostgreSQL. The schema is always made by the real
migrations, once per run; each test then starts from empty tables (SQLite: a copy of the
migrated file; PostgreSQL: TRUNCATE of every table except the commune reference data).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sqlite3
from collections.abc import AsyncIterator, Iterator
from functools import cache
from pathlib import Path

import pytest
from sqlalchemy import text, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.sql.ddl import sort_tables_and_constraints

from bot.channels.telegram import TelegramChannel, make_bot
from bot.db import schema
from bot.db.base import Base
from bot.db.engine import create_engine, create_sessionmaker
from bot.engine import Engine
from bot.settings import get_settings, normalise_database_url
from tests.builders import Clock
from tests.standins import TELEGRAM_TOKEN, TelegramStandIn, serve

KEEP_TABLES = {"communes", "alembic_version"}
TEST_DATABASE_URL = os.environ.get("OCOP_TEST_DATABASE_URL")


def is_postgres() -> bool:
    """Whether this run targets PostgreSQL."""
    return TEST_DATABASE_URL is not None and TEST_DATABASE_URL.startswith("postgres")


async def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
        await schema.upgrade(engine)
    finally:
        await engine.dispose()


async def _migrate_sqlite(path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        await schema.upgrade(engine)
    finally:
        await engine.dispose()
    # Fold the WAL into the main file so that copying the file copies everything.
    with contextlib.closing(sqlite3.connect(path)) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")


@cache
def _emptying_statement() -> str:
    """One round trip that empties every table but :data:`KEEP_TABLES` and restarts their
    sequences, as ``TRUNCATE … RESTART IDENTITY`` does.

    TRUNCATE gives every table and index a new file, about 140 ms for the whole schema on
    each test, most of the PostgreSQL run's extra time over SQLite's. A test leaves a few
    rows in a few tables: deleting them takes some 20 ms. As TRUNCATE does, it first waits
    for every transaction still open on the tables (a step of the previous test still
    committing would otherwise leave its rows behind). The references that close a cycle
    (a dossier's certificate, whose certificate names the dossier) are cleared first; the
    tables are then emptied children first, so every foreign key holds throughout and the
    owner of the tables needs no other right than TRUNCATE needed.
    """
    names = [table.name for table in Base.metadata.sorted_tables if table.name not in KEEP_TABLES]
    sorted_constraints = sort_tables_and_constraints(Base.metadata.sorted_tables)
    cycle_breaks = [
        str(
            update(constraint.table)
            .values({column.name: None for column in constraint.columns})
            .compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
        )
        + ";"
        for table, constraints in sorted_constraints
        if table is None
        for constraint in constraints
    ]
    listed = ", ".join(f"'{name}'" for name in reversed(names))
    return f"""
    DO $$
    DECLARE
        name text;
        sequence regclass;
    BEGIN
        LOCK TABLE {", ".join(f'"{name}"' for name in names)} IN ACCESS EXCLUSIVE MODE;
        {" ".join(cycle_breaks)}
        FOREACH name IN ARRAY ARRAY[{listed}] LOOP
            EXECUTE format('DELETE FROM %I', name);
            FOR sequence IN
                SELECT depend.objid::regclass FROM pg_depend AS depend
                JOIN pg_class AS owned ON owned.oid = depend.objid AND owned.relkind = 'S'
                WHERE depend.refobjid = format('%I', name)::regclass
                  AND depend.deptype IN ('a', 'i')
            LOOP
                PERFORM setval(sequence, 1, false);
            END LOOP;
        END LOOP;
    END $$
    """  # noqa: S608 - the names are the schema's own tables


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Migrate the target database once per run; return a URL or a template file path."""
    if TEST_DATABASE_URL is not None:
        url = normalise_database_url(TEST_DATABASE_URL)
        asyncio.run(_reset_postgres(url))
        return url
    path = tmp_path_factory.mktemp("template") / "template.db"
    asyncio.run(_migrate_sqlite(path))
    return str(path)


@pytest.fixture
async def database_url(migrated_template: str, tmp_path: Path) -> str:
    """A migrated database with empty tables (communes kept), for this test alone."""
    if TEST_DATABASE_URL is not None:
        engine = create_engine(migrated_template)
        try:
            async with engine.begin() as connection:
                await connection.execute(text(_emptying_statement()))
        finally:
            await engine.dispose()
        return migrated_template
    target = tmp_path / "ocop.db"
    shutil.copyfile(migrated_template, target)
    return f"sqlite+aiosqlite:///{target}"


@pytest.fixture
async def blank_database_url(migrated_template: str, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database (no schema); PostgreSQL is migrated back to head afterwards."""
    if TEST_DATABASE_URL is None:
        yield f"sqlite+aiosqlite:///{tmp_path / 'blank.db'}"
        return
    engine = create_engine(migrated_template)
    try:
        await schema.downgrade(engine, "base")
        yield migrated_template
    finally:
        await schema.upgrade(engine)
        await engine.dispose()


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on this test's database."""
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions on this test's database."""
    return create_sessionmaker(engine)


@pytest.fixture
def clock() -> Clock:
    """A settable clock, at the builders' start moment."""
    return Clock()


@pytest.fixture
def engine_(sessionmaker: async_sessionmaker[AsyncSession], clock: Clock) -> Engine:
    """The conversation engine on this test's database, on the settable clock."""
    return Engine(sessionmaker, clock=clock)


@contextlib.asynccontextmanager
async def telegram_channel(stand_in: TelegramStandIn) -> AsyncIterator[TelegramChannel]:
    """The real python-telegram-bot channel talking to ``stand_in`` on loopback."""
    async with serve(stand_in.app()) as url:
        bot = make_bot(TELEGRAM_TOKEN, f"{url}/bot")
        await bot.initialize()
        try:
            yield TelegramChannel(bot)
        finally:
            await bot.shutdown()


@pytest.fixture
async def telegram() -> AsyncIterator[tuple[TelegramStandIn, TelegramChannel]]:
    """A Bot API stand-in on loopback and the real python-telegram-bot channel talking to it."""
    stand_in = TelegramStandIn()
    async with telegram_channel(stand_in) as channel:
        yield stand_in, channel


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Keep the developer's environment and ``.env`` out of every test."""
    prefixes = ("TELEGRAM_", "ZALO_", "OCOP_", "PUBLIC_BASE_URL", "DATABASE_URL")
    for name in list(os.environ):
        if name.startswith(prefixes) and name != "OCOP_TEST_DATABASE_URL":
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
