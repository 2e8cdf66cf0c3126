"""/trangthai and /chungnhan read what is stored and word the rules of ocop_rules."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Certificate, Dossier, EvaluationResult, EvaluationRound, Product
from bot.engine import Engine
from ocop_rules import certificate_expiry, reevaluation_window
from tests.builders import START, Chat, Clock


async def add_certificate(
    sessionmaker: async_sessionmaker[AsyncSession],
    issued: date,
    number: str,
    stars: int,
    authority: str,
) -> None:
    """A certificate for the one product there is, valid 36 months from ``issued``."""
    async with sessionmaker.begin() as session:
        product = (await session.execute(select(Product))).scalar_one()
        session.add(
            Certificate(
                product_id=product.id,
                number=number,
                stars=stars,
                issuing_level="province",
                issuing_authority=authority,
                issued_on=issued,
                expires_on=certificate_expiry(issued),
            )
        )


@pytest.fixture
def chat(sessionmaker: async_sessionmaker[AsyncSession]) -> Chat:
    return Chat(Engine(sessionmaker, clock=Clock()))


async def test_status_shows_step_progress_round_and_next_thing(
    chat: Chat, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await chat.sign_up()
    await chat.register_idea("Mat ong rung", "thuc pham")
    async with sessionmaker.begin() as session:
        session.add(
            EvaluationRound(
                province_code="51",
                name="Đợt 2 năm 2026",
                opens_on=date(2026, 3, 1),
                registration_deadline=date(2026, 6, 30),
            )
        )
    await chat.say("/hoso", "chua")
    await chat.say("huy")
    reply = await chat.say("/trangthai")
    assert "Mat ong rung (OCOP-51-2026-" in reply
    assert "bước 2/6 — Nhận đăng ký ý tưởng sản phẩm" in reply
    assert "đã trả lời 1/18 mục" in reply
    assert "Cấp xã: chưa đánh giá" in reply
    assert "Đợt 2 năm 2026, hạn đăng ký 30/06/2026" in reply
    assert "/hoso" in reply


async def test_status_without_products(chat: Chat) -> None:
    await chat.sign_up()
    assert "/dangky" in await chat.say("/trangthai")


async def test_certificate_with_expiry_and_reevaluation_papers(
    chat: Chat, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await chat.sign_up()
    await chat.register_idea("Mat ong rung", "thuc pham")
    issued = date(2023, 7, 1)  # START is 2 March 2026: under 6 months before 1 July 2026
    await add_certificate(sessionmaker, issued, "123/QĐ-UBND", 4, "UBND tỉnh Quảng Ngãi")
    reply = await chat.say("/chungnhan")
    assert "★★★★" in reply
    assert "123/QĐ-UBND" in reply
    assert "Cấp ngày 01/07/2023, có hiệu lực đến 01/07/2026" in reply
    assert f"còn {(date(2026, 7, 1) - START.date()).days} ngày" in reply
    assert "đánh giá lại" in reply
    assert "Báo cáo kết quả sản xuất, kinh doanh 3 năm" in reply
    assert "chậm nhất ngày 01/06/2026" in reply


async def test_no_certificate_yet(chat: Chat) -> None:
    await chat.sign_up()
    assert "chưa có giấy chứng nhận" in await chat.say("/chungnhan")


async def test_numbers_and_dates_follow_the_language(
    chat: Chat, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await chat.sign_up()
    await chat.register_idea("Mat ong rung", "thuc pham")
    issued = date(2026, 3, 1)
    await add_certificate(sessionmaker, issued, "9", 3, "UBND tỉnh")
    assert "còn 1.095 ngày" in await chat.say("/chungnhan")
    await chat.say("/ngonngu", "english")
    english = await chat.say("/chungnhan")
    assert "1,095 days left" in english
    assert "Mar 1, 2026" in english


async def _at_the_province(
    sessionmaker: async_sessionmaker[AsyncSession], stars: int | None = None
) -> None:
    """The one dossier proposed to the province, scored ``stars`` when given (forwarded to
    the central level at 5★, as route_score does for 90 points or more)."""
    async with sessionmaker.begin() as session:
        dossier = (await session.execute(select(Dossier))).scalar_one()
        dossier.status = "submitted_for_evaluation" if stars is None else "scored"
        if stars is not None:
            session.add(
                EvaluationResult(
                    dossier_id=dossier.id,
                    evaluated_at_level="province",
                    average_score=92 if stars == 5 else 80,
                    spread=2,
                    decided_on=START.date(),
                    stars=stars,
                    certifying_level=None if stars == 5 else "province",
                    forwarded_to_level="central" if stars == 5 else None,
                )
            )


@pytest.mark.parametrize(
    ("product", "kind", "samples"),
    [("Mat ong rung", "mat ong", "chuẩn bị sẵn 5 sản phẩm mẫu"), ("Homestay Xop", "du lich", None)],
)
async def test_a_tourism_dossier_is_never_told_to_prepare_samples(
    chat: Chat,
    sessionmaker: async_sessionmaker[AsyncSession],
    product: str,
    kind: str,
    samples: str | None,
) -> None:
    await chat.sign_up()
    await chat.register_idea(product, kind)
    await _at_the_province(sessionmaker)
    reply = await chat.say("/trangthai")
    assert "Chờ hội đồng tỉnh chấm điểm" in reply
    if samples is None:
        assert "mẫu" not in reply
    else:
        assert samples in reply


async def test_a_score_forwarded_to_the_central_level_shows_no_stars_yet(
    chat: Chat, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await chat.sign_up()
    await chat.register_idea("Mat ong rung", "mat ong")
    await _at_the_province(sessionmaker, stars=5)
    reply = await chat.say("/trangthai")
    assert "5 sao" not in reply
    assert "Tỉnh đã đề nghị Trung ương đánh giá" in reply


async def test_the_reevaluation_window_is_given_by_its_dates(
    chat: Chat, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await chat.sign_up()
    await chat.register_idea("Mat ong rung", "mat ong")
    issued = date(2023, 7, 1)  # expires 1/7/2026: the window is 2/1–3/3/2026
    await add_certificate(sessionmaker, issued, "123/QĐ-UBND", 4, "UBND tỉnh Quảng Ngãi")
    reply = await chat.say("/chungnhan")
    window = reevaluation_window(certificate_expiry(issued))
    assert (window.opens, window.closes) == (date(2026, 1, 2), date(2026, 3, 3))
    assert "nộp hồ sơ cho UBND xã từ ngày 02/01/2026, chậm nhất ngày 03/03/2026" in reply
