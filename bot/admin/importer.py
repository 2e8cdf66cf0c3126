"""Import of products a province has already certified, from its published list.

Provinces and districts publish their OCOP lists as tables typed by hand: "Tên sản phẩm",
"Tên chủ thể", "Xã, thị trấn", "Nhóm sản phẩm", "Hạng sao", "Năm công nhận", "Quyết
định"… :mod:`bot.admin.import_cells` reads those cells as they are written (header
synonyms, group/nhóm/set words, stars, dates or years, "(2 sản phẩm)"); this module reads
the rows — merged cells and group headings carried down — checks each one, and writes.

A dry run checks every row and says what each would do — refused (with what is accepted),
new, a renewal, already present — flagging old commune names, year-only dates and split
lines, and writes nothing; the report filters by each of these and downloads as XLSX. The
real run writes in one transaction; each product carries an ``import_key`` made of its
commune, subject, name and decision, so importing the same file again changes nothing.
Subjects are matched by commune and name, so one cooperative with five products is one
subject. A row naming a product already on record (same commune, subject and product name)
with a newer decision renews it: a new certificate, the earlier ones :data:`SUPERSEDED`
(issue #20, item 6), never a second product. A phone column, when the list has one, is
kept on the subject, so that its producer is recognised when signing up with that number
(``handlers/claiming.py``); a phone that cannot be read leaves the row valid.

5★ is the Ministry's own decision (QĐ 26, Điều 4.1.b): a 5★ row is imported only when it
says the Ministry decided it, and never from a provincial score (:data:`FIVE_STARS_REFUSED`).
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import hashlib
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from itertools import pairwise
from typing import TYPE_CHECKING, Any, TypeVar

from openpyxl import load_workbook
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.admin.decisions import issuing_authority
from bot.admin.exports import to_xlsx
from bot.admin.import_cells import (
    CARRIED_DOWN,
    COLUMN_NAMES_VI,
    COLUMNS,
    DATES_ACCEPTED,
    GROUPS_ACCEPTED,
    HEADERS_ACCEPTED,
    STARS_ACCEPTED,
    Day,
    Kind,
    commune_text,
    decided_by_ministry,
    header_key,
    names_group,
    read_day,
    read_decision_number,
    read_kind,
    read_stars,
    split_products,
)
from bot.admin.scope import Scope
from bot.audit import AuditAction, record
from bot.cleaning import MAX_NAME, clean_text
from bot.db.models import Certificate, Product, Subject
from handlers.communes import CommuneRef, commune_by_code, search_communes
from handlers.old_communes import OldCommune, search_old_communes
from handlers.parsing import InvalidAnswerError, parse_phone
from handlers.textmatch import fold, place_key
from ocop_rules import ROUTING, CertificateRecord, Level, Regime, SubjectType, certificate_expiry

if TYPE_CHECKING:
    from bot.admin.accounts import Staff
    from bot.admin.context import AdminContext

REQUIRED = ("product", "subject", "commune", "group", "stars", "decision_number")
SUBJECT_PREFIXES: tuple[tuple[str, SubjectType], ...] = (
    ("hop tac xa", SubjectType.COOPERATIVE),
    ("htx", SubjectType.COOPERATIVE),
    ("to hop tac", SubjectType.COOPERATIVE_GROUP),
    ("tht", SubjectType.COOPERATIVE_GROUP),
    ("cong ty", SubjectType.ENTERPRISE),
    ("doanh nghiep", SubjectType.ENTERPRISE),
    ("dntn", SubjectType.ENTERPRISE),
    ("trang trai", SubjectType.FARM),
)
_T = TypeVar("_T")
MAX_ROWS = 50_000
MIN_STARS = 3  # 1★ and 2★ are results, not certificates (QĐ 26, Điều 4.1)
DECISION_NUMBER_MAX = 64  # the size of ``certificates.decision_number``
# The stored states an import reads and writes: a certificate renewed by a newer decision
# is superseded, and points at the certificate that renewed it.
SUPERSEDED = CertificateRecord.SUPERSEDED.value
REVOKED = CertificateRecord.REVOKED.value
VALID = CertificateRecord.VALID.value


class RowOutcome(StrEnum):
    """What an import does (or, in a dry run, would do) with one checked row."""

    ERROR = "error"  # refused, with its reason
    NEW = "new"  # a product not on record: product and certificate created
    RENEWAL = "renewal"  # a product on record with a newer decision: new certificate
    PRESENT = "present"  # this decision is already on record: nothing changes
    OLDER = "older"  # the product on record has a newer decision: nothing changes


class RowNote(StrEnum):
    """Something the clerk should check on a row that imports."""

    RENAMED = "renamed"  # the commune was written with its name before 1/7/2025
    YEAR_ONLY = "year_only"  # the decision's year alone: read as 1 January
    SPLIT = "split"  # one line names several products


OUTCOME_NAMES_VI: dict[RowOutcome, str] = {
    RowOutcome.ERROR: "Lỗi",
    RowOutcome.NEW: "Mới",
    RowOutcome.RENEWAL: "Cập nhật (công nhận lại)",
    RowOutcome.PRESENT: "Đã có",
    RowOutcome.OLDER: "Đã có quyết định mới hơn",
}
# The report's filters, as the page offers them: "" shows every line.
REPORT_FILTERS: dict[str, str] = {
    "": "Tất cả",
    RowOutcome.ERROR.value: "Lỗi",
    RowNote.RENAMED.value: "Tên xã cũ đã đổi",
    RowOutcome.NEW.value: "Mới",
    RowOutcome.RENEWAL.value: "Cập nhật (công nhận lại)",
    RowOutcome.PRESENT.value: "Đã có",
    RowNote.YEAR_ONLY.value: "Chỉ có năm",
    RowNote.SPLIT.value: "Tách sản phẩm",
}
REPORT_PAGE = 500  # lines shown on the page; the download holds them all
NOTE_NAMES_VI: dict[RowNote, str] = {
    RowNote.RENAMED: "Tên xã cũ",
    RowNote.YEAR_ONLY: "Chỉ có năm",
    RowNote.SPLIT: "Tách sản phẩm",
}


class ImportFileError(ValueError):
    """The file cannot be read at all (wrong type, no header, missing columns)."""


@dataclass(frozen=True, slots=True)
class ImportRow:
    """One product of a row that passed every check."""

    line: int
    product: str
    subject: str
    commune: CommuneRef
    group: str
    stars: int
    decision_number: str
    decision_date: date
    phone: str | None = None  # the subject's published phone (E.164), when the list has one
    old_commune: str | None = None  # the commune as written, when it was a pre-2025 name
    product_set: int | None = None  # QĐ 26 set, when the group cell or the name tells it
    level: Level = Level.PROVINCE
    year_only: bool = False
    split_from: str | None = None  # the line's text, when it named several products

    @property
    def key(self) -> str:
        """What makes the row the same row on a second import."""
        parts = (
            self.commune.code,
            fold(self.subject),
            fold(self.product),
            fold(self.decision_number),
        )
        return "import:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:48]

    @property
    def identity(self) -> tuple[str, str, str]:
        """What makes two rows the same product, whatever decision they carry."""
        return (self.commune.code, fold(self.subject), fold(self.product))

    @property
    def notes(self) -> tuple[RowNote, ...]:
        """What the clerk should check on this row."""
        return tuple(
            note
            for note, present in (
                (RowNote.RENAMED, self.old_commune is not None),
                (RowNote.YEAR_ONLY, self.year_only),
                (RowNote.SPLIT, self.split_from is not None),
            )
            if present
        )


@dataclass(frozen=True, slots=True)
class ReportLine:
    """One line of the report: a refused row, or one product of an accepted row."""

    line: int
    outcome: RowOutcome
    text: str  # the product, or the reason for a refusal
    notes: tuple[RowNote, ...] = ()
    detail: str = ""  # what the notes mean for this row


@dataclass
class ImportReport:
    """What an import found (dry run) or did (real run)."""

    rows: int = 0
    valid: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    # rows whose commune was written with its name before 1/7/2025: line, "old → new"
    renamed: list[tuple[int, str]] = field(default_factory=list)
    already_present: int = 0
    created_products: int = 0
    created_subjects: int = 0
    renewed: int = 0
    older: int = 0
    dry_run: bool = True
    lines: list[ReportLine] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """How many report lines each filter of the page shows."""
        found = {outcome.value: 0 for outcome in RowOutcome}
        found.update({note.value: 0 for note in RowNote})
        for item in self.lines:
            found[item.outcome.value] += 1
            for note in item.notes:
                found[note.value] += 1
        return found

    def shown(self, wanted: str) -> list[ReportLine]:
        """The lines one filter keeps: an outcome, a note, or everything ("")."""
        return [
            item
            for item in self.lines
            if not wanted or item.outcome.value == wanted or wanted in item.notes
        ]


def _cell(value: Any) -> str:
    """A cell's text on one line, cleaned as chat text is and bounded to a name's size:
    every text of the list passes here."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return " ".join(clean_text(str(value), MAX_NAME * 4).split())[:MAX_NAME]


