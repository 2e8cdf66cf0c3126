"""A real ``ocop-bot serve`` process killed with SIGKILL mid-conversation, then restarted:
the user continues at the same step with earlier answers kept."""

from __future__ import annotations

import signal
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Person, Subject
from tests.standins import (
    TelegramStandIn,
    after_webhooks,
    free_port,
    serve,
    start_bot_server,
    telegram_text,
)

REPO = Path(__file__).parents[1]
SECRET = "restart-secret"


@pytest.fixture
async def telegram_api() -> AsyncIterator[tuple[TelegramStandIn, str]]:
    stand_in = TelegramStandIn()
    async with serve(stand_in.app()) as url:
        yield stand_in, url


async def test_sigkill_mid_conversation_then_restart_continues(
    database_url: str,
    telegram_api: tuple[TelegramStandIn, str],
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    stand_in, api_url = telegram_api
    port = free_port()
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    url = f"http://127.0.0.1:{port}/webhooks/telegram"

    hooks = after_webhooks(sessionmaker)
    process = await start_bot_server(database_url, api_url, SECRET, port)
    try:
        async with httpx.AsyncClient(timeout=30, event_hooks=hooks) as http:
            for line in ["/start", "co", "Nguyen Van A", "0912345678"]:
                response = await http.post(url, json=telegram_text("901", line), headers=headers)
                assert response.status_code == 200
    finally:
        process.send_signal(signal.SIGKILL)
        await process.wait()
    assert process.returncode == -signal.SIGKILL
    assert "Bước 4/5" in stand_in.texts("901")[-1]

    process = await start_bot_server(database_url, api_url, SECRET, port)
    try:
        async with httpx.AsyncClient(timeout=30, event_hooks=hooks) as http:
            await http.post(url, json=telegram_text("901", "xop"), headers=headers)
            assert "Bước 5/5" in stand_in.texts("901")[-1]
            for line in ["hop tac xa", "HTX Mat ong"]:
                await http.post(url, json=telegram_text("901", line), headers=headers)
    finally:
        process.terminate()
        await process.wait()
    async with sessionmaker() as session:
        person = (await session.execute(select(Person))).scalar_one()
        subject = (await session.execute(select(Subject))).scalar_one()
    assert (person.full_name, person.phone_e164) == ("Nguyen Van A", "+84912345678")
    assert subject.commune_code == "23356"
