"""The whole journeys over Zalo, typing only words and the numbers the bot lists, against a
real ``ocop-bot serve`` and the Zalo stand-in — then the same journeys on the console.

A producer signs up, opens every menu entry by its number and by its label, registers an
idea from the menu, walks the checklist by numbers, opens status, certificates, forms and
notices and turns a notice off; an officer accepts an invite, opens the queue and a
dossier, checks its form, assesses the four items and proposes it to the province.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import ConversationSession, Dossier, Subject
from bot.engine import Engine
from bot.messages import Channel
from tests.builders import Chat, Clock, facts_script
from tests.journeys import idea_script, invite_code, sign_up_script
from tests.standins import (
    ZALO_TOKEN,
    ZaloStandIn,
    after_webhooks,
    free_port,
    serve,
    start_bot_server,
    zalo_text,
)
from tests.test_choices import FALLBACKS  # what the bot says when it did not understand

SECRET = "zalo-journey-secret"
_LINE = re.compile(r"^(\d+)\. (.+)$")


class Person(Protocol):
    """Someone typing to the bot: what they read back, and where the bot has them."""

    async def say(self, text: str) -> str:
        """Type ``text``; the replies to it, joined."""
        ...

    async def where(self) -> tuple[str | None, str | None]:
        """The flow and question the chat is at."""
        ...


def listed(text: str) -> list[str]:
    """The labels of the last numbered list in ``text``, in order."""
    labels: list[str] = []
    for line in text.splitlines():
        match = _LINE.match(line.strip())
        if match is None:
            continue
        if match.group(1) == "1":
            labels = []
        labels.append(match.group(2))
    return labels


def number_of(text: str, label: str) -> str:
    """The number to type for the option of ``text``'s list that starts with ``label``."""
    labels = listed(text)
    hits = [n for n, shown in enumerate(labels, start=1) if shown.startswith(label)]
    assert len(hits) == 1, f"{label!r} not once in {labels}: {text}"
    return str(hits[0])


def understood(text: str) -> None:
    """The bot did not fall back to "I did not understand" or a stale-list answer."""
    assert text, "no reply"
    for words in FALLBACKS:
        assert words not in text.lower(), text


async def answer(person: Person, script: dict[str, str], until: str | None = None) -> str:
    """Answer the flow's questions by name (see tests.builders.Chat.answer)."""
    flow, step = await person.where()
    assert flow is not None
    text = ""
    while step != until:
        assert step in script, f"no answer for {flow}.{step}"
        text = await person.say(script[step])
        now_flow, now_step = await person.where()
        if now_flow != flow:
            return text
        assert now_step != step, f"{flow}.{step}: {script[step]!r} refused: {text}"
        step = now_step
    return text


# --- the journeys --------------------------------------------------------------------------


async def producer_journey(person: Person) -> None:
    first = await person.say("xin chao")
    assert "trợ lý tự động" in first
    await answer(person, sign_up_script())

    menu = await person.say("menu")
    opened = await person.say(number_of(menu, "Đăng ký ý tưởng"))
    assert "Tên sản phẩm" in opened or "tên" in opened.lower()
    saved = await answer(person, idea_script())
    assert "OCOP-" in saved

    # Every menu entry, by its number and by its label; flows are left with "Hủy".
    labels = listed(await person.say("menu"))
    assert len(labels) >= 8
    for label in labels:
        for by_number in (True, False):
            menu = await person.say("menu")
            typed = number_of(menu, label) if by_number else label
            reply = await person.say(typed)
            assert "chưa hiểu" not in reply, (label, typed, reply)
            understood(reply)
            if (await person.where())[0] is not None:
                understood(await person.say("huy"))
            assert (await person.where())[0] is None, label

    # The checklist, by numbers only, after the product's facts (asked once, before it).
    reply = await person.say(number_of(await person.say("menu"), "Hồ sơ sản phẩm"))
    assert "Bước 1/7" in reply
    await answer(person, facts_script())
    reply = await person.say(number_of(await person.say("menu"), "Hồ sơ sản phẩm"))
    for _ in range(40):
        if "đi hết các mục" in reply:
            break
        reply = await person.say(number_of(reply, "Đã có"))
        assert "gõ “Xong”" in reply
        reply = await person.say(number_of(reply, "Xong"))
    assert "đi hết các mục" in reply

    status = await person.say(number_of(await person.say("menu"), "Hồ sơ của tôi đến đâu"))
    assert "Mat ong rung" in status
    understood(await person.say(number_of(await person.say("menu"), "Giấy chứng nhận")))
    forms = await person.say(number_of(await person.say("menu"), "In phiếu"))
    assert ".docx" in forms or "Phiếu" in forms, forms
    notices = await person.say(number_of(await person.say("menu"), "Thông báo"))
    turned = await person.say(number_of(notices, "Tắt: Mở đợt đánh giá"))
    assert "• Mở đợt đánh giá: tắt" in turned, turned


@dataclass
class Counted:
    """A person whose messages are counted."""

    person: Person
    sent: int = 0

    async def say(self, text: str) -> str:
        self.sent += 1
        return await self.person.say(text)

    async def where(self) -> tuple[str | None, str | None]:
        return await self.person.where()


