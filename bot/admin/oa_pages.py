"""The province's Zalo Official Account on the admin pages: its first grant (OAuth v4 with
PKCE), the token's state and the OA's name, and the approved template each alert kind goes
out as, with what became of the templates sent and the quota Zalo last reported.

Who: province staff, as for the other province-wide settings (the OA is the province's).

The grant. A signed-in clerk posts the form (CSRF-checked); the page makes a PKCE verifier
and a random ``state``, keeps both sealed in a short-lived cookie, and sends the browser to
Zalo's consent page with the S256 challenge. Zalo sends it back to the callback with a code
and the same state: a state that does not match the cookie's is refused, and the code is
exchanged with the verifier for the pair, committed sealed (:meth:`TokenStore.exchange`).
The session cookie is ``SameSite=Strict``, so a browser coming back from Zalo's site does
not send it: the callback is authorised by the sealed cookie alone, which only a signed-in
clerk's form sets, lives ten minutes and serves once.

A template mapped or removed and a grant completed are audit entries of the clerk's
province, found in ``/admin/audit`` like every other staff action.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from bot import oa_templates
from bot.admin.accounts import Staff
from bot.admin.headers import CONTENT_SECURITY_POLICY
from bot.admin.pages import (
    VI,
    ContextDep,
    StaffDep,
    _back,
    _text,
    checked_form,
    render,
)
from bot.audit import AuditAction, record
from bot.channels.zalo_oa import ZaloOAChannel, ZaloOAError
from bot.oa_tokens import SealError, SecretBox, TokenError, TokenStore, pkce_pair
from handlers.notices import OPTIONAL_KINDS

router = APIRouter(prefix="/admin", include_in_schema=False)
PAGE = "/admin/zalo-oa"
CALLBACK = "/admin/zalo-oa/callback"
GRANT_COOKIE = "ocop_oa_grant"
GRANT_LIFETIME = timedelta(minutes=10)
ONLY_PROVINCE = "Chỉ cán bộ cấp tỉnh quản lý Zalo OA của tỉnh."


def _oa(request: Request) -> tuple[ZaloOAChannel | None, TokenStore | None, Any]:
    """The OA channel, its token store and the settings (None when the OA is not set up)."""
    state = request.app.state.ocop
    channel: ZaloOAChannel | None = state.zalo_oa
    tokens = channel.tokens if channel is not None else None
    return channel, tokens if isinstance(tokens, TokenStore) else None, state.settings


def _kind_label(kind: str) -> str:
    label = OPTIONAL_KINDS.get(kind)
    return f"{VI.gettext(label)} ({kind})" if label else kind


@router.get("/zalo-oa", response_class=HTMLResponse)
async def oa_page(
    request: Request,
    admin: ContextDep,
    staff: StaffDep,
    error: str | None = None,
    notice: str | None = None,
) -> HTMLResponse:
    """The OA's token and name, and the template of each alert kind with its counts."""
    if not staff.scope.is_province:
        values = {"staff": staff, "what": "trang Zalo OA", "back": "/admin", "error": ONLY_PROVINCE}
        return render(request, admin, "missing.html", values, 403)
    channel, tokens, _ = _oa(request)
    token = await tokens.state() if tokens is not None else None
    async with admin.reading() as session:
        mapped = {row.kind: row for row in await oa_templates.mapped(session)}
        counts = await oa_templates.counts(session)
        quota = await oa_templates.last_quota(session)
    kinds = [
        (kind, _kind_label(kind), mapped.get(kind), counts.get(kind, oa_templates.Counts()))
        for kind in oa_templates.KINDS
    ]

    def local(moment: datetime | None) -> str:
        return moment.astimezone(admin.timezone).strftime("%H:%M %d/%m/%Y") if moment else "—"

    values = {
        "staff": staff,
        "configured": channel is not None,
        "token": token,
        "local": local,
        "kinds": kinds,
        "quota": quota,
        "limits": {
            "title": oa_templates.TITLE_LENGTH,
            "title_params": oa_templates.TITLE_MAX_PARAMS,
            "paragraphs": oa_templates.MAX_PARAGRAPHS,
            "paragraph": oa_templates.PARAGRAPH_LENGTH,
        },
        "error": error,
        "notice": notice,
    }
    response = render(request, admin, "zalo_oa.html", values)
    if tokens is not None:
        # The grant form's answer redirects to Zalo's consent page, which the policy's
        # form-action must allow (browsers apply it to a form's redirects too).
        zalo = httpx.URL(tokens.oauth_base_url)
        origin = f"{zalo.scheme}://{zalo.netloc.decode()}"
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.replace(
            "form-action 'self'", f"form-action 'self' {origin}"
        )
    return response


