"""The audit log as staff read it: every staff action, once, as a Vietnamese sentence.

Theory of operation
-------------------
Each change a person makes — a login, an import, scores, a certificate, a round, an
invite, an announcement, an answer, a Zalo OA setting — adds one
:class:`~bot.db.models.AuditEntry` whose ``action`` is an :class:`AuditAction`.
:data:`SENTENCES` says each action in words, filled from the entry's before/after facts
(codes turned into their labels, dates into dd/mm/yyyy), so the page never shows a raw
dict. Adding an action is one enum member and one row of :data:`SENTENCES`; a test checks
that no member lacks its row.

Every entry carries its places (province, commune, dossier, product, filled by
:mod:`bot.db.places`), so :func:`search_audit` finds entries by person, dossier, product,
commune and local date, within the account's province or commune only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, tzinfo
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.admin.scope import Scope, ScopeError
from bot.db.models import AuditEntry, Product, Subject
from bot.i18n import translator
from handlers.certificate_words import GROUND_LABELS
from handlers.communes import commune_by_code, search_communes
from handlers.notices import OPTIONAL_KINDS
from handlers.officer import CONCLUSION_LABELS, STATUS_LABELS
from handlers.textmatch import fold
from ocop_rules import CommuneConclusion, DossierStatus, RevocationGround


class AuditAction(StrEnum):
    """Every action the audit log records (the stored ``audit_log.action``)."""

    STAFF_LOGIN = "staff.login"
    STAFF_LOGOUT = "staff.logout"
    STAFF_CREATE = "staff.create"
    STAFF_TOKEN = "staff.token"  # noqa: S105 - an action name, not a secret
    IMPORT_PRODUCTS = "import.products"
    DOSSIER_STATUS = "dossier.status"
    COUNCIL_SCORES = "council.scores"
    COUNCIL_PUBLISH = "council.publish"
    CENTRAL_RESULT = "central.result"
    CERTIFICATE_ISSUE = "certificate.issue"
    CERTIFICATE_REVOKE = "certificate.revoke"
    CERTIFICATE_SUPERSEDE = "certificate.supersede"
    ANNOUNCEMENT_SEND = "announcement.send"
    QUESTION_ANSWER = "question.answer"
    ROUND_ADD = "round.add"
    ROUND_CHANGE = "round.change"
    ROUND_REMOVE = "round.remove"
    INVITE_CREATE = "invite.create"
    INVITE_REVOKE = "invite.revoke"
    OFFICER_GRANT = "officer.grant"
    OFFICER_DENIED = "officer.denied"
    COMMUNE_FORM_CHECK = "commune.form_check"
    COMMUNE_ASSESS = "commune.assess"
    COMMUNE_REOPEN = "commune.reopen"
    COMMUNE_REOPEN_REFUSED = "commune.reopen_refused"
    SUBJECT_CLAIMED = "subject.claimed"
    ACCOUNT_LINKED = "account.linked"
    OA_TEMPLATE_MAP = "oa.template_map"
    OA_TEMPLATE_REMOVE = "oa.template_remove"
    OA_GRANT = "oa.grant"


A = AuditAction
# One sentence per action; ``{name}`` is a fact of the entry (after, or ``before_name``
# for the value before), ``{actor}``, ``{dossier}``, ``{commune}`` are named for people.
SENTENCES: Mapping[AuditAction, str] = {
    A.STAFF_LOGIN: "{actor} đăng nhập trang quản trị.",
    A.STAFF_LOGOUT: "{actor} đăng xuất khỏi trang quản trị.",
    A.STAFF_CREATE: "{actor} tạo tài khoản cán bộ “{username}” ({scope}).",
    A.STAFF_TOKEN: "{actor} cấp mã API mới cho tài khoản cán bộ số {entity_id}.",
    A.IMPORT_PRODUCTS: (
        "{actor} nhập danh sách sản phẩm OCOP: {rows} dòng, {created_products} sản phẩm mới, "
        "{renewed} sản phẩm công nhận lại, {already_present} đã có, {errors} dòng lỗi."
    ),
    A.DOSSIER_STATUS: "{actor} chuyển hồ sơ {dossier} từ “{before_status}” sang “{status}”.",
    A.COUNCIL_SCORES: (
        "{actor} ghi điểm hội đồng cho hồ sơ {dossier}: trung bình {average} điểm ({stars} sao)."
    ),
    A.CERTIFICATE_ISSUE: (
        "{actor} cấp giấy chứng nhận {stars} sao số {number} (quyết định {decision_number}, "
        "ngày {issued_on}) cho hồ sơ {dossier}, hiệu lực đến {expires_on}."
    ),
    A.CERTIFICATE_REVOKE: (
        "{actor} thu hồi giấy chứng nhận số {certificate_id}, căn cứ: {ground}. Ghi chú: {reason}."
    ),
    A.COUNCIL_PUBLISH: (
        "{actor} công bố kết quả của hội đồng cho hồ sơ {dossier}: {average} điểm, {stars} sao "
        "(quyết định {decision_number} ngày {decision_date})."
    ),
    A.CENTRAL_RESULT: (
        "{actor} ghi kết quả cấp Trung ương cho hồ sơ {dossier}: {average} điểm, {stars} sao "
        "(quyết định {decision_number})."
    ),
    A.CERTIFICATE_SUPERSEDE: (
        "{actor} ghi giấy chứng nhận số {entity_id} đã được thay bằng giấy số {by_certificate_id}."
    ),
    A.ANNOUNCEMENT_SEND: "{actor} gửi thông báo tới {recipients} người.",
    A.QUESTION_ANSWER: "{actor} trả lời câu hỏi số {entity_id} của chủ thể.",
    A.ROUND_ADD: "{actor} thêm đợt đánh giá “{name}”.",
    A.ROUND_CHANGE: "{actor} sửa đợt đánh giá “{name}” (lần sửa {version}).",
    A.ROUND_REMOVE: "{actor} xóa đợt đánh giá “{before_name}”.",
    A.INVITE_CREATE: "{actor} tạo lời mời cán bộ xã cho {commune}, hết hạn {expires_at}.",
    A.INVITE_REVOKE: "{actor} hủy lời mời cán bộ xã số {entity_id} ({commune}).",
    A.OFFICER_GRANT: "{actor} nhận lời mời và trở thành cán bộ của {commune}.",
    A.OFFICER_DENIED: "{actor} bị từ chối khi thao tác trên hồ sơ {dossier} ngoài xã của mình.",
    A.COMMUNE_FORM_CHECK: ("{actor} kiểm tra thành phần hồ sơ {dossier}; hồ sơ nay “{status}”."),
    A.COMMUNE_ASSESS: "{actor} ghi kết luận của xã cho hồ sơ {dossier}: {conclusion}.",
    A.COMMUNE_REOPEN: "{actor} mở lại đánh giá của xã cho hồ sơ {dossier}.",
    A.COMMUNE_REOPEN_REFUSED: (
        "{actor} không mở lại được đánh giá của xã cho hồ sơ {dossier} (hồ sơ đang "
        "“{before_status}”)."
    ),
    A.SUBJECT_CLAIMED: "{actor} nhận chủ thể số {entity_id} là của mình ({products} sản phẩm).",
    A.ACCOUNT_LINKED: "{actor} liên kết thêm tài khoản {channel}.",
    A.OA_TEMPLATE_MAP: "{actor} chọn mẫu Zalo OA số {template_id} cho tin “{kind}”.",
    A.OA_TEMPLATE_REMOVE: "{actor} bỏ mẫu Zalo OA của tin “{kind}”; tin này nay gửi qua chat.",
    A.OA_GRANT: "{actor} cấp quyền cho Zalo OA “{oa}” gửi tin.",
}

# The kinds of action the page filters by (a prefix of the stored action).
ACTION_GROUPS: Mapping[str, str] = {
    "": "Mọi việc",
    "staff.": "Đăng nhập, tài khoản",
    "import.": "Nhập danh sách",
    "dossier.": "Trạng thái hồ sơ",
    "commune.": "Việc của xã",
    "council.": "Chấm điểm",
    "certificate.": "Giấy chứng nhận",
    "round.": "Đợt đánh giá",
    "invite.": "Lời mời cán bộ",
    "officer.": "Cán bộ xã",
    "subject.": "Chủ thể",
    "announcement.": "Thông báo",
    "question.": "Câu hỏi của chủ thể",
    "account.": "Tài khoản chat",
    "oa.": "Zalo OA",
}

_VI = translator("vi")
_MISSING = "—"
ACTOR_NAMES = {"cli": "Quản trị viên (dòng lệnh)", "system": "Hệ thống"}


class _Facts(dict[str, str]):
    """The facts of one entry; a fact the entry lacks reads as a dash."""

    def __missing__(self, key: str) -> str:
        return _MISSING


def _date_text(value: str) -> str:
    try:
        return datetime.fromisoformat(value).strftime("%d/%m/%Y")
    except ValueError:
        return value


def _label(key: str, value: Any) -> str:
    if value is None:
        return _MISSING
    if key.endswith("status") and isinstance(value, str) and value in set(DossierStatus):
        return _VI.gettext(STATUS_LABELS[DossierStatus(value)])
    if key.endswith("conclusion") and isinstance(value, str) and value in set(CommuneConclusion):
        return _VI.gettext(CONCLUSION_LABELS[CommuneConclusion(value)])
    if key.endswith(("_on", "_at", "_date")) and isinstance(value, str):
        return _date_text(value)
    if key == "ground" and isinstance(value, str) and value in set(RevocationGround):
        return _VI.gettext(GROUND_LABELS[RevocationGround(value)])
    if key == "kind" and isinstance(value, str) and value in OPTIONAL_KINDS:
        return _VI.gettext(OPTIONAL_KINDS[value])
    if key == "scope" and isinstance(value, str):
        return _scope_words(value)
    if key == "commune_code" and isinstance(value, str):
        found = commune_by_code(value)
        return found.full_name if found else value
    if isinstance(value, dict | list):
        return _MISSING
    return str(value)


def _scope_words(text: str) -> str:
    """A staff account's scope as words ("province:51" → "tỉnh Quảng Ngãi")."""
    try:
        return Scope.parse(text).label
    except ScopeError:
        return text


