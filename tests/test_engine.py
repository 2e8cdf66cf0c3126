"""The engine's guarantees: one transaction per event, redeliveries ignored, per-chat order,
chats in parallel, state that survives the process."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.channels.console import CAPABILITIES
from bot.channels.telegram import CAPABILITIES as TELEGRAM
from bot.db.engine import create_engine, create_sessionmaker
from bot.db.models import ConversationSession, Person, ProcessedEvent, Subject
from bot.engine import Engine, KeyedLocks
from bot.i18n import translator
from bot.messages import (
    Capabilities,
    Document,
    Option,
    PhoneRequest,
    Reply,
    Text,
    content_from_text,
)
from bot.render import coalesce, degrade, split_text
from tests.builders import Chat, Clock, inbound

SIGN_UP = ["/start", "co", "Nguyen Van A", "0912345678", "xop", "1", "HTX A", "bo qua", "luu"]
REPO = Path(__file__).parents[1]
CHOICES = ((Option("HTX", "c:kind:coop"),),)


async def test_the_same_event_twice_is_handled_once(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    engine = Engine(sessionmaker, clock=Clock())
    event = inbound(Text("/start"), event_id="dup-1")
    first = await engine.handle(event, CAPABILITIES)
    second = await engine.handle(event, CAPABILITIES)
    assert first
    assert second is None
    async with sessionmaker() as session:
        row = (await session.execute(select(ConversationSession))).scalar_one()
        events = (await session.execute(select(func.count()).select_from(ProcessedEvent))).scalar()
    assert row.version == 1
    assert events == 1


async def test_events_of_one_chat_posted_together_are_handled_in_order(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    engine = Engine(sessionmaker, clock=Clock())
    events = [inbound(content_from_text(line), chat="7") for line in SIGN_UP]
    await asyncio.gather(*(engine.handle(event, CAPABILITIES) for event in events))
    async with sessionmaker() as session:
        person = (await session.execute(select(Person))).scalar_one()
        row = (await session.execute(select(ConversationSession))).scalar_one()
    assert person.full_name == "Nguyen Van A"
    assert row.version == len(SIGN_UP)
    assert len(engine.locks) == 0


async def test_a_hundred_chats_at_once_all_complete(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    engine = Engine(sessionmaker, clock=Clock())

    async def sign_up(number: int) -> None:
        chat = Chat(engine, chat=f"chat-{number}")
        lines = [*SIGN_UP]
        lines[2] = f"Nguoi {number}"
        lines[3] = f"09123{number:05d}"  # one number each: a shared one is offered linking
        lines[6] = f"HTX {number}"
        await chat.say(*lines)

    await asyncio.gather(*(sign_up(n) for n in range(100)))
    async with sessionmaker() as session:
        names = set((await session.execute(select(Person.full_name))).scalars())
        subjects = set((await session.execute(select(Subject.name))).scalars())
        open_flows = (
            await session.execute(select(func.count()).where(ConversationSession.flow.is_not(None)))
        ).scalar()
    assert names == {f"Nguoi {n}" for n in range(100)}
    assert subjects == {f"HTX {n}" for n in range(100)}
    assert open_flows == 0


async def test_keyed_locks_serialise_one_key_and_not_others() -> None:
    locks = KeyedLocks()
    order: list[str] = []

    async def work(key: str, label: str, delay: float) -> None:
        async with locks.hold(key):
            order.append(f"{label}-in")
            await asyncio.sleep(delay)
            order.append(f"{label}-out")

    await asyncio.gather(work("a", "a1", 0.02), work("a", "a2", 0), work("b", "b1", 0))
    assert order.index("a1-out") < order.index("a2-in")
    assert order.index("b1-in") < order.index("a1-out")
    assert len(locks) == 0


def test_split_text_on_paragraphs_under_the_limit() -> None:
    text = "\n\n".join(["a" * 1500, "b" * 1500, "c" * 1500])
    parts = split_text(text, 2000)
    assert parts == ["a" * 1500, "b" * 1500, "c" * 1500]
    assert split_text("x" * 4500, 2000) == ["x" * 2000, "x" * 2000, "x" * 500]
    assert split_text("", 10) == [""]


def test_degrade_numbers_choices_and_types_phone_without_buttons() -> None:
    t = translator("vi")
    bare = Capabilities(buttons=False, contact_request=False, documents=False, max_text=2000)
    reply = Reply("Chọn:", ((Option("Có", "c:x:yes"),), (Option("Không", "c:x:no"),)))
    [numbered] = degrade(reply, bare, t)
    assert isinstance(numbered, Reply)
    assert numbered.choices == ()
    assert "1. Có\n2. Không" in numbered.text
    [phone] = degrade(PhoneRequest("Số điện thoại?", "Gửi"), bare, t)
    assert phone == Reply("Số điện thoại?")
    rich = Capabilities(buttons=True, contact_request=True, documents=True, max_text=4096)
    assert degrade(reply, rich, t) == [reply]
    long = degrade(Reply("x " * 3000, reply.choices), rich, t)
    assert len(long) == 2
    assert isinstance(long[-1], Reply)
    assert long[-1].choices == reply.choices


def test_a_plain_text_joins_the_next_message_of_its_turn() -> None:
    rich = Capabilities(buttons=True, contact_request=True, documents=True, max_text=60)
    chosen, question = Reply("Đã chọn: Xã Xốp"), Reply("Bước 5/7 · Hình thức?", CHOICES)
    assert coalesce([chosen, question], rich) == [
        Reply("Đã chọn: Xã Xốp\n\nBước 5/7 · Hình thức?", CHOICES)
    ]
    phone = PhoneRequest("Số điện thoại?", "Gửi số")
    assert coalesce([Reply("Sai số."), phone], rich) == [
        PhoneRequest("Sai số.\n\nSố điện thoại?", "Gửi số")
    ]
    # A message with buttons, a document, and what would pass the limit stay apart.
    document = Document(b"x", "phieu.docx")
    assert coalesce([question, chosen], rich) == [question, chosen]
    assert coalesce([chosen, document, chosen], rich) == [chosen, document, chosen]
    assert coalesce([Reply("x" * 40), Reply("y" * 19)], rich) == [Reply("x" * 40), Reply("y" * 19)]
    assert coalesce([Reply("x" * 40), Reply("y" * 18)], rich) == [
        Reply("x" * 40 + "\n\n" + "y" * 18)
    ]


async def test_a_turn_arrives_as_one_message_where_it_can(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """Choosing the commune confirms it and asks the next question in one message."""
    chat = Chat(Engine(sessionmaker, clock=Clock()), capabilities=TELEGRAM)
    await chat.say(*SIGN_UP[:4])
    (reply,) = await chat.send_text("xop")
    assert isinstance(reply, Reply)
    assert reply.text.startswith("Đã chọn: Xã Xốp")
    assert "Bước 5/5" in reply.text
    assert reply.choices


def _run_chat(database_url: str, script: str, user: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OCOP_", "DATABASE_URL"))}
    return subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--user", user],
        input=script,
        capture_output=True,
        text=True,
        env={**env, "DATABASE_URL": database_url, "PYTHONPATH": str(REPO)},
        timeout=120,
        check=False,
    )


async def test_console_chat_survives_a_restart_mid_conversation(
    database_url: str, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    first = _run_chat(database_url, "\n".join(SIGN_UP[:4]) + "\n", "42")
    assert first.returncode == 0, first.stderr
    assert "Bước 4/5" in first.stdout
    second = _run_chat(database_url, "\n".join(SIGN_UP[4:]) + "\n", "42")
    assert second.returncode == 0, second.stderr
    assert "Cảm ơn Nguyen Van A" in second.stdout
    async with sessionmaker() as session:
        person = (await session.execute(select(Person))).scalar_one()
    assert person.phone_e164 == "+84912345678"


def test_chat_refuses_an_out_of_date_schema(tmp_path: Path) -> None:
    result = _run_chat(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}", "/start\n", "1")
    assert result.returncode == 2
    assert "ocop-bot migrate" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


async def test_two_processes_on_one_chat_lose_no_update(
    engine: AsyncEngine, database_url: str
) -> None:
    """Two engines with their own pools and locks stand for two processes: the session row
    lock (PostgreSQL) or the database write lock (SQLite) serialises them."""
    other = create_engine(database_url)
    try:
        first = Engine(create_sessionmaker(engine), clock=Clock())
        second = Engine(create_sessionmaker(other), clock=Clock())
        events = [inbound(Text("menu"), chat="shared") for _ in range(20)]
        await asyncio.gather(
            *(
                (first if n % 2 else second).handle(event, CAPABILITIES)
                for n, event in enumerate(events)
            )
        )
        async with create_sessionmaker(engine)() as session:
            row = (await session.execute(select(ConversationSession))).scalar_one()
        assert row.version == 20
    finally:
        await other.dispose()
