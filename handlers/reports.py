"""The commune's papers for one dossier as one DOCX on A4, always in Vietnamese: the report
of Mẫu số 03 and the proposal letter to the province.

QĐ 26/2026/QĐ-TTg, Điều 7.2.b: the commune issues its report on Mẫu số 03 (Phụ lục III) and
a letter proposing that the provincial People's Committee evaluate the product, and sends
them with the dossier (Điều 6.2). Mẫu 03 gives the subject's details, the commune's view on
the four contents (local raw materials, local labour, origin of the idea, local identity)
and ends with the proposal; it concludes nothing. The letter's enclosures come from
``ocop_rules.commune_bundle`` (samples, except for tourism services) and the number of
copies from ``ocop_rules.DOSSIER_COPIES``. Both documents are A4 pages (210 × 297 mm) with
the margins of administrative documents (Nghị định 30/2020/NĐ-CP: top and bottom 20 mm,
left 30 mm, right 15 mm).
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from io import BytesIO

import docx
from docx.document import Document as DocxDocument
from docx.enum.section import WD_SECTION
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.section import Section
from docx.shared import Mm, Pt

from handlers.communes import commune_by_code
from handlers.ports import NewAssessment, OfficerDossier
from handlers.xml_text import xml_safe_all
from ocop_rules import (
    DOSSIER_COPIES,
    SUBJECT_TYPE_NAMES_VI,
    CommuneCriterion,
    IdeaOrigin,
    IdentityLevel,
    ProductGroup,
    SubjectType,
    commune_bundle,
    product_set,
    requirement,
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


A4 = (Mm(210), Mm(297))
MARGINS = {"top": Mm(20), "bottom": Mm(20), "left": Mm(30), "right": Mm(15)}
# Mẫu 03, part II: the four contents in the form's order and wording.
CONTENTS_VI: tuple[tuple[CommuneCriterion, str], ...] = (
    (CommuneCriterion.LOCAL_ORIGIN, "Về sử dụng nguyên liệu địa phương"),
    (CommuneCriterion.LOCAL_LABOUR, "Về sử dụng lao động địa phương"),
    (CommuneCriterion.IDEA_ORIGIN, "Nguồn gốc ý tưởng sản phẩm"),
    (CommuneCriterion.LOCAL_IDENTITY, "Bản sắc/trí tuệ địa phương"),
)
PRODUCT_DOSSIER_VI = "Hồ sơ sản phẩm của chủ thể (Phiếu đăng ký, Báo cáo tự đánh giá)"
BLANK = "…………………"


def _a4(section: Section) -> None:
    section.page_width, section.page_height = A4
    for side, margin in MARGINS.items():
        setattr(section, f"{side}_margin", margin)


def _centered(doc: DocxDocument, text: str, *, bold: bool = False, italic: bool = False) -> None:
    paragraph = doc.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run(text)
    run.bold, run.italic = bold, italic


def _heading(doc: DocxDocument, issuer: str, place: str, day: datetime) -> None:
    """The two-column official heading: issuer left, motto, place and date right."""
    header = doc.add_table(rows=1, cols=2)
    left, right = header.rows[0].cells
    left.text = issuer
    right.text = (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n---------------\n"
        f"{place}, ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"
    )
    for cell in (left, right):
        for paragraph in cell.paragraphs:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_paragraph()


def _bold(doc: DocxDocument, text: str) -> None:
    doc.add_paragraph().add_run(text).bold = True


def _signature(doc: DocxDocument, recipients: str) -> None:
    doc.add_paragraph()
    for text, bold in (
        ("TM. ỦY BAN NHÂN DÂN", True),
        ("CHỦ TỊCH", True),
        ("(Ký, ghi rõ họ tên, đóng dấu)", False),
    ):
        line = doc.add_paragraph()
        line.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        line.add_run(text).bold = bold
    doc.add_paragraph(recipients)


def _set_vi(view: OfficerDossier) -> str:
    if view.dossier.product_set is None:
        return ""
    found = product_set(view.dossier.product_set)
    return f" (bộ sản phẩm số {found.number}: {found.name})"


def _report(
    doc: DocxDocument,
    view: OfficerDossier,
    assessment: NewAssessment,
    names: tuple[str, str, str],
    day: datetime,
    officer: str | None,
) -> None:
    """Mẫu số 03: the commune's view on four contents of the dossier, ending with the
    proposal (QĐ 26/2026/QĐ-TTg, Phụ lục III)."""
    commune_name, province, address = names
    form = doc.add_paragraph()
    form.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    form.add_run("Mẫu số 03").italic = True
    _heading(
        doc, f"ỦY BAN NHÂN DÂN\n{commune_name.upper()}\n-------\nSố: ……/BC-UBND", commune_name, day
    )
    _centered(doc, "BÁO CÁO", bold=True)
    _centered(
        doc,
        "Đánh giá một số nội dung của hồ sơ đăng ký tham gia đánh giá, phân hạng sản phẩm OCOP",
        bold=True,
    )
    _bold(doc, "I. THÔNG TIN CHUNG VỀ HỒ SƠ SẢN PHẨM")
    subject_type = SUBJECT_TYPE_NAMES_VI.get(SubjectType(view.subject_type), view.subject_type)
    for line in (
        f"1. Tên chủ thể: {view.subject_name}",
        f"2. Loại hình tổ chức: {subject_type}",
        f"3. Địa chỉ: {address}",
        "4. Tên người đại diện pháp luật:",
        f"- Họ tên: {view.producer or BLANK}",
        f"- Giới tính: {BLANK} (Nam/nữ); Dân tộc: {BLANK}",
        f"- Địa chỉ thường trú: {BLANK}",
        f"5. Sản phẩm đăng ký đánh giá: {view.dossier.product_name}{_set_vi(view)}, "
        f"mã hồ sơ {view.dossier.registration_code or view.dossier.dossier_id}",
    ):
        doc.add_paragraph(line)
    _bold(doc, "II. ĐÁNH GIÁ MỘT SỐ NỘI DUNG CỦA HỒ SƠ SẢN PHẨM")
    found = {c.criterion: c for c in assessment.criteria}
    for number, (criterion, title) in enumerate(CONTENTS_VI, start=1):
        seen = found.get(criterion.value)
        facts = facts_vi(criterion, seen.facts) if seen else BLANK
        comment = f" Nhận xét: {seen.comment}" if seen and seen.comment else ""
        doc.add_paragraph(f"{number}. {title}: {facts}.{comment}")
    doc.add_paragraph(
        f"Chủ tịch UBND xã đã họp lấy ý kiến các bộ phận liên quan. Ngày họp: "
        f"{assessment.meeting_date.strftime('%d/%m/%Y')}. "
        f"Thành phần: {assessment.meeting_participants}."
    )
    # Mẫu 03 concludes nothing: it always ends with the proposal.
    doc.add_paragraph(
        f"Ủy ban nhân dân {commune_name} đề nghị Ủy ban nhân dân {province} đánh giá, "
        f"phân hạng sản phẩm OCOP cho sản phẩm “{view.dossier.product_name}” của "
        f"{view.subject_name}."
    )
    doc.add_paragraph(f"Cán bộ tham mưu: {officer or ''}")
    _signature(doc, "Nơi nhận:\n- UBND " + province + ";\n- Chủ thể;\n- Lưu: VT.")


def _enclosures(view: OfficerDossier) -> list[str]:
    """What goes with the letter: ``commune_bundle`` without the letter itself."""
    key = view.dossier.product_set or ProductGroup(view.dossier.group)
    names = []
    for code in commune_bundle(key):
        if code == "commune_proposal":
            continue
        names.append(PRODUCT_DOSSIER_VI if code == "product_dossier" else requirement(code).name_vi)
    return names


def _letter(
    doc: DocxDocument, view: OfficerDossier, names: tuple[str, str, str], day: datetime
) -> None:
    """The commune's letter proposing that the province evaluate the product (Điều 6.2.a)."""
    commune_name, province, _ = names
    source = requirement("commune_proposal").source
    _heading(
        doc,
        f"ỦY BAN NHÂN DÂN\n{commune_name.upper()}\n-------\nSố: ……/UBND\n"
        "V/v đề nghị đánh giá, phân hạng sản phẩm OCOP",
        commune_name,
        day,
    )
    _centered(doc, f"Kính gửi: Ủy ban nhân dân {province}", italic=True)
    doc.add_paragraph(f"Căn cứ {source.document}, {source.part};")
    doc.add_paragraph(
        f"Ủy ban nhân dân {commune_name} đã tiếp nhận hồ sơ sản phẩm “"
        f"{view.dossier.product_name}”{_set_vi(view)} của {view.subject_name} và đánh giá "
        "một số nội dung của hồ sơ (Báo cáo theo Mẫu số 03 gửi kèm)."
    )
    doc.add_paragraph(
        f"Ủy ban nhân dân {commune_name} đề nghị Ủy ban nhân dân {province} xem xét, "
        f"đánh giá, phân hạng sản phẩm OCOP cho sản phẩm “{view.dossier.product_name}”."
    )
    copies = DOSSIER_COPIES
    doc.add_paragraph(
        f"Hồ sơ gửi kèm ({copies.paper:02d} bộ hồ sơ giấy và {copies.electronic:02d} bộ hồ sơ "
        "điện tử):"
    )
    for name in _enclosures(view):
        doc.add_paragraph(f"- {name};")
    _signature(doc, "Nơi nhận:\n- Như trên;\n- Chủ thể;\n- Lưu: VT.")


def commune_report_docx(
    view: OfficerDossier,
    assessment: NewAssessment,
    officer: str | None,
    now: datetime,
    timezone: tzinfo,
) -> bytes:
    """The commune's report (Mẫu 03) and proposal letter on one dossier, on A4, ready to
    print and sign. ``officer`` prepared them; the chairman signs."""
    view, assessment, officer = xml_safe_all((view, assessment, officer))
    commune = commune_by_code(view.commune_code)
    commune_name = commune.name if commune else view.commune_code
    province = commune.province_label if commune else ""
    address = commune.full_name if commune else view.commune_code
    names = (commune_name, province, address)
    day = now.astimezone(timezone)
    doc = docx.Document()
    style = doc.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(13)
    _a4(doc.sections[0])
    _report(doc, view, assessment, names, day, officer)
    _a4(doc.add_section(WD_SECTION.NEW_PAGE))
    _letter(doc, view, names, day)
    buffer = BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
