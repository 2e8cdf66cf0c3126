"""Which conversation processes share the database, so a process knows when another one
may hold an earlier event of a chat it is about to save.

Two processes behind one balancer can each receive an event of the same chat at nearly the
same moment. Each tells the other through the database (``chat_arrivals``, see
:mod:`bot.engine`), but that write takes a round trip, more when its process is busy: a
step of the later event, run at once, could be saved before the earlier event's arrival is
there to stop it. So when another process is present, a step is not saved sooner than a
short window after its event came (:data:`bot.engine.ORDER_WINDOW_SECONDS`); alone, a
process pays nothing.

Presence is a row per process (``conversation_processes``), written again at every beat
(:data:`BEAT_SECONDS`); a row not written for :data:`GONE_AFTER_BEATS` beats is a process
that died. A process that starts waits a little over one beat before it handles events, so
every other process has seen it by then. Only the processes that handle conversations on
PostgreSQL (``serve``, ``poll``) take part: SQLite serves one process, and the alerts
worker holds no chat's events.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import delete, exists, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.models import ConversationProcess

log = logging.getLogger(__name__)

BEAT_SECONDS = 1.0
GONE_AFTER_BEATS = 3
# A process starting among others waits this many beats: every other one has beaten, and
# seen it, by then.
JOIN_BEATS = 1.5
# Two processes starting together may each write its row before the other's is committed;
# the second look, this much later, sees the other one's.
RECHECK_SECONDS = 0.1


@dataclass
class Presence:
    """This process's row among the conversation processes, and whether another one was
    present at the last beat (:attr:`others`, read by the engine before each step)."""

    database: AsyncEngine
    beat_seconds: float = BEAT_SECONDS
    name: str = field(default_factory=lambda: secrets.token_hex(8))
    others: bool = field(init=False, default=False)

    async def beat(self) -> None:
        """Write that this process is alive, and read whether another one is."""
        processes = ConversationProcess
        gone = timedelta(seconds=self.beat_seconds * GONE_AFTER_BEATS)
        async with self.database.begin() as connection:
            await connection.execute(
                pg_insert(processes)
                .values(name=self.name, seen_at=func.now())
                .on_conflict_do_update(index_elements=["name"], set_={"seen_at": func.now()})
            )
            self.others = bool(
                await connection.scalar(
                    select(
                        exists().where(
                            processes.name != self.name, processes.seen_at > func.now() - gone
                        )
                    )
                )
            )

    async def leave(self) -> None:
        """Remove this process's row: the others stop waiting for it at their next beat."""
        async with self.database.begin() as connection:
            await connection.execute(
                delete(ConversationProcess).where(ConversationProcess.name == self.name)
            )


@asynccontextmanager
async def present(presence: Presence | None) -> AsyncIterator[None]:
    """Take part among the conversation processes while the block runs (nothing without
    ``presence``): join, beat, and leave at the end."""
    if presence is None:
        yield
        return
    await presence.beat()
    if not presence.others:
        await asyncio.sleep(RECHECK_SECONDS)
        await presence.beat()
    if presence.others:
        await asyncio.sleep(presence.beat_seconds * JOIN_BEATS)
    beating = asyncio.create_task(_beat_forever(presence))
    try:
        yield
    finally:
        beating.cancel()
        with suppress(asyncio.CancelledError):
            await beating
        try:
            await presence.leave()
        except Exception:
            log.warning("could not remove the process's presence", exc_info=True)


async def _beat_forever(presence: Presence) -> None:
    """Beat every period; a failed beat keeps what the last one read, and is logged."""
    while True:
        await asyncio.sleep(presence.beat_seconds)
        try:
            await presence.beat()
        except Exception:
            log.warning("presence beat failed", exc_info=True)
