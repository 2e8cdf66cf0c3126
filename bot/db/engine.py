"""Async engine and session factory, configured per database kind.

SQLite gets WAL (readers never block the single writer), enforced foreign keys,
``secure_delete`` (deleted and overwritten values are zeroed in the file, so an erased
person's name is not left in free space), and connections that run statements on the
event loop and wait for another connection's lock in a thread, with a busy timeout
(:mod:`bot.db.sqlite_inline`). Its transactions start with ``BEGIN IMMEDIATE``
(SQLAlchemy's documented recipe), so a transaction that reads and then writes never
fails half-way on a lock upgrade; inside one process, :func:`write_gate` serialises
writers instead of letting them poll the busy timeout.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from typing import Any

from sqlalchemy import Connection, Engine, event, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.db.sqlite_inline import InlineConnection, inline_creator

SQLITE_BUSY_TIMEOUT_MS = 15_000
# PostgreSQL: write transactions one process runs at a time (:func:`write_gate`), and its
# pool. Without the cap, every webhook in flight took a connection of its own: past the
# pool's size each one was opened for the step and closed after it, a new connection (and
# its prepared statements) per update, and the database's processes competed for the same
# cores as the bot's. The pool keeps twice the writers open, plus a few for reads: a
# writer's connection goes back only after the gate has let the next writer in
# (:func:`write_connection`), and with the writers plus a few, the benchmark still opened
# and closed connections beyond the pool (48 backends in a run that needs 28).
POSTGRES_WRITERS = 16
POSTGRES_POOL_SIZE = 2 * POSTGRES_WRITERS + 4


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    """Set the per-connection pragmas SQLite does not persist; let us emit BEGIN ourselves."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=0")  # waits happen off the loop (sqlite_inline)
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA secure_delete=ON")  # per connection: SQLite does not persist it
    # No checkpoint inside a commit, on the event loop: bot.db.sqlite_inline runs them in a
    # worker thread.
    cursor.execute("PRAGMA wal_autocheckpoint=0")
    cursor.close()


