"""A step's replies are written leased to this process only when nothing else of the chat
waits: a row left by a crash or held by another process makes them ``pending``, for the
scan to hand the chat to one process in order; a failed row does not count."""

from __future__ import annotations

from collections import deque
from datetime import timedelta

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.direct import statements_for
from bot.db.engine import write_connection, write_gate
from bot.db.models import ReplyRow
from bot.db.vocab import ReplyState
from bot.messages import Channel, Reply, content_from_text
from bot.replies.sender import LEASE, ReplySender
from tests.builders import START, inbound

CHAT = "700"


async def record(engine: AsyncEngine, sender: ReplySender, count: int) -> bool:
    """Record ``count`` replies of a new event of the chat, committed; whether leased."""
    event = inbound(content_from_text("menu"), chat=CHAT, channel=Channel.TELEGRAM)
    replies = [Reply(f"tin {n}") for n in range(count)]
    async with write_connection(engine, write_gate(engine)) as connection:
        statements = await statements_for(connection)
        token = await sender.record(statements, event, replies, address=CHAT, now=START)
    return bool(token.leased)  # type: ignore[attr-defined]


async def left(engine: AsyncEngine, state: ReplyState, *, until: timedelta) -> None:
    """A row of the chat as another process or a crash left it."""
    async with write_connection(engine, write_gate(engine)) as connection:
        await connection.execute(
            insert(ReplyRow).values(
                channel=Channel.TELEGRAM.value,
                chat_id=CHAT,
                address=CHAT,
                event_id="earlier",
                kind="text",
                body={"text": "trước"},
                state=state.value,
                attempts=0,
                next_attempt_at=START + until,
                created_at=START,
            )
        )


async def rows(engine: AsyncEngine) -> list[tuple[str, object]]:
    async with engine.connect() as connection:
        found = await connection.execute(
            select(ReplyRow.state, ReplyRow.next_attempt_at)
            .where(ReplyRow.event_id != "earlier")
            .order_by(ReplyRow.id)
        )
        return [(state, at.replace(tzinfo=START.tzinfo)) for state, at in found]


@pytest.mark.parametrize("count", [1, 3])
async def test_nothing_waiting_the_replies_are_leased_at_once(
    engine: AsyncEngine, count: int
) -> None:
    sender = ReplySender(engine, {}, lambda: START)
    assert await record(engine, sender, count)
    assert await rows(engine) == [("sending", START + LEASE)] * count


@pytest.mark.parametrize("count", [1, 3])
async def test_a_row_left_by_a_crash_makes_them_pending(engine: AsyncEngine, count: int) -> None:
    await left(engine, ReplyState.PENDING, until=timedelta(0))
    sender = ReplySender(engine, {}, lambda: START)
    assert not await record(engine, sender, count)
    assert await rows(engine) == [("pending", START)] * count


async def test_a_row_another_process_is_sending_makes_them_pending(engine: AsyncEngine) -> None:
    await left(engine, ReplyState.SENDING, until=LEASE)
    sender = ReplySender(engine, {}, lambda: START)
    assert not await record(engine, sender, 2)
    assert await rows(engine) == [("pending", START)] * 2


async def test_rows_this_process_is_sending_leave_them_leased(engine: AsyncEngine) -> None:
    await left(engine, ReplyState.SENDING, until=LEASE)
    sender = ReplySender(engine, {}, lambda: START)
    sender._chats[(Channel.TELEGRAM.value, CHAT)] = deque()  # this process sends the chat
    assert await record(engine, sender, 2)
    assert await rows(engine) == [("sending", START + LEASE)] * 2
    await left(engine, ReplyState.PENDING, until=timedelta(0))  # but one it does not hold
    assert not await record(engine, sender, 1)


async def test_a_failed_row_does_not_count(engine: AsyncEngine) -> None:
    await left(engine, ReplyState.FAILED, until=timedelta(0))
    sender = ReplySender(engine, {}, lambda: START)
    assert await record(engine, sender, 1)
