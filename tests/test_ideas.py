"""Registering a product idea, typed as a farmer types, through the real engine and database."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.zalo import CAPABILITIES as ZALO
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
    assert "Tên sản phẩm: Mat ong rung Xop" in summary
    assert "Nguyên liệu" not in summary  # asked where it is needed, not here
    done = await chat.say("luu")
    code = re.search(r"OCOP-\d{2}-\d{4}-\d{4}", done)
    assert code is not None
    async with sessionmaker() as session:
        product = (await session.execute(select(Product))).scalar_one()
        dossier = (await session.execute(select(Dossier))).scalar_one()
    assert product.registration_code == code.group(0) == f"OCOP-51-2026-{product.id:04d}"
    assert (product.group_code, product.product_set, product.subgroup_code) == ("food", 4, None)
    assert product.is_new_product is True
    assert product.description == "Mat ong khai thac tu rung tu nhien"
    assert (product.raw_material_commune_pct, product.workers_total, product.papers_held) == (
        None,
        None,
        [],
    )
    assert product.idea_answers["product_name"] == "Mat ong rung Xop"
    assert (dossier.status, dossier.kind, dossier.commune_code) == (
        "idea_registered",
        "new",
        "23356",
    )


async def test_four_counted_questions_and_the_counter_never_jumps(chat: Chat) -> None:
    await chat.sign_up()
    shown = [await chat.say("dang ky")]
    for answer in ("San pham Xop", "dac san", "do uong", "nuoc khoang", "co"):
        shown.append(await chat.say(answer))  # the set's questions share one number
    counters = [re.findall(r"Bước (\d+)/(\d+)", text)[-1] for text in shown]
    assert counters == [("1", "4"), ("2", "4"), ("2", "4"), ("2", "4"), ("3", "4"), ("4", "4")]
    assert "bốn câu hỏi ngắn" in shown[0]


async def test_edit_a_field_from_the_summary(
    chat: Chat, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await _idea_until(chat, SUMMARY)
    await chat.say("sua")
    await chat.say("mo ta")
    summary = await chat.say("Mat ong hoa ca phe")
    assert "Mô tả: Mat ong hoa ca phe" in summary
    await chat.say("luu")
    async with sessionmaker() as session:
        product = (await session.execute(select(Product))).scalar_one()
    assert product.description == "Mat ong hoa ca phe"


async def test_help_at_the_summary_and_at_the_answer_to_change_then_a_number_still_picks(
    sessionmaker: async_sessionmaker[AsyncSession], clock: Clock
) -> None:
    """On Zalo the summary's list is the only button: "tro giup" there says what to type,
    once, keeps the list, and the number picked after it is still the list's."""
    zalo = Chat(Engine(sessionmaker, clock=clock), chat="zalo-help", capabilities=ZALO)
    await _idea_until(zalo, SUMMARY)
    told = await zalo.say("tro giup")
    assert "“Lưu” để lưu" in told
    assert "Mô tả:" not in told  # the answers are just above, not sent again
    assert "1. Lưu" in told
    assert await zalo.where() == ("idea", SUMMARY)
    assert "Anh/chị muốn sửa mục nào?" in await zalo.say("2")  # "Sửa", by its number
    told = await zalo.say("tro giup")
    assert "gõ số hoặc tên mục muốn sửa" in told
    numbers = {label: number for number, label in re.findall(r"(\d+)\. (.+)", told)}
    assert "Mô tả" in numbers
    await zalo.say(numbers["Mô tả"])
    assert await zalo.where() == ("idea", "description")
    assert "Mô tả: Mat ong hoa ca phe" in await zalo.say("Mat ong hoa ca phe")
    await zalo.say("luu")
    async with sessionmaker() as session:
        product = (await session.execute(select(Product))).scalar_one()
    assert product.description == "Mat ong hoa ca phe"


@pytest.mark.parametrize("typed", ["Đúng", "dung", "đúng", "dung roi"])
async def test_right_typed_at_the_summary_saves_it(
    chat: Chat, sessionmaker: async_sessionmaker[AsyncSession], typed: str
) -> None:
    """ "Thông tin đã đúng chưa?" — "Đúng": folded, it was the stop word "dừng", and the
    idea was not saved."""
    await _idea_until(chat, SUMMARY)
    await chat.say(typed)
    assert await chat.where() == (None, None)
    async with sessionmaker() as session:
        assert (await session.execute(select(Product.name))).scalar_one() == "Mat ong rung Xop"


