"""The Telegram and Zalo Bot webhooks' inbox: keep the event, answer, handle it right after.

A webhook that answered once its event's step was committed made the platform wait for the
chat's turn and for the write gate as long as the step did: under load, tens to hundreds of
milliseconds (``bench/webhook_load.py``). Now the webhook commits the event as its chat's
arrival, with the payload as received (:meth:`bot.engine.Engine.keep`, one insert for all the
events that come together), answers, and the event is handled in a task of the same process
(:class:`Inbox`), in its chat's order as before.

Once answered, the platform will not deliver the event again; the inbox does instead. An
event whose step did not commit — the process died, the database was away — stays kept, and
:func:`sweeping` handles it from its body: at start-up on SQLite, where one process serves
the database, everything kept was left behind; otherwise, and always on PostgreSQL, where
other live processes hold theirs, what was kept more than :data:`LEFT_AFTER` ago.
``processed_events`` makes a second handling a no-op. A step that fails on the event itself
(its content, or a bug it meets) would fail at every try: that event is logged with its
traceback and forgotten.

At most :data:`MAX_IN_FLIGHT` events wait or run in the background; past that a webhook
handles its event before it answers, so a platform that sends faster than the steps go is
slowed down by its own connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy.exc
from sqlalchemy import select

from bot.cleaning import clean_inbound
from bot.db.models import ChatArrival
from bot.messages import Channel, Inbound
from bot.runtime import Runtime

log = logging.getLogger(__name__)
MAX_IN_FLIGHT = 400
SWEEP_SECONDS = 30.0
LEFT_AFTER = timedelta(seconds=30)  # kept longer than this: its process died or gave up
SWEEP_BATCH = 100
EventKey = tuple[str, str]  # (channel, event id as kept)
# The event in a kept body, or None when there is none to handle.
Reader = Callable[[Channel, dict[str, Any], datetime], Inbound | None]
After = Callable[[], Awaitable[None]]

_AWAY: tuple[type[BaseException], ...] = (
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    sqlalchemy.exc.TimeoutError,
    OSError,
    TimeoutError,
)


def transient(error: BaseException) -> bool:
    """Whether another try may not meet ``error``: the database or the network was away,
    or the connection was lost, whatever class its error has.

    A server that terminated a connection while it was idle leaves its FATAL error unread
    until the next statement: asyncpg then raises ``InternalClientError`` ("cannot switch
    to state …") and drops the connection, which SQLAlchemy raises as an ``InternalError``
    with ``connection_invalidated`` — a lost connection the webhook acknowledged.
    """
    if isinstance(error, _AWAY):
        return True
    return isinstance(error, sqlalchemy.exc.DBAPIError) and error.connection_invalidated


async def handle_kept(runtime: Runtime, inbound: Inbound) -> bool:
    """Handle a kept event; False when it stays kept for another try (the database or the
    network failed), True when it is done with: handled, or failed for good and forgotten."""
    extra = {"channel": inbound.channel.value, "event_id": inbound.event_id}
    try:
        await runtime.process(inbound, kept=True)
    except Exception as error:
        if transient(error):
            log.warning("kept event not handled; it is tried again", exc_info=True, extra=extra)
            return False
        log.exception("event not handled; acknowledged", extra=extra)
        try:
            await runtime.engine.forget(inbound.channel, clean_inbound(inbound).event_id)
        except Exception:
            log.warning("failed event not forgotten; it is tried again", extra=extra)
            return False
    return True


@dataclass
class Inbox:
    """The kept events being handled in this process, at most :attr:`limit`."""

    runtime: Runtime
    limit: int = MAX_IN_FLIGHT
    _tasks: dict[EventKey, asyncio.Task[None]] = field(default_factory=dict)

    def full(self) -> bool:
        """Whether a webhook must handle its event itself before it answers."""
        return len(self._tasks) >= self.limit

    def holds(self, channel: str, event_id: str) -> bool:
        """Whether this process is handling the event (kept as ``channel``, ``event_id``)."""
        return (channel, event_id) in self._tasks

    def start(self, inbound: Inbound, after: After | None = None) -> None:
        """Handle the kept ``inbound`` in the background, then await ``after``."""
        key = (inbound.channel.value, clean_inbound(inbound).event_id)
        if key in self._tasks:  # delivered again while this process handles it
            return

        async def run() -> None:
            try:
                if await handle_kept(self.runtime, inbound) and after is not None:
                    await after()
            finally:
                self._tasks.pop(key, None)

        self._tasks[key] = asyncio.create_task(run())

    async def drain(self) -> None:
        """Wait for the events being handled."""
        while self._tasks:
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)


async def sweep(inbox: Inbox, read: Reader, before: datetime) -> int:
    """Handle the events kept before ``before`` that nobody here handles; how many were
    done with."""
    engine = inbox.runtime.engine
    arrival = ChatArrival
    async with engine.sessionmaker() as session:
        rows = (
            await session.execute(
                select(arrival.channel, arrival.event_id, arrival.body, arrival.arrived_at)
                .where(arrival.body.is_not(None))
                .where(arrival.arrived_at < before)
                .order_by(arrival.order_at, arrival.order_key, arrival.id)
                .limit(SWEEP_BATCH)
            )
        ).all()
    done = 0
    for channel, event_id, body, arrived_at in rows:
        if body is None or inbox.holds(channel, event_id):
            continue
        try:
            inbound = read(Channel(channel), json.loads(body), arrived_at)
        except Exception:
            log.exception("kept event not understood; forgotten", extra={"event_id": event_id})
            inbound = None
        if inbound is None:
            await engine.forget(Channel(channel), event_id)
            done += 1
        elif await handle_kept(inbox.runtime, inbound):
            done += 1
    return done


@contextlib.asynccontextmanager
async def sweeping(inbox: Inbox, read: Reader) -> AsyncIterator[None]:
    """Sweep the inbox while the block runs (see the module's text); at its end, wait for
    the events being handled."""
    stop = asyncio.Event()
    sweeper = asyncio.create_task(_sweep_until(inbox, read, stop))
    try:
        yield
    finally:
        stop.set()
        await sweeper
        await inbox.drain()


async def _sweep_until(inbox: Inbox, read: Reader, stop: asyncio.Event) -> None:
    engine = inbox.runtime.engine
    everything = not engine.shared  # at start-up, one process per SQLite database
    while not stop.is_set():
        now = engine.clock()
        try:
            await sweep(inbox, read, now if everything else now - LEFT_AFTER)
        except Exception:
            log.exception("inbox sweep failed; trying again")
        everything = False
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), SWEEP_SECONDS)
