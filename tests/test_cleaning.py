"""The one cleaning of outside text, the XML-safe text of the writers, and export cells."""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import replace
from datetime import UTC, date, datetime

import docx
import pytest
from openpyxl import load_workbook

from bot.admin.exports import cell, to_csv, to_xlsx
from bot.admin.importer import check_rows
from bot.admin.scope import Scope
from bot.cleaning import MAX_ID, MAX_NAME, MAX_TEXT, clean_id, clean_inbound, clean_text
from bot.messages import Channel, ChoicePicked, Command, FileKind, FileReceived, Inbound, Text
from handlers.documents import idea_form_docx
from handlers.i18n import Translator
from handlers.ports import DossierView, IdeaForm
from handlers.xml_text import xml_safe, xml_safe_all


def test_control_characters_and_nul_go_newlines_stay() -> None:
    assert clean_text("Mật\x00 ong\x01 Xốp\x7f\x9b") == "Mật ong Xốp"
    assert clean_text("dòng 1\r\ndòng 2\rdòng 3\ndòng 4") == "dòng 1\ndòng 2\ndòng 3\ndòng 4"
    assert clean_text("a\tb") == "a b"
    assert clean_text("lone \ud800 surrogate \ufffe") == "lone  surrogate "
    assert clean_text("\u202eevil\u202c name") == "evil name"
    assert clean_text("😀 emoji, tiếng Việt") == "😀 emoji, tiếng Việt"


def test_text_is_put_in_composed_form_and_ids_are_left_as_they_came() -> None:
    """Phones send "Mật ong Xốp" with combining marks; it is stored as the same spelling
    a search or an export in the usual, composed form is written in."""
    decomposed = unicodedata.normalize("NFD", "Mật ong Xốp")
    assert decomposed != "Mật ong Xốp"
    assert clean_text(decomposed) == "Mật ong Xốp"
    assert clean_text(decomposed + "\x00") == "Mật ong Xốp"
    assert clean_id(decomposed) == decomposed  # a key stays the platform's exact key
    at = datetime(2026, 3, 2, tzinfo=UTC)
    typed = Inbound(Channel.ZALO, "1", "1", decomposed, "e", at, Text(decomposed))
    cleaned = clean_inbound(typed)
    assert (cleaned.sender_name, cleaned.content) == ("Mật ong Xốp", Text("Mật ong Xốp"))
    address = f"https://cdn.example/{decomposed}.jpg"  # an address, fetched as it came
    photo = clean_inbound(replace(typed, content=FileReceived(FileKind.PHOTO, address)))
    assert photo.content == FileReceived(FileKind.PHOTO, address)


def test_lengths_are_bounded() -> None:
    assert len(clean_text("x" * 10_000)) == MAX_TEXT
    assert clean_text("abcdef", 3) == "abc"


def test_ids_stay_exact_unless_unusable_or_too_long() -> None:
    assert clean_id("z" * 300) == "z" * 300
    assert clean_id("12\x0034") == "1234"
    one, other = clean_id("9" * 5000 + "1"), clean_id("9" * 5000 + "2")
    assert len(one) == len(other) == MAX_ID
    assert one != other  # two long ids stay two ids
    assert clean_id("9" * 5000 + "1") == one  # and the same id is always the same key


def test_every_part_of_an_inbound_event_is_cleaned() -> None:
    at = datetime(2026, 3, 2, tzinfo=UTC)

    def event(content: object, name: object = "Lan\x00\n Lò") -> Inbound:
        return Inbound(Channel.ZALO, "c\x00hat", "s\x01", name, "e\x02", at, content)  # type: ignore[arg-type]

    cleaned = clean_inbound(event(Text("a\x00b\nc")))
    assert (cleaned.chat_id, cleaned.sender_id, cleaned.event_id) == ("chat", "s", "e")
    assert cleaned.sender_name == "Lan Lò"
    assert cleaned.content == Text("ab\nc")
    assert clean_inbound(event(Command("start\x00", "A\x01B"))).content == Command("start", "AB")
    assert clean_inbound(event(ChoicePicked("m:\x00x"))).content == ChoicePicked("m:x")
    photo = FileReceived(FileKind.PHOTO, "ref\x00", {"x": 1}, "12", {"c": 1})  # type: ignore[arg-type]
    assert clean_inbound(event(photo)).content == FileReceived(FileKind.PHOTO, "ref")
    assert clean_inbound(event(Text("x"), {"not": "a name"})).sender_name is None
    assert len(clean_inbound(event(Text("x"), "N" * 1000)).sender_name or "") == MAX_NAME