def _form(form: Any) -> oa_templates.TemplateForm | str:
    params = oa_templates.parse_params(_text(form, "params"))
    if isinstance(params, str):
        return params
    paragraphs = tuple(
        text for number in range(1, oa_templates.MAX_PARAGRAPHS + 2)
        if (text := _text(form, f"paragraph{number}"))
    )  # fmt: skip
    return oa_templates.TemplateForm(
        kind=_text(form, "kind"),
        template_id=_text(form, "template_id"),
        title=_text(form, "title"),
        paragraphs=paragraphs,
        params=params,
    )


def _audit_template(
    session: AsyncSession, staff: Staff, action: AuditAction, kind: str, now: datetime, **facts: str
) -> None:
    """Record a template mapped or removed, as an entry of the clerk's province."""
    record(
        session,
        action,
        actor=staff.actor,
        entity=("oa_template", kind),
        at=now,
        after={"kind": kind, "scope": str(staff.scope), **facts},
    )


@router.post("/zalo-oa/templates")
async def post_template(request: Request, admin: ContextDep, staff: StaffDep) -> Response:
    """Map an alert kind to an approved template, once it is within Zalo's limits."""
    form = await checked_form(request, admin)
    if not staff.scope.is_province:
        return _back(PAGE, error=ONLY_PROVINCE)
    entered = _form(form)
    if isinstance(entered, str):
        return _back(PAGE, error=entered)
    errors = oa_templates.check(entered)
    if errors:
        return _back(PAGE, error=" ".join(errors))
    async with admin.writing() as session:
        await oa_templates.save(session, entered, actor=staff.actor, now=admin.clock())
        _audit_template(
            session,
            staff,
            AuditAction.OA_TEMPLATE_MAP,
            entered.kind,
            admin.clock(),
            template_id=entered.template_id,
        )
    return _back(PAGE, notice=f"Đã lưu mẫu {entered.template_id} cho {_kind_label(entered.kind)}.")


@router.post("/zalo-oa/templates/{kind}/remove")
async def post_remove_template(
    request: Request, admin: ContextDep, staff: StaffDep, kind: str
) -> Response:
    """Forget a kind's template: its alerts go by chat only."""
    await checked_form(request, admin)
    if not staff.scope.is_province:
        return _back(PAGE, error=ONLY_PROVINCE)
    async with admin.writing() as session:
        removed = await oa_templates.remove(session, kind)
        if removed:
            _audit_template(session, staff, AuditAction.OA_TEMPLATE_REMOVE, kind, admin.clock())
    if not removed:
        return _back(PAGE, error="Loại thông báo này chưa có mẫu.")
    return _back(PAGE, notice=f"Đã bỏ mẫu của {_kind_label(kind)}.")


def _box(admin: ContextDep) -> SecretBox:
    signer = admin.signer
    assert signer is not None  # noqa: S101 - ContextDep refused requests without one
    return SecretBox(signer.secret, purpose="zalo-oa-grant")


def _callback_url(request: Request, settings: Any) -> str:
    base = settings.public_base_url or str(request.base_url)
    return base.rstrip("/") + CALLBACK


