"""The evaluation calendar: rounds per province, and re-planning when their dates change.

A round's alerts carry its version in their outbox key. Changing dates bumps the version
and cancels the pending alerts of the old one, so nothing stale is sent; the next sweep
plans the new dates under new keys, so nothing is sent twice.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.alerts.sweep import ROUND_KINDS
from bot.db.models import AuditEntry, Dossier, EvaluationRound, OutboxMessage
from handlers.communes import provinces

DATE_FIELDS = (
    "opens_on",
    "registration_deadline",
    "commune_deadline",
    "council_from",
    "council_to",
)


class RoundError(ValueError):
    """A round's dates do not fit together, or the round cannot be changed as asked (in
    Vietnamese: the clerks who keep the calendar read it on the admin pages)."""


class RoundNotFoundError(RoundError):
    """No such round (or it is another province's)."""


def _check(found: EvaluationRound) -> None:
    if found.province_code not in provinces():
        raise RoundError(
            f"Không có tỉnh, thành phố mã {found.province_code} (34 tỉnh, thành từ 1/7/2025)."
        )
    if found.opens_on > found.registration_deadline:
        raise RoundError("Ngày mở đợt phải trước hạn nộp hồ sơ.")
    if found.commune_deadline and found.commune_deadline < found.registration_deadline:
        raise RoundError("Hạn của xã không thể trước hạn nộp hồ sơ.")
    if found.council_from and found.council_to and found.council_to < found.council_from:
        raise RoundError("Hội đồng không thể họp xong trước ngày bắt đầu.")


async def _round(
    session: AsyncSession, round_id: int, province: str | None, *, lock: bool = False
) -> EvaluationRound:
    """The round, when it exists and (given ``province``) belongs to that province; another
    province's round is "not found", like a missing one."""
    found = await session.get(EvaluationRound, round_id, with_for_update=lock)
    if found is None or (province is not None and found.province_code != province):
        raise RoundNotFoundError(f"Không có đợt đánh giá số {round_id}.")
    return found


def _dates(found: EvaluationRound) -> dict[str, Any]:
    return {
        name: getattr(found, name).isoformat() if getattr(found, name) else None
        for name in DATE_FIELDS
    }


async def add_round(
    session: AsyncSession,
    province: str,
    name: str,
    dates: dict[str, date | None],
    now: datetime,
    actor: str = "cli",
) -> EvaluationRound:
    """Add a round of ``province``."""
    found = EvaluationRound(province_code=province, name=name, version=1, created_at=now, **dates)
    _check(found)
    session.add(found)
    await session.flush()
    session.add(
        AuditEntry(
            actor_label=actor,
            action="round.add",
            entity_type="evaluation_round",
            entity_id=str(found.id),
            after={"name": name, "province": province, **_dates(found)},
            at=now,
        )
    )
    return found


async def cancel_pending(session: AsyncSession, round_id: int, version: int) -> int:
    """Cancel the unsent alerts of one version of a round; returns how many."""
    cancelled = 0
    for kind in ROUND_KINDS:
        result = await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.state == "pending")
            .where(OutboxMessage.dedupe_key.like(f"{kind}:r{round_id}%:v{version}:%"))
            .values(state="cancelled", last_error="round dates changed")
        )
        cancelled += int(getattr(result, "rowcount", 0) or 0)
    return cancelled


async def change_round(
    session: AsyncSession,
    round_id: int,
    changes: dict[str, date | None],
    now: datetime,
    *,
    actor: str = "cli",
    province: str | None = None,
    name: str | None = None,
) -> tuple[EvaluationRound, int]:
    """Change a round's dates (and name): bump its version and cancel the old version's
    alerts, which the next sweep plans again for the new dates."""
    found = await _round(session, round_id, province, lock=True)
    before = {"name": found.name, **_dates(found)}
    for field_name, value in changes.items():
        setattr(found, field_name, value)
    if name:
        found.name = name
    _check(found)
    cancelled = await cancel_pending(session, found.id, found.version)
    found.version += 1
    session.add(
        AuditEntry(
            actor_label=actor,
            action="round.change",
            entity_type="evaluation_round",
            entity_id=str(found.id),
            before=before,
            after={
                "name": found.name,
                **_dates(found),
                "version": found.version,
                "cancelled_alerts": cancelled,
            },
            at=now,
        )
    )
    return found, cancelled


async def remove_round(
    session: AsyncSession,
    round_id: int,
    now: datetime,
    *,
    actor: str = "cli",
    province: str | None = None,
) -> int:
    """Remove a round no dossier is bound to; its unsent alerts are cancelled.

    A round with dossiers stays: they were registered for its dates, and its alerts and
    reports refer to it. Its dates can still be changed."""
    found = await _round(session, round_id, province, lock=True)
    bound = await session.scalar(
        select(func.count()).select_from(Dossier).where(Dossier.round_id == found.id)
    )
    if bound:
        raise RoundError(
            f"Đợt “{found.name}” đã có {bound} hồ sơ nên không xóa được; có thể sửa ngày."
        )
    cancelled = await cancel_pending(session, found.id, found.version)
    session.add(
        AuditEntry(
            actor_label=actor,
            action="round.remove",
            entity_type="evaluation_round",
            entity_id=str(found.id),
            before={"name": found.name, **_dates(found)},
            at=now,
        )
    )
    await session.delete(found)
    return cancelled


async def list_rounds(session: AsyncSession, province: str | None = None) -> list[EvaluationRound]:
    """Rounds, by province and opening date."""
    query = select(EvaluationRound).order_by(
        EvaluationRound.province_code, EvaluationRound.opens_on
    )
    if province:
        query = query.where(EvaluationRound.province_code == province)
    return list((await session.scalars(query)).all())
