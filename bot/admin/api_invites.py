"""Officer invites in the JSON API, as on the admin pages: list, create (the code is in
the answer once, never again) and revoke, for the communes of the account's scope."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from bot.admin.api_common import BODY_ERRORS, ERRORS, ContextDep, Id, Line, StaffDep
from bot.db.models import OfficerInvite
from bot.invites import InviteRow, create_invite, list_invites, revoke_invite

invites_api = APIRouter()


class InviteIn(BaseModel):
    """Whom the invite is for: a commune of the scope and, optionally, the officer's name."""

    commune_code: Annotated[str, Field(pattern=r"^\d{5}$")]
    invitee_name: Line | None = Field(default=None, max_length=255)


class InviteOut(BaseModel):
    """An invite and its state: open, used, revoked or expired."""

    id: int
    commune_code: str
    invitee_name: str | None
    created_at: datetime
    expires_at: datetime
    state: str
    used_by: str | None


class InviteCreated(BaseModel):
    """A new invite and its code, which the officer types to the bot (shown only here)."""

    invite: InviteOut
    code: str


def _out(invite: OfficerInvite, now: datetime) -> InviteOut:
    return InviteOut.model_validate(InviteRow.of(invite, now), from_attributes=True)


@invites_api.get("/invites", responses=ERRORS)
async def invites(admin: ContextDep, staff: StaffDep) -> list[InviteOut]:
    """The invites of the scope's communes, newest first."""
    async with admin.reading() as session:
        rows: list[InviteRow] = await list_invites(
            session, admin.clock(), staff.scope.covers_commune(OfficerInvite.commune_code)
        )
    return [InviteOut.model_validate(row, from_attributes=True) for row in rows]


@invites_api.post("/invites", responses=BODY_ERRORS, status_code=201)
async def invite(admin: ContextDep, staff: StaffDep, body: InviteIn) -> InviteCreated:
    """Invite an officer of one commune of the scope (404 for a commune outside it)."""
    if not staff.scope.includes_commune(body.commune_code):
        raise HTTPException(404, "No such commune in the account's scope")
    now = admin.clock()
    async with admin.writing() as session:
        created, code = await create_invite(
            session, body.commune_code, body.invitee_name, now, created_by=staff.actor
        )
        out = _out(created, now)
    return InviteCreated(invite=out, code=code)


@invites_api.post("/invites/{invite_id}/revoke", responses=ERRORS)
async def revoke(admin: ContextDep, staff: StaffDep, invite_id: Id) -> InviteOut:
    """Revoke an open invite of the scope; a used or expired one stays as it is."""
    now = admin.clock()
    async with admin.writing() as session:
        found = await session.get(OfficerInvite, invite_id)
        if found is None or not staff.scope.includes_commune(found.commune_code):
            raise HTTPException(404, "Not found")
        revoked = await revoke_invite(session, str(invite_id), now, actor=staff.actor)
        if revoked is None:  # removed by someone else since it was read
            raise HTTPException(404, "Not found")
        return _out(revoked, now)