def actor_name(label: str | None) -> str:
    """Who acted, as a person reads it ("staff:tinh51" → "Cán bộ tinh51")."""
    if not label:
        return "Không rõ"
    kind, _, name = label.partition(":")
    if kind == "staff" and name:
        return f"Cán bộ {name}"
    return ACTOR_NAMES.get(label, label)


def describe(entry: AuditEntry) -> str:
    """The entry as one Vietnamese sentence."""
    facts = _Facts()
    for key, value in (entry.before or {}).items():
        facts[f"before_{key}"] = _label(key, value)
    for key, value in (entry.after or {}).items():
        facts[key] = _label(key, value)
    facts["actor"] = actor_name(entry.actor_label)
    facts["entity_id"] = entry.entity_id
    dossier = entry.dossier_id
    if dossier is None and entry.entity_type == "dossier" and entry.entity_id.isdigit():
        dossier = int(entry.entity_id)  # an entry written before its places were kept
    facts["dossier"] = f"số {dossier}" if dossier is not None else _MISSING
    facts["commune"] = _label("commune_code", entry.commune_code)
    try:
        template = SENTENCES[AuditAction(entry.action)]
    except ValueError:
        template = "{actor}: " + entry.action + "."
    return template.format_map(facts)


def record(
    session: AsyncSession,
    action: AuditAction,
    *,
    actor: str | None,
    entity: tuple[str, object],
    at: datetime,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    province_code: str | None = None,
    commune_code: str | None = None,
    actor_person_id: int | None = None,
) -> AuditEntry:
    """Add one entry; its places not given here are found from the entity on insert."""
    entry = AuditEntry(
        actor_person_id=actor_person_id,
        actor_label=actor,
        action=action.value,
        entity_type=entity[0],
        entity_id=str(entity[1]),
        before=before,
        after=after,
        at=at,
        province_code=province_code,
        commune_code=commune_code,
    )
    session.add(entry)
    return entry


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """What the clerk searches by; every field optional."""

    person: str = ""
    dossier: str = ""
    product: str = ""
    commune: str = ""
    action: str = ""
    day_from: date | None = None
    day_to: date | None = None


