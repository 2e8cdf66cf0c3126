"""A step's replies are written leased to this process only when nothing else of the chat
waits: a row left by a crash or held by another process makes them ``pending``, for the
scan to hand the chat to one process in order; a failed row does not count."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Executable, bindparam, delete, func, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.channels.console import CAPABILITIES as CONSOLE
from bot.db import direct as db_direct
from bot.db.direct import statements_for
from bot.db.engine import create_sessionmaker, write_connection, write_gate
from bot.db.models import ConversationSession, ReplyRow
from bot.db.vocab import ReplyState
from bot.engine import Engine
from bot.messages import Channel, Outbound, Reply, content_from_text
from bot.replies.outbox import first_reply_insert
from bot.replies.sender import LEASE, SCAN_SECONDS, ReplySender
from tests.builders import START, RecordOnly, inbound
from tests.conftest import is_postgres

CHAT = "700"


async def record(
    engine: AsyncEngine,
    sender: ReplySender,
    count: int,
    joined: tuple[Executable, dict[str, Any]] | None = None,
) -> bool | None:
    """Record ``count`` replies of a new event of the chat, committed; whether leased
    (None when ``joined`` wrote nothing)."""
    event = inbound(content_from_text("menu"), chat=CHAT, channel=Channel.TELEGRAM)
    replies = [Reply(f"tin {n}") for n in range(count)]
    async with write_connection(engine, write_gate(engine)) as connection:
        statements = await statements_for(connection)
        token = await sender.record(
            statements, event, replies, address=CHAT, now=START, joined=joined
        )
    return None if token is None else bool(token.leased)  # type: ignore[attr-defined]


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


# A write of the caller's that the first reply goes with: here a row only when ``go`` is 1.
JOINED = first_reply_insert(select(literal(1).label("one")).where(bindparam("go") == 1).cte("gate"))


async def test_a_joined_statement_writes_the_first_reply_and_the_others_follow_it(
    engine: AsyncEngine,
) -> None:
    sender = ReplySender(engine, {}, lambda: START)
    assert await record(engine, sender, 3, joined=(JOINED, {"go": 1}))
    assert await rows(engine) == [("sending", START + LEASE)] * 3


async def test_a_joined_statement_that_writes_nothing_leaves_no_reply(engine: AsyncEngine) -> None:
    sender = ReplySender(engine, {}, lambda: START)
    assert await record(engine, sender, 2, joined=(JOINED, {"go": 0})) is None
    assert await rows(engine) == []


async def test_a_joined_statement_needs_a_reply_to_go_with(engine: AsyncEngine) -> None:
    sender = ReplySender(engine, {}, lambda: START)
    with pytest.raises(ValueError, match="needs a reply"):
        await record(engine, sender, 0, joined=(JOINED, {"go": 1}))


@pytest.mark.skipif(not is_postgres(), reason="the save and the reply join on PostgreSQL")
async def test_on_postgresql_a_step_saves_and_writes_its_first_reply_in_one_statement(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[str] = []
    through = db_direct._cursor_rows

    async def counted(adapter: Any, prepared: Any, values: Any) -> Any:
        sent.append(prepared.sql)
        return await through(adapter, prepared, values)

    monkeypatch.setattr(db_direct, "_cursor_rows", counted)
    conversation = Engine(create_sessionmaker(engine), clock=lambda: START)
    kept = RecordOnly(engine, {}, lambda: START)
    first = inbound(content_from_text("/start"), chat=CHAT, channel=Channel.TELEGRAM)
    await conversation.handle(first, CONSOLE, durable=kept)
    sent.clear()
    answer = inbound(content_from_text("co"), chat=CHAT, channel=Channel.TELEGRAM)
    replies = await conversation.handle(answer, CONSOLE, durable=kept)
    assert replies
    # Beside the step, its arrival, told to other processes; the step's own two: the event
    # with the session row, then the save with the first reply, which deletes the arrival.
    arrival = [sql for sql in sent if sql.startswith("INSERT INTO chat_arrivals")]
    read, save = [sql for sql in sent if sql not in arrival]
    assert len(arrival) == 1
    assert sent.index(arrival[0]) < sent.index(save)
    assert "INSERT INTO processed_events" in read
    assert "INSERT INTO reply_outbox" in save
    assert "UPDATE conversation_sessions" in save
    async with engine.connect() as connection:
        step = await connection.scalar(
            select(ConversationSession.step).where(ConversationSession.chat_id == CHAT)
        )
        kept_rows = await connection.scalar(
            select(func.count()).select_from(ReplyRow).where(ReplyRow.event_id == answer.event_id)
        )
    assert step == "full_name"
    assert kept_rows == len(replies)


class _Noted:
    """A channel that notes when each message went."""

    capabilities = CONSOLE

    def __init__(self) -> None:
        self.sent: list[tuple[str, float]] = []
        self.arrived = asyncio.Event()

    async def send(self, chat_id: str, outbound: Outbound) -> None:
        self.sent.append((chat_id, time.monotonic()))
        self.arrived.set()


class _Renewing(ReplySender):
    """A sender that counts how often it renews its leases."""

    renewals = 0

    async def renew(self) -> None:
        self.renewals += 1
        await super().renew()


async def test_a_reply_left_for_another_process_goes_soon_after_that_process_is_done(
    engine: AsyncEngine,
) -> None:
    """The chat's events went to two processes (a balancer in front of several): the
    second's reply waits for the first to finish sending, then goes at once, not a whole
    scan period later; the quick looks meanwhile do not renew leases each time."""
    await left(engine, ReplyState.SENDING, until=LEASE)  # the other process is sending
    channel = _Noted()
    sender = _Renewing(engine, {Channel.TELEGRAM: channel}, lambda: START)
    assert not await record(engine, sender, 1)
    stop = asyncio.Event()
    loops = [
        asyncio.create_task(sender.scan_forever(stop, SCAN_SECONDS)),
        asyncio.create_task(sender.flush_forever(stop)),
    ]
    try:
        await asyncio.sleep(0.1)
        assert channel.sent == []  # not before the earlier reply
        assert sender.renewals == 1
        async with write_connection(engine, write_gate(engine)) as connection:
            await connection.execute(delete(ReplyRow).where(ReplyRow.event_id == "earlier"))
        done = time.monotonic()
        await asyncio.wait_for(channel.arrived.wait(), 5 * SCAN_SECONDS)
    finally:
        stop.set()
        await asyncio.gather(*loops)
    ((chat, at),) = channel.sent
    assert chat == CHAT
    assert at - done < SCAN_SECONDS / 2
