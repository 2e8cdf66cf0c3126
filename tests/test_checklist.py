"""The dossier checklist: item by item with photos, "còn thiếu", and group-specific items."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.zalo import CAPABILITIES as ZALO
from bot.db.models import DossierItem, EvidenceFile, Product, Subject
from bot.engine import Engine
from bot.messages import FileKind, FileReceived
from bot.store import SqlStore
from handlers.conversation import SUMMARY
from handlers.set_words import find_sets
from ocop_rules import REQUIREMENTS, requirement
from tests.builders import FACTS, START, Chat, Clock, facts_script, idea_script


def idea(name: str, kind: str) -> list[str]:
    """An idea registration, its kind typed as words when the name names no set, the first
    set found confirmed, all answers valid, saved (by position: for scripts that stand for
    a channel's messages)."""
    words = [] if find_sets(name) else [kind]
    return ["dang ky", name, *words, "1", "co", "Mo ta", "luu", *FACTS]


@pytest.fixture
def chat(sessionmaker: async_sessionmaker[AsyncSession]) -> Chat:
    return Chat(Engine(sessionmaker, clock=Clock()))


def current_item(reply: str) -> str:
    """The requirement code asked about in ``reply``."""
    asked = [r.code for r in REQUIREMENTS if f": {r.name_vi}?" in reply]
    assert len(asked) == 1, reply
    return asked[0]


async def walk(chat: Chat, answers: dict[str, str], photos: dict[str, int]) -> list[str]:
    """Go through the checklist; answer "chua" where asked to, else "co" plus photos."""
    reply = await chat.say("/hoso")
    if (await chat.where())[0] == "facts":  # asked once, before the papers
        await chat.answer(facts_script())
        reply = await chat.say("/hoso")
    seen: list[str] = []
    while "đi hết các mục" not in reply:
        code = current_item(reply)
        seen.append(code)
        answer = answers.get(code, "co")
        reply = await chat.say(answer)
        if answer == "co":
            for number in range(photos.get(code, 0)):
                await chat.send(
                    FileReceived(FileKind.PHOTO, f"photo-{code}-{number}", "image/jpeg", 200_000)
                )
                assert f"Đã nhận ({number + 1} tệp)" in chat.last_text
            reply = await chat.say("xong")
    return seen


async def test_full_checklist_with_two_photos_and_what_is_missing(
    chat: Chat, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await chat.sign_up()
    await chat.register_idea("Mat ong rung", "thuc pham")
    seen = await walk(
        chat,
        answers={"subject_report": "chua", "food_safety_certificate": "chua", "awards": "chua"},
        photos={"business_registration": 2},
    )
    assert "commune_report" not in seen  # the commune prepares it
    assert "food_safety_certificate" in seen
    report = chat.last_text
    missing = report[report.index("Còn thiếu:") :].splitlines()
    assert missing[1].startswith("• Giấy chứng nhận cơ sở đủ điều kiện sản xuất")
    assert "bắt buộc" in missing[1]
    assert missing[2].startswith("• Báo cáo tự đánh giá về sản phẩm")
    assert "Giấy khen" not in report  # optional items are not "missing"
    assert (
        "Báo cáo đánh giá một số nội dung của hồ sơ của UBND xã (Mẫu số 03): do UBND xã lập"
        in report
    )
    async with sessionmaker() as session:
        files = (await session.execute(select(EvidenceFile.file_ref))).scalars().all()
        rows = await session.execute(select(DossierItem.requirement_code, DossierItem.state))
        states = dict(rows.all())
    assert sorted(files) == ["photo-business_registration-0", "photo-business_registration-1"]
    assert states["food_safety_certificate"] == "missing"
    assert states["business_registration"] == "have"


async def test_handicraft_is_never_asked_for_food_safety(chat: Chat) -> None:
    await chat.sign_up()
    await chat.register_idea("Gio may tre", "thu cong")
    seen = await walk(chat, answers={}, photos={})
    assert "food_safety_certificate" not in seen
    assert "test_results" not in seen
    assert "product_samples" in seen


async def test_tourism_is_never_asked_for_samples(chat: Chat) -> None:
    await chat.sign_up()
    reply = await chat.register_idea("Homestay Xop", "du lich", until="_summary")
    assert "Anh/chị xem lại thông tin" in reply
    await chat.say("luu")
    seen = await walk(chat, answers={}, photos={})
    assert "product_samples" not in seen
    assert "label_packaging" not in seen


async def test_checklist_resumes_where_it_stopped(chat: Chat) -> None:
    await chat.sign_up()
    await chat.register_idea("Mat ong rung", "thuc pham")
    await chat.say("/hoso", "chua", "chua")
    assert "2/18 mục" in chat.last_text
    stopped = await chat.say("huy")
    assert "/hoso" in stopped
    resumed = await chat.say("/hoso")
    assert "2/18 mục" in resumed
    assert current_item(resumed) == "business_registration"


async def test_bad_files_are_refused(chat: Chat) -> None:
    await chat.sign_up()
    await chat.register_idea("Mat ong rung", "thuc pham")
    await chat.say("/hoso", "co")
    await chat.send(FileReceived(FileKind.STICKER, "s1"))
    assert "ảnh chụp hoặc tệp" in chat.last_text
    await chat.send(FileReceived(FileKind.DOCUMENT, "d1", "application/zip", 1000))
    assert "PDF" in chat.last_text
    await chat.send(FileReceived(FileKind.PHOTO, "p1", "image/jpeg", 50 * 1024 * 1024))
    assert "lớn quá" in chat.last_text


async def test_another_persons_dossier_is_out_of_reach(
    chat: Chat, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await chat.sign_up()
    await chat.register_idea("Mat ong rung", "thuc pham")
    other = Chat(chat.engine, chat="200")
    await other.sign_up()
    async with sessionmaker.begin() as session:
        store = SqlStore(session, START)
        mine = await store.open_dossiers(1)
        assert len(mine) == 1
        assert await store.open_dossiers(2) == []
        with pytest.raises(PermissionError):
            await store.answer_item(2, mine[0].dossier_id, "awards", "have", None)
        with pytest.raises(PermissionError):
            await store.checklist(2, mine[0].dossier_id, ["awards"])


async def _forget_set(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """Make the product one registered before the 26 sets: no set known."""
    async with sessionmaker.begin() as session:
        product = (await session.execute(select(Product))).scalar_one()
        product.product_set = None


async def _stored_set(sessionmaker: async_sessionmaker[AsyncSession]) -> int | None:
    async with sessionmaker() as session:
        return (await session.execute(select(Product.product_set))).scalar_one()


@pytest.mark.parametrize(("typed", "stored"), [("4", 4), ("gao", 3)])
async def test_a_product_without_a_set_is_asked_for_it_once_at_the_next_checklist(
    chat: Chat, sessionmaker: async_sessionmaker[AsyncSession], typed: str, stored: int
) -> None:
    await chat.sign_up()
    await chat.register_idea("Mat ong rung", "mat ong")
    await _forget_set(sessionmaker)
    asked = await chat.say("/hoso")
    assert "chỉ hỏi một lần" in asked
    assert "Gạo, ngũ cốc, hạt sơ chế khác" in asked  # the food group's sets
    assert "Hoa" not in asked.splitlines()  # not another group's
    first = await chat.say(typed)
    assert current_item(first) == "registration_form"  # the papers follow at once
    assert await _stored_set(sessionmaker) == stored
    await chat.say("huy")
    again = await chat.say("/hoso")
    assert "chỉ hỏi một lần" not in again
    assert current_item(again) == "registration_form"


async def test_the_set_question_of_the_checklist_refuses_other_answers(
    chat: Chat, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await chat.sign_up()
    await chat.register_idea("Mat ong rung", "mat ong")
    await _forget_set(sessionmaker)
    await chat.say("/hoso")
    reply = await chat.say("xe may")
    assert "chọn một trong các câu trả lời" in reply
    assert "chỉ hỏi một lần" in reply
    assert await _stored_set(sessionmaker) is None
    await chat.say("huy")
    assert await chat.where() == (None, None)


async def test_the_products_facts_are_asked_once_before_the_papers_and_kept_on_the_product(
    chat: Chat, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await chat.sign_up()
    await chat.say("dang ky")
    await chat.answer(idea_script(product_name="Mat ong rung Xop"))
    asked = await chat.say("/hoso")
    assert await chat.where() == ("facts", "raw_materials")
    assert "Bước 1/7" in asked
    summary = await chat.answer(facts_script(workers_total="12", workers_local="10"), until=SUMMARY)
    assert "Bước 7/7" in chat.transcript[-2] or "Bước 7/7" in "\n".join(chat.transcript)
    assert "Nguyên liệu từ xã: 80%" in summary
    await chat.say("luu")
    async with sessionmaker() as session:
        product = (await session.execute(select(Product))).scalar_one()
    # One home: the product's columns and its registration's answers.
    assert (product.raw_material_commune_pct, product.raw_material_province_pct) == (80, 100)
    assert (product.workers_total, product.workers_local, product.idea_origin) == (
        12,
        10,
        "own_tradition",
    )
    assert product.idea_answers["workers_local"] == 10
    papers = await chat.say("/hoso")  # never asked twice: the papers now
    assert await chat.where() != ("facts", "raw_materials")
    current_item(papers)


async def test_papers_declared_held_at_registration_are_not_asked_or_missing(
    chat: Chat, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await chat.sign_up()
    await chat.register_idea("Mat ong rung", "mat ong")
    async with sessionmaker() as session, session.begin():
        product = (await session.execute(select(Product))).scalar_one()
        held = ["business_registration", "food_safety_certificate"]
        product.papers_held = held
        product.idea_answers = {**product.idea_answers, "papers_held": held}
    seen = await walk(chat, answers={r.code: "chua" for r in REQUIREMENTS}, photos={})
    assert "business_registration" not in seen
    assert "food_safety_certificate" not in seen
    assert "product_samples" in seen
    missing = await chat.say("con thieu")
    assert requirement("product_samples").name_vi in missing  # not yet: missing
    for code in held:  # declared held: never listed as missing
        assert requirement(code).name_vi not in missing


async def test_the_registration_number_is_asked_with_its_paper_not_at_sign_up(
    chat: Chat, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await chat.sign_up()
    await chat.register_idea("Mat ong rung", "mat ong")
    reply = await chat.say("/hoso")
    while current_item(reply) != "business_registration":
        reply = await chat.say("chua")
    asked = await chat.say("co")
    assert "4300123456" in asked  # its number, with an example
    saved = await chat.say("0101234567")
    assert "0101234567" in saved
    await chat.say("xong")
    async with sessionmaker() as session:
        subject = (await session.execute(select(Subject))).scalar_one()
        item = await session.scalar(
            select(DossierItem).where(DossierItem.requirement_code == "business_registration")
        )
    assert subject.business_registration_no == "0101234567"
    assert item is not None
    assert item.state == "have"


@pytest.mark.parametrize("typed", ["huy", "Hủy", "menu", "quay lai"])
async def test_the_question_of_which_products_dossier_can_be_left(
    sessionmaker: async_sessionmaker[AsyncSession], typed: str
) -> None:
    """Two ideas: /hoso asks which product's dossier, and "Hủy" or "Menu" there left it
    only by a number (the question came again)."""
    chat = Chat(Engine(sessionmaker, clock=Clock()), capabilities=ZALO)
    await chat.sign_up()
    await chat.say(*idea("Mat ong rung Xop", "mat ong"), *idea("Tra shan tuyet Xop", "tra"))
    assert "Tra shan tuyet Xop" in await chat.say("/hoso")
    assert await chat.where() == ("dossier", "pick")
    left = await chat.say(typed)
    assert await chat.where() == (None, None)
    assert "Đăng ký ý tưởng sản phẩm" in left  # the menu


async def test_a_paper_answered_not_yet_can_be_said_held_later_with_its_photo(
    chat: Chat, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """Once every paper was answered, /hoso only listed what was missing: a paper got
    since could not be said held, nor its photo sent. It now goes over those again, once."""
    await chat.sign_up()
    await chat.register_idea("Mat ong rung", "mat ong")
    first = await walk(chat, answers={r.code: "chua" for r in REQUIREMENTS}, photos={})
    again = await chat.say("/hoso")
    assert "Còn thiếu" in again  # what is missing, as before
    assert "mình hỏi lại từng giấy tờ anh/chị chưa có" in again
    got = current_item(again)
    assert got == first[0]
    await chat.say("co")
    await chat.send(FileReceived(FileKind.PHOTO, "photo-later", "image/jpeg", 200_000))
    reply = await chat.say("xong")
    asked_again = [got]
    while "đi hết các mục" not in reply:  # the others, each once, then the end
        asked_again.append(current_item(reply))
        reply = await chat.say("chua")
    assert asked_again == first
    assert await chat.where() == (None, None)
    async with sessionmaker() as session:
        item = (
            await session.scalars(select(DossierItem).where(DossierItem.requirement_code == got))
        ).one()
        kept = select(EvidenceFile).where(EvidenceFile.dossier_item_id == item.id)
        photos = (await session.scalars(kept)).all()
    assert (item.state, len(photos)) == ("have", 1)


async def test_each_number_means_the_same_answer_on_every_paper_on_zalo(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """ "3" was "Còn thiếu gì?" on every paper but the one a product may not need, where it
    was "not needed": typed out of habit, it took the paper off the missing list. Papers
    are answered as people say it ("có rồi", "chưa có ạ")."""
    chat = Chat(Engine(sessionmaker, clock=Clock()), capabilities=ZALO)
    await chat.sign_up()
    await chat.register_idea("Mat ong rung", "mat ong")
    await chat.say("/hoso")
    if (await chat.where())[0] == "facts":
        await chat.answer(facts_script())
    reply = await chat.say("/hoso")
    lists: list[list[str]] = []
    while "đi hết các mục" not in reply:
        assert len(lists) < 40, reply  # a refused answer asks the same paper again
        current_item(reply)
        lists.append([line for line in reply.splitlines() if line[:2] in ("1.", "2.", "3.", "4.")])
        reply = await chat.say("co roi" if len(lists) % 2 else "chua co a")
        if "“Xong”" in reply:
            reply = await chat.say("xong")
    first_three = ["1. Đã có", "2. Chưa có", "3. Còn thiếu gì?"]
    assert len(lists) > 5
    assert all(shown[:3] == first_three for shown in lists)
    assert ["4. Sản phẩm của tôi không cần giấy này"] in [shown[3:] for shown in lists]


async def test_stopping_the_products_questions_names_the_menu_entry_that_resumes_them(
    chat: Chat,
) -> None:
    await chat.sign_up()
    await chat.say("dang ky")
    await chat.answer(idea_script())
    await chat.say("/hoso")
    assert (await chat.where())[0] == "facts"
    assert "chọn lại “Hồ sơ sản phẩm” để làm tiếp" in await chat.say("huy")
    assert "Hồ sơ sản phẩm" in await chat.say("menu")  # the entry is there, by that name
