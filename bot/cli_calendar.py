"""``ocop-bot calendar add|list|change|remove``: a province's evaluation rounds, from which
the alerts of each round are planned."""

from __future__ import annotations

import argparse
from contextlib import suppress
from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.alerts.calendar import RoundError, add_round, change_round, list_rounds, remove_round
from bot.cli import CliError, on_database
from bot.db.engine import create_sessionmaker, write_gate
from bot.settings import Settings
from handlers.communes import search_communes


def _province(text: str) -> str:
    """A province code ("51") or a commune-free province name ("Quảng Ngãi")."""
    if text.isdigit():
        return text.zfill(2)
    hits = {c.province_code for c in search_communes(f"x {text}", limit=500)} or {
        c.province_code for c in search_communes(text, limit=500)
    }
    if len(hits) != 1:
        raise CliError(f"give the province code (e.g. 51), {text!r} is unclear")
    return hits.pop()


def _day(text: str | None) -> date | None:
    if text is None:
        return None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        with suppress(ValueError):
            return datetime.strptime(text, pattern).date()  # noqa: DTZ007 - a calendar day
    raise CliError(f"dates look like 2026-04-12 or 12/04/2026, not {text!r}")


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


async def command(settings: Settings, args: argparse.Namespace) -> int:
    """Add, list, change or remove evaluation rounds."""
    return await on_database(_calendar, settings, args)


async def _calendar(_settings: Settings, database: AsyncEngine, args: argparse.Namespace) -> int:
    sessions: async_sessionmaker[AsyncSession] = create_sessionmaker(database)
    now = datetime.now(UTC)
    async with write_gate(database), sessions() as session, session.begin():
        try:
            if args.action == "add":
                dates = _dates(args)
                if "opens_on" not in dates or "registration_deadline" not in dates:
                    raise CliError("--opens and --deadline are required")
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
            raise CliError(str(error)) from None
    return 0