def test_xml_safe_keeps_what_xml_holds() -> None:
    assert xml_safe("a\x00b\x01c\td\ne\rf") == "abc\td\ne\rf"
    form = {"names": ["x\x00", ("y\x01",)], "n": 3}
    assert xml_safe_all(form) == {"names": ["x", ("y",)], "n": 3}


class _Vietnamese:
    def gettext(self, message: str) -> str:
        return message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return singular if n == 1 else plural


def test_the_idea_form_prints_text_stored_before_cleaning() -> None:
    dossier = DossierView(
        1, "Mật\x01 ong\x00", "XOP-1", "food", None, "new", "idea", None, date(2026, 6, 1)
    )
    form = IdeaForm(
        dossier=dossier,
        person_name="Lò\x0b Văn Nam",
        phone_e164=None,
        subject_name="HTX\x00 Xốp",
        subject_type="cooperative",
        business_registration_no=None,
        commune_code="23356",
        answers={"name": "Mật\x01 ong"},
        registered_at=None,
    )
    vi: Translator = _Vietnamese()
    printed = docx.Document(io.BytesIO(idea_form_docx(form, vi, datetime(2026, 3, 2, tzinfo=UTC))))
    text = "\n".join(p.text for p in printed.paragraphs)
    assert "Tên chủ thể: HTX Xốp" in text
    assert "Người đại diện: Lò Văn Nam" in text


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_that_starts_like_a_formula_is_neutralised(start: str) -> None:
    assert cell(f"{start}1+2") == f"'{start}1+2"


def test_cells_that_cannot_run_stay_as_they_are() -> None:
    assert cell("Mật ong") == "Mật ong"
    assert cell(-5) == -5  # a number is no formula
    assert cell("\x01=1+2") == "'=1+2"  # what XML cannot hold goes first


def test_csv_and_xlsx_hold_any_text_and_no_formula() -> None:
    table = (["Tên", "=Tổng"], [["=SUM(A1:A9)\x00", "@cmd\x01"], ["+1", "Mật ong\x0b"]])
    rows = list(csv.reader(io.StringIO(to_csv(table).decode("utf-8-sig"))))
    assert rows == [["Tên", "'=Tổng"], ["'=SUM(A1:A9)", "'@cmd"], ["'+1", "Mật ong"]]
    sheet = load_workbook(io.BytesIO(to_xlsx(table, "dossiers"))).worksheets[0]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values == rows
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


def test_an_imported_list_is_cleaned_like_chat_text() -> None:
    subject = unicodedata.normalize("NFD", "HTX Xốp")  # as a spreadsheet saved on a Mac may
    content = (
        "Tên sản phẩm,Chủ thể,Xã,Nhóm,Số sao,Số quyết định,Ngày quyết định\n"
        f"Mật\x00 ong\x01,{subject},23356,1,4,123/QĐ\x03,01/02/2025\n"
        f"Chè,HTX Chè,23356,1,4,{'9' * 70},01/02/2025\n"
        f"{'P' * 600},HTX Dài,23356,1,4,7/QĐ,01/02/2025\n"
    ).encode()
    rows, report = check_rows(content, "list.csv", Scope.parse("province:51"))
    assert [(r.product, r.subject, r.decision_number) for r in rows[:1]] == [
        ("Mật ong", "HTX Xốp", "123/QĐ")
    ]
    assert len(rows[1].product) == MAX_NAME
    assert report.errors == [(3, "số quyết định dài quá 64 ký tự")]
