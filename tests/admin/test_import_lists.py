"""Imports of lists as districts really print them (issue #23 item 1), re-certifications in
a list (issue #20 item 6) and who a 5★ row says certified it (QĐ 26, Điều 4.1.b)."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.admin import importer
from bot.admin.scope import Scope
from bot.db.models import AuditEntry, Certificate, Product, Subject
from tests.test_officer import audit

KHANH_HOA = Scope.parse("province:56")  # Ninh Sơn district (Ninh Thuận) is Khánh Hòa's now
HEADER = ["STT", "Tên sản phẩm", "Tên chủ thể", "Xã, thị trấn", "Nhóm sản phẩm", "Hạng sao",
          "Năm công nhận", "Quyết định"]  # fmt: skip


def ninh_son_list() -> bytes:
    """The district's list typed as its plan prints it: a title, group headings, merged
    commune/subject/decision cells, year-only dates, "(2 sản phẩm)", numbered variants."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    rows: list[list[object]] = [
        ["DANH SÁCH SẢN PHẨM OCOP HUYỆN NINH SƠN"],
        [],
        HEADER,
        ["I", "Nhóm thực phẩm"],
        [1, "Dưa lưới (2 sản phẩm)", "HTX Nông nghiệp Lâm Sơn", "Lâm Sơn", None, "3 sao", 2022,
         "1234/QĐ-UBND"],
        [2, "Nho sấy", None, None, None, "3 sao", None, None],
        [3, "Mật ong rừng Ma Nới", "Tổ hợp tác ong Ma Nới", "Ma Nới", "Mật ong…", "4 sao",
         "12/5/2023", "56/QĐ-UBND"],
        [4, "Tỏi Nhơn Sơn", "Hộ bà Lê Thị Hoa", "Nhơn Sơn", "Nhóm thực phẩm", "5 sao", 2024,
         "100/QĐ-UBND"],
        [5, "Bánh tráng", "Hộ ông Pi Năng Ba", "Hòa Sơn", "Nhóm hàng khác", "3 sao", 2024,
         "101/QĐ-UBND"],
        [6, "Mứt nho", "Hộ ông Trần Văn Bảy", "Lâm Sơn", "Nhóm thực phẩm", "2 sao", 2024,
         "102/QĐ-UBND"],
        ["II", "Đồ uống có cồn"],
        [7, "Rượu nếp Quảng Sơn", "Cơ sở rượu Quảng Sơn", "Quảng Sơn", "Rượu", 3, "Năm 2021",
         "88/QĐ-UBND"],
        [8, "Rượu vang nho", "Công ty TNHH Vang Ninh Sơn", "TT Tân Sơn", None, "★★★★", 2024,
         "Số 99/QĐ-UBND ngày 3/8/2024"],
        ["III", "Nhóm dược liệu"],
        [9, "1. Nấm linh chi khô; 2. Nấm linh chi thái lát", "HTX Nấm Mỹ Sơn", "Mỹ Sơn", None,
         "3 sao", 2023, "77/QĐ-UBND"],
    ]  # fmt: skip
    for row in rows:
        sheet.append(row)
    # Lines 5 and 6: one subject, one commune, one decision, printed as merged cells.
    for column in ("C", "D", "G", "H"):
        sheet.merge_cells(f"{column}5:{column}6")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def _counts(session: AsyncSession) -> tuple[int, int, int]:
    return (
        await session.scalar(select(func.count()).select_from(Product)) or 0,
        await session.scalar(select(func.count()).select_from(Subject)) or 0,
        await session.scalar(select(func.count()).select_from(Certificate)) or 0,
    )


