"""``ocop-bot alerts run|run-once|status``: the alerts worker and its counts."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from contextlib import suppress
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.alerts.dispatch import Dispatcher, status_counts
from bot.alerts.service import run_forever, run_pass
from bot.cli import on_database
from bot.db.engine import create_sessionmaker
from bot.logs import configure as configure_logs
from bot.runtime import open_channels
from bot.settings import Settings

log = logging.getLogger(__name__)


class AlertsCommandError(ValueError):
    """A bad argument; the message is the one line to print."""


def parse_moment(text: str) -> datetime:
    """An ISO date-time; without a zone it is taken as UTC."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise AlertsCommandError(f"--now must be an ISO date-time, not {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def alerts(settings: Settings, database: AsyncEngine, args: argparse.Namespace) -> int:
    """Run, run once, or report the alerts."""
    sessions = create_sessionmaker(database)
    if args.action == "status":
        async with sessions() as session:
            rows = await status_counts(session)
        if not rows:
            print("The outbox is empty.")
        for kind, state, count in rows:
            print(f"{kind}\t{state}\t{count}")
        return 0
    configure_logs(settings.ocop_log_level)  # JSON lines on standard error, as serve's
    async with open_channels(settings, sessions) as channels:
        senders, routes = channels.senders, channels.routes
        if args.action == "run-once":
            moment = parse_moment(args.now) if args.now else datetime.now(UTC)
            dispatcher = Dispatcher(
                sessions, senders, settings.alert_config(), clock=lambda: moment, routes=routes
            )
            report = await run_pass(dispatcher)
            print(
                f"planned {report.sweep.planned}, sent {report.dispatch.sent}, "
                f"retried {report.dispatch.retried}, failed {report.dispatch.failed}, "
                f"skipped {report.dispatch.skipped}"
            )
            return 0
        dispatcher = Dispatcher(sessions, senders, settings.alert_config(), routes=routes)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with suppress(NotImplementedError):
                loop.add_signal_handler(signum, stop.set)
        log.info("alerts worker started", extra={"channel": ",".join(sorted(senders))})
        await run_forever(dispatcher, stop)
        log.info("alerts worker stopped")
        return 0


async def command(settings: Settings, args: argparse.Namespace) -> int:
    """``alerts run|run-once|status``."""
    return await on_database(alerts, settings, args, AlertsCommandError)
