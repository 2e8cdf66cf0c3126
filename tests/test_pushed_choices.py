"""A notice pushed with options (the "1. …" line under every alert) is answered like any
list: by its number while it is the latest list, by its words any time later — and never
swallows the answer to a question that expects a number."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.alerts.dispatch import Dispatcher, Pacer
from bot.alerts.service import run_pass
from bot.alerts.timing import AlertConfig
from bot.channels.zalo import CAPABILITIES as ZALO
from bot.channels.zalo import ZaloChannel
from bot.db.models import ChannelAccount, OutboxMessage
from bot.engine import Engine
from bot.messages import Channel
from tests.builders import Chat, Clock
from tests.journeys import idea_script, producer_with_idea
from tests.standins import ZALO_TOKEN, ZaloStandIn, serve

CHAT = "zalo-farmer"


@pytest.fixture
async def zalo() -> AsyncIterator[tuple[ZaloStandIn, ZaloChannel]]:
    stand_in = ZaloStandIn()
    async with serve(stand_in.app()) as url, httpx.AsyncClient(timeout=5) as http:
        yield stand_in, ZaloChannel(http, url, ZALO_TOKEN)


@pytest.fixture
async def farmer(sessionmaker: async_sessionmaker[AsyncSession], clock: Clock) -> Chat:
    chat = Chat(
        Engine(sessionmaker, clock=clock), chat=CHAT, channel=Channel.ZALO, capabilities=ZALO
    )
    return await producer_with_idea(chat, "0912345678")


async def push_expiry_reminder(
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: Clock,
    channel: ZaloChannel,
) -> None:
    """Queue a certificate reminder for the farmer and let the dispatcher send it."""
    async with sessionmaker() as session, session.begin():
        person = await session.scalar(
            select(ChannelAccount.person_id).where(ChannelAccount.chat_id == CHAT)
        )
        assert person is not None
        session.add(
            OutboxMessage(
                dedupe_key=f"cert:{clock.now.isoformat()}",
                recipient_person_id=person,
                kind="cert_expiry",
                payload={
                    "stars": 4,
                    "product": "Mat ong rung",
                    "expires_on": "2027-12-31",
                    "days_before": 180,
                },
                due_at=clock.now,
            )
        )
    sender = Dispatcher(
        sessionmaker,
        {Channel.ZALO: channel},
        AlertConfig(),
        clock=clock,
        pacer=Pacer(1000, 0),
    )
    assert (await run_pass(sender)).dispatch.sent == 1


async def test_a_pushed_notice_answered_by_its_number_two_days_later_opens_its_action(
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: Clock,
    farmer: Chat,
    zalo: tuple[ZaloStandIn, ZaloChannel],
) -> None:
    stand_in, channel = zalo
    await push_expiry_reminder(sessionmaker, clock, channel)
    pushed = stand_in.texts(CHAT)[-1]
    assert "1. Giấy chứng nhận của tôi" in pushed
    assert "Gõ số" in pushed  # the same hint as under every list
    clock.advance(days=2)
    by_number = await farmer.say("1")
    assert by_number == await farmer.say("/chungnhan")
    assert "chưa hiểu" not in by_number


async def test_a_notice_during_a_typed_question_does_not_swallow_the_answer(
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: Clock,
    farmer: Chat,
    zalo: tuple[ZaloStandIn, ZaloChannel],
) -> None:
    _, channel = zalo
    certificates = await farmer.say("/chungnhan")
    await farmer.say("/dangky")
    script = idea_script(product_name="Nuoc mam", product_kind="nuoc mam")
    await farmer.answer(script, until="description")
    await push_expiry_reminder(sessionmaker, clock, channel)
    clock.advance(minutes=5)

    await farmer.say("1")  # the description typed: the question's answer, not line 1
    assert await farmer.where() == ("idea", "_summary")
    await farmer.say("sua", "mo ta")

    shown = await farmer.say("giay chung nhan cua toi")  # the notice's words still work
    assert shown.startswith(certificates)
    assert "Bước" in shown.removeprefix(certificates)  # then the flow's question again
    assert await farmer.where() == ("idea", "description")
    await farmer.answer(script)
    assert "OCOP-" in farmer.last_text  # the idea was saved with the answers given
