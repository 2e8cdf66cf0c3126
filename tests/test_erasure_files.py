"""After ``/xoadulieu``, is anything the person typed still in the database's files?

A dump or a query shows only live rows; an erased value survives in the bytes — SQLite's
free space and WAL, PostgreSQL's dead row versions — so these tests read the files.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from sqlalchemy import delete, make_url, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot import cli
from bot.db.models import Certificate, Dossier, Person, Product, ReplyRow, Subject
from bot.engine import Engine
from bot.replies.sender import ReplySender
from tests.builders import Chat, Clock
from tests.conftest import is_postgres

# Everything below is typed by the person; each value is unique enough to grep for.
TYPED = {
    "full_name": "Quach Thi Zuyen",
    "phone": "0987650123",
    "subject_name": "HTX Zebrafruit Quynhlam",
    "registration_no": "ZRN-5538-QX",
    "product_name": "Mut Zebrafruit Kieuhoa",
    "product_kind": "mut Zebrakind Yenhoa",
    "description": "Zebrafruit sen vang ngam duong phen Xylo",
    "raw_materials": "Qua zebra tu vuon Yvonnehill",
    "story": "Ba Zuyen hoc nghe tu me Wenzhoulam",
    "support": "Can ho tro tem nhan Vaxtrolux",
    "draft_product": "Tra Zebraleaf Oppenhoa",
}
FORMS = ("+84987650123", "987650123")  # the phone as stored, and its digits
SIGN_UP = [
    "/start",
    "co",
    TYPED["full_name"],
    TYPED["phone"],
    "xa xop",
    "hop tac xa",
    TYPED["subject_name"],
]
IDEA = [
    "dang ky",
    TYPED["product_name"],  # its words find the set (mứt: set 7), confirmed next
    "1",
    "co",
    TYPED["description"],
    "luu",
]


def _needles() -> list[bytes]:
    """Each typed string as the files may hold it: UTF-8, and escaped inside JSON."""
    needles: set[bytes] = set()
    for value in (*TYPED.values(), *FORMS):
        needles.add(value.encode())
        needles.add(json.dumps(value).strip('"').encode())
    return sorted(needles)


def _found(blobs: list[bytes]) -> list[str]:
    return [needle.decode() for needle in _needles() if any(needle in blob for blob in blobs)]


async def _typed_everything(chat: Chat) -> None:
    await chat.say(*SIGN_UP)
    await chat.say(*IDEA)
    await chat.say("dang ky", TYPED["draft_product"], "menu")  # a second idea, left half-way


async def _erase(chat: Chat) -> None:
    await chat.say("/xoadulieu")
    assert "đã được xóa" in await chat.say("co")


def _sqlite_files(database_url: str) -> list[bytes]:
    path = Path(make_url(database_url).database or "")
    return [p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists()]


@pytest.mark.skipif(is_postgres(), reason="reads the SQLite files")
async def test_nothing_typed_is_left_in_the_sqlite_file_or_its_wal(
    database_url: str, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    chat = Chat(Engine(sessionmaker, clock=Clock()))
    await _typed_everything(chat)
    assert _found(_sqlite_files(database_url)) != []  # the scan sees the data before

    await _erase(chat)

    assert _found(_sqlite_files(database_url)) == []
    assert _wal_size(database_url) == 0  # checkpointed and truncated


def _wal_size(database_url: str) -> int:
    wal = Path(f"{make_url(database_url).database}-wal")
    return wal.stat().st_size if wal.exists() else 0


async def _postgres_files(engine: AsyncEngine) -> list[bytes]:
    """The main fork of every table, index and TOAST table of the schema, flushed first."""
    async with engine.connect() as connection:
        await connection.execute(text("CHECKPOINT"))
        directory = await connection.scalar(text("SELECT current_setting('data_directory')"))
        paths = await connection.scalars(
            text(
                "SELECT pg_relation_filepath(c.oid) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind IN ('r', 'i', 't') AND (n.nspname = 'public' OR c.oid IN "
                "(SELECT reltoastrelid FROM pg_class k JOIN pg_namespace kn "
                "ON kn.oid = k.relnamespace WHERE kn.nspname = 'public'))"
            )
        )
        files = [Path(directory) / path for path in paths.all() if path]
    assert files
    return [f.read_bytes() for f in files if f.exists()]


@pytest.mark.skipif(not is_postgres(), reason="reads PostgreSQL's data files")
async def test_nothing_typed_is_left_in_postgres_data_files_after_the_vacuum_command(
    database_url: str,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    chat = Chat(Engine(sessionmaker, clock=Clock()))
    await _typed_everything(chat)
    assert _found(await _postgres_files(engine)) != []

    await _erase(chat)
    assert _found(await _postgres_files(engine)) != []  # dead row versions still hold them
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert await asyncio.to_thread(cli.main, ["vacuum"]) == 0

    assert _found(await _postgres_files(engine)) == []


async def test_a_kept_product_loses_every_text_the_person_typed(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    chat = Chat(Engine(sessionmaker, clock=Clock()))
    await _typed_everything(chat)
    await _erase(chat)
    async with sessionmaker() as session:
        subject = (await session.execute(select(Subject))).scalar_one()
        product = (await session.execute(select(Product))).scalar_one()
        dossier = (await session.execute(select(Dossier))).scalar_one()
        person = (await session.execute(select(Person))).scalar_one()
    assert (subject.owner_person_id, subject.business_registration_no) == (None, None)
    assert subject.name == f"Chủ thể #{subject.id} (đã ẩn danh)"
    assert product.name == f"Sản phẩm #{product.id} (đã ẩn danh)"
    assert (product.description, product.raw_materials) == (None, None)
    assert (product.identity_notes, product.support_wanted) == (None, None)
    # What the evaluation counts stays: group, set, choices, the dossier.
    assert (product.group_code, product.product_set) == ("food", 7)
    assert product.idea_answers["is_new_product"] is True
    assert not set(product.idea_answers) & {"product_name", "description", "support_wanted"}
    assert dossier.product_id == product.id
    assert (person.full_name, person.phone_e164) == (None, None)


async def test_a_certified_product_keeps_the_name_its_decision_publishes(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    chat = Chat(Engine(sessionmaker, clock=Clock()))
    await chat.say(*SIGN_UP)
    await chat.say(*IDEA)
    async with sessionmaker.begin() as session:
        product = (await session.execute(select(Product))).scalar_one()
        session.add(
            Certificate(
                product_id=product.id,
                stars=4,
                issuing_level="province",
                issuing_authority="UBND tỉnh Quảng Ngãi",
                issued_on=Clock().now.date(),
                expires_on=Clock().now.date().replace(year=2029),
            )
        )
    await _erase(chat)
    async with sessionmaker() as session:
        product = (await session.execute(select(Product))).scalar_one()
    assert product.name == TYPED["product_name"]
    assert product.description is None


class _SentByNobody(ReplySender):
    """Records each step's replies as ``serve`` does, and sends none: the test deletes
    them as the sender does once the platform took them."""

    def committed(self, token: object) -> None:
        """Nothing is queued."""


@pytest.mark.skipif(not is_postgres(), reason="reads PostgreSQL's data files")
async def test_sent_replies_leave_nothing_typed_in_postgres_data_files_after_the_vacuum_command(
    database_url: str,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A reply repeats what the person typed ("Thank you, <name>! … <phone>"); sent, its row
    is deleted, and its dead version stays in the table's file until the vacuum."""
    clock = Clock()
    chat = Chat(Engine(sessionmaker, clock=clock), durable=_SentByNobody(engine, {}, clock))
    await chat.say(*SIGN_UP)
    await _erase(chat)
    async with sessionmaker() as session, session.begin():
        bodies = (await session.scalars(select(ReplyRow.body))).all()
        assert any(TYPED["full_name"] in json.dumps(body) for body in bodies)
        await session.execute(delete(ReplyRow))  # all sent
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert await asyncio.to_thread(cli.main, ["vacuum"]) == 0
    assert _found(await _postgres_files(engine)) == []
