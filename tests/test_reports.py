"""The commune's Mẫu 03 report and proposal letter (handlers/reports.py), opened as DOCX."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import docx
import pytest

from handlers.ports import CriterionView, DossierView, NewAssessment, OfficerDossier
from handlers.reports import commune_report_docx
from ocop_rules import product_set

XOP = "23356"  # Xã Xốp, tỉnh Quảng Ngãi


def _view(number: int, name: str) -> OfficerDossier:
    found = product_set(number)
    dossier = DossierView(
        7, name, "OCOP-51-2026-0007", found.group.value, None, "new", "commune_assessed",
        number, date(2026, 8, 3),
    )  # fmt: skip
    return OfficerDossier(
        dossier, XOP, "HTX Xop", "cooperative", "Lo Van Nam", {}, (), "complete", (), None,
        None, None, None, 0, False, None,
    )  # fmt: skip


ASSESSMENT = NewAssessment(
    (
        CriterionView("local_origin", {"commune_pct": 90, "province_pct": 100}, "met", None),
        CriterionView("local_labour", {"workers_local": 4, "workers_total": 5}, "met", "Tot"),
        CriterionView("idea_origin", {"idea_origin": "own_tradition"}, "met", None),
        CriterionView("local_identity", {"identity": "own"}, "met", None),
    ),
    None,
    date(2026, 8, 10),
    "Chu tich UBND xa",
)


def _open(content: bytes) -> tuple[str, list[tuple[float, float]]]:
    document = docx.Document(io.BytesIO(content))
    text = "\n".join(p.text for p in document.paragraphs)
    text += "\n" + "\n".join(
        cell.text for table in document.tables for row in table.rows for cell in row.cells
    )
    sizes = [
        (round(s.page_width.mm, 1), round(s.page_height.mm, 1))
        for s in document.sections
        if s.page_width is not None and s.page_height is not None
    ]
    return text, sizes


@pytest.mark.parametrize(
    ("number", "name", "samples"),
    [(4, "Mat ong rung Xop", True), (26, "Homestay ban Xop", False)],
)
def test_the_report_is_form_03_and_the_letter_on_a4_and_tourism_sends_no_samples(
    number: int, name: str, samples: bool
) -> None:
    content = commune_report_docx(
        _view(number, name), ASSESSMENT, "Hoa", datetime(2026, 8, 11, 3, tzinfo=UTC), UTC
    )
    text, sizes = _open(content)
    assert sizes == [(210, 297), (210, 297)]
    assert "BÁO CÁO" in text
    assert "II. ĐÁNH GIÁ MỘT SỐ NỘI DUNG CỦA HỒ SƠ SẢN PHẨM" in text
    assert "4. Bản sắc/trí tuệ địa phương: Câu chuyện riêng." in text
    assert "Nhận xét: Tot" in text
    assert f"đánh giá, phân hạng sản phẩm OCOP cho sản phẩm “{name}” của HTX Xop." in text
    assert "Kính gửi: Ủy ban nhân dân tỉnh Quảng Ngãi" in text
    assert "Báo cáo đánh giá một số nội dung của hồ sơ của UBND xã (Mẫu số 03)" in text
    assert f"bộ sản phẩm số {number}: {product_set(number).name}" in text
    assert ("Sản phẩm mẫu" in text) is samples
    for concluding in ("Kết luận", "chưa đủ điều kiện", "Đạt"):
        assert concluding not in text
