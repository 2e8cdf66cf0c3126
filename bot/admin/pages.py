"""The admin pages under ``/admin``: server-rendered, Vietnamese, usable on a phone.

Each handler reads or decides through :mod:`bot.admin.service` and
:mod:`bot.admin.decisions` and renders a Jinja2 template; forms post back and redirect
(post/redirect/get), so a reload never repeats a decision. Every form carries the CSRF
token of :mod:`bot.admin.sessions`; a page without a valid session sends the browser to the
login page.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta, tzinfo
from importlib.resources import files
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from starlette.datastructures import FormData

from bot import audit, certificate_states
from bot.admin import decisions, exports, importer, logins, service
from bot.admin.accounts import Staff, authenticate
from bot.admin.addresses import client_address
from bot.admin.context import AdminContext
from bot.admin.scope import Scope
from bot.admin.sessions import CSRF_COOKIE, SESSION_COOKIE, SessionSigner
from bot.alerts.calendar import (
    DATE_FIELDS,
    RoundError,
    add_round,
    change_round,
    list_rounds,
    remove_round,
)
from bot.db.models import EvaluationRound, OfficerInvite
from bot.i18n import translator
from bot.invites import create_invite, list_invites, revoke_invite
from bot.links import download_headers
from handlers.certificate_words import GROUND_LABELS, STATE_LABELS
from handlers.communes import commune_by_code, communes_of_province
from handlers.documents import STATE_NAMES
from handlers.issuers import shown_issuer
from handlers.notices import LEVELS
from handlers.notices import OPTIONAL_KINDS as NOTICE_KINDS
from handlers.officer import CONCLUSION_LABELS, GROUP_NAMES, STATUS_LABELS
from handlers.reports import facts_vi
from ocop_rules import (
    CERTIFICATE_SOURCE,
    COMMUNE_CRITERION_NAMES_VI,
    CommuneConclusion,
    CommuneCriterion,
    DossierStatus,
    LifecycleState,
    RevocationGround,
    council_result,
    is_certifiable,
    requirement,
)

TEMPLATES = Jinja2Templates(directory=str(files("bot.admin") / "templates"))
DEFAULT_TIMEZONE = ZoneInfo("Asia/Ho_Chi_Minh")
VI = translator("vi")


def _status_vi(status: str) -> str:
    try:
        return VI.gettext(STATUS_LABELS[DossierStatus(status)])
    except ValueError:
        return status


def _day(value: date | datetime | None, timezone: tzinfo = DEFAULT_TIMEZONE) -> str:
    """A day, or a moment in the programme's local time (stored moments are UTC; a clerk
    reads the hour of the office's clock)."""
    if value is None:
        return "—"
    if not isinstance(value, datetime):
        return value.strftime("%d/%m/%Y")
    return exports.local_time(value, timezone).strftime("%d/%m/%Y %H:%M")


@pass_context
def _day_filter(context: Any, value: date | datetime | None) -> str:
    request = context.get("request")
    return _day(
        value, request.app.state.admin.timezone if request is not None else DEFAULT_TIMEZONE
    )


def _requirement_vi(code: str) -> str:
    try:
        return requirement(code).name_vi
    except KeyError:
        return code


def _criterion_vi(code: str) -> str:
    try:
        return COMMUNE_CRITERION_NAMES_VI[CommuneCriterion(code)]
    except ValueError:
        return code


def _conclusion_vi(code: str | None) -> str:
    if code is None:
        return "—"
    try:
        return VI.gettext(CONCLUSION_LABELS[CommuneConclusion(code)])
    except ValueError:
        return code


def _commune_vi(code: str) -> str:
    found = commune_by_code(code)
    return found.full_name if found else code


# The codes stored for the commune's check of a paper and for its form check.
CHECKS_VI = {"ok": "Đủ", "missing": "Thiếu", "complete": "Đủ", "incomplete": "Còn thiếu"}


def _named(names: dict[str, str]) -> Any:
    def name_of(code: str | None) -> str:
        return "—" if code is None else names.get(code, code)

    return name_of


