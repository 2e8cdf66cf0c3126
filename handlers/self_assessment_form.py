"""Mẫu 02 (QĐ 26/2026/QĐ-TTg, Phụ lục III): the producer's self-assessment report as DOCX.

Part I is filled from the producer's profile and the idea registration, part III from the
self-assessment's answers: each criterion with the chosen answer and its points, the parts'
totals, and the evidence-guide row that proves it. Part II (the business plan's results)
is left for the producer to write. Always in Vietnamese, on A4: it goes into the dossier.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from docx.shared import Mm

from handlers.communes import commune_by_code
from handlers.documents import DOCX, _bytes, _heading, _new_document, _place_and_date
from handlers.ports import IdeaForm, SelfAssessmentView
from handlers.self_score import SKIPPED, assess
from handlers.sheet_questions import questions
from handlers.xml_text import xml_safe_all
from ocop_rules import SUBJECT_TYPE_NAMES_VI, SubjectType, product_set, requirement

__all__ = ["DOCX", "answer_rows", "self_assessment_docx"]

A4 = (Mm(210), Mm(297))
UNANSWERED = "Chưa trả lời"


def _number(value: Decimal) -> str:
    return f"{value.normalize():f}"


def answer_rows(view: SelfAssessmentView) -> list[tuple[str, str, str, str, str]]:
    """Part III's rows: criterion, its official wording, the chosen answer (or "Chưa trả
    lời"), its points, and the paper that proves it."""
    rows = []
    for q in questions(view.product_set):
        index = view.answers.get(q.code)
        chosen = None if index is None or index == SKIPPED else q.answers[index]
        rows.append(
            (
                q.code,
                q.official,
                chosen.official if chosen else UNANSWERED,
                _number(chosen.points) if chosen else "0",
                requirement(q.evidence).name_vi,
            )
        )
    return rows


def self_assessment_docx(form: IdeaForm, view: SelfAssessmentView, day: datetime) -> bytes:
    """Mẫu 02 with part I from ``form`` and part III from ``view``'s answers."""
    form = xml_safe_all(form)
    doc = _new_document()
    for section in doc.sections:
        section.page_width, section.page_height = A4
    _heading(doc, "BÁO CÁO TỰ ĐÁNH GIÁ VỀ SẢN PHẨM", "(Dành cho chủ thể có sản phẩm đăng ký)")
    commune = commune_by_code(form.commune_code)
    doc.add_paragraph().add_run("Phần I. THÔNG TIN CHUNG").bold = True
    subject_type = SUBJECT_TYPE_NAMES_VI.get(SubjectType(form.subject_type), form.subject_type)
    for label, value in (
        ("1. Tên chủ thể", form.subject_name),
        ("2. Loại hình tổ chức", subject_type),
        ("3. Địa chỉ", commune.full_name if commune else ""),
        ("4. Điện thoại", form.phone_e164 or ""),
        ("5. Tên người đại diện pháp luật", form.person_name or ""),
        ("6. Số giấy đăng ký (nếu có)", form.business_registration_no or ""),
        ("7. Tên sản phẩm/dịch vụ", form.dossier.product_name),
        ("Bộ tiêu chí", f"Bộ {view.product_set}: {product_set(view.product_set).name}"),
    ):
        doc.add_paragraph(f"{label}: {value}")
    doc.add_paragraph().add_run(
        "Phần II. KẾT QUẢ THỰC HIỆN PHƯƠNG ÁN SẢN XUẤT KINH DOANH"
    ).bold = True
    doc.add_paragraph("(Chủ thể tự trình bày.)")
    doc.add_paragraph().add_run(
        "Phần III. ĐÁNH GIÁ KẾT QUẢ THỰC HIỆN THEO BỘ TIÊU CHÍ SẢN PHẨM OCOP"
    ).bold = True
    table = doc.add_table(rows=1, cols=5)
    table.style = "Table Grid"
    for cell, text in zip(
        table.rows[0].cells,
        ("Tiêu chí", "Nội dung", "Kết quả tự đánh giá", "Điểm", "Tài liệu minh chứng"),
        strict=True,
    ):
        cell.text = text
    for row in answer_rows(view):
        for cell, text in zip(table.add_row().cells, row, strict=True):
            cell.text = text
    result = assess(view.product_set, view.answers)
    parts = "; ".join(f"Phần {p}: {_number(v)}" for p, v in result.score.parts.items())
    doc.add_paragraph(
        f"Tổng điểm tự đánh giá: {_number(result.score.total)}/100 ({parts}); "
        f"tương ứng hạng {result.score.stars} sao theo thang điểm."
    )
    doc.add_paragraph()
    _place_and_date(doc, commune.name if commune else "", day, form.person_name)
    return _bytes(doc)