async def test_the_ninh_son_list_as_printed_imports_row_by_row_and_once(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    content = ninh_son_list()
    rows, report = importer.check_rows(content, "ninh-son.xlsx", KHANH_HOA)
    assert report.rows == 9  # the three group headings are not products
    accepted = {(r.line, r.product): r for r in rows}
    assert sorted(accepted) == [
        (5, "Dưa lưới – sản phẩm 1"),
        (5, "Dưa lưới – sản phẩm 2"),
        (6, "Nho sấy"),
        (7, "Mật ong rừng Ma Nới"),
        (12, "Rượu nếp Quảng Sơn"),
        (13, "Rượu vang nho"),
        (15, "Nấm linh chi khô"),
        (15, "Nấm linh chi thái lát"),
    ]
    nho = accepted[(6, "Nho sấy")]  # merged cells carried down from line 5
    assert (nho.subject, nho.commune.name, nho.decision_number) == (
        "HTX Nông nghiệp Lâm Sơn", "Xã Lâm Sơn", "1234/QĐ-UBND"
    )  # fmt: skip
    assert (nho.group, nho.decision_date, nho.year_only) == ("food", date(2022, 1, 1), True)
    honey = accepted[(7, "Mật ong rừng Ma Nới")]
    assert (honey.product_set, honey.decision_date, honey.year_only) == (
        4,
        date(2023, 5, 12),
        False,
    )
    wine = accepted[(13, "Rượu vang nho")]
    assert (wine.group, wine.product_set, wine.stars) == (
        "drink",
        15,
        4,
    )  # heading "Đồ uống có cồn"
    assert (wine.decision_number, wine.decision_date) == ("99/QĐ-UBND", date(2024, 8, 3))
    assert wine.commune.name == "Xã Ninh Sơn"  # thị trấn Tân Sơn, huyện Ninh Sơn before 2025
    assert accepted[(12, "Rượu nếp Quảng Sơn")].product_set == 14  # Rượu + "nếp": Rượu trắng
    assert accepted[(12, "Rượu nếp Quảng Sơn")].commune.province_code == "56"  # not Lâm Đồng's
    assert accepted[(15, "Nấm linh chi khô")].group == "herbal"

    errors = dict(report.errors)
    assert sorted(errors) == [8, 9, 10]
    assert "5 sao do Bộ Nông nghiệp và Môi trường công nhận" in errors[8]
    assert "ghi số quyết định của Bộ" in errors[8]
    assert "“Nhóm hàng khác” không có trong các nhóm OCOP" in errors[9]
    assert "Thực phẩm, Đồ uống" in errors[9]  # the accepted groups are listed
    assert "Đồ uống có cồn" in errors[9]
    assert "Mật ong" in errors[9]
    assert "chỉ công nhận 3, 4 hoặc 5 sao" in errors[10]

    async with sessionmaker() as session:
        await importer.dry_run(session, rows, report)
    counts = report.counts()
    assert (counts["new"], counts["error"], counts["year_only"], counts["split"]) == (8, 3, 6, 4)
    assert counts["renamed"] >= 3  # Ma Nới, Quảng Sơn, TT Tân Sơn are old names
    assert [item.line for item in report.shown("error")] == [8, 9, 10]
    assert "chỉ có năm 2022: tính từ 01/01/2022" in report.shown("year_only")[0].detail
    header, table = importer.report_table(report, "error")
    assert header[:3] == ["Dòng", "Kết quả", "Sản phẩm hoặc lý do"]
    assert len(table) == 3

    async with sessionmaker() as session, session.begin():
        done = await importer.import_rows(session, rows, report, KHANH_HOA, "staff:kh", _now())
    assert (done.created_products, done.created_subjects, done.renewed) == (8, 5, 0)
    async with sessionmaker() as session:
        first = await _counts(session)
    assert first == (8, 5, 8)

    again_rows, again = importer.check_rows(content, "ninh-son.xlsx", KHANH_HOA)
    async with sessionmaker() as session, session.begin():
        second = await importer.import_rows(
            session, again_rows, again, KHANH_HOA, "staff:kh", _now()
        )
    assert (second.created_products, second.renewed, second.already_present) == (0, 0, 8)
    async with sessionmaker() as session:
        assert await _counts(session) == first
        imports = await session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "import.products")
        )
    assert imports == 1  # a second import that changes nothing records nothing


def _now() -> datetime:
    return datetime(2026, 12, 3, 9, tzinfo=UTC)


def _csv(*rows: str) -> bytes:
    header = "Tên sản phẩm;Chủ thể;Xã;Nhóm;Số sao;Số quyết định;Ngày quyết định;Cấp công nhận"
    return "\n".join((header, *rows)).encode("utf-8-sig")


QUANG_NGAI = Scope.parse("province:51")


