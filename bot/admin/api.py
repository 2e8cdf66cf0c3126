"""The JSON API under ``/api/v1``: the admin pages' reads and decisions for scripts (the
calendar, invites and spreadsheets are in the ``api_*`` modules beside this one).

Each staff account may hold one bearer token (``ocop-bot admin token <username>``); the
token carries the account's scope, exactly as a browser session does. The OpenAPI document
is at ``/api/v1/openapi.json``, for a token or a signed-in browser only: it maps every way
into the province's data.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import FastAPI, HTTPException, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from bot.admin import decisions, service
from bot.admin.api_calendar import rounds_api
from bot.admin.api_common import (
    DECISION_ERRORS,
    ERRORS,
    NO_NUL,
    ContextDep,
    DossierFilterDep,
    Id,
    Line,
    ReaderDep,
    StaffDep,
)
from bot.admin.api_decisions import decision_error, decisions_api
from bot.admin.api_files import files_api
from bot.admin.api_invites import invites_api
from bot.admin.api_staff_comms import comms_api
from bot.audit import describe as audit_sentence
from bot.db.models import Certificate
from ocop_rules import CertificateRecord, LifecycleState, RevocationGround


class DossierOut(BaseModel):
    """One dossier in a list."""

    id: int
    product: str
    registration_code: str | None
    subject: str
    commune_code: str
    group: str
    kind: str
    status: str
    round_id: int | None
    year: int
    status_changed_at: datetime


class DossierPage(BaseModel):
    """One page of dossiers and how many match in all."""

    total: int
    page: int
    items: list[DossierOut]


class ScoreIn(BaseModel):
    """One council member's score."""

    member: Line = Field(min_length=1, max_length=255)
    score: Decimal = Field(ge=0, le=100, max_digits=5, decimal_places=2)


class ScoresIn(BaseModel):
    """Every member's score of one dossier (replaces what was entered before)."""

    scores: list[ScoreIn] = Field(min_length=1, max_length=50)


class ScoreOut(BaseModel):
    """The council's result; ``recorded`` is false while members differ by over 10 points."""

    average: Decimal
    stars: int
    spread: Decimal
    needs_rescoring: bool
    recorded: bool
    certified_by: str | None
    forwarded_to: str | None


class CertificateIn(BaseModel):
    """What the certificate decision says."""

    number: Line = Field(min_length=1, max_length=64)
    decision_number: Line = Field(min_length=1, max_length=64)
    issued_on: date


class RevokeIn(BaseModel):
    """The ground of Điều 8 a certificate is revoked on, from which day, and a note."""

    ground: RevocationGround
    revoked_on: date
    reason: Line = Field(default="", max_length=2000)


class CertificateOut(BaseModel):
    """A certificate."""

    id: int
    product_id: int
    dossier_id: int | None
    number: str | None
    stars: int
    issuing_level: str
    issuing_authority: str
    decision_number: str | None
    issued_on: date
    expires_on: date
    status: CertificateRecord
    state: LifecycleState
    revocation_ground: RevocationGround | None
    revoked_on: date | None
    revoked_reason: str | None
    superseded_by_id: int | None
    extended_until: date | None


class CertificatePage(BaseModel):
    """One page of certificates and how many match in all."""

    total: int
    page: int
    items: list[CertificateOut]


class CouncilScoreOut(BaseModel):
    """A member's score as entered."""

    member: str
    score: Decimal


class DossierDetailOut(DossierOut):
    """One dossier with its council scores, result and certificates."""

    producer: str | None
    items: dict[str, str]
    commune_conclusion: str | None
    scores: list[CouncilScoreOut]
    average: Decimal | None
    stars: int | None
    result_published: bool
    certificates: list[CertificateOut]


class DashboardOut(BaseModel):
    """Dossiers by status, certificates by state and expiring within 30/90/180 days."""

    total: int
    by_status: dict[str, int]
    expiring: dict[str, int]
    certificates: dict[LifecycleState, int]


