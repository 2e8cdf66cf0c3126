"""The ``ocop-bot`` command line: one subcommand per operator task.

Every subcommand reads settings first; a bad setting prints one line and exits 2. A command
that needs the database refuses an out-of-date schema with a hint to run ``ocop-bot migrate``.

:data:`COMMANDS` says which commands exist, their arguments and the function that runs each,
named as ``module:function`` and imported only when that command runs. Importing every
command's module cost each command a second or more before it did anything: ``officer
invite`` loaded the web app, the channels and the spreadsheet importer it never uses.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib
import sys
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn, cast

from sqlalchemy.ext.asyncio import AsyncEngine

from bot import __version__
from bot.db import schema
from bot.db.engine import create_engine
from bot.eventloop import event_loop_factory
from bot.settings import Settings, SettingsError, get_settings

EXIT_OK = 0
EXIT_UNHEALTHY = 1
EXIT_USAGE = 2

Command = Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int]]
Arguments = Callable[[argparse.ArgumentParser], None]


class CliError(Exception):
    """A command cannot run; ``str(error)`` is the one line to print."""


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


async def open_database(settings: Settings) -> AsyncEngine:
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


async def on_database(
    action: Callable[[Settings, AsyncEngine, argparse.Namespace], Awaitable[int]],
    settings: Settings,
    args: argparse.Namespace,
    refused: type[Exception] | tuple[type[Exception], ...] = (),
) -> int:
    """Run ``action`` on a current database (:func:`open_database`), closed after it; its
    ``refused`` errors are a :class:`CliError`, their text the line to print."""
    database = await open_database(settings)
    try:
        return await action(settings, database, args)
    except refused as error:
        raise CliError(str(error)) from None
    finally:
        await database.dispose()


# -- the commands' arguments ---------------------------------------------------------------


def _none(_parser: argparse.ArgumentParser) -> None:
    """A command without arguments."""


def _chat(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--user", default="console", help="chat and user id")
    parser.add_argument("--name", default=None, help="display name")


def _listen(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on")


def _actions(parser: argparse.ArgumentParser) -> argparse._SubParsersAction[Any]:
    return parser.add_subparsers(dest="action", metavar="ACTION", required=True)


def _set_webhook(channel: str) -> Arguments:
    def arguments(parser: argparse.ArgumentParser) -> None:
        _actions(parser).add_parser("set-webhook", help=f"register the {channel} webhook")

    return arguments


def _zalo_oa(parser: argparse.ArgumentParser) -> None:
    _actions(parser).add_parser("grant", help="keep the OA's token pair, read from standard input")


def _officer(parser: argparse.ArgumentParser) -> None:
    actions = _actions(parser)
    new = actions.add_parser("invite", help="print a one-time invite code for a commune")
    new.add_argument("--commune", required=True, help="commune code or name")
    new.add_argument("--name", default=None, help="the officer's name")
    gone = actions.add_parser("revoke", help="revoke an open invite")
    gone.add_argument("invite", help="invite number or code")
    actions.add_parser("list", help="list invites")


def _admin(parser: argparse.ArgumentParser) -> None:
    actions = _actions(parser)
    new = actions.add_parser("create-user", help="create a province or commune staff account")
    new.add_argument("username")
    new.add_argument(
        "--scope", required=True, help="province:<code>, commune:<code> or central (the Ministry)"
    )
    new.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    issue = actions.add_parser("token", help="print a new API token for a staff account")
    issue.add_argument("username")
    load = actions.add_parser("import", help="import a published list of OCOP products")
    load.add_argument("file", help=".xlsx or .csv")
    load.add_argument("--scope", required=True, help="province:<code> the list belongs to")
    load.add_argument("--apply", action="store_true", help="write (without it: dry run)")


def _alerts(parser: argparse.ArgumentParser) -> None:
    actions = _actions(parser)
    actions.add_parser("run", help="sweep and send every 30 s until stopped (worker)")
    once = actions.add_parser("run-once", help="one sweep and dispatch, then exit")
    once.add_argument("--now", default=None, help="the clock, e.g. 2027-01-05T08:00+07:00")
    actions.add_parser("status", help="alerts by kind and state")


def _calendar(parser: argparse.ArgumentParser) -> None:
    actions = _actions(parser)
    add = actions.add_parser("add", help="add a round")
    add.add_argument("--province", required=True, help="province code or name")
    add.add_argument("--name", required=True)
    change = actions.add_parser("change", help="change a round's dates")
    change.add_argument("round", type=int)
    for round_dates in (add, change):
        round_dates.add_argument("--opens", help="opening day")
        round_dates.add_argument("--deadline", help="registration (dossier) deadline")
        round_dates.add_argument("--commune-deadline", dest="commune_deadline")
        round_dates.add_argument("--council-from", dest="council_from")
        round_dates.add_argument("--council-to", dest="council_to")
    listing = actions.add_parser("list", help="list rounds")
    listing.add_argument("--province", default=None)
    remove = actions.add_parser("remove", help="remove a round")
    remove.add_argument("round", type=int)


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """One command: its help line, the function that runs it (``module:function``,
    imported only when the command runs) and its arguments."""

    help: str
    target: str
    arguments: Arguments = _none


COMMANDS: dict[str, CommandSpec] = {
    "version": CommandSpec("print the version", "bot.cli:cmd_version"),
    "migrate": CommandSpec("create or upgrade the database schema", "bot.cli:cmd_migrate"),
    "doctor": CommandSpec("check settings, database and channels", "bot.cli_bot:cmd_doctor"),
    "vacuum": CommandSpec(
        "clear erased personal data out of the database files", "bot.cli_bot:cmd_vacuum"
    ),
    "chat": CommandSpec("talk to the bot in this terminal", "bot.cli_bot:cmd_chat", _chat),
    "serve": CommandSpec(
        "serve the Telegram and Zalo webhooks over HTTP", "bot.cli_bot:cmd_serve", _listen
    ),
    "poll": CommandSpec("fetch Telegram/Zalo updates by long polling", "bot.cli_bot:cmd_poll"),
    "start": CommandSpec(
        "migrate and start the bot (console chat when no token is set)",
        "bot.cli_bot:cmd_start",
        _listen,
    ),
    "telegram": CommandSpec(
        "telegram setup", "bot.cli_bot:cmd_telegram_set_webhook", _set_webhook("telegram")
    ),
    "zalo": CommandSpec("zalo setup", "bot.cli_bot:cmd_zalo_set_webhook", _set_webhook("zalo")),
    "zalo-oa": CommandSpec(
        "zalo official account setup", "bot.cli_bot:cmd_zalo_oa_grant", _zalo_oa
    ),
    "officer": CommandSpec("invite commune officers", "bot.cli_officers:command", _officer),
    "admin": CommandSpec(
        "staff accounts and imports for the admin web", "bot.cli_admin:command", _admin
    ),
    "alerts": CommandSpec("send due alerts", "bot.cli_alerts:command", _alerts),
    "calendar": CommandSpec(
        "evaluation rounds per province", "bot.cli_calendar:command", _calendar
    ),
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every command of :data:`COMMANDS`."""
    parser = argparse.ArgumentParser(
        prog="ocop-bot", description="Trợ lý OCOP — chatbot for the OCOP programme."
    )
    subcommands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, spec in COMMANDS.items():
        spec.arguments(subcommands.add_parser(name, help=spec.help, description=spec.help))
    return parser


def load(target: str) -> Command:
    """The function ``module:function`` names, its module imported now."""
    module, _, name = target.partition(":")
    return cast(Command, getattr(importlib.import_module(module), name))


def run() -> NoReturn:
    """The ``ocop-bot`` program and ``python -m bot``: :func:`main` in a process of its own,
    with what the imports built frozen (``freeze``)."""
    raise SystemExit(main(freeze=True))


def main(argv: Sequence[str] | None = None, *, freeze: bool = False) -> int:
    """Run the command line ``argv`` (the program's arguments when None); its exit code.

    ``freeze``: once the command's module is imported, keep everything built so far out of
    the garbage collector (``gc.freeze``). The collector walked all of it again as the
    process ended, about half a second of a command's exit after its work was done; what
    the command itself makes is collected as usual. Only for a process that ends with the
    command.
    """
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
    command = load(COMMANDS[args.command].target)
    if freeze:
        gc.freeze()
    try:
        with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
            return runner.run(command(settings, args))
    except CliError as error:
        print(f"ocop-bot: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_OK
