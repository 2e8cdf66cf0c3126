"""``ocop-bot officer invite|revoke|list``: how a district or province clerk hands out the
commune officer role. The code is printed once; only its hash is stored."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli import on_database
from bot.db.engine import write_gate
from bot.invites import create_invite, deep_link, list_invites, revoke_invite
from bot.settings import Settings
from handlers.communes import CommuneRef, commune_by_code, search_communes
from handlers.textmatch import fold

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine


class CommuneNotFoundError(LookupError):
    """The --commune argument names no commune, or several."""


def resolve_commune(text: str) -> CommuneRef:
    """A commune from its official code or its name (with the province to tell namesakes
    apart: "Xốp, Quảng Ngãi")."""
    by_code = commune_by_code(text.strip())
    if by_code is not None:
        return by_code
    hits = search_communes(text.replace(",", " "), limit=6)
    # Typed with accents, one namesake may win ("Quảng Sơn" over "Quang Sơn"); an invite
    # is a role over one commune, so any namesake without accents makes the name unclear.
    namesakes = search_communes(fold(text).replace(",", " "), limit=6)
    if len(hits) == 1 and len(namesakes) > 1:
        hits = namesakes
    if len(hits) == 1:
        return hits[0]
    if not hits:
        raise CommuneNotFoundError(f"no commune matches {text!r}")
    listed = "; ".join(f"{c.code} {c.full_name}" for c in hits[:5])
    raise CommuneNotFoundError(
        f"{text!r} matches several communes, give the code or add the province: {listed}"
    )


async def _in_transaction(
    database: AsyncEngine, work: Callable[[AsyncSession], Awaitable[int]]
) -> int:
    sessions = async_sessionmaker(database, expire_on_commit=False)
    async with write_gate(database), sessions() as session, session.begin():
        return await work(session)


async def invite(settings: Settings, database: AsyncEngine, args: argparse.Namespace) -> int:
    """Print a new one-time code for the commune and what the officer types on Zalo (and on
    Telegram, with its link when the bot's name is known)."""
    commune = resolve_commune(args.commune)
    now = datetime.now(UTC)

    async def work(session: AsyncSession) -> int:
        row, code = await create_invite(session, commune.code, args.name, now)
        print(f"Invite {row.id} for {commune.full_name} (code {commune.code})")
        print(f"Code: {code}  (valid 7 days, works once)")
        # Zalo first: that is where commune officers are (Telegram is blocked in Vietnam).
        print(f"On Zalo the officer opens the chat with the bot and types: canbo {code}")
        print(f"(On Telegram: /canbo {code})")
        if settings.telegram_bot_username:
            print(f"Telegram link: {deep_link(settings.telegram_bot_username, code)}")
        return 0

    return await _in_transaction(database, work)


async def revoke(_settings: Settings, database: AsyncEngine, args: argparse.Namespace) -> int:
    """Revoke an open invite by its number or its code."""
    now = datetime.now(UTC)

    async def work(session: AsyncSession) -> int:
        found = await revoke_invite(session, args.invite, now)
        if found is None:
            raise CommuneNotFoundError(f"no invite {args.invite!r}")
        print(
            f"Invite {found.id} revoked."
            if found.revoked_at == now
            else f"Invite {found.id}: nothing to revoke."
        )
        return 0

    return await _in_transaction(database, work)


async def list_all(_settings: Settings, database: AsyncEngine, _args: argparse.Namespace) -> int:
    """Every invite with its commune, state and who used it."""
    now = datetime.now(UTC)

    async def work(session: AsyncSession) -> int:
        rows = await list_invites(session, now)
        if not rows:
            print("No invites yet.")
        for row in rows:
            commune = commune_by_code(row.commune_code)
            place = commune.full_name if commune else row.commune_code
            used = f" by {row.used_by}" if row.used_by else ""
            print(
                f"{row.id}\t{row.state}{used}\t{place}\t{row.invitee_name or '-'}\t"
                f"expires {row.expires_at:%Y-%m-%d %H:%M} UTC"
            )
        return 0

    return await _in_transaction(database, work)


ACTIONS = {"invite": invite, "revoke": revoke, "list": list_all}


async def command(settings: Settings, args: argparse.Namespace) -> int:
    """``officer invite|revoke|list``."""
    return await on_database(ACTIONS[args.action], settings, args, CommuneNotFoundError)
