"""Alerts that cannot go out: a row that does not render counts its attempts without holding
up the rows behind it and ends as a dead letter shown on the admin page; a message the
platform refuses is not retried; ``alerts run`` logs JSON lines as ``serve`` does."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.admin.accounts import create_staff
from bot.admin.scope import Scope
from bot.alerts.service import run_pass
from bot.channels.telegram import TelegramChannel
from bot.db.models import OutboxMessage, Subject
from bot.db.vocab import OutboxState
from bot.settings import load_settings
from bot.web import create_app
from tests.admin.conftest import PASSWORD, login
from tests.conftest import telegram_channel
from tests.standins import REPO, TELEGRAM_TOKEN, TelegramStandIn, serve
from tests.test_alerts import WALK_START, Clock, at, dispatcher, person

XOP = "23356"


async def queue(
    sessionmaker: async_sessionmaker[AsyncSession],
    chat: str,
    payload: dict[str, Any],
    due: datetime,
    name: str = "Người nhận",
) -> int:
    """An outbox row for a producer of Xã Xốp on Telegram ``chat``; its id."""
    async with sessionmaker() as session, session.begin():
        owner = await person(session, name, chat)
        session.add(
            Subject(owner_person_id=owner.id, subject_type="cooperative", name=f"HTX {chat}",
                    commune_code=XOP)
        )  # fmt: skip
        row = OutboxMessage(
            dedupe_key=f"submitted_to_province:{chat}",
            recipient_person_id=owner.id,
            kind="submitted_to_province",
            payload=payload,
            due_at=due,
        )
        session.add(row)
        await session.flush()
        return row.id


async def outbox_row(sessionmaker: async_sessionmaker[AsyncSession], row_id: int) -> OutboxMessage:
    async with sessionmaker() as session:
        found = await session.get(OutboxMessage, row_id)
    assert found is not None
    return found


async def test_a_row_that_does_not_render_lets_healthy_rows_pass_then_is_dead_and_listed(
    sessionmaker: async_sessionmaker[AsyncSession],
    telegram: tuple[TelegramStandIn, TelegramChannel],
    database_url: str,
) -> None:
    stand_in, channel = telegram
    start = at(WALK_START, 9)
    # the broken row is due first: it has no product to name
    broken = await queue(sessionmaker, "8401", {"dossier_id": 1}, start, "Lò Thị Hỏng")
    later = start + timedelta(seconds=1)
    healthy = await queue(sessionmaker, "8402", {"dossier_id": 2, "product": "Chè"}, later)
    clock = Clock(start + timedelta(seconds=1))
    sender = dispatcher(sessionmaker, channel, clock)

    report = (await run_pass(sender)).dispatch
    assert (report.sent, report.retried) == (1, 1)
    assert stand_in.texts("8402")  # the healthy row went out in the same pass
    assert (await outbox_row(sessionmaker, healthy)).state == OutboxState.SENT
    first = await outbox_row(sessionmaker, broken)
    assert (first.state, first.attempts) == (OutboxState.PENDING, 1)  # the attempt counted
    assert (first.last_error or "").startswith("not rendered: KeyError")

    for _ in range(6):  # its backoffs: 10 s, 20 s, 40 s, 80 s
        clock.now += timedelta(minutes=5)
        await run_pass(sender)
    dead = await outbox_row(sessionmaker, broken)
    assert (dead.state, dead.attempts) == (OutboxState.FAILED, 5)
    assert dead.failed_at is not None
    assert stand_in.texts("8401") == []

    async with sessionmaker() as session, session.begin():
        await create_staff(session, "tinh51", PASSWORD, Scope.parse("province:51"), clock.now)
        await create_staff(session, "hanoi", PASSWORD, Scope.parse("province:01"), clock.now)
    settings = load_settings(database_url=database_url, ocop_secret_key="k" * 32)
    async with serve(create_app(settings)) as url:
        province = await login(url, "tinh51")
        elsewhere = await login(url, "hanoi")
        try:
            page = (await province.get("/admin/alerts/failed")).text
            other = (await elsewhere.get("/admin/alerts/failed")).text
        finally:
            await province.aclose()
            await elsewhere.aclose()
    assert "Lò Thị Hỏng" in page
    assert "not rendered: KeyError: &#39;product&#39;" in page
    assert "Lò Thị Hỏng" not in other  # another province's clerk does not see it


class RefusingTelegram(TelegramStandIn):
    """The Bot API stand-in, answering 400 Bad Request to the sends of some chats."""

    def __init__(self) -> None:
        super().__init__()
        self.refused_chats: set[str] = set()
        self.refusals = 0

    async def trouble(self, chat: str) -> tuple[int, dict[str, Any]] | None:
        if chat in self.refused_chats:
            self.refusals += 1
            return 400, {}
        return await super().trouble(chat)


@pytest.fixture
async def refusing() -> AsyncIterator[tuple[RefusingTelegram, TelegramChannel]]:
    stand_in = RefusingTelegram()
    async with telegram_channel(stand_in) as channel:
        yield stand_in, channel


async def test_a_message_the_platform_refuses_is_dead_at_once(
    sessionmaker: async_sessionmaker[AsyncSession],
    refusing: tuple[RefusingTelegram, TelegramChannel],
) -> None:
    stand_in, channel = refusing
    stand_in.refused_chats.add("8403")
    start = at(WALK_START, 9)
    refused = await queue(sessionmaker, "8403", {"dossier_id": 3, "product": "Mật ong"}, start)
    clock = Clock(start)
    sender = dispatcher(sessionmaker, channel, clock)
    assert (await run_pass(sender)).dispatch.failed == 1
    for _ in range(3):
        clock.now += timedelta(minutes=10)
        await run_pass(sender)
    row = await outbox_row(sessionmaker, refused)
    assert (row.state, row.attempts, stand_in.refusals) == (OutboxState.FAILED, 1, 1)
    assert (row.last_error or "").startswith("refused: BadRequest")


async def test_alerts_run_logs_json_lines_like_serve(
    sessionmaker: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    stand_in = TelegramStandIn()
    due = datetime.now(UTC) - timedelta(minutes=1)
    await queue(sessionmaker, "8404", {"dossier_id": 4, "product": "Chè"}, due)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OCOP_", "DATABASE_URL"))}
    async with serve(stand_in.app()) as url:
        env.update(
            DATABASE_URL=database_url,
            TELEGRAM_BOT_TOKEN=TELEGRAM_TOKEN,
            TELEGRAM_API_BASE_URL=f"{url}/bot",
            OCOP_QUIET_HOURS="00:00-00:00",
            PYTHONPATH=str(REPO),
        )
        worker = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "alerts", "run", env=env, stderr=asyncio.subprocess.PIPE
        )
        try:
            await stand_in.wait_for_text("Chè", within=60)
        finally:
            worker.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(worker.communicate(), 60)
    assert stand_in.texts("8404")
    lines = [json.loads(line) for line in stderr.decode().splitlines()]
    messages = [line["message"] for line in lines]
    assert messages[0] == "alerts worker started"
    assert messages[-1] == "alerts worker stopped"
    (sent,) = [line for line in lines if line["message"] == "alerts pass"]
    assert (sent["sent"], sent["level"], sent["logger"]) == (1, "INFO", "bot.alerts.service")
