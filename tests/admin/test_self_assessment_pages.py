"""The province sees the producer's self-assessment on the admin dossier page and in the
dossier export: the latest finished run's total and band, and every answer."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import SelfAssessment
from handlers.self_score import assess
from handlers.sheet_questions import questions
from tests.admin.conftest import Seeded, api_token, login

HONEY = 4


async def finished_run(
    sessionmaker: async_sessionmaker[AsyncSession], dossier_id: int, version: int, lowest: str
) -> Decimal:
    """A finished honey run: the best answer everywhere but the lowest at ``lowest``."""
    answers = {q.code: (0 if q.code == lowest else len(q.answers) - 1) for q in questions(HONEY)}
    result = assess(HONEY, answers)
    now = datetime.now(UTC)
    async with sessionmaker() as session, session.begin():
        session.add(
            SelfAssessment(
                dossier_id=dossier_id, version=version, product_set=HONEY, answers=answers,
                total=result.score.total, stars=result.score.stars, started_at=now,
                updated_at=now, finished_at=now,
            )
        )  # fmt: skip
    return result.score.total


async def test_the_dossier_page_and_export_show_the_latest_self_score_and_its_answers(
    admin_url: str, seeded: Seeded, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    assert await finished_run(sessionmaker, seeded.xop, 1, "4.1") == 96
    assert await finished_run(sessionmaker, seeded.xop, 2, "2.4") == 99
    province = await login(admin_url, "tinh51")
    try:
        page = (await province.get(f"/admin/dossiers/{seeded.xop}")).text
        assert "Chủ thể tự đánh giá (Mẫu 02)" in page
        assert "Bộ 4 · lần 2 · <strong>99/100</strong> · 5 sao theo thang điểm" in page
        assert "(lần trước: 96)" in page
        assert "<td>2.4</td>" in page
        assert "<td>Không</td><td>0</td>" in page  # the yes/no bilingual label, answered no
    finally:
        await province.aclose()
    token = await api_token(sessionmaker, "tinh51")
    async with httpx.AsyncClient(
        base_url=f"{admin_url}/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as api:
        exported = (await api.get("/exports/dossiers.csv")).content.decode("utf-8-sig")
    header, *rows = csv.reader(io.StringIO(exported))
    assert header[-1] == "Tự đánh giá (điểm)"
    (honey,) = [row for row in rows if "Mật ong Xốp" in row]
    assert honey[-1] == "99"
