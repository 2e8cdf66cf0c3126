"""Import of products a province has already certified, from its published list.

Provinces publish their OCOP lists as spreadsheets with columns such as "Tên sản phẩm",
"Chủ thể", "Xã", "Nhóm", "Số sao", "Số quyết định", "Ngày quyết định". The headers are
matched without accents or case, so the file can be imported as published.

A dry run checks every row and lists each one that would fail, with the reason, and writes
nothing. The real run writes the rows that pass in one transaction; each product carries an
``import_key`` made of its commune, subject, name and decision, so importing the same file
again finds every key already present and changes nothing. Subjects are matched by commune
and name, so one cooperative with five products is one subject. A phone column, when the list
has one, is kept on the subject, so that its producer is recognised when signing up with that
number (``handlers/claiming.py``); a phone that cannot be read leaves the row valid.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import hashlib
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from openpyxl import load_workbook
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.admin.decisions import issuing_authority
from bot.admin.scope import Scope
from bot.cleaning import MAX_NAME, clean_text
from bot.db.models import AuditEntry, Certificate, Product, Subject
from handlers.communes import CommuneRef, commune_by_code, search_communes
from handlers.old_communes import OldCommune, search_old_communes
from handlers.parsing import InvalidAnswerError, parse_phone
from handlers.textmatch import fold, place_key
from ocop_rules import Level, SubjectType, certificate_expiry, product_groups

if TYPE_CHECKING:
    from bot.admin.accounts import Staff
    from bot.admin.context import AdminContext

COLUMNS: dict[str, tuple[str, ...]] = {
    "product": ("ten san pham", "san pham", "ten sp", "product"),
    "subject": ("chu the", "ten chu the", "chu the san xuat", "don vi", "subject"),
    "commune": ("xa", "xa phuong", "xa/phuong", "xa, phuong", "phuong/xa", "dia ban", "commune"),
    "district": ("huyen", "quan/huyen", "huyen/quan", "quan, huyen", "huyen cu", "district"),
    "province": ("tinh", "tinh/thanh pho", "province"),
    "group": ("nhom", "nhom san pham", "nganh hang", "group"),
    "stars": ("so sao", "hang sao", "xep hang", "ket qua", "sao", "stars"),
    "decision_number": ("so quyet dinh", "quyet dinh", "so qd", "qd", "decision number"),
    "decision_date": ("ngay quyet dinh", "ngay qd", "ngay cong nhan", "decision date"),
    "phone": ("dien thoai", "so dien thoai", "sdt", "phone"),
}
REQUIRED = ("product", "subject", "commune", "group", "stars", "decision_number", "decision_date")
COLUMN_NAMES_VI = {
    "product": "Tên sản phẩm",
    "subject": "Chủ thể",
    "commune": "Xã",
    "group": "Nhóm",
    "stars": "Số sao",
    "decision_number": "Số quyết định",
    "decision_date": "Ngày quyết định",
}
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
MAX_ROWS = 50_000
DECISION_NUMBER_MAX = 64  # the size of ``certificates.decision_number``
_DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d")


class ImportFileError(ValueError):
    """The file cannot be read at all (wrong type, no header, missing columns)."""


@dataclass(frozen=True, slots=True)
class ImportRow:
    """One row that passed every check."""

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
    dry_run: bool = True


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
        key = fold(_cell(cell)).strip(" :*")
        for column, aliases in COLUMNS.items():
            if column not in positions and key in aliases:
                positions[column] = index
    return positions if all(c in positions for c in ("product", "subject")) else None


def _group(text: str) -> str | None:
    key = fold(text)
    for info in product_groups():
        if key in {str(info.number), info.group.value, fold(info.name_vi)} or (
            key and fold(info.name_vi).startswith(key)
        ):
            return info.group.value
    number = re.match(r"^(?:nhom\s*)?(\d)\b", key)
    if number:
        for info in product_groups():
            if info.number == int(number.group(1)):
                return info.group.value
    return None


def _stars(text: str) -> int | None:
    found = re.match(r"^\s*([1-5])\s*(?:sao|\*|★)?\s*$", fold(text))
    return int(found.group(1)) if found else None


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _cell(value)
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()  # noqa: DTZ007 - a calendar day
        except ValueError:
            continue
    return None


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


def check_rows(content: bytes, filename: str, scope: Scope) -> tuple[list[ImportRow], ImportReport]:
    """Read the file and check every row; nothing is written."""
    report = ImportReport()
    rows: list[ImportRow] = []
    positions: dict[str, int] | None = None
    for line, cells in enumerate(_rows_of(content, filename), start=1):
        if positions is None:
            positions = _header(cells)
            if positions is None and line >= 20:
                break
            if positions is not None:
                missing = [COLUMN_NAMES_VI[c] for c in REQUIRED if c not in positions]
                if missing:
                    raise ImportFileError("Thiếu cột: " + ", ".join(missing) + ".")
            continue
        values = {c: cells[i] if i < len(cells) else None for c, i in positions.items()}
        if not any(_cell(v) for v in values.values()):
            continue
        report.rows += 1
        if report.rows > MAX_ROWS:
            raise ImportFileError(f"Tệp có hơn {MAX_ROWS} dòng; hãy chia nhỏ.")
        checked = _check(line, values, scope)
        if isinstance(checked, str):
            report.errors.append((line, checked))
        else:
            rows.append(checked)
            if checked.old_commune is not None:
                report.renamed.append((line, f"{checked.old_commune} → {checked.commune.name}"))
    if positions is None:
        raise ImportFileError(
            "Không thấy dòng tiêu đề (cần các cột " + ", ".join(COLUMN_NAMES_VI.values()) + ")."
        )
    report.valid = len(rows)
    return rows, report


def _check(line: int, values: dict[str, Any], scope: Scope) -> ImportRow | str:
    text = {c: _cell(v) for c, v in values.items()}
    problems = [f"thiếu {COLUMN_NAMES_VI[c].lower()}" for c in REQUIRED if not text.get(c)]
    if problems:
        return "; ".join(problems)
    group = _group(text["group"])
    stars = _stars(text["stars"])
    decided = _date(values["decision_date"])
    found = _commune(text["commune"], text.get("district", ""), text.get("province", ""), scope)
    commune = found.commune if isinstance(found, _Renamed) else found
    if group is None:
        problems.append(f"nhóm “{text['group']}” không có trong 6 nhóm OCOP")
    if stars is None or stars < 3:
        problems.append(f"số sao “{text['stars']}” phải là 3, 4 hoặc 5")
    if decided is None:
        problems.append(f"ngày quyết định “{text['decision_date']}” không đúng dạng ngày/tháng/năm")
    if len(text["decision_number"]) > DECISION_NUMBER_MAX:
        problems.append(f"số quyết định dài quá {DECISION_NUMBER_MAX} ký tự")
    if isinstance(commune, str):
        problems.append(commune)
    if problems or group is None or stars is None or decided is None or isinstance(commune, str):
        return "; ".join(problems)
    return ImportRow(
        line,
        text["product"],
        text["subject"],
        commune,
        group,
        stars,
        text["decision_number"],
        decided,
        _phone(text.get("phone", "")),
        found.old.full_name if isinstance(found, _Renamed) else None,
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


def _level(row: ImportRow) -> Level:
    """5★ is certified by the Ministry, 3★ and 4★ by the province (QĐ 148 and QĐ 1489)."""
    return Level.CENTRAL if row.stars == 5 else Level.PROVINCE


def _chunks(items: list[str], size: int = 500) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def import_rows(
    session: AsyncSession,
    rows: list[ImportRow],
    report: ImportReport,
    scope: Scope,
    actor: str,
    now: datetime,
) -> ImportReport:
    """Write the checked rows not imported before (bulk inserts, one transaction)."""
    report.dry_run = False
    keys = [row.key for row in rows]
    present: set[str] = set()
    for chunk in _chunks(keys):
        present.update(
            await session.scalars(select(Product.import_key).where(Product.import_key.in_(chunk)))
        )
    fresh: dict[str, ImportRow] = {}
    for row in rows:
        if row.key not in present:
            fresh.setdefault(row.key, row)
    report.already_present = len(rows) - len(fresh)
    if not fresh:
        return report
    communes = sorted({row.commune.code for row in fresh.values()})
    subjects: dict[tuple[str, str], int] = {}
    for chunk in _chunks(communes):
        for subject_id, commune_code, name in await session.execute(
            select(Subject.id, Subject.commune_code, Subject.name).where(
                Subject.commune_code.in_(chunk)
            )
        ):
            subjects.setdefault((commune_code, fold(name)), subject_id)
    wanted: dict[tuple[str, str], ImportRow] = {}
    for row in fresh.values():
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
    products = await session.execute(
        insert(Product).returning(Product.id, Product.import_key),
        [
            {
                "subject_id": subjects[(row.commune.code, fold(row.subject))],
                "import_key": key,
                "name": row.product,
                "group_code": row.group,
                "papers_held": [],
                "idea_answers": {},
                "created_at": now,
            }
            for key, row in fresh.items()
        ],
    )
    product_ids = {key: product_id for product_id, key in products}
    await session.execute(
        insert(Certificate),
        [
            {
                "product_id": product_ids[key],
                "stars": row.stars,
                "issuing_level": _level(row).value,
                "issuing_authority": issuing_authority(_level(row), scope),
                "decision_number": row.decision_number,
                "issued_on": row.decision_date,
                "expires_on": certificate_expiry(row.decision_date),
                "status": "valid",
                "created_at": now,
            }
            for key, row in fresh.items()
        ],
    )
    report.created_products = len(fresh)
    session.add(
        AuditEntry(
            actor_label=actor,
            action="import.products",
            entity_type="import",
            entity_id=now.strftime("%Y%m%d%H%M%S"),
            after={
                "rows": report.rows,
                "created_products": report.created_products,
                "created_subjects": report.created_subjects,
                "already_present": report.already_present,
                "errors": len(report.errors),
            },
            at=now,
        )
    )
    return report


async def check_and_import(
    admin: AdminContext, staff: Staff, content: bytes, filename: str, *, apply: bool
) -> ImportReport:
    """What the admin page and the API do with an uploaded list: check every row and, with
    ``apply``, write the valid ones. Raises :class:`ImportFileError` for an unreadable file.

    The check runs in a thread: reading 10,000 rows takes seconds of CPU, and the event
    loop keeps serving chats meanwhile.
    """
    rows, report = await asyncio.to_thread(check_rows, content, filename, staff.scope)
    if apply:
        async with admin.writing() as session:
            report = await import_rows(
                session, rows, report, staff.scope, staff.actor, admin.clock()
            )
    return report
