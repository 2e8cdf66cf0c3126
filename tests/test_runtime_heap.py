"""Start-up work that keeps handling fast: one write gate per database, held from BEGIN to
COMMIT only, and the long-lived start-up objects kept out of the garbage collector's full
passes."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from bot.alerts.dispatch import Dispatcher
from bot.db.engine import (
    POSTGRES_WRITERS,
    create_engine,
    single_statement,
    write_connection,
    write_gate,
    write_transaction,
)
from bot.engine import Engine
from bot.i18n import translator
from bot.runtime import GC_THRESHOLDS, Runtime, settle_heap
from bot.settings import load_settings
from bot.web import admin_context
from handlers import communes
from tests.conftest import is_postgres


async def test_the_gate_is_free_again_before_the_session_closes(engine: AsyncEngine) -> None:
    gate = asyncio.Lock()
    seen: list[bool] = []

    class Watched(AsyncSession):
        async def close(self) -> None:
            seen.append(gate.locked())
            await super().close()

    sessionmaker = async_sessionmaker(engine, class_=Watched, expire_on_commit=False)
    async with write_transaction(sessionmaker, gate) as session:
        await session.execute(text("SELECT 1"))
        assert gate.locked()
    assert seen == [False]  # closing, which runs in a task of its own, holds no writer up


@pytest.fixture
async def own_engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine of the test's own, whose kept connections no other test shares."""
    engine = create_engine(database_url)
    try:
        yield engine
    finally:
        await engine.dispose()


async def driver_of(connection: AsyncConnection) -> Any:
    """The database driver's connection under ``connection``."""
    return (await connection.get_raw_connection()).driver_connection


def closed(driver: Any) -> bool:
    """Whether the driver's connection is closed (for SQLite, its thread ended)."""
    return bool(driver.is_closed()) if is_postgres() else driver._connection is None


async def lost_in(block: AbstractAsyncContextManager[AsyncConnection], error: OSError) -> None:
    """Invalidate the block's connection for ``error``, as SQLAlchemy does when it finds
    the connection lost, and leave the block with it."""
    async with block as connection:
        await connection.invalidate(error)
        raise error


async def test_writers_share_kept_connections_taken_inside_the_gate_until_disposed(
    own_engine: AsyncEngine,
) -> None:
    """Taking a pooled connection and giving it back cost more than an event's own
    statements: writers take a connection the engine keeps, once the gate is held (events
    waiting there hold none), and give it back open. An invalidated one is not used again,
    and ``dispose()`` closes what is kept."""
    gate = asyncio.Lock()  # whose locked() tells, on PostgreSQL too
    checkouts: list[bool] = []
    pool = own_engine.sync_engine.pool
    event.listen(pool, "checkout", lambda *_: checkouts.append(gate.locked()))
    drivers = []
    for _ in range(3):
        async with write_connection(own_engine, gate) as connection:
            await connection.execute(text("SELECT 1"))
            drivers.append(await driver_of(connection))
    assert checkouts == [True]  # once, inside the gate
    assert drivers[0] is drivers[1] is drivers[2]
    with pytest.raises(OSError, match="disk"):
        await lost_in(write_connection(own_engine, gate), OSError("disk gone"))
    async with write_connection(own_engine, gate) as connection:
        fresh = await driver_of(connection)
        assert (await connection.execute(text("SELECT 1"))).scalar() == 1
    assert fresh is not drivers[0]
    await own_engine.dispose()
    assert closed(fresh)  # nothing outlives dispose()


@pytest.mark.skipif(not is_postgres(), reason="one SQLite writer at a time")
async def test_postgresql_keeps_as_many_writer_connections_as_the_gate_lets_through(
    own_engine: AsyncEngine,
) -> None:
    gate = write_gate(own_engine)
    checkouts: list[object] = []
    event.listen(own_engine.sync_engine.pool, "checkout", lambda *_: checkouts.append(1))
    held = asyncio.Event()

    async def write() -> None:
        async with write_connection(own_engine, gate) as connection:
            await connection.execute(text("SELECT 1"))
            await held.wait()

    writers = [asyncio.create_task(write()) for _ in range(POSTGRES_WRITERS + 4)]
    await asyncio.sleep(0.2)
    assert len(checkouts) == POSTGRES_WRITERS  # the others wait at the gate, with none
    held.set()
    await asyncio.gather(*writers)
    assert len(checkouts) == POSTGRES_WRITERS  # given back, and taken again


