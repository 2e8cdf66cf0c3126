"""A producer who signs up is offered, never silently given, the products the province
already imported: by the phone the list gives, or by the same name in the same commune."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.admin import importer
from bot.admin.scope import Scope
from bot.db.models import AuditEntry, Person, Subject
from bot.engine import Engine
from tests.builders import Chat

HEADER = "Tên sản phẩm;Chủ thể;Xã;Nhóm;Số sao;Số quyết định;Ngày quyết định;Điện thoại"
ROWS = [
    # The sign-up's own cooperative, listed under its name in full, with its phone.
    "Mật ong hoa cà phê;HTX Mật ong rừng Xốp;Xã Xốp;Thực phẩm;4;12/QĐ-UBND;15/06/2024;0912 345 678",
    "Mật ong rừng;HTX Mật ong rừng Xốp;Xã Xốp;Thực phẩm;3;12/QĐ-UBND;15/06/2024;0912 345 678",
    # Someone else in the same commune, same name as typed at sign-up ("HTX Mat ong Xop").
    "Sâm Ngọc Linh;HTX Mật ong Xốp;Xã Xốp;Dược liệu;5;13/QĐ-BNN-KTHT;20/06/2024;",
    # Elsewhere: never offered.
    "Tỏi Lý Sơn;HTX Tỏi Lý Sơn;Đặc khu Lý Sơn;Thực phẩm;4;14/QĐ-UBND;20/06/2024;0987654321",
]
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


async def _import(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    content = "\n".join([HEADER, *ROWS]).encode("utf-8-sig")
    scope = Scope.parse("province:51")
    rows, report = importer.check_rows(content, "ocop.csv", scope)
    assert report.errors == [], report.errors
    async with sessionmaker() as session, session.begin():
        await importer.import_rows(session, rows, report, scope, "test", NOW)


async def _subjects(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, int | None]:
    async with sessionmaker() as session:
        rows = await session.execute(select(Subject.name, Subject.owner_person_id))
        return {row.name: row.owner_person_id for row in rows}


async def test_sign_up_offers_the_listed_subjects_one_at_a_time_and_claims_only_on_yes(
    engine_: Engine, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await _import(sessionmaker)
    chat = Chat(engine_)
    reply = await chat.sign_up()
    assert "Thank you" in reply or "Cảm ơn" in reply
    # First the phone match, with its products and stars, as a question — nothing linked yet.
    assert "“HTX Mật ong rừng Xốp” ở Xã Xốp, tỉnh Quảng Ngãi" in reply
    assert "• Mật ong hoa cà phê — 4 sao" in reply
    assert "• Mật ong rừng — 3 sao" in reply
    assert "1. Đúng, là của tôi" in reply
    assert (await _subjects(sessionmaker))["HTX Mật ong rừng Xốp"] is None

    reply = await chat.say("1")
    assert "Xong rồi: “HTX Mật ong rừng Xốp” và 2 sản phẩm" in reply
    # Then the namesake in the same commune; this one is not theirs.
    assert "“HTX Mật ong Xốp” ở Xã Xốp" in reply
    assert "• Sâm Ngọc Linh — 5 sao" in reply
    reply = await chat.say("khong phai")
    assert "mình chưa thêm" in reply
    assert "Bạn muốn làm gì?" in reply or "muốn làm gì" in reply  # back at the menu

    subjects = await _subjects(sessionmaker)
    async with sessionmaker() as session:
        person = (await session.execute(select(Person))).scalar_one()
        claims = (
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "subject.claimed"))
        ).all()
    assert subjects["HTX Mật ong rừng Xốp"] == person.id
    assert subjects["HTX Mật ong Xốp"] is None
    assert subjects["HTX Tỏi Lý Sơn"] is None
    assert subjects["HTX Mat ong Xop"] == person.id  # their own, with another name: kept
    assert [c.after for c in claims] == [
        {"owner_person_id": person.id, "matched_by": "phone", "products": 2}
    ]
    certificates = await chat.say("/chungnhan")
    assert "Mật ong hoa cà phê" in certificates
    assert "Sâm Ngọc Linh" not in certificates


async def test_a_name_match_folds_the_sign_up_subject_into_the_listed_one(
    engine_: Engine, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await _import(sessionmaker)
    chat = Chat(engine_, chat="200")
    reply = await chat.sign_up(phone="0977000111")
    assert "“HTX Mật ong rừng Xốp”" not in reply  # another phone, another name
    assert "“HTX Mật ong Xốp” ở Xã Xốp" in reply
    reply = await chat.press("p:yes")
    assert "Xong rồi" in reply
    async with sessionmaker() as session:
        person_id = (await session.execute(select(Person.id))).scalar_one()
        owned = (
            await session.execute(
                select(Subject.name, Subject.subject_type).where(
                    Subject.owner_person_id == person_id
                )
            )
        ).all()
    # One subject, the listed one, with the kind the producer chose at sign-up.
    assert owned == [("HTX Mật ong Xốp", "cooperative")]


@pytest.mark.parametrize("typed", ["Đúng", "dung"])
async def test_right_typed_at_the_claim_claims_it(
    engine_: Engine, sessionmaker: async_sessionmaker[AsyncSession], typed: str
) -> None:
    """ "Đây có phải cơ sở của anh/chị không?" — "Đúng" was folded into the stop word "dừng":
    the listed cooperative, its 4★ product and their reminders were lost."""
    await _import(sessionmaker)
    chat = Chat(engine_, chat="210")
    assert "“HTX Mật ong Xốp” ở Xã Xốp" in await chat.sign_up(phone="0977000111")
    assert "Xong rồi" in await chat.say(typed)
    async with sessionmaker() as session:
        person_id = (await session.execute(select(Person.id))).scalar_one()
    assert (await _subjects(sessionmaker))["HTX Mật ong Xốp"] == person_id


async def test_an_old_or_made_up_claim_button_claims_nothing(
    engine_: Engine, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await _import(sessionmaker)
    chat = Chat(engine_, chat="300")
    await chat.sign_up()
    await chat.say("huy")  # leaves the question without claiming
    assert (await _subjects(sessionmaker))["HTX Mật ong rừng Xốp"] is None
    reply = await chat.press("p:yes")  # the button of the earlier question
    assert "Xong rồi" not in reply
    owners = set((await _subjects(sessionmaker)).values())
    async with sessionmaker() as session:
        claims = await session.scalar(
            select(AuditEntry.id).where(AuditEntry.action == "subject.claimed")
        )
    assert claims is None
    assert len(owners - {None}) == 1  # only the sign-up's own subject has an owner


async def test_help_and_unclear_answers_keep_the_question(
    engine_: Engine, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await _import(sessionmaker)
    chat = Chat(engine_, chat="400")
    await chat.sign_up()
    reply = await chat.say("tro giup")
    assert "/chungnhan" in reply
    assert "“HTX Mật ong rừng Xốp”" in reply
    reply = await chat.say("🐝")
    assert "Mời bạn chọn" in reply or "chọn một" in reply
    assert "“HTX Mật ong rừng Xốp”" in reply
    assert (await _subjects(sessionmaker))["HTX Mật ong rừng Xốp"] is None


async def test_without_a_listed_match_sign_up_goes_straight_to_the_menu(
    engine_: Engine,
) -> None:
    chat = Chat(engine_, chat="500")
    reply = await chat.sign_up()
    assert "danh sách sản phẩm OCOP của tỉnh" not in reply
    assert "1. Đăng ký ý tưởng sản phẩm" in reply or "Đăng ký ý tưởng" in reply
