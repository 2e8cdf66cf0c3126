"""Telegram out of reach when a process starts (it is blocked in Vietnam without a proxy):
the processes that serve Zalo start and serve it all the same — the poller and the alerts
worker, as the web app did already. Before, ``getMe`` failing stopped both at start-up,
and with them Zalo's updates and every alert."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from telegram.error import NetworkError

from bot import polling
from bot.channels.telegram import TelegramChannel, make_bot
from bot.db.engine import create_sessionmaker
from bot.db.models import ChannelAccount
from bot.engine import Engine
from bot.messages import Channel
from bot.polling import poll_telegram
from bot.runtime import Runtime
from ocop_rules import certificate_expiry
from tests.standins import (
    REPO,
    TELEGRAM_TOKEN,
    ZALO_TOKEN,
    TelegramStandIn,
    ZaloStandIn,
    free_port,
    run_ocop_bot,
    serve,
    telegram_text,
    zalo_text,
)
from tests.test_alerts import producer_with_certificate


def _environment(database_url: str, zalo_url: str) -> dict[str, str]:
    """Both platforms configured; Telegram's Bot API at a loopback port nobody listens on."""
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OCOP_", "DATABASE_URL", "TELEGRAM_", "ZALO_"))
    }
    return {
        **base,
        "PYTHONPATH": str(REPO),
        "DATABASE_URL": database_url,
        "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
        "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{free_port()}/bot",
        "ZALO_BOT_TOKEN": ZALO_TOKEN,
        "ZALO_API_BASE_URL": zalo_url,
    }


async def test_the_poller_answers_zalo_while_telegram_is_out_of_reach(
    database_url: str, zalo_api: tuple[ZaloStandIn, str]
) -> None:
    stand_in, url = zalo_api
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "poll",
        env=_environment(database_url, url),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    await stand_in.updates.put(zalo_text("zl-601", "xin chao"))
    answered = asyncio.ensure_future(stand_in.wait_for_text("trợ lý tự động", within=60))
    ended = asyncio.ensure_future(process.wait())
    try:
        await asyncio.wait({answered, ended}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        if process.returncode is None:
            process.terminate()
        _, err = await process.communicate()
        answered.cancel()
    assert not ended.done() or answered.done(), f"poll stopped first: {err.decode()}"
    assert any("trợ lý tự động" in text for text in stand_in.texts("zl-601"))
    assert "Telegram Bot API unreachable at start-up" in err.decode()


async def test_alerts_reach_zalo_while_telegram_is_out_of_reach(
    database_url: str,
    sessionmaker: async_sessionmaker[AsyncSession],
    zalo_api: tuple[ZaloStandIn, str],
) -> None:
    stand_in, url = zalo_api
    issued_on = date(2024, 3, 1)
    async with sessionmaker.begin() as session:
        await producer_with_certificate(session, 2, "23356", issued_on)
        account = (await session.scalars(select(ChannelAccount))).one()
        account.channel = Channel.ZALO.value
    opens = certificate_expiry(issued_on) - timedelta(days=180)  # the filing window opens
    moment = f"{opens.isoformat()}T09:00+07:00"
    environment = _environment(database_url, url)
    code, out, err = await run_ocop_bot("alerts", "run-once", "--now", moment, env=environment)
    assert code == 0, err
    assert out.startswith("planned 1, sent 1"), out
    (alert,) = stand_in.texts("8002")
    assert "San pham 2" in alert


async def test_the_telegram_poller_waits_for_the_bot_api_then_serves_it(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``getMe`` failed at start-up (nobody listened yet): the poller tries again, and once
    the Bot API answers it removes the webhook, then polls and answers."""
    monkeypatch.setattr(polling, "RETRY_PAUSE", 0.05)
    port = free_port()
    bot = make_bot(TELEGRAM_TOKEN, f"http://127.0.0.1:{port}/bot")
    with pytest.raises(NetworkError):
        await bot.initialize()
    channel = TelegramChannel(bot)
    runtime = Runtime(Engine(create_sessionmaker(engine)), {Channel.TELEGRAM: channel})
    stop = asyncio.Event()
    poller = asyncio.create_task(poll_telegram(channel, runtime, poll_seconds=1, stop=stop))
    stand_in = TelegramStandIn()
    try:
        await asyncio.sleep(0.3)  # several tries against the closed port
        assert not poller.done()
        async with serve(stand_in.app(), port):
            await stand_in.updates.put(telegram_text("603", "/start"))
            await stand_in.wait_for_text("trợ lý tự động")
            stop.set()
            await poller
    finally:
        poller.cancel()
        await bot.shutdown()
    methods = [call.method for call in stand_in.calls]
    assert methods[0] == "getMe"
    assert methods.index("deleteWebhook") < methods.index("getUpdates")
    assert any("trợ lý tự động" in text for text in stand_in.texts("603"))


async def test_a_refused_token_ends_the_telegram_poller_only_with_one_error(
    engine: AsyncEngine,
    telegram_api: tuple[TelegramStandIn, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A token revoked while Telegram was out of reach is told once; the poller ends
    instead of trying it every few seconds, and the process goes on with Zalo."""
    _, url = telegram_api
    bot = make_bot("999:WRONG-secret", f"{url}/bot")
    channel = TelegramChannel(bot)
    runtime = Runtime(Engine(create_sessionmaker(engine)), {Channel.TELEGRAM: channel})
    try:
        await asyncio.wait_for(poll_telegram(channel, runtime, poll_seconds=1), 10)
    finally:
        await bot.shutdown()
    refused = [r for r in caplog.records if "refused the token" in r.getMessage()]
    assert [r.levelname for r in refused] == ["ERROR"]


async def test_telegram_setup_says_in_one_line_that_telegram_is_away_or_refused_the_token(
    database_url: str, telegram_api: tuple[TelegramStandIn, str]
) -> None:
    env = {
        **_environment(database_url, "http://127.0.0.1:9"),
        "PUBLIC_BASE_URL": "https://ocop.example.vn",
        "TELEGRAM_WEBHOOK_SECRET": "webhook-secret",
    }
    code, _, err = await run_ocop_bot("telegram", "set-webhook", env=env)
    assert (code, err.count("\n")) == (2, 1), err
    assert err.startswith("ocop-bot: Telegram's Bot API is out of reach")
    assert "TELEGRAM_PROXY_URL" in err

    env["TELEGRAM_API_BASE_URL"] = f"{telegram_api[1]}/bot"
    env["TELEGRAM_BOT_TOKEN"] = "999:WRONG-secret"
    code, _, err = await run_ocop_bot("telegram", "set-webhook", env=env)
    assert (code, err) == (2, "ocop-bot: TELEGRAM_BOT_TOKEN was refused by Telegram\n")
    assert telegram_api[0].webhook_url == ""
