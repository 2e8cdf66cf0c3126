"""The admin page of dead letters: notifications the dispatcher gave up on, with why.

A notification becomes a dead letter after its last attempt, or at once when the platform
refused it (``bot/alerts/dispatch.py``). Clerks see those meant for the people of their
scope — the owners of its subjects and the officers of its communes — so they can reach
the person another way, or report the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.admin.pages import ContextDep, StaffDep, render
from bot.admin.scope import Scope
from bot.db.models import OfficerAssignment, OutboxMessage, Person, Subject
from bot.db.vocab import OutboxState

router = APIRouter(prefix="/admin", include_in_schema=False)
LIMIT = 200


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One notification given up on, as the page lists it."""

    id: int
    kind: str
    recipient: str | None
    due_at: datetime
    attempts: int
    reason: str | None
    failed_at: datetime | None


async def dead_letters(
    session: AsyncSession, scope: Scope, *, limit: int = LIMIT
) -> list[DeadLetter]:
    """The scope's dead letters, the latest first."""
    owners = select(Subject.owner_person_id).where(scope.subjects())
    officers = select(OfficerAssignment.person_id).where(
        scope.covers_commune(OfficerAssignment.commune_code)
    )
    recipient = OutboxMessage.recipient_person_id
    rows = await session.execute(
        select(OutboxMessage, Person.full_name)
        .join(Person, Person.id == recipient)
        .where(OutboxMessage.state == OutboxState.FAILED)
        .where(or_(recipient.in_(owners), recipient.in_(officers)))
        .order_by(
            func.coalesce(OutboxMessage.failed_at, OutboxMessage.created_at).desc(),
            OutboxMessage.id.desc(),
        )
        .limit(limit)
    )
    return [
        DeadLetter(row.id, row.kind, name, row.due_at, row.attempts, row.last_error, row.failed_at)
        for row, name in rows
    ]


@router.get("/alerts/failed", response_class=HTMLResponse)
async def dead_letters_page(request: Request, admin: ContextDep, staff: StaffDep) -> HTMLResponse:
    """The notifications of the scope that could not be sent, with the reason."""
    async with admin.reading() as session:
        letters = await dead_letters(session, staff.scope)
    return render(request, admin, "dead_letters.html", {"staff": staff, "letters": letters})
