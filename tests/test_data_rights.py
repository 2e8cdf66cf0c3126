"""Seeing and deleting one's personal data: nothing of the person is left in any column."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import JSON, String, Text, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.base import Base
from bot.db.models import ChannelAccount, Person, Product, Subject
from bot.engine import Engine
from tests.builders import Chat, Clock

NAME = "Lò Thị Erase"
PHONE_TYPED = "0912000111"
SIGN_UP = ["/start", "co", NAME, PHONE_TYPED, "xop", "ho kinh doanh"]
TRACES = (NAME, "+84912000111", PHONE_TYPED, "912000111", "Lo Thi Erase")


@pytest.fixture
def chat(sessionmaker: async_sessionmaker[AsyncSession]) -> Chat:
    return Chat(Engine(sessionmaker, clock=Clock()))


async def _all_text_values(sessionmaker: async_sessionmaker[AsyncSession]) -> list[str]:
    """Every value of every text or JSON column of every table, as text."""
    values: list[str] = []
    async with sessionmaker() as session:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
            if not columns or table.name == "communes":
                continue
            for row in (await session.execute(select(*columns))).all():
                values.extend(str(value) for value in row if value is not None)
    return values


async def test_my_data_lists_what_is_stored(chat: Chat) -> None:
    await chat.say(*SIGN_UP)
    reply = await chat.say("/dulieucuatoi")
    assert NAME in reply
    assert "+84912000111" in reply
    assert "Xã Xốp, tỉnh Quảng Ngãi" in reply
    assert "/xoadulieu" in reply


async def test_declining_erasure_deletes_nothing(
    chat: Chat, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await chat.say(*SIGN_UP)
    await chat.say("/xoadulieu")
    assert "chưa xóa gì" in await chat.say("khong")
    async with sessionmaker() as session:
        person = (await session.execute(select(Person))).scalar_one()
    assert person.full_name == NAME


async def test_erasure_leaves_no_name_or_phone_in_any_table(
    chat: Chat, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await chat.say(*SIGN_UP)
    await chat.say("/start", "co", "Tên Khác")  # a draft holding personal data, then left
    await chat.say("menu")
    values = await _all_text_values(sessionmaker)
    assert any(NAME in value for value in values)  # the scan does see the data before

    await chat.say("/xoadulieu")
    reply = await chat.say("co")
    assert "đã được xóa" in reply
    values = await _all_text_values(sessionmaker)
    for trace in TRACES:
        assert not [value for value in values if trace in value], trace
    async with sessionmaker() as session:
        person = (await session.execute(select(Person))).scalar_one()
        accounts = (await session.execute(select(ChannelAccount))).scalars().all()
        subjects = (await session.execute(select(Subject))).scalars().all()
    assert person.erased_at is not None
    assert accounts == []
    assert subjects == []
    again = await chat.say("/start")
    assert "Bước 1/5" in again


async def test_records_the_programme_keeps_are_anonymised(
    chat: Chat, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await chat.say(*SIGN_UP)
    async with sessionmaker.begin() as session:
        subject = (await session.execute(select(Subject))).scalar_one()
        session.add(Product(subject_id=subject.id, name="Mật ong rừng", group_code="food"))
    await chat.say("/xoadulieu")
    reply = await chat.say("co")
    assert "1 sản phẩm" in reply
    values: list[Any] = await _all_text_values(sessionmaker)
    for trace in TRACES:
        assert not [value for value in values if trace in value], trace
    async with sessionmaker() as session:
        kept = (await session.execute(select(Subject))).scalar_one()
        product = (await session.execute(select(Product))).scalar_one()
    assert kept.owner_person_id is None
    assert "ẩn danh" in kept.name
    assert product.name == f"Sản phẩm #{product.id} (đã ẩn danh)"  # the person named it
