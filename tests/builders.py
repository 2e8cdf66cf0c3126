"""Builders for inbound events and a small driver that talks to the engine like a channel."""

from __future__ import annotations

import itertools
import struct
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import undefer

from bot.channels.console import CAPABILITIES as CONSOLE
from bot.db.models import ConversationSession, DossierItem, EvidenceFile
from bot.engine import DurableReplies, Engine
from bot.messages import (
    Capabilities,
    Channel,
    ChoicePicked,
    Content,
    Inbound,
    Outbound,
    PhoneRequest,
    RemoveKeyboard,
    Reply,
    content_from_text,
)
from bot.replies.sender import ReplySender
from handlers.conversation import SUMMARY

_ids = itertools.count(1)
# Onboarding of a cooperative in Xã Xốp, typed without diacritics.
SIGN_UP = [
    "/start",
    "co",
    "Lo Van Nam",
    "0912345678",
    "xa xop",
    "hop tac xa",
    "HTX Mat ong Xop",
]
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def sign_up_script(phone: str = "0912345678", **changes: str) -> dict[str, str]:
    """Sign-up of a cooperative in Xã Xốp, typed without diacritics."""
    return {
        "consent": "co",
        "full_name": "Lo Van Nam",
        "phone": phone,
        "commune": "xa xop",
        "subject_type": "hop tac xa",
        "subject_name": "HTX Mat ong Xop",
        **changes,
    }


def idea_script(**changes: str) -> dict[str, str]:
    """A honey idea, every answer valid (the kind's words are asked only when the
    product's name names no set)."""
    return {
        "product_name": "Mat ong rung",
        "product_kind": "mat ong",
        "product_set": "1",
        "is_new_product": "co",
        "description": "Mat ong nuoi trong rung",
        SUMMARY: "luu",
        **changes,
    }


def facts_script(**changes: str) -> dict[str, str]:
    """The honey product's facts, asked once with the dossier (/hoso) before the papers."""
    return {
        "raw_materials": "Hoa rung",
        "raw_material_commune_pct": "80",
        "raw_material_province_pct": "100",
        "workers_total": "5",
        "workers_local": "5",
        "idea_origin": "1",
        "identity_story": "bo qua",
        SUMMARY: "luu",
        **changes,
    }


# The same facts by position, for scripts that stand for a channel's messages.
FACTS = ["/hoso", "Hoa rung", "80", "100", "5", "5", "1", "bo qua", "luu"]


