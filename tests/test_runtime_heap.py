"""Start-up work that keeps handling fast: the write gate spans BEGIN to COMMIT only, and the
long-lived start-up objects are kept out of the garbage collector's full passes."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.db.engine import write_transaction
from bot.i18n import translator
from bot.runtime import settle_heap
from handlers import communes


async def test_the_gate_is_free_again_before_the_session_closes(engine: AsyncEngine) -> None:
    gate = asyncio.Lock()
    seen: list[bool] = []

    class Watched(AsyncSession):
        async def close(self) -> None:
            seen.append(gate.locked())
            await super().close()

    sessionmaker = async_sessionmaker(engine, class_=Watched, expire_on_commit=False)
    async with write_transaction(sessionmaker, gate) as session:
        await session.execute(text("SELECT 1"))
        assert gate.locked()
    assert seen == [False]  # closing, which runs in a task of its own, holds no writer up


@pytest.fixture
def thawed() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # the test process keeps collecting as usual


def test_settle_heap_builds_the_lazy_tables_then_freezes_them(thawed: None) -> None:
    communes._index.cache_clear()
    translator.cache_clear()
    settle_heap()
    assert communes._index.cache_info().currsize == 1
    assert translator.cache_info().currsize == 2  # vi and en
    assert gc.get_freeze_count() > 100_000