async def test_a_newer_decision_renews_the_product_and_supersedes_its_certificate(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    first = _csv("Mật ong rừng;HTX Mật ong Xốp;Xã Xốp;Thực phẩm;3;12/QĐ-UBND;01/02/2021;")
    rows, report = importer.check_rows(first, "2021.csv", QUANG_NGAI)
    async with sessionmaker() as session, session.begin():
        await importer.import_rows(session, rows, report, QUANG_NGAI, "staff:t", _now())
    renewed = _csv(
        "Mật ong rừng;HTX Mật ong Xốp;Xã Xốp;Thực phẩm;4;88/QĐ-UBND;15/03/2024;",
        "Mật ong rừng;HTX Mật ong Xốp;Xã Xốp;Thực phẩm;3;12/QĐ-UBND;01/02/2021;",
    )
    rows, report = importer.check_rows(renewed, "2024.csv", QUANG_NGAI)
    async with sessionmaker() as session:
        await importer.dry_run(session, rows, report)
    assert [item.outcome for item in report.lines] == [
        importer.RowOutcome.RENEWAL,
        importer.RowOutcome.PRESENT,
    ]
    async with sessionmaker() as session, session.begin():
        done = await importer.import_rows(session, rows, report, QUANG_NGAI, "staff:t", _now())
    assert (done.created_products, done.renewed) == (0, 1)
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Product)) == 1
        certificates = (
            await session.execute(
                select(
                    Certificate.id,
                    Certificate.stars,
                    Certificate.status,
                    Certificate.expires_on,
                    Certificate.superseded_by_id,
                ).order_by(Certificate.issued_on)
            )
        ).all()
    (_, *old), (new_id, *new) = certificates
    assert old == [3, importer.SUPERSEDED, date(2024, 2, 1), new_id]  # it says what renewed it
    assert new == [4, "valid", date(2027, 3, 15), None]
    audited = await audit(sessionmaker, "import.products")
    assert [(entry.after or {}).get("superseded") for entry in audited] == [0, 1]
    rows, report = importer.check_rows(renewed, "2024.csv", QUANG_NGAI)
    async with sessionmaker() as session, session.begin():
        again = await importer.import_rows(session, rows, report, QUANG_NGAI, "staff:t", _now())
    assert (again.created_products, again.renewed, again.already_present) == (0, 0, 2)
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Certificate)) == 2


async def test_one_list_with_a_product_and_its_re_certification(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    content = _csv(
        "Chè xanh;HTX Chè Sơn Hà;Xã Sơn Hà;Thực phẩm;4;30/QĐ-UBND;01/06/2024;",
        "Chè xanh;HTX Chè Sơn Hà;Xã Sơn Hà;Thực phẩm;3;10/QĐ-UBND;01/06/2021;",
    )
    rows, report = importer.check_rows(content, "list.csv", QUANG_NGAI)
    async with sessionmaker() as session, session.begin():
        done = await importer.import_rows(session, rows, report, QUANG_NGAI, "staff:t", _now())
    assert (done.created_products, done.renewed) == (1, 1)
    async with sessionmaker() as session:
        statuses = (
            await session.execute(
                select(
                    Certificate.id,
                    Certificate.decision_number,
                    Certificate.status,
                    Certificate.superseded_by_id,
                ).order_by(Certificate.issued_on)
            )
        ).all()
    (_, *older), (newer_id, *newer) = statuses
    assert older == ["10/QĐ-UBND", importer.SUPERSEDED, newer_id]  # the list's own renewal
    assert newer == ["30/QĐ-UBND", "valid", None]


async def test_a_five_star_row_is_the_ministrys_only_when_it_says_so(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    content = _csv(
        "Mật ong A;HTX A;Xã Xốp;Thực phẩm;5;1234/QĐ-BNN-KTHT;01/02/2024;",
        "Mật ong B;HTX B;Xã Xốp;Thực phẩm;5 sao;55;01/02/2024;Bộ Nông nghiệp và PTNT",
        "Mật ong C;HTX C;Xã Xốp;Thực phẩm;5;77/QĐ-UBND;01/02/2024;",
        "Mật ong D;HTX D;Xã Xốp;Thực phẩm;5;78/QĐ-UBND;01/02/2024;UBND tỉnh",
    )
    rows, report = importer.check_rows(content, "list.csv", QUANG_NGAI)
    assert [r.product for r in rows] == ["Mật ong A", "Mật ong B"]
    assert sorted(dict(report.errors)) == [4, 5]
    async with sessionmaker() as session, session.begin():
        await importer.import_rows(session, rows, report, QUANG_NGAI, "staff:t", _now())
    async with sessionmaker() as session:
        issuers = set(
            (
                await session.execute(
                    select(Certificate.issuing_level, Certificate.issuing_authority)
                )
            ).all()
        )
    assert issuers == {("central", "Bộ Nông nghiệp và Môi trường")}


def test_the_report_downloads_as_xlsx() -> None:
    _rows, report = importer.check_rows(ninh_son_list(), "ninh-son.xlsx", KHANH_HOA)
    content = importer.report_xlsx(report, "")
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][:2] == ["Dòng", "Kết quả"]
    assert [row[0] for row in values[1:] if row[1] == "Lỗi"] == [8, 9, 10]
