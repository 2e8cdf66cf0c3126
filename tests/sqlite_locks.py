"""Another SQLite writer, as another process would be, for the tests of lock waits."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import Iterator


@contextlib.contextmanager
def write_lock_held(path: str) -> Iterator[sqlite3.Connection]:
    """Another connection holding SQLite's write lock on the database at ``path``."""
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield other
    finally:
        if other.in_transaction:
            other.execute("ROLLBACK")
        other.close()


async def release_later(other: sqlite3.Connection, seconds: float = 0.3) -> int:
    """Commit ``other`` after ``seconds``; return how often the event loop ran meanwhile
    (ten-millisecond ticks: a loop blocked by a lock wait would barely tick)."""
    ticks = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        ticks += 1
        await asyncio.sleep(0.01)
    other.execute("COMMIT")
    return ticks
