"""Announcements and the questions inbox in the JSON API, as on the admin pages: preview a
segment's reach, send, list with delivery counts; list questions and answer one."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException
from pydantic import BaseModel, Field

from bot import announcements, questions
from bot.admin.accounts import Staff
from bot.admin.api_common import BODY_ERRORS, ERRORS, ContextDep, Id, Line, StaffDep
from bot.admin.scope import ScopeKind
from bot.admin.staff_comms import answerer, inbox_scope
from ocop_rules import DossierStatus

comms_api = APIRouter()


class SegmentIn(BaseModel):
    """Who to reach within the account's scope (a commune account: its commune only)."""

    audience: announcements.Audience = announcements.Audience.PRODUCERS
    communes: list[Annotated[str, Field(pattern=r"^\d{5}$")]] = Field(
        default_factory=list, max_length=500
    )
    group: Line | None = Field(default=None, max_length=32)
    product_set: int | None = Field(default=None, ge=1, le=26)
    stars: int | None = Field(default=None, ge=3, le=5)
    certificates: announcements.CertificateFilter | None = None
    expiring_days: int = Field(default=announcements.EXPIRING_DAYS, ge=1, le=3650)
    dossier_status: DossierStatus | None = None

    def segment(self, staff: Staff) -> announcements.Segment:
        """The segment, checked against the account's scope (404 for a commune outside it)."""
        communes = tuple(self.communes)
        if staff.scope.kind is ScopeKind.COMMUNE:
            communes = (staff.scope.code,)
        found = announcements.Segment(
            audience=self.audience,
            communes=communes,
            group=self.group,
            product_set=self.product_set,
            stars=self.stars,
            certificates=self.certificates,
            expiring_days=self.expiring_days,
            dossier_status=self.dossier_status.value if self.dossier_status else None,
        )
        try:
            return found.checked(staff.scope)
        except announcements.SegmentError:
            raise HTTPException(404, "No such commune in the account's scope") from None


class AnnouncementIn(BaseModel):
    """An announcement and who gets it."""

    body: Line = Field(min_length=1, max_length=announcements.MAX_BODY)
    segment: SegmentIn = Field(default_factory=SegmentIn)


class ReachOut(BaseModel):
    """How many people a segment reaches, per channel; those who turned announcements off
    and those without a reachable account get nothing."""

    people: int
    channels: dict[str, int]
    opted_out: int
    unreachable: int


class AnnouncementOut(BaseModel):
    """A sent announcement with its delivery counts by outbox state."""

    id: int
    scope: str
    author: str
    body: str
    segment: dict[str, Any]
    recipients: int
    created_at: datetime
    states: dict[str, int]


class QuestionOut(BaseModel):
    """A producer's question and its answer, if any."""

    id: int
    producer: str | None
    commune_code: str
    routed_to: str
    dossier_id: int | None
    body: str
    asked_at: datetime
    answer: str | None
    answered_by: str | None
    answered_at: datetime | None


class AnswerIn(BaseModel):
    """The answer sent to the producer on their channel."""

    answer: Line = Field(min_length=1, max_length=announcements.MAX_BODY)


@comms_api.post("/announcements/preview", responses=BODY_ERRORS)
async def preview(admin: ContextDep, staff: StaffDep, body: SegmentIn) -> ReachOut:
    """How many people the segment reaches, and on which channels; nothing is sent."""
    async with admin.reading() as session:
        found = await announcements.reach(session, staff.scope, body.segment(staff), admin.today())
    return ReachOut(
        people=found.people,
        channels=found.channels,
        opted_out=found.opted_out,
        unreachable=found.unreachable,
    )


@comms_api.post("/announcements", responses=BODY_ERRORS, status_code=201)
async def send(
    admin: ContextDep,
    staff: StaffDep,
    body: AnnouncementIn,
    idempotency_key: Annotated[
        str | None,
        Header(min_length=1, max_length=announcements.SUBMISSION_KEY_LENGTH),
    ] = None,
) -> AnnouncementOut:
    """Send the announcement once to each person of the segment, through the outbox.

    A call retried with the same ``Idempotency-Key`` header gets the announcement the
    first call made, with its delivery counts, and sends nothing again."""
    segment = body.segment.segment(staff)
    async with admin.writing() as session:
        row = await announcements.send(
            session,
            scope=staff.scope,
            author=staff.actor,
            body=body.body,
            segment=segment,
            now=admin.clock(),
            today=admin.today(),
            submission_key=idempotency_key,
        )
        states = await announcements.delivery(session, row.id)
    return AnnouncementOut(
        id=row.id,
        scope=row.scope,
        author=row.author,
        body=row.body,
        segment=row.segment,
        recipients=row.recipients,
        created_at=row.created_at,
        states=states,
    )


@comms_api.get("/announcements", responses=ERRORS)
async def sent(admin: ContextDep, staff: StaffDep) -> list[AnnouncementOut]:
    """The scope's announcements, newest first, with their delivery counts."""
    async with admin.reading() as session:
        rows = await announcements.sent(session, staff.scope)
    return [AnnouncementOut.model_validate(row, from_attributes=True) for row in rows]


@comms_api.get("/questions", responses=ERRORS)
async def inbox(
    admin: ContextDep, staff: StaffDep, dossier_id: int | None = None
) -> list[QuestionOut]:
    """Producers' questions of the scope, unanswered first."""
    async with admin.reading() as session:
        rows = await questions.inbox(session, inbox_scope(staff.scope), dossier_id=dossier_id)
    return [QuestionOut.model_validate(row, from_attributes=True) for row in rows]


@comms_api.post("/questions/{question_id}/answer", responses=BODY_ERRORS)
async def answer(
    admin: ContextDep, staff: StaffDep, question_id: Id, body: AnswerIn
) -> QuestionOut:
    """Answer one question of the scope (404 when not in it or already answered)."""
    now = admin.clock()
    async with admin.writing() as session:
        done = await questions.answer(
            session,
            question_id=question_id,
            body=body.answer,
            by=answerer(staff),
            now=now,
            allowed=inbox_scope(staff.scope),
            actor=staff.actor,
        )
        if not done:
            raise HTTPException(404, "No unanswered question with this id in the scope")
        (row,) = await questions.inbox(session, inbox_scope(staff.scope), question_id=question_id)
    return QuestionOut.model_validate(row, from_attributes=True)
