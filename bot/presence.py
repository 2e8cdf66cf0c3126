"""Which conversation processes share the database, so a process knows when another one
may hold an earlier event of a chat it is about to save.

Two processes behind one balancer can each receive an event of the same chat at nearly the
same moment. Each tells the other through the database (``chat_arrivals``, see
:mod:`bot.engine`), but that write takes a round trip, more when its process is busy: a
step of the later event, run at once, could be saved before the earlier event's arrival is
there to stop it. So while another process takes events of the same channel, a step does
not start sooner than a short window after its event came
(:data:`bot.engine.ORDER_WINDOW_SECONDS`); a process alone on its channels pays nothing.

Presence is a row per process (``conversation_processes``) with the channels it takes
events from, written again at every beat (:data:`BEAT_SECONDS`, on the database's clock);
a row not written for :data:`GONE_AFTER_BEATS` beats is a process that died. A process
that starts writes its row, then looks again in a new transaction (so of two processes
starting together, the later sees the earlier); when it finds others, it handles no event
until each of them has beaten since its row was there, and so knows of it. A beat that
fails counts every channel as shared: waiting for nothing costs 20 ms, not waiting when
needed costs the order. Only the processes that handle conversations on PostgreSQL
(``serve``, ``poll``) take part: SQLite serves one process, and the alerts worker holds no
chat's events.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.models import ConversationProcess
from bot.messages import Channel

log = logging.getLogger(__name__)

BEAT_SECONDS = 1.0
GONE_AFTER_BEATS = 3
# A starting process looks this often whether the others have beaten since it joined, and
# serves anyway after GONE_AFTER_BEATS beats (one that has not beaten by then is gone).
JOIN_LOOK_BEATS = 0.1
LEAVE_TIMEOUT_SECONDS = 5.0


@dataclass
class Presence:
    """This process's row among the conversation processes, and the channels another
    present process also takes events from (:attr:`shared`, read by the engine before
    each step)."""

    database: AsyncEngine
    beat_seconds: float = BEAT_SECONDS
    name: str = field(default_factory=lambda: secrets.token_hex(8))
    channels: frozenset[Channel] = field(init=False, default=frozenset())
    shared: frozenset[Channel] = field(init=False, default=frozenset())
    others: frozenset[str] = field(init=False, default=frozenset())  # their names

    def _others_alive(self) -> tuple[ColumnElement[bool], ...]:
        """Which rows are the other processes still alive (on the database's clock)."""
        gone = timedelta(seconds=self.beat_seconds * GONE_AFTER_BEATS)
        processes = ConversationProcess
        return processes.name != self.name, processes.seen_at > func.now() - gone

    async def beat(self) -> datetime:
        """Write that this process is alive, read which others are and what they share;
        the database's time of the beat."""
        processes = ConversationProcess
        row = {"channels": _spelled(self.channels), "seen_at": func.now()}
        async with self.database.begin() as connection:
            at: datetime | None = await connection.scalar(
                pg_insert(processes)
                .values(name=self.name, **row)
                .on_conflict_do_update(index_elements=["name"], set_=row)
                .returning(processes.seen_at)
            )
            rows = (
                await connection.execute(
                    select(processes.name, processes.channels).where(*self._others_alive())
                )
            ).all()
        assert at is not None  # noqa: S101 - RETURNING of the row just written
        self.others = frozenset(name for name, _ in rows)
        theirs = {Channel(word) for _, spelled in rows for word in spelled.split()}
        self.shared = self.channels & theirs
        return at

    async def seen_by_others(self, since: datetime) -> bool:
        """Whether each other live process has beaten at or after ``since``."""
        async with self.database.connect() as connection:
            behind = await connection.scalar(
                select(func.count())
                .select_from(ConversationProcess)
                .where(*self._others_alive(), ConversationProcess.seen_at < since)
            )
        return behind == 0

    async def leave(self) -> None:
        """Remove this process's row: the others stop waiting for it at their next beat."""
        async with self.database.begin() as connection:
            await connection.execute(
                delete(ConversationProcess).where(ConversationProcess.name == self.name)
            )


def _spelled(channels: Iterable[Channel]) -> str:
    return " ".join(sorted(channel.value for channel in channels))


@asynccontextmanager
async def present(presence: Presence | None, channels: Iterable[Channel]) -> AsyncIterator[None]:
    """Take part among the conversation processes, as one taking events of ``channels``,
    while the block runs (nothing without ``presence``): join, beat, leave at the end."""
    if presence is None:
        yield
        return
    presence.channels = frozenset(channels)
    beating: asyncio.Task[None] | None = None
    try:
        await presence.beat()
        since = await presence.beat()  # begun after the row was committed
        beating = asyncio.create_task(_beat_forever(presence))
        if presence.others:
            await _joined(presence, since)
        yield
    finally:
        if beating is not None:
            beating.cancel()
            await asyncio.wait({beating})
        try:
            async with asyncio.timeout(LEAVE_TIMEOUT_SECONDS):
                await presence.leave()
        except Exception:
            log.warning("could not remove the process's presence", exc_info=True)


async def _joined(presence: Presence, since: datetime) -> None:
    """Wait until every other process has beaten since ``since`` (and seen this one), or
    until any that has not would be taken as gone."""
    deadline = asyncio.get_running_loop().time() + presence.beat_seconds * GONE_AFTER_BEATS
    while asyncio.get_running_loop().time() < deadline:
        if await presence.seen_by_others(since):
            return
        await asyncio.sleep(presence.beat_seconds * JOIN_LOOK_BEATS)
    log.warning("joined before every other conversation process had seen this one")


async def _beat_forever(presence: Presence) -> None:
    """Beat at a steady pace; after a failed beat, count every channel as shared."""
    loop = asyncio.get_running_loop()
    due = loop.time()
    while True:
        due = max(due + presence.beat_seconds, loop.time())
        await asyncio.sleep(due - loop.time())
        try:
            await presence.beat()
        except Exception:
            presence.shared = presence.channels
            log.warning("presence beat failed", exc_info=True)
