"""A real ``ocop-bot serve`` process killed with SIGKILL mid-conversation, then restarted:
the user continues at the same step with earlier answers kept."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Person, Subject
from tests.standins import TELEGRAM_TOKEN, TelegramStandIn, serve, telegram_text

REPO = Path(__file__).parents[1]
SECRET = "restart-secret"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def _start(database_url: str, api_url: str, port: int) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OCOP_", "DATABASE_URL"))}
    env.update(
        DATABASE_URL=database_url,
        TELEGRAM_BOT_TOKEN=TELEGRAM_TOKEN,
        TELEGRAM_WEBHOOK_SECRET=SECRET,
        TELEGRAM_API_BASE_URL=f"{api_url}/bot",
        PYTHONPATH=str(REPO),
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "serve",
        "--port",
        str(port),
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    async with httpx.AsyncClient() as http:
        for _ in range(300):
            try:
                if (await http.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                    return process
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
    process.kill()
    raise RuntimeError("ocop-bot serve did not become ready")


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
    port = _free_port()
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    url = f"http://127.0.0.1:{port}/webhooks/telegram"

    process = await _start(database_url, api_url, port)
    try:
        async with httpx.AsyncClient(timeout=30) as http:
            for line in ["/start", "co", "Nguyen Van A", "0912345678"]:
                response = await http.post(url, json=telegram_text("901", line), headers=headers)
                assert response.status_code == 200
    finally:
        process.send_signal(signal.SIGKILL)
        await process.wait()
    assert process.returncode == -signal.SIGKILL
    assert "Bước 4/7" in stand_in.texts("901")[-1]

    process = await _start(database_url, api_url, port)
    try:
        async with httpx.AsyncClient(timeout=30) as http:
            await http.post(url, json=telegram_text("901", "xop"), headers=headers)
            assert "Bước 5/7" in stand_in.texts("901")[-1]
            for line in ["hop tac xa", "HTX Mat ong", "bo qua", "luu"]:
                await http.post(url, json=telegram_text("901", line), headers=headers)
    finally:
        process.terminate()
        await process.wait()
    async with sessionmaker() as session:
        person = (await session.execute(select(Person))).scalar_one()
        subject = (await session.execute(select(Subject))).scalar_one()
    assert (person.full_name, person.phone_e164) == ("Nguyen Van A", "+84912345678")
    assert subject.commune_code == "23356"
