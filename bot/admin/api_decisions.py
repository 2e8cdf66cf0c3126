"""Council results in the JSON API, as on the admin pages: publish the province's result as a
decision (the producer is told once) and record the Ministry's result on a dossier proposed
to it (QĐ 26, Điều 7.3.e, 7.4)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from bot.admin import decisions, service
from bot.admin.api_common import DECISION_ERRORS, ContextDep, Id, Line, StaffDep
from ocop_rules import DossierStatus, Routing

decisions_api = APIRouter()


class DecisionIn(BaseModel):
    """A published decision: its number, day and signer."""

    decision_number: Line = Field(min_length=1, max_length=64)
    decision_date: date
    signer: Line = Field(min_length=1, max_length=255)

    def decision(self) -> decisions.Decision:
        """As the decisions module takes it."""
        return decisions.Decision(self.decision_number, self.decision_date, self.signer)


class CentralResultIn(DecisionIn):
    """The Ministry's council score and its decision."""

    score: Decimal = Field(ge=0, le=100, max_digits=5, decimal_places=2)


class OutcomeOut(BaseModel):
    """A published result: the dossier's status now, stars, and who certifies."""

    status: DossierStatus
    stars: int
    certified_by: str | None
    forwarded_to: str | None


def _outcome(routing: Routing, status: str) -> OutcomeOut:
    return OutcomeOut(
        status=DossierStatus(status),
        stars=routing.stars,
        certified_by=routing.certified_by.value if routing.certified_by else None,
        forwarded_to=routing.forwarded_to.value if routing.forwarded_to else None,
    )


def decision_error(error: Exception) -> HTTPException:
    """A refused decision as HTTP: 404 outside the scope, 403 for the wrong level, else 409."""
    if isinstance(error, decisions.NotFoundError):
        return HTTPException(404, "Not found")
    if isinstance(error, decisions.NotAllowedError):
        return HTTPException(403, str(error))
    return HTTPException(409, str(error))


@decisions_api.post("/dossiers/{dossier_id}/publish", responses=DECISION_ERRORS)
async def publish(
    admin: ContextDep, staff: StaffDep, dossier_id: Id, body: DecisionIn
) -> OutcomeOut:
    """Publish the council's result as a decision; the producer is told once."""
    try:
        async with admin.writing() as session:
            routing = await decisions.publish_result(
                session, staff, dossier_id, body.decision(), admin.today(), admin.clock()
            )
            found = await service.scoped_dossier(session, staff.scope, dossier_id)
    except (decisions.DecisionError, decisions.NotFoundError) as error:
        raise decision_error(error) from None
    return _outcome(routing, found[0].status if found else "")


@decisions_api.post("/dossiers/{dossier_id}/central-result", responses=DECISION_ERRORS)
async def central_result(
    admin: ContextDep, staff: StaffDep, dossier_id: Id, body: CentralResultIn
) -> OutcomeOut:
    """Record the Ministry's result on a dossier proposed to it (province or central)."""
    try:
        async with admin.writing() as session:
            routing = await decisions.record_central_result(
                session,
                staff,
                dossier_id,
                body.score,
                body.decision(),
                admin.today(),
                admin.clock(),
            )
            found = await service.scoped_dossier(session, staff.scope, dossier_id)
    except (decisions.DecisionError, decisions.NotFoundError) as error:
        raise decision_error(error) from None
    return _outcome(routing, found[0].status if found else "")
