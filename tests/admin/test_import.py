"""Import of a province's published product list: dry-run report, idempotent real run,
10,000 rows well within 30 seconds."""

from __future__ import annotations

import io
import time
from datetime import UTC, date, datetime

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.admin import importer
from bot.admin.scope import Scope
from bot.db.models import Certificate, Product, Subject
from handlers.communes import communes_of_province

HEADER = ["STT", "Tên sản phẩm", "Chủ thể", "Xã", "Nhóm", "Số sao", "Số quyết định",
          "Ngày quyết định"]  # fmt: skip
PROVINCE = Scope.parse("province:51")
# Deliberately broken rows: line number in the sheet → what the report must say.
BROKEN = {
    7: ("thiếu tên sản phẩm", {"product": ""}),
    333: ("nhóm “Nhóm 9” không có", {"group": "Nhóm 9"}),
    1500: ("hạng sao “2”: chỉ công nhận 3, 4 hoặc 5 sao", {"stars": "2"}),
    # An unreadable cell is refused with the forms that are accepted.
    2500: ("hạng sao “bốn” không đọc được: ghi 3, 4 hoặc 5 (vd. “4”, “4 sao”", {"stars": "bốn"}),
    4001: (
        "ngày quyết định “31/02/2024” không đọc được: ghi ngày/tháng/năm (vd. 12/05/2022) "
        "hoặc năm (vd. 2022)",
        {"date": "31/02/2024"},
    ),
    9000: ("không tìm thấy xã “Xã Không Có”", {"commune": "Xã Không Có"}),
    9999: ("không thuộc phạm vi", {"commune": "00070"}),
}


def _workbook(rows: int) -> bytes:
    communes = communes_of_province("51")
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Danh sách")
    sheet.append(["DANH SÁCH SẢN PHẨM OCOP TỈNH QUẢNG NGÃI"])  # a title above the header
    sheet.append(HEADER)
    for n in range(1, rows + 1):
        line = n + 2
        commune = communes[n % len(communes)]
        row: dict[str, object] = {
            "product": f"Sản phẩm {n}",
            "subject": f"HTX số {n % 2500}",
            "commune": commune.name if n % 3 else commune.code,
            "group": ["Thực phẩm", "1", "Đồ uống", "dược liệu"][n % 4],
            "stars": ["3", 4, "5 sao", "4*"][n % 4],
            "date": date(2023, 1 + n % 12, 1 + n % 28) if n % 2 else "15/06/2024",
        }
        _, changes = BROKEN.get(line, ("", {}))
        row.update(changes)
        sheet.append(
            [n, row["product"], row["subject"], row["commune"], row["group"], row["stars"],
             f"{n}/QĐ-BNN-KTHT" if row["stars"] == "5 sao" else f"{n}/QĐ-UBND", row["date"]]
        )  # fmt: skip
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def _counts(session: AsyncSession) -> tuple[int, int, int]:
    return (
        await session.scalar(select(func.count()).select_from(Product)) or 0,
        await session.scalar(select(func.count()).select_from(Subject)) or 0,
        await session.scalar(select(func.count()).select_from(Certificate)) or 0,
    )


