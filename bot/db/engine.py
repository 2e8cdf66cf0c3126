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
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from sqlalchemy import Connection, Engine, event, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry

from bot.db.sqlite_inline import InlineConnection, inline_creator

SQLITE_BUSY_TIMEOUT_MS = 15_000
# PostgreSQL: write transactions one process runs at a time (:func:`write_gate`), and its
# pool. Without the cap, every webhook in flight took a connection of its own: past the
# pool's size each one was opened for the step and closed after it, a new connection (and
# its prepared statements) per update, and the database's processes competed for the same
# cores as the bot's. The writers keep their connections out of the pool (:func:`_kept`):
# one per writer the gate lets through, and a few in autocommit; the rest of the pool is
# for reads (admin pages, alerts), as many again as the writers, plus a few.
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

    The connection is one the engine keeps open for its writers (:func:`_kept`), taken once
    the gate is held, so waiting events hold none.
    """
    async with _kept(engine, gate) as connection, connection.begin():
        yield connection


@asynccontextmanager
async def single_statement(
    engine: AsyncEngine, gate: AbstractAsyncContextManager[Any]
) -> AsyncIterator[AsyncConnection]:
    """A connection for one write statement that needs no transaction of its own (a
    statement is atomic by itself), holding ``gate`` while it runs.

    On PostgreSQL it runs in autocommit: the statement commits as it ends, and the
    transaction's BEGIN and COMMIT, two more round trips on the database and through the
    driver, are not sent; the connection is kept for such statements (:func:`_kept`).
    Elsewhere it is :func:`write_connection` (on SQLite the kept connection, whose
    transaction is cheap and in-process).
    """
    if engine.dialect.name != "postgresql":
        async with write_connection(engine, gate) as connection:
            yield connection
        return
    async with _kept(engine, gate, autocommit=True) as connection:
        yield connection
        if connection.in_transaction():  # Core's own execution began one, in name only
            await connection.rollback()


@dataclass
class _Kept:
    """The connections an engine keeps open for its writers, idle ones by kind, and how
    many times one of its connections was found lost (see :func:`_kept`)."""

    idle: dict[bool, list[AsyncConnection]] = field(default_factory=lambda: {False: [], True: []})
    losses: int = 0


_KEPT: weakref.WeakKeyDictionary[Engine, _Kept] = weakref.WeakKeyDictionary()
_OPENED_AFTER = "ocop_opened_after_losses"  # the engine's losses when a connection was opened


@asynccontextmanager
async def _kept(
    engine: AsyncEngine, gate: AbstractAsyncContextManager[Any], *, autocommit: bool = False
) -> AsyncIterator[AsyncConnection]:
    """A connection the engine keeps open for writers, taken once ``gate`` is held and given
    back, still open, when the block ends: taking one from the pool and giving it back
    cost more than an event's own statements (the pool's checkout and checkin, and on
    PostgreSQL a greenlet of SQLAlchemy's for each and a task to give it back). The gate
    bounds how many are open at once: one on SQLite, :data:`POSTGRES_WRITERS` on
    PostgreSQL; ``autocommit`` ones (PostgreSQL) are kept apart, already switched.

    A connection that SQLAlchemy invalidated, or that was opened before any connection of
    the engine was found lost (a database restart ends them all, as the pool then assumes
    of its own), is closed instead of used, as is one given back after the engine was
    disposed. A block that was cancelled, maybe half-way through its rollback, closes its
    connection rather than give it back.
    """
    kept = _kept_of(engine)
    async with gate:
        connection = await _take(engine, kept, autocommit)
        reusable = False
        try:
            yield connection
            reusable = True
        except Exception:
            reusable = True  # the transaction's own block rolled it back
            raise
        finally:
            if reusable and _usable(connection, kept) and not connection.in_transaction():
                kept.idle[autocommit].append(connection)
            else:
                await asyncio.shield(asyncio.ensure_future(_discard(connection)))


async def _discard(connection: AsyncConnection) -> None:
    """Close ``connection`` outright, not back into a pool that may be gone."""
    if not connection.invalidated:
        await connection.invalidate()
    await connection.close()


def _kept_of(engine: AsyncEngine) -> _Kept:
    kept = _KEPT.get(engine.sync_engine)
    if kept is None:
        kept = _KEPT[engine.sync_engine] = _Kept()
        event.listen(engine.sync_engine, "engine_disposed", _close_kept)
        event.listen(engine.sync_engine, "invalidate", partial(_lost, kept))
    return kept


async def _take(engine: AsyncEngine, kept: _Kept, autocommit: bool) -> AsyncConnection:
    """An idle kept connection that may still be used, else a new one from the pool."""
    idle = kept.idle[autocommit]
    while idle:
        connection = idle.pop()
        if _usable(connection, kept):
            return connection
        await _discard(connection)  # presumed lost with the others: not pooled again
    connection = await engine.connect()
    connection.info[_OPENED_AFTER] = kept.losses
    if autocommit:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
    return connection


def _usable(connection: AsyncConnection, kept: _Kept) -> bool:
    """Whether ``connection`` is valid and was opened since the engine's last loss."""
    return not connection.invalidated and connection.info.get(_OPENED_AFTER) == kept.losses


def _lost(
    kept: _Kept, _dbapi: object, record: ConnectionPoolEntry, error: BaseException | None
) -> None:
    """A connection of the engine was invalidated for an error (a pool event, SQLAlchemy's
    ``invalidate``): the kept ones opened before are not used again. An invalidation with
    no error is one of ours, or a test's; one of a connection opened before the last loss
    was counted with that loss (after a restart, each old connection reports its own)."""
    opened = record.info.get(_OPENED_AFTER)
    if error is not None and (opened is None or opened == kept.losses):
        kept.losses += 1


def _close_kept(engine: Engine) -> None:
    """Close the idle kept connections when their engine is disposed (SQLAlchemy calls this
    in its own greenlet, where the connections' synchronous side may run), and those in use
    once they are given back. The pool they came from is gone by then, so their database
    connections are closed outright, not given back."""
    kept = _KEPT.get(engine)
    if kept is None:
        return
    kept.losses += 1  # those in use now are closed when given back
    for idle in kept.idle.values():
        while idle:
            connection = idle.pop().sync_connection
            if connection is not None:
                connection.invalidate()
                connection.close()


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
