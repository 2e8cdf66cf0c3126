"""What every part of the JSON API shares: the bearer-token account (or, for reads like
the OpenAPI document, a signed-in browser's), error descriptions,
and the string type that keeps NUL bytes out of PostgreSQL."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, HTTPException, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import Field, StringConstraints

from bot.admin import logins, service
from bot.admin.accounts import Staff, staff_by_token
from bot.admin.context import AdminContext
from bot.admin.sessions import SESSION_COOKIE

# PostgreSQL text cannot hold NUL; refusing it here keeps a stray byte a 422, not a 500.
NO_NUL = r"^[^\x00]*$"
Line = Annotated[str, StringConstraints(pattern=NO_NUL)]
_bearer = HTTPBearer(auto_error=False, description="Token from `ocop-bot admin token`")
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Missing or unknown token"},
    404: {"description": "No such record in the account's scope"},
}
BODY_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    400: {"description": "The body is not valid JSON"},
}
DECISION_ERRORS: dict[int | str, dict[str, Any]] = {
    **BODY_ERRORS,
    403: {"description": "Commune accounts cannot take this decision"},
    409: {"description": "The rules or the dossier's state do not allow it"},
}
Id = Annotated[int, Field(ge=1, le=2**31 - 1)]


def _context(request: Request) -> AdminContext:
    admin: AdminContext = request.app.state.admin
    return admin


ContextDep = Annotated[AdminContext, Depends(_context)]


async def _staff(
    admin: ContextDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Staff:
    staff = None
    if credentials is not None and credentials.scheme.lower() == "bearer":
        async with admin.reading() as session:
            staff = await staff_by_token(session, credentials.credentials)
    if staff is None:
        raise HTTPException(401, "Missing or unknown token", {"WWW-Authenticate": "Bearer"})
    return staff


StaffDep = Annotated[Staff, Depends(_staff)]


async def _reader(
    request: Request,
    admin: ContextDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Staff:
    """A token's account, or a signed-in browser's: for what only reads, like the OpenAPI
    document (the browser's cookie is ``SameSite=Strict``, and nothing here changes)."""
    async with admin.reading() as session:
        staff = await logins.session_staff(
            session, token=request.cookies.get(SESSION_COOKIE, ""), now=admin.clock()
        )
    return staff if staff is not None else await _staff(admin, credentials)


ReaderDep = Annotated[Staff, Depends(_reader)]


def province_only(staff: Staff) -> str:
    """The province of a province account; a commune account gets 403."""
    if not staff.scope.is_province:
        raise HTTPException(403, "Only province accounts can do this")
    return staff.scope.code


def _dossier_filter(
    commune: Annotated[str | None, Query(max_length=5, pattern=NO_NUL)] = None,
    group: Annotated[str | None, Query(max_length=32, pattern=NO_NUL)] = None,
    status: Annotated[str | None, Query(max_length=32, pattern=NO_NUL)] = None,
    round_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    q: Annotated[str | None, Query(max_length=100, pattern=NO_NUL)] = None,
) -> service.DossierFilter:
    """The dossier filters of the list and of its export; they only ever narrow the scope."""
    return service.DossierFilter(commune, group, status, round_id, q)


DossierFilterDep = Annotated[service.DossierFilter, Depends(_dossier_filter)]