def _rows_of(content: bytes, filename: str) -> Iterator[list[Any]]:
    name = filename.lower()
    if name.endswith(".xlsx"):
        try:
            book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as error:
            raise ImportFileError("Không đọc được tệp Excel (.xlsx).") from error
        sheet = book.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield list(row)
        book.close()
    elif name.endswith(".csv"):
        text = content.decode("utf-8-sig", errors="replace")
        dialect: type[csv.Dialect] = csv.excel
        with contextlib.suppress(csv.Error):
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        yield from csv.reader(io.StringIO(text), dialect)
    else:
        raise ImportFileError("Chỉ nhận tệp .xlsx hoặc .csv.")


def _header(cells: list[Any]) -> dict[str, int] | None:
    """Column positions when ``cells`` is the header row (it names the required columns)."""
    positions: dict[str, int] = {}
    for index, cell in enumerate(cells):
        key = header_key(_cell(cell))
        for column, aliases in COLUMNS.items():
            if column not in positions and key in aliases:
                positions[column] = index
    return positions if all(c in positions for c in ("product", "subject")) else None


def _missing_columns(positions: dict[str, int]) -> list[str]:
    missing = [COLUMN_NAMES_VI[c] for c in REQUIRED if c not in positions]
    if "decision_date" not in positions and "year" not in positions:
        missing.append(COLUMN_NAMES_VI["decision_date"])
    return missing


