"""Registering a product idea, typed as a farmer types, through the real engine and database."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Dossier, OfficerAssignment, OutboxMessage, Person, Product
from bot.engine import Engine
from handlers.conversation import SUMMARY
from tests.builders import Chat, Clock

# The idea typed without diacritics, each answer under the name of its question.
IDEA = {
    "product_name": "Mat ong rung Xop",
    "product_kind": "mat ong",
    "product_set": "mat ong",
    "is_new_product": "co",
    "description": "Mat ong khai thac tu rung tu nhien",
    "raw_materials": "Mat ong rung Xop",
    "raw_material_commune_pct": "80%",
    "raw_material_province_pct": "100",
    "workers_total": "12",
    "workers_local": "10",
    "idea_origin": "1",
    "identity_story": "Nguoi Xo Dang lay mat ong tu xua",
    "papers_held": "1, 3",
    "target_market": "trong nuoc",
    "support_wanted": "bao bi",
}


async def _idea_until(chat: Chat, question: str) -> str:
    """Sign up, open the idea registration and answer up to ``question``."""
    await chat.sign_up()
    await chat.say("dang ky")
    return await chat.answer(IDEA, until=question)


@pytest.fixture
def chat(sessionmaker: async_sessionmaker[AsyncSession], clock: Clock) -> Chat:
    return Chat(Engine(sessionmaker, clock=clock))


async def test_idea_registered_without_diacritics_is_stored_correctly(
    chat: Chat, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    summary = await _idea_until(chat, SUMMARY)
    assert "Nguyên liệu từ xã: 80%" in summary
    done = await chat.say("luu")
    code = re.search(r"OCOP-\d{2}-\d{4}-\d{4}", done)
    assert code is not None
    async with sessionmaker() as session:
        product = (await session.execute(select(Product))).scalar_one()
        dossier = (await session.execute(select(Dossier))).scalar_one()
    assert product.registration_code == code.group(0) == f"OCOP-51-2026-{product.id:04d}"
    assert (product.group_code, product.product_set, product.subgroup_code) == ("food", 4, None)
    assert (product.raw_material_commune_pct, product.raw_material_province_pct) == (80, 100)
    assert (product.workers_total, product.workers_local) == (12, 10)
    assert product.is_new_product is True
    assert product.idea_origin == "own_tradition"
    assert product.papers_held == ["business_registration", "quality_declaration"]
    assert product.target_market == "domestic"
    assert product.idea_answers["product_name"] == "Mat ong rung Xop"
    assert (dossier.status, dossier.kind, dossier.commune_code) == (
        "idea_registered",
        "new",
        "23356",
    )


@pytest.mark.parametrize(
    ("answer", "expected"),
    [("tám mươi", "ví dụ: 80"), ("120", "không thể lớn hơn 100"), ("120%", "lớn hơn 100")],
)
async def test_bad_percentages_are_refused_with_an_example(
    chat: Chat, answer: str, expected: str
) -> None:
    await _idea_until(chat, "raw_material_commune_pct")
    reply = await chat.say(answer)
    assert expected in reply
    assert await chat.where() == ("idea", "raw_material_commune_pct")  # asked again


async def test_cross_field_checks(chat: Chat) -> None:
    await _idea_until(chat, "raw_material_province_pct")
    assert "không thể nhỏ hơn" in await chat.say("50")
    await chat.say("100", "12")
    reply = await chat.say("15")
    assert "không thể nhiều hơn tổng số người làm (12)" in reply
    assert await chat.where() == ("idea", "workers_local")


async def test_edit_a_field_from_the_summary(
    chat: Chat, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await _idea_until(chat, SUMMARY)
    await chat.say("sua")
    await chat.say("nguyen lieu tu xa")
    summary = await chat.say("90")
    assert "Nguyên liệu từ xã: 90%" in summary
    await chat.say("luu")
    async with sessionmaker() as session:
        product = (await session.execute(select(Product))).scalar_one()
    assert product.raw_material_commune_pct == 90


async def test_cancel_mid_way_and_resume_days_later(chat: Chat, clock: Clock) -> None:
    await _idea_until(chat, "raw_materials")
    await chat.say("huy")
    clock.advance(days=4)
    assert "đang làm dở" in await chat.say("dang ky")
    await chat.say("tiep tuc")
    assert await chat.where() == ("idea", "raw_materials")
    summary = await chat.answer(IDEA, until=SUMMARY)
    assert "Tên sản phẩm: Mat ong rung Xop" in summary


async def _stored_set(sessionmaker: async_sessionmaker[AsyncSession]) -> tuple[str, int | None]:
    async with sessionmaker() as session:
        product = (await session.execute(select(Product))).scalar_one()
    return product.group_code, product.product_set


@pytest.mark.parametrize(
    ("product", "words", "pick", "listed", "stored"),
    [
        ("Mat ong rung Xop", "mat ong", "1", ["Mật ong, mật khác"], ("food", 4)),
        ("Nuoc mam Cua Viet", "nuoc mam", "tuong nuoc mam", ["Tương, nước mắm"], ("food", 9)),
        (
            "Ruou ngo Ban Pho",
            "ruou",
            "ruou trang",
            ["Rượu trắng", "Đồ uống có cồn khác"],
            ("drink", 14),
        ),
        ("Ruou sim", "ruou", "2", ["Rượu trắng", "Đồ uống có cồn khác"], ("drink", 15)),
        ("Homestay ban Xop", "du lich", "1", ["Dịch vụ du lịch cộng đồng"], ("tourism", 26)),
        # Words that name nothing: the product's name still finds the set.
        ("Gio may tre Xop", "do dung", "1", ["Thủ công mỹ nghệ"], ("handicraft", 21)),
    ],
)
async def test_the_set_is_found_by_words_and_confirmed_in_a_short_list(
    chat: Chat,
    sessionmaker: async_sessionmaker[AsyncSession],
    product: str,
    words: str,
    pick: str,
    listed: list[str],
    stored: tuple[str, int],
) -> None:
    await chat.sign_up()
    await chat.say("dang ky", product)
    shown = await chat.say(words)
    assert await chat.where() == ("idea", "product_set")
    for name in listed:
        assert name in shown
    assert "Không phải các loại trên" in shown  # the way to the group lists
    assert len(shown.splitlines()) <= 8  # a short list, not the 26 sets
    await chat.say(pick)
    assert await chat.where() == ("idea", "is_new_product")
    await chat.answer({**IDEA, "product_name": product, SUMMARY: "luu"})
    assert await _stored_set(sessionmaker) == stored


async def test_the_groups_are_the_fallback_when_no_set_is_found(
    chat: Chat, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await chat.sign_up()
    await chat.say("dang ky", "San pham Xop")
    await chat.say("dac san")  # names no set, and neither does the product's name
    assert await chat.where() == ("idea", "group")
    listed = await chat.say("do uong")
    assert await chat.where() == ("idea", "set_in_group")
    assert "Nước khoáng thiên nhiên" in listed
    await chat.say("nuoc khoang")
    assert await chat.where() == ("idea", "is_new_product")
    await chat.answer({**IDEA, "product_name": "San pham Xop", SUMMARY: "luu"})
    assert await _stored_set(sessionmaker) == ("drink", 16)


async def test_none_of_the_found_sets_leads_to_the_groups(
    chat: Chat, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await chat.sign_up()
    await chat.say("dang ky", "Ruou mo Xop")
    await chat.say("ruou")
    await chat.say("khong phai")
    assert await chat.where() == ("idea", "group")
    await chat.say("6")  # tourism has one set: nothing more to ask
    assert await chat.where() == ("idea", "is_new_product")
    await chat.answer({**IDEA, "product_name": "Ruou mo Xop", SUMMARY: "luu"})
    assert await _stored_set(sessionmaker) == ("tourism", 26)


async def test_a_stranger_typing_dang_ky_signs_up_first(chat: Chat) -> None:
    await chat.say("dang ky")
    assert await chat.where() == ("onboarding", "consent")


async def test_the_communes_officer_is_told(
    chat: Chat, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with sessionmaker.begin() as session:
        officer = Person(full_name="Cán bộ Xốp", role="officer")
        session.add(officer)
        await session.flush()
        session.add(OfficerAssignment(person_id=officer.id, commune_code="23356"))
    await _idea_until(chat, SUMMARY)
    assert "đã báo cho cán bộ OCOP" in await chat.say("luu")
    async with sessionmaker() as session:
        message = (await session.execute(select(OutboxMessage))).scalar_one()
    assert (message.kind, message.recipient_person_id) == ("new_idea", officer.id)
