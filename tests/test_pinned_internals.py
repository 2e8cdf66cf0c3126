"""The private aiosqlite and SQLAlchemy internals of the fast paths are still there, in the
shape ``bot/db/sqlite_inline.py`` and ``bot/db/direct.py`` use, and the installed versions
lie inside the bounds ``pyproject.toml`` gives those libraries.

A new release may move any of them without notice: each check names the internal, so a
failure says what to look at before the bound in ``pyproject.toml`` is raised.
"""

from __future__ import annotations

import inspect
import tomllib
from collections.abc import Callable
from importlib.metadata import version

import aiosqlite
import pytest
from packaging.requirements import Requirement
from sqlalchemy import Integer, bindparam, column, insert, select, table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect
from sqlalchemy.engine import Connection
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import Pool
from sqlalchemy.sql.compiler import SQLCompiler

from tests.standins import REPO

PINNED = ("aiosqlite", "sqlalchemy")
_T = table("t", column("a", Integer), column("b", Integer))


def _parameters(function: Callable[..., object]) -> list[str]:
    return list(inspect.signature(function).parameters)


def _routes_through_execute(owner: type, methods: tuple[str, ...], call: str) -> str | None:
    bypass = [m for m in methods if call not in inspect.getsource(getattr(owner, m))]
    return f"no longer call {call}: {bypass}" if bypass else None


def aiosqlite_execute() -> str | None:
    execute = aiosqlite.Connection._execute
    if not inspect.iscoroutinefunction(execute):
        return "is no longer a coroutine function"
    if _parameters(execute) != ["self", "fn", "args", "kwargs"]:
        return f"takes {_parameters(execute)}, not (self, fn, *args, **kwargs)"
    source = inspect.getsource(execute)
    missing = [name for name in ("self._running", "self._connection") if name not in source]
    return f"no longer checks {missing}" if missing else None


def aiosqlite_calls_go_through_execute() -> str | None:
    return _routes_through_execute(
        aiosqlite.Connection,
        ("execute", "executemany", "cursor", "commit", "rollback", "close", "create_function"),
        "self._execute",
    ) or _routes_through_execute(aiosqlite.Cursor, ("_execute",), "self._conn._execute")


def aiosqlite_constructor() -> str | None:
    names = _parameters(aiosqlite.Connection.__init__)
    if names[:3] != ["self", "connector", "iter_chunk_size"]:
        return f"takes {names}, not (connector, iter_chunk_size)"
    if not hasattr(aiosqlite.Connection, "__await__"):
        return "is no longer awaited to open"
    return None


def _compiled(dialect: Dialect) -> SQLCompiler:
    statement = insert(_T).values(a=bindparam("a")).returning(_T.c.a)
    compiled = statement.compile(dialect=dialect, column_keys=["a"])
    assert isinstance(compiled, SQLCompiler)
    return compiled


def sqlalchemy_compiler() -> str | None:
    compiled = _compiled(postgresql.asyncpg.dialect())
    missing = [
        name
        for name in ("positiontup", "binds", "insert_prefetch", "update_prefetch", "string")
        if not hasattr(compiled, name)
    ]
    if missing:
        return f"has no {missing}"
    if compiled.positiontup != ["a"]:
        return f"positiontup is {compiled.positiontup!r}, not the placeholders' names"
    return None


def sqlalchemy_bind_parameter() -> str | None:
    bind = _compiled(sqlite.dialect()).binds["a"]
    missing = [
        name
        for name in ("expanding", "callable", "value", "effective_value", "key", "type")
        if not hasattr(bind, name)
    ]
    return f"has no {missing}" if missing else None


def sqlalchemy_type_processors() -> str | None:
    dialect = sqlite.dialect()
    impl = Integer().dialect_impl(dialect)
    if _parameters(impl.bind_processor) != ["dialect"]:
        return f"bind_processor takes {_parameters(impl.bind_processor)}"
    if _parameters(impl.result_processor) != ["dialect", "coltype"]:
        return f"result_processor takes {_parameters(impl.result_processor)}"
    return None


def sqlalchemy_exported_columns() -> str | None:
    statements = (insert(_T).returning(_T.c.a), select(_T.c.a))
    if any([c.key for c in s.exported_columns] != ["a"] for s in statements):
        return "no longer lists a RETURNING's or a SELECT's columns"
    return None


