"""Conversation processes on one PostgreSQL database know whether another one is present
(so a step waits out the order window only then, see tests/test_chat_order.py)."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.db.engine import create_engine
from bot.db.models import ConversationProcess
from bot.messages import Channel
from bot.presence import GONE_AFTER_BEATS, Presence, present
from tests.conftest import is_postgres
from tests.standins import TelegramStandIn, free_port, serve, start_bot_server

pytestmark = pytest.mark.skipif(not is_postgres(), reason="presence is kept on PostgreSQL")

BEAT = 0.05


async def test_two_processes_that_start_together_know_of_each_other_once_both_serve(
    database_url: str,
) -> None:
    databases = [create_engine(database_url) for _ in range(2)]
    processes = [Presence(database, beat_seconds=BEAT) for database in databases]
    inside = asyncio.Barrier(2)
    seen: dict[str, bool] = {}

    async def run(process: Presence) -> None:
        async with present(process, [Channel.ZALO]):
            await inside.wait()  # both serve: each knows of the other by now
            seen[process.name] = process.shared == {Channel.ZALO}
            await inside.wait()

    try:
        await asyncio.gather(*(run(process) for process in processes))
    finally:
        for database in databases:
            await database.dispose()
    assert seen == {process.name: True for process in processes}


async def test_a_process_joining_others_serves_only_once_they_have_seen_it(
    engine: AsyncEngine,
) -> None:
    """The others' next beat would come up to a beat later: the newcomer waits for it."""
    here = Presence(engine, beat_seconds=1.0)
    newcomer = Presence(engine, beat_seconds=1.0)
    async with present(here, [Channel.TELEGRAM]), present(newcomer, [Channel.TELEGRAM]):
        assert here.others == {newcomer.name}
        assert here.shared == newcomer.shared == {Channel.TELEGRAM}


async def test_processes_on_different_channels_share_none(engine: AsyncEngine) -> None:
    telegram, zalo = Presence(engine, beat_seconds=BEAT), Presence(engine, beat_seconds=BEAT)
    async with present(telegram, [Channel.TELEGRAM]), present(zalo, [Channel.ZALO]):
        assert telegram.others == {zalo.name}
        assert telegram.shared == zalo.shared == frozenset()


async def test_a_process_that_leaves_is_no_longer_present_at_the_next_beat(
    engine: AsyncEngine,
) -> None:
    staying, leaving = Presence(engine, beat_seconds=BEAT), Presence(engine, beat_seconds=BEAT)
    async with present(staying, [Channel.ZALO]):
        async with present(leaving, [Channel.ZALO]):
            assert staying.shared == {Channel.ZALO}
        await asyncio.sleep(2 * BEAT)
        assert staying.others == frozenset()
        assert staying.shared == frozenset()


async def test_a_process_that_stopped_beating_is_gone_after_some_beats(
    engine: AsyncEngine,
) -> None:
    """A process that died leaves its row: the others stop counting it once it is old."""
    survivor, dead = Presence(engine, beat_seconds=BEAT), Presence(engine, beat_seconds=BEAT)
    await dead.beat()
    await survivor.beat()
    assert survivor.others == {dead.name}
    await asyncio.sleep(BEAT * (GONE_AFTER_BEATS + 1))
    await survivor.beat()
    assert survivor.others == frozenset()


async def test_after_a_failed_beat_every_channel_of_the_process_counts_as_shared(
    engine: AsyncEngine,
) -> None:
    """Waiting 20 ms for nothing is cheaper than not waiting when another process is there."""

    class Failing(Presence):
        failures = 0

        async def beat(self) -> datetime:
            if self.failures:
                raise ConnectionError("the database went away")
            return await super().beat()

    alone = Failing(engine, beat_seconds=BEAT)
    async with present(alone, [Channel.TELEGRAM, Channel.ZALO]):
        assert alone.shared == frozenset()
        alone.failures = 1
        await asyncio.sleep(2 * BEAT)
        assert alone.shared == {Channel.TELEGRAM, Channel.ZALO}


async def test_each_serve_process_is_present_while_it_runs_and_leaves_when_it_stops(
    database_url: str, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async def names() -> list[str]:
        async with sessionmaker() as session:
            rows = (await session.execute(select(ConversationProcess))).scalars().all()
        assert all(row.channels == "telegram" for row in rows)  # what serve takes here
        return [row.name for row in rows]

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
