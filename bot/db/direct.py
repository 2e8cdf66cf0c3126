"""Built-once Core statements, run straight on the database driver.

Every inbound event runs the same few statements (record the event, load and save the
chat's session, read the sender's profile). On a local SQLite file each takes some ten
microseconds in SQLite, and some eighty more in SQLAlchemy's execution path: the async
bridge, the execution context, the cursor wrapper and the result object
(``bench/engine_steps.py``). :class:`DirectStatements` runs such a statement on the
sqlite3 connection itself, and is the same to its callers as SQLAlchemy: the SQL text, the
order of the parameters, how each value is stored (the types' bind processors) and how
each returned column is read (their result processors) all come from SQLAlchemy, which
compiles the statement once per dialect and set of parameter names.

On PostgreSQL, :class:`CursorStatements` does the same through the cursor of SQLAlchemy's
asyncpg adapter — the driver interface SQLAlchemy itself executes on, which also starts the
connection's transaction and keeps asyncpg's prepared statements — without the execution
context and result objects above it, and without the greenlet SQLAlchemy runs it in.

A driver's error leaves either path as SQLAlchemy's own execution would raise it: wrapped in
the matching :class:`sqlalchemy.exc.DBAPIError` (``OperationalError``, ``IntegrityError``…),
and, when it tells of a lost connection, with that connection invalidated and the pool's
older ones recycled at their next checkout (``Pool._invalidate``). Raw, the driver's error
did not look like a database failure to the webhook, which then acknowledged an update it
had not handled instead of asking for it again.

It takes only what it can run faithfully: statements whose every value is given by the
caller (no column default or ``onupdate`` for SQLAlchemy to fill in), with no expanding
``IN`` parameters. Anything else is refused when first prepared, so a mistake shows in the
first test that runs the statement. :class:`CoreStatements`, SQLAlchemy's own execution
with the same method, is what the others are tested against.
"""

from __future__ import annotations

import sqlite3
from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

