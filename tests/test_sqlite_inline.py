"""SQLite connections run statements on the event loop and wait for locks off it."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.db.engine import create_engine
from bot.db.sqlite_inline import InlineConnection
from tests.conftest import is_postgres
from tests.sqlite_locks import release_later, write_lock_held

pytestmark = pytest.mark.skipif(is_postgres(), reason="SQLite connections only")


async def _driver(connection: AsyncConnection) -> InlineConnection:
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert isinstance(driver, InlineConnection)
    return driver


@pytest.fixture
async def sqlite_engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    try:
        yield engine
    finally:
        await engine.dispose()


async def test_statements_run_on_the_event_loop_thread(sqlite_engine: AsyncEngine) -> None:
    async with sqlite_engine.begin() as connection:
        driver = await _driver(connection)
        await driver.create_function("thread_id", 0, threading.get_ident)
        ran_on = (await connection.execute(text("SELECT thread_id()"))).scalar_one()
    assert ran_on == threading.get_ident()
    assert driver.waits == 0


async def test_a_lock_held_elsewhere_is_waited_for_off_the_loop(
    sqlite_engine: AsyncEngine,
) -> None:
    path = sqlite_engine.url.database
    assert path is not None
    with write_lock_held(path) as other:
        releaser = asyncio.create_task(release_later(other))
        async with sqlite_engine.begin() as connection:  # BEGIN IMMEDIATE waits here
            driver = await _driver(connection)
            assert (await connection.execute(text("SELECT 1"))).scalar_one() == 1
        ticks = await releaser
    assert driver.waits == 1  # the BEGIN, and nothing after it
    assert ticks >= 10  # the loop kept running while the BEGIN waited


async def test_a_transaction_takes_the_write_lock_at_once_without_cores_execution_path(
    sqlite_engine: AsyncEngine,
) -> None:
    path = sqlite_engine.url.database
    assert path is not None
    through_core: list[str] = []
    event.listen(
        sqlite_engine.sync_engine, "before_cursor_execute", lambda *a: through_core.append(a[2])
    )
    async with sqlite_engine.begin():
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")  # ours already holds the write lock
        finally:
            other.close()
    assert through_core == []  # the BEGIN went on the driver's cursor


async def test_a_lock_never_released_fails_after_the_busy_timeout(database_url: str) -> None:
    engine = create_engine(database_url)
    path = engine.url.database
    assert path is not None
    try:
        async with engine.connect() as connection:
            (await _driver(connection)).busy_timeout_ms = 200
        with write_lock_held(path), pytest.raises(Exception, match="database is locked"):
            async with engine.begin() as connection:
                await connection.execute(text("SELECT 1"))
    finally:
        await engine.dispose()


def _size(path: Path) -> int:
    return path.stat().st_size


async def test_commits_never_checkpoint_on_the_loop_and_a_thread_checkpoints_for_them(
    sqlite_engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite's automatic checkpoint (an fsync inside a commit) is off; every few commits
    a passive one runs in a worker thread and copies the WAL into the database file."""
    monkeypatch.setattr("bot.db.sqlite_inline.CHECKPOINT_EVERY", 4)
    async with sqlite_engine.connect() as connection:
        driver = await _driver(connection)
        assert (await connection.execute(text("PRAGMA wal_autocheckpoint"))).scalar_one() == 0
        assert driver.database is not None
        database = Path(driver.database)
        await connection.execute(text("CREATE TABLE IF NOT EXISTS filler (x TEXT)"))
        await connection.commit()
        await asyncio.sleep(0.2)  # a checkpoint the table's commit may have started
        before = _size(database)
        driver.commits = 0  # the 4th and the 8th commits below each start a checkpoint
        for batch in range(2):
            for _ in range(4):
                await connection.execute(text("INSERT INTO filler VALUES (:x)"), {"x": "y" * 4000})
                await connection.commit()
            assert driver.commits == 4 * (batch + 1)
            assert driver.background is not None
            # One checkpoint at a time: a commit while one runs starts none, so wait for it
            # (on a busy machine the first could still be running at the 8th commit).
            await driver.background
        # The rows reached the database file while the connection stayed open: copied by
        # the worker thread's checkpoint, not by any commit of this connection.
        assert _size(database) - before >= 8 * 4000
