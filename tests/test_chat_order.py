"""Events of one chat are applied in their platform's order (Telegram's ``update_id``,
Zalo's date then message id) when they arrive together — in one process, and across
processes sharing one PostgreSQL database."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.channels.console import CAPABILITIES
from bot.db import direct as db_direct
from bot.db.engine import create_engine, create_sessionmaker
from bot.db.models import ChatArrival, ConversationSession, Person, ReplyRow, Subject
from bot.engine import Engine, KeyedLocks
from bot.messages import Channel, Inbound, content_from_text
from bot.presence import Presence, present
from tests.builders import Clock, RecordOnly, inbound
from tests.conftest import is_postgres

CHATS = 6
BEAT = 0.05  # the processes' beat in these tests (bot.presence)


def sign_up(chat: str, number: int) -> list[Inbound]:
    """One producer's whole sign-up, each message with its place in the platform's order."""
    lines = [
        "/start",
        "co",
        f"Nguoi {number}",
        f"09123{number:05d}",
        "xop",
        "1",
        f"HTX {number}",
        "bo qua",
        "luu",
    ]
    return [
        replace(inbound(content_from_text(line), chat=chat), order=(1000 * number + n, ""))
        for n, line in enumerate(lines)
    ]


async def assert_signed_up(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """Every chat's answers landed in their fields: names, phones and cooperatives."""
    async with sessionmaker() as session:
        people = dict((await session.execute(select(Person.full_name, Person.phone_e164))).all())
        subjects = set((await session.scalars(select(Subject.name))).all())
        versions = set(
            (
                await session.scalars(
                    select(ConversationSession.version).where(
                        ConversationSession.chat_id.not_like("warm-%")
                    )
                )
            ).all()
        )
        arrivals = await session.scalar(select(func.count()).select_from(ChatArrival))
    assert people == {f"Nguoi {n}": f"+849123{n:05d}" for n in range(CHATS)}
    assert subjects == {f"HTX {n}" for n in range(CHATS)}
    assert versions == {9}
    assert arrivals == 0  # every applied event left the arrivals


