"""The audit log staff can read (issue #23 item 2): every action recorded once, found by
person, dossier, product, commune and day, said in Vietnamese sentences."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import audit, questions
from bot.admin.scope import Scope
from bot.db.models import (
    AuditEntry,
    Certificate,
    CommuneAssessment,
    CommuneCriterionAssessment,
    Document,
    Dossier,
    EvaluationRound,
    OfficerInvite,
    Product,
    StaffAccount,
)
from handlers.reports import DOCX
from tests.admin.conftest import (
    DECISION,
    PASSWORD,
    XOP,
    Seeded,
    api_token,
    csrf,
    login,
    seed_dossier,
)
from tests.admin.test_cli_admin import run_ocop_bot


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


async def found_in_audit(client: httpx.AsyncClient, **params: str) -> list[str]:
    """The sentences /admin/audit shows the signed-in clerk for ``params``, newest first."""
    page = await client.get("/admin/audit", params=params)
    assert page.status_code == 200
    body = page.text.split('id="audit"', 1)[1]
    return [
        re.sub(r"<[^>]+>", "", cell).strip()
        for cell in re.findall(r"<tr><td>[^<]*</td><td>(.*?)</td>", body)
    ]


async def test_staff_actions_are_found_in_words_once(
    admin_url: str,
    database_url: str,
    seeded: Seeded,
    sessionmaker: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every staff action of issue #23 — logins and logouts, imports, scores, publications,
    certificates issued and revoked, rounds added, changed and removed, invites made and
    revoked, announcements, answers, accounts made and tokens issued — done through the
    pages and the command line, is found once in words by the province, and by a commune
    account when it is of that commune."""
    new_account = ("admin", "create-user", "thuky51", "--scope", "province:51")
    password = PASSWORD + "\n"
    assert (
        await run_ocop_bot(
            monkeypatch, database_url, *new_account, "--password-stdin", stdin=password
        )
        == 0
    )
    assert await run_ocop_bot(monkeypatch, database_url, "admin", "token", "thuky51") == 0
    clerk = await login(admin_url, "thuky51")
    logout = await clerk.post(
        "/admin/logout", data={"csrf_token": csrf((await clerk.get("/admin")).text)}
    )
    assert logout.status_code == 303
    await clerk.aclose()
    async with sessionmaker() as session, session.begin():
        asked = await questions.ask(
            session,
            person_id=seeded.owner,
            body="Xã có hỗ trợ in tem không?",
            now=datetime.now(UTC),
        )
        thuky = await session.scalar(
            select(StaffAccount.id).where(StaffAccount.username == "thuky51")
        )
    assert asked is not None
    commune = await login(admin_url, "xaxop")
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
        async with sessionmaker() as session:
            invite = await session.scalar(select(OfficerInvite.id))
        await client.post(f"/admin/invites/{invite}/revoke", data={"csrf_token": token})
        dossier = f"/admin/dossiers/{seeded.xop}"
        await client.post(
            f"{dossier}/scores",
            data={"csrf_token": token, "member": ["Ông A", "Bà B"], "score": ["75", "77"]},
        )
        await client.post(f"{dossier}/publish", data={"csrf_token": token, **DECISION})
        await client.post(
            f"{dossier}/certificate",
            data={
                "csrf_token": token,
                "number": "51-2026-017",
                "decision_number": "1234/QĐ-UBND",
                "issued_on": "2026-11-20",
            },
        )
        round_form = {
            "csrf_token": token,
            "opens_on": "2027-03-01",
            "registration_deadline": "2027-04-01",
        }
        await client.post("/admin/rounds", data={**round_form, "name": "Đợt 1 năm 2027"})
        async with sessionmaker() as session:
            round_id = await session.scalar(select(EvaluationRound.id))
        await client.post(
            f"/admin/rounds/{round_id}",
            data={
                **round_form,
                "name": "Đợt 1 năm 2027 (dời)",
                "registration_deadline": "2027-04-15",
            },
        )
        await client.post(f"/admin/rounds/{round_id}/remove", data={**round_form, "confirm": "yes"})
        announced = {"csrf_token": token, "body": "Hội chợ OCOP ngày 20/12", "action": "send"}
        assert (await client.post("/admin/announcements", data=announced)).status_code == 303
        page = await commune.get("/admin/announcements")
        by_commune_form = {**announced, "csrf_token": csrf(page.text), "body": "Tập huấn ở xã"}
        assert (await commune.post("/admin/announcements", data=by_commune_form)).status_code == 303
        answered = await client.post(
            f"/admin/inbox/{asked.question_id}/answer",
            data={"csrf_token": token, "answer": "Có, xã hỗ trợ một nửa."},
        )
        assert answered.status_code == 303

        everything = await found_in_audit(client)
        xop = seeded.xop
        for words in (
            "Quản trị viên (dòng lệnh) tạo tài khoản cán bộ “thuky51” (tỉnh Quảng Ngãi).",
            f"Quản trị viên (dòng lệnh) cấp mã API mới cho tài khoản cán bộ số {thuky}.",
            "Cán bộ thuky51 đăng nhập trang quản trị.",
            "Cán bộ thuky51 đăng xuất khỏi trang quản trị.",
            "Cán bộ tinh51 đăng nhập trang quản trị.",
            "Cán bộ tinh51 nhập danh sách sản phẩm OCOP: 1 dòng, 1 sản phẩm mới",
            f"Cán bộ tinh51 thu hồi giấy chứng nhận số {certificate_id}, căn cứ: không còn",
            "Cán bộ tinh51 tạo lời mời cán bộ xã cho Xã Xốp, tỉnh Quảng Ngãi",
            f"Cán bộ tinh51 hủy lời mời cán bộ xã số {invite} (Xã Xốp, tỉnh Quảng Ngãi).",
            f"Cán bộ tinh51 ghi điểm hội đồng cho hồ sơ số {xop}: trung bình 76",
            f"Cán bộ tinh51 công bố kết quả của hội đồng cho hồ sơ số {xop}: 76.00 điểm, 4 sao "
            "(quyết định 15/QĐ-UBND ngày 15/11/2026).",
            "Cán bộ tinh51 cấp giấy chứng nhận 4 sao số 51-2026-017 (quyết định 1234/QĐ-UBND, "
            f"ngày 20/11/2026) cho hồ sơ số {xop}, hiệu lực đến 20/11/2029.",
            "Cán bộ tinh51 thêm đợt đánh giá “Đợt 1 năm 2027”.",
            "Cán bộ tinh51 sửa đợt đánh giá “Đợt 1 năm 2027 (dời)”",
            "Cán bộ tinh51 xóa đợt đánh giá “Đợt 1 năm 2027 (dời)”.",
            "Cán bộ tinh51 gửi thông báo tới 1 người.",  # the province's one owner
            "Cán bộ xaxop gửi thông báo tới 1 người.",
            f"Cán bộ tinh51 trả lời câu hỏi số {asked.question_id} của chủ thể.",
        ):
            assert sum(line.startswith(words) for line in everything) == 1, (words, everything)
        assert not any("{" in line for line in everything)

        by_product = await found_in_audit(client, product="mat ong xop")  # no accents
        assert by_product
        assert all(f"hồ sơ số {seeded.xop}" in line for line in by_product)
        by_ruou = await found_in_audit(client, product="ruou")  # "Rượu nếp Xốp", no accents
        assert by_ruou == [
            f"Cán bộ tinh51 thu hồi giấy chứng nhận số {certificate_id}, căn cứ: không còn "
            "sản xuất sản phẩm. Ghi chú: Sản phẩm không còn sản xuất."
        ]
        by_commune = await found_in_audit(client, commune="xop")
        assert any("lời mời" in line for line in by_commune)
        assert any("Cán bộ xaxop gửi thông báo" in line for line in by_commune)
        assert any("trả lời câu hỏi" in line for line in by_commune)
        assert not any("đợt đánh giá" in line for line in by_commune)  # the province's
        assert not any("Cán bộ tinh51 gửi thông báo" in line for line in by_commune)
        by_dossier = await found_in_audit(client, dossier=str(seeded.xop))
        assert by_dossier
        assert all(f"hồ sơ số {seeded.xop}" in line for line in by_dossier)
        assert await found_in_audit(client, person="tinh51", action="import.") == [
            line for line in everything if "nhập danh sách" in line
        ]
        assert await found_in_audit(client, action="announcement.") == [
            line for line in everything if "gửi thông báo" in line
        ]
        assert await found_in_audit(client, day_from="2020-01-01", day_to="2020-01-31") == []
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
        seen_by_commune = await found_in_audit(commune)
    finally:
        await client.aclose()
        await commune.aclose()
    # The commune account: its own commune's entries, not the province's own.
    assert sum("Cán bộ xaxop gửi thông báo" in line for line in seen_by_commune) == 1
    assert sum("trả lời câu hỏi" in line for line in seen_by_commune) == 1
    assert sum("tạo lời mời cán bộ xã" in line for line in seen_by_commune) == 1
    assert not any("Cán bộ tinh51 gửi thông báo" in line for line in seen_by_commune)
    assert not any("đợt đánh giá" in line or "thuky51" in line for line in seen_by_commune)
    other = await login(admin_url, "hanoi")
    try:
        seen_by_hanoi = await found_in_audit(other)
    finally:
        await other.aclose()
    assert not any("tinh51" in line or "xaxop" in line for line in seen_by_hanoi)
    assert not any("thông báo" in line or "câu hỏi" in line for line in seen_by_hanoi)
    async with sessionmaker() as session:
        logins = await session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "staff.login")
        )
        lines = await audit.search_audit(
            session, Scope.parse("province:51"), audit.AuditQuery(), timezone=UTC
        )
    assert logins == 4  # thuky51, xaxop, tinh51 and hanoi, once each
    assert {line.entry.action for line in lines} >= {
        "staff.create",
        "staff.token",
        "staff.login",
        "staff.logout",
        "import.products",
        "invite.create",
        "invite.revoke",
        "council.scores",
        "council.publish",
        "certificate.issue",
        "certificate.revoke",
        "round.add",
        "round.change",
        "round.remove",
        "announcement.send",
        "question.answer",
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