def _missing_message(missing: list[str]) -> str:
    accepted = "; ".join(
        f"{COLUMN_NAMES_VI[c]}: {HEADERS_ACCEPTED[c]}" for c in (*REQUIRED, "decision_date")
    )
    return f"Thiếu cột: {', '.join(missing)}. Tên cột được nhận — {accepted}."


_SECTION_NUMBER = re.compile(r"^(?:[ivxlc]+|\d+|[a-z])[.)]?\s+")


def _section(values: dict[str, Any]) -> tuple[str, str] | None:
    """A heading row of a printed table ("I. Nhóm thực phẩm", "Xã Quảng Sơn"): the column
    it sets for the rows below, and its value; None for a product row."""
    filled = {column for column, value in values.items() if _cell(value)}
    if filled != {"product"}:
        return None
    text = _cell(values["product"])
    if names_group(text):
        return "group", text
    if _SECTION_NUMBER.sub("", header_key(text)).startswith(("xa ", "thi tran ", "phuong ")):
        return "commune", text
    return None


def check_rows(content: bytes, filename: str, scope: Scope) -> tuple[list[ImportRow], ImportReport]:
    """Read the file and check every row; nothing is written.

    Blank cells of the columns a printed table merges (:data:`CARRIED_DOWN`) take the
    value above them, and heading rows ("Nhóm thực phẩm", "Xã Quảng Sơn") set that value
    for the rows below.
    """
    report = ImportReport()
    rows: list[ImportRow] = []
    positions: dict[str, int] | None = None
    above: dict[str, Any] = {}
    for line, cells in enumerate(_rows_of(content, filename), start=1):
        if positions is None:
            positions = _header(cells)
            if positions is None and line >= 20:
                break
            if positions is not None:
                missing = _missing_columns(positions)
                if missing:
                    raise ImportFileError(_missing_message(missing))
            continue
        values = {c: cells[i] if i < len(cells) else None for c, i in positions.items()}
        if not any(_cell(v) for v in values.values()):
            continue
        section = _section(values)
        if section is not None:
            column, value = section
            above[column] = value
            continue
        for column in CARRIED_DOWN:
            if column in values and not _cell(values[column]) and column in above:
                values[column] = above[column]
            elif column in values and _cell(values[column]):
                above[column] = values[column]
        report.rows += 1
        if report.rows > MAX_ROWS:
            raise ImportFileError(f"Tệp có hơn {MAX_ROWS} dòng; hãy chia nhỏ.")
        checked = _check(line, values, scope)
        if isinstance(checked, str):
            report.errors.append((line, checked))
            report.lines.append(ReportLine(line, RowOutcome.ERROR, checked))
            continue
        rows.extend(checked)
        first = checked[0]
        if first.old_commune is not None:
            report.renamed.append((line, f"{first.old_commune} → {first.commune.name}"))
    if positions is None:
        raise ImportFileError(
            "Không thấy dòng tiêu đề (cần các cột " + ", ".join(COLUMN_NAMES_VI.values()) + ")."
        )
    report.valid = len(rows)
    return rows, report


