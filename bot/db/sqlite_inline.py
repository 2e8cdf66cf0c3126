"""aiosqlite connections that run SQLite calls on the event loop, and wait off it.

aiosqlite sends every call — open a cursor, execute, fetch, close, commit — to a worker
thread and back. On a local WAL file a statement takes microseconds while each round trip
costs tens of microseconds of thread switching, and under load the worker also waits for
the GIL behind the busy event loop; a conversation step makes some twenty such calls while
it holds the SQLite write lock. Running them inline removes that cost.

The one slow thing SQLite does is wait for a lock that another connection holds (another
process, or a connection of this one outside the write gate). Such a wait must never block
the event loop, so inline calls run with no busy timeout: a call that meets a lock fails
at once with ``SQLITE_BUSY`` — before it has changed anything — and is run again in the
connection's own aiosqlite thread with the usual busy timeout.

Checkpoints, too, stay off the loop. SQLite's automatic checkpoint runs inside the commit
that crosses its threshold, and copies the WAL back into the database file with an fsync —
on the event loop here, where every webhook in flight would wait for the disk. So the
connections run with ``wal_autocheckpoint=0`` and every :data:`CHECKPOINT_EVERY` commits
one connection starts a passive checkpoint in a worker thread, on a connection of its own
(it takes no write lock: writers go on meanwhile).

This relies on aiosqlite routing every call through ``Connection._execute`` (true of the
releases ``pyproject.toml`` allows; ``tests/test_pinned_internals.py`` checks it).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import aiosqlite
from sqlalchemy.engine import URL

ITER_CHUNK_SIZE = 64  # aiosqlite's default
CHECKPOINT_EVERY = 256  # commits between two passive checkpoints (SQLite's own: ~1,000 pages)


class InlineConnection(aiosqlite.Connection):
    """An aiosqlite connection whose calls run on the event loop unless they must wait."""

    busy_timeout_ms: int = 15_000
    waits: int = 0  # calls sent to the thread because of a lock, for tests and diagnostics
    checkpoint_after_commit: bool = False  # set by bot.db.engine.checkpoint_after_commit
    database: str | None = None  # the file, for the background checkpoints; None: memory
    uri: bool = False
    commits: int = 0
    background: asyncio.Future[None] | None = None  # the passive checkpoint in flight

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        try:
            return fn(*args, **kwargs)
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode != sqlite3.SQLITE_BUSY:
                raise
        self.waits += 1
        connection = self._connection
        wait = partial(_waiting, connection, self.busy_timeout_ms, partial(fn, *args, **kwargs))
        return await super()._execute(wait)  # type: ignore[no-untyped-call]

    async def commit(self) -> None:
        """Commit, then checkpoint the WAL with TRUNCATE when the transaction asked for it."""
        await super().commit()
        if self.checkpoint_after_commit:
            self.checkpoint_after_commit = False
            await self.checkpoint()
        self.commits += 1
        if self.commits % CHECKPOINT_EVERY == 0:
            self.checkpoint_in_background()

    def checkpoint_in_background(self) -> None:
        """Start a passive checkpoint in a worker thread unless one is running."""
        if self.database is None or (self.background is not None and not self.background.done()):
            return
        self.background = asyncio.get_running_loop().run_in_executor(
            None, _passive_checkpoint, self.database, self.uri
        )

    async def rollback(self) -> None:
        """Roll back; a checkpoint asked for by the undone transaction is not needed."""
        self.checkpoint_after_commit = False
        await super().rollback()

    async def checkpoint(self) -> bool:
        """Copy the WAL into the database file and truncate it to nothing; True when done.

        Another connection's open read transaction makes SQLite answer "busy" rather than
        fail; then the checkpoint is tried again in the thread, with the busy timeout."""
        if await self._execute(self._checkpoint):
            return True
        self.waits += 1
        assert self._connection is not None  # noqa: S101 - _execute checked it
        wait = partial(_waiting, self._connection, self.busy_timeout_ms, self._checkpoint)
        return bool(await super()._execute(wait))  # type: ignore[no-untyped-call]

    def _checkpoint(self) -> bool:
        assert self._connection is not None  # noqa: S101 - _execute checked it
        busy, _, _ = self._connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        return not busy

    async def fetch_all(self, sql: str, parameters: Sequence[Any]) -> list[Any]:
        """Run one statement on the sqlite3 connection and return all its rows: the
        direct path of :mod:`bot.db.direct`, inline like every other call."""
        return await self._execute(self._fetch_all, sql, parameters)  # type: ignore[no-any-return]

    def _fetch_all(self, sql: str, parameters: Sequence[Any]) -> list[Any]:
        assert self._connection is not None  # noqa: S101 - _execute checked it
        return self._connection.execute(sql, parameters).fetchall()


def _passive_checkpoint(database: str, uri: bool) -> None:
    """Copy what it can of the WAL into the database file, waiting for nothing (a worker
    thread's own connection; another checkpoint running makes this one a no-op)."""
    connection = sqlite3.connect(database, uri=uri, timeout=0, check_same_thread=False)
    try:
        connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    except sqlite3.OperationalError:
        pass  # busy: the next one will do it
    finally:
        connection.close()


def _waiting(connection: sqlite3.Connection, timeout_ms: int, call: Callable[[], Any]) -> Any:
    """Run ``call`` (in the worker thread) allowed to wait ``timeout_ms`` for a lock."""
    connection.execute(f"PRAGMA busy_timeout={int(timeout_ms)}")
    try:
        return call()
    finally:
        connection.execute("PRAGMA busy_timeout=0")


def inline_creator(url: URL, busy_timeout_ms: int) -> Callable[[], Any]:
    """An ``async_creator`` for ``create_async_engine``: inline connections to ``url``'s file.

    The sqlite3 connection is made in aiosqlite's thread, as usual, but shared with the
    event loop thread (``check_same_thread=False``); calls on it never overlap, since
    SQLAlchemy awaits each one before the next.
    """
    database = url.database or ":memory:"
    uri = url.query.get("uri") in ("true", "1")

    def connect() -> sqlite3.Connection:
        return sqlite3.connect(database, uri=uri, timeout=0, check_same_thread=False)

    async def create() -> InlineConnection:
        connection = InlineConnection(connect, ITER_CHUNK_SIZE)
        connection.busy_timeout_ms = busy_timeout_ms
        if database != ":memory:" and "mode=memory" not in database:
            connection.database, connection.uri = database, uri
        await connection
        return connection

    return create
