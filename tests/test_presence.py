"""Conversation processes on one PostgreSQL database know whether another one is present
(so a step waits out the order window only then, see tests/test_chat_order.py)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.db.engine import create_engine
from bot.db.models import ConversationProcess
from bot.presence import GONE_AFTER_BEATS, Presence, present
from tests.conftest import is_postgres
from tests.standins import TelegramStandIn, free_port, serve, start_bot_server

pytestmark = pytest.mark.skipif(not is_postgres(), reason="presence is kept on PostgreSQL")

BEAT = 0.05


async def test_two_processes_that_start_together_each_see_the_other(database_url: str) -> None:
    databases = [create_engine(database_url) for _ in range(2)]
    processes = [Presence(database, beat_seconds=BEAT) for database in databases]
    inside = asyncio.Barrier(2)
    seen: dict[str, bool] = {}

    async def run(process: Presence) -> None:
        async with present(process):
            seen[process.name] = process.others
            await inside.wait()

    try:
        await asyncio.gather(*(run(process) for process in processes))
    finally:
        for database in databases:
            await database.dispose()
    assert seen == {process.name: True for process in processes}


async def test_a_process_that_leaves_is_no_longer_present_at_the_next_beat(
    engine: AsyncEngine,
) -> None:
    staying, leaving = Presence(engine, beat_seconds=BEAT), Presence(engine, beat_seconds=BEAT)
    async with present(staying):
        async with present(leaving):
            await asyncio.sleep(2 * BEAT)
            assert staying.others
        await asyncio.sleep(2 * BEAT)
        assert not staying.others


async def test_a_process_that_stopped_beating_is_gone_after_some_beats(
    engine: AsyncEngine,
) -> None:
    """A process that died leaves its row: the others stop counting it once it is old."""
    survivor, dead = Presence(engine, beat_seconds=BEAT), Presence(engine, beat_seconds=BEAT)
    await dead.beat()
    await survivor.beat()
    assert survivor.others
    await asyncio.sleep(BEAT * (GONE_AFTER_BEATS + 1))
    await survivor.beat()
    assert not survivor.others


async def test_each_serve_process_is_present_while_it_runs_and_leaves_when_it_stops(
    database_url: str, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async def names() -> list[str]:
        async with sessionmaker() as session:
            return list((await session.scalars(select(ConversationProcess.name))).all())

    async with serve(TelegramStandIn().app()) as api_url:
        first = await start_bot_server(database_url, api_url, "secret", free_port())
        try:
            assert len(await names()) == 1
            second = await start_bot_server(database_url, api_url, "secret", free_port())
            try:
                assert len(await names()) == 2
            finally:
                second.terminate()
                await second.wait()
            assert len(await names()) == 1
        finally:
            first.terminate()
            await first.wait()
    assert await names() == []
