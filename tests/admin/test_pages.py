"""The admin pages over real HTTP: login, CSRF, login delays, council scores, certificates,
revocation, exports and the scope of commune accounts."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import httpx
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.admin import exports
from bot.db.models import (
    AuditEntry,
    Certificate,
    Dossier,
    DossierItem,
    EvaluationResult,
    OutboxMessage,
    Product,
    Subject,
)
from handlers.communes import communes_of_province
from ocop_rules import certificate_expiry
from tests.admin.conftest import DECISION, PASSWORD, SON_HA, XOP, Seeded, csrf, login


async def test_pages_need_a_session_and_login_rejects_wrong_passwords(
    admin_url: str, seeded: Seeded
) -> None:
    async with httpx.AsyncClient(base_url=admin_url) as client:
        response = await client.get(f"/admin/dossiers/{seeded.xop}")
        assert response.status_code == 303
        assert response.headers["location"].startswith("/admin/login?next=%2Fadmin%2Fdossiers")
        page = await client.get("/admin/login")
        token = csrf(page.text)
        wrong = await client.post(
            "/admin/login", data={"username": "tinh51", "password": "sai", "csrf_token": token}
        )
        assert wrong.status_code == 401
        assert "không đúng" in wrong.text
        forged = await client.post(
            "/admin/login", data={"username": "tinh51", "password": PASSWORD, "csrf_token": "x"}
        )
        assert forged.status_code == 403
        assert "ocop_admin" not in forged.cookies


async def test_wrong_passwords_make_the_next_try_wait_not_other_accounts(admin_url: str) -> None:
    async with httpx.AsyncClient(base_url=admin_url) as client:
        token = csrf((await client.get("/admin/login")).text)
        codes = [
            (
                await client.post(
                    "/admin/login",
                    data={"username": "tinh51", "password": f"sai{n}", "csrf_token": token},
                )
            ).status_code
            for n in range(6)
        ]
        assert codes == [401] * 5 + [429]
        right = await client.post(
            "/admin/login", data={"username": "tinh51", "password": PASSWORD, "csrf_token": token}
        )
        assert right.status_code == 429  # even the right password waits (a second, growing)
    signed_in = await login(admin_url, "xaxop")  # other usernames do not wait
    await signed_in.aclose()


async def test_session_cookie_is_httponly_and_strict(admin_url: str) -> None:
    async with httpx.AsyncClient(base_url=admin_url) as client:
        token = csrf((await client.get("/admin/login")).text)
        response = await client.post(
            "/admin/login", data={"username": "tinh51", "password": PASSWORD, "csrf_token": token}
        )
    cookie = response.headers["set-cookie"].lower()
    assert "ocop_admin=" in cookie
    assert "httponly" in cookie
    assert "samesite=strict" in cookie


async def test_the_pages_never_issue_five_stars_from_a_provincial_score(
    admin_url: str, seeded: Seeded, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    client = await login(admin_url, "tinh51")
    token = csrf((await client.get(f"/admin/dossiers/{seeded.xop}")).text)
    saved = await client.post(
        f"/admin/dossiers/{seeded.xop}/scores",
        data={"csrf_token": token, "member": ["Ông A", "Bà B"], "score": ["91", "93"]},
        follow_redirects=True,
    )
    assert "đề nghị Bộ đánh giá" in saved.text
    saved = await client.post(
        f"/admin/dossiers/{seeded.xop}/publish",
        data={"csrf_token": token, **DECISION},
        follow_redirects=True,
    )
    assert "Đề nghị Bộ Nông nghiệp và Môi trường đánh giá" in saved.text
    assert "Cấp giấy chứng nhận" not in saved.text  # no form to issue from this score
    assert 'id="central-step"' in saved.text
    forged = await client.post(  # the form's fields sent anyway
        f"/admin/dossiers/{seeded.xop}/certificate",
        data={
            "csrf_token": token,
            "number": "51-2026-090",
            "decision_number": "90/QĐ-BNNMT",
            "issued_on": "2026-11-20",
        },
        follow_redirects=True,
    )
    await client.aclose()
    assert "Chỉ cấp chứng nhận cho hồ sơ đã công bố kết quả" in forged.text
    async with sessionmaker() as session:
        dossier = await session.get(Dossier, seeded.xop)
        certificates = (await session.scalars(select(Certificate))).all()
    assert dossier is not None
    assert dossier.status == "proposed_to_central"
    assert certificates == []


async def test_council_scores_give_stars_and_routing_then_a_certificate(
    admin_url: str, seeded: Seeded, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    client = await login(admin_url, "tinh51")
    page = await client.get(f"/admin/dossiers/{seeded.xop}")
    assert page.status_code == 200
    assert "Mật ong Xốp" in page.text
    token = csrf(page.text)
    saved = await client.post(
        f"/admin/dossiers/{seeded.xop}/scores",
        data={
            "csrf_token": token,
            "member": ["Ông A", "Bà B", "Ông C", ""],
            "score": ["78", "81,5", "75", ""],
        },
        follow_redirects=True,
    )
    assert 'id="average">78.17<' in saved.text
    assert 'id="stars">4 sao<' in saved.text
    published = await client.post(
        f"/admin/dossiers/{seeded.xop}/publish",
        data={"csrf_token": token, **DECISION},
        follow_redirects=True,
    )
    assert "cấp công nhận: UBND tỉnh" in published.text
    issued = await client.post(
        f"/admin/dossiers/{seeded.xop}/certificate",
        data={
            "csrf_token": token,
            "number": "51-2026-017",
            "decision_number": "1234/QĐ-UBND",
            "issued_on": "2026-11-20",
        },
        follow_redirects=True,
    )
    assert "Đã cấp giấy chứng nhận 51-2026-017" in issued.text
    assert "20/11/2029" in issued.text
    await client.aclose()
    async with sessionmaker() as session:
        dossier = await session.get(Dossier, seeded.xop)
        certificate = await session.scalar(select(Certificate))
        result = await session.scalar(select(EvaluationResult))
        kinds = set(await session.scalars(select(OutboxMessage.kind)))
        actions = list(
            await session.scalars(
                select(AuditEntry.action).where(AuditEntry.entity_id == str(seeded.xop))
            )
        )
    assert dossier is not None
    assert dossier.status == "certified"
    assert result is not None
    assert (str(result.average_score), result.stars, result.certifying_level) == (
        "78.17",
        4,
        "province",
    )
    assert certificate is not None
    assert certificate.expires_on == certificate_expiry(date(2026, 11, 20))
    assert certificate.issuing_authority == "UBND tỉnh Quảng Ngãi"
    assert kinds == {"council_result", "certificate_issued"}
    assert actions.count("dossier.status") == 2
    assert {"council.scores", "council.publish", "certificate.issue"} <= set(actions)


async def test_members_more_than_ten_points_apart_get_a_warning_and_no_result(
    admin_url: str, seeded: Seeded, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    client = await login(admin_url, "tinh51")
    token = csrf((await client.get(f"/admin/dossiers/{seeded.xop}")).text)
    page = await client.post(
        f"/admin/dossiers/{seeded.xop}/scores",
        data={"csrf_token": token, "member": ["A", "B"], "score": ["60", "75"]},
        follow_redirects=True,
    )
    await client.aclose()
    assert 'id="spread-warning"' in page.text
    assert "chấm lại" in page.text
    async with sessionmaker() as session:
        dossier = await session.get(Dossier, seeded.xop)
        assert await session.scalar(select(EvaluationResult)) is None
        assert await session.scalar(select(OutboxMessage)) is None
    assert dossier is not None
    assert dossier.status == "submitted_for_evaluation"


async def test_revoking_needs_a_ground_and_tells_the_producer(
    admin_url: str, seeded: Seeded, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    client = await login(admin_url, "tinh51")
    token = csrf((await client.get(f"/admin/dossiers/{seeded.xop}")).text)
    await client.post(
        f"/admin/dossiers/{seeded.xop}/scores",
        data={"csrf_token": token, "member": ["A", "B"], "score": ["66", "70"]},
    )
    await client.post(
        f"/admin/dossiers/{seeded.xop}/publish", data={"csrf_token": token, **DECISION}
    )
    certificate = {"number": "7", "decision_number": "9/QĐ", "issued_on": "2026-11-20"}
    await client.post(
        f"/admin/dossiers/{seeded.xop}/certificate", data={"csrf_token": token, **certificate}
    )
    async with sessionmaker() as session:
        certificate_id = await session.scalar(select(Certificate.id))
    groundless = await client.post(
        f"/admin/certificates/{certificate_id}/revoke",
        data={"csrf_token": token, "reason": "Không tái đánh giá", "revoked_on": "2026-11-25"},
        follow_redirects=True,
    )
    assert "Hãy chọn căn cứ thu hồi" in groundless.text
    done = await client.post(
        f"/admin/certificates/{certificate_id}/revoke",
        data={
            "csrf_token": token,
            "ground": "production_stopped",
            "revoked_on": "2026-11-25",
            "reason": "Không tái đánh giá đúng hạn",
        },
        follow_redirects=True,
    )
    assert "Đã thu hồi" in done.text
    assert "không còn sản xuất sản phẩm, từ 25/11/2026" in done.text
    await client.aclose()
    async with sessionmaker() as session:
        certificate = await session.get(Certificate, certificate_id)
        dossier = await session.get(Dossier, seeded.xop)
        revoked = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.kind == "certificate_revoked")
        )
    assert certificate is not None
    assert certificate.status == "revoked"
    assert dossier is not None
    assert dossier.status == "revoked"
    assert revoked is not None
    assert revoked.payload["reason"] == "Không tái đánh giá đúng hạn"
    assert revoked.payload["ground"] == "production_stopped"
    assert (certificate.revocation_ground, certificate.revoked_on) == (
        "production_stopped",
        date(2026, 11, 25),
    )


async def test_a_commune_account_sees_only_its_commune(admin_url: str, seeded: Seeded) -> None:
    client = await login(admin_url, "xaxop")
    own = await client.get(f"/admin/dossiers/{seeded.xop}")
    other = await client.get(f"/admin/dossiers/{seeded.son_ha}")
    elsewhere = await client.get(f"/admin/dossiers/{seeded.ha_noi}")
    listed = await client.get("/admin/dossiers")
    tampered = await client.get("/admin/dossiers", params={"commune": SON_HA})
    export = await client.get("/admin/export/dossiers.csv", params={"commune": SON_HA})
    token = csrf(own.text)
    scoring = await client.post(
        f"/admin/dossiers/{seeded.xop}/scores",
        data={"csrf_token": token, "member": ["A"], "score": ["80"]},
        follow_redirects=True,
    )
    await client.aclose()
    assert own.status_code == 200
    assert (other.status_code, elsewhere.status_code) == (404, 404)
    assert "Chè Sơn Hà" not in other.text
    assert "Mật ong Xốp" in listed.text
    assert "Chè Sơn Hà" not in listed.text
    assert "Hồ sơ (0)" in tampered.text
    assert export.text.count("\n") == 1  # the header only
    assert "Chỉ cán bộ cấp tỉnh" in scoring.text


async def test_a_province_account_filters_within_its_province(
    admin_url: str, seeded: Seeded
) -> None:
    client = await login(admin_url, "tinh51")
    both = await client.get("/admin/dossiers")
    one = await client.get("/admin/dossiers", params={"commune": SON_HA})
    by_status = await client.get("/admin/dossiers", params={"status": "certified"})
    elsewhere = await client.get(f"/admin/dossiers/{seeded.ha_noi}")
    dashboard = await client.get("/admin")
    await client.aclose()
    assert "Hồ sơ (2)" in both.text
    assert "Bánh cốm" not in both.text
    assert "Hồ sơ (1)" in one.text
    assert "Chè Sơn Hà" in one.text
    assert "Hồ sơ (0)" in by_status.text
    assert elsewhere.status_code == 404
    assert "tỉnh Quảng Ngãi" in dashboard.text


async def test_exports_have_vietnamese_headers(admin_url: str, seeded: Seeded) -> None:
    client = await login(admin_url, "tinh51")
    xlsx = await client.get("/admin/export/dossiers.xlsx")
    csv_file = await client.get("/admin/export/certificates.csv")
    reports = await client.get("/admin/export/commune_reports.xlsx")
    await client.aclose()
    sheet = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("Mã hồ sơ", "Sản phẩm", "Mã đăng ký", "Chủ thể")
    assert {row[1] for row in rows[1:]} == {"Mật ong Xốp", "Chè Sơn Hà"}
    assert "attachment" in xlsx.headers["content-disposition"]
    assert csv_file.content.startswith("\ufeffSản phẩm,Chủ thể,Xã,Số sao".encode())
    assert reports.status_code == 200


async def test_invites_are_created_for_communes_in_scope_only(
    admin_url: str, seeded: Seeded
) -> None:
    client = await login(admin_url, "xaxop")
    page = await client.get("/admin/invites")
    token = csrf(page.text)
    created = await client.post(
        "/admin/invites", data={"csrf_token": token, "commune": XOP, "name": "Chị Hoa"}
    )
    refused = await client.post(
        "/admin/invites",
        data={"csrf_token": token, "commune": SON_HA},
        follow_redirects=True,
    )
    listed = await client.get("/admin/invites")
    await client.aclose()
    assert 'id="invite-code"' in created.text
    assert "không thuộc phạm vi" in refused.text
    assert listed.text.count("đang chờ") == 1


async def test_import_page_dry_run_lists_old_commune_names_and_errors_then_imports(
    admin_url: str, seeded: Seeded, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    listing = (
        "Tên sản phẩm;Chủ thể;Xã;Huyện;Nhóm;Số sao;Số quyết định;Ngày quyết định\n"
        "Mật ong;HTX Đức Hòa;Xã Đức Hòa;Huyện Mộ Đức;Thực phẩm;4;12/QĐ;01/02/2024\n"
        "Quế;HTX Trà Bùi;Xã Trà Bùi;Huyện Trà Bồng;Dược liệu;4;15/QĐ;01/02/2024\n"
    ).encode("utf-8-sig")
    client = await login(admin_url, "tinh51")
    try:
        token = csrf((await client.get("/admin/import")).text)

        async def send(mode: str, show: str = "") -> httpx.Response:
            return await client.post(
                "/admin/import",
                data={"csrf_token": token, "mode": mode, "show": show},
                files={"file": ("danh-sach.csv", listing, "text/csv")},
            )

        checked = await send("check")
        assert checked.status_code == 200
        assert "Kết quả kiểm tra thử" in checked.text
        assert "Tên xã cũ đã đổi: 1" in checked.text
        assert "Mới: 1" in checked.text
        errors_only = await send("check", "error")
        assert "Lỗi: 1 dòng" in errors_only.text
        assert "Xã Đức Hòa, Huyện Mộ Đức → Xã Mộ Đức" not in errors_only.text
        download = await send("report", "error")
        assert download.headers["content-type"].startswith(exports.XLSX)
        sheet = load_workbook(io.BytesIO(download.content)).worksheets[0]
        assert [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["Lỗi"]
        assert "Xã Đức Hòa, Huyện Mộ Đức → Xã Mộ Đức" in checked.text
        assert "nay thuộc 2 xã (Xã Cà Đam, Xã Tây Trà Bồng)" in checked.text
        async with sessionmaker() as session:
            assert await session.scalar(select(Product).where(Product.name == "Mật ong")) is None
        imported = await send("import")
        assert imported.status_code == 200
        assert "1 sản phẩm mới" in imported.text
    finally:
        await client.aclose()
    async with sessionmaker() as session:
        product = await session.scalar(select(Product).where(Product.name == "Mật ong"))
        assert product is not None
        subject = await session.get(Subject, product.subject_id)
        assert subject is not None
        (mo_duc,) = [c for c in communes_of_province("51") if c.name == "Xã Mộ Đức"]
        assert subject.commune_code == mo_duc.code


async def test_pages_and_exports_speak_vietnamese_and_local_time(
    admin_url: str, seeded: Seeded, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """No stored code ("have", "ok") on a page, and every time in the office's clock: a
    change at 01:30 UTC is 08:30 in Vietnam, on the page and in the spreadsheet."""
    async with sessionmaker() as session, session.begin():
        dossier = await session.get_one(Dossier, seeded.xop)
        dossier.status_changed_at = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
        session.add(
            DossierItem(
                dossier_id=seeded.xop,
                requirement_code="business_registration",
                state="have",
                officer_check="ok",
            )
        )
    client = await login(admin_url, "tinh51")
    listed = (await client.get("/admin/dossiers")).text
    page = (await client.get(f"/admin/dossiers/{seeded.xop}")).text
    xlsx = await client.get("/admin/export/dossiers.xlsx")
    await client.aclose()
    assert "02/03/2026 08:30" in listed
    assert "01:30" not in listed
    assert ">Đã có" in page
    assert ">Đủ<" in page
    assert ">have" not in page
    assert ">ok<" not in page
    rows = list(load_workbook(io.BytesIO(xlsx.content)).worksheets[0].iter_rows(values_only=True))
    column = rows[0].index("Cập nhật")
    changed = [row[column] for row in rows[1:] if row[1] == "Mật ong Xốp"]
    assert changed == [datetime(2026, 3, 2, 8, 30, tzinfo=UTC).replace(tzinfo=None)]  # wall clock