@pytest.mark.skipif(not is_postgres(), reason="PostgreSQL drops connections")
async def test_kept_connections_opened_before_a_lost_one_are_not_used_again(
    own_engine: AsyncEngine,
) -> None:
    """A database restart ends every connection: once one is found lost, the kept ones
    opened before it are closed instead of failing one event each."""
    gate = write_gate(own_engine)
    async with single_statement(own_engine, gate) as before:
        old = await driver_of(before)
    with pytest.raises(OSError, match="gone"):
        await lost_in(write_connection(own_engine, gate), OSError("server gone"))
    async with single_statement(own_engine, gate) as after:
        new = await driver_of(after)
        assert (await after.execute(text("SELECT 1"))).scalar() == 1
    assert new is not old
    assert closed(old)


async def test_a_connection_in_use_when_the_engine_is_disposed_is_closed_once_given_back(
    own_engine: AsyncEngine,
) -> None:
    """Its pool is gone: kept on, it would be used by the next writers and never closed."""
    gate = asyncio.Lock()
    async with write_connection(own_engine, gate) as connection:
        old = await driver_of(connection)
        await own_engine.dispose()  # the process stopping while a step runs
        await connection.execute(text("SELECT 1"))
    async with write_connection(own_engine, gate) as connection:
        new = await driver_of(connection)
        assert (await connection.execute(text("SELECT 1"))).scalar() == 1
    assert new is not old
    assert closed(old)


@pytest.mark.skipif(not is_postgres(), reason="PostgreSQL drops connections")
async def test_an_old_connection_found_lost_late_does_not_discard_the_newer_ones(
    own_engine: AsyncEngine,
) -> None:
    """After a restart every old connection reports its loss in turn; only the first one
    that was current counts, or each report would close the connections opened since."""
    gate = write_gate(own_engine)
    holding, release = asyncio.Event(), asyncio.Event()

    @asynccontextmanager
    async def an_old_one() -> AsyncIterator[AsyncConnection]:
        async with write_connection(own_engine, gate) as connection:
            holding.set()
            await release.wait()
            yield connection

    old = asyncio.create_task(lost_in(an_old_one(), OSError("server gone, found late")))
    await holding.wait()
    with pytest.raises(OSError, match="gone"):
        await lost_in(single_statement(own_engine, gate), OSError("server gone"))
    async with write_connection(own_engine, gate) as connection:
        newer = await driver_of(connection)
    release.set()
    with pytest.raises(OSError, match="late"):
        await old
    async with write_connection(own_engine, gate) as connection:
        assert await driver_of(connection) is newer


async def test_conversations_alerts_and_admin_queue_on_one_sqlite_write_gate(
    engine_: Engine, tmp_path: Path
) -> None:
    """With a lock each, an alert's commit met a conversation's open transaction and the
    conversation waited in SQLite's busy handler while holding the others up."""
    dispatcher = Dispatcher(engine_.sessionmaker, {})
    admin = admin_context(load_settings(database_url="sqlite+aiosqlite://"), Runtime(engine_))
    bind = engine_.sessionmaker.kw["bind"]
    if is_postgres():  # row locks order the writers; the gate only bounds how many
        assert isinstance(write_gate(bind), asyncio.Semaphore)
        assert write_gate(bind) is engine_.gate
        return
    assert dispatcher.gate is engine_.gate
    assert admin.gate is engine_.gate
    assert write_gate(bind) is engine_.gate
    other = create_engine(f"sqlite+aiosqlite:///{tmp_path}/other.db")
    try:
        assert write_gate(other) is not engine_.gate  # another database, another writer
    finally:
        await other.dispose()


@pytest.fixture
def thawed() -> Iterator[None]:
    gc.unfreeze()
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()  # the test process keeps collecting as usual
    gc.set_threshold(*thresholds)


def test_settle_heap_builds_the_lazy_tables_then_freezes_them(thawed: None) -> None:
    communes._index.cache_clear()
    translator.cache_clear()
    settle_heap()
    assert communes._index.cache_info().currsize == 1
    assert translator.cache_info().currsize == 2  # vi and en
    assert gc.get_freeze_count() > 100_000


def test_after_settling_objects_alive_for_a_while_set_off_no_collection(thawed: None) -> None:
    """Some 200 webhooks in flight hold a few hundred objects each: at CPython's default
    threshold (700) they set off young collections every few updates, which pushed them
    into the older generations and so brought on full collections every half second."""
    settle_heap()
    assert gc.get_threshold() == GC_THRESHOLDS
    young_collections = gc.get_stats()[0]["collections"]
    in_flight = [[index] for index in range(10_000)]
    assert gc.get_stats()[0]["collections"] == young_collections
    assert len(in_flight) == 10_000
