"""The sweep: find what is due and put it into the outbox, once.

Certificates are read by an indexed range on ``expires_on`` — one query per reminder offset
covering the days since the last sweep (the watermark) — so a daily sweep reads only the
certificates whose reminder falls due, whatever the number of certificates. Rounds are few
and read whole. The commune officers' reminders on the 10th and 14th of the commune's 15
working days are counted from the commune's receipt of the dossier (``submitted_at``): QĐ 26,
Điều 7.2 runs the limit "kể từ ngày tiếp nhận hồ sơ sản phẩm". The bot has no separate filing
act, so the receipt is the day the commune's form check first accepts the dossier (recorded
then by the officer store, and never moved by a later step). Only dossiers still in the
commune's hands are read, by a bounded range on ``submitted_at``. Every alert is inserted
under a unique key (kind, subject, version, due day, recipient): planning twice inserts
nothing. The grace window and quiet hours are the dispatcher's business, not the sweep's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import questions
from bot.alerts.timing import AlertConfig
from bot.db.models import (
    AlertSweep,
    Certificate,
    Commune,
    Dossier,
    DossierItem,
    EvaluationRound,
    OfficerAssignment,
    OutboxMessage,
    Product,
    Subject,
)
from bot.engine import insert_for
from ocop_rules import (
    COMMUNE_STEP_STATUSES,
    DossierKind,
    ProductGroup,
    Provider,
    commune_deadline,
    dossier_requirements,
    working_day,
)

ROUND_KINDS = ("round_opening", "round_deadline", "missing_items")
COMMUNE_LIMIT = "commune_limit"
# The longest a working-day reminder can fall after receipt: 14 working days plus weekends
# and the longest holiday (Tết) stay well inside it, so the range read stays small.
_LIMIT_SPAN = timedelta(days=45)
_WAITING = sorted(s.value for s in COMMUNE_STEP_STATUSES)
_CHUNK = 500


@dataclass(slots=True)
class SweepReport:
    """What one sweep planned."""

    days: int = 0
    planned: int = 0


def dedupe_key(kind: str, subject: str, version: int, due: date, person: int) -> str:
    """The outbox key of one alert: the same alert planned twice has the same key."""
    return f"{kind}:{subject}:v{version}:{due.isoformat()}:{person}"


def _row(
    config: AlertConfig,
    kind: str,
    subject: str,
    version: int,
    due: date,
    person: int,
    payload: dict[str, Any],
) -> dict[str, Any]:
    return {
        "dedupe_key": dedupe_key(kind, subject, version, due, person),
        "recipient_person_id": person,
        "kind": kind,
        "payload": {**payload, "due_on": due.isoformat()},
        "due_at": config.due_at(due),
        "state": "pending",
        "attempts": 0,
    }


def _days(first: date, last: date) -> Iterable[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


async def _officers(session: AsyncSession, communes: set[str]) -> dict[str, list[int]]:
    found: dict[str, list[int]] = defaultdict(list)
    if communes:
        for commune, person in await session.execute(
            select(OfficerAssignment.commune_code, OfficerAssignment.person_id).where(
                OfficerAssignment.commune_code.in_(sorted(communes))
            )
        ):
            found[commune].append(person)
    return found


async def _certificate_alerts(
    session: AsyncSession, first: date, last: date, config: AlertConfig
) -> list[dict[str, Any]]:
    """Expiry reminders due on any day from ``first`` to ``last``."""
    schedule = config.schedule
    rows: list[dict[str, Any]] = []
    for days in schedule.certificate_expiry_days:
        found = await session.execute(
            select(
                Certificate.id,
                Certificate.stars,
                Certificate.expires_on,
                Product.name,
                Subject.owner_person_id,
            )
            .join(Product, Product.id == Certificate.product_id)
            .join(Subject, Subject.id == Product.subject_id)
            .where(Certificate.status == "valid")
            .where(
                Certificate.expires_on.between(
                    first + timedelta(days=days), last + timedelta(days=days)
                )
            )
        )
        # QĐ 26 has no written expiry notice (QĐ 148's 30-day duty is gone): these are the
        # producer's reminders around the re-evaluation window, none of them "legal".
        for cert_id, stars, expires_on, product, owner in found:
            due = expires_on - timedelta(days=days)
            payload = {
                "certificate_id": cert_id,
                "product": product,
                "stars": stars,
                "expires_on": expires_on.isoformat(),
                "days_before": days,
                "must_send": days == 0,
            }
            if owner is not None:
                rows.append(_row(config, "cert_expiry", f"c{cert_id}", 1, due, owner, payload))
    return rows


async def _waiting_dossiers(
    session: AsyncSession, province: str
) -> list[tuple[Dossier, Product, Subject]]:
    rows = await session.execute(
        select(Dossier, Product, Subject)
        .join(Product, Product.id == Dossier.product_id)
        .join(Subject, Subject.id == Product.subject_id)
        .join(Commune, Commune.code == Dossier.commune_code)
        .where(Commune.province_code == province)
        .where(Dossier.status.in_(_WAITING))
    )
    return [(d, p, s) for d, p, s in rows]


async def _missing(session: AsyncSession, dossier: Dossier, product: Product) -> list[str]:
    states = dict(
        (
            await session.execute(
                select(DossierItem.requirement_code, DossierItem.state).where(
                    DossierItem.dossier_id == dossier.id
                )
            )
        ).all()
    )
    required = dossier_requirements(
        product.product_set or ProductGroup(product.group_code),
        DossierKind(dossier.kind),
        (dossier.submitted_at or dossier.created_at).date(),
    )
    return [
        r.code
        for r in required
        if r.provider is Provider.SUBJECT
        and r.required
        and states.get(r.code, "pending") in ("pending", "missing")
    ]


async def _round_alerts(
    session: AsyncSession, first: date, last: date, config: AlertConfig
) -> list[dict[str, Any]]:
    """Round opening, deadline and missing-paper alerts due from ``first`` to ``last``."""
    schedule = config.schedule
    rows: list[dict[str, Any]] = []
    for found in await session.scalars(select(EvaluationRound)):
        events: list[tuple[str, date, int]] = [("round_opening", found.opens_on, 0)]
        events += [
            ("round_deadline", found.registration_deadline - timedelta(days=d), d)
            for d in schedule.round_deadline_days
        ]
        events.append(
            (
                "missing_items",
                found.registration_deadline - timedelta(days=schedule.missing_items_days),
                schedule.missing_items_days,
            )
        )
        due_events = [e for e in events if first <= e[1] <= last]
        if not due_events:
            continue
        dossiers = await _waiting_dossiers(session, found.province_code)
        officers = await _officers(session, {d.commune_code for d, _, _ in dossiers})
        base = {
            "round_id": found.id,
            "round": found.name,
            "deadline": found.registration_deadline.isoformat(),
        }
        subject = f"r{found.id}"
        for kind, due, days in due_events:
            payload = {**base, "days_before": days}
            if kind == "missing_items":
                for dossier, product, owner in dossiers:
                    missing = await _missing(session, dossier, product)
                    if missing and owner.owner_person_id is not None:
                        rows.append(
                            _row(
                                config,
                                kind,
                                f"{subject}:d{dossier.id}",
                                found.version,
                                due,
                                owner.owner_person_id,
                                {**payload, "product": product.name, "missing": missing},
                            )
                        )
                continue
            people = {s.owner_person_id for _, _, s in dossiers if s.owner_person_id is not None}
            people |= {p for d, _, _ in dossiers for p in officers.get(d.commune_code, [])}
            rows.extend(
                _row(config, kind, subject, found.version, due, person, payload)
                for person in sorted(people)
            )
    return rows


async def _commune_limit_alerts(
    session: AsyncSession, first: date, last: date, config: AlertConfig
) -> list[dict[str, Any]]:
    """The officers' reminders on the working days of the commune's limit (QĐ 26, Điều 7.2)
    that fall from ``first`` to ``last``, one per dossier, reminder and officer."""
    since = config.due_at(first - _LIMIT_SPAN)
    found = (
        await session.execute(
            select(Dossier.id, Dossier.commune_code, Dossier.submitted_at, Product.name)
            .join(Product, Product.id == Dossier.product_id)
            .where(Dossier.status.in_(_WAITING))
            .where(Dossier.submitted_at.is_not(None))
            .where(Dossier.submitted_at >= since)
        )
    ).all()
    if not found:
        return []
    officers = await _officers(session, {commune for _, commune, _, _ in found})
    rows: list[dict[str, Any]] = []
    for dossier_id, commune, submitted_at, product in found:
        if submitted_at is None:  # excluded by the query; for the type checker
            continue
        received = config.local_day(submitted_at)
        try:
            deadline = commune_deadline(received)
            due_days = [(n, working_day(received, n)) for n in config.schedule.commune_working_days]
        except ValueError:
            continue  # a year outside the holiday table: no guessed working days
        payload = {
            "dossier_id": dossier_id,
            "product": product,
            "received_on": received.isoformat(),
            "deadline": deadline.isoformat(),
        }
        for number, due in due_days:
            if not first <= due <= last:
                continue
            # Keyed by dossier, working day and due date: each reminder once per receipt.
            rows.extend(
                _row(
                    config,
                    COMMUNE_LIMIT,
                    f"d{dossier_id}:wd{number}",
                    1,
                    due,
                    person,
                    {**payload, "working_day": number},
                )
                for person in officers.get(commune, [])
            )
    return rows


async def _digests(
    session: AsyncSession, first: date, last: date, config: AlertConfig
) -> list[dict[str, Any]]:
    """The weekly digest (Mondays) per officer of dossiers waiting over a week."""
    rows: list[dict[str, Any]] = []
    for day in _days(first, last):
        if day.weekday() != 0:
            continue
        limit = config.due_at(day) - timedelta(days=config.digest_after_days)
        found = await session.execute(
            select(OfficerAssignment.person_id, Dossier, Product)
            .join(Dossier, Dossier.commune_code == OfficerAssignment.commune_code)
            .join(Product, Product.id == Dossier.product_id)
            .where(Dossier.status.in_(_WAITING))
            .where(Dossier.status_changed_at < limit)
            .order_by(Dossier.status_changed_at)
        )
        per_officer: dict[int, list[list[Any]]] = defaultdict(list)
        for person, dossier, product in found:
            days = (day - config.local_day(dossier.status_changed_at)).days
            per_officer[person].append([product.name, product.registration_code, days])
        # Producers' questions unanswered for more than 2 working days (bot.questions).
        asked = await questions.overdue_for_digest(session, day, config.local_day)
        week = day.isocalendar()
        for person in sorted(per_officer.keys() | asked.keys()):
            items = per_officer.get(person, [])
            rows.append(
                _row(
                    config,
                    "officer_digest",
                    f"w{week.year}-{week.week:02d}",
                    1,
                    day,
                    person,
                    {
                        "count": len(items),
                        "items": items[:10],
                        "questions": asked.get(person, [])[:10],
                    },
                )
            )
    return rows


async def sweep(session: AsyncSession, now: datetime, config: AlertConfig) -> SweepReport:
    """Plan every alert due up to today (local); call inside a transaction.

    The watermark row is locked first (``FOR UPDATE`` on PostgreSQL), so two processes
    sweeping at once take turns; the unique keys make the second one a no-op anyway.
    """
    today = config.local_day(now)
    mark = await session.get(AlertSweep, 1, with_for_update=True)
    first = mark.swept_through + timedelta(days=1) if mark is not None else today
    recent = max(first, today - config.grace)
    rows: list[dict[str, Any]] = []
    if first <= today:
        rows += await _certificate_alerts(session, first, today, config)
    rows += await _round_alerts(session, today - config.grace, today, config)
    rows += await _commune_limit_alerts(session, today - config.grace, today, config)
    if recent <= today:
        rows += await _digests(session, recent, today, config)
    planned = 0
    for start in range(0, len(rows), _CHUNK):
        statement = (
            insert_for(session, OutboxMessage)
            .values(rows[start : start + _CHUNK])
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
            .returning(OutboxMessage.id)
        )
        planned += len((await session.execute(statement)).all())
    if mark is None:
        session.add(AlertSweep(id=1, swept_through=today, swept_at=now))
    elif today > mark.swept_through:
        mark.swept_through, mark.swept_at = today, now
    return SweepReport(max((today - first).days + 1, 0), planned)
