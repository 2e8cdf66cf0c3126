"""``ocop-bot admin create-user|token|import``: staff accounts for the admin web and API,
and the import of a province's published product list from the command line."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bot.admin import importer
from bot.admin.accounts import UsernameTakenError, create_staff, issue_token
from bot.admin.passwords import WeakPasswordError
from bot.admin.scope import Scope, ScopeError
from bot.cli import on_database
from bot.db.engine import write_gate
from bot.settings import Settings


class AdminCommandError(Exception):
    """One line for the operator."""


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise AdminCommandError("the passwords differ")
    return first


async def create_user(_settings: Settings, database: AsyncEngine, args: argparse.Namespace) -> int:
    """Create a staff account scoped to one province, one commune or the central level."""
    try:
        scope = Scope.parse(args.scope)
    except ScopeError as error:
        raise AdminCommandError(str(error)) from None
    password = _password(args)
    sessions = async_sessionmaker(database, expire_on_commit=False)
    try:
        async with write_gate(database), sessions() as session, session.begin():
            staff = await create_staff(session, args.username, password, scope, datetime.now(UTC))
    except (UsernameTakenError, WeakPasswordError, ValueError) as error:
        raise AdminCommandError(str(error)) from None
    print(f"Staff account {staff.username!r} created for {scope.label} ({scope}).")
    return 0


async def token(_settings: Settings, database: AsyncEngine, args: argparse.Namespace) -> int:
    """Print a new API token for an account (the old one stops working)."""
    sessions = async_sessionmaker(database, expire_on_commit=False)
    try:
        async with write_gate(database), sessions() as session, session.begin():
            value = await issue_token(session, args.username, datetime.now(UTC))
    except LookupError as error:
        raise AdminCommandError(str(error.args[0])) from None
    print(value)
    return 0


async def import_file(_settings: Settings, database: AsyncEngine, args: argparse.Namespace) -> int:
    """Check, or with --apply import, a province's list of certified products."""
    try:
        scope = Scope.parse(args.scope)
    except ScopeError as error:
        raise AdminCommandError(str(error)) from None
    path = Path(args.file)
    try:
        content = await asyncio.to_thread(path.read_bytes)
        rows, report = importer.check_rows(content, path.name, scope)
    except (OSError, importer.ImportFileError) as error:
        raise AdminCommandError(str(error)) from None
    sessions = async_sessionmaker(database, expire_on_commit=False)
    if args.apply:
        async with write_gate(database), sessions() as session, session.begin():
            report = await importer.import_rows(
                session, rows, report, scope, "cli", datetime.now(UTC)
            )
    else:
        async with sessions() as session:
            await importer.dry_run(session, rows, report)
    for line, change in report.renamed:
        print(f"line {line}: old commune name, read as: {change}")
    for line, reason in report.errors:
        print(f"line {line}: {reason}")
    print(f"{report.rows} rows, {report.valid} valid, {len(report.errors)} with errors")
    print(
        f"{report.created_products} new products, {report.renewed} re-certified, "
        f"{report.already_present} already present"
    )
    if args.apply:
        print(
            f"created {report.created_products} products and {report.created_subjects} "
            f"subjects; {report.already_present} were already present"
        )
    else:
        print("dry run: nothing written (add --apply to import)")
    return 0


ACTIONS = {"create-user": create_user, "token": token, "import": import_file}


async def command(settings: Settings, args: argparse.Namespace) -> int:
    """``admin create-user|token|import``."""
    return await on_database(ACTIONS[args.action], settings, args, AdminCommandError)