# Messages a farmer may need from "xin chào" to a registered idea (typed, no diacritics).
MESSAGE_BUDGET = 12


async def first_contact_to_idea(person: Person, *kind: str) -> int:
    """From "xin chào" to a registered idea, typed without accents, numbers for lists; the
    number of messages it took. ``kind``: the answer(s) to the kind of producer — "ho kinh
    doanh"; a cooperative types its name with its kind, or answers "1" and then its name.
    The product's name is typed at the menu that ends sign-up, which invites it."""
    counted = Counted(person)
    consent = await counted.say("xin chao")
    assert "Bước 1/5" in consent
    for typed in ("dong y", "Lo Thi Lan", "0987654321", "xop", *kind[:-1]):
        await counted.say(typed)
    signed = await counted.say(kind[-1] if kind else "ho kinh doanh")
    assert "Cảm ơn Lo Thi Lan" in signed
    assert "gõ luôn tên sản phẩm" in signed
    listed_sets = await counted.say("Mat ong rung Xop")
    assert "Bước 2/4" in listed_sets
    await counted.say("1")
    await counted.say("co")
    summary = await counted.say("Mat ong hoa rung, nuoi ong trong rung Xop")
    saved = await counted.say(number_of(summary, "Lưu"))
    assert "OCOP-" in saved
    assert (await counted.where()) == (None, None)
    return counted.sent


async def officer_journey(person: Person, code: str) -> None:
    welcome = await person.say(f"canbo {code}")
    assert "cán bộ của Xã Xốp" in welcome
    queue = await person.say(number_of(await person.say("menu"), "Hồ sơ chờ xã"))
    card = await person.say(number_of(queue, "Mat ong rung"))
    assert "Mat ong rung" in card

    reply = await person.say(number_of(card, "Kiểm tra hình thức"))
    for _ in range(40):
        flow, step = await person.where()
        if step == "_summary":
            break
        assert flow == "formcheck", reply
        reply = await person.say("1")  # "đủ" for every paper
    reply = await person.say(number_of(reply, "Lưu"))
    assert "Đã lưu kết quả kiểm tra hình thức" in reply

    card = await person.say(number_of(await person.say("menu"), "Hồ sơ chờ xã"))
    card = await person.say("1")
    await person.say(number_of(card, "Đánh giá 4 tiêu chí"))
    yesterday = (datetime.now(UTC) - timedelta(days=1)).strftime("%d/%m/%Y")
    reached = await answer(
        person,
        {
            "origin_commune_pct": "giu",
            "origin_province_pct": "giu",
            "origin_evidence": "Hop dong mua mat ong voi 12 ho",
            "origin_conclusion": "1",
            "origin_comment": "bo qua",
            "labour_total": "giu",
            "labour_local": "giu",
            "labour_conclusion": "1",
            "labour_comment": "bo qua",
            "idea_origin": "giu",
            "idea_conclusion": "1",
            "idea_comment": "bo qua",
            "identity": "1",
            "identity_note": "Nuoi ong rung truyen thong",
            "identity_conclusion": "1",
            "identity_comment": "bo qua",
            "meeting_date": yesterday,
            "meeting_participants": "Chu tich UBND xa, can bo nong nghiep",
        },
        until="_summary",
    )
    done = await person.say(number_of(reached, "Lưu"))
    proposed = await person.say(number_of(done, "Gửi đề nghị lên tỉnh"))
    assert "đã gửi lên tỉnh" in proposed or "gửi lên tỉnh" in proposed, proposed


# --- over Zalo, through ocop-bot serve -----------------------------------------------------


@dataclass
class ZaloUser:
    """A person on Zalo: each line is a webhook post; replies are what the stand-in got."""

    http: httpx.AsyncClient
    stand_in: ZaloStandIn
    sessionmaker: async_sessionmaker[AsyncSession]
    chat: str
    said: list[str] = field(default_factory=list)

    async def say(self, text: str) -> str:
        before = len(self.stand_in.texts(self.chat))
        response = await self.http.post(
            "/webhooks/zalo",
            json=zalo_text(self.chat, text),
            headers={"X-Bot-Api-Secret-Token": SECRET},
        )
        assert response.status_code == 200
        replies = self.stand_in.texts(self.chat)[before:]
        assert all(0 < len(reply) <= 2000 for reply in replies)
        self.said.extend(replies)
        return "\n".join(replies)

    async def where(self) -> tuple[str | None, str | None]:
        async with self.sessionmaker() as session:
            row = await session.scalar(
                select(ConversationSession)
                .where(ConversationSession.channel == "zalo")
                .where(ConversationSession.chat_id == self.chat)
            )
        return (row.flow, row.step) if row is not None else (None, None)