async def test_ten_thousand_rows_dry_run_then_idempotent_import(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    content = _workbook(10_000)
    started = time.perf_counter()
    rows, report = importer.check_rows(content, "ocop-quang-ngai.xlsx", PROVINCE)
    async with sessionmaker() as session:
        assert await _counts(session) == (0, 0, 0)  # the dry run wrote nothing
    assert report.rows == 10_000
    assert [line for line, _ in report.errors] == sorted(BROKEN)
    for (line, reason), expected in zip(report.errors, sorted(BROKEN), strict=True):
        assert line == expected
        assert BROKEN[line][0] in reason, (line, reason)
    assert report.valid == len(rows) == 10_000 - len(BROKEN)

    async with sessionmaker() as session, session.begin():
        done = await importer.import_rows(
            session, rows, report, PROVINCE, "test", datetime.now(UTC)
        )
    elapsed = time.perf_counter() - started
    assert elapsed < 30, f"import took {elapsed:.1f} s"
    assert (done.created_products, done.already_present) == (len(rows), 0)
    async with sessionmaker() as session:
        first = await _counts(session)
        five = await session.scalar(
            select(func.count()).select_from(Certificate).where(Certificate.stars == 5)
        )
    assert first[0] == first[2] == len(rows)
    # "HTX số k" in different communes are different subjects; each (commune, name) once.
    assert first[1] == len({(r.commune.code, r.subject) for r in rows})
    assert five == sum(1 for r in rows if r.stars == 5)

    again_rows, again = importer.check_rows(content, "ocop-quang-ngai.xlsx", PROVINCE)
    async with sessionmaker() as session, session.begin():
        second = await importer.import_rows(
            session, again_rows, again, PROVINCE, "test", datetime.now(UTC)
        )
    async with sessionmaker() as session:
        assert await _counts(session) == first
    assert (second.created_products, second.created_subjects) == (0, 0)
    assert second.already_present == len(rows)


async def test_csv_with_semicolons_and_missing_columns() -> None:
    good = "Tên sản phẩm;Chủ thể;Xã;Nhóm;Số sao;Số quyết định;Ngày quyết định\n" + (
        "Mật ong;HTX Mật ong Xốp;Xã Xốp;Thực phẩm;4;12/QĐ;01/02/2025\n"
    )
    rows, report = importer.check_rows(good.encode("utf-8-sig"), "list.csv", PROVINCE)
    assert report.errors == []
    assert rows[0].commune.code == "23356"
    assert (rows[0].group, rows[0].stars, rows[0].decision_date) == ("food", 4, date(2025, 2, 1))
    bad = "Tên sản phẩm,Chủ thể,Xã\nA,B,C\n".encode()
    expected = r"Thiếu cột: Nhóm, Hạng sao.*Tên cột được nhận.*Xã, thị trấn"
    with pytest.raises(importer.ImportFileError, match=expected):
        importer.check_rows(bad, "list.csv", PROVINCE)


def _csv(*rows: str, header: str = "Tên sản phẩm;Chủ thể;Xã;Nhóm;Số sao;Số quyết định;"
         "Ngày quyết định") -> bytes:  # fmt: skip
    return "\n".join((header, *rows)).encode("utf-8-sig")


def test_old_commune_names_are_read_as_the_commune_they_became() -> None:
    """Lists published before 1/7/2025 name communes and districts that no longer exist."""
    rows, report = importer.check_rows(
        _csv(
            "Mật ong;HTX Đức Hòa;Xã Đức Hòa;Thực phẩm;4;12/QĐ;01/02/2024",
            "Cà phê;HTX Kon Tum;Phường Trần Hưng Đạo, Thành phố Kon Tum;Đồ uống;3;13/QĐ;01/02/2024",
            "Chè;HTX Trần Hưng Đạo;Phường Trần Hưng Đạo;Đồ uống;3;14/QĐ;01/02/2024",
            "Quế;HTX Trà Bùi;Xã Trà Bùi;Dược liệu;4;15/QĐ;01/02/2024",
            "Nem;HTX Hà Nội;Phường Phúc Xá;Thực phẩm;3;16/QĐ;01/02/2024",
            "Mật ong;HTX Mật ong Xốp;Xã Xốp;Thực phẩm;4;17/QĐ;01/02/2025",
        ),
        "list.csv",
        PROVINCE,
    )
    assert [(r.line, r.commune.name) for r in rows] == [
        (2, "Xã Mộ Đức"),
        (3, "Phường Đăk BLa"),
        (7, "Xã Xốp"),
    ]
    assert report.renamed == [
        (2, "Xã Đức Hòa, Huyện Mộ Đức → Xã Mộ Đức"),
        (3, "Phường Trần Hưng Đạo, Thành phố Kon Tum → Phường Đăk BLa"),
    ]
    errors = dict(report.errors)
    assert "có 2 xã cũ tên “Phường Trần Hưng Đạo”" in errors[4]
    assert "Thành phố Quảng Ngãi" in errors[4]
    assert "Thành phố Kon Tum" in errors[4]
    assert "thêm tên huyện cũ" in errors[4]
    assert "nay thuộc 2 xã (Xã Cà Đam, Xã Tây Trà Bồng)" in errors[5]
    assert "không tìm thấy xã “Phường Phúc Xá” trong phạm vi" in errors[6]  # Hà Nội's


def test_a_district_column_and_the_same_product_under_its_old_and_new_name() -> None:
    header = "Tên sản phẩm;Chủ thể;Xã;Huyện;Nhóm;Số sao;Số quyết định;Ngày quyết định"
    old, _ = importer.check_rows(
        _csv("Mật ong;HTX Đức Hòa;Đức Hòa;Huyện Mộ Đức;Thực phẩm;4;12/QĐ;01/02/2024",
             header=header),
        "old.csv",
        PROVINCE,
    )  # fmt: skip
    new, report = importer.check_rows(
        _csv("Mật ong;HTX Đức Hòa;Xã Mộ Đức;;Thực phẩm;4;12/QĐ;01/02/2024", header=header),
        "new.csv",
        PROVINCE,
    )
    assert old[0].commune.code == new[0].commune.code
    # One product, whichever name the list used: importing both lists creates it once.
    assert old[0].key == new[0].key
    assert report.renamed == []


def test_a_name_that_did_not_change_is_not_reported_as_renamed() -> None:
    """Xã Xốp of huyện Đăk Glei (Kon Tum) is Xã Xốp of Quảng Ngãi today."""
    rows, report = importer.check_rows(
        _csv(
            "Mật ong;HTX Mật ong Xốp;Xã Xốp, huyện Đăk Glei;Thực phẩm;4;17/QĐ;01/02/2025",
            "Mật ong;HTX Mật ong Xốp;Xã Xốp, tỉnh Quảng Ngãi;Thực phẩm;4;18/QĐ;01/02/2025",
        ),
        "list.csv",
        PROVINCE,
    )
    assert [r.commune.code for r in rows] == ["23356", "23356"]
    assert report.renamed == []
    assert [r.old_commune for r in rows] == [None, None]