@dataclass(frozen=True, slots=True)
class AuditLine:
    """One entry as the page shows it."""

    entry: AuditEntry
    sentence: str
    product: str | None


def _in_scope(scope: Scope) -> Any:
    if scope.is_province:
        return AuditEntry.province_code == scope.code
    return AuditEntry.commune_code == scope.code


async def _products_named(session: AsyncSession, scope: Scope, text: str) -> list[int]:
    """Ids of the scope's products whose name holds ``text``, accents and case aside."""
    wanted = fold(text)
    rows = await session.execute(
        select(Product.id, Product.name)
        .join(Subject, Subject.id == Product.subject_id)
        .where(scope.subjects())
    )
    return [product_id for product_id, name in rows if wanted in fold(name)]


async def _actors_named(session: AsyncSession, scope: Scope, text: str) -> list[str]:
    wanted = fold(text)
    labels = await session.scalars(
        select(AuditEntry.actor_label).where(_in_scope(scope)).distinct()
    )
    return [
        label
        for label in labels
        if label and (wanted in fold(label) or wanted in fold(actor_name(label)))
    ]


def communes_named(scope: Scope, text: str) -> list[str]:
    """Codes of the scope's communes that ``text`` names (a code, or a name without
    accents); a namesake elsewhere is outside the scope, so never chosen."""
    text = text.strip()
    if text.isdigit():
        code = text.zfill(5)
        return [code] if scope.includes_commune(code) else []
    return [c.code for c in search_communes(text, limit=50) if scope.includes_commune(c.code)]


