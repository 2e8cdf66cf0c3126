"""The Zalo Bot Platform as documented, over the real webhook and the real httpx client:
its 403 is a server error (retried, never "blocked"), people who cannot type are given a
person to call, photos are kept as bytes, polling removes the webhook and outwaits the
poll; and the stand-in refuses what Zalo refuses."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.channels import RetryLaterError
from bot.channels.zalo import ZaloChannel, ZaloError
from bot.db.engine import create_sessionmaker
from bot.db.models import ChannelAccount, OfficerAssignment, Person
from bot.engine import Engine
from bot.messages import Channel, Reply
from bot.polling import poll_zalo
from bot.runtime import Runtime
from bot.settings import Settings
from tests.builders import kept_evidence, png
from tests.standins import (
    ZALO_TOKEN,
    ZaloStandIn,
    replies_delivered,
    zalo_event,
    zalo_image,
    zalo_text,
)
from tests.test_channels import SCRIPT, post_zalo
from tests.test_checklist import idea

XOP = "23356"


async def say(client: httpx.AsyncClient, chat: str, *lines: str) -> None:
    for line in lines:
        assert (await post_zalo(client, zalo_text(chat, line))).status_code == 200


async def account(sessionmaker: async_sessionmaker[AsyncSession], chat: str) -> tuple[bool, object]:
    async with sessionmaker() as session:
        found = await session.scalar(select(ChannelAccount).where(ChannelAccount.chat_id == chat))
    assert found is not None
    return found.reachable, found.unreachable_since


async def test_zalo_internal_error_403_is_retried_and_the_chat_stays_reachable(
    client: httpx.AsyncClient,
    zalo_api: tuple[ZaloStandIn, str],
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    stand_in, _ = zalo_api
    await say(client, "z-301", *SCRIPT)
    stand_in.internal_errors["z-301"] = 1  # Zalo's 403: "Internal server error"
    await say(client, "z-301", "menu")
    assert "Anh/chị muốn làm gì" in stand_in.texts("z-301")[-1]  # delivered on a retry
    assert stand_in.internal_errors["z-301"] == 0
    stand_in.internal_errors["z-301"] = 5  # failing past the transport's bounded retries
    sent = len(stand_in.texts("z-301"))
    await say(client, "z-301", "menu")
    await replies_delivered(sessionmaker)  # the reply goes on a later try
    assert len(stand_in.texts("z-301")) == sent + 1
    assert stand_in.internal_errors["z-301"] == 0  # three tries, later two more
    assert await account(sessionmaker, "z-301") == (True, None)


async def test_a_zalo_403_to_an_alert_is_a_retry_later_without_retry_after(
    zalo_api: tuple[ZaloStandIn, str],
) -> None:
    stand_in, url = zalo_api
    stand_in.internal_errors["z-302"] = 5
    async with httpx.AsyncClient() as http:
        zalo = ZaloChannel(http, url, ZALO_TOKEN, retry_delays=(0.01, 0.01))
        with pytest.raises(RetryLaterError) as raised:
            await zalo.send("z-302", Reply("Nhắc việc"))
        assert raised.value.retry_after is None
        stand_in.rate_limited_chats["z-302"] = 1  # 429: quota, no retry_after documented
        stand_in.internal_errors["z-302"] = 0
        with pytest.raises(RetryLaterError) as quota:
            await zalo.send("z-302", Reply("Nhắc việc"))
        assert quota.value.retry_after is None


async def test_an_unreachable_account_is_reachable_again_when_its_user_writes(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await say(client, "z-303", *SCRIPT)
    async with sessionmaker() as session, session.begin():
        await session.execute(
            update(ChannelAccount)
            .where(ChannelAccount.chat_id == "z-303")
            .values(reachable=False, unreachable_since=ChannelAccount.created_at)
        )
    assert (await account(sessionmaker, "z-303"))[0] is False
    await say(client, "z-303", "menu")
    assert await account(sessionmaker, "z-303") == (True, None)


async def add_officer(
    sessionmaker: async_sessionmaker[AsyncSession], name: str, phone: str | None
) -> None:
    async with sessionmaker() as session, session.begin():
        officer = Person(full_name=name, phone_e164=phone, role="officer", language="vi")
        session.add(officer)
        await session.flush()
        session.add(OfficerAssignment(person_id=officer.id, commune_code=XOP))


@pytest.mark.parametrize(
    ("event", "said"),
    [
        ("message.voice.received", "chưa nghe được tin nhắn thoại"),
        ("message.unsupported.received", "Zalo không chuyển tin nhắn này"),
    ],
)
async def test_voice_and_unsupported_events_get_the_commune_officers_contact(
    client: httpx.AsyncClient,
    zalo_api: tuple[ZaloStandIn, str],
    sessionmaker: async_sessionmaker[AsyncSession],
    event: str,
    said: str,
) -> None:
    stand_in, url = zalo_api
    extra = {"voice_url": f"{url}/cdn/voice.aac"} if event.endswith("voice.received") else {}
    await post_zalo(client, zalo_event("z-310", event, **extra))  # before signing up
    (answer,) = stand_in.texts("z-310")
    assert said in answer
    assert "UBND xã, phường nơi mình ở" in answer
    await say(client, "z-311", *SCRIPT)  # a producer of Xã Xốp
    await add_officer(sessionmaker, "Hà Thị Mai", None)  # no phone: not named
    await post_zalo(client, zalo_event("z-311", event, **extra))
    answer = stand_in.texts("z-311")[-1]
    assert said in answer
    assert "UBND Xã Xốp" in answer
    await add_officer(sessionmaker, "Đinh Văn Tuấn", "+84987000111")
    await post_zalo(client, zalo_event("z-311", event, **extra))
    answer = stand_in.texts("z-311")[-1]
    assert "cán bộ OCOP của Xã Xốp: Đinh Văn Tuấn, 0987 000 111" in answer
    assert "Hà Thị Mai" not in answer
    for text in stand_in.texts("z-310") + stand_in.texts("z-311"):
        assert "gõ chữ" not in text


async def test_a_zalo_photo_is_kept_as_bytes_with_its_checklist_item(
    client: httpx.AsyncClient,
    zalo_api: tuple[ZaloStandIn, str],
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    stand_in, url = zalo_api
    await say(client, "z-320", *SCRIPT, *idea("Mat ong rung Xop", "mat ong"), "/hoso", "co")
    photo = png(4, 3)
    stand_in.files["giay-phep.jpg"] = photo  # a CDN that claims JPEG for everything
    await post_zalo(client, zalo_image("z-320", f"{url}/cdn/giay-phep.jpg"))
    assert "Đã nhận (1 tệp)" in stand_in.texts("z-320")[-1]
    await post_zalo(client, zalo_image("z-320", f"{url}/cdn/expired.jpg"))  # 404 by now
    assert "chưa tải được tệp" in stand_in.texts("z-320")[-1]
    stand_in.files["not-a-photo.jpg"] = b"<html>not an image</html>"
    await post_zalo(client, zalo_image("z-320", f"{url}/cdn/not-a-photo.jpg"))
    assert "ảnh, tệp PDF" in stand_in.texts("z-320")[-1]
    ((evidence, item),) = await kept_evidence(sessionmaker)
    assert (evidence.channel, evidence.media_type, evidence.size_bytes) == (
        "zalo",
        "image/png",
        len(photo),
    )
    assert evidence.content == photo
    assert item.state == "have"


async def test_zalo_polling_removes_the_webhook_and_outwaits_the_poll(
    settings: Settings,
    zalo_api: tuple[ZaloStandIn, str],
    engine: AsyncEngine,
    caplog: pytest.LogCaptureFixture,
) -> None:
    stand_in, _ = zalo_api
    stand_in.webhook_url = "https://bot.example/webhooks/zalo"
    # A client whose own read timeout is shorter than the poll: the poll must not use it.
    async with httpx.AsyncClient(timeout=httpx.Timeout(0.5)) as http:
        channel = ZaloChannel(http, settings.zalo_api_base_url, ZALO_TOKEN)
        runtime = Runtime(Engine(create_sessionmaker(engine)), {Channel.ZALO: channel})
        stop = asyncio.Event()
        with caplog.at_level(logging.WARNING, logger="bot.polling"):
            poller = asyncio.create_task(poll_zalo(channel, runtime, poll_seconds=1, stop=stop))
            await asyncio.sleep(1.5)  # one quiet poll runs to its end (408)
            await stand_in.updates.put(zalo_text("z-330", "/start"))
            await stand_in.wait_for_text("trợ lý tự động")
            stop.set()
            await poller
    methods = [call.method for call in stand_in.calls if call.method != "sendMessage"]
    assert methods[0] == "deleteWebhook"
    assert set(methods[1:]) == {"getUpdates"}
    assert [r.getMessage() for r in caplog.records] == []


async def test_the_zalo_stand_in_refuses_what_zalo_refuses(
    zalo_api: tuple[ZaloStandIn, str],
) -> None:
    stand_in, url = zalo_api
    async with httpx.AsyncClient() as http:
        zalo = ZaloChannel(http, url, ZALO_TOKEN)
        with pytest.raises(ZaloError) as too_long:
            await zalo.call("sendMessage", {"chat_id": "z-340", "text": "a" * 2001})
        assert too_long.value.code == 400
        with pytest.raises(ZaloError) as empty:
            await zalo.call("sendMessage", {"chat_id": "z-340", "text": ""})
        assert empty.value.code == 400
        await zalo.send("z-340", Reply("a" * 2000))
        await zalo.call("setWebhook", {"url": "https://bot.example/webhooks/zalo"})
        with pytest.raises(ZaloError) as exclusive:
            await zalo.call("getUpdates", {"timeout": "1"})
        assert exclusive.value.code == 400
        await zalo.call("deleteWebhook", {})
        with pytest.raises(ZaloError) as nothing:
            await zalo.call("getUpdates", {"timeout": "0.1"})
        assert nothing.value.code == 408
        with pytest.raises(ZaloError) as bad_token:
            await ZaloChannel(http, url, "1:wrong").call("getMe", {})
        assert bad_token.value.code == 401
    assert stand_in.texts("z-340") == ["a" * 2000]