async def assert_replies_in_order(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """Each applied step left its replies once, in the chat's order: none from a step that
    stepped back for an earlier event, whose transaction was rolled back."""
    async with sessionmaker() as session:
        rows = (
            await session.execute(
                select(ReplyRow.chat_id, ReplyRow.event_id)
                .where(ReplyRow.chat_id.not_like("warm-%"))
                .order_by(ReplyRow.id)
            )
        ).all()
    by_chat: dict[str, list[int]] = {}
    for chat, event_id in rows:
        events = by_chat.setdefault(chat, [])
        number = int(event_id.removeprefix("ev-"))
        if not events or events[-1] != number:
            events.append(number)
    assert len(by_chat) == CHATS
    assert all(events == sorted(events) and len(events) == 9 for events in by_chat.values())


async def applied_in_order(sessionmaker: async_sessionmaker[AsyncSession], chat: str) -> list[str]:
    """The events of ``chat`` in the order their steps were applied (their kept replies')."""
    async with sessionmaker() as session:
        replies = await session.scalars(
            select(ReplyRow.event_id).where(ReplyRow.chat_id == chat).order_by(ReplyRow.id)
        )
        return list(dict.fromkeys(replies))


async def test_the_holder_sees_an_earlier_event_that_came_after_it() -> None:
    locks = KeyedLocks()
    entered: list[tuple[int, str]] = []

    async def take(order: tuple[int, str]) -> None:
        async with locks.hold("chat", order):
            entered.append(order)
            await asyncio.sleep(0.01)

    first = asyncio.create_task(take((5, "")))
    await asyncio.sleep(0.001)  # the first holds the chat
    assert entered == [(5, "")]
    assert not locks.earlier_waiting("chat", (5, ""))
    later, earlier = asyncio.create_task(take((9, ""))), asyncio.create_task(take((3, "")))
    await asyncio.sleep(0)
    assert locks.earlier_waiting("chat", (5, ""))
    assert not locks.earlier_waiting("chat", (3, ""))
    await asyncio.gather(first, later, earlier)
    assert entered == [(5, ""), (3, ""), (9, "")]
    assert len(locks) == 0


@pytest.mark.parametrize("durable", [False, True], ids=["replies-returned", "replies-kept"])
async def test_an_earlier_event_arriving_during_a_later_ones_step_goes_first(
    sessionmaker: async_sessionmaker[AsyncSession], durable: bool
) -> None:
    """Each chat's messages come in reverse order, each a moment after the previous, while
    the one before is still being handled: the later steps step back and all land right."""
    engine = Engine(sessionmaker, clock=Clock())
    kept = RecordOnly(engine.database, {}, engine.clock) if durable else None

    async def reversed_arrivals(number: int) -> None:
        events = sign_up(f"rev-{number}", number)
        tasks = []
        for event in reversed(events):
            handled = engine.handle(event, CAPABILITIES, durable=kept)
            tasks.append(asyncio.create_task(handled))
            await asyncio.sleep(0)
        await asyncio.gather(*tasks)

    await asyncio.gather(*(reversed_arrivals(n) for n in range(CHATS)))
    await assert_signed_up(sessionmaker)
    assert len(engine.locks) == 0
    if durable:
        await assert_replies_in_order(sessionmaker)


def _serve_in_thread(
    database_url: str,
    events: list[Inbound],
    start: threading.Barrier,
    errors: list[BaseException],
    durable: bool,
) -> None:
    """One "process": its own event loop, database pool and locks, posting ``events`` at
    once when every process is ready."""

    async def run() -> None:
        database = create_engine(database_url)
        try:
            # The window is wider than a server's: both "processes" share one interpreter,
            # and each can stand still while the other runs.
            engine = Engine(
                create_sessionmaker(database),
                clock=Clock(),
                presence=Presence(database, beat_seconds=BEAT),
                order_window=0.1,
            )
            kept = RecordOnly(database, {}, engine.clock) if durable else None
            # A running server's pool is open: warm this one on chats of its own.
            warm = [inbound(content_from_text("menu"), chat=f"warm-{n}") for n in range(8)]
            await asyncio.gather(*(engine.handle(event, CAPABILITIES) for event in warm))
            await asyncio.to_thread(start.wait, 30)
            async with present(engine.presence, [Channel.CONSOLE]):
                await asyncio.to_thread(start.wait, 30)  # both have joined
                await asyncio.gather(
                    *(engine.handle(event, CAPABILITIES, durable=kept) for event in events)
                )
        finally:
            await database.dispose()

    try:
        asyncio.run(run())
    except BaseException as error:
        start.abort()  # the other does not wait for this one forever
        errors.append(error)


@pytest.mark.skipif(not is_postgres(), reason="several processes share PostgreSQL, not SQLite")
@pytest.mark.parametrize("durable", [False, True], ids=["replies-returned", "replies-kept"])
async def test_two_processes_apply_interleaved_events_of_one_chat_in_order(
    database_url: str, sessionmaker: async_sessionmaker[AsyncSession], durable: bool
) -> None:
    """Two engines with their own loops, threads, pools and locks stand for two ``serve``
    processes; each chat's messages are dealt to them alternately, in reverse order, and
    posted at once."""
    dealt: list[list[Inbound]] = [[], []]
    for number in range(CHATS):
        for n, event in enumerate(reversed(sign_up(f"shared-{number}", number))):
            dealt[n % 2].append(event)
    start = threading.Barrier(2)
    errors: list[BaseException] = []
    threads = [
        threading.Thread(target=_serve_in_thread, args=(database_url, mine, start, errors, durable))
        for mine in dealt
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        await asyncio.to_thread(thread.join, 60)
    assert errors == []
    await assert_signed_up(sessionmaker)
    if durable:
        await assert_replies_in_order(sessionmaker)


@pytest.mark.skipif(not is_postgres(), reason="arrivals are written on PostgreSQL")
async def test_a_step_reads_its_chat_while_its_arrival_is_written_and_saves_after_it(
    sessionmaker: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The write that tells other processes of an event runs beside the event's step: the
    step reads its chat without waiting for it (that round trip, and the wait for its batch,
    were part of every webhook's answer), and saves, which deletes the arrival, only once
    it is written."""
    done: list[str] = []
    chat_read = asyncio.Event()
    through = db_direct._cursor_rows

    async def watched(adapter: Any, prepared: Any, values: Any) -> Any:
        sql = prepared.sql
        if sql.startswith("INSERT INTO chat_arrivals"):
            await asyncio.wait_for(chat_read.wait(), 5)  # held until the step has read
        rows = await through(adapter, prepared, values)
        if "INSERT INTO processed_events" in sql:
            done.append("chat read")
            chat_read.set()
        elif sql.startswith("INSERT INTO chat_arrivals"):
            done.append("arrival written")
        elif "DELETE FROM chat_arrivals" in sql:
            done.append("step saved")
        return rows

    monkeypatch.setattr(db_direct, "_cursor_rows", watched)
    engine = Engine(sessionmaker, clock=Clock())
    replies = await engine.handle(inbound(content_from_text("/start"), chat="beside"), CAPABILITIES)
    assert replies
    assert done == ["chat read", "arrival written", "step saved"]
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(ChatArrival)) == 0


@pytest.mark.skipif(not is_postgres(), reason="several processes share PostgreSQL, not SQLite")
async def test_an_earlier_event_whose_arrival_another_process_writes_late_still_goes_first(
    database_url: str,
    sessionmaker: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One process receives a chat's second message; the other receives its first a moment
    later, and is slow to write its arrival. The second waits out the order window, sees
    the first's arrival, and lets it go first."""
    first, second = sign_up("late", 7)[:2]
    slow_arrival = asyncio.Event()
    through = db_direct._cursor_rows

    async def slow(adapter: Any, prepared: Any, values: Any) -> Any:
        if prepared.sql.startswith("INSERT INTO chat_arrivals") and first.event_id in values:
            await asyncio.sleep(0.15)
            slow_arrival.set()
        return await through(adapter, prepared, values)

    monkeypatch.setattr(db_direct, "_cursor_rows", slow)
    databases = [create_engine(database_url) for _ in range(2)]
    engines = [
        Engine(
            create_sessionmaker(database),
            clock=Clock(),
            presence=Presence(database, beat_seconds=BEAT),
            order_window=0.4,
        )
        for database in databases
    ]
    kept = [RecordOnly(engine.database, {}, engine.clock) for engine in engines]
    try:
        async with (
            present(engines[0].presence, [Channel.CONSOLE]),
            present(engines[1].presence, [Channel.CONSOLE]),
        ):

            async def a_moment_later() -> None:
                await asyncio.sleep(0.01)
                await engines[0].handle(first, CAPABILITIES, durable=kept[0])

            await asyncio.gather(
                engines[1].handle(second, CAPABILITIES, durable=kept[1]), a_moment_later()
            )
    finally:
        for database in databases:
            await database.dispose()
    assert slow_arrival.is_set()
    assert await applied_in_order(sessionmaker, "late") == [first.event_id, second.event_id]


@pytest.mark.skipif(not is_postgres(), reason="several processes share PostgreSQL, not SQLite")
async def test_a_process_alone_on_its_channel_does_not_wait_out_the_order_window(
    engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """The window is paid only while another process takes events of the same channel."""
    alone = Presence(engine, beat_seconds=BEAT)
    elsewhere = Presence(engine, beat_seconds=BEAT)
    conversations = Engine(sessionmaker, clock=Clock(), presence=alone, order_window=1.0)
    async with present(alone, [Channel.CONSOLE]), present(elsewhere, [Channel.TELEGRAM]):
        assert alone.others == {elsewhere.name}
        loop = asyncio.get_running_loop()
        started = loop.time()
        replies = await conversations.handle(
            inbound(content_from_text("/start"), chat="alone"), CAPABILITIES
        )
        assert replies
        assert loop.time() - started < 0.5


async def test_an_earlier_event_read_during_the_window_goes_first_without_a_wasted_step(
    engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """A step that waited out the window and finds an earlier event of its chat waiting
    steps back before it opens a transaction, rather than run and be rolled back."""
    presence = Presence(engine)
    presence.shared = frozenset({Channel.CONSOLE})  # another process takes console events
    conversations = Engine(sessionmaker, clock=Clock(), presence=presence, order_window=0.2)
    transactions: list[object] = []

    def began(connection: object) -> None:
        transactions.append(connection)

    sa_event.listen(engine.sync_engine, "begin", began)
    first, second = sign_up("window", 8)[:2]

    async def a_moment_later() -> None:
        await asyncio.sleep(0.05)
        await conversations.handle(first, CAPABILITIES, durable=RecordOnly(engine, {}, Clock()))

    try:
        await asyncio.gather(
            conversations.handle(second, CAPABILITIES, durable=RecordOnly(engine, {}, Clock())),
            a_moment_later(),
        )
    finally:
        sa_event.remove(engine.sync_engine, "begin", began)
    assert len(transactions) == 2
    assert await applied_in_order(sessionmaker, "window") == [first.event_id, second.event_id]