TEMPLATES.env.filters.update(
    item_state_vi=_named(STATE_NAMES),
    check_vi=_named(CHECKS_VI),
    notice_kind_vi=_named({kind: VI.gettext(label) for kind, label in NOTICE_KINDS.items()}),
    status_vi=_status_vi,
    day=_day_filter,
    requirement_vi=_requirement_vi,
    criterion_vi=_criterion_vi,
    conclusion_vi=_conclusion_vi,
    commune_vi=_commune_vi,
    group_vi=lambda code: GROUP_NAMES.get(code, code),
    level_vi=lambda code: VI.gettext(LEVELS[code]) if code in LEVELS else (code or "—"),
    audit_vi=audit.describe,
    facts_vi=lambda criterion: facts_vi(criterion.criterion, dict(criterion.facts or {})),
    cert_state_vi=_named({state.value: VI.gettext(label) for state, label in STATE_LABELS.items()}),
    ground_vi=_named({ground.value: VI.gettext(label) for ground, label in GROUND_LABELS.items()}),
)
TEMPLATES.env.globals.update(
    statuses=list(DossierStatus),
    groups=GROUP_NAMES,
    certificate_states=list(LifecycleState),
    issuer=shown_issuer,
    revocation_grounds=list(RevocationGround),
)


class LoginRequiredError(Exception):
    """The page needs a signed-in account; answered with a redirect to the login page."""

    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


def context(request: Request) -> AdminContext:
    """The admin context built in the lifespan; 503 when admin is not configured."""
    admin: AdminContext = request.app.state.admin
    if admin.signer is None:
        raise HTTPException(503, "Trang quản trị cần OCOP_SECRET_KEY (ít nhất 16 ký tự).")
    return admin


def signer(admin: AdminContext) -> SessionSigner:
    """The configured signer (:func:`context` has refused requests without one)."""
    if admin.signer is None:
        raise HTTPException(503, "Trang quản trị cần OCOP_SECRET_KEY (ít nhất 16 ký tự).")
    return admin.signer


ContextDep = Annotated[AdminContext, Depends(context)]


async def signed_in(request: Request, admin: ContextDep) -> Staff:
    """The account behind the session cookie, or a redirect to the login page."""
    async with admin.reading() as session:
        staff = await logins.session_staff(
            session, token=request.cookies.get(SESSION_COOKIE, ""), now=admin.clock()
        )
    if staff is None:
        raise LoginRequiredError(request.url.path)
    return staff


StaffDep = Annotated[Staff, Depends(signed_in)]


def render(
    request: Request,
    admin: AdminContext,
    template: str,
    values: dict[str, Any],
    status_code: int = 200,
) -> HTMLResponse:
    """A page with its CSRF token; a browser without a CSRF cookie is given one."""
    nonce = request.cookies.get(CSRF_COOKIE)
    fresh = nonce is None
    if nonce is None:
        nonce = signer(admin).new_csrf_nonce()
    response = TEMPLATES.TemplateResponse(
        request,
        template,
        {"csrf_token": signer(admin).csrf_token(nonce), **values},
        status_code=status_code,
    )
    if fresh:
        response.set_cookie(
            CSRF_COOKIE,
            nonce,
            httponly=True,
            samesite="strict",
            secure=admin.secure_cookies,
            path="/admin",
        )
    return response


async def checked_form(request: Request, admin: AdminContext) -> FormData:
    """The posted form, once its CSRF token matches this browser's cookie (else 403)."""
    form = await request.form()
    token = form.get("csrf_token")
    if not signer(admin).csrf_valid(
        request.cookies.get(CSRF_COOKIE), token if isinstance(token, str) else None
    ):
        raise HTTPException(403, "Phiên làm việc đã hết hạn, vui lòng tải lại trang.")
    return form


def _clean(value: str | None) -> str:
    """Form and query text without NUL bytes (PostgreSQL text cannot hold them)."""
    return (value or "").replace("\x00", "").strip()


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return _clean(value) if isinstance(value, str) else ""


def _back(url: str, **flash: str) -> RedirectResponse:
    query = f"?{urlencode(flash)}" if flash else ""
    return RedirectResponse(f"{url}{query}", status_code=303)


router = APIRouter(prefix="/admin", include_in_schema=False)


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, admin: ContextDep, next: str = "/admin") -> HTMLResponse:
    """The login form."""
    return render(request, admin, "login.html", {"next": _safe_next(next), "error": None})


def _safe_next(target: str) -> str:
    """Only our own admin pages are followed after login (no open redirect)."""
    return target if target.startswith("/admin") and "//" not in target else "/admin"


def _wait_words(wait: timedelta) -> str:
    seconds = max(1, math.ceil(wait.total_seconds()))
    if seconds < 60:
        return f"{seconds} giây"
    return f"{math.ceil(seconds / 60)} phút"


