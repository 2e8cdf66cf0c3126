"""The Bot API calls go through aiohttp, with PTB's errors for failures: a network failure or
a stalled answer is a retry for the caller, a document is a multipart upload."""

from __future__ import annotations

import asyncio
import warnings
from typing import NoReturn

import pytest
from telegram import Message
from telegram.ext import AIORateLimiter, ExtBot

from bot.channels import RetryLaterError
from bot.channels.telegram import TelegramChannel, make_bot
from bot.channels.telegram_http import AiohttpRequest
from bot.messages import Document, Option, Reply
from tests.standins import TELEGRAM_TOKEN, TelegramStandIn, free_port, serve


async def test_the_bot_sends_through_aiohttp(
    telegram: tuple[TelegramStandIn, TelegramChannel],
) -> None:
    stand_in, channel = telegram
    assert isinstance(channel.bot.request, AiohttpRequest)
    await channel.send("42", Reply("Xin chào bà con"))
    (call,) = stand_in.sent("42")
    assert call.params == {"chat_id": "42", "text": "Xin chào bà con"}


async def test_a_reply_leaves_telegrams_answer_unparsed_and_warns_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Replies skip ``Message.de_json`` (their answer is never read), and the warning PTB
    gives for ``do_api_request("send_message")`` is silenced by ``make_bot`` itself."""

    def parse(*_args: object) -> NoReturn:
        raise AssertionError("a reply's answer was parsed into a Message")

    monkeypatch.setattr(Message, "de_json", parse)
    stand_in = TelegramStandIn()
    async with serve(stand_in.app()) as url:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            bot = make_bot(TELEGRAM_TOKEN, f"{url}/bot")
            await bot.initialize()
            try:
                choices = Reply("Chọn một", choices=((Option("Có", "yes"),),))
                await TelegramChannel(bot).send("42", choices)
            finally:
                await bot.shutdown()
    (call,) = stand_in.sent("42")
    assert call.content_type == "application/json"  # the keyboard an object, not a string
    assert call.params["text"] == "Chọn một"
    assert call.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "yes"
    assert [str(warning.message) for warning in caught] == []


async def test_a_document_goes_as_a_multipart_upload(
    telegram: tuple[TelegramStandIn, TelegramChannel],
) -> None:
    stand_in, channel = telegram
    await channel.send("42", Document(b"PK\x03\x04docx", "phieu-dang-ky.docx", caption="Phiếu"))
    (call,) = stand_in.sent("42")
    assert call.method == "sendDocument"
    assert call.content_type == "multipart/form-data"
    assert call.params["document"] == b"PK\x03\x04docx"
    assert call.params["caption"] == "Phiếu"


async def test_nothing_listening_is_a_retry_later() -> None:
    bot = make_bot(TELEGRAM_TOKEN, f"http://127.0.0.1:{free_port()}/bot")
    await bot.request.initialize()
    try:
        with pytest.raises(RetryLaterError, match="UnreachableError") as raised:
            await TelegramChannel(bot).send("42", Reply("…"))
    finally:
        await bot.request.shutdown()
    assert raised.value.away  # any other chat would fail alike


async def test_a_stalled_answer_times_out_as_a_retry_later() -> None:
    stand_in = TelegramStandIn()
    stand_in.slow_chats["42"] = 2.0
    async with serve(stand_in.app()) as url:
        bot = ExtBot(
            TELEGRAM_TOKEN,
            base_url=f"{url}/bot",
            rate_limiter=AIORateLimiter(max_retries=0),
            request=AiohttpRequest(read_timeout=0.3),
        )
        await bot.request.initialize()
        try:
            with pytest.raises(RetryLaterError, match="TimedOut") as raised:
                await TelegramChannel(bot).send("42", Reply("…"))
        finally:
            await bot.request.shutdown()
        assert not raised.value.away  # connected: this one message was slow


async def test_a_request_whose_connection_dropped_is_not_sent_again_by_the_transport() -> None:
    """The transport sends a request once: when the connection drops before an answer it
    cannot know whether Telegram acted on it, and a resend could say a message twice. The
    sender hears a retry-later and decides."""
    received: list[bytes] = []

    async def read_then_hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        received.append(await reader.readuntil(b"\r\n\r\n"))
        writer.close()

    server = await asyncio.start_server(read_then_hang_up, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    request = AiohttpRequest()
    bot = ExtBot(
        TELEGRAM_TOKEN,
        base_url=f"http://127.0.0.1:{port}/bot",
        rate_limiter=AIORateLimiter(max_retries=0),
        request=request,
    )
    await request.initialize()
    try:
        with pytest.raises(RetryLaterError, match="NetworkError"):
            await TelegramChannel(bot).send("42", Reply("một"))
    finally:
        await request.shutdown()
        server.close()
        await server.wait_closed()
    assert len(received) == 1
    assert received[0].startswith(b"POST /bot123456:TEST-token/sendMessage")


async def test_the_environments_proxy_is_found_once_per_host_not_per_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``HTTPS_PROXY`` and ``NO_PROXY`` still decide, read when a host is first called;
    aiohttp's ``trust_env`` is off, so no request spends threads on them or on netrc."""
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "local.example")
    request = AiohttpRequest()
    await request.initialize()
    try:
        assert request._session is not None
        assert request._session.trust_env is False
        assert request._proxy_for("https://api.telegram.org/bot1/sendMessage") == (
            "http://proxy.example:3128"
        )
        assert request._proxy_for("https://local.example/bot1/sendMessage") is None
        monkeypatch.setenv("HTTPS_PROXY", "http://other.example:1")
        # Found once per host: the process's environment does not change under it.
        assert request._proxy_for("https://api.telegram.org/bot1/getMe") == (
            "http://proxy.example:3128"
        )
    finally:
        await request.shutdown()