async def kept_evidence(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> list[tuple[EvidenceFile, DossierItem]]:
    """Every evidence file kept, with its bytes loaded, and the checklist item it belongs to:
    what a photo sent in a chat left in the database."""
    async with sessionmaker() as session:
        rows = await session.execute(
            select(EvidenceFile, DossierItem)
            .join(DossierItem, DossierItem.id == EvidenceFile.dossier_item_id)
            .options(undefer(EvidenceFile.content))
        )
        return [(evidence, item) for evidence, item in rows]


def png(width: int, height: int, rgb: tuple[int, int, int] = (200, 120, 40)) -> bytes:
    """A real PNG image of one colour, as a phone camera's photo would stand in tests."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def inbound(
    content: Content,
    *,
    chat: str = "100",
    channel: Channel = Channel.CONSOLE,
    event_id: str | None = None,
    at: datetime = START,
    name: str | None = "Chị Lan",
) -> Inbound:
    """An inbound event with a fresh event id unless one is given."""
    return Inbound(
        channel=channel,
        chat_id=chat,
        sender_id=chat,
        sender_name=name,
        event_id=event_id or f"ev-{next(_ids)}",
        at=at,
        content=content,
    )


def text_of(outbound: Outbound) -> str:
    """The visible text of a reply."""
    if isinstance(outbound, Reply | PhoneRequest | RemoveKeyboard):
        return outbound.text
    return outbound.caption


@dataclass
class Clock:
    """A settable clock for the engine."""

    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        """Move the clock forward."""
        self.now += timedelta(**delta)


class RecordOnly(ReplySender):
    """Keeps each step's replies with the step, as ``serve`` does (on PostgreSQL the first
    one in the statement that saves the step), and sends none."""

    def committed(self, token: object) -> None:
        """Nothing goes out: the rows are what is read."""


@dataclass
class Chat:
    """One person talking to the engine, as a channel would deliver their messages."""

    engine: Engine
    chat: str = "100"
    capabilities: Capabilities = CONSOLE
    channel: Channel = Channel.CONSOLE
    transcript: list[str] = field(default_factory=list)
    last: list[Outbound] = field(default_factory=list)
    durable: DurableReplies | None = None  # keeps the replies with each step, as serve does

    async def say(self, *lines: str) -> str:
        """Send typed lines; return the text of the replies to the last one."""
        for line in lines:
            await self.send(content_from_text(line))
        return self.last_text

    async def send(self, content: Content) -> list[Outbound]:
        """Send any content."""
        event = inbound(content, chat=self.chat, channel=self.channel, at=self.engine.clock())
        self.last = await self.engine.handle(event, self.capabilities, durable=self.durable) or []
        self.transcript.extend(text_of(reply) for reply in self.last)
        return self.last

    async def send_text(self, line: str) -> list[Outbound]:
        """Send one typed line; return the replies themselves (documents included)."""
        return await self.send(content_from_text(line))

    async def press(self, payload: str) -> str:
        """Press a button."""
        await self.send(ChoicePicked(payload))
        return self.last_text

    async def sign_up(self, **answers: str) -> str:
        """Say hello and sign up with :func:`sign_up_script` (``answers`` change it)."""
        await self.say("/start")
        return await self.answer(sign_up_script(**answers))

    async def register_idea(
        self, product: str, kind: str, *, until: str | None = None, **answers: str
    ) -> str:
        """Register an idea with :func:`idea_script` for ``product``, its kind typed as
        words (the first set they find is confirmed), up to the question ``until``; a
        registered idea then has its facts declared (:func:`declare_facts`), so /hoso
        opens on the papers. Return the replies to the registration."""
        await self.say("dang ky")
        script = idea_script(product_name=product, product_kind=kind, **answers)
        registered = await self.answer(script, until=until)
        if until is None:
            await self.declare_facts()
        return registered

    async def declare_facts(self, **answers: str) -> str:
        """Answer the product's facts, asked by /hoso before the papers (once)."""
        await self.say("/hoso")
        if (await self.where())[0] != "facts":
            return self.last_text
        return await self.answer(facts_script(**answers))

    async def where(self) -> tuple[str | None, str | None]:
        """The flow and the question this chat is at, as stored."""
        async with self.engine.sessionmaker() as session:
            row = await session.scalar(
                select(ConversationSession)
                .where(ConversationSession.channel == self.channel.value)
                .where(ConversationSession.chat_id == self.chat)
            )
        return (row.flow, row.step) if row is not None else (None, None)

    async def answer(self, script: Mapping[str, str], *, until: str | None = None) -> str:
        """Answer the questions of the flow the chat is in, each by its name, until the chat
        leaves that flow (or reaches the question ``until``); return the last replies.

        A script names the questions it answers, not their positions, so a question added
        to a flow fails only the scripts that meet it (with its name in the message). A
        question asked again right after its answer (the answer was refused) fails too.
        """
        flow, step = await self.where()
        assert flow is not None, f"not in a flow: {self.last_text}"
        while step != until:
            assert step in script, f"no answer for {flow}.{step}; the bot said: {self.last_text}"
            await self.say(script[step])
            now_flow, now_step = await self.where()
            if now_flow != flow:
                return self.last_text
            assert (now_step != step) or step == "_resume", (
                f"{flow}.{step}: {script[step]!r} refused: {self.last_text}"
            )
            step = now_step
        return self.last_text

    @property
    def last_text(self) -> str:
        """The replies to the last message, joined."""
        return "\n".join(text_of(reply) for reply in self.last)