def sqlalchemy_positional_asyncpg() -> str | None:
    if not postgresql.asyncpg.dialect().positional:
        return "is no longer positional (CursorStatements needs positional placeholders)"
    return None


def sqlalchemy_asyncpg_cursor() -> str | None:
    cursor = asyncpg_dialect.AsyncAdapt_asyncpg_cursor
    run = getattr(cursor, "_prepare_and_execute", None)
    if run is None or not inspect.iscoroutinefunction(run):
        return "has no coroutine _prepare_and_execute"
    if _parameters(run) != ["self", "operation", "parameters"]:
        return f"_prepare_and_execute takes {_parameters(run)}, not (operation, parameters)"
    source = inspect.getsource(run)
    missing = [
        name
        for name in ("_start_transaction", "_prepare(", "self._rows", "_handle_exception")
        if name not in source
    ]
    return f"_prepare_and_execute no longer uses {missing}" if missing else None


def sqlalchemy_pool_invalidate() -> str | None:
    names = _parameters(Pool._invalidate)
    if names != ["self", "connection", "exception", "_checkin"]:
        return f"takes {names}, not (connection, exception, _checkin)"
    if "_invalidate_time" not in inspect.getsource(Pool._invalidate):
        return "no longer marks the pool's older connections for recycling"
    return None


INTERNALS: dict[str, Callable[[], str | None]] = {
    "aiosqlite.Connection._execute (bot/db/sqlite_inline.py overrides it)": aiosqlite_execute,
    "aiosqlite's calls all go through Connection._execute": aiosqlite_calls_go_through_execute,
    "aiosqlite.Connection(connector, iter_chunk_size) awaited to open": aiosqlite_constructor,
    "SQLCompiler.positiontup/binds/insert_prefetch/update_prefetch": sqlalchemy_compiler,
    "BindParameter.expanding/callable/value/effective_value": sqlalchemy_bind_parameter,
    "TypeEngine.dialect_impl().bind_processor/result_processor": sqlalchemy_type_processors,
    "Executable.exported_columns of RETURNING and SELECT": sqlalchemy_exported_columns,
    "asyncpg's dialect, positional": sqlalchemy_positional_asyncpg,
    "AsyncAdapt_asyncpg_cursor._prepare_and_execute, awaited by CursorStatements": (
        sqlalchemy_asyncpg_cursor
    ),
    "Pool._invalidate(connection, exception, _checkin) after a lost connection": (
        sqlalchemy_pool_invalidate
    ),
}


@pytest.mark.parametrize("internal", INTERNALS)
def test_an_internal_the_fast_paths_use_is_still_there(internal: str) -> None:
    problem = INTERNALS[internal]()
    assert problem is None, (
        f"{internal} {problem}: bot/db/sqlite_inline.py and bot/db/direct.py rely on it. "
        "Adapt them to the new release before raising its bound in pyproject.toml."
    )


async def test_the_driver_connection_is_reached_as_the_fast_paths_reach_it(
    engine: AsyncEngine,
) -> None:
    """``statements_for`` reads ``driver_connection``; the SQLite BEGIN and the cursor path
    open a cursor on ``Connection.connection.dbapi_connection``."""

    def driver_cursor(connection: Connection) -> None:
        raw = connection.connection
        assert hasattr(raw, "dbapi_connection"), "the pooled connection has no dbapi_connection"
        cursor = raw.dbapi_connection.cursor()  # type: ignore[union-attr]
        cursor.close()

    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        assert getattr(raw, "driver_connection", None) is not None, (
            "the pooled connection no longer has driver_connection (bot/db/direct.py)"
        )
        await connection.run_sync(driver_cursor)


@pytest.mark.parametrize("library", PINNED)
def test_libraries_with_used_internals_are_bounded_and_installed_within(library: str) -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    requirements = [Requirement(line) for line in project["dependencies"]]
    (requirement,) = [r for r in requirements if r.name.lower() == library]
    assert any(spec.operator == "<" for spec in requirement.specifier), (
        f"{library} needs an upper bound in pyproject.toml: the fast paths use its internals"
    )
    installed = version(library)
    assert requirement.specifier.contains(installed), (
        f"{library} {installed} is installed, outside {requirement.specifier} of pyproject.toml"
    )
