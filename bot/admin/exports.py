"""Downloads for staff: dossiers, certificates and commune reports as CSV or XLSX, with
Vietnamese headers. CSV carries a BOM so Excel opens the accents correctly.

Every text cell goes out through :func:`cell`: without the characters XML cannot hold (one
of them made the whole XLSX fail), and, when it starts like a formula (``= + - @``, tab or
carriage return), behind a ``'`` — OWASP's advice against CSV injection — so a product
named ``=HYPERLINK(…)`` reads as its name and never runs in the clerk's spreadsheet.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import self_assessments
from bot.admin import service
from bot.admin.scope import Scope
from bot.db.models import CommuneAssessment, Dossier, Product, Subject
from bot.i18n import translator
from bot.links import download_headers
from handlers.certificate_words import GROUND_LABELS, STATE_LABELS
from handlers.officer import CONCLUSION_LABELS, GROUP_NAMES, STATUS_LABELS
from handlers.xml_text import xml_safe
from ocop_rules import CommuneConclusion, DossierStatus, LifecycleState, RevocationGround

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
KINDS = ("dossiers", "certificates", "commune_reports")
_VI = translator("vi")

Table = tuple[list[str], list[list[Any]]]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _status(code: str) -> str:
    try:
        return _VI.gettext(STATUS_LABELS[DossierStatus(code)])
    except ValueError:
        return code


def _conclusion(code: str | None) -> str:
    try:
        return _VI.gettext(CONCLUSION_LABELS[CommuneConclusion(code or "")])
    except ValueError:
        return code or ""


async def dossiers(session: AsyncSession, scope: Scope, wanted: service.DossierFilter) -> Table:
    """The dossier list as filtered on the page."""
    rows = await service.all_dossiers(session, scope, wanted)
    own = {
        dossier_id: int(total) if total == total.to_integral_value() else float(total)
        for dossier_id, total in (
            await self_assessments.finished_totals(session, [r.id for r in rows])
        ).items()
    }
    return (
        ["Mã hồ sơ", "Sản phẩm", "Mã đăng ký", "Chủ thể", "Xã", "Nhóm", "Trạng thái", "Năm",
         "Cập nhật", "Tự đánh giá (điểm)"],
        [
            [r.id, r.product, r.registration_code or "", r.subject,
             service.commune_name(r.commune_code), GROUP_NAMES.get(r.group, r.group),
             _status(r.status), r.year, r.status_changed_at,
             own.get(r.id, "")]
            for r in rows
        ],
    )  # fmt: skip


def _state(state: LifecycleState) -> str:
    return _VI.gettext(STATE_LABELS[state])


def _ground(code: str | None) -> str:
    try:
        return _VI.gettext(GROUND_LABELS[RevocationGround(code or "")])
    except ValueError:
        return code or ""


async def certificates(
    session: AsyncSession,
    scope: Scope,
    today: date,
    wanted: service.CertificateFilter = service.CertificateFilter(),  # noqa: B008 - frozen
) -> Table:
    """Every certificate of the scope matching ``wanted``, with its state on ``today`` as
    the pages show it."""
    rows, _ = await service.list_certificates(session, scope, today, wanted, limit=None)
    return (
        ["Sản phẩm", "Chủ thể", "Xã", "Số sao", "Số giấy chứng nhận", "Số quyết định",
         "Ngày quyết định", "Ngày hết hạn", "Cơ quan công nhận", "Tình trạng",
         "Căn cứ thu hồi", "Ngày thu hồi"],
        [
            [r.product, r.subject, service.commune_name(r.commune_code), r.certificate.stars,
             r.certificate.number or "", r.certificate.decision_number or "",
             r.certificate.issued_on, r.certificate.expires_on, r.issuer,
             _state(r.state), _ground(r.certificate.revocation_ground),
             r.certificate.revoked_on or ""]
            for r in rows
        ],
    )  # fmt: skip


async def commune_reports(session: AsyncSession, scope: Scope) -> Table:
    """The commune's conclusion on each dossier it assessed."""
    rows = await session.execute(
        select(CommuneAssessment, Dossier, Product, Subject)
        .join(Dossier, Dossier.id == CommuneAssessment.dossier_id)
        .join(Product, Product.id == Dossier.product_id)
        .join(Subject, Subject.id == Product.subject_id)
        .where(scope.dossiers())
        .order_by(Dossier.commune_code, Dossier.id)
    )
    return (
        ["Mã hồ sơ", "Sản phẩm", "Chủ thể", "Xã", "Kiểm tra hình thức", "Ngày họp",
         "Kết luận", "Ngày kết luận"],
        [
            [d.id, p.name, s.name, service.commune_name(d.commune_code), a.form_check or "",
             a.meeting_date, _conclusion(a.conclusion), a.decided_at]
            for a, d, p, s in rows
        ],
    )  # fmt: skip


def cell(value: Any) -> Any:
    """``value`` as a spreadsheet may hold it: text that XML can hold and that no
    spreadsheet reads as a formula; other values as they are."""
    if not isinstance(value, str):
        return value
    text = xml_safe(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return "" if value is None else cell(value)


def to_csv(table: Table) -> bytes:
    """UTF-8 CSV with a BOM (Excel's cue for UTF-8)."""
    header, rows = table
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([cell(v) for v in header])
    writer.writerows([_plain(v) for v in row] for row in rows)
    return out.getvalue().encode("utf-8-sig")


def to_xlsx(table: Table, title: str) -> bytes:
    """One sheet, bold header, dates as real dates."""
    header, rows = table
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    sheet.append([cell(v) for v in header])
    for row in rows:
        sheet.append([v.replace(tzinfo=None) if isinstance(v, datetime) else cell(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


CSV = "text/csv; charset=utf-8"


@dataclass(frozen=True, slots=True)
class ExportFile:
    """A download: its bytes, media type and file name."""

    content: bytes
    media_type: str
    filename: str

    @property
    def headers(self) -> dict[str, str]:
        """The download's Content-Disposition."""
        return download_headers(self.filename)


def local_time(value: datetime, timezone: tzinfo) -> datetime:
    """A stored moment (UTC; naive ones are UTC too) as the wall-clock time of ``timezone``,
    without a zone: what a clerk's spreadsheet shows and sorts."""
    moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return moment.astimezone(timezone).replace(tzinfo=None)


def _in_local_time(table: Table, timezone: tzinfo) -> Table:
    header, rows = table
    return header, [
        [local_time(v, timezone) if isinstance(v, datetime) else v for v in row] for row in rows
    ]


async def export_file(
    session: AsyncSession,
    scope: Scope,
    kind: str,
    fmt: str,
    wanted: service.DossierFilter,
    today: date,
    *,
    timezone: tzinfo,
) -> ExportFile:
    """``kind`` (one of :data:`KINDS`) of ``scope`` as ``fmt`` ("csv" or "xlsx"), for the
    pages and the API alike; dossiers as ``wanted`` filters them; times in ``timezone``."""
    if kind == "dossiers":
        table = await dossiers(session, scope, wanted)
    elif kind == "certificates":
        table = await certificates(session, scope, today)
    else:
        table = await commune_reports(session, scope)
    table = _in_local_time(table, timezone)
    name = f"ocop-{kind}-{today:%Y%m%d}.{fmt}"
    if fmt == "csv":
        return ExportFile(to_csv(table), CSV, name)
    return ExportFile(to_xlsx(table, kind), XLSX, name)
