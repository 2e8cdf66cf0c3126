"""Replies kept with their step: sent after the commit by the reply sender, in each chat's
order, through platform failures and a killed process; and the events of one chat that
are in flight together are applied in their platform's order."""

from __future__ import annotations

import asyncio
import json
import random
import signal
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot, Update

from bot.alerts.dispatch import Pacer
from bot.channels.telegram import TelegramChannel, make_bot
from bot.channels.telegram import to_inbound as telegram_inbound
from bot.db.models import ChannelAccount, ConversationSession, Person, Product, ReplyRow
from bot.engine import Engine
from bot.messages import Channel, Document, Inbound, Option, PhoneRequest, RemoveKeyboard, Reply
from bot.replies.codec import decode, encode
from bot.replies.sender import LEASE, ReplySender, replies_running
from bot.runtime import Runtime
from tests.standins import (
    TELEGRAM_TOKEN,
    TelegramStandIn,
    Trouble,
    after_webhooks,
    free_port,
    replies_delivered,
    serve,
    start_bot_server,
    telegram_text,
)
from tests.test_channels import (  # noqa: F401 - fixtures, found by name
    SCRIPT,
    TG_SECRET,
    app_url,
    settings,
    telegram_api,
    zalo_api,
)
from tests.test_checklist import idea

SECRET = "durable-secret"


@pytest.fixture
async def bot_api() -> AsyncIterator[tuple[TelegramStandIn, Bot]]:
    """The Bot API stand-in, and a bot that gives up on an answer after 0.3 s."""
    stand_in = TelegramStandIn(stall_seconds=1.0)
    async with serve(stand_in.app()) as url:
        bot = make_bot(TELEGRAM_TOKEN, f"{url}/bot", read_timeout=0.3)
        await bot.initialize()
        try:
            yield stand_in, bot
        finally:
            await bot.shutdown()


def inbound(bot: Bot, chat: str, text: str) -> Inbound:
    found = telegram_inbound(Update.de_json(telegram_text(chat, text), bot), datetime.now(UTC))
    assert found is not None
    return found


async def unsent(sessionmaker: async_sessionmaker[AsyncSession]) -> list[ReplyRow]:
    async with sessionmaker() as session:
        return list((await session.scalars(select(ReplyRow).order_by(ReplyRow.id))).all())


def test_every_kind_of_reply_is_kept_as_it_will_be_sent() -> None:
    messages = [
        Reply("Chọn:", ((Option("Có", "c:x:yes"), Option("Không", "c:x:no")),), listed=False),
        PhoneRequest("Số điện thoại?", "Gửi số của tôi"),
        RemoveKeyboard("Xong."),
        Document(b"PK\x03\x04\x00docx", "phieu.docx", "Phiếu", "application/vnd.openxml"),
    ]
    for message in messages:
        kind, body, content = encode(message)
        assert decode(kind.value, body, content) == message


async def test_a_document_survives_in_the_outbox_and_goes_out_with_its_bytes_after_a_restart(
    sessionmaker: async_sessionmaker[AsyncSession], bot_api: tuple[TelegramStandIn, Bot]
) -> None:
    stand_in, bot = bot_api
    channel = TelegramChannel(bot)
    runtime = Runtime(Engine(sessionmaker), {Channel.TELEGRAM: channel})
    for line in [*SCRIPT, *idea("Mat ong rung Xop", "mat ong")]:
        await runtime.process(inbound(bot, "705", line))  # sent inline: no sender runs
    database = runtime.engine.database
    dead = ReplySender(database, runtime.senders, runtime.engine.clock)
    runtime.replies = dead
    await runtime.process(inbound(bot, "705", "/phieu"))
    dead.abandon()  # the process dies before sending anything
    (row,) = await unsent(sessionmaker)
    assert (row.kind, row.state) == ("document", "sending")
    assert row.content is not None
    assert row.content.startswith(b"PK")  # a DOCX, as bytes
    later = ReplySender(database, runtime.senders, lambda: datetime.now(UTC) + 2 * LEASE)
    stop = asyncio.Event()
    flushing = asyncio.create_task(later.flush_forever(stop))
    assert await later.scan() == 1  # the dead process's lease ran out
    await later.idle()
    stop.set()
    await flushing
    (sent,) = [call for call in stand_in.calls if call.method == "sendDocument"]
    assert sent.params["document"] == row.content
    assert await unsent(sessionmaker) == []


async def test_500_then_no_answer_then_429_for_one_chat_every_reply_arrives_and_others_wait_not(
    sessionmaker: async_sessionmaker[AsyncSession], bot_api: tuple[TelegramStandIn, Bot]
) -> None:
    stand_in, bot = bot_api
    runtime = Runtime(Engine(sessionmaker), {Channel.TELEGRAM: TelegramChannel(bot)})
    bulk_held: list[float] = []
    stand_in.trouble_script["701"] = [Trouble.SERVER_ERROR, Trouble.NO_ANSWER, Trouble.RATE_LIMIT]
    async with replies_running(runtime) as replies:
        assert replies is not None
        replies.on_rate_limited = bulk_held.append
        await runtime.process(inbound(bot, "701", "/start"))
        for _ in range(1000):  # 500, backoff, no answer in time, backoff, then the 429
            if bulk_held:
                break
            await asyncio.sleep(0.01)
        limited_at = time.monotonic()
        assert bulk_held == [3]  # the 429's retry_after, passed to the bulk sender first
        for chat in ("702", "703"):
            await runtime.process(inbound(bot, chat, "/start"))
        await replies.idle()
    first, others = stand_in.sent("701"), stand_in.sent("702") + stand_in.sent("703")
    assert len(first) == 1  # every reply arrived, each once
    assert len(others) == 2
    assert all(call.at - limited_at < 1.0 for call in others)  # not delayed by the 429
    assert first[0].at - limited_at >= 2.9  # that chat waited the retry_after
    assert all(call.at < first[0].at for call in others)
    assert await unsent(sessionmaker) == []