class AuditOut(BaseModel):
    """One audit log entry."""

    id: int
    at: datetime
    actor: str | None
    action: str
    entity_type: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    sentence: str = Field(description="the entry said in Vietnamese, as the audit page shows it")


def _certificate(row: Certificate, state: LifecycleState) -> CertificateOut:
    return CertificateOut.model_validate(
        {
            **{name: getattr(row, name) for name in CertificateOut.model_fields if name != "state"},
            "state": state,
        }
    )


def _publish_openapi(api: FastAPI) -> None:
    """Serve ``api``'s OpenAPI document to a token or a signed-in browser only."""

    @api.get("/openapi.json", include_in_schema=False, responses=ERRORS)
    async def openapi_document(_staff: ReaderDep) -> JSONResponse:
        """The OpenAPI document of this API."""
        return JSONResponse(api.openapi())


def create_api() -> FastAPI:
    """The API app, mounted at ``/api/v1`` by the web app."""
    api = FastAPI(
        title="Trợ lý OCOP — admin API",
        version="1",
        openapi_url=None,  # served below, behind a login
        docs_url=None,
        redoc_url=None,
    )
    _publish_openapi(api)

    @api.get("/dashboard", responses=ERRORS)
    async def dashboard(admin: ContextDep, staff: StaffDep) -> DashboardOut:
        """Dossiers by status and certificates expiring soon."""
        async with admin.reading() as session:
            board = await service.dashboard(session, staff.scope, admin.today())
        return DashboardOut(
            total=board.total,
            by_status=board.by_status,
            expiring={str(days): count for days, count in board.expiring.items()},
            certificates=board.certificates,
        )

    @api.get("/dossiers", responses=ERRORS)
    async def dossiers(
        admin: ContextDep,
        staff: StaffDep,
        filters: DossierFilterDep,
        page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    ) -> DossierPage:
        """The scope's dossiers, filtered; filters only ever narrow the scope."""
        wanted = replace(filters, page=page)
        async with admin.reading() as session:
            rows, total = await service.list_dossiers(session, staff.scope, wanted)
        return DossierPage(
            total=total,
            page=page,
            items=[DossierOut.model_validate(row, from_attributes=True) for row in rows],
        )

    @api.get("/dossiers/{dossier_id}", responses=ERRORS)
    async def dossier(admin: ContextDep, staff: StaffDep, dossier_id: Id) -> DossierDetailOut:
        """One dossier of the scope."""
        async with admin.reading() as session:
            detail = await service.dossier_detail(
                session, staff.scope, dossier_id, today=admin.today()
            )
        if detail is None:
            raise HTTPException(404, "Not found")
        row = service.dossier_row(detail.dossier, detail.product, detail.subject)
        return DossierDetailOut(
            **DossierOut.model_validate(row, from_attributes=True).model_dump(),
            producer=detail.producer,
            items={item.code: item.state for item in detail.items},
            commune_conclusion=detail.assessment.conclusion if detail.assessment else None,
            scores=[CouncilScoreOut(member=s.member_name, score=s.score) for s in detail.scores],
            average=detail.result.average_score if detail.result else None,
            stars=detail.result.stars if detail.result else None,
            result_published=detail.result is not None and detail.result.published_at is not None,
            certificates=[
                _certificate(c, detail.certificate_states[c.id]) for c in detail.certificates
            ],
        )

    @api.put("/dossiers/{dossier_id}/scores", responses=DECISION_ERRORS)
    async def scores(
        admin: ContextDep,
        staff: StaffDep,
        dossier_id: Id,
        body: ScoresIn,
    ) -> ScoreOut:
        """Enter every member's draft score (replacing the last draft); nothing is recorded
        and no one is told until the result is published."""
        try:
            async with admin.writing() as session:
                outcome = await decisions.save_council_scores(
                    session,
                    staff,
                    dossier_id,
                    [(s.member, s.score) for s in body.scores],
                    admin.today(),
                    admin.clock(),
                )
        except (decisions.DecisionError, decisions.NotFoundError) as error:
            raise decision_error(error) from None
        routing = outcome.routing
        return ScoreOut(
            average=outcome.result.average,
            stars=outcome.result.stars,
            spread=outcome.result.spread,
            needs_rescoring=outcome.result.needs_rescoring,
            recorded=False,
            certified_by=routing.certified_by.value if routing and routing.certified_by else None,
            forwarded_to=routing.forwarded_to.value if routing and routing.forwarded_to else None,
        )

    @api.post("/dossiers/{dossier_id}/certificate", responses=DECISION_ERRORS, status_code=201)
    async def certificate(
        admin: ContextDep,
        staff: StaffDep,
        dossier_id: Id,
        body: CertificateIn,
    ) -> CertificateOut:
        """Issue the certificate of a scored dossier (expiry computed: 36 months)."""
        try:
            async with admin.writing() as session:
                issued = await decisions.issue_certificate(
                    session,
                    staff,
                    dossier_id,
                    body.number,
                    body.decision_number,
                    body.issued_on,
                    admin.today(),
                    admin.clock(),
                )
        except (decisions.DecisionError, decisions.NotFoundError) as error:
            raise decision_error(error) from None
        return _certificate(issued, LifecycleState.VALID)

    @api.get("/certificates", responses=ERRORS)
    async def certificates(
        admin: ContextDep,
        staff: StaffDep,
        state: LifecycleState | None = None,
        expiring_within: Annotated[int | None, Query(ge=0, le=3650)] = None,
        page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    ) -> CertificatePage:
        """The scope's certificates by state, soonest expiry first, a page at a time."""
        async with admin.reading() as session:
            rows, total = await service.list_certificates(
                session,
                staff.scope,
                admin.today(),
                service.CertificateFilter(state, expiring_within, page),
            )
        return CertificatePage(
            total=total,
            page=page,
            items=[
                _certificate(r.certificate, r.state).model_copy(
                    update={"issuing_authority": r.issuer}
                )
                for r in rows
            ],
        )

    @api.post("/certificates/{certificate_id}/revoke", responses=DECISION_ERRORS)
    async def revoke(
        admin: ContextDep,
        staff: StaffDep,
        certificate_id: Id,
        body: RevokeIn,
    ) -> CertificateOut:
        """Revoke a valid certificate on a ground of Điều 8 (the issuer only); the producer
        and the commune's officers are told."""
        try:
            async with admin.writing() as session:
                revoked = await decisions.revoke_certificate(
                    session,
                    staff,
                    certificate_id,
                    ground=body.ground,
                    revoked_on=body.revoked_on,
                    reason=body.reason,
                    today=admin.today(),
                    now=admin.clock(),
                )
        except (decisions.DecisionError, decisions.NotFoundError) as error:
            raise decision_error(error) from None
        return _certificate(revoked, LifecycleState.REVOKED)

    @api.get("/audit", responses=ERRORS)
    async def audit(
        admin: ContextDep,
        staff: StaffDep,
        action: Annotated[str | None, Query(max_length=64, pattern=NO_NUL)] = None,
        actor: Annotated[str | None, Query(max_length=255, pattern=NO_NUL)] = None,
        dossier: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    ) -> list[AuditOut]:
        """Audit entries about the scope's dossiers, newest first."""
        async with admin.reading() as session:
            entries = await service.search_audit(
                session,
                staff.scope,
                action=action,
                actor=actor,
                dossier=str(dossier) if dossier else None,
            )
        return [
            AuditOut(
                id=e.id,
                at=e.at,
                actor=e.actor_label,
                action=e.action,
                entity_type=e.entity_type,
                entity_id=e.entity_id,
                before=e.before,
                after=e.after,
                sentence=audit_sentence(e),
            )
            for e in entries
        ]

    for part in (rounds_api, invites_api, files_api, comms_api, decisions_api):
        api.include_router(part)
    return api
