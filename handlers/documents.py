"""Printable documents (/phieu): the idea registration form and the dossier cover sheet.

Both are DOCX files built with python-docx in the official layout (Quốc hiệu, tiêu ngữ,
title, the producer's answers, place and date, signature block). They are always in
Vietnamese: they go to the commune office, whatever language the chat uses.
"""

from __future__ import annotations

from datetime import datetime
from io import BytesIO

import docx
import phonenumbers
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm, Pt

from bot.messages import Document, Outbound, Reply
from handlers import checklist
from handlers.communes import commune_by_code
from handlers.conversation import display_answer
from handlers.i18n import Translator
from handlers.ideas import form_steps
from handlers.ports import HandlerContext, IdeaForm, ItemView
from handlers.xml_text import xml_safe_all
from ocop_rules import (
    REGISTRATION_BOXES_VI,
    SUBJECT_TYPE_NAMES_VI,
    DossierKind,
    SubjectType,
    requirement,
)

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
STATE_NAMES = {
    "have": "Đã có",
    "missing": "Chưa có",
    "not_applicable": "Không áp dụng",
    "pending": "Chưa trả lời",
}


UNIT_WORDS = ("Đặc khu", "Phường", "Xã", "Thị trấn")


def in_sentence(name: str) -> str:
    """A commune's name inside a sentence: "Xã Xốp" → "xã Xốp" (the unit in lower case)."""
    for unit in UNIT_WORDS:
        if name.startswith(f"{unit} "):
            return f"{unit.lower()}{name[len(unit) :]}"
    return name


def place_name(name: str) -> str:
    """A commune's name before a date line: "Xã Xốp" → "Xốp"."""
    for unit in UNIT_WORDS:
        if name.startswith(f"{unit} "):
            return name[len(unit) + 1 :]
    return name


def _heading(doc: DocxDocument, title: str, subtitle: str) -> None:
    for text, bold in (
        ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", True),
        ("Độc lập - Tự do - Hạnh phúc", True),
        ("---------------", False),
        ("", False),
        (title, True),
        (subtitle, False),
    ):
        paragraph = doc.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = paragraph.add_run(text)
        run.bold = bold


def _place_and_date(doc: DocxDocument, place: str, day: datetime, signer: str | None) -> None:
    paragraph = doc.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    paragraph.add_run(
        f"{place}, ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"
    ).italic = True
    for text, bold in (
        ("NGƯỜI ĐĂNG KÝ", True),
        ("(Ký, ghi rõ họ tên)", False),
        ("", False),
        ("", False),
        (signer or "", True),
    ):
        line = doc.add_paragraph()
        line.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        line.add_run(text).bold = bold


def _bytes(doc: DocxDocument) -> bytes:
    buffer = BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def _new_document() -> DocxDocument:
    """A document on A4 with the margins of Vietnamese administrative papers (Nghị định
    30/2020/NĐ-CP: top and bottom 20–25 mm, left 30–35 mm, right 15–20 mm)."""
    doc = docx.Document()
    for section in doc.sections:
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.top_margin = section.bottom_margin = Mm(20)
        section.left_margin, section.right_margin = Mm(30), Mm(15)
    style = doc.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(13)
    return doc


def idea_form_docx(form: IdeaForm, vi: Translator, day: datetime) -> bytes:
    """The idea registration form with the producer's answers."""
    form = xml_safe_all(form)
    doc = _new_document()
    _heading(doc, "PHIẾU ĐĂNG KÝ Ý TƯỞNG SẢN PHẨM", "(Chương trình Mỗi xã một sản phẩm — OCOP)")
    commune = commune_by_code(form.commune_code)
    doc.add_paragraph(f"Kính gửi: Ủy ban nhân dân {in_sentence(commune.name) if commune else ''}")
    doc.add_paragraph(f"Mã hồ sơ: {form.dossier.registration_code or ''}")
    doc.add_paragraph().add_run("I. THÔNG TIN CHỦ THỂ").bold = True
    phone = ""
    if form.phone_e164:
        phone = phonenumbers.format_number(
            phonenumbers.parse(form.phone_e164), phonenumbers.PhoneNumberFormat.NATIONAL
        )
    subject_type = SUBJECT_TYPE_NAMES_VI.get(SubjectType(form.subject_type), form.subject_type)
    for label, value in (
        ("Tên chủ thể", form.subject_name),
        ("Loại hình", subject_type),
        ("Số đăng ký kinh doanh", form.business_registration_no or "Chưa có"),
        ("Người đại diện", form.person_name or ""),
        ("Điện thoại", phone),
        ("Địa chỉ", commune.full_name if commune else ""),
    ):
        doc.add_paragraph(f"{label}: {value}")
    doc.add_paragraph().add_run("II. THÔNG TIN Ý TƯỞNG SẢN PHẨM").bold = True
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for step in form_steps(form.answers):
        cells = table.add_row().cells
        cells[0].text = vi.gettext(step.label or step.prompt)
        answer = form.answers.get(step.name)
        # A question left unanswered is a blank to fill in by hand, not "(bỏ qua)".
        cells[1].text = "" if answer is None else display_answer(step, answer, form.answers, vi)
    doc.add_paragraph()
    place = place_name(commune.name) if commune else ""
    _place_and_date(doc, place, form.registered_at or day, form.person_name)
    return _bytes(doc)


