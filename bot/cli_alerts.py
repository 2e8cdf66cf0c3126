"""``ocop-bot alerts run|run-once|status`` and ``ocop-bot calendar add|list|change|remove``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import UTC, date, datetime

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.alerts.calendar import RoundError, add_round, change_round, list_rounds, remove_round
from bot.alerts.dispatch import Dispatcher, status_counts
from bot.alerts.service import run_forever, run_pass
from bot.channels import Sender
from bot.channels.telegram import TelegramChannel, make_bot
from bot.channels.zalo import ZaloChannel
from bot.db.engine import create_sessionmaker, write_gate
from bot.logs import configure as configure_logs
from bot.messages import Channel
from bot.oa_delivery import AlertRoutes
from bot.runtime import alert_routes, oa_channel
from bot.settings import Settings
from bot.web import HTTP_TIMEOUT
from handlers.communes import search_communes

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


@asynccontextmanager
async def channel_senders(
    settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> AsyncIterator[tuple[dict[Channel, Sender], AlertRoutes | None]]:
    """The senders of the configured channels, and the alerts' delivery plan when the Zalo OA
    is on, open for the block."""
    senders: dict[Channel, Sender] = {}
    routes = None
    async with httpx.AsyncClient(timeout=HTTP_TIMEOUT) as http:
        bot = None
        if settings.telegram_bot_token is not None:
            bot = make_bot(
                settings.telegram_bot_token.get_secret_value(),
                settings.telegram_api_base_url,
                proxy=settings.telegram_proxy_url,
            )
            await bot.initialize()
            senders[Channel.TELEGRAM] = TelegramChannel(bot)
        if settings.zalo_bot_token is not None:
            senders[Channel.ZALO] = ZaloChannel(
                http, settings.zalo_api_base_url, settings.zalo_bot_token.get_secret_value()
            )
        if (zalo_oa := oa_channel(settings, http, sessions)) is not None:
            senders[Channel.ZALO_OA] = zalo_oa
            routes = alert_routes(settings, zalo_oa)
        try:
            yield senders, routes
        finally:
            if bot is not None:
                await bot.shutdown()


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
    async with channel_senders(settings, sessions) as (senders, routes):
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


def _province(text: str) -> str:
    """A province code ("51") or a commune-free province name ("Quảng Ngãi")."""
    if text.isdigit():
        return text.zfill(2)
    hits = {c.province_code for c in search_communes(f"x {text}", limit=500)} or {
        c.province_code for c in search_communes(text, limit=500)
    }
    if len(hits) != 1:
        raise AlertsCommandError(f"give the province code (e.g. 51), {text!r} is unclear")
    return hits.pop()


def _day(text: str | None) -> date | None:
    if text is None:
        return None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        with suppress(ValueError):
            return datetime.strptime(text, pattern).date()  # noqa: DTZ007 - a calendar day
    raise AlertsCommandError(f"dates look like 2026-04-12 or 12/04/2026, not {text!r}")


def _dates(args: argparse.Namespace) -> dict[str, date | None]:
    names = {
        "opens": "opens_on",
        "deadline": "registration_deadline",
        "commune_deadline": "commune_deadline",
        "council_from": "council_from",
        "council_to": "council_to",
    }
    return {
        column: _day(getattr(args, option))
        for option, column in names.items()
        if getattr(args, option, None) is not None
    }


async def calendar(_settings: Settings, database: AsyncEngine, args: argparse.Namespace) -> int:
    """Add, list, change or remove evaluation rounds."""
    sessions: async_sessionmaker[AsyncSession] = create_sessionmaker(database)
    now = datetime.now(UTC)
    async with write_gate(database), sessions() as session, session.begin():
        try:
            if args.action == "add":
                dates = _dates(args)
                if "opens_on" not in dates or "registration_deadline" not in dates:
                    raise AlertsCommandError("--opens and --deadline are required")
                found = await add_round(session, _province(args.province), args.name, dates, now)
                print(f"Round {found.id} added: {found.name} ({found.province_code})")
            elif args.action == "change":
                found, cancelled = await change_round(session, args.round, _dates(args), now)
                print(
                    f"Round {found.id} changed (version {found.version}); "
                    f"{cancelled} planned alert(s) cancelled and re-planned."
                )
            elif args.action == "remove":
                cancelled = await remove_round(session, args.round, now)
                print(f"Round {args.round} removed; {cancelled} planned alert(s) cancelled.")
            else:
                province = _province(args.province) if args.province else None
                for found in await list_rounds(session, province):
                    print(
                        f"{found.id}\t{found.province_code}\t{found.name}\t"
                        f"opens {found.opens_on}\tdeadline {found.registration_deadline}\t"
                        f"commune {found.commune_deadline or '-'}\t"
                        f"council {found.council_from or '-'}–{found.council_to or '-'}\t"
                        f"v{found.version}"
                    )
        except RoundError as error:
            raise AlertsCommandError(str(error)) from None
    return 0


def add_parsers(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``alerts`` and ``calendar``."""
    group = subcommands.add_parser("alerts", help="send due alerts")
    actions = group.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("run", help="sweep and send every 30 s until stopped (worker)")
    once = actions.add_parser("run-once", help="one sweep and dispatch, then exit")
    once.add_argument("--now", default=None, help="the clock, e.g. 2027-01-05T08:00+07:00")
    actions.add_parser("status", help="alerts by kind and state")

    group = subcommands.add_parser("calendar", help="evaluation rounds per province")
    actions = group.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="add a round")
    add.add_argument("--province", required=True, help="province code or name")
    add.add_argument("--name", required=True)
    change = actions.add_parser("change", help="change a round's dates")
    change.add_argument("round", type=int)
    for parser in (add, change):
        parser.add_argument("--opens", help="opening day")
        parser.add_argument("--deadline", help="registration (dossier) deadline")
        parser.add_argument("--commune-deadline", dest="commune_deadline")
        parser.add_argument("--council-from", dest="council_from")
        parser.add_argument("--council-to", dest="council_to")
    listing = actions.add_parser("list", help="list rounds")
    listing.add_argument("--province", default=None)
    remove = actions.add_parser("remove", help="remove a round")
    remove.add_argument("round", type=int)
