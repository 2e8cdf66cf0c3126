"""Producers' questions to their commune officer: asking, answering, the inbox, the digest.

A question goes to the officers of the producer's commune who can be reached on the bot (an
``officer_question`` notice each, answered with ``/traloi`` or on the admin inbox page). A
commune with no officer on the bot sends it to its province's staff instead: it waits in the
province's admin inbox, and the producer is told so. Whoever answers first answers for
everyone; the answer reaches the producer as an ``officer_answer`` notice on their channel.
Unanswered questions older than two working days (``ocop_rules.working_day``) are listed in
the officers' weekly digest.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import AuditAction, record
from bot.db.models import (
    ChannelAccount,
    Dossier,
    OfficerAssignment,
    OfficerQuestion,
    OutboxMessage,
    Person,
    Product,
    Subject,
)
from handlers.communes import commune_by_code
from ocop_rules import working_day

OVERDUE_WORKING_DAYS = 2  # unanswered this long: listed in the officer's weekly digest
INBOX_LIMIT = 200
QUESTION_KIND = "officer_question"
ANSWER_KIND = "officer_answer"


class RoutedTo(StrEnum):
    """Who a question was put to."""

    COMMUNE = "commune"  # the commune's officers on the bot
    PROVINCE = "province"  # the province's staff (the commune has no officer on the bot)


@dataclass(frozen=True, slots=True)
class Asked:
    """Where a question went: the officers' names, or the province."""

    question_id: int
    routed_to: RoutedTo
    commune_code: str
    officers: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class InboxEntry:
    """One question as the admin inbox and the officer's list show it."""

    id: int
    producer: str | None
    commune_code: str
    routed_to: str
    dossier_id: int | None
    product: str | None
    body: str
    asked_at: datetime
    answer: str | None
    answered_by: str | None
    answered_at: datetime | None


async def producer_commune(session: AsyncSession, person_id: int) -> str | None:
    """The commune of the producer's (first) subject."""
    return await session.scalar(
        select(Subject.commune_code)
        .where(Subject.owner_person_id == person_id)
        .order_by(Subject.id)
        .limit(1)
    )


async def reachable_officers(session: AsyncSession, commune: str) -> list[tuple[int, str | None]]:
    """(person, name) of the commune's officers the bot can reach."""
    rows = await session.execute(
        select(Person.id, Person.full_name)
        .join(OfficerAssignment, OfficerAssignment.person_id == Person.id)
        .where(OfficerAssignment.commune_code == commune)
        .where(Person.erased_at.is_(None))
        .where(
            Person.id.in_(
                select(ChannelAccount.person_id).where(ChannelAccount.reachable.is_(True))
            )
        )
        .order_by(OfficerAssignment.id)
    )
    return [(person, name) for person, name in rows.all()]


async def _dossier_product(
    session: AsyncSession, person_id: int, dossier_id: int | None
) -> tuple[int | None, str | None]:
    """The dossier (only one of the producer's own) and its product's name."""
    if dossier_id is None:
        return None, None
    row = (
        await session.execute(
            select(Dossier.id, Product.name)
            .join(Product, Product.id == Dossier.product_id)
            .join(Subject, Subject.id == Product.subject_id)
            .where(Dossier.id == dossier_id)
            .where(Subject.owner_person_id == person_id)
        )
    ).first()
    return (row[0], row[1]) if row is not None else (None, None)


async def ask(
    session: AsyncSession,
    *,
    person_id: int,
    body: str,
    now: datetime,
    dossier_id: int | None = None,
    unreadable: bool = False,
) -> Asked | None:
    """Record the producer's question and send it to whoever answers for their commune;
    None when the person has no commune. ``unreadable``: the producer sent something the
    bot cannot read (a voice note, withheld content); one such question stays open at a
    time, so a string of voice notes is one call-back request, not many."""
    commune = await producer_commune(session, person_id)
    found = commune_by_code(commune) if commune else None
    if commune is None or found is None:
        return None
    officers = await reachable_officers(session, commune)
    routed = RoutedTo.COMMUNE if officers else RoutedTo.PROVINCE
    names = tuple(name for _, name in officers if name)
    if unreadable:
        waiting = await session.scalar(
            select(OfficerQuestion.id)
            .where(OfficerQuestion.producer_person_id == person_id)
            .where(OfficerQuestion.answered_at.is_(None))
            .where(OfficerQuestion.body == body)
            .limit(1)
        )
        if waiting is not None:
            return Asked(waiting, routed, commune, names)
    dossier, product = await _dossier_product(session, person_id, dossier_id)
    question = OfficerQuestion(
        producer_person_id=person_id,
        commune_code=commune,
        province_code=found.province_code,
        dossier_id=dossier,
        routed_to=routed.value,
        body=body,
        asked_at=now,
    )
    session.add(question)
    await session.flush()
    producer = await session.get(Person, person_id)
    payload: dict[str, Any] = {
        "question_id": question.id,
        "producer": producer.full_name if producer else None,
        "phone": producer.phone_e164 if producer else None,
        "product": product,
        "body": body,
        "unreadable": unreadable,
    }
    for officer, _ in officers:
        session.add(
            OutboxMessage(
                dedupe_key=f"{QUESTION_KIND}:{question.id}:{officer}",
                recipient_person_id=officer,
                kind=QUESTION_KIND,
                payload=payload,
                due_at=now,
            )
        )
    await session.flush()
    return Asked(question.id, routed, commune, names)


