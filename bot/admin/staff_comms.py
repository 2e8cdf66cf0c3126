"""The admin pages of staff communication: announcements to a segment, and the inbox of
producers' questions.

Province staff announce to any segment of their province; commune staff (accounts scoped
to one commune) to their own commune only — the same scoped queries, so a commune's
officers announce from the admin web with the account the province gave them rather than
from the bot, where a list of filters would be a long questionnaire on a phone. The inbox
shows a commune account the questions of its commune, and a province account every
question of its province, those sent to it because the commune has no officer on the bot
first.
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import ColumnElement
from starlette.datastructures import FormData

from bot import announcements, questions
from bot.admin.accounts import Staff
from bot.admin.pages import (
    ContextDep,
    StaffDep,
    _back,
    _communes_in,
    _text,
    checked_form,
    render,
)
from bot.admin.scope import Scope, ScopeKind
from bot.db.models import OfficerQuestion
from ocop_rules import DossierStatus

router = APIRouter(prefix="/admin", include_in_schema=False)
CERTIFICATE_FILTERS = {
    "": "Không lọc theo chứng nhận",
    announcements.CertificateFilter.WINDOW.value: "Đang trong thời hạn nộp hồ sơ đánh giá lại",
    announcements.CertificateFilter.EXPIRING.value: "Sắp hết hạn",
}
AUDIENCES = {
    announcements.Audience.PRODUCERS.value: "Chủ thể sản xuất",
    announcements.Audience.OFFICERS.value: "Cán bộ xã",
}
STATES_VI = {
    "pending": "chờ gửi",
    "sending": "đang gửi",
    "sent": "đã gửi",
    "skipped": "không gửi",
    "failed": "lỗi",
    "cancelled": "đã hủy",
}
CHANNELS_VI = {"zalo": "Zalo", "telegram": "Telegram", "console": "thử nghiệm"}


def _number(form: FormData, name: str) -> int | None:
    text = _text(form, name)
    return int(text) if text.isdigit() else None


def segment_of(form: FormData, scope: Scope) -> announcements.Segment:
    """The segment a form describes, within ``scope`` (``SegmentError`` otherwise)."""
    communes = tuple(
        value.strip() for value in form.getlist("communes") if isinstance(value, str) and value
    )
    if scope.kind is ScopeKind.COMMUNE:
        communes = (scope.code,)
    try:
        audience = announcements.Audience(_text(form, "audience") or "producers")
        certificates = _text(form, "certificates")
        status = _text(form, "dossier_status") or None
        if status is not None:
            DossierStatus(status)
        segment = announcements.Segment(
            audience=audience,
            communes=communes,
            group=_text(form, "group") or None,
            product_set=_number(form, "product_set"),
            stars=_number(form, "stars"),
            certificates=announcements.CertificateFilter(certificates) if certificates else None,
            expiring_days=_number(form, "expiring_days") or announcements.EXPIRING_DAYS,
            dossier_status=status,
        )
    except ValueError as error:
        raise announcements.SegmentError(f"Lựa chọn không hợp lệ: {error}") from None
    return segment.checked(scope)


def _sent_key(form: FormData) -> str | None:
    """The one-time key the form was sent with (None from a form without one)."""
    return _text(form, "submission_key")[: announcements.SUBMISSION_KEY_LENGTH] or None


def _values(form: FormData | None) -> dict[str, Any]:
    """The form's values to show again; its one-time key is kept through a preview or an
    error, so sending after them is still the same send, and a new form gets a new key."""
    if form is None:
        return {"communes": [], "submission_key": secrets.token_urlsafe(16)}
    values: dict[str, Any] = {
        key: (form.getlist(key) if key == "communes" else _text(form, key))
        for key in (
            "body",
            "audience",
            "communes",
            "group",
            "product_set",
            "stars",
            "certificates",
            "expiring_days",
            "dossier_status",
        )
    }
    values["submission_key"] = _sent_key(form) or secrets.token_urlsafe(16)
    return values


async def _announcements_page(
    request: Request,
    admin: Any,
    staff: Staff,
    *,
    form: FormData | None = None,
    preview: announcements.Reach | None = None,
    error: str | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    async with admin.reading() as session:
        rows = await announcements.sent(session, staff.scope)
    return render(
        request,
        admin,
        "announcements.html",
        {
            "staff": staff,
            "rows": rows,
            "values": _values(form),
            "preview": preview,
            "error": error,
            "notice": notice,
            "communes": _communes_in(staff.scope),
            "audiences": AUDIENCES,
            "certificate_filters": CERTIFICATE_FILTERS,
            "states_vi": STATES_VI,
            "channels_vi": CHANNELS_VI,
            "max_body": announcements.MAX_BODY,
        },
        status_code,
    )


@router.get("/announcements", response_class=HTMLResponse)
async def announcements_page(
    request: Request, admin: ContextDep, staff: StaffDep, notice: str | None = None
) -> HTMLResponse:
    """Write an announcement, choose who gets it; the announcements sent, with counts."""
    return await _announcements_page(request, admin, staff, notice=notice)


@router.post("/announcements", response_class=HTMLResponse)
async def post_announcement(request: Request, admin: ContextDep, staff: StaffDep) -> Response:
    """``action=preview``: how many people on which channels; ``action=send``: send it."""
    form = await checked_form(request, admin)
    body = _text(form, "body")
    if not body or len(body) > announcements.MAX_BODY:
        error = f"Hãy viết nội dung thông báo (tối đa {announcements.MAX_BODY} ký tự)."
        return await _announcements_page(
            request, admin, staff, form=form, error=error, status_code=400
        )
    try:
        segment = segment_of(form, staff.scope)
    except announcements.SegmentError as problem:
        return await _announcements_page(
            request, admin, staff, form=form, error=str(problem), status_code=400
        )
    if _text(form, "action") != "send":
        async with admin.reading() as session:
            found = await announcements.reach(session, staff.scope, segment, admin.today())
        return await _announcements_page(request, admin, staff, form=form, preview=found)
    async with admin.writing() as session:
        row = await announcements.send(
            session,
            scope=staff.scope,
            author=staff.actor,
            body=body,
            segment=segment,
            now=admin.clock(),
            today=admin.today(),
            submission_key=_sent_key(form),
        )
    return _back(
        "/admin/announcements", notice=f"Đã gửi thông báo #{row.id} tới {row.recipients} người."
    )


# --- the inbox --------------------------------------------------------------------------------


def inbox_scope(scope: Scope) -> ColumnElement[bool]:
    """The questions a staff account sees and may answer."""
    if scope.kind is ScopeKind.COMMUNE:
        return OfficerQuestion.commune_code == scope.code
    return OfficerQuestion.province_code == scope.code


def answerer(staff: Staff) -> str:
    """How the producer is told who answered."""
    return f"Cán bộ OCOP {staff.scope.label}"


@router.get("/inbox", response_class=HTMLResponse)
async def inbox_page(
    request: Request,
    admin: ContextDep,
    staff: StaffDep,
    dossier: int | None = None,
    notice: str | None = None,
    error: str | None = None,
) -> HTMLResponse:
    """Producers' questions of the scope, unanswered first."""
    async with admin.reading() as session:
        entries = await questions.inbox(session, inbox_scope(staff.scope), dossier_id=dossier)
    return render(
        request,
        admin,
        "inbox.html",
        {
            "staff": staff,
            "entries": entries,
            "dossier": dossier,
            "notice": notice,
            "error": error,
        },
    )


@router.post("/inbox/{question_id}/answer")
async def post_answer(
    request: Request, admin: ContextDep, staff: StaffDep, question_id: int
) -> Response:
    """Answer one question; the answer goes to the producer on their channel."""
    form = await checked_form(request, admin)
    body = _text(form, "answer")
    if not body or len(body) > announcements.MAX_BODY:
        return _back("/admin/inbox", error="Hãy viết câu trả lời (tối đa 1000 ký tự).")
    now = admin.clock()
    async with admin.writing() as session:
        done = await questions.answer(
            session,
            question_id=question_id,
            body=body,
            by=answerer(staff),
            now=now,
            allowed=inbox_scope(staff.scope),
            actor=staff.actor,
        )
    if not done:
        return _back("/admin/inbox", error="Câu hỏi này không tìm thấy hoặc đã được trả lời.")
    return _back("/admin/inbox", notice=f"Đã gửi câu trả lời cho câu hỏi #{question_id}.")
