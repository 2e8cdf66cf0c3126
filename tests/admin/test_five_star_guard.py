"""Who certifies a council's result: a result that does not name the province as certifying
gets no certificate even when its dossier stands at "scored" (5★ only from a result scored at
the central level, QĐ 26/2026/QĐ-TTg, Điều 4.1), and a 60-point result at the province is a
3★ certificate issued by the province."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.admin import decisions
from bot.admin.accounts import Staff
from bot.admin.scope import Scope
from bot.db.models import Certificate, Dossier, EvaluationResult
from tests.admin.conftest import DECISION, Seeded, api_token, csrf, login

PROVINCE = Staff(1, "tinh51", Scope.parse("province:51"))
NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
TODAY = date(2026, 11, 20)
CERTIFICATE = {"number": "5S-01", "decision_number": "9/QĐ-BNNMT", "issued_on": "2026-11-20"}

# A result recorded on a dossier standing at "scored" → the refusal it must meet. Published
# unless said otherwise; evaluated at the province.
REFUSED_RESULTS: dict[str, tuple[dict[str, Any], str]] = {
    "5 stars forwarded to the central level": (
        {"stars": 5, "certifying_level": None, "forwarded_to_level": "central"},
        "không cấp giấy chứng nhận từ điểm của hội đồng tỉnh",
    ),
    "5 stars said certified by the central level but scored at the province": (
        {"stars": 5, "certifying_level": "central", "forwarded_to_level": None},
        "Chỉ cấp Trung ương đánh giá và công nhận sản phẩm 5 sao",
    ),
    "a result naming no certifying level": (
        {"stars": 4, "certifying_level": None, "forwarded_to_level": None},
        "không chỉ ra cấp nào công nhận",
    ),
    "a result not yet published": (
        {"stars": 4, "certifying_level": "province", "published_at": None},
        "chưa được công bố",
    ),
}


async def _record(
    sessionmaker: async_sessionmaker[AsyncSession], dossier_id: int, **result: Any
) -> None:
    """The dossier stands at "scored" with ``result`` as its council's result."""
    row: dict[str, Any] = {
        "evaluated_at_level": "province", "average_score": Decimal(92), "spread": Decimal(3),
        "decided_on": TODAY, "decision_number": "15/QĐ-UBND", "decision_date": TODAY,
        "decision_signer": "Phó Chủ tịch Nguyễn Văn An", "published_at": NOW, **result,
    }  # fmt: skip
    async with sessionmaker() as session, session.begin():
        dossier = await session.get(Dossier, dossier_id)
        assert dossier is not None
        dossier.status = "scored"
        session.add(EvaluationResult(dossier_id=dossier_id, **row))


@pytest.mark.parametrize("case", REFUSED_RESULTS)
async def test_a_scored_dossier_gets_no_certificate_unless_its_result_names_the_province(
    admin_url: str, seeded: Seeded, sessionmaker: async_sessionmaker[AsyncSession], case: str
) -> None:
    result, refusal = REFUSED_RESULTS[case]
    await _record(sessionmaker, seeded.xop, **result)
    async with sessionmaker() as session:
        with pytest.raises(decisions.DecisionError, match=refusal):
            await decisions.issue_certificate(
                session, PROVINCE, seeded.xop, "5S-01", "9/QĐ-BNNMT", TODAY, TODAY, NOW
            )
    token = await api_token(sessionmaker, "tinh51")
    async with httpx.AsyncClient(
        base_url=f"{admin_url}/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as api:
        refused = await api.post(f"/dossiers/{seeded.xop}/certificate", json=CERTIFICATE)
    assert refused.status_code == 409
    assert refusal in refused.json()["detail"]
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Certificate)) == 0
        dossier = await session.get(Dossier, seeded.xop)
    assert dossier is not None
    assert dossier.status == "scored"


async def _sixty_points_by_the_pages(url: str, dossier_id: int) -> None:
    client = await login(url, "tinh51")
    page = f"/admin/dossiers/{dossier_id}"
    token = csrf((await client.get(page)).text)
    steps = (
        ("scores", {"member": ["Ông A", "Bà B"], "score": ["60", "60"]}),
        ("publish", DECISION),
        ("certificate", {**CERTIFICATE, "number": "51-2026-060"}),
    )
    for step, form in steps:
        answer = await client.post(f"{page}/{step}", data={"csrf_token": token, **form})
        assert answer.status_code == 303, answer.text
    await client.aclose()


async def _sixty_points_by_the_api(url: str, dossier_id: int, token: str) -> None:
    async with httpx.AsyncClient(
        base_url=f"{url}/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as api:
        scores = [{"member": "A", "score": 60}, {"member": "B", "score": "60"}]
        scored = await api.put(f"/dossiers/{dossier_id}/scores", json={"scores": scores})
        assert (scored.json()["stars"], scored.json()["certified_by"]) == (3, "province")
        published = await api.post(f"/dossiers/{dossier_id}/publish", json=DECISION)
        assert published.json()["status"] == "scored"
        issued = await api.post(
            f"/dossiers/{dossier_id}/certificate", json={**CERTIFICATE, "number": "51-2026-060"}
        )
        assert issued.status_code == 201, issued.text
        assert (issued.json()["stars"], issued.json()["issuing_level"]) == (3, "province")


@pytest.mark.parametrize("way", ["pages", "api"])
async def test_sixty_points_at_the_province_give_a_three_star_certificate_by_the_province(
    admin_url: str, seeded: Seeded, sessionmaker: async_sessionmaker[AsyncSession], way: str
) -> None:
    if way == "pages":
        await _sixty_points_by_the_pages(admin_url, seeded.xop)
    else:
        await _sixty_points_by_the_api(
            admin_url, seeded.xop, await api_token(sessionmaker, "tinh51")
        )
    async with sessionmaker() as session:
        result = await session.scalar(select(EvaluationResult))
        certificate = await session.scalar(select(Certificate))
        dossier = await session.get(Dossier, seeded.xop)
    assert result is not None
    assert (result.average_score, result.stars) == (Decimal(60), 3)
    assert (result.certifying_level, result.forwarded_to_level) == ("province", None)
    assert certificate is not None
    assert (certificate.stars, certificate.issuing_level) == (3, "province")
    assert certificate.issuing_authority == "UBND tỉnh Quảng Ngãi"
    assert dossier is not None
    assert dossier.status == "certified"
