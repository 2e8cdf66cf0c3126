"""The audit log staff can read (issue #23 item 2): every action recorded once, found by
person, dossier, product, commune and day, said in Vietnamese sentences."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import audit
from bot.admin.scope import Scope
from bot.alerts.calendar import add_round
from bot.db.models import (
    AuditEntry,
    Certificate,
    CommuneAssessment,
    CommuneCriterionAssessment,
    Document,
    Dossier,
    Product,
)
from handlers.reports import DOCX
from tests.admin.conftest import XOP, Seeded, api_token, csrf, login, seed_dossier


@pytest.mark.parametrize("action", list(audit.AuditAction))
def test_every_action_is_said_in_a_sentence(action: audit.AuditAction) -> None:
    assert action in audit.SENTENCES
    entry = AuditEntry(
        actor_label="staff:tinh51",
        action=action.value,
        entity_type="dossier",
        entity_id="7",
        before={"status": "submitted_to_commune", "name": "Đợt 1"},
        after={"status": "commune_checked", "commune_code": XOP, "expires_at": "2026-12-31"},
        dossier_id=7,
        commune_code=XOP,
    )
    sentence = audit.describe(entry)
    assert sentence.startswith("Cán bộ tinh51")
    assert "{" not in sentence
    assert "}" not in sentence
    assert "submitted_to_commune" not in sentence  # codes are said by their labels


def test_a_status_change_reads_as_a_sentence_with_labels() -> None:
    entry = AuditEntry(
        actor_label="staff:tinh51",
        action="dossier.status",
        entity_type="dossier",
        entity_id="12",
        before={"status": "submitted_for_evaluation"},
        after={"status": "scored", "via": ["scored"]},
        dossier_id=12,
    )
    sentence = audit.describe(entry)
    assert re.fullmatch(r"Cán bộ tinh51 chuyển hồ sơ số 12 từ “[^“”]+” sang “[^“”]+”\.", sentence)
    assert "scored" not in sentence


LIST = (
    "Tên sản phẩm;Chủ thể;Xã;Nhóm;Số sao;Số quyết định;Ngày quyết định\n"
    "Rượu nếp Xốp;HTX Rượu Xốp;Xã Xốp;Đồ uống;4;12/QĐ-UBND;01/02/2024\n"
).encode("utf-8-sig")


async def _search(client: httpx.AsyncClient, **params: str) -> list[str]:
    page = await client.get("/admin/audit", params=params)
    assert page.status_code == 200
    body = page.text.split('id="audit"', 1)[1]
    return [
        re.sub(r"<[^>]+>", "", cell).strip()
        for cell in re.findall(r"<tr><td>[^<]*</td><td>(.*?)</td>", body)
    ]


async def test_staff_actions_are_found_in_words_once(
    admin_url: str, seeded: Seeded, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    client = await login(admin_url, "tinh51")
    try:
        token = csrf((await client.get("/admin/import")).text)
        imported = await client.post(
            "/admin/import",
            data={"csrf_token": token, "mode": "import"},
            files={"file": ("ds.csv", LIST, "text/csv")},
        )
        assert "1 sản phẩm mới" in imported.text
        async with sessionmaker() as session:
            certificate_id = await session.scalar(select(Certificate.id))
        await client.post(
            f"/admin/certificates/{certificate_id}/revoke",
            data={
                "csrf_token": token,
                "ground": "production_stopped",
                "revoked_on": datetime.now(UTC).date().isoformat(),
                "reason": "Sản phẩm không còn sản xuất",
            },
        )
        await client.post("/admin/invites", data={"csrf_token": token, "commune": XOP})
        await client.post(
            f"/admin/dossiers/{seeded.xop}/scores",
            data={"csrf_token": token, "member": ["Ông A", "Bà B"], "score": ["75", "77"]},
        )
        async with sessionmaker() as session, session.begin():
            await add_round(
                session,
                "51",
                "Đợt 1 năm 2027",
                {"opens_on": date(2027, 3, 1), "registration_deadline": date(2027, 4, 1)},
                datetime.now(UTC),
                actor="staff:tinh51",
            )

        everything = await _search(client)
        for words in (
            "Cán bộ tinh51 đăng nhập trang quản trị.",
            "Cán bộ tinh51 nhập danh sách sản phẩm OCOP: 1 dòng, 1 sản phẩm mới",
            "Cán bộ tinh51 tạo lời mời cán bộ xã cho Xã Xốp, tỉnh Quảng Ngãi",
            f"Cán bộ tinh51 ghi điểm hội đồng cho hồ sơ số {seeded.xop}: trung bình 76",
            "Cán bộ tinh51 thêm đợt đánh giá “Đợt 1 năm 2027”.",
        ):
            assert sum(line.startswith(words) for line in everything) == 1, (words, everything)
        assert not any("{" in line for line in everything)

        by_product = await _search(client, product="mat ong xop")  # no accents
        assert by_product
        assert all(f"hồ sơ số {seeded.xop}" in line for line in by_product)
        by_ruou = await _search(client, product="ruou")  # "Rượu nếp Xốp", no accents
        assert by_ruou == [
            f"Cán bộ tinh51 thu hồi giấy chứng nhận số {certificate_id}, căn cứ: không còn "
            "sản xuất sản phẩm. Ghi chú: Sản phẩm không còn sản xuất."
        ]
        by_commune = await _search(client, commune="xop")
        assert any("lời mời" in line for line in by_commune)
        assert not any("đợt đánh giá" in line for line in by_commune)  # the province's
        by_dossier = await _search(client, dossier=str(seeded.xop))
        assert by_dossier
        assert all(f"hồ sơ số {seeded.xop}" in line for line in by_dossier)
        assert await _search(client, person="tinh51", action="import.") == [
            line for line in everything if "nhập danh sách" in line
        ]
        assert await _search(client, day_from="2020-01-01", day_to="2020-01-31") == []
        bearer = {"Authorization": f"Bearer {await api_token(sessionmaker, 'tinh51')}"}
        listed = (
            await client.get("/api/v1/audit", params={"action": "import."}, headers=bearer)
        ).json()
        assert [entry["sentence"] for entry in listed] == [
            line for line in everything if "nhập danh sách" in line
        ]
        timeline = (await client.get(f"/admin/dossiers/{seeded.xop}")).text.split("timeline")[-1]
        assert "ghi điểm hội đồng cho hồ sơ" in timeline
        assert "council.scores" not in timeline
    finally:
        await client.aclose()
    other = await login(admin_url, "hanoi")
    try:
        seen_by_hanoi = await _search(other)
    finally:
        await other.aclose()
    assert not any("tinh51" in line for line in seen_by_hanoi)
    async with sessionmaker() as session:
        logins = await session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "staff.login")
        )
        lines = await audit.search_audit(
            session, Scope.parse("province:51"), audit.AuditQuery(), timezone=UTC
        )
    assert logins == 2  # tinh51 and hanoi, once each
    assert {line.entry.action for line in lines} >= {
        "staff.login",
        "import.products",
        "invite.create",
        "council.scores",
        "round.add",
    }


async def test_the_province_sees_what_the_commune_verified_and_its_report(
    admin_url: str, seeded: Seeded, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """The producer declared 80 % and 10/12 workers; the commune verified 70 % and 11/12:
    the province's page shows both, and the commune's report downloads."""
    async with sessionmaker() as session, session.begin():
        wine = await seed_dossier(session, XOP, "Rượu nếp cái hoa vàng")
        dossier = await session.get_one(Dossier, seeded.xop)
        product = await session.get_one(Product, dossier.product_id)
        product.raw_material_commune_pct, product.raw_material_province_pct = 80, 95
        product.workers_local, product.workers_total = 10, 12
        report = Document(
            dossier_id=seeded.xop,
            kind="commune_report",
            filename="bao-cao-xa.docx",
            media_type=DOCX,
            content=b"PK-report",
        )
        session.add(report)
        await session.flush()
        assessment = CommuneAssessment(
            dossier_id=seeded.xop,
            form_check="ok",
            conclusion="met",
            reopened_count=0,
            report_document_id=report.id,
        )
        session.add(assessment)
        await session.flush()
        session.add_all(
            [
                CommuneCriterionAssessment(
                    assessment_id=assessment.id,
                    criterion="local_origin",
                    facts={"commune_pct": 70, "province_pct": 90},
                    conclusion="met",
                ),
                CommuneCriterionAssessment(
                    assessment_id=assessment.id,
                    criterion="local_labour",
                    facts={"workers_local": 11, "workers_total": 12},
                    conclusion="met",
                ),
            ]
        )
    client = await login(admin_url, "tinh51")
    try:
        page = await client.get(f"/admin/dossiers/{seeded.xop}")
        download = await client.get(f"/admin/dossiers/{seeded.xop}/commune-report")
        found = await client.get("/admin/dossiers", params={"q": "mat ong xop"})
        ruou = await client.get("/admin/dossiers", params={"q": "ruou"})
    finally:
        await client.aclose()
    verified = page.text.split('id="verified"', 1)[1]
    assert "Nguyên liệu từ xã: 70 %" in verified
    assert "Lao động địa phương: 11/12 người" in verified
    assert "chủ thể khai: 80% trong xã" in page.text
    assert "Chủ thể khai: 10 / 12" in page.text
    assert 'id="commune-report"' in page.text
    assert download.status_code == 200
    assert download.content == b"PK-report"
    assert f"/admin/dossiers/{seeded.xop}" in found.text  # no accents typed
    assert f"/admin/dossiers/{wine}" in ruou.text  # "ruou" finds "Rượu"
    assert f"/admin/dossiers/{seeded.xop}" not in ruou.text
    other = await login(admin_url, "hanoi")
    try:
        refused = await other.get(f"/admin/dossiers/{seeded.xop}/commune-report")
    finally:
        await other.aclose()
    assert refused.status_code == 404


def test_every_action_written_in_the_code_is_a_member() -> None:
    """Actions are defined once: an action string written anywhere is an
    :class:`~bot.audit.AuditAction` (so it has its sentence)."""
    root = Path(audit.__file__).parent
    written: set[str] = set()
    for source in root.rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        written.update(re.findall(r'action="([a-z_]+\.[a-z_]+)"', text))
        written.update(
            re.findall(r'_audit\(\s*(?:[\w.]+,\s*){1,2}"([a-z_]+\.[a-z_]+)"', text, re.DOTALL)
        )
    assert len(written) >= 15
    assert written <= {action.value for action in audit.AuditAction}
