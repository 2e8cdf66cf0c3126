"""People the tests talk as: scripts keyed by question name, and ready-made personas.

A script names the questions it answers (``{"full_name": "Lo Van Nam", …}``), so adding a
question to a flow breaks only the scripts that meet it, with that question's name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.engine import Engine
from bot.invites import create_invite
from bot.messages import Capabilities, Channel, Outbound, Reply
from tests.builders import START, Chat, idea_script, sign_up_script

XOP = "23356"  # Xã Xốp, tỉnh Quảng Ngãi


async def signed_up(chat: Chat, phone: str, script: Mapping[str, str] | None = None) -> Chat:
    """``chat`` after the first message and sign-up."""
    await chat.say("xin chao")
    await chat.answer(script or sign_up_script(phone))
    return chat


async def producer_with_idea(chat: Chat, phone: str, subject: str = "HTX Mat ong Xop") -> Chat:
    """A signed-up producer who registered the honey idea."""
    await signed_up(chat, phone, sign_up_script(phone, subject_name=subject))
    await chat.say("/dangky")
    await chat.answer(idea_script())
    await chat.declare_facts()
    return chat


async def invite_code(
    sessionmaker: async_sessionmaker[AsyncSession],
    commune: str = XOP,
    name: str = "Hoa",
    at: datetime = START,
) -> str:
    """A fresh invite code for an officer of ``commune``, made ``at``."""
    async with sessionmaker() as session, session.begin():
        _, code = await create_invite(session, commune, name, at)
    return code


async def officer(chat: Chat, sessionmaker: async_sessionmaker[AsyncSession]) -> Chat:
    """A commune officer of Xốp who accepted an invite (typed as Zalo users type it)."""
    await chat.say(f"canbo {await invite_code(sessionmaker)}")
    assert "cán bộ" in chat.last_text, chat.last_text
    return chat


def new_chat(
    engine: Engine,
    chat: str,
    *,
    channel: Channel = Channel.CONSOLE,
    capabilities: Capabilities | None = None,
) -> Chat:
    """A chat on ``channel`` (the console's capabilities unless given)."""
    if capabilities is None:
        return Chat(engine, chat=chat, channel=channel)
    return Chat(engine, chat=chat, channel=channel, capabilities=capabilities)


def last_options(replies: list[Outbound]) -> list[tuple[str, str]]:
    """(label, payload) of the options of the last reply, in their numbered order."""
    if not replies or not isinstance(replies[-1], Reply):
        return []
    return [(o.label, o.payload) for row in replies[-1].choices for o in row]


_CODES = re.compile(r"OCOP-\d+-\d{4}-\d+")
_PHONES = re.compile(r"\+?\d{9,12}")
_SERIALS = re.compile(r" #\d+")


def comparable(text: str) -> str:
    """Reply text without what differs between otherwise identical people (their codes and
    phone numbers, the "#n" that tells their businesses apart)."""
    return _SERIALS.sub("", _PHONES.sub("…", _CODES.sub("OCOP-…", text)))