def _check(line: int, values: dict[str, Any], scope: Scope) -> list[ImportRow] | str:
    text = {c: _cell(v) for c, v in values.items()}
    problems = [f"thiếu {COLUMN_NAMES_VI[c].lower()}" for c in REQUIRED if not text.get(c)]
    decided, date_text = _decision_day(values, text)
    if decided is None and not date_text:
        problems.append("thiếu ngày quyết định (hoặc năm công nhận)")
    if problems:
        return "; ".join(problems)
    kind = read_kind(text["group"], text["product"])
    stars = read_stars(text["stars"])
    number = read_decision_number(text["decision_number"])
    found = _commune(
        commune_text(text["commune"]), text.get("district", ""), text.get("province", ""), scope
    )
    commune = found.commune if isinstance(found, _Renamed) else found
    if kind is None:
        problems.append(f"nhóm “{text['group']}” không có trong các nhóm OCOP: {GROUPS_ACCEPTED}")
    if stars is None:
        problems.append(f"hạng sao “{text['stars']}” không đọc được: {STARS_ACCEPTED}")
    elif stars < MIN_STARS:
        problems.append(f"hạng sao “{text['stars']}”: chỉ công nhận 3, 4 hoặc 5 sao")
    if decided is None:
        problems.append(f"ngày quyết định “{date_text}” không đọc được: {DATES_ACCEPTED}")
    if len(number) > DECISION_NUMBER_MAX:
        problems.append(f"số quyết định dài quá {DECISION_NUMBER_MAX} ký tự")
    level = Level.PROVINCE
    if stars == 5:
        level = _five_star_level(number, text.get("issuer", ""))
        if level is not Level.CENTRAL:
            problems.append(FIVE_STARS_REFUSED)
    if isinstance(commune, str):
        problems.append(commune)
    if problems or kind is None or stars is None or decided is None or isinstance(commune, str):
        return "; ".join(problems)
    names = split_products(text["product"])
    return [
        ImportRow(
            line,
            name,
            text["subject"],
            commune,
            kind.group.value,
            stars,
            number,
            decided.day,
            _phone(text.get("phone", "")),
            found.old.full_name if isinstance(found, _Renamed) else None,
            _set_of(kind, text["group"], name) if len(names) > 1 else kind.product_set,
            level,
            decided.year_only,
            text["product"] if len(names) > 1 else None,
        )
        for name in names
    ]


# QĐ 26/2026/QĐ-TTg, Điều 4.1.b and 7.4.g: 5★ is the central level's own decision, taken
# on a product the province proposed with 90 points or more; the province's score alone
# is a proposal, not a certificate. A clerk's list mixes both, so a 5★ row is imported
# only when it says the Ministry decided it (a ``QĐ-BNN…`` number, or an issuer column
# naming the Ministry); any other 5★ row is refused with what to write instead.
FIVE_STARS_REFUSED = (
    "hạng 5 sao do Bộ Nông nghiệp và Môi trường công nhận (QĐ 26, Điều 4.1.b), không do "
    "tỉnh: ghi số quyết định của Bộ (vd. “1234/QĐ-BNNMT-KTHT”) hoặc cột Cấp công nhận “Bộ”; "
    "nếu đây mới là điểm tỉnh đề nghị lên Bộ thì sản phẩm chưa có giấy chứng nhận 5 sao"
)


