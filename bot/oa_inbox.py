"""The Zalo OA's durable inbox: keep the event, answer Zalo, handle it right after.

Zalo wants the webhook's 200 within 2 seconds and delivers again otherwise (and may turn
the webhook off). A step can wait its turn behind other writers, so the webhook commits only
the event as it arrived (one short insert; a redelivery inserts nothing) and answers; the
event is handled right after in a task of the same process, through the same engine as every
other channel, whose ``processed_events`` makes a second handling a no-op. ``handled_at``
is set once the step is committed; an event left without it (the process died, the
database was away) is handled by :func:`handle_pending`, which the web app runs every
:data:`SWEEP_SECONDS`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.engine import write_gate, write_transaction
from bot.db.models import ZaloOAInboxEvent
from bot.engine import insert_for

log = logging.getLogger(__name__)
SWEEP_SECONDS = 30.0
STALE_AFTER = timedelta(seconds=30)  # an event not handled by then was left behind
SWEEP_BATCH = 100


async def keep(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    event_id: str,
    body: dict[str, Any],
    at: datetime,
) -> bool:
    """Commit the event; False when it was already kept (a redelivery)."""
    async with write_transaction(sessionmaker, write_gate(sessionmaker.kw["bind"])) as session:
        statement = (
            insert_for(session, ZaloOAInboxEvent)
            .values(event_id=event_id, body=body, received_at=at)
            .on_conflict_do_nothing(index_elements=["event_id"])
            .returning(ZaloOAInboxEvent.id)
        )
        return (await session.scalar(statement)) is not None


async def mark_handled(
    sessionmaker: async_sessionmaker[AsyncSession], *, event_id: str, at: datetime
) -> None:
    """The event's step is committed (or cannot go better another time)."""
    async with write_transaction(sessionmaker, write_gate(sessionmaker.kw["bind"])) as session:
        await session.execute(
            update(ZaloOAInboxEvent)
            .where(ZaloOAInboxEvent.event_id == event_id)
            .values(handled_at=at)
        )


async def handle_pending(
    sessionmaker: async_sessionmaker[AsyncSession],
    handle: Callable[[dict[str, Any]], Awaitable[bool]],
    now: datetime,
) -> int:
    """Handle the events left behind before ``now - STALE_AFTER``; how many were handled.
    ``handle`` returns False when the event must wait for another try."""
    async with sessionmaker() as session:
        rows = (
            await session.execute(
                select(ZaloOAInboxEvent.event_id, ZaloOAInboxEvent.body)
                .where(ZaloOAInboxEvent.handled_at.is_(None))
                .where(ZaloOAInboxEvent.received_at < now - STALE_AFTER)
                .order_by(ZaloOAInboxEvent.id)
                .limit(SWEEP_BATCH)
            )
        ).all()
    done = 0
    for event_id, body in rows:
        if await handle(body):
            await mark_handled(sessionmaker, event_id=event_id, at=now)
            done += 1
    return done


# Events handled at once by one process. A burst of events must not take every pooled
# connection for handling: the webhook's one insert then waits behind them, and Zalo's
# 2 seconds run out. The rest wait their turn, kept and already answered.
HANDLING_AT_ONCE = 4


class Tasks:
    """The handling tasks in flight, at most ``limit`` running at once, kept referenced
    and awaited at shutdown."""

    def __init__(self, limit: int = HANDLING_AT_ONCE) -> None:
        self._tasks: set[asyncio.Task[None]] = set()
        self._turns = asyncio.Semaphore(limit)

    def start(self, work: Awaitable[None]) -> None:
        """Run ``work`` in the background, once one of the ``limit`` turns is free."""

        async def run() -> None:
            async with self._turns:
                await work

        task = asyncio.create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for the tasks in flight."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