from sqlalchemy.dialects.postgresql.asyncpg import (
    AsyncAdapt_asyncpg_connection,
    AsyncAdapt_asyncpg_cursor,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.sql import ClauseElement, Executable
from sqlalchemy.sql.compiler import SQLCompiler

from bot.db.sqlite_inline import InlineConnection

Processor = Callable[[Any], Any] | None


class Statements(Protocol):
    """Runs built-once Core statements in the caller's transaction."""

    async def rows(self, statement: Executable, params: Mapping[str, Any]) -> Sequence[Any]:
        """Run ``statement``; its rows (none for a statement that returns none)."""
        ...


class CoreStatements:
    """SQLAlchemy's own execution, on the transaction's connection."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def rows(self, statement: Executable, params: Mapping[str, Any]) -> Sequence[Any]:
        """Run ``statement``; its rows (none for a statement that returns none)."""
        result = await self._connection.execute(statement, params)
        return result.all() if result.returns_rows else ()


class DirectStatements:
    """The statements on the transaction's sqlite3 connection (see the module's text)."""

    def __init__(self, driver: InlineConnection, dialect: Dialect) -> None:
        self._driver = driver
        self._dialect = dialect

    async def rows(self, statement: Executable, params: Mapping[str, Any]) -> Sequence[Any]:
        """Run ``statement``; its rows (none for a statement that returns none)."""
        prepared = prepare(statement, tuple(params), self._dialect)
        values = prepared.values(params)
        try:
            rows = await self._driver.fetch_all(prepared.sql, values)
        except sqlite3.Error as error:
            raise _wrapped(error, prepared, values, sqlite3.Error, self._dialect) from error
        return prepared.read(rows)


class CursorStatements:
    """The statements on the cursor of the connection's driver adapter (see the module's
    text), awaited here rather than in a greenlet of SQLAlchemy's.

    The adapter's cursor runs a statement in an ``async`` method (its synchronous
    ``execute`` only waits for that method in a greenlet): starting the transaction when
    none is open, preparing through the adapter's statement cache and turning the driver's
    errors into its DBAPI errors, as for SQLAlchemy's own execution. Awaited directly, a
    statement skips the greenlet SQLAlchemy starts for each call, and on Python 3.11 the
    16 KiB frame stack the interpreter maps and unmaps for each new greenlet.
    """

    def __init__(self, connection: AsyncConnection, adapter: AsyncAdapt_asyncpg_connection) -> None:
        self._connection = connection
        self._adapter = adapter

    async def rows(self, statement: Executable, params: Mapping[str, Any]) -> Sequence[Any]:
        """Run ``statement``; its rows (none for a statement that returns none)."""
        dialect = self._connection.dialect
        prepared = prepare(statement, tuple(params), dialect)
        values = prepared.values(params)
        base = dialect.loaded_dbapi.Error
        try:
            rows = await _cursor_rows(self._adapter, prepared, values)
        except base as error:
            raw = await self._connection.get_raw_connection()
            lost = dialect.is_disconnect(error, raw.dbapi_connection, None)
            if lost:
                # As SQLAlchemy's execution does: the pool's other connections went to the
                # same server, and are opened anew at their next checkout.
                self._connection.sync_engine.pool._invalidate(raw, error, _checkin=False)
                await self._connection.invalidate(error)
            raise _wrapped(error, prepared, values, base, dialect, lost) from error
        return prepared.read(rows)


async def _cursor_rows(
    adapter: AsyncAdapt_asyncpg_connection, prepared: Prepared, values: Sequence[Any]
) -> Any:
    cursor = adapter.cursor()
    assert isinstance(cursor, AsyncAdapt_asyncpg_cursor)  # noqa: S101 - the adapter's own
    try:
        await cursor._prepare_and_execute(prepared.sql, values)  # type: ignore[no-untyped-call]
        return list(cursor._rows) if prepared.row_type else ()
    finally:
        cursor.close()


def _wrapped(
    error: Exception,
    prepared: Prepared,
    values: Sequence[Any],
    base: type[Exception],
    dialect: Dialect,
    lost: bool = False,
) -> BaseException:
    """``error`` as SQLAlchemy's execution raises it (see the module's text)."""
    return DBAPIError.instance(
        prepared.sql, values, error, base, connection_invalidated=lost, dialect=dialect
    )


async def statements_for(connection: AsyncConnection) -> Statements:
    """:class:`DirectStatements` on an inline SQLite connection, :class:`CursorStatements`
    on asyncpg, else :class:`CoreStatements`."""
    raw = await raw_connection(connection)
    driver = raw.driver_connection
    if isinstance(driver, InlineConnection):
        return DirectStatements(driver, connection.dialect)
    if isinstance(raw.dbapi_connection, AsyncAdapt_asyncpg_connection):
        return CursorStatements(connection, raw.dbapi_connection)
    return CoreStatements(connection)


async def raw_connection(connection: AsyncConnection) -> PoolProxiedConnection:
    """The pooled DBAPI connection of ``connection``, read off its synchronous side while it
    is open and valid: ``get_raw_connection`` starts a greenlet for the same attribute, in
    case it has to reconnect an invalidated connection, which it then does."""
    sync = connection.sync_connection
    if sync is not None and not sync.closed and not sync.invalidated:
        return sync.connection
    return await connection.get_raw_connection()


async def first(statements: Statements, statement: Executable, params: Mapping[str, Any]) -> Any:
    """The first row of ``statement``, or None."""
    rows = await statements.rows(statement, params)
    return rows[0] if rows else None


_GIVEN = object()  # a placeholder the caller fills in, as opposed to the statement's own value


@dataclass(frozen=True, slots=True)
class Prepared:
    """One statement compiled for one dialect and one set of parameter names."""

    sql: str
    names: tuple[str, ...]  # each placeholder's parameter, in the SQL's order
    own: tuple[Any, ...]  # each placeholder's value when the statement has it (``.limit(1)``)
    binds: tuple[Processor, ...]  # each value as the database stores it
    results: tuple[Processor, ...]  # each returned column as the model reads it
    row_type: Callable[..., Any] | None  # a named tuple of the returned columns

    def values(self, params: Mapping[str, Any]) -> tuple[Any, ...]:
        """The positional values of the SQL for ``params``."""
        values = []
        for name, own, bind in zip(self.names, self.own, self.binds, strict=True):
            value = params[name] if own is _GIVEN else own
            values.append(value if bind is None or value is None else bind(value))
        return tuple(values)

    def read(self, rows: Sequence[Sequence[Any]]) -> Sequence[Any]:
        """The driver's rows with their columns read and named, as SQLAlchemy's ``Row``s
        are; none for a statement that returns none."""
        if self.row_type is None:
            return ()
        return [self.row_type(*self._columns(row)) for row in rows]

    def _columns(self, row: Sequence[Any]) -> list[Any]:
        return [
            value if process is None or value is None else process(value)
            for process, value in zip(self.results, row, strict=True)
        ]


_SELF_CONTAINED = "ocop_self_contained"


def self_contained(statement: Executable) -> Executable:
    """``statement``, marked as naming in itself every value it writes.

    It is then compiled without the parameters' names as columns to write. With them,
    SQLAlchemy also writes a parameter to any column of the same name that a nested
    (CTE) INSERT or UPDATE leaves out, so a save of the session row joined with an insert
    of a reply would have set the row's ``channel`` from the reply's.
    """
    return statement.execution_options(**{_SELF_CONTAINED: True})


@lru_cache(maxsize=512)
def prepare(statement: Executable, names: tuple[str, ...], dialect: Dialect) -> Prepared:
    """Compile ``statement`` for ``dialect`` with the parameters ``names`` (once per key)."""
    if not isinstance(statement, ClauseElement):
        raise TypeError("only SQL expression statements can run directly")
    contained = statement.get_execution_options().get(_SELF_CONTAINED, False)
    compiled = statement.compile(dialect=dialect, column_keys=None if contained else list(names))
    if not isinstance(compiled, SQLCompiler) or compiled.positiontup is None:
        raise TypeError("only statements with positional placeholders can run directly")
    if compiled.insert_prefetch or compiled.update_prefetch:
        filled = [column.key for column in [*compiled.insert_prefetch, *compiled.update_prefetch]]
        raise ValueError(f"give every value: SQLAlchemy would fill in {filled}")
    placeholders = tuple(compiled.positiontup)
    binds = [compiled.binds[name] for name in placeholders]
    if any(bind.expanding for bind in binds):
        raise ValueError("expanding IN parameters cannot run directly")
    own = []
    for name, bind in zip(placeholders, binds, strict=True):
        if name in names:
            own.append(_GIVEN)
        elif bind.callable is None and bind.value is None:
            raise ValueError(f"parameter {bind.key!r} has no value")
        else:
            own.append(bind.effective_value)
    returned = list(getattr(statement, "exported_columns", ()))  # RETURNING or SELECT
    row_type = namedtuple("Row", [column.key for column in returned], rename=True)  # type: ignore[misc]
    return Prepared(
        sql=compiled.string,
        names=placeholders,
        own=tuple(own),
        binds=tuple(bind.type.dialect_impl(dialect).bind_processor(dialect) for bind in binds),
        results=tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in returned
        ),
        row_type=row_type if returned else None,
    )