def _five_star_level(decision_number: str, issuer: str) -> Level:
    """Who certified a 5★ row: the central level when the row says so, else nobody yet
    (the province's rule certifies no 5★: :data:`ocop_rules.ROUTING`)."""
    certifier = ROUTING[(Regime.QD26_2026, Level.CENTRAL)].certifiers[5]
    if decided_by_ministry(decision_number, issuer):
        return certifier
    return Level.PROVINCE


def _decision_day(values: dict[str, Any], text: dict[str, str]) -> tuple[Day | None, str]:
    """The decision's day and the text it was read from: the date column; else a full date
    written with the decision's number ("Số 99/QĐ-UBND ngày 3/8/2024"); else the year."""
    if text.get("decision_date"):
        return read_day(values["decision_date"], text["decision_date"]), text["decision_date"]
    in_number = read_day(None, text.get("decision_number", ""))
    if in_number is not None and not in_number.year_only:
        return in_number, text["decision_number"]
    if text.get("year"):
        return read_day(values["year"], text["year"]), text["year"]
    return in_number, ""


def _set_of(kind: Kind, group_text: str, name: str) -> int | None:
    if kind.product_set is not None:
        return kind.product_set
    own = read_kind(group_text, name)
    return own.product_set if own is not None else None


@dataclass(frozen=True, slots=True)
class _Renamed:
    """A commune found by its name before 1/7/2025."""

    commune: CommuneRef
    old: OldCommune


def _commune(
    text: str, district_text: str, province_text: str, scope: Scope
) -> CommuneRef | _Renamed | str:
    """The current commune a row names: by code, by current name, or by its old name.

    With a district (a column, or after a comma) the old name is tried first, since
    districts no longer exist; without one, a current name wins over an old namesake.
    """
    if text.isdigit():
        found = commune_by_code(text.zfill(5))
        hits = [found] if found else []
    else:
        old_name = ", ".join(part for part in (text, district_text) if part)
        renamed = _old_commune(old_name, scope) if district_text or "," in text else None
        if isinstance(renamed, _Renamed):
            # "Xã Xốp, huyện Đăk Glei": found by its old name, but the name did not change
            return renamed.commune if _same_name(renamed.commune, text) else renamed
        hits = _current_communes(text, province_text, scope)
        if not hits:
            return renamed if renamed is not None else _old_commune(old_name, scope)
    if not hits:
        return _not_found(text)
    if len(hits) > 1:
        return f"có {len(hits)} xã tên “{text}”: ghi mã xã"
    if not scope.includes_commune(hits[0].code):
        return f"xã “{text}” không thuộc phạm vi tài khoản"
    return hits[0]


def _not_found(text: str) -> str:
    return (
        f"không tìm thấy xã “{text}” trong phạm vi tài khoản "
        "(dùng tên xã hiện nay, tên xã cũ kèm huyện, hoặc mã xã)"
    )


def _same_name(commune: CommuneRef, text: str) -> bool:
    head = place_key(text.partition(",")[0])
    return head in (place_key(commune.name), commune.key)


def _current_communes(text: str, province_text: str, scope: Scope) -> list[CommuneRef]:
    hits = [
        c
        for c in search_communes(f"{text} {province_text}".strip(), limit=20)
        if scope.includes_commune(c.code)
    ]
    if len(hits) > 1:
        key = place_key(text)
        exact = [c for c in hits if place_key(c.name) == key or c.key == key]
        hits = exact or hits
    return hits


def _old_commune(text: str, scope: Scope) -> _Renamed | str:
    """The current commune that an old name (with or without its district) became."""
    units = [
        unit
        for unit in search_old_communes(text)
        if any(scope.includes_commune(c.code) for c in unit.becomes)
    ]
    if not units:
        return _not_found(text)
    now = {c.code: c for unit in units for c in unit.becomes if scope.includes_commune(c.code)}
    if len(now) == 1:
        return _Renamed(next(iter(now.values())), units[0])
    if len(units) == 1:
        names = ", ".join(c.name for c in now.values())
        return (
            f"xã cũ “{units[0].full_name}” nay thuộc {len(now)} xã ({names}): "
            "ghi tên xã mới nơi chủ thể sản xuất"
        )
    districts = "; ".join(unit.district for unit in units[:5])
    return (
        f"có {len(units)} xã cũ tên “{text}” ({districts}): "
        "thêm tên huyện cũ, ví dụ “" + f"{units[0].name}, {units[0].district}" + "”, "
        "hoặc ghi tên xã mới"
    )


