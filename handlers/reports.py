"""The commune report (Báo cáo đánh giá của UBND cấp xã) as a DOCX, always in Vietnamese.

The exact official form is not published in a citable version (``ocop_rules`` marks its
fields unconfirmed), so the report carries what the reference says it must: the dossier
received and its form checked, per criterion the facts seen and the conclusion, the meeting
held, the proposal to the provincial People's Committee, and the chairman's signature.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from io import BytesIO

import docx
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

from handlers.communes import commune_by_code
from handlers.ports import NewAssessment, OfficerDossier
from handlers.xml_text import xml_safe_all
from ocop_rules import (
    COMMUNE_CRITERION_NAMES_VI,
    SUBJECT_TYPE_NAMES_VI,
    CommuneCriterion,
    IdeaOrigin,
    IdentityLevel,
    SubjectType,
)

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
IDEA_ORIGIN_VI: dict[str, str] = {
    IdeaOrigin.COPY_NEW_LABEL: "Sao chép sản phẩm đã có, thay nhãn",
    IdeaOrigin.IMPROVED_COPY: "Dựa trên sản phẩm đã có, có cải tiến",
    IdeaOrigin.OWN_IDEA: "Ý tưởng riêng, chưa có trên thị trường",
    IdeaOrigin.OWN_TRADITION: "Ý tưởng riêng, gìn giữ truyền thống, đặc sản địa phương",
}
IDENTITY_VI: dict[str, str] = {
    IdentityLevel.LIKE_OTHERS: "Câu chuyện giống sản phẩm khác",
    IdentityLevel.SIMILAR: "Câu chuyện tương tự sản phẩm khác",
    IdentityLevel.OWN: "Câu chuyện riêng",
    IdentityLevel.OWN_LOCAL_KNOWLEDGE: "Câu chuyện riêng, có trí tuệ, bí quyết địa phương",
}


def facts_vi(criterion: str, facts: dict[str, object]) -> str:
    """The facts the commune saw on one criterion, as a sentence of the report."""
    parts: list[str] = []
    if criterion == CommuneCriterion.LOCAL_ORIGIN:
        parts.append(f"Nguyên liệu từ xã: {facts.get('commune_pct', '—')} %")
        parts.append(f"từ tỉnh: {facts.get('province_pct', '—')} %")
        if facts.get("evidence"):
            parts.append(f"minh chứng đã xem: {facts['evidence']}")
    elif criterion == CommuneCriterion.LOCAL_LABOUR:
        parts.append(
            f"Lao động địa phương: {facts.get('workers_local', '—')}"
            f"/{facts.get('workers_total', '—')} người"
        )
    elif criterion == CommuneCriterion.IDEA_ORIGIN:
        origin = facts.get("idea_origin")
        parts.append(IDEA_ORIGIN_VI.get(str(origin), "—"))
    else:
        identity = facts.get("identity")
        parts.append(IDENTITY_VI.get(str(identity), "—"))
        if facts.get("note"):
            parts.append(f"yếu tố địa phương: {facts['note']}")
    return "; ".join(parts)


def _centered(doc: DocxDocument, text: str, *, bold: bool = False, italic: bool = False) -> None:
    paragraph = doc.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run(text)
    run.bold, run.italic = bold, italic


def _header(commune_name: str, day: datetime) -> DocxDocument:
    """A new document with the two-column official heading: issuer left, motto right."""
    doc = docx.Document()
    style = doc.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(13)
    header = doc.add_table(rows=1, cols=2)
    left, right = header.rows[0].cells
    left.text = f"ỦY BAN NHÂN DÂN\n{commune_name.upper()}\n-------\nSố: ……/BC-UBND"
    right.text = (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n---------------\n"
        f"{commune_name}, ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"
    )
    for cell in (left, right):
        for paragraph in cell.paragraphs:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_paragraph()
    return doc


def commune_report_docx(
    view: OfficerDossier,
    assessment: NewAssessment,
    officer: str | None,
    now: datetime,
    timezone: tzinfo,
) -> bytes:
    """The commune's report on one dossier, ready to print and sign."""
    view, assessment, officer = xml_safe_all((view, assessment, officer))
    commune = commune_by_code(view.commune_code)
    commune_name = commune.name if commune else view.commune_code
    province = commune.province_label if commune else ""
    doc = _header(commune_name, now.astimezone(timezone))
    _centered(doc, "BÁO CÁO", bold=True)
    _centered(
        doc,
        "Đánh giá của Ủy ban nhân dân cấp xã đối với sản phẩm tham gia đánh giá, "
        "phân hạng sản phẩm OCOP",
        bold=True,
    )
    _centered(doc, f"Kính gửi: Ủy ban nhân dân {province}", italic=True)

    doc.add_paragraph().add_run("I. THÔNG TIN CHUNG").bold = True
    subject_type = SUBJECT_TYPE_NAMES_VI.get(SubjectType(view.subject_type), view.subject_type)
    for label, value in (
        ("Tên sản phẩm", view.dossier.product_name),
        ("Mã hồ sơ", view.dossier.registration_code or ""),
        ("Chủ thể", f"{view.subject_name} ({subject_type})"),
        ("Người đại diện", view.producer or ""),
        ("Địa chỉ", commune.full_name if commune else view.commune_code),
    ):
        doc.add_paragraph(f"{label}: {value}")

    doc.add_paragraph().add_run("II. TIẾP NHẬN VÀ KIỂM TRA HỒ SƠ").bold = True
    form = (
        "đầy đủ thành phần theo quy định"
        if view.form_check == "complete"
        else "còn thiếu một số thành phần (đã hướng dẫn chủ thể bổ sung)"
    )
    doc.add_paragraph(f"UBND xã đã tiếp nhận hồ sơ và kiểm tra hình thức: hồ sơ {form}.")

    doc.add_paragraph().add_run("III. KẾT QUẢ ĐÁNH GIÁ CÁC TIÊU CHÍ").bold = True
    table = doc.add_table(rows=1, cols=3)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, ("Nội dung", "Thực tế", "Ý kiến"), strict=True):
        cell.text = text
    for criterion in assessment.criteria:
        cells = table.add_row().cells
        cells[0].text = COMMUNE_CRITERION_NAMES_VI[CommuneCriterion(criterion.criterion)]
        cells[1].text = facts_vi(criterion.criterion, criterion.facts)
        cells[2].text = criterion.comment or ""

    doc.add_paragraph().add_run("IV. CUỘC HỌP ĐÁNH GIÁ").bold = True
    doc.add_paragraph(f"Ngày họp: {assessment.meeting_date.strftime('%d/%m/%Y')}")
    doc.add_paragraph(f"Thành phần: {assessment.meeting_participants}")

    # Mẫu 03 (QĐ 26, Phụ lục III) concludes nothing: it always ends with the proposal.
    doc.add_paragraph().add_run("V. ĐỀ NGHỊ").bold = True
    doc.add_paragraph(
        f"Ủy ban nhân dân {commune_name} đề nghị Ủy ban nhân dân {province} đánh giá, "
        f"phân hạng sản phẩm OCOP cho sản phẩm “{view.dossier.product_name}”."
    )
    doc.add_paragraph(f"Cán bộ tham mưu: {officer or ''}")
    doc.add_paragraph()
    for text, bold in (
        ("TM. ỦY BAN NHÂN DÂN", True),
        ("CHỦ TỊCH", True),
        ("(Ký, ghi rõ họ tên, đóng dấu)", False),
    ):
        line = doc.add_paragraph()
        line.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        line.add_run(text).bold = bold
    doc.add_paragraph("Nơi nhận:\n- Như trên;\n- Chủ thể;\n- Lưu: VT.")
    buffer = BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