@router.post("/zalo-oa/grant")
async def post_grant(request: Request, admin: ContextDep, staff: StaffDep) -> Response:
    """Send the browser to Zalo's consent page (OAuth v4, PKCE S256)."""
    await checked_form(request, admin)
    if not staff.scope.is_province:
        return _back(PAGE, error=ONLY_PROVINCE)
    _, tokens, settings = _oa(request)
    if tokens is None:
        return _back(PAGE, error="Chưa cấu hình Zalo OA (ZALO_OA_ID, ZALO_OA_APP_ID, …).")
    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(24)
    kept = {
        "state": state,
        "verifier": verifier,
        "by": staff.actor,
        "scope": str(staff.scope),
        "at": admin.clock().isoformat(),
    }
    query = urlencode(
        {
            "app_id": tokens.app_id,
            "redirect_uri": _callback_url(request, settings),
            "code_challenge": challenge,
            "state": state,
        }
    )
    response = RedirectResponse(f"{tokens.oauth_base_url}/v4/oa/permission?{query}", 303)
    response.set_cookie(
        GRANT_COOKIE,
        _box(admin).seal(json.dumps(kept)),
        max_age=int(GRANT_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",  # sent when Zalo's page sends the browser back
        secure=admin.secure_cookies,
        path=CALLBACK,
    )
    return response


def _kept_grant(request: Request, admin: ContextDep, now: datetime) -> dict[str, str] | None:
    sealed = request.cookies.get(GRANT_COOKIE)
    if not sealed:
        return None
    try:
        kept = json.loads(_box(admin).open(sealed))
    except (SealError, ValueError):
        return None
    if not isinstance(kept, dict) or now - datetime.fromisoformat(kept["at"]) > GRANT_LIFETIME:
        return None
    return kept


@router.get("/zalo-oa/callback", response_class=HTMLResponse)
async def grant_callback(
    request: Request,
    admin: ContextDep,
    code: str = "",
    state: str = "",
    oa_id: str = "",
) -> HTMLResponse:
    """Zalo's redirect after consent: the state checked, the code exchanged, the pair kept."""
    kept = _kept_grant(request, admin, admin.clock())
    channel, tokens, _ = _oa(request)
    values: dict[str, Any] = {"staff": None}
    matches = kept is not None and bool(state) and secrets.compare_digest(state, kept["state"])
    if kept is None or not matches:
        values["error"] = "Yêu cầu cấp quyền không hợp lệ hoặc đã hết hạn. Vui lòng thử lại."
    elif channel is None or tokens is None or not code:
        values["error"] = "Zalo không gửi mã cấp quyền, hoặc Zalo OA chưa được cấu hình."
    elif oa_id and oa_id != tokens.oa_id:
        values["error"] = f"Quyền được cấp cho OA {oa_id}, không phải OA {tokens.oa_id} của tỉnh."
    else:
        try:
            await tokens.exchange(code=code, verifier=kept["verifier"])
        except TokenError as error:
            values["error"] = f"Zalo từ chối cấp quyền: {error}"
        else:
            name = None
            try:
                name = await channel.oa_name()
            except (ZaloOAError, TokenError):
                name = None
            if name:
                await tokens.name_oa(name)
            async with admin.writing() as session:
                record(
                    session,
                    AuditAction.OA_GRANT,
                    actor=kept["by"],
                    entity=("zalo_oa", tokens.oa_id),
                    at=admin.clock(),
                    after={"oa": name or tokens.oa_id, "scope": kept.get("scope")},
                )
            values["notice"] = f"Đã cấp quyền cho Zalo OA {name or tokens.oa_id}."
    response = render(
        request, admin, "zalo_oa_granted.html", values, 400 if "error" in values else 200
    )
    if matches:  # the grant it was made for is spent (another state leaves it be)
        response.delete_cookie(GRANT_COOKIE, path=CALLBACK)
    return response
