"""The calendar of evaluation rounds in the JSON API, as on the admin pages: every account
reads its province's rounds; province accounts add, change and remove them."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from bot.admin.api_common import (
    DECISION_ERRORS,
    ERRORS,
    ContextDep,
    Id,
    Line,
    StaffDep,
    province_only,
)
from bot.alerts.calendar import (
    RoundError,
    RoundNotFoundError,
    add_round,
    change_round,
    list_rounds,
    remove_round,
)


class RoundIn(BaseModel):
    """An evaluation round: its name and dates (the province is the account's)."""

    name: Line = Field(min_length=1, max_length=255)
    opens_on: date
    registration_deadline: date
    commune_deadline: date | None = None
    council_from: date | None = None
    council_to: date | None = None


class RoundOut(RoundIn):
    """A round as kept; ``version`` goes up each time its dates change."""

    id: int
    province_code: str
    version: int


def _round_error(error: RoundError) -> HTTPException:
    if isinstance(error, RoundNotFoundError):
        return HTTPException(404, "Not found")
    return HTTPException(409, str(error))


rounds_api = APIRouter()


@rounds_api.get("/rounds", responses=ERRORS)
async def list_calendar(admin: ContextDep, staff: StaffDep) -> list[RoundOut]:
    """The evaluation rounds of the account's province, by opening date."""
    async with admin.reading() as session:
        found = await list_rounds(session, staff.scope.province_code)
    return [RoundOut.model_validate(r, from_attributes=True) for r in found]


@rounds_api.post("/rounds", responses=DECISION_ERRORS, status_code=201)
async def add_to_calendar(admin: ContextDep, staff: StaffDep, body: RoundIn) -> RoundOut:
    """Add a round; its alerts are planned by the next sweep."""
    province = province_only(staff)
    dates = body.model_dump(exclude={"name"})
    try:
        async with admin.writing() as session:
            found = await add_round(
                session, province, body.name, dates, admin.clock(), actor=staff.actor
            )
            return RoundOut.model_validate(found, from_attributes=True)
    except RoundError as error:
        raise _round_error(error) from None


@rounds_api.put("/rounds/{round_id}", responses=DECISION_ERRORS)
async def change_in_calendar(
    admin: ContextDep,
    staff: StaffDep,
    round_id: Id,
    body: RoundIn,
) -> RoundOut:
    """Replace a round's name and dates; alerts planned for the old dates are cancelled
    and planned again for the new ones."""
    province = province_only(staff)
    try:
        async with admin.writing() as session:
            found, _ = await change_round(
                session,
                round_id,
                body.model_dump(exclude={"name"}),
                admin.clock(),
                actor=staff.actor,
                province=province,
                name=body.name,
            )
            return RoundOut.model_validate(found, from_attributes=True)
    except RoundError as error:
        raise _round_error(error) from None


@rounds_api.delete("/rounds/{round_id}", responses=DECISION_ERRORS, status_code=204)
async def remove_from_calendar(
    admin: ContextDep,
    staff: StaffDep,
    round_id: Id,
) -> None:
    """Remove a round no dossier belongs to (409 otherwise); its alerts are cancelled."""
    province = province_only(staff)
    try:
        async with admin.writing() as session:
            await remove_round(
                session, round_id, admin.clock(), actor=staff.actor, province=province
            )
    except RoundError as error:
        raise _round_error(error) from None