@router.post("/login")
async def login(request: Request, admin: ContextDep) -> Response:
    """Check the password — after a growing wait once the account has had several wrong
    ones from this address (:mod:`bot.admin.logins`) — and start a session."""
    form = await checked_form(request, admin)
    username, password = _text(form, "username").lower(), str(form.get("password") or "")
    next_url = _safe_next(_text(form, "next") or "/admin")
    peer = request.client.host if request.client else None
    address = client_address(peer, request.headers.get("x-forwarded-for"), admin.trusted_proxies)
    now = admin.clock()
    async with admin.writing() as session:
        wait = await logins.begin_attempt(session, username=username, address=address, now=now)
    if wait is not None:
        error = f"Đăng nhập sai nhiều lần. Anh/chị vui lòng thử lại sau {_wait_words(wait)}."
        page = render(request, admin, "login.html", {"next": next_url, "error": error}, 429)
        page.headers["Retry-After"] = str(max(1, math.ceil(wait.total_seconds())))
        return page
    async with admin.writing() as session:
        found = await authenticate(session, username, password)
        if found is not None:
            await logins.succeeded(session, username=username, address=address, now=now)
            token = await logins.start_session(session, staff_id=found[0].id, now=now)
    if found is None:
        error = "Tên đăng nhập hoặc mật khẩu không đúng."
        return render(request, admin, "login.html", {"next": next_url, "error": error}, 401)
    response = RedirectResponse(next_url, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(logins.SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=admin.secure_cookies,
        path="/",
    )
    return response


@router.post("/logout")
async def logout(request: Request, admin: ContextDep) -> Response:
    """End the session on the server, so its cookie stops working even where it was copied."""
    await checked_form(request, admin)
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        async with admin.writing() as session:
            await logins.end_session(session, token=token, now=admin.clock())
    response = RedirectResponse("/admin/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("", response_class=HTMLResponse)
async def dashboard_page(request: Request, admin: ContextDep, staff: StaffDep) -> HTMLResponse:
    """Dossiers by status, certificates expiring, next rounds."""
    async with admin.reading() as session:
        board = await service.dashboard(session, staff.scope, admin.today())
    return render(request, admin, "dashboard.html", {"staff": staff, "board": board})


def dossier_filter(
    commune: str | None = None,
    group: str | None = None,
    status: str | None = None,
    round_id: str | None = None,
    q: str | None = None,
    page: int = 1,
) -> service.DossierFilter:
    """The list's filters from the query string (blank fields mean "any")."""
    return service.DossierFilter(
        commune=_clean(commune) or None,
        group=_clean(group) or None,
        status=_clean(status) or None,
        round_id=int(round_id) if round_id and round_id.isdigit() else None,
        query=_clean(q) or None,
        page=max(page, 1),
    )


FilterDep = Annotated[service.DossierFilter, Depends(dossier_filter)]


@router.get("/dossiers", response_class=HTMLResponse)
async def dossiers_page(
    request: Request, admin: ContextDep, staff: StaffDep, wanted: FilterDep
) -> HTMLResponse:
    """The scope's dossiers, filtered."""
    async with admin.reading() as session:
        rows, total = await service.list_dossiers(session, staff.scope, wanted)
        rounds = await list_rounds(session, staff.scope.province_code)
    return render(
        request,
        admin,
        "dossiers.html",
        {
            "staff": staff,
            "rows": rows,
            "total": total,
            "wanted": wanted,
            "rounds": rounds,
            "communes": _communes_in(staff.scope),
            "page_size": service.PAGE_SIZE,
            "query": str(request.url.query),
        },
    )


def _communes_in(scope: Scope) -> list[tuple[str, str]]:
    if not scope.is_province:
        return [(scope.code, _commune_vi(scope.code))]
    return [(c.code, c.name) for c in communes_of_province(scope.code)]


@router.get("/dossiers/{dossier_id}", response_class=HTMLResponse)
async def dossier_page(
    request: Request,
    admin: ContextDep,
    staff: StaffDep,
    dossier_id: int,
    error: str | None = None,
    notice: str | None = None,
) -> HTMLResponse:
    """One dossier: answers, checklist, commune report, council, certificate, timeline."""
    async with admin.reading() as session:
        detail = await service.dossier_detail(session, staff.scope, dossier_id, today=admin.today())
    if detail is None:
        return render(request, admin, "missing.html", {"staff": staff}, 404)
    status = DossierStatus(detail.dossier.status)
    preview = None
    if detail.scores:
        preview = council_result([s.score for s in detail.scores])
    held = next((c for c in detail.certificates if c.id == detail.dossier.certificate_id), None)
    upgrade_refusal = (
        decisions.upgrade_refusal(detail.dossier, held, detail.result.stars)
        if detail.result is not None
        else None
    )
    return render(
        request,
        admin,
        "dossier.html",
        {
            "staff": staff,
            "d": detail,
            "preview": preview,
            "error": error,
            "notice": notice,
            "can_score": staff.scope.is_province and status in decisions.SCORABLE,
            "can_record_central": (staff.scope.is_province or staff.scope.is_central)
            and status is DossierStatus.PROPOSED_TO_CENTRAL,
            "upgrade_refusal": upgrade_refusal,
            "can_certify": status is DossierStatus.SCORED
            and upgrade_refusal is None
            and detail.result is not None
            and detail.result.published_at is not None
            and is_certifiable(detail.result.stars)
            and detail.result.certifying_level is not None  # never from a forwarded score
            and (
                staff.scope.is_province
                or (staff.scope.is_central and detail.result.certifying_level == "central")
            ),
            "states": detail.certificate_states,
            "today": admin.today().isoformat(),
            "validity_source": f"{CERTIFICATE_SOURCE.document}, {CERTIFICATE_SOURCE.part}",
        },
    )


@router.get("/dossiers/{dossier_id}/commune-report")
async def commune_report(admin: ContextDep, staff: StaffDep, dossier_id: int) -> Response:
    """The commune's report (Mẫu 03) of a dossier in the account's scope, as stored when
    the officer concluded; 404 when there is none or the dossier is outside the scope."""
    async with admin.reading() as session:
        found = await service.commune_report_document(session, staff.scope, dossier_id)
    if found is None:
        raise HTTPException(404)
    return Response(
        found.content, media_type=found.media_type, headers=download_headers(found.filename)
    )


@router.get("/evidence/{file_id}")
async def evidence(admin: ContextDep, staff: StaffDep, file_id: int) -> Response:
    """A photo or file a producer sent as evidence, for a dossier in the account's scope
    (404 outside it, as for no file). Shown inline but never run: only the types the bot
    checked when the file arrived are kept, and the page is sandboxed besides."""
    async with admin.reading() as session:
        found = await service.evidence_content(session, staff.scope, file_id)
    if found is None:
        raise HTTPException(404)
    content, media_type = found
    headers = {
        "Content-Disposition": f'inline; filename="minh-chung-{file_id}"',
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox",
        "Cache-Control": "private, max-age=3600",
    }
    return Response(content, media_type=media_type, headers=headers)


@router.post("/dossiers/{dossier_id}/scores")
async def post_scores(
    request: Request, admin: ContextDep, staff: StaffDep, dossier_id: int
) -> Response:
    """Save the council members' scores (blank lines are ignored)."""
    form = await checked_form(request, admin)
    url = f"/admin/dossiers/{dossier_id}"
    members = [_clean(str(v)) for v in form.getlist("member")]
    raw_scores = [str(v) for v in form.getlist("score")]
    try:
        scores = [
            (name, decisions.parse_score(score))
            for name, score in zip(members, raw_scores, strict=False)
            if name.strip() or score.strip()
        ]
        async with admin.writing() as session:
            outcome = await decisions.save_council_scores(
                session, staff, dossier_id, scores, admin.today(), admin.clock()
            )
    except decisions.NotFoundError:
        return render(request, admin, "missing.html", {"staff": staff}, 404)
    except decisions.DecisionError as error:
        return _back(url, error=str(error))
    if outcome.routing is None:
        return _back(
            url,
            error="Điểm các thành viên chênh nhau hơn 10 điểm: hội đồng cần thảo luận và chấm lại.",
        )
    return _back(
        url,
        notice=f"Đã lưu bản nháp: trung bình {outcome.result.average}. "
        "Chủ thể chưa được báo; bấm “Công bố kết quả” khi hội đồng đã thống nhất.",
    )


def _decision(form: FormData) -> decisions.Decision | str:
    """The number, day and signer of a decision form, or what is wrong with them."""
    try:
        day = date.fromisoformat(_text(form, "decision_date"))
    except ValueError:
        return "Ngày quyết định chưa đúng (ngày/tháng/năm)."
    return decisions.Decision(_text(form, "decision_number"), day, _text(form, "signer"))


PUBLISHED = {
    DossierStatus.PROPOSED_TO_CENTRAL: "Đã công bố: sản phẩm được đề nghị Bộ Nông nghiệp và "
    "Môi trường đánh giá. Chủ thể đã được báo.",
    DossierStatus.NOT_CERTIFIED: "Đã công bố: dưới 3 sao, hồ sơ khép lại. Chủ thể đã được báo.",
    DossierStatus.SCORED: "Đã công bố kết quả; chủ thể đã được báo. Tiếp theo: cấp giấy chứng "
    "nhận.",
}


@router.post("/dossiers/{dossier_id}/publish")
async def post_publish(
    request: Request, admin: ContextDep, staff: StaffDep, dossier_id: int
) -> Response:
    """Publish the council's result as a decision: the producer is told once."""
    form = await checked_form(request, admin)
    url = f"/admin/dossiers/{dossier_id}"
    decision = _decision(form)
    if isinstance(decision, str):
        return _back(url, error=decision)
    try:
        async with admin.writing() as session:
            await decisions.publish_result(
                session, staff, dossier_id, decision, admin.today(), admin.clock()
            )
            found = await service.scoped_dossier(session, staff.scope, dossier_id)
    except decisions.NotFoundError:
        return render(request, admin, "missing.html", {"staff": staff}, 404)
    except decisions.DecisionError as error:
        return _back(url, error=str(error))
    status = DossierStatus(found[0].status) if found else DossierStatus.SCORED
    return _back(url, notice=PUBLISHED.get(status, PUBLISHED[DossierStatus.SCORED]))


@router.post("/dossiers/{dossier_id}/central")
async def post_central(
    request: Request, admin: ContextDep, staff: StaffDep, dossier_id: int
) -> Response:
    """Record the Ministry's result on a dossier proposed to it."""
    form = await checked_form(request, admin)
    url = f"/admin/dossiers/{dossier_id}"
    decision = _decision(form)
    if isinstance(decision, str):
        return _back(url, error=decision)
    try:
        score = decisions.parse_score(_text(form, "score"))
        async with admin.writing() as session:
            routing = await decisions.record_central_result(
                session, staff, dossier_id, score, decision, admin.today(), admin.clock()
            )
    except decisions.NotFoundError:
        return render(request, admin, "missing.html", {"staff": staff}, 404)
    except decisions.DecisionError as error:
        return _back(url, error=str(error))
    return _back(url, notice=f"Đã ghi kết quả của Bộ: {routing.stars} sao.")


@router.post("/dossiers/{dossier_id}/certificate")
async def post_certificate(
    request: Request, admin: ContextDep, staff: StaffDep, dossier_id: int
) -> Response:
    """Issue the certificate of a scored dossier."""
    form = await checked_form(request, admin)
    url = f"/admin/dossiers/{dossier_id}"
    try:
        issued_on = date.fromisoformat(_text(form, "issued_on"))
    except ValueError:
        return _back(url, error="Ngày quyết định chưa đúng (ngày/tháng/năm).")
    try:
        async with admin.writing() as session:
            certificate = await decisions.issue_certificate(
                session,
                staff,
                dossier_id,
                _text(form, "number"),
                _text(form, "decision_number"),
                issued_on,
                admin.today(),
                admin.clock(),
            )
    except decisions.NotFoundError:
        return render(request, admin, "missing.html", {"staff": staff}, 404)
    except decisions.DecisionError as error:
        return _back(url, error=str(error))
    return _back(
        url,
        notice=f"Đã cấp giấy chứng nhận {certificate.number}, "
        f"hiệu lực đến {_day(certificate.expires_on)}.",
    )


def certificate_filter(
    state: str | None = None, expiring: str | None = None, page: int = 1
) -> service.CertificateFilter:
    """The certificate list's filters from the query string (unknown values mean "any")."""
    try:
        wanted_state = LifecycleState(_clean(state)) if state else None
    except ValueError:
        wanted_state = None
    days = _clean(expiring)
    return service.CertificateFilter(
        state=wanted_state,
        expiring_within=int(days) if days.isdigit() and len(days) < 5 else None,
        page=max(page, 1),
    )


CertificateFilterDep = Annotated[service.CertificateFilter, Depends(certificate_filter)]


def _page_url(wanted: service.CertificateFilter, page: int) -> str:
    query = {"state": wanted.state.value if wanted.state else None, "page": page}
    query["expiring"] = wanted.expiring_within
    return "?" + urlencode({k: v for k, v in query.items() if v is not None})


@router.get("/certificates", response_class=HTMLResponse)
async def certificates_page(
    request: Request,
    admin: ContextDep,
    staff: StaffDep,
    wanted: CertificateFilterDep,
    error: str | None = None,
    notice: str | None = None,
) -> HTMLResponse:
    """Certificates of the scope by state or expiring within N days, a page at a time."""
    async with admin.reading() as session:
        rows, total = await service.list_certificates(session, staff.scope, admin.today(), wanted)
        counts = await certificate_states.count_states(
            session, staff.scope.certificates(), admin.today()
        )
    pages = max(1, math.ceil(total / service.PAGE_SIZE))
    return render(
        request,
        admin,
        "certificates.html",
        {
            "staff": staff,
            "rows": rows,
            "total": total,
            "counts": counts,
            "wanted": wanted,
            "page": min(wanted.page, pages),
            "pages": pages,
            "previous_url": _page_url(wanted, wanted.page - 1) if wanted.page > 1 else None,
            "next_url": _page_url(wanted, wanted.page + 1) if wanted.page < pages else None,
            "revocable": {
                r.certificate.id for r in rows if decisions.may_revoke(staff, r.certificate)
            },
            "today": admin.today().isoformat(),
            "error": error,
            "notice": notice,
        },
    )


@router.post("/certificates/{certificate_id}/revoke")
async def post_revoke(
    request: Request, admin: ContextDep, staff: StaffDep, certificate_id: int
) -> Response:
    """Revoke a certificate on one of the grounds of Điều 8, from a day."""
    form = await checked_form(request, admin)
    try:
        ground = RevocationGround(_text(form, "ground"))
        revoked_on = date.fromisoformat(_text(form, "revoked_on"))
    except ValueError:
        return _back("/admin/certificates", error="Hãy chọn căn cứ thu hồi và ngày thu hồi.")
    try:
        async with admin.writing() as session:
            await decisions.revoke_certificate(
                session,
                staff,
                certificate_id,
                ground=ground,
                revoked_on=revoked_on,
                reason=_text(form, "reason"),
                today=admin.today(),
                now=admin.clock(),
            )
    except decisions.NotFoundError:
        return render(request, admin, "missing.html", {"staff": staff}, 404)
    except decisions.DecisionError as error:
        return _back("/admin/certificates", error=str(error))
    return _back(
        "/admin/certificates",
        notice="Đã thu hồi giấy chứng nhận; chủ thể và cán bộ xã đã được báo.",
    )


@router.get("/rounds", response_class=HTMLResponse)
async def rounds_page(
    request: Request,
    admin: ContextDep,
    staff: StaffDep,
    error: str | None = None,
    notice: str | None = None,
) -> HTMLResponse:
    """The province's evaluation rounds."""
    async with admin.reading() as session:
        rounds = await list_rounds(session, staff.scope.province_code)
    values = {"staff": staff, "rounds": rounds, "error": error, "notice": notice}
    return render(request, admin, "rounds.html", values)


def _round_form(form: FormData) -> tuple[str, dict[str, date | None]] | str:
    """The name and dates of a round form, or what is wrong with them."""
    try:
        dates = {
            field: date.fromisoformat(value) if (value := _text(form, field)) else None
            for field in DATE_FIELDS
        }
    except ValueError:
        return "Ngày chưa đúng."
    name = _text(form, "name")
    if not name or dates["opens_on"] is None or dates["registration_deadline"] is None:
        return "Cần tên đợt, ngày mở và hạn nộp hồ sơ."
    return name, dates


@router.post("/rounds")
async def post_round(request: Request, admin: ContextDep, staff: StaffDep) -> Response:
    """Add a round (province staff); its alerts are planned by the next sweep."""
    form = await checked_form(request, admin)
    if not staff.scope.is_province:
        return _back("/admin/rounds", error="Chỉ cán bộ cấp tỉnh được thêm đợt đánh giá.")
    checked = _round_form(form)
    if isinstance(checked, str):
        return _back("/admin/rounds", error=checked)
    name, dates = checked
    try:
        async with admin.writing() as session:
            await add_round(
                session, staff.scope.code, name, dates, admin.clock(), actor=staff.actor
            )
    except RoundError as error:
        return _back("/admin/rounds", error=str(error))
    return _back("/admin/rounds", notice=f"Đã thêm đợt “{name}”.")


@router.get("/rounds/{round_id}", response_class=HTMLResponse)
async def round_page(
    request: Request,
    admin: ContextDep,
    staff: StaffDep,
    round_id: int,
    error: str | None = None,
) -> HTMLResponse:
    """Change a round's name and dates, or remove it (province staff of its province)."""
    async with admin.reading() as session:
        found = await session.get(EvaluationRound, round_id)
    if found is None or not staff.scope.is_province or found.province_code != staff.scope.code:
        missing = {"staff": staff, "what": "đợt đánh giá này", "back": "/admin/rounds"}
        return render(request, admin, "missing.html", missing, 404)
    return render(request, admin, "round.html", {"staff": staff, "round": found, "error": error})


@router.post("/rounds/{round_id}")
async def post_round_change(
    request: Request, admin: ContextDep, staff: StaffDep, round_id: int
) -> Response:
    """Save new dates: the alerts planned for the old ones are cancelled and planned again."""
    form = await checked_form(request, admin)
    here = f"/admin/rounds/{round_id}"
    if not staff.scope.is_province:
        return _back("/admin/rounds", error="Chỉ cán bộ cấp tỉnh được sửa đợt đánh giá.")
    checked = _round_form(form)
    if isinstance(checked, str):
        return _back(here, error=checked)
    name, dates = checked
    try:
        async with admin.writing() as session:
            found, cancelled = await change_round(
                session,
                round_id,
                dates,
                admin.clock(),
                actor=staff.actor,
                province=staff.scope.code,
                name=name,
            )
    except RoundError as error:
        return _back(here, error=str(error))
    planned = f" {cancelled} tin nhắc theo ngày cũ đã hủy và sẽ được nhắc lại theo ngày mới."
    return _back("/admin/rounds", notice=f"Đã sửa đợt “{found.name}”." + planned)


@router.post("/rounds/{round_id}/remove")
async def post_round_remove(
    request: Request, admin: ContextDep, staff: StaffDep, round_id: int
) -> Response:
    """Remove a round that no dossier belongs to."""
    form = await checked_form(request, admin)
    here = f"/admin/rounds/{round_id}"
    if not staff.scope.is_province:
        return _back("/admin/rounds", error="Chỉ cán bộ cấp tỉnh được xóa đợt đánh giá.")
    if _text(form, "confirm") != "yes":
        return _back(here, error="Hãy đánh dấu ô xác nhận trước khi xóa.")
    try:
        async with admin.writing() as session:
            await remove_round(
                session, round_id, admin.clock(), actor=staff.actor, province=staff.scope.code
            )
    except RoundError as error:
        return _back(here, error=str(error))
    return _back("/admin/rounds", notice="Đã xóa đợt đánh giá; các tin nhắc của đợt đã hủy.")


@router.get("/invites", response_class=HTMLResponse)
async def invites_page(
    request: Request,
    admin: ContextDep,
    staff: StaffDep,
    error: str | None = None,
) -> HTMLResponse:
    """Officer invites of the scope's communes."""
    async with admin.reading() as session:
        rows = await list_invites(
            session, admin.clock(), staff.scope.covers_commune(OfficerInvite.commune_code)
        )
    return render(
        request,
        admin,
        "invites.html",
        {
            "staff": staff,
            "rows": rows,
            "error": error,
            "code": None,
            "communes": _communes_in(staff.scope),
        },
    )


@router.post("/invites", response_class=HTMLResponse)
async def post_invite(request: Request, admin: ContextDep, staff: StaffDep) -> Response:
    """Create an invite; its code is shown on this page once and never again."""
    form = await checked_form(request, admin)
    commune = _text(form, "commune")
    if not staff.scope.includes_commune(commune):
        return _back("/admin/invites", error="Xã này không thuộc phạm vi tài khoản.")
    async with admin.writing() as session:
        invite, code = await create_invite(
            session, commune, _text(form, "name") or None, admin.clock(), created_by=staff.actor
        )
    return render(
        request,
        admin,
        "invite_created.html",
        {"staff": staff, "code": code, "invite": invite},
    )


@router.post("/invites/{invite_id}/revoke")
async def post_revoke_invite(
    request: Request, admin: ContextDep, staff: StaffDep, invite_id: int
) -> Response:
    """Revoke an open invite of the scope."""
    await checked_form(request, admin)
    async with admin.writing() as session:
        invite = await session.get(OfficerInvite, invite_id)
        if invite is None or not staff.scope.includes_commune(invite.commune_code):
            return _back("/admin/invites", error="Không tìm thấy lời mời này.")
        await revoke_invite(session, str(invite_id), admin.clock(), actor=staff.actor)
    return _back("/admin/invites")


@router.get("/audit", response_class=HTMLResponse)
async def audit_page(
    request: Request,
    admin: ContextDep,
    staff: StaffDep,
    person: str | None = None,
    dossier: str | None = None,
    product: str | None = None,
    commune: str | None = None,
    action: str | None = None,
    day_from: str | None = None,
    day_to: str | None = None,
) -> HTMLResponse:
    """Search what staff did in the scope, by person, dossier, product, commune and day,
    each entry said in words."""
    wanted = audit.AuditQuery(
        person=_clean(person) or "",
        dossier=_clean(dossier) or "",
        product=_clean(product) or "",
        commune=_clean(commune) or "",
        action=action if action and action in audit.ACTION_GROUPS else "",
        day_from=_parse_day(day_from),
        day_to=_parse_day(day_to),
    )
    async with admin.reading() as session:
        lines = await audit.search_audit(session, staff.scope, wanted, timezone=admin.timezone)
    return render(
        request,
        admin,
        "audit.html",
        {
            "staff": staff,
            "lines": lines,
            "wanted": wanted,
            "groups": audit.ACTION_GROUPS,
            "day_from": day_from or "",
            "day_to": day_to or "",
        },
    )


def _parse_day(text: str | None) -> date | None:
    """A day typed in a search box (dd/mm/yyyy, or yyyy-mm-dd from a date input)."""
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime((text or "").strip(), pattern).date()  # noqa: DTZ007 - a calendar day
        except ValueError:
            continue
    return None


@router.get("/export/{kind}.{fmt}")
async def export(
    admin: ContextDep, staff: StaffDep, kind: str, fmt: str, wanted: FilterDep
) -> Response:
    """Dossiers (as filtered), certificates or commune reports as CSV or XLSX."""
    if kind not in exports.KINDS or fmt not in {"csv", "xlsx"}:
        raise HTTPException(404)
    async with admin.reading() as session:
        found = await exports.export_file(
            session, staff.scope, kind, fmt, wanted, admin.today(), timezone=admin.timezone
        )
    return Response(found.content, media_type=found.media_type, headers=found.headers)


@router.get("/import", response_class=HTMLResponse)
async def import_page(request: Request, admin: ContextDep, staff: StaffDep) -> HTMLResponse:
    """Upload a province's published list of certified products."""
    return render(request, admin, "import.html", {"staff": staff, "report": None})


@router.post("/import", response_class=HTMLResponse)
async def post_import(request: Request, admin: ContextDep, staff: StaffDep) -> Response:
    """Check (dry run) or import the uploaded file and show the report."""
    form = await checked_form(request, admin)
    upload = form.get("file")
    if not staff.scope.is_province:
        error = "Chỉ cán bộ cấp tỉnh được nhập danh sách sản phẩm."
        return render(request, admin, "import.html", {"staff": staff, "error": error}, 403)
    if isinstance(upload, str) or upload is None or not upload.filename:
        error = "Hãy chọn tệp .xlsx hoặc .csv."
        return render(request, admin, "import.html", {"staff": staff, "error": error}, 400)
    content = await upload.read()
    await form.close()  # the upload's spooled temporary file
    mode, show = _text(form, "mode"), _text(form, "show")
    show = show if show in importer.REPORT_FILTERS else ""
    try:
        report = await importer.check_and_import(
            admin, staff, content, upload.filename, apply=mode == "import"
        )
    except importer.ImportFileError as problem:
        return render(request, admin, "import.html", {"staff": staff, "error": str(problem)}, 400)
    if mode == "report":
        name = f"kiem-tra-{admin.today():%Y%m%d}.xlsx"
        return Response(
            importer.report_xlsx(report, show),
            media_type=exports.XLSX,
            headers=download_headers(name),
        )
    shown = report.shown(show)
    context = {
        "staff": staff,
        "report": report,
        "show": show,
        "filters": importer.REPORT_FILTERS,
        "counts": report.counts(),
        "shown": shown[: importer.REPORT_PAGE],
        "hidden": max(0, len(shown) - importer.REPORT_PAGE),
        "outcome_names": importer.OUTCOME_NAMES_VI,
        "note_names": importer.NOTE_NAMES_VI,
    }
    return render(request, admin, "import.html", context)


_CSS = (files("bot.admin") / "static" / "admin.css").read_text(encoding="utf-8")


@router.get("/static/admin.css")
async def stylesheet() -> Response:
    """The one stylesheet (no build step, no static directory to configure)."""
    return Response(_CSS, media_type="text/css", headers={"Cache-Control": "max-age=3600"})


async def login_required(request: Request, error: Exception) -> Response:
    """Send a browser without a valid session to the login page, then back."""
    target = error.next_url if isinstance(error, LoginRequiredError) else "/admin"
    return RedirectResponse(f"/admin/login?{urlencode({'next': target})}", 303)
