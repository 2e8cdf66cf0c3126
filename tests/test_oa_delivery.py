"""One delivery plan per alert: a farmer silent for months gets the re-evaluation reminder
as the OA's template by phone, one who wrote on the OA an hour ago gets a free OA message,
a refused template falls back to the chat once; the route is recorded with the alert."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.alerts.dispatch import Dispatcher, Pacer
from bot.channels.zalo import ZaloChannel
from bot.channels.zalo_oa import Template, ZaloOAChannel
from bot.db.models import ChannelAccount, ConversationSession, OutboxMessage, Person, ZaloOAChat
from bot.messages import Channel
from bot.oa_delivery import (
    WINDOW,
    AlertRoutes,
    Route,
    in_window,
    record_reply,
    template_phone,
)
from handlers.onboarding import CONSENT_VERSION
from tests.platforms.test_zalo_oa import token_store
from tests.standins import (
    ZALO_TOKEN,
    ZaloOAStandIn,
    ZaloStandIn,
    free_port,
    serve,
)
from tests.test_alerts import FAST, Clock

NOW = datetime(2027, 3, 1, 3, 0, tzinfo=UTC)  # 10:00 in Viet Nam, outside quiet hours
TEMPLATES = {
    "cert_expiry": Template(
        "tpl-301", {"ten_san_pham": "product", "hang_sao": "stars", "ngay_het_han": "expires_on"}
    )
}


@pytest.fixture
async def platforms() -> AsyncIterator[tuple[ZaloOAStandIn, ZaloStandIn, str, str]]:
    oa, bot = ZaloOAStandIn(), ZaloStandIn()
    async with serve(oa.app()) as oa_url, serve(bot.app()) as bot_url:
        yield oa, bot, oa_url, bot_url


async def farmer(
    session: AsyncSession, *, accounts: dict[Channel, str], phone: str = "+84912345678"
) -> Person:
    person = Person(
        full_name="Nguyen Van A",
        phone_e164=phone,
        language="vi",
        consent_at=NOW - timedelta(days=400),
        consent_version=CONSENT_VERSION,
    )
    session.add(person)
    await session.flush()
    for channel, chat in accounts.items():
        session.add(
            ChannelAccount(
                person_id=person.id, channel=channel.value, external_id=chat, chat_id=chat
            )
        )
    return person


async def reminder(
    session: AsyncSession, person: Person, *, days_before: int = 150
) -> OutboxMessage:
    row = OutboxMessage(
        dedupe_key=f"cert_expiry:c1:v1:{days_before}:{person.id}",
        recipient_person_id=person.id,
        kind="cert_expiry",
        payload={
            "certificate_id": 1,
            "product": "Mat ong rung Xop",
            "stars": 4,
            "expires_on": "2027-07-29",
            "days_before": days_before,
            "must_send": False,
            "due_on": "2027-03-01",
        },
        due_at=NOW,
    )
    session.add(row)
    await session.flush()
    return row


async def dispatch(
    sessionmaker: async_sessionmaker[AsyncSession],
    platforms: tuple[ZaloOAStandIn, ZaloStandIn, str, str],
) -> OutboxMessage:
    oa, _, oa_url, bot_url = platforms
    access, refresh = oa.grant("first")
    async with httpx.AsyncClient() as http:
        tokens = token_store(sessionmaker, http, oa_url, Clock(NOW))
        await tokens.grant(access_token=access, refresh_token=refresh, expires_in="90000")

        async def replied(user_id: str) -> None:
            await record_reply(sessionmaker, user_id)

        channel = ZaloOAChannel(http, oa_url, tokens, template_base_url=oa_url, on_sent=replied)
        senders = {Channel.ZALO_OA: channel, Channel.ZALO: ZaloChannel(http, bot_url, ZALO_TOKEN)}
        dispatcher = Dispatcher(
            sessionmaker,
            senders,  # type: ignore[arg-type]
            FAST,
            clock=Clock(NOW),
            pacer=Pacer(rate=10_000, per_chat=0),
            routes=AlertRoutes(channel, TEMPLATES),
        )
        report = await dispatcher.run_once()
    assert report.sent == 1
    async with sessionmaker() as session:
        row = await session.scalar(select(OutboxMessage).order_by(OutboxMessage.id.desc()))
    assert row is not None
    return row  # the latest alert


async def test_a_farmer_silent_for_200_days_gets_the_reminder_as_a_template_by_phone(
    sessionmaker: async_sessionmaker[AsyncSession],
    platforms: tuple[ZaloOAStandIn, ZaloStandIn, str, str],
) -> None:
    oa, bot, _, _ = platforms
    async with sessionmaker() as session, session.begin():
        person = await farmer(session, accounts={Channel.ZALO: "z-200"})
        session.add(
            ConversationSession(
                channel="zalo", chat_id="z-200", data={}, updated_at=NOW - timedelta(days=200)
            )
        )
        await reminder(session, person)
    row = await dispatch(sessionmaker, platforms)
    assert row.route == Route.OA_TEMPLATE
    assert row.state == "sent"
    (sent,) = oa.templates
    assert sent["phone"] == "84912345678"
    assert sent["template_id"] == "tpl-301"
    assert sent["template_data"] == {
        "ten_san_pham": "Mat ong rung Xop",
        "hang_sao": "4",
        "ngay_het_han": "29/07/2027",
    }
    assert sent["tracking_id"] == f"ocop-{row.id}"
    assert bot.texts() == []  # not also in the Bot chat


async def test_a_farmer_who_wrote_on_the_oa_an_hour_ago_gets_a_free_oa_message(
    sessionmaker: async_sessionmaker[AsyncSession],
    platforms: tuple[ZaloOAStandIn, ZaloStandIn, str, str],
) -> None:
    oa, bot, _, _ = platforms
    user = "7345678901234567890"
    async with sessionmaker() as session, session.begin():
        person = await farmer(session, accounts={Channel.ZALO: "z-201", Channel.ZALO_OA: user})
        session.add(
            ZaloOAChat(user_id=user, last_inbound_at=NOW - timedelta(hours=1), replies_since=2)
        )
        await reminder(session, person)
    row = await dispatch(sessionmaker, platforms)
    assert row.route == Route.OA_CHAT
    assert oa.templates == []
    (text,) = oa.texts(user)
    assert "Mat ong rung Xop" in text
    assert bot.texts() == []
    async with sessionmaker() as session:
        chat = await session.scalar(select(ZaloOAChat))
    assert chat is not None
    assert chat.replies_since == 3  # one free reply of the window spent


async def test_a_refused_template_falls_back_to_the_bot_chat_once(
    sessionmaker: async_sessionmaker[AsyncSession],
    platforms: tuple[ZaloOAStandIn, ZaloStandIn, str, str],
) -> None:
    oa, bot, _, _ = platforms
    oa.template_refusals["84912345678"] = -124  # e.g. the phone has no Zalo account
    async with sessionmaker() as session, session.begin():
        person = await farmer(session, accounts={Channel.ZALO: "z-202"})
        await reminder(session, person)
    row = await dispatch(sessionmaker, platforms)
    assert row.route == Route.ZALO_BOT
    assert oa.templates == []
    assert len(bot.texts("z-202")) == 1


@pytest.mark.parametrize("wrote_days_ago", [200, None])
async def test_a_notice_pushed_to_the_bot_chat_does_not_count_as_the_farmer_writing(
    sessionmaker: async_sessionmaker[AsyncSession],
    platforms: tuple[ZaloOAStandIn, ZaloStandIn, str, str],
    wrote_days_ago: int | None,
) -> None:
    """A farmer silent for 200 days (or who never wrote in the Bot chat) receives one
    reminder in the Bot chat, which keeps its options with the chat; the next reminder
    still goes as the template, since the farmer has not written."""
    oa, bot, _, _ = platforms
    async with sessionmaker() as session, session.begin():
        person = await farmer(session, accounts={Channel.ZALO: "z-204"})
        if wrote_days_ago is not None:
            wrote = NOW - timedelta(days=wrote_days_ago)
            session.add(ConversationSession(channel="zalo", chat_id="z-204", updated_at=wrote))
        await reminder(session, person, days_before=150)
    oa.template_refusals["84912345678"] = -124  # this once: the Bot chat takes it
    first = await dispatch(sessionmaker, platforms)
    assert first.route == Route.ZALO_BOT
    assert len(bot.texts("z-204")) == 1
    async with sessionmaker() as session:
        chat = await session.scalar(select(ConversationSession))
    assert chat is not None
    assert chat.data  # the notice's options are kept with the chat
    del oa.template_refusals["84912345678"]
    async with sessionmaker() as session, session.begin():
        await reminder(session, person, days_before=120)
    second = await dispatch(sessionmaker, platforms)
    assert second.route == Route.OA_TEMPLATE
    assert len(oa.templates) == 1
    assert len(bot.texts("z-204")) == 1  # nothing more in the Bot chat


@pytest.mark.parametrize(
    "consent",
    [
        {"consent_at": None, "consent_version": None},  # never agreed
        {"consent_version": "1"},  # agreed to the wording that named no OA notices
        {"erased_at": NOW - timedelta(days=1)},
    ],
    ids=["no consent", "consent of the old version", "erased"],
)
async def test_no_template_without_consent_to_it(
    sessionmaker: async_sessionmaker[AsyncSession],
    platforms: tuple[ZaloOAStandIn, ZaloStandIn, str, str],
    consent: dict[str, Any],
) -> None:
    oa, bot, _, _ = platforms
    async with sessionmaker() as session, session.begin():
        person = await farmer(session, accounts={Channel.ZALO: "z-205"})
        for name, value in consent.items():
            setattr(person, name, value)
        await reminder(session, person)
    row = await dispatch(sessionmaker, platforms)
    assert oa.templates == []  # no template leg: the alert goes on to the Bot chat
    assert row.route == Route.ZALO_BOT
    assert len(bot.texts("z-205")) == 1


async def test_a_landline_gets_no_template_and_the_window_is_data() -> None:
    assert template_phone("+84912345678") == "84912345678"
    assert template_phone("+842838221234") is None  # a Ho Chi Minh City landline
    assert template_phone(None) is None
    assert (WINDOW.length, WINDOW.replies) == (timedelta(hours=48), 8)
    assert "8 replies within 48 h" in WINDOW.source
    chat = ZaloOAChat(user_id="1", last_inbound_at=NOW - timedelta(hours=47), replies_since=7)
    assert in_window(chat, NOW)
    assert not in_window(ZaloOAChat(user_id="1", last_inbound_at=NOW, replies_since=8), NOW)
    assert not in_window(
        ZaloOAChat(user_id="1", last_inbound_at=NOW - timedelta(hours=49), replies_since=0), NOW
    )


async def test_a_template_without_an_answer_is_not_repeated_in_the_chat(
    sessionmaker: async_sessionmaker[AsyncSession],
    platforms: tuple[ZaloOAStandIn, ZaloStandIn, str, str],
) -> None:
    oa, bot, oa_url, bot_url = platforms
    access, refresh = oa.grant("first")
    async with sessionmaker() as session, session.begin():
        person = await farmer(session, accounts={Channel.ZALO: "z-203"})
        await reminder(session, person)
    async with httpx.AsyncClient() as http:
        tokens = token_store(sessionmaker, http, oa_url, Clock(NOW))
        await tokens.grant(access_token=access, refresh_token=refresh, expires_in="90000")
        # nothing listens there: the template may or may not have gone out
        channel = ZaloOAChannel(
            http, oa_url, tokens, template_base_url=f"http://127.0.0.1:{free_port()}"
        )
        dispatcher = Dispatcher(
            sessionmaker,
            {Channel.ZALO_OA: channel, Channel.ZALO: ZaloChannel(http, bot_url, ZALO_TOKEN)},
            FAST,
            clock=Clock(NOW),
            pacer=Pacer(rate=10_000, per_chat=0),
            routes=AlertRoutes(channel, TEMPLATES),
        )
        report = await dispatcher.run_once()
    assert (report.sent, report.retried) == (0, 1)
    assert bot.texts() == []  # not sent again by the chat: tried again later as a template
    async with sessionmaker() as session:
        row = await session.scalar(select(OutboxMessage))
    assert row is not None
    assert row.state == "pending"
    assert row.route is None