async def test_stop_written_with_its_marks_still_stops(chat: Chat) -> None:
    await _idea_until(chat, SUMMARY)
    assert "Đã dừng" in await chat.say("Dừng")


@pytest.mark.parametrize(
    ("typed", "new"),
    [("chua", "Có"), ("chưa bán", "Có"), ("co", "Có"), ("roi", "Không"), ("da ban roi", "Không")],
)
async def test_not_yet_on_sale_is_a_new_product(chat: Chat, typed: str, new: str) -> None:
    """ "Đây có phải sản phẩm mới, chưa bán ra thị trường không?" — "chưa" (not yet sold)
    was stored as "not new", and "rồi" as new."""
    await _idea_until(chat, "is_new_product")
    await chat.say(typed)
    assert await chat.where() == ("idea", "description")
    assert f"Sản phẩm mới: {new}" in await chat.say("Mat ong nuoi trong rung")


async def test_the_forms_own_opening_words_and_a_polite_back_are_not_saved_as_the_name(
    chat: Chat,
) -> None:
    """ "1" from the menu, then "dang ky" (the name was "dang ky"); "quay lai di" at the
    next question (it replaced the name)."""
    await chat.sign_up()
    await chat.say("dang ky")
    refused = await chat.say("dang ky")
    assert "chưa phải tên sản phẩm" in refused
    assert await chat.where() == ("idea", "product_name")
    await chat.say("Mat ong rung Xop")
    assert await chat.where() != ("idea", "product_name")
    back = await chat.say("quay lai di")
    assert await chat.where() == ("idea", "product_name")
    assert "Mat ong rung Xop" in back  # the answer shown, kept


async def test_cancel_mid_way_and_resume_days_later(chat: Chat, clock: Clock) -> None:
    await _idea_until(chat, "description")
    await chat.say("huy")
    clock.advance(days=4)
    assert "đang làm dở" in await chat.say("dang ky")
    await chat.say("tiep tuc")
    assert await chat.where() == ("idea", "description")
    summary = await chat.answer(IDEA, until=SUMMARY)
    assert "Tên sản phẩm: Mat ong rung Xop" in summary


async def _stored_set(sessionmaker: async_sessionmaker[AsyncSession]) -> tuple[str, int | None]:
    async with sessionmaker() as session:
        product = (await session.execute(select(Product))).scalar_one()
    return product.group_code, product.product_set


@pytest.mark.parametrize(
    ("product", "words", "pick", "listed", "stored"),
    [
        # The product's name names its set: the short list comes at once.
        ("Mat ong rung Xop", None, "1", ["Mật ong, mật khác"], ("food", 4)),
        ("Nuoc mam Cua Viet", None, "tuong nuoc mam", ["Tương, nước mắm"], ("food", 9)),
        ("Ruou ngo Ban Pho", None, "ruou trang", ["Rượu trắng"], ("drink", 14)),
        ("Ruou sim", None, "1", ["Đồ uống có cồn khác"], ("drink", 15)),
        ("Gio may tre Xop", None, "thu cong", ["Thủ công mỹ nghệ"], ("handicraft", 21)),
        # A name that says nothing: its kind is asked in a few words.
        ("Homestay ban Xop", None, "1", ["Dịch vụ du lịch cộng đồng"], ("tourism", 26)),
        ("Dac san Xop", "mat ong", "1", ["Mật ong, mật khác"], ("food", 4)),
        ("San pham Xop", "du lich", "1", ["Dịch vụ du lịch cộng đồng"], ("tourism", 26)),
    ],
)
async def test_the_set_is_found_by_words_and_confirmed_in_a_short_list(
    chat: Chat,
    sessionmaker: async_sessionmaker[AsyncSession],
    product: str,
    words: str | None,
    pick: str,
    listed: list[str],
    stored: tuple[str, int],
) -> None:
    await chat.sign_up()
    await chat.say("dang ky")
    shown = await chat.say(product)
    if words is not None:
        assert await chat.where() == ("idea", "product_kind")
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
    await chat.say("dang ky", "Ruou mo Xop")  # the name finds the wines
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
