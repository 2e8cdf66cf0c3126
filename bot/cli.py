"""The ``ocop-bot`` command line: one subcommand per operator task.

Every subcommand reads settings first; a bad setting prints one line and exits 2. A command
that needs the database refuses an out-of-date schema with a hint to run ``ocop-bot migrate``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bot import __version__
from bot.channels.console import ConsoleChannel, inbound_from_line
from bot.db import schema
from bot.db.engine import create_engine, create_sessionmaker
from bot.engine import Engine
from bot.settings import Settings, SettingsError, get_settings

EXIT_OK = 0
EXIT_UNHEALTHY = 1
EXIT_USAGE = 2

Command = Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int]]


def _mask(secret: object | None) -> str:
    return "(not set)" if secret is None else "****"


async def cmd_version(_settings: Settings, _args: argparse.Namespace) -> int:
    """Print the version."""
    print(f"ocop-bot {__version__}")
    return EXIT_OK


async def cmd_migrate(settings: Settings, _args: argparse.Namespace) -> int:
    """Upgrade the database to the newest schema (nothing to do when it is current)."""
    engine = create_engine(settings.database_url)
    try:
        before = await schema.schema_state(engine)
        if before.is_current:
            print(f"Schema already current ({before.head}).")
            return EXIT_OK
        await schema.upgrade(engine)
        print(f"Schema upgraded from {before.current or 'empty'} to {before.head}.")
        return EXIT_OK
    finally:
        await engine.dispose()


async def cmd_doctor(settings: Settings, _args: argparse.Namespace) -> int:
    """Print a settings summary and check the database; exit 1 with the reasons if unhealthy."""
    problems: list[str] = []
    database = settings.database_url.split("://", 1)[0]
    lines = [
        f"database: {database}",
        f"timezone: {settings.ocop_timezone}",
        f"locale: {settings.ocop_locale}",
        f"telegram: {'configured' if settings.telegram_configured else 'not configured'}",
        f"telegram token: {_mask(settings.telegram_bot_token)}",
        f"telegram webhook secret: {_mask(settings.telegram_webhook_secret)}",
        f"zalo: {'configured' if settings.zalo_configured else 'not configured'}",
        f"zalo token: {_mask(settings.zalo_bot_token)}",
        f"zalo webhook secret: {_mask(settings.zalo_webhook_secret)}",
        f"public base url: {settings.public_base_url or '(not set)'}",
        f"admin token: {_mask(settings.ocop_admin_token)}",
    ]
    engine = create_engine(settings.database_url)
    try:
        state = await schema.schema_state(engine)
    except Exception as error:
        problems.append(f"database unreachable: {type(error).__name__}")
    else:
        lines.append(f"schema: {state.current or 'empty'} (expected {state.head})")
        if not state.is_current:
            problems.append("schema is not current: run `ocop-bot migrate`")
    finally:
        await engine.dispose()
    if (
        settings.telegram_configured
        and settings.public_base_url
        and not (settings.telegram_webhook_secret)
    ):
        problems.append("TELEGRAM_WEBHOOK_SECRET is required to serve Telegram webhooks")
    if settings.zalo_configured and settings.public_base_url and not settings.zalo_webhook_secret:
        problems.append("ZALO_WEBHOOK_SECRET is required to serve Zalo webhooks")
    for line in lines:
        print(line)
    for problem in problems:
        print(f"problem: {problem}")
    print("healthy" if not problems else "unhealthy")
    return EXIT_OK if not problems else EXIT_UNHEALTHY


class CliError(Exception):
    """A command cannot run; ``str(error)`` is the one line to print."""


async def _open_database(settings: Settings) -> AsyncEngine:
    """An engine on a database whose schema is current, or a :class:`CliError`."""
    engine = create_engine(settings.database_url)
    try:
        state = await schema.schema_state(engine)
    except Exception as error:
        await engine.dispose()
        raise CliError(f"database unreachable ({type(error).__name__})") from None
    if not state.is_current:
        await engine.dispose()
        raise CliError("the database schema is not current: run `ocop-bot migrate` first")
    return engine


async def _console(settings: Settings, user: str, name: str | None) -> int:
    database = await _open_database(settings)
    try:
        engine = Engine(create_sessionmaker(database), default_locale=settings.ocop_locale)
        console = ConsoleChannel()
        if sys.stdin.isatty():
            print("Trợ lý OCOP — gõ /start để bắt đầu, Ctrl+D để thoát.")
        while line := await asyncio.to_thread(sys.stdin.readline):
            inbound = inbound_from_line(line, user, name, engine.clock)
            for reply in await engine.handle(inbound, console.capabilities) or []:
                await console.send(user, reply)
        return EXIT_OK
    finally:
        await database.dispose()


async def cmd_chat(settings: Settings, args: argparse.Namespace) -> int:
    """Talk to the bot in this terminal (reads standard input line by line)."""
    return await _console(settings, args.user, args.name)


async def cmd_start(settings: Settings, args: argparse.Namespace) -> int:
    """Migrate, then run the bot: the console chat when no channel token is set."""
    if settings.telegram_configured or settings.zalo_configured:
        raise CliError(
            "TELEGRAM_BOT_TOKEN/ZALO_BOT_TOKEN is set, but this version runs only the "
            "console chat; unset them to use it"
        )
    await cmd_migrate(settings, args)
    return await _console(settings, "console", None)


COMMANDS: dict[str, tuple[Command, str]] = {
    "version": (cmd_version, "print the version"),
    "migrate": (cmd_migrate, "create or upgrade the database schema"),
    "doctor": (cmd_doctor, "check settings, database and channels"),
    "chat": (cmd_chat, "talk to the bot in this terminal"),
    "start": (cmd_start, "migrate and start the bot (console chat when no token is set)"),
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand that works today."""
    parser = argparse.ArgumentParser(
        prog="ocop-bot", description="Trợ lý OCOP — chatbot for the OCOP programme."
    )
    subcommands = parser.add_subparsers(dest="command", metavar="COMMAND")
    parsers = {
        name: subcommands.add_parser(name, help=help_text, description=help_text)
        for name, (_, help_text) in COMMANDS.items()
    }
    parsers["chat"].add_argument("--user", default="console", help="chat and user id")
    parsers["chat"].add_argument("--name", default=None, help="display name")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``ocop-bot`` and ``python -m bot``."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        settings = get_settings()
    except SettingsError as error:
        print(f"ocop-bot: {error}", file=sys.stderr)
        return EXIT_USAGE
    command, _ = COMMANDS[args.command]
    try:
        return asyncio.run(command(settings, args))
    except CliError as error:
        print(f"ocop-bot: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_OK
