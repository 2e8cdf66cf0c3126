"""Start-up work that keeps handling fast: one write gate per database, held from BEGIN to
COMMIT only, and the long-lived start-up objects kept out of the garbage collector's full
passes."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

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


async def test_writers_share_kept_connections_taken_inside_the_gate_until_disposed(
    database_url: str,
) -> None:
    """Taking a pooled connection and giving it back cost more than an event's own
    statements: writers take a connection the engine keeps, once the gate is held (events
    waiting there hold none), and give it back open. An invalidated one is not used again,
    and ``dispose()`` closes what is kept."""
    engine = create_engine(database_url)
    gate = asyncio.Lock()  # whose locked() tells, on PostgreSQL too
    checkouts: list[bool] = []
    event.listen(engine.sync_engine.pool, "checkout", lambda *_: checkouts.append(gate.locked()))
    drivers = []
    for _ in range(3):
        async with write_connection(engine, gate) as connection:
            await connection.execute(text("SELECT 1"))
            drivers.append((await connection.get_raw_connection()).driver_connection)
    assert checkouts == [True]  # once, inside the gate
    assert drivers[0] is drivers[1] is drivers[2]

    async def break_the_handle() -> None:
        async with write_connection(engine, gate) as connection:
            await connection.invalidate()  # as SQLAlchemy does when the database handle breaks
            raise OSError("disk gone")

    with pytest.raises(OSError, match="disk"):
        await break_the_handle()
    async with write_connection(engine, gate) as connection:
        fresh = (await connection.get_raw_connection()).driver_connection
        assert (await connection.execute(text("SELECT 1"))).scalar() == 1
    assert fresh is not drivers[0]
    await engine.dispose()
    # Closed: nothing outlives dispose() (for SQLite, its thread ended).
    assert fresh.is_closed() if is_postgres() else fresh._connection is None


@pytest.mark.skipif(not is_postgres(), reason="one SQLite writer at a time")
async def test_postgresql_keeps_as_many_writer_connections_as_the_gate_lets_through(
    database_url: str,
) -> None:
    engine = create_engine(database_url)
    gate = write_gate(engine)
    checkouts: list[object] = []
    event.listen(engine.sync_engine.pool, "checkout", lambda *_: checkouts.append(1))
    held = asyncio.Event()

    async def write() -> None:
        async with write_connection(engine, gate) as connection:
            await connection.execute(text("SELECT 1"))
            await held.wait()

    try:
        writers = [asyncio.create_task(write()) for _ in range(POSTGRES_WRITERS + 4)]
        await asyncio.sleep(0.2)
        assert len(checkouts) == POSTGRES_WRITERS  # the others wait at the gate, with none
        held.set()
        await asyncio.gather(*writers)
        assert len(checkouts) == POSTGRES_WRITERS  # given back, and taken again
    finally:
        await engine.dispose()


@pytest.mark.skipif(not is_postgres(), reason="PostgreSQL drops connections")
async def test_kept_connections_opened_before_a_lost_one_are_not_used_again(
    database_url: str,
) -> None:
    """A database restart ends every connection: once one is found lost, the kept ones
    opened before it are closed instead of failing one event each."""
    engine = create_engine(database_url)
    gate = write_gate(engine)
    try:
        async with single_statement(engine, gate) as before:
            old = (await before.get_raw_connection()).driver_connection

        async def lose_one() -> None:
            async with write_connection(engine, gate) as connection:
                gone = OSError("server gone")
                await connection.invalidate(gone)  # as a lost connection is
                raise gone

        with pytest.raises(OSError, match="gone"):
            await lose_one()
        async with single_statement(engine, gate) as after:
            new = (await after.get_raw_connection()).driver_connection
            assert (await after.execute(text("SELECT 1"))).scalar() == 1
        assert new is not old
        assert old.is_closed()
    finally:
        await engine.dispose()


async def test_a_connection_in_use_when_the_engine_is_disposed_is_closed_once_given_back(
    database_url: str,
) -> None:
    """Its pool is gone: kept on, it would be used by the next writers and never closed."""
    engine = create_engine(database_url)
    gate = asyncio.Lock()
    try:
        async with write_connection(engine, gate) as connection:
            old = (await connection.get_raw_connection()).driver_connection
            await engine.dispose()  # the process stopping while a step runs
            await connection.execute(text("SELECT 1"))
        async with write_connection(engine, gate) as connection:
            new = (await connection.get_raw_connection()).driver_connection
            assert (await connection.execute(text("SELECT 1"))).scalar() == 1
        assert new is not old
        assert old.is_closed() if is_postgres() else old._connection is None
    finally:
        await engine.dispose()


@pytest.mark.skipif(not is_postgres(), reason="PostgreSQL drops connections")
async def test_an_old_connection_found_lost_late_does_not_discard_the_newer_ones(
    database_url: str,
) -> None:
    """After a restart every old connection reports its loss in turn; only the first one
    that was current counts, or each report would close the connections opened since."""
    engine = create_engine(database_url)
    gate = write_gate(engine)
    holding, release = asyncio.Event(), asyncio.Event()

    async def hold_an_old_one() -> None:
        async with write_connection(engine, gate) as connection:
            holding.set()
            await release.wait()
            late = OSError("server gone, found late")
            await connection.invalidate(late)
            raise late

    async def lose_one() -> None:
        async with single_statement(engine, gate) as connection:
            gone = OSError("server gone")
            await connection.invalidate(gone)
            raise gone

    try:
        old = asyncio.create_task(hold_an_old_one())
        await holding.wait()
        with pytest.raises(OSError, match="gone"):
            await lose_one()
        async with write_connection(engine, gate) as connection:
            newer = (await connection.get_raw_connection()).driver_connection
        release.set()
        with pytest.raises(OSError, match="late"):
            await old
        async with write_connection(engine, gate) as connection:
            again = (await connection.get_raw_connection()).driver_connection
        assert again is newer
    finally:
        await engine.dispose()


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
