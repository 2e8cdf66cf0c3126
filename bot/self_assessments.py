"""The self-assessments of dossiers in the database: one row per run, the latest run open.

Producers write through :class:`~bot.store.SqlStore` (scoped to their own dossiers there);
officers and the province read :func:`latest` for a dossier they may already see.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bot.db.models import Dossier, Product, SelfAssessment, Subject
from handlers.ports import SelfAssessmentView


async def _latest_row(session: AsyncSession, dossier_id: int) -> SelfAssessment | None:
    row: SelfAssessment | None = await session.scalar(
        select(SelfAssessment)
        .where(SelfAssessment.dossier_id == dossier_id)
        .order_by(SelfAssessment.version.desc())
        .limit(1)
    )
    return row


async def _view(session: AsyncSession, row: SelfAssessment) -> SelfAssessmentView:
    previous = await session.scalar(
        select(SelfAssessment.total)
        .where(SelfAssessment.dossier_id == row.dossier_id)
        .where(SelfAssessment.version < row.version)
        .where(SelfAssessment.finished_at.is_not(None))
        .order_by(SelfAssessment.version.desc())
        .limit(1)
    )
    return SelfAssessmentView(
        row.dossier_id,
        row.version,
        row.product_set,
        {str(code): int(index) for code, index in row.answers.items()},
        row.finished_at,
        row.total,
        row.stars,
        previous,
    )


async def latest(session: AsyncSession, dossier_id: int) -> SelfAssessmentView | None:
    """The latest run of the dossier's self-assessment, or None."""
    row = await _latest_row(session, dossier_id)
    return None if row is None else await _view(session, row)


async def start(
    session: AsyncSession, *, dossier_id: int, product_set: int, now: datetime
) -> SelfAssessmentView:
    """A new run after the latest one (whose answers stay as they were)."""
    before = await _latest_row(session, dossier_id)
    row = SelfAssessment(
        dossier_id=dossier_id,
        version=(before.version + 1) if before else 1,
        product_set=product_set,
        answers={},
        started_at=now,
        updated_at=now,
    )
    session.add(row)
    await session.flush()
    return await _view(session, row)


# Built once: an answer is written on nearly every step of the walk, so its two statements
# are compiled once (SQLAlchemy caches them) and run on the transaction's connection.
_LATEST_OWNED = (
    select(SelfAssessment.id, SelfAssessment.answers, SelfAssessment.version)
    .join(Dossier, Dossier.id == SelfAssessment.dossier_id)
    .join(Product, Product.id == Dossier.product_id)
    .join(Subject, Subject.id == Product.subject_id)
    .where(Subject.owner_person_id == bindparam("owner"))
    .where(SelfAssessment.dossier_id == bindparam("dossier"))
    .order_by(SelfAssessment.version.desc())
    .limit(1)
)
_WRITE_ANSWERS = (
    update(SelfAssessment)
    .where(SelfAssessment.id == bindparam("row"))
    .values(answers=bindparam("new_answers"), updated_at=bindparam("now"))
)


async def answer(
    connection: AsyncConnection,
    *,
    owner: int,
    dossier_id: int,
    code: str,
    index: int,
    now: datetime,
) -> tuple[int, dict[str, int]]:
    """Record one answer of the latest run of ``owner``'s dossier (one statement finds the
    run and checks the owner); return the run's version and its answers now."""
    found = (
        await connection.execute(_LATEST_OWNED, {"owner": owner, "dossier": dossier_id})
    ).first()
    if found is None:
        raise PermissionError(f"no self-assessment of the person on dossier {dossier_id}")
    answers = {**{str(k): int(v) for k, v in found.answers.items()}, code: index}
    await connection.execute(_WRITE_ANSWERS, {"row": found.id, "new_answers": answers, "now": now})
    return found.version, answers


async def finish(
    session: AsyncSession, *, dossier_id: int, total: Decimal, stars: int, now: datetime
) -> None:
    """Mark the latest run finished with its total and band."""
    row = await _latest_row(session, dossier_id)
    if row is None:
        raise LookupError(f"no self-assessment on dossier {dossier_id}")
    row.total, row.stars, row.finished_at, row.updated_at = total, stars, now, now
    await session.flush()


async def finished_totals(session: AsyncSession, dossier_ids: list[int]) -> dict[int, Decimal]:
    """The total of each dossier's latest finished run, for lists and exports."""
    totals: dict[int, tuple[int, Decimal]] = {}
    if not dossier_ids:
        return {}
    rows = await session.execute(
        select(SelfAssessment.dossier_id, SelfAssessment.version, SelfAssessment.total)
        .where(SelfAssessment.dossier_id.in_(dossier_ids))
        .where(SelfAssessment.finished_at.is_not(None))
    )
    for dossier_id, version, total in rows:
        if total is not None and (dossier_id not in totals or totals[dossier_id][0] < version):
            totals[dossier_id] = (version, total)
    return {dossier_id: total for dossier_id, (_, total) in totals.items()}