def create_engine(database_url: str, **kwargs: Any) -> AsyncEngine:
    """Build the process's engine for ``database_url`` (already normalised by settings)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        kwargs.setdefault("async_creator", inline_creator(url, SQLITE_BUSY_TIMEOUT_MS))
        kwargs.setdefault("pool_use_lifo", True)
    elif url.get_backend_name() == "postgresql":
        kwargs.setdefault("pool_size", POSTGRES_POOL_SIZE)
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _configure_sqlite)
        event.listen(engine.sync_engine, "begin", _begin_immediate)
    return engine


def _begin_immediate(connection: Connection) -> None:
    """Emit the transaction's BEGIN ourselves (SQLAlchemy's recipe for SQLite), on the
    driver's cursor: ``exec_driver_sql`` ran Core's whole execution path for it, which on
    every event cost more than the statement."""
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute("BEGIN IMMEDIATE")
    finally:
        cursor.close()


_GATES: weakref.WeakKeyDictionary[AsyncEngine, asyncio.Lock | asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


def write_gate(engine: AsyncEngine) -> AbstractAsyncContextManager[Any]:
    """The gate to hold around write transactions: one writer at a time on SQLite (which
    allows only one anyway); on PostgreSQL, where row locks order the writers,
    :data:`POSTGRES_WRITERS` at a time, so the waiting ones queue here and the pool's
    connections stay open (see :data:`POSTGRES_WRITERS`). Nothing else is on other databases.

    One lock per engine, whoever asks: the conversations, the alert dispatcher and the
    admin pages of a process must queue on the same one. With a lock each, a dispatcher
    commit met a conversation's open transaction, SQLite answered busy, and the step waited
    in SQLite's busy handler — up to a second — while holding the conversations' lock.
    """
    name = engine.dialect.name
    if name not in ("sqlite", "postgresql"):
        return nullcontext()
    gate = _GATES.get(engine)
    if gate is None:
        gate = asyncio.Lock() if name == "sqlite" else asyncio.Semaphore(POSTGRES_WRITERS)
        _GATES[engine] = gate
    return gate


@asynccontextmanager
async def write_transaction(
    sessionmaker: async_sessionmaker[AsyncSession], gate: AbstractAsyncContextManager[Any]
) -> AsyncIterator[AsyncSession]:
    """A session in one transaction, committed on exit, holding ``gate`` from its BEGIN to
    its COMMIT only.

    Closing an async session runs in a task of its own (SQLAlchemy's ``_run_to_completion``),
    which costs the caller two turns of the event loop; under load that is tens of
    milliseconds, and a gate still held then made every other writer wait for it.
    """
    async with sessionmaker() as session, gate, session.begin():
        yield session


@asynccontextmanager
async def write_connection(
    engine: AsyncEngine, gate: AbstractAsyncContextManager[Any]
) -> AsyncIterator[AsyncConnection]:
    """A Core connection in one transaction, committed on exit, holding ``gate`` from its
    BEGIN to its COMMIT only — :func:`write_transaction` without the ORM session, for the
    conversation engine, whose every event runs a few Core statements and most events no
    ORM at all (an ORM session bound to this connection joins its transaction).

    On SQLite, where the gate lets one writer through at a time anyway, every event uses
    one connection kept for the purpose (:func:`_kept_connection`): taking a connection
    from the pool and giving it back cost more than the event's own statements.
    Elsewhere the connection is taken from the pool only once the gate is held, so
    waiting events do not hold pooled connections, and is closed after the gate is free
    again, shielded as SQLAlchemy's own ``async with`` closes it, so a cancelled event
    still returns it.
    """
    if engine.dialect.name == "sqlite":
        async with gate:
            connection = await _kept_connection(engine)
            async with connection.begin():
                yield connection
        return
    async with _pooled(engine, gate) as connection, connection.begin():
        yield connection


@asynccontextmanager
async def single_statement(
    engine: AsyncEngine, gate: AbstractAsyncContextManager[Any]
) -> AsyncIterator[AsyncConnection]:
    """A connection for one write statement that needs no transaction of its own (a
    statement is atomic by itself), holding ``gate`` while it runs.

    On PostgreSQL it runs in autocommit: the statement commits as it ends, and the
    transaction's BEGIN and COMMIT, two more round trips on the database and through the
    driver, are not sent. Elsewhere it is :func:`write_connection` (on SQLite the kept
    connection, whose transaction is cheap and in-process).
    """
    if engine.dialect.name != "postgresql":
        async with write_connection(engine, gate) as connection:
            yield connection
        return
    async with _pooled(engine, gate) as connection:
        yield await connection.execution_options(isolation_level="AUTOCOMMIT")


@asynccontextmanager
async def _pooled(
    engine: AsyncEngine, gate: AbstractAsyncContextManager[Any]
) -> AsyncIterator[AsyncConnection]:
    """A connection taken from the pool once ``gate`` is held, and closed after the gate is
    free again (see :func:`write_connection`)."""
    connection = engine.connect()
    try:
        async with gate:
            await connection.start()
            yield connection
    finally:
        await asyncio.shield(asyncio.ensure_future(connection.close()))


_KEPT: weakref.WeakKeyDictionary[Engine, AsyncConnection] = weakref.WeakKeyDictionary()


async def _kept_connection(engine: AsyncEngine) -> AsyncConnection:
    """The connection :func:`write_connection` keeps for ``engine`` (called under its
    gate): opened on first use, opened anew once SQLAlchemy has invalidated it (a broken
    database file or handle), and closed by ``engine.dispose()``."""
    connection = _KEPT.get(engine.sync_engine)
    if connection is not None and not connection.invalidated:
        return connection
    if connection is not None:
        await connection.close()
    if not event.contains(engine.sync_engine, "engine_disposed", _close_kept):
        event.listen(engine.sync_engine, "engine_disposed", _close_kept)
    connection = _KEPT[engine.sync_engine] = await engine.connect()
    return connection


def _close_kept(engine: Engine) -> None:
    """Close the kept connection when its engine is disposed (SQLAlchemy calls this in its
    own greenlet, where the connection's synchronous side may run). The pool it came from
    is gone by then, so its database connection is closed outright, not given back."""
    connection = _KEPT.pop(engine, None)
    if connection is not None and connection.sync_connection is not None:
        connection.sync_connection.invalidate()
        connection.sync_connection.close()


async def checkpoint_after_commit(connection: AsyncConnection) -> None:
    """Have SQLite fold its WAL into the database file and truncate it once the current
    transaction commits (nothing on other databases).

    Erasure asks for it: the WAL keeps the pages as they were before the change until a
    checkpoint copies them back, so the values just erased would stay readable there.
    """
    if connection.dialect.name != "sqlite":
        return
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    if isinstance(driver, InlineConnection):
        driver.checkpoint_after_commit = True


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit (no lazy reloads in async)."""
    return async_sessionmaker(engine, expire_on_commit=False)
