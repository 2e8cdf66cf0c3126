"""Built-once statements run directly on SQLite store and read exactly what SQLAlchemy's
Core does, refuse what they cannot run faithfully, and on PostgreSQL are Core itself."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import bindparam, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from bot.db.direct import (
    CoreStatements,
    CursorStatements,
    DirectStatements,
    first,
    prepare,
    statements_for,
)
from bot.db.models import ChannelAccount, ConversationSession, Person, ProcessedEvent
from bot.db.sqlite_inline import InlineConnection
from bot.engine import hot_statements
from bot.store import _PROFILE_BY_ACCOUNT
from tests.conftest import is_postgres
from tests.sqlite_locks import release_later, write_lock_held

sqlite_only = pytest.mark.skipif(is_postgres(), reason="the direct path is SQLite's")
MOMENT = datetime(2027, 3, 8, 1, 2, 3, 456789, tzinfo=UTC)
LOCAL = MOMENT.astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))  # stored as UTC all the same


async def _stored(connection: AsyncConnection, table: str) -> list[tuple[Any, ...]]:
    """Rows as the database holds them (raw text and numbers, not the models' values)."""
    rows = await connection.exec_driver_sql(f"SELECT * FROM {table} ORDER BY id")  # noqa: S608
    return [tuple(row) for row in rows]


def _session_params(chat: str) -> dict[str, Any]:
    return {
        "channel": "telegram",
        "chat_id": chat,
        "data": {},
        "version": 0,
        "updated_at": LOCAL,
        "profile_channel": "telegram",
        "profile_external_id": chat,
    }


def _save_params(row_id: int, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "row_id": row_id,
        "flow": "signup",
        "step": "phone",
        "data": data,
        "language": "vi",
        "person_id": None,
        "version": 3,
        "updated_at": MOMENT,
    }


async def test_the_statements_go_to_sqlite_itself_or_to_the_drivers_cursor(
    engine: AsyncEngine,
) -> None:
    async with engine.begin() as connection:
        statements = await statements_for(connection)
    expected = CursorStatements if is_postgres() else DirectStatements
    assert type(statements) is expected


@sqlite_only
@pytest.mark.parametrize("paramstyle", ["qmark", "named"])
async def test_other_drivers_run_the_statements_through_core(
    database_url: str, paramstyle: str
) -> None:
    """aiosqlite as SQLAlchemy ships it (no inline connection), with either kind of
    placeholder: the cursor path is asyncpg's adapter's own, anything else goes through
    Core."""
    engine = create_async_engine(database_url, paramstyle=paramstyle)
    hot = hot_statements("sqlite")
    try:
        async with engine.begin() as connection:
            statements = await statements_for(connection)
            event = {"channel": "zalo", "event_id": paramstyle, "processed_at": MOMENT}
            (inserted,) = await statements.rows(hot.first_delivery, event)
            (created,) = await statements.rows(hot.session_row, _session_params("z"))
    finally:
        await engine.dispose()
    assert type(statements) is CoreStatements
    assert inserted.id == 1
    assert (created.data, created.version) == ({}, 0)


async def test_direct_and_core_store_and_read_the_same(engine: AsyncEngine) -> None:
    hot = hot_statements(engine.dialect.name)
    data = {"drafts": {"tên": "Mật ong Xốp", "số": [1, 2.5, None]}, "greeted": True}
    async with engine.begin() as connection:
        direct = await statements_for(connection)
        core = CoreStatements(connection)
        results = []
        for chat, statements in (("1", direct), ("2", core)):
            event = {"channel": "telegram", "event_id": f"e{chat}", "processed_at": LOCAL}
            (inserted,) = await statements.rows(hot.first_delivery, event)
            assert not await statements.rows(hot.first_delivery, event)  # a redelivery
            (created,) = await statements.rows(hot.session_row, _session_params(chat))
            await statements.rows(hot.save_session, _save_params(created.id, data))
            (again,) = await statements.rows(hot.session_row, _session_params(chat))
            results.append((inserted.id, tuple(created), tuple(again)))
        events = await _stored(connection, "processed_events")
        sessions = await _stored(connection, "conversation_sessions")
    (direct_ids, *direct_rows), (core_ids, *core_rows) = results
    assert 0 < direct_ids < core_ids  # (PostgreSQL spends an id on the redelivery)
    assert [row[1:] for row in direct_rows] == [row[1:] for row in core_rows]
    assert direct_rows[1][1:] == ("signup", "phone", data, "vi", 3, None, None, None, None, None)
    # What Core stored, apart from the ids and keys that differ on purpose.
    assert [row[1] for row in events] == ["telegram", "telegram"]
    assert events[0][3] == events[1][3]
    assert [row[3:] for row in sessions[:1]] == [row[3:] for row in sessions[1:]]
    if not is_postgres():  # byte for byte: SQLite keeps times and JSON as text
        assert events[0][3] == "2027-03-08 01:02:03.456789"
        assert sessions[0][6] == sessions[1][6] == json.dumps(data)


async def test_a_transaction_started_by_the_drivers_cursor_is_the_sessions_own(
    engine: AsyncEngine,
) -> None:
    """A direct statement first in a transaction runs inside it: rolled back with it."""
    hot = hot_statements(engine.dialect.name)
    async with engine.connect() as connection:
        transaction = await connection.begin()
        statements = await statements_for(connection)
        event = {"channel": "zalo", "event_id": "rolled-back", "processed_at": MOMENT}
        assert await statements.rows(hot.first_delivery, event)
        await transaction.rollback()
        async with connection.begin():
            assert await statements.rows(hot.first_delivery, event)  # not a redelivery


async def test_a_select_reads_joined_columns_and_the_statements_own_values(
    engine: AsyncEngine,
) -> None:
    async with engine.begin() as connection:
        person = await connection.execute(
            insert(Person).returning(Person.id),
            {"full_name": "Lò Thị Lan", "role": "producer", "language": "en"},
        )
        person_id = person.scalar_one()
        await connection.execute(
            insert(ChannelAccount),
            {"person_id": person_id, "channel": "zalo", "external_id": "u1", "chat_id": "u1"},
        )
        statements = await statements_for(connection)
        found = await first(
            statements, _PROFILE_BY_ACCOUNT, {"channel": "zalo", "external_id": "u1"}
        )
        missing = await first(
            statements, _PROFILE_BY_ACCOUNT, {"channel": "telegram", "external_id": "u1"}
        )
        limited = select(Person.full_name).where(Person.role == "producer").limit(1)
        (named,) = await statements.rows(limited, {})
    assert (found.id, found.full_name, found.role, found.language) == (
        person_id,
        "Lò Thị Lan",
        "producer",
        "en",
    )
    assert missing is None
    assert named.full_name == "Lò Thị Lan"


def test_statements_that_sqlalchemy_would_complete_are_refused() -> None:
    from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite  # noqa: PLC0415

    dialect = SQLiteDialect_aiosqlite()
    with pytest.raises(ValueError, match=r"fill in \['processed_at'\]"):
        prepare(insert(ProcessedEvent), ("channel", "event_id"), dialect)
    with pytest.raises(ValueError, match="expanding"):
        prepare(
            select(ConversationSession.id).where(
                ConversationSession.chat_id.in_(bindparam("chats", expanding=True))
            ),
            ("chats",),
            dialect,
        )
    with pytest.raises(ValueError, match="'chat' has no value"):
        prepare(
            select(ConversationSession.id).where(ConversationSession.chat_id == bindparam("chat")),
            (),
            dialect,
        )


@sqlite_only
async def test_a_direct_statement_waits_for_a_lock_off_the_loop(engine: AsyncEngine) -> None:
    """A direct statement that meets another writer's lock (here: one run outside a write
    transaction) waits in the connection's thread, as every other call does."""
    path = engine.url.database
    assert path is not None
    event = {"channel": "zalo", "event_id": "m1", "processed_at": MOMENT}
    with write_lock_held(path) as other:
        async with engine.connect() as connection:
            statements = await statements_for(connection)
            releaser = asyncio.create_task(release_later(other))
            (inserted,) = await statements.rows(hot_statements("sqlite").first_delivery, event)
            ticks = await releaser
            driver = (await connection.get_raw_connection()).driver_connection
    assert isinstance(driver, InlineConnection)
    assert driver.waits == 1
    assert ticks >= 10  # the loop kept running while the insert waited
    assert inserted.id == 1


def test_prepared_values_follow_the_placeholders_order() -> None:
    from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite  # noqa: PLC0415

    dialect = SQLiteDialect_aiosqlite()
    hot = hot_statements("sqlite")
    params = _save_params(7, {"a": 1})
    prepared = prepare(hot.save_session, tuple(params), dialect)
    assert prepared.sql.startswith("UPDATE conversation_sessions SET")
    values = dict(zip(prepared.names, prepared.values(params), strict=True))
    assert values["row_id"] == 7
    assert values["data"] == '{"a": 1}'
    assert values["updated_at"] == "2027-03-08 01:02:03.456789"
    assert prepare(hot.save_session, tuple(params), dialect) is prepared  # compiled once
