"""Texts to a person's chat go straight through our aiohttp request, not through PTB's
``Bot``: the same request body, and for every answer Telegram may give the same outcome
(the same PTB error, hence the same retry, wait or refusal) as PTB's own path."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.channels import ChatUnreachableError, RetryLaterError
from bot.channels.telegram import TelegramChannel, make_bot
from bot.messages import Option, PhoneRequest, RemoveKeyboard, Reply
from tests.standins import TELEGRAM_TOKEN, serve

ANSWERS: dict[str, tuple[int, bytes]] = {
    "ok": (200, b'{"ok": true, "result": {"message_id": 1}}'),
    "blocked": (403, b'{"ok": false, "error_code": 403, "description": "Forbidden: blocked"}'),
    "slow down": (
        429,
        b'{"ok": false, "error_code": 429, "description": "Too Many Requests", '
        b'"parameters": {"retry_after": 7}}',
    ),
    "refused": (400, b'{"ok": false, "error_code": 400, "description": "Bad Request: empty"}'),
    "broken": (500, b'{"ok": false, "error_code": 500, "description": "Internal Server Error"}'),
    "gateway": (502, b"<html>Bad Gateway</html>"),
    "conflict": (409, b'{"ok": false, "error_code": 409, "description": "Conflict"}'),
    "not found": (404, b'{"ok": false, "error_code": 404, "description": "Not Found"}'),
    "odd": (418, b'{"ok": false, "description": "teapot", "parameters": {"x": 1}}'),
    "migrated": (
        400,
        b'{"ok": false, "description": "migrated", "parameters": {"migrate_to_chat_id": -5}}',
    ),
}


@pytest.fixture
async def api() -> AsyncIterator[tuple[str, list[tuple[str, dict[str, object]]]]]:
    """A Bot API that answers each text with the scripted answer of that text."""
    calls: list[tuple[str, dict[str, object]]] = []

    async def handle(request: Request) -> Response:
        if request.path_params["method"] == "getMe":  # Bot.initialize()
            me = {"id": 1, "is_bot": True, "first_name": "OCOP", "username": "ocop_bot"}
            return Response(json.dumps({"ok": True, "result": me}), media_type="application/json")
        params = json.loads(await request.body())
        calls.append((request.path_params["method"], params))
        status, body = ANSWERS[params["text"]]
        return Response(body, status, media_type="application/json")

    app = Starlette(routes=[Route("/bot{token}/{method}", handle, methods=["POST"])])
    async with serve(app) as url:
        yield url, calls


async def outcome(channel: TelegramChannel, chat: str, text: str) -> tuple[str, str, object]:
    try:
        await channel.send(chat, Reply(text))
    except RetryLaterError as error:
        return "retry", str(error), (error.retry_after, error.rate_limited)
    except ChatUnreachableError as error:
        return "unreachable", str(error), None
    except Exception as error:
        return type(error).__name__, str(error), None
    return "sent", "", None


async def test_every_answer_ends_as_it_does_through_ptb(
    api: tuple[str, list[tuple[str, dict[str, object]]]],
) -> None:
    url, calls = api
    bot = make_bot(TELEGRAM_TOKEN, f"{url}/bot")
    await bot.initialize()
    try:
        direct, through_ptb = TelegramChannel(bot), TelegramChannel(bot)
        through_ptb._direct = None
        for text in ANSWERS:
            mine, ptbs = await outcome(direct, "42", text), await outcome(through_ptb, "42", text)
            if text == "not found":  # PTB's do_api_request renames it; both are retried
                assert (mine[0], ptbs[0]) == ("InvalidToken", "EndPointNotFound")
                continue
            assert mine == ptbs
    finally:
        await bot.shutdown()
    assert [method for method, _ in calls] == ["sendMessage"] * 2 * len(ANSWERS)
    assert [params for _, params in calls[::2]] == [params for _, params in calls[1::2]]


async def test_keyboards_are_sent_as_ptb_would_send_them(
    api: tuple[str, list[tuple[str, dict[str, object]]]],
) -> None:
    url, calls = api
    choices = ((Option("Có", "yes"), Option("Không", "no")), (Option("Quay lại", "back"),))
    bot = make_bot(TELEGRAM_TOKEN, f"{url}/bot")
    await bot.initialize()
    try:
        channel = TelegramChannel(bot)
        await channel.send("42", Reply("ok", choices=choices))
        await channel.send("42", PhoneRequest("ok", "Gửi số điện thoại"))
        await channel.send("42", RemoveKeyboard("ok"))
        await channel.send("-100", Reply("ok", choices=choices))  # a group: through PTB
    finally:
        await bot.shutdown()
    inline = InlineKeyboardMarkup(
        [[InlineKeyboardButton(o.label, callback_data=o.payload) for o in row] for row in choices]
    ).to_dict()
    sent = [params for _, params in calls]
    assert sent[0] == {"chat_id": "42", "text": "ok", "reply_markup": inline}
    assert sent[1]["reply_markup"] == {
        "keyboard": [[{"text": "Gửi số điện thoại", "request_contact": True}]],
        "resize_keyboard": True,
        "one_time_keyboard": True,
    }
    assert sent[2]["reply_markup"] == {"remove_keyboard": True}
    assert sent[3] == {"chat_id": "-100", "text": "ok", "reply_markup": inline}