@pytest.fixture
async def zalo_server(
    database_url: str, sessionmaker: async_sessionmaker[AsyncSession]
) -> AsyncIterator[tuple[ZaloStandIn, httpx.AsyncClient]]:
    stand_in = ZaloStandIn()
    async with serve(stand_in.app()) as api_url:
        port = free_port()
        process = await start_bot_server(
            database_url,
            api_url,
            "",
            port,
            telegram=False,
            ZALO_BOT_TOKEN=ZALO_TOKEN,
            ZALO_WEBHOOK_SECRET=SECRET,
            ZALO_API_BASE_URL=api_url,
            OCOP_SECRET_KEY="journey-secret-key-0123456789",
            PUBLIC_BASE_URL=f"https://127.0.0.1:{port}",
            OCOP_QUIET_HOURS="00:00-00:00",
        )
        try:
            hooks = after_webhooks(sessionmaker)
            async with httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{port}", timeout=30, event_hooks=hooks
            ) as http:
                yield stand_in, http
        finally:
            if process.returncode is None:
                process.kill()
            await process.wait()


async def test_a_producer_and_an_officer_go_all_the_way_on_zalo(
    zalo_server: tuple[ZaloStandIn, httpx.AsyncClient],
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    stand_in, http = zalo_server
    farmer = ZaloUser(http, stand_in, sessionmaker, "zalo-farmer")
    await producer_journey(farmer)
    officer = ZaloUser(http, stand_in, sessionmaker, "zalo-officer")
    await officer_journey(officer, await invite_code(sessionmaker, at=datetime.now(UTC)))
    async with sessionmaker() as session:
        (status,) = (await session.scalars(select(Dossier.status))).all()
    assert status == "submitted_for_evaluation"
    every = "\n".join(farmer.said + officer.said)
    assert (
        await first_contact_to_idea(ZaloUser(http, stand_in, sessionmaker, "z-new"))
        <= MESSAGE_BUDGET
    )
    assert "bấm" not in every.lower()
    assert "Telegram" not in every


async def test_a_cooperative_reaches_a_registered_idea_within_the_budget_on_zalo(
    zalo_server: tuple[ZaloStandIn, httpx.AsyncClient],
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    stand_in, http = zalo_server
    coop = ZaloUser(http, stand_in, sessionmaker, "zalo-coop")
    # The hardest case: the kind by its number, then the name in a message of its own.
    assert await first_contact_to_idea(coop, "1", "HTX mat ong Xop") <= MESSAGE_BUDGET
    assert "HTX mat ong Xop" in "\n".join(coop.said)  # repeated back at the end of sign-up
    async with sessionmaker() as session:
        (subject,) = (await session.execute(select(Subject.subject_type, Subject.name))).all()
        dossiers = (await session.scalars(select(Dossier.id))).all()
    assert tuple(subject) == ("cooperative", "HTX mat ong Xop")  # the name as typed
    assert len(dossiers) == 1


# --- the same on the console ------------------------------------------------------------------


@dataclass
class ConsoleUser:
    """The same person at the console (the engine with the console's capabilities)."""

    chat: Chat

    async def say(self, text: str) -> str:
        return await self.chat.say(text)

    async def where(self) -> tuple[str | None, str | None]:
        return await self.chat.where()


async def test_the_same_journeys_on_the_console(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    engine = Engine(sessionmaker, clock=Clock(datetime.now(UTC)))
    await producer_journey(ConsoleUser(Chat(engine, chat="console-farmer")))
    await officer_journey(
        ConsoleUser(Chat(engine, chat="console-officer", channel=Channel.CONSOLE)),
        await invite_code(sessionmaker, at=datetime.now(UTC)),
    )
    async with sessionmaker() as session:
        (status,) = (await session.scalars(select(Dossier.status))).all()
    assert status == "submitted_for_evaluation"


async def test_first_contact_to_a_registered_idea_within_the_budget_on_the_console(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    engine = Engine(sessionmaker, clock=Clock(datetime.now(UTC)))
    newcomer = Chat(engine, chat="console-newcomer")
    assert await first_contact_to_idea(ConsoleUser(newcomer)) == 11
    counters = [c for text in newcomer.transcript for c in re.findall(r"Bước \d+/\d+", text)]
    # The product's name is the idea's first question, answered at the menu that invites it.
    assert counters == [f"Bước {n}/5" for n in range(1, 6)] + [f"Bước {n}/4" for n in range(2, 5)]


@pytest.mark.parametrize(
    "kind",
    [("htx mat ong Xop",), ("1 HTX Mat ong Xop",), ("cong ty Minh Phat",), ("1", "HTX Mat ong")],
)
async def test_an_organisation_reaches_a_registered_idea_within_the_budget_on_the_console(
    sessionmaker: async_sessionmaker[AsyncSession], kind: tuple[str, ...]
) -> None:
    engine = Engine(sessionmaker, clock=Clock(datetime.now(UTC)))
    newcomer = Chat(engine, chat="console-coop")
    assert await first_contact_to_idea(ConsoleUser(newcomer), *kind) <= MESSAGE_BUDGET
    counters = [c for text in newcomer.transcript for c in re.findall(r"Bước \d+/\d+", text)]
    # The organisation's name asked on its own is part of the kind's question: 5/5 again.
    named_apart = ["Bước 5/5"] * (len(kind) - 1)
    signed_up = [f"Bước {n}/5" for n in range(1, 6)] + named_apart
    assert counters == signed_up + [f"Bước {n}/4" for n in range(2, 5)]