def cover_sheet_docx(form: IdeaForm, items: list[ItemView], day: datetime) -> bytes:
    """The dossier cover sheet: every item, its state and how many files back it."""
    form, items = xml_safe_all((form, items))
    doc = _new_document()
    _heading(
        doc,
        "DANH MỤC HỒ SƠ SẢN PHẨM OCOP",
        f"Sản phẩm: {form.dossier.product_name} — Mã hồ sơ: {form.dossier.registration_code or ''}",
    )
    kind = DossierKind(form.dossier.kind)
    if kind is not DossierKind.NEW:  # Mẫu 01, mục 4: which evaluation this dossier asks for
        doc.add_paragraph(f"Lần đăng ký đánh giá: {REGISTRATION_BOXES_VI[kind]}")
    names = {r.code: r.name_vi for r in checklist.asked_requirements(form.dossier)}
    table = doc.add_table(rows=1, cols=4)
    table.style = "Table Grid"
    for cell, text in zip(
        table.rows[0].cells, ("STT", "Tài liệu", "Tình trạng", "Số tệp minh chứng"), strict=True
    ):
        cell.text = text
    for number, item in enumerate(items, start=1):
        cells = table.add_row().cells
        cells[0].text = str(number)
        cells[1].text = names.get(item.code) or requirement(item.code).name_vi
        cells[2].text = STATE_NAMES.get(item.state, item.state)
        cells[3].text = str(item.evidence_count)
    doc.add_paragraph()
    commune = commune_by_code(form.commune_code)
    _place_and_date(doc, place_name(commune.name) if commune else "", day, form.person_name)
    return _bytes(doc)


async def send_forms(ctx: HandlerContext) -> list[Outbound]:
    """The /phieu command: the idea form of each open dossier, and the cover sheet of those
    whose checklist has no unanswered item."""
    assert ctx.profile is not None  # noqa: S101 - the router asks for sign-up first
    dossiers = await ctx.store.open_dossiers(ctx.profile.person_id)
    if not dossiers:
        return [
            Reply(
                ctx.t.gettext(
                    "You have no product yet. Register a product idea first with /dangky."
                )
            )
        ]
    vi = ctx.translators("vi")
    replies: list[Outbound] = []
    for dossier in dossiers:
        form = await ctx.store.idea_form(ctx.profile.person_id, dossier.dossier_id)
        code = dossier.registration_code or str(dossier.dossier_id)
        if dossier.kind == DossierKind.NEW:
            # A re-evaluation or an upgrade registers no idea: its product is certified.
            replies.append(
                Document(
                    idea_form_docx(form, vi, ctx.now),
                    f"phieu-y-tuong-{code}.docx",
                    ctx.t.gettext("Idea registration form"),
                    DOCX,
                )
            )
        codes = [r.code for r in checklist.asked_requirements(dossier)]
        items = await ctx.store.checklist(ctx.profile.person_id, dossier.dossier_id, codes)
        if items and all(item.state != checklist.PENDING for item in items):
            replies.append(
                Document(
                    cover_sheet_docx(form, items, ctx.now),
                    f"danh-muc-ho-so-{code}-{dossier.dossier_id}.docx"
                    if dossier.kind != DossierKind.NEW
                    else f"danh-muc-ho-so-{code}.docx",
                    ctx.t.gettext("Dossier cover sheet"),
                    DOCX,
                )
            )
    if not replies:
        return [
            Reply(
                ctx.t.gettext(
                    "The dossier cover sheet is printed once every paper is answered: continue "
                    "with /hoso."
                )
            )
        ]
    return replies