def _phone(text: str) -> str | None:
    """The subject's phone, or None: a missing or unreadable phone does not fail the row,
    it only means a producer cannot be recognised by it when signing up."""
    if not text:
        return None
    try:
        return parse_phone(text)
    except InvalidAnswerError:
        return None


def _subject_type(name: str) -> str:
    key = fold(name)
    for prefix, kind in SUBJECT_PREFIXES:
        if key.startswith(prefix):
            return kind.value
    return SubjectType.REGISTERED_HOUSEHOLD.value


def _chunks(items: Sequence[_T], size: int = 500) -> Iterable[Sequence[_T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass(frozen=True, slots=True)
class _OnRecord:
    """A product already on record and its latest decision."""

    product_id: int | None  # None: created by an earlier row of the same file
    issued_on: date
    decision_number: str


@dataclass
class _Plan:
    """What the import does with each checked row."""

    outcomes: list[RowOutcome]
    products: dict[tuple[str, str, str], int]  # product identity → id, for those on record
    subjects: dict[tuple[str, str], int]  # (commune, folded name) → id


async def _plan(session: AsyncSession, rows: list[ImportRow]) -> _Plan:
    """Decide, without writing, what each row does.

    A row whose key is stored is present. Otherwise, a row naming a product on record
    (same commune, subject and product name) renews it when its decision is newer than the
    product's latest certificate, and changes nothing when it is the same or older
    decision; a product not on record is new. Rows are taken oldest decision first, so a
    list carrying a product's first certificate and its re-certification imports both.
    """
    present: set[str] = set()
    for chunk in _chunks([row.key for row in rows]):
        present.update(
            await session.scalars(select(Product.import_key).where(Product.import_key.in_(chunk)))
        )
    subjects: dict[tuple[str, str], int] = {}
    for chunk in _chunks(sorted({row.commune.code for row in rows})):
        for subject_id, commune_code, name in await session.execute(
            select(Subject.id, Subject.commune_code, Subject.name).where(
                Subject.commune_code.in_(chunk)
            )
        ):
            subjects.setdefault((commune_code, fold(name)), subject_id)
    by_subject = {subject_id: key for key, subject_id in subjects.items()}
    products: dict[tuple[str, str, str], int] = {}
    latest: dict[tuple[str, str, str], _OnRecord] = {}
    for subject_ids in _chunks(sorted(by_subject.keys())):
        for product_id, subject_id, name in await session.execute(
            select(Product.id, Product.subject_id, Product.name).where(
                Product.subject_id.in_(subject_ids)
            )
        ):
            commune_code, subject_name = by_subject[subject_id]
            products.setdefault((commune_code, subject_name, fold(name)), product_id)
    owners = {product_id: identity for identity, product_id in products.items()}
    for product_ids in _chunks(sorted(owners.keys())):
        for product_id, issued_on, number in await session.execute(
            select(Certificate.product_id, Certificate.issued_on, Certificate.decision_number)
            .where(Certificate.product_id.in_(product_ids))
            .order_by(Certificate.issued_on, Certificate.id)
        ):
            latest[owners[product_id]] = _OnRecord(product_id, issued_on, number or "")
    outcomes: list[RowOutcome] = [RowOutcome.PRESENT] * len(rows)
    order = sorted(range(len(rows)), key=lambda i: (rows[i].decision_date, i))
    for index in order:
        row = rows[index]
        if row.key in present:
            continue
        present.add(row.key)
        record = latest.get(row.identity)
        if record is None and row.identity not in products:
            outcomes[index] = RowOutcome.NEW
        elif record is None or row.decision_date > record.issued_on:
            outcomes[index] = RowOutcome.RENEWAL
        elif fold(record.decision_number) != fold(row.decision_number):
            outcomes[index] = RowOutcome.OLDER
        latest[row.identity] = _OnRecord(
            record.product_id if record else products.get(row.identity),
            row.decision_date,
            row.decision_number,
        )
    return _Plan(outcomes, products, subjects)


async def _current_certificates(
    session: AsyncSession, product_ids: list[int]
) -> list[tuple[int, int]]:
    """(product id, certificate id) of the certificates still in force — neither revoked
    nor superseded — of the products a list renews, read before the renewals are written."""
    found: list[tuple[int, int]] = []
    for chunk in _chunks(product_ids):
        found.extend(
            (product_id, certificate_id)
            for product_id, certificate_id in await session.execute(
                select(Certificate.product_id, Certificate.id)
                .where(
                    Certificate.product_id.in_(chunk),
                    Certificate.status.notin_((REVOKED, SUPERSEDED)),
                )
                .order_by(Certificate.id)
            )
        )
    return found


def _supersessions(
    current: list[tuple[int, int]], written: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """(superseded id, id of the certificate that replaced it) for a product's chain, so
    that every superseded certificate says which one renewed it: a certificate in force
    before the import is replaced by the product's oldest new one, and each new one but the
    newest by the next newer (``written`` is in decision order)."""
    chain: dict[int, list[int]] = {}
    for product_id, certificate_id in written:
        chain.setdefault(product_id, []).append(certificate_id)
    links = [(old, chain[product_id][0]) for product_id, old in current if product_id in chain]
    for ids in chain.values():
        links.extend(pairwise(ids))
    return links


def _detail(row: ImportRow) -> str:
    parts = []
    if row.old_commune is not None:
        parts.append(f"{row.old_commune} → {row.commune.name}")
    if row.year_only:
        parts.append(f"chỉ có năm {row.decision_date.year}: tính từ 01/01/{row.decision_date.year}")
    if row.split_from is not None:
        parts.append(f"tách từ “{row.split_from}”")
    return "; ".join(parts)


def _report_lines(report: ImportReport, rows: list[ImportRow], plan: _Plan) -> None:
    report.lines.extend(
        ReportLine(row.line, outcome, row.product, row.notes, _detail(row))
        for row, outcome in zip(rows, plan.outcomes, strict=True)
    )
    report.lines.sort(key=lambda item: item.line)
    report.already_present = plan.outcomes.count(RowOutcome.PRESENT)
    report.older = plan.outcomes.count(RowOutcome.OLDER)


async def dry_run(session: AsyncSession, rows: list[ImportRow], report: ImportReport) -> None:
    """Say in ``report`` what importing ``rows`` would do (new, renewal, present), reading
    only."""
    plan = await _plan(session, rows)
    _report_lines(report, rows, plan)
    report.created_products = plan.outcomes.count(RowOutcome.NEW)
    report.renewed = plan.outcomes.count(RowOutcome.RENEWAL)


async def import_rows(
    session: AsyncSession,
    rows: list[ImportRow],
    report: ImportReport,
    scope: Scope,
    actor: str,
    now: datetime,
) -> ImportReport:
    """Write the checked rows not imported before (bulk inserts, one transaction): new
    products with their certificate, and renewals of products on record, whose earlier
    certificates become :data:`SUPERSEDED`, each pointing at the certificate that renewed
    it (``superseded_by_id``)."""
    report.dry_run = False
    plan = await _plan(session, rows)
    _report_lines(report, rows, plan)
    fresh = [row for row, o in zip(rows, plan.outcomes, strict=True) if o is RowOutcome.NEW]
    renewals = [row for row, o in zip(rows, plan.outcomes, strict=True) if o is RowOutcome.RENEWAL]
    subjects = plan.subjects
    wanted: dict[tuple[str, str], ImportRow] = {}
    for row in fresh:
        key = (row.commune.code, fold(row.subject))
        if key not in subjects:
            wanted.setdefault(key, row)
    if wanted:
        created = await session.execute(
            insert(Subject).returning(Subject.id, Subject.commune_code, Subject.name),
            [
                {
                    "subject_type": _subject_type(row.subject),
                    "name": row.subject,
                    "commune_code": row.commune.code,
                    "contact_phone_e164": row.phone,
                    "created_at": now,
                }
                for row in wanted.values()
            ],
        )
        for subject_id, commune_code, name in created:
            subjects[(commune_code, fold(name))] = subject_id
        report.created_subjects = len(wanted)
    product_ids = dict(plan.products)
    if fresh:
        created_products = await session.execute(
            insert(Product).returning(Product.id, Product.import_key),
            [
                {
                    "subject_id": subjects[(row.commune.code, fold(row.subject))],
                    "import_key": row.key,
                    "name": row.product,
                    "group_code": row.group,
                    "product_set": row.product_set,
                    "papers_held": [],
                    "idea_answers": {},
                    "created_at": now,
                }
                for row in fresh
            ],
        )
        by_key = {key: product_id for product_id, key in created_products}
        for row in fresh:
            product_ids[row.identity] = by_key[row.key]
    renewed_products = sorted({product_ids[row.identity] for row in renewals})
    current = await _current_certificates(session, renewed_products)
    written = sorted([*fresh, *renewals], key=lambda r: r.decision_date)
    links: list[tuple[int, int]] = []
    if written:
        inserted = await session.scalars(
            insert(Certificate).returning(Certificate.id, sort_by_parameter_order=True),
            [
                {
                    "product_id": product_ids[row.identity],
                    "stars": row.stars,
                    "issuing_level": row.level.value,
                    "issuing_authority": issuing_authority(row.level, scope),
                    "decision_number": row.decision_number,
                    "issued_on": row.decision_date,
                    "expires_on": certificate_expiry(row.decision_date),
                    "status": VALID,
                    "created_at": now,
                }
                for row in written
            ],
        )
        ids = [
            (product_ids[row.identity], certificate_id)
            for row, certificate_id in zip(written, inserted, strict=True)
        ]
        links = _supersessions(current, ids)
        for chunk in _chunks(links):
            await session.execute(
                update(Certificate),
                [{"id": old, "status": SUPERSEDED, "superseded_by_id": new} for old, new in chunk],
            )
    report.created_products = len(fresh)
    report.renewed = len(renewals)
    if written:
        record(
            session,
            AuditAction.IMPORT_PRODUCTS,
            actor=actor,
            entity=("import", now.strftime("%Y%m%d%H%M%S")),
            province_code=scope.code if scope.is_province else None,
            commune_code=None if scope.is_province else scope.code,
            after={
                "rows": report.rows,
                "created_products": report.created_products,
                "created_subjects": report.created_subjects,
                "renewed": report.renewed,
                "superseded": len(links),
                "already_present": report.already_present,
                "errors": len(report.errors),
            },
            at=now,
        )
    return report


def report_table(report: ImportReport, wanted: str = "") -> tuple[list[str], list[list[Any]]]:
    """The report's lines as a table (the XLSX download), kept to one filter when given."""
    header = ["Dòng", "Kết quả", "Sản phẩm hoặc lý do", "Cần kiểm tra", "Chi tiết"]
    return header, [
        [
            item.line,
            OUTCOME_NAMES_VI[item.outcome],
            item.text,
            ", ".join(NOTE_NAMES_VI[note] for note in item.notes),
            item.detail,
        ]
        for item in report.shown(wanted)
    ]


async def check_and_import(
    admin: AdminContext, staff: Staff, content: bytes, filename: str, *, apply: bool
) -> ImportReport:
    """What the admin page and the API do with an uploaded list: check every row and say
    what each would do or, with ``apply``, write the valid ones. Raises
    :class:`ImportFileError` for an unreadable file.

    The check runs in a thread: reading 10,000 rows takes seconds of CPU, and the event
    loop keeps serving chats meanwhile.
    """
    rows, report = await asyncio.to_thread(check_rows, content, filename, staff.scope)
    if apply:
        async with admin.writing() as session:
            return await import_rows(session, rows, report, staff.scope, staff.actor, admin.clock())
    async with admin.reading() as session:
        await dry_run(session, rows, report)
    return report


def report_xlsx(report: ImportReport, wanted: str = "") -> bytes:
    """The report (or one filter of it) as the XLSX a clerk downloads, cells made safe as
    every export's are."""
    return to_xlsx(report_table(report, wanted), "Kiem tra danh sach")