async def test_a_reply_the_platform_refuses_or_a_blocked_chat_is_recorded_failed(
    sessionmaker: async_sessionmaker[AsyncSession], bot_api: tuple[TelegramStandIn, Bot]
) -> None:
    stand_in, bot = bot_api
    runtime = Runtime(Engine(sessionmaker), {Channel.TELEGRAM: TelegramChannel(bot)})
    stand_in.blocked_chats.add("711")
    async with replies_running(runtime) as replies:
        assert replies is not None
        await runtime.process(inbound(bot, "711", "/start"))
        await replies.idle()
    (row,) = await unsent(sessionmaker)
    assert (row.state, row.last_error, row.attempts) == ("failed", "blocked", 0)
    assert row.failed_at is not None
    async with sessionmaker() as session:
        account = await session.scalar(
            select(ChannelAccount).where(ChannelAccount.chat_id == "711")
        )
    assert account is None or account.reachable is False


async def test_a_rate_limit_holds_bulk_sends_while_replies_go_on() -> None:
    pacer = Pacer(rate=1000, per_chat=0)
    pacer.hold(0.3)
    began = time.monotonic()
    await pacer.wait("bulk")
    assert time.monotonic() - began >= 0.25


async def test_sigkill_between_the_commit_and_the_reply_then_restart_the_reply_arrives_once(
    database_url: str, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    stand_in = TelegramStandIn(stall_seconds=2.0)
    stand_in.trouble_script["901"] = [Trouble.NO_ANSWER]  # the reply hangs in flight
    update = telegram_text("901", "/start")
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    async with serve(stand_in.app()) as api_url:
        port = free_port()
        url = f"http://127.0.0.1:{port}/webhooks/telegram"
        process = await start_bot_server(database_url, api_url, SECRET, port)
        try:
            async with httpx.AsyncClient(timeout=30) as http:
                assert (await http.post(url, json=update, headers=headers)).status_code == 200
            # The step is committed; its reply is on its way.
            await stand_in.wait_for_call("sendMessage")
        finally:
            process.send_signal(signal.SIGKILL)
            await process.wait()
        assert process.returncode == -signal.SIGKILL
        (kept,) = await unsent(sessionmaker)
        assert kept.state == "sending"
        await asyncio.sleep(stand_in.stall_seconds)  # the hung call ends: nothing delivered
        assert stand_in.texts("901") == []

        process = await start_bot_server(database_url, api_url, SECRET, port)
        try:
            await replies_delivered(sessionmaker)  # once the dead process's lease ran out
            assert len(stand_in.texts("901")) == 1
            hooks = after_webhooks(sessionmaker)
            async with httpx.AsyncClient(timeout=30, event_hooks=hooks) as http:
                # Telegram delivers the update again: the step is not run twice, and
                # nothing is said twice.
                assert (await http.post(url, json=update, headers=headers)).status_code == 200
                assert len(stand_in.texts("901")) == 1
                await http.post(url, json=telegram_text("901", "co"), headers=headers)
        finally:
            process.terminate()
            await process.wait()
    texts = stand_in.texts("901")
    assert len(texts) == 2
    assert "Bước 1/5" in texts[1] or "họ và tên" in texts[1]
    async with sessionmaker() as session:
        row = (await session.execute(select(ConversationSession))).scalar_one()
    assert row.version == 2  # /start and "co": the redelivery ran no step


FORTY = [
    *SCRIPT,
    *["dang ky", "Mat ong rung Xop", "1", "co", "Mo ta mot", "luu"],
    *["dang ky", "Mat ong bac ha", "1", "co", "Mo ta hai", "huy"],
    *["dang ky", "tiep tuc", "huy"] * 6,
    *["dang ky", "tiep tuc", "tro giup"],
]


async def test_forty_updates_of_one_chat_posted_at_once_are_applied_in_update_id_order(
    app_url: str,  # noqa: F811 - the imported fixture
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    assert len(FORTY) == 40
    updates = [telegram_text("920", line, update_id=50_000 + n) for n, line in enumerate(FORTY)]
    shuffled = random.Random(24).sample(updates, len(updates))
    host, port = app_url.removeprefix("http://").split(":")
    # Forty open connections, as Telegram keeps them; every update written on its own
    # connection in the same instant, as a platform delivering them together would.
    connections = await asyncio.gather(
        *(asyncio.open_connection(host, int(port)) for _ in shuffled)
    )
    for (_, writer), update in zip(connections, shuffled, strict=True):
        body = json.dumps(update).encode()
        head = (
            f"POST /webhooks/telegram HTTP/1.1\r\nHost: {host}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            f"X-Telegram-Bot-Api-Secret-Token: {TG_SECRET}\r\n\r\n"
        )
        writer.write(head.encode() + body)
    statuses = [await reader.readline() for reader, _ in connections]
    for _, writer in connections:
        writer.close()
    assert {status.split()[1] for status in statuses} == {b"200"}
    await replies_delivered(sessionmaker)
    async with sessionmaker() as session:
        person = (await session.execute(select(Person))).scalar_one()
        product = (await session.execute(select(Product))).scalar_one()
        row = (await session.execute(select(ConversationSession))).scalar_one()
    assert (person.full_name, person.phone_e164) == ("Nguyen Van A", "+84912345678")
    assert (product.name, product.description) == ("Mat ong rung Xop", "Mo ta mot")
    assert row.version == 40
    assert row.flow == "idea"
    draft = str(row.data)
    for answer in ("Mat ong bac ha", "Mo ta hai"):
        assert answer in draft
