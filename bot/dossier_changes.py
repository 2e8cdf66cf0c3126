"""The two writes every dossier decision shares, whoever takes it (commune officer in chat,
province clerk on the admin pages): moving the status along the cycle and queuing the
producer's notice."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Dossier, OutboxMessage, Subject
from ocop_rules import DossierStatus, status_path


def advance(
    dossier: Dossier, target: DossierStatus, now: datetime
) -> tuple[DossierStatus, ...] | None:
    """Move ``dossier`` to ``target`` through allowed statuses and return the statuses passed
    (empty when it is already there); None, changing nothing, when ``target`` cannot be
    reached. A move bumps the dossier's version, which keys its notices."""
    path = status_path(DossierStatus(dossier.status), target)
    if path:
        dossier.status, dossier.status_changed_at = target.value, now
        dossier.version += 1
    return path


def queue_owner_notice(
    session: AsyncSession,
    subject: Subject,
    kind: str,
    key: str,
    payload: dict[str, Any],
    now: datetime,
) -> None:
    """Queue a notice to the subject's owner, once per ``kind:key``; a subject with no owner
    yet (an imported product) gets none."""
    if subject.owner_person_id is None:
        return
    session.add(
        OutboxMessage(
            dedupe_key=f"{kind}:{key}",
            recipient_person_id=subject.owner_person_id,
            kind=kind,
            payload=payload,
            due_at=now,
            created_at=now,
        )
    )