async def answer(
    session: AsyncSession,
    *,
    question_id: int,
    body: str,
    by: str,
    now: datetime,
    allowed: ColumnElement[bool],
    actor: str | None,
    actor_person_id: int | None = None,
) -> bool:
    """Record the answer, queue it to the producer and audit it as ``actor``'s (an
    officer's ``/traloi``, the admin inbox and the API alike); False when the question is
    not in ``allowed`` (another commune's, say) or was already answered."""
    question = await session.scalar(
        select(OfficerQuestion)
        .where(OfficerQuestion.id == question_id)
        .where(allowed)
        .with_for_update()
    )
    if question is None or question.answered_at is not None:
        return False
    question.answer, question.answered_by, question.answered_at = body, by, now
    if question.producer_person_id is not None:
        session.add(
            OutboxMessage(
                dedupe_key=f"{ANSWER_KIND}:{question.id}",
                recipient_person_id=question.producer_person_id,
                kind=ANSWER_KIND,
                payload={"question": question.body, "answer": body, "by": by},
                due_at=now,
            )
        )
    record(
        session,
        AuditAction.QUESTION_ANSWER,
        actor=actor,
        actor_person_id=actor_person_id,
        entity=("officer_question", question.id),
        at=now,
        after={"answer": body},
    )
    await session.flush()
    return True


def for_officer(person_id: int) -> ColumnElement[bool]:
    """Questions an officer answers: their communes', put to the commune."""
    return OfficerQuestion.commune_code.in_(
        select(OfficerAssignment.commune_code).where(OfficerAssignment.person_id == person_id)
    ) & (OfficerQuestion.routed_to == RoutedTo.COMMUNE.value)


async def inbox(
    session: AsyncSession,
    allowed: ColumnElement[bool],
    *,
    open_only: bool = False,
    dossier_id: int | None = None,
    question_id: int | None = None,
    limit: int = INBOX_LIMIT,
) -> list[InboxEntry]:
    """Questions matching ``allowed``, unanswered first, then the newest."""
    query = (
        select(OfficerQuestion, Person.full_name, Product.name)
        .outerjoin(Person, Person.id == OfficerQuestion.producer_person_id)
        .outerjoin(Dossier, Dossier.id == OfficerQuestion.dossier_id)
        .outerjoin(Product, Product.id == Dossier.product_id)
        .where(allowed)
        .order_by(
            OfficerQuestion.answered_at.is_not(None),
            OfficerQuestion.asked_at.desc(),
            OfficerQuestion.id.desc(),
        )
        .limit(limit)
    )
    if open_only:
        query = query.where(OfficerQuestion.answered_at.is_(None))
    if dossier_id is not None:
        query = query.where(OfficerQuestion.dossier_id == dossier_id)
    if question_id is not None:
        query = query.where(OfficerQuestion.id == question_id)
    rows = await session.execute(query)
    return [
        InboxEntry(
            q.id,
            name,
            q.commune_code,
            q.routed_to,
            q.dossier_id,
            product,
            q.body,
            q.asked_at,
            q.answer,
            q.answered_by,
            q.answered_at,
        )
        for q, name, product in rows.all()
    ]


def overdue(asked_on: date, today: date) -> bool:
    """Whether a question asked on ``asked_on`` has waited more than two working days on
    ``today`` (working days of ``ocop_rules``; outside its holiday table, weekdays)."""
    try:
        return working_day(asked_on, OVERDUE_WORKING_DAYS) < today
    except ValueError:
        weekdays, day = 0, asked_on
        while weekdays < OVERDUE_WORKING_DAYS:
            day = date.fromordinal(day.toordinal() + 1)
            weekdays += day.weekday() < 5  # Monday to Friday
        return day < today


async def overdue_for_digest(
    session: AsyncSession, today: date, local_day: Any
) -> dict[int, list[list[Any]]]:
    """Per officer, their communes' unanswered questions older than two working days, as
    ``[question id, producer, days waiting]`` (``local_day`` turns a moment into a day)."""
    rows = await session.execute(
        select(OfficerAssignment.person_id, OfficerQuestion, Person.full_name)
        .join(OfficerQuestion, OfficerQuestion.commune_code == OfficerAssignment.commune_code)
        .outerjoin(Person, Person.id == OfficerQuestion.producer_person_id)
        .where(OfficerQuestion.answered_at.is_(None))
        .where(OfficerQuestion.routed_to == RoutedTo.COMMUNE.value)
        .order_by(OfficerQuestion.asked_at)
    )
    found: dict[int, list[list[Any]]] = defaultdict(list)
    for officer, question, name in rows.all():
        asked_on = local_day(question.asked_at)
        if overdue(asked_on, today):
            found[officer].append([question.id, name, (today - asked_on).days])
    return found