async def search_audit(
    session: AsyncSession,
    scope: Scope,
    wanted: AuditQuery,
    *,
    timezone: tzinfo,
    limit: int = 200,
) -> list[AuditLine]:
    """The scope's entries that match ``wanted``, newest first, as sentences."""
    query = select(AuditEntry).where(_in_scope(scope))
    if wanted.action:
        query = query.where(AuditEntry.action.startswith(wanted.action.strip()))
    if wanted.person.strip():
        query = query.where(
            AuditEntry.actor_label.in_(await _actors_named(session, scope, wanted.person))
        )
    if wanted.dossier.strip():
        number = wanted.dossier.strip().lstrip("#")
        query = query.where(AuditEntry.dossier_id == (int(number) if number.isdigit() else -1))
    if wanted.product.strip():
        text = wanted.product.strip()
        ids = [int(text)] if text.isdigit() else await _products_named(session, scope, text)
        query = query.where(AuditEntry.product_id.in_(ids))
    if wanted.commune.strip():
        query = query.where(AuditEntry.commune_code.in_(communes_named(scope, wanted.commune)))
    if wanted.day_from is not None:
        start = datetime.combine(wanted.day_from, time.min, tzinfo=timezone)
        query = query.where(AuditEntry.at >= _stored(start))
    if wanted.day_to is not None:
        end = datetime.combine(wanted.day_to, time.max, tzinfo=timezone)
        query = query.where(AuditEntry.at <= _stored(end))
    entries = list(
        await session.scalars(
            query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
        )
    )
    product_ids = sorted({e.product_id for e in entries if e.product_id is not None})
    names: dict[int, str] = {}
    for product_id, name in await session.execute(
        select(Product.id, Product.name).where(Product.id.in_(product_ids))
    ):
        names[product_id] = name
    return [
        AuditLine(entry, describe(entry), names.get(entry.product_id) if entry.product_id else None)
        for entry in entries
    ]


def _stored(moment: datetime) -> datetime:
    """A moment as the log stores it (UTC)."""
    return moment.astimezone(UTC)
