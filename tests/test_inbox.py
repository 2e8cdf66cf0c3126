"""The webhooks' inbox: an event is kept and answered before its step, which follows in the
same process, or after a crash in the next one; one that fails for good is forgotten."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy.exc
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.engine import WriteGate
from bot.db.models import ChatArrival, ConversationSession, ProcessedEvent
from bot.inbox import sweep
from bot.messages import Channel
from bot.web import AppState, create_app, kept_reader, webhooks_first
from handlers import router
from tests.conftest import is_postgres
from tests.standins import (
    TG_SECRET,
    ZALO_SECRET,
    ZALO_TOKEN,
    TelegramStandIn,
    ZaloStandIn,
    free_port,
    kept_events_handled,
    platform_settings,
    replies_delivered,
    serve,
    start_bot_server,
    telegram_text,
    zalo_image,
    zalo_text,
)


@pytest.fixture
async def stand_ins() -> AsyncIterator[tuple[TelegramStandIn, str, ZaloStandIn, str]]:
    telegram, zalo = TelegramStandIn(), ZaloStandIn()
    async with serve(telegram.app()) as telegram_url, serve(zalo.app()) as zalo_url:
        yield telegram, telegram_url, zalo, zalo_url


@pytest.fixture
async def app(
    database_url: str, stand_ins: tuple[TelegramStandIn, str, ZaloStandIn, str]
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    _, telegram_url, _, zalo_url = stand_ins
    web = create_app(platform_settings(database_url, telegram_url, zalo_url))
    async with (
        serve(webhooks_first(web)) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as http,
    ):
        yield web, http


def state_of(web: FastAPI) -> AppState:
    state: AppState = web.state.ocop
    return state


async def post_zalo(http: httpx.AsyncClient, body: dict[str, Any]) -> httpx.Response:
    return await http.post(
        "/webhooks/zalo", json=body, headers={"X-Bot-Api-Secret-Token": ZALO_SECRET}
    )


async def kept(sessionmaker: async_sessionmaker[AsyncSession]) -> list[tuple[str, str | None]]:
    async with sessionmaker() as session:
        rows = await session.execute(select(ChatArrival.chat_id, ChatArrival.body))
    return [tuple(row) for row in rows]


async def test_a_zalo_webhook_is_answered_before_its_step_which_follows_it(
    app: tuple[FastAPI, httpx.AsyncClient],
    stand_ins: tuple[TelegramStandIn, str, ZaloStandIn, str],
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    web, http = app
    zalo = stand_ins[2]
    locks = state_of(web).runtime.engine.locks
    async with locks.hold((Channel.ZALO, "z-kept")):  # the chat's step cannot start
        response = await asyncio.wait_for(post_zalo(http, zalo_text("z-kept", "/start")), 5)
        assert response.status_code == 200
        ((chat, body),) = await kept(sessionmaker)
        assert chat == "z-kept"
        assert body is not None
        assert "/start" in body
        assert zalo.texts("z-kept") == []
    await replies_delivered(sessionmaker)
    assert await kept(sessionmaker) == []  # the step that applied it removed it
    assert len(zalo.texts("z-kept")) == 1


async def test_a_full_inbox_has_the_webhook_wait_for_the_step(
    app: tuple[FastAPI, httpx.AsyncClient],
    stand_ins: tuple[TelegramStandIn, str, ZaloStandIn, str],
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    web, http = app
    state = state_of(web)
    state.inbox.limit = 0
    async with state.runtime.engine.locks.hold((Channel.TELEGRAM, "7101")):
        posted = asyncio.ensure_future(
            http.post(
                "/webhooks/telegram",
                json=telegram_text("7101", "/start"),
                headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET},
            )
        )
        await asyncio.sleep(0.3)
        assert not posted.done()  # the platform's connection waits: it is slowed down
    assert (await posted).status_code == 200
    async with sessionmaker() as session:  # committed before the answer
        row = await session.scalar(
            select(ConversationSession).where(ConversationSession.chat_id == "7101")
        )
    assert row is not None
    assert row.flow == "onboarding"
    assert await kept(sessionmaker) == []


async def test_an_event_its_step_fails_on_is_acknowledged_logged_and_forgotten(
    app: tuple[FastAPI, httpx.AsyncClient],
    stand_ins: tuple[TelegramStandIn, str, ZaloStandIn, str],
    sessionmaker: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, http = app
    zalo = stand_ins[2]
    handle = router.handle

    async def breaks_on_boom(ctx: Any, state: Any, content: Any) -> Any:
        if getattr(content, "text", "") == "boom":
            raise ValueError("a bug this event meets")
        return await handle(ctx, state, content)

    monkeypatch.setattr(router, "handle", breaks_on_boom)
    with caplog.at_level(logging.ERROR, logger="bot.inbox"):
        assert (await post_zalo(http, zalo_text("z-boom", "boom"))).status_code == 200
        await kept_events_handled(sessionmaker)
    (record,) = [r for r in caplog.records if r.getMessage() == "event not handled; acknowledged"]
    assert record.exc_info is not None
    assert zalo.texts("z-boom") == []
    assert (await post_zalo(http, zalo_text("z-boom", "/start"))).status_code == 200
    await replies_delivered(sessionmaker)
    assert len(zalo.texts("z-boom")) == 1  # the chat goes on


async def test_an_event_the_database_failed_stays_kept_and_the_sweep_handles_it(
    app: tuple[FastAPI, httpx.AsyncClient],
    stand_ins: tuple[TelegramStandIn, str, ZaloStandIn, str],
    sessionmaker: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    web, http = app
    zalo = stand_ins[2]
    state = state_of(web)
    handle, failures = router.handle, [1]

    async def database_away_once(ctx: Any, state: Any, content: Any) -> Any:
        if failures:
            failures.pop()
            raise sqlalchemy.exc.OperationalError("SELECT 1", {}, OSError("database away"))
        return await handle(ctx, state, content)

    monkeypatch.setattr(router, "handle", database_away_once)
    assert (await post_zalo(http, zalo_text("z-away", "/start"))).status_code == 200
    await state.inbox.drain()
    assert [chat for chat, _ in await kept(sessionmaker)] == ["z-away"]
    assert zalo.texts("z-away") == []
    # Not yet left behind: kept a moment ago, as another live process's events are.
    clock = state.runtime.engine.clock
    assert await sweep(state.inbox, kept_reader(state), clock() - timedelta(seconds=30)) == 0
    assert await sweep(state.inbox, kept_reader(state), clock() + timedelta(seconds=1)) == 1
    await replies_delivered(sessionmaker)
    assert await kept(sessionmaker) == []
    assert len(zalo.texts("z-away")) == 1


async def test_a_kept_body_nobody_can_read_is_forgotten_by_the_sweep(
    app: tuple[FastAPI, httpx.AsyncClient], sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    web, _ = app
    state = state_of(web)
    now = datetime.now(UTC)
    async with sessionmaker() as session, session.begin():
        session.add(
            ChatArrival(
                channel=Channel.ZALO.value,
                chat_id="z-odd",
                event_id="odd-1",
                order_at=0,
                order_key="",
                arrived_at=now - timedelta(minutes=5),
                body='{"event_name": "user_did_something_new"}',
            )
        )
    assert await sweep(state.inbox, kept_reader(state), now) == 1
    assert await kept(sessionmaker) == []


async def test_an_event_answered_then_killed_before_its_step_is_handled_once_after_restart(
    database_url: str, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """SIGKILL of a real ``ocop-bot serve`` after the webhook's answer, while the step
    fetches the photo it needs: the next process handles the event, and replies once."""
    zalo = ZaloStandIn()
    zalo.files["anh-1.jpg"] = b"\xff\xd8\xff\xe0 a photo"
    zalo.file_delay = 60.0  # the step waits for the photo: the process dies meanwhile
    async with serve(zalo.app()) as api_url:
        port = free_port()
        env = {
            "ZALO_BOT_TOKEN": ZALO_TOKEN,
            "ZALO_WEBHOOK_SECRET": ZALO_SECRET,
            "ZALO_API_BASE_URL": api_url,
        }
        process = await start_bot_server(database_url, api_url, "", port, telegram=False, **env)
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
                image = zalo_image("z-photo", f"{api_url}/cdn/anh-1.jpg")
                assert (await post_zalo(http, image)).status_code == 200
                for _ in range(500):
                    if zalo.downloads:
                        break
                    await asyncio.sleep(0.01)
                assert zalo.downloads == ["anh-1.jpg"]
        finally:
            process.send_signal(signal.SIGKILL)
            await process.wait()
        assert [chat for chat, _ in await kept(sessionmaker)] == ["z-photo"]
        assert zalo.texts("z-photo") == []
        if is_postgres():  # other processes may live: the next one takes what is left
            a_minute_ago = datetime.now(UTC) - timedelta(minutes=1)  # behind by LEFT_AFTER
            async with sessionmaker() as session, session.begin():
                await session.execute(update(ChatArrival).values(arrived_at=a_minute_ago))
        zalo.file_delay = 0.0
        process = await start_bot_server(database_url, api_url, "", port, telegram=False, **env)
        try:
            await replies_delivered(sessionmaker)
        finally:
            process.terminate()
            await process.wait()
    assert len(zalo.texts("z-photo")) == 1
    assert zalo.downloads == ["anh-1.jpg", "anh-1.jpg"]
    async with sessionmaker() as session:
        handled = (await session.scalars(select(ProcessedEvent.channel))).all()
    assert handled == ["zalo"]
    assert await kept(sessionmaker) == []


async def test_the_gate_lets_the_first_lane_in_before_the_writers_waiting_in_turn() -> None:
    gate, order = WriteGate(), []

    async def writer(name: str, first: bool = False) -> None:
        async with gate.first() if first else gate:
            order.append(name)

    async with gate:
        steps = [asyncio.ensure_future(writer(f"step {n}")) for n in (1, 2)]
        await asyncio.sleep(0)
        keep = asyncio.ensure_future(writer("keep", first=True))
        await asyncio.sleep(0)
        assert gate.locked()
    await asyncio.gather(*steps, keep)
    assert order == ["keep", "step 1", "step 2"]
    assert not gate.locked()


async def test_a_writer_cancelled_at_the_gate_passes_its_turn_on() -> None:
    gate, order = WriteGate(), []

    async def writer(name: str) -> None:
        async with gate:
            order.append(name)

    async with gate:
        cancelled = asyncio.ensure_future(writer("cancelled"))
        waiting = asyncio.ensure_future(writer("next"))
        await asyncio.sleep(0)
    cancelled.cancel()  # handed the gate, cancelled before it ran
    await asyncio.gather(cancelled, waiting, return_exceptions=True)
    assert order == ["next"]
    assert not gate.locked()
