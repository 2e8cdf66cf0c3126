"""Running the alerts: one sweep-and-dispatch pass, and the periodic loop around it.

The loop runs inside ``ocop-bot serve`` and ``ocop-bot poll`` or alone as
``ocop-bot alerts run``; several copies are safe on PostgreSQL (the sweep serialises on its
watermark row, the dispatcher claims with ``SKIP LOCKED``). ``wake`` lets the engine start a
pass at once when a conversation has just queued a notice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from bot.alerts.dispatch import Dispatcher, DispatchReport
from bot.alerts.sweep import SweepReport, sweep
from bot.alerts.timing import AlertConfig
from bot.db.engine import write_transaction
from bot.runtime import Runtime

log = logging.getLogger(__name__)
PERIOD_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class PassReport:
    """One sweep and the dispatch after it."""

    sweep: SweepReport
    dispatch: DispatchReport


async def run_pass(dispatcher: Dispatcher, limit: int | None = None) -> PassReport:
    """Plan what is due at the dispatcher's clock, then send what is due."""
    now = dispatcher.clock()
    async with write_transaction(dispatcher.sessionmaker, dispatcher.gate) as session:
        planned = await sweep(session, now, dispatcher.config)
    sent = await dispatcher.run_once(limit)
    return PassReport(planned, sent)


async def run_forever(
    dispatcher: Dispatcher,
    stop: asyncio.Event,
    wake: asyncio.Event | None = None,
    period: float = PERIOD_SECONDS,
) -> None:
    """Sweep and dispatch every ``period`` seconds until ``stop`` is set; when woken in
    between, only dispatch (a conversation queued a notice; nothing new to plan)."""
    wake = wake or asyncio.Event()
    loop = asyncio.get_running_loop()
    next_sweep = loop.time()
    while not stop.is_set():
        try:
            if loop.time() >= next_sweep:
                next_sweep = loop.time() + period
                report = await run_pass(dispatcher)
                planned, sent = report.sweep.planned, report.dispatch
            else:
                planned, sent = 0, await dispatcher.run_once()
            if sent.handled or planned:
                log.info(
                    "alerts pass",
                    extra={
                        "planned": planned,
                        "sent": sent.sent,
                        "retried": sent.retried,
                        "failed": sent.failed,
                        "skipped": sent.skipped,
                    },
                )
        except Exception:
            log.exception("alerts pass failed; trying again next period")
        wake.clear()
        waiters = [asyncio.create_task(stop.wait()), asyncio.create_task(wake.wait())]
        timeout = max(next_sweep - loop.time(), 0)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        for waiter in waiters:
            waiter.cancel()


@contextlib.asynccontextmanager
async def alerts_running(
    runtime: Runtime, config: AlertConfig, *, enabled: bool = True
) -> AsyncIterator[Dispatcher | None]:
    """Run the alert loop beside the channels of ``runtime`` while the block runs.

    The engine wakes the loop after every message whose step queued a notice, so a notice it has
    just queued (e.g. the commune's result for the producer) goes out within moments.
    """
    if not enabled or not runtime.senders:
        yield None
        return
    dispatcher = Dispatcher(
        runtime.engine.sessionmaker, runtime.senders, config, routes=runtime.alert_routes
    )
    stop, wake = asyncio.Event(), asyncio.Event()
    runtime.engine.after_commit = wake.set
    task = asyncio.create_task(run_forever(dispatcher, stop, wake))
    try:
        yield dispatcher
    finally:
        stop.set()
        runtime.engine.after_commit = None
        await task
