"""Telegram from Vietnam: every Bot API call (replies and long polls) goes through a proxy
when one is configured or named by the environment; ``doctor`` tells a refused token in
one line; a chat that blocked the bot is unreachable until its user writes again."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.channels.telegram import TelegramChannel, make_bot
from bot.db.engine import create_sessionmaker
from bot.db.models import ChannelAccount
from bot.engine import Engine
from bot.messages import Channel, Reply
from bot.polling import poll_telegram
from bot.runtime import Runtime
from tests.standins import (
    REPO,
    TELEGRAM_TOKEN,
    ZALO_TOKEN,
    TelegramStandIn,
    ZaloStandIn,
    run_ocop_bot,
    telegram_text,
)
from tests.test_channels import SCRIPT, post_telegram


class LoopbackProxy:
    """A forward HTTP proxy on loopback: records each request line it is asked to carry,
    then forwards the request and hands back the answer (keep-alive, as clients expect)."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.url = ""
        self._server: asyncio.Server | None = None
        self._http = httpx.AsyncClient(trust_env=False)

    async def __aenter__(self) -> LoopbackProxy:
        self._server = await asyncio.start_server(self._carry, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"
        return self

    async def __aexit__(self, *_exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._http.aclose()

    async def _carry(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                request_line, *header_lines = head.decode("latin-1").split("\r\n")
                method, target, _ = request_line.split(" ", 2)
                self.requests.append(f"{method} {target}")
                headers = dict(line.split(": ", 1) for line in header_lines if ": " in line)
                length = int(headers.get("Content-Length", headers.get("content-length", 0)))
                body = await reader.readexactly(length) if length else b""
                kept = {
                    k: v
                    for k, v in headers.items()
                    if k.lower() not in ("host", "proxy-connection", "connection")
                }
                answer = await self._http.request(method, target, content=body, headers=kept)
                writer.write(
                    f"HTTP/1.1 {answer.status_code} OK\r\n"
                    f"Content-Type: {answer.headers.get('content-type', 'text/plain')}\r\n"
                    f"Content-Length: {len(answer.content)}\r\n\r\n".encode()
                    + answer.content
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@pytest.fixture
async def proxy() -> AsyncIterator[LoopbackProxy]:
    async with LoopbackProxy() as running:
        yield running


async def test_telegram_calls_go_through_the_configured_proxy(
    telegram_api: tuple[TelegramStandIn, str],
    proxy: LoopbackProxy,
    engine: AsyncEngine,
) -> None:
    stand_in, url = telegram_api
    bot = make_bot(TELEGRAM_TOKEN, f"{url}/bot", proxy=proxy.url)
    await bot.initialize()  # getMe
    channel = TelegramChannel(bot)
    try:
        await channel.send("42", Reply("Xin chào qua proxy"))
        runtime = Runtime(Engine(create_sessionmaker(engine)), {Channel.TELEGRAM: channel})
        stop = asyncio.Event()
        poller = asyncio.create_task(poll_telegram(channel, runtime, poll_seconds=1, stop=stop))
        await stand_in.updates.put(telegram_text("43", "/start"))
        await stand_in.wait_for_text("trợ lý tự động")
        stop.set()
        await poller
    finally:
        await bot.shutdown()
    assert stand_in.texts("42") == ["Xin chào qua proxy"]
    carried = {line.rpartition("/")[2] for line in proxy.requests}
    assert {"getMe", "sendMessage", "deleteWebhook", "getUpdates"} <= carried
    assert all(line.split(" ")[1].startswith(url) for line in proxy.requests)  # absolute URIs


async def test_telegram_honours_the_environments_proxy(
    telegram_api: tuple[TelegramStandIn, str],
    proxy: LoopbackProxy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stand_in, url = telegram_api
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    # HTTPS_PROXY is what carries api.telegram.org; the stand-in speaks plain http.
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    bot = make_bot(TELEGRAM_TOKEN, f"{url}/bot")
    await bot.initialize()
    try:
        await TelegramChannel(bot).send("44", Reply("Qua biến môi trường"))
    finally:
        await bot.shutdown()
    assert stand_in.texts("44") == ["Qua biến môi trường"]
    assert any(line.endswith("/sendMessage") for line in proxy.requests)


async def test_a_blocked_telegram_chat_is_reachable_again_once_its_user_writes(
    client: httpx.AsyncClient,
    telegram_api: tuple[TelegramStandIn, str],
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    stand_in, _ = telegram_api
    for line in SCRIPT:
        await post_telegram(client, telegram_text("520", line))
    stand_in.blocked_chats.add("520")  # Telegram's 403: the user blocked the bot
    await post_telegram(client, telegram_text("520", "menu"))
    async with sessionmaker() as session:
        blocked = await session.scalar(select(ChannelAccount))
    assert blocked is not None
    assert (blocked.reachable, blocked.unreachable_since is not None) == (False, True)
    stand_in.blocked_chats.discard("520")  # unblocked, and writes again
    await post_telegram(client, telegram_text("520", "menu"))
    assert "Anh/chị muốn làm gì" in stand_in.texts("520")[-1]
    async with sessionmaker() as session:
        again = await session.scalar(select(ChannelAccount))
    assert again is not None
    assert (again.reachable, again.unreachable_since) == (True, None)


async def doctor(database_url: str, **env: str) -> tuple[int, str, str]:
    """``ocop-bot doctor`` as a subprocess, awaited so the stand-ins keep answering."""
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OCOP_", "DATABASE_URL", "TELEGRAM_", "ZALO_"))
    }
    environment = {**base, "PYTHONPATH": str(REPO), "DATABASE_URL": database_url, **env}
    return await run_ocop_bot("doctor", env=environment)


async def test_doctor_reports_a_bad_token_in_one_line_and_exits_1(
    database_url: str,
    telegram_api: tuple[TelegramStandIn, str],
    zalo_api: tuple[ZaloStandIn, str],
) -> None:
    channels = {
        "TELEGRAM_API_BASE_URL": f"{telegram_api[1]}/bot",
        "ZALO_API_BASE_URL": zalo_api[1],
    }
    code, out, err = await doctor(
        database_url,
        TELEGRAM_BOT_TOKEN=TELEGRAM_TOKEN,
        ZALO_BOT_TOKEN=ZALO_TOKEN,
        **channels,
    )
    assert code == 0, out + err
    assert "telegram bot: @ocop_test_bot" in out
    assert "telegram webhook: (none: updates by long polling)" in out
    assert "zalo webhook: (none: updates by long polling)" in out

    for variable, token in (
        ("TELEGRAM_BOT_TOKEN", "999:WRONG-secret"),
        ("ZALO_BOT_TOKEN", "999:WRONG-secret"),
    ):
        good = {"TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN, "ZALO_BOT_TOKEN": ZALO_TOKEN}
        code, out, err = await doctor(database_url, **{**good, variable: token}, **channels)
        assert code == 1
        (line,) = [line for line in out.splitlines() if line.startswith("problem:")]
        assert line == f"problem: {variable} was refused by " + (
            "Telegram (getMe: unauthorized)" if variable.startswith("TELEGRAM") else
            "Zalo (getMe: unauthorized)"
        )  # fmt: skip
        assert "WRONG" not in out + err
        assert "Traceback" not in err
        assert out.strip().endswith("unhealthy")
