"""What province staff decide: council scores, certificates issued and revoked.

Each decision is one transaction that checks the rule in :mod:`ocop_rules`, changes the
rows, writes the audit log and queues the producer's notice in the outbox (sent by the alert
dispatcher, in the producer's language, at a decent hour). A decision outside the account's
scope is answered exactly like a dossier that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.admin.accounts import Staff
from bot.admin.scope import Scope
from bot.admin.service import scoped_dossier
from bot.db.models import (
    AuditEntry,
    Certificate,
    CouncilScore,
    Dossier,
    EvaluationResult,
    Product,
    Subject,
)
from bot.dossier_changes import advance, queue_owner_notice
from ocop_rules import (
    CouncilResult,
    DossierStatus,
    Level,
    Routing,
    certificate_expiry,
    council_result,
    is_certifiable,
    route_score,
    status_path,
)

SCORABLE = frozenset({DossierStatus.SUBMITTED_FOR_EVALUATION, DossierStatus.SCORED})
AUTHORITIES = {
    Level.CENTRAL: "Bộ Nông nghiệp và Môi trường",
    Level.DISTRICT: "UBND cấp huyện",
}


def issuing_authority(level: Level, scope: Scope) -> str:
    """Who signs a certificate at ``level``: the Ministry, or the People's Committee of
    the scope's province."""
    return AUTHORITIES.get(level, f"UBND {scope.label}")


MIN_REASON = 5


class DecisionError(ValueError):
    """A decision the rules or the dossier's state do not allow; the message is one
    Vietnamese sentence for the clerk."""


class NotAllowedError(DecisionError):
    """The account's level does not take this decision (commune staff only follow)."""


class NotFoundError(LookupError):
    """No such dossier or certificate in the account's scope."""


@dataclass(frozen=True, slots=True)
class ScoreOutcome:
    """The council's result, and who certifies once it stands (None while members differ
    by more than 10 points and must score again)."""

    result: CouncilResult
    routing: Routing | None


def parse_score(text: str) -> Decimal:
    """ "85", "85,5" or "85.50" as a decimal; anything else is a :class:`DecisionError`."""
    try:
        value = Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        raise DecisionError(f"“{text}” không phải là điểm số (0–100).") from None
    if not value.is_finite() or not Decimal(0) <= value <= Decimal(100):
        raise DecisionError(f"Điểm {text} nằm ngoài khoảng 0–100.")
    return value.quantize(Decimal("0.01"))


def _require_province(staff: Staff) -> None:
    if not staff.scope.is_province:
        raise NotAllowedError("Chỉ cán bộ cấp tỉnh được nhập điểm hội đồng và cấp chứng nhận.")


def _audit(
    session: AsyncSession,
    staff: Staff,
    action: str,
    entity: tuple[str, int],
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    now: datetime,
) -> None:
    session.add(
        AuditEntry(
            actor_label=staff.actor,
            action=action,
            entity_type=entity[0],
            entity_id=str(entity[1]),
            before=before,
            after=after,
            at=now,
        )
    )


def _move(
    session: AsyncSession, staff: Staff, dossier: Dossier, target: DossierStatus, now: datetime
) -> None:
    before = dossier.status
    path = advance(dossier, target, now)
    if path is None:
        raise DecisionError("Hồ sơ đang ở bước khác, không thể chuyển sang bước này.")
    if path:
        _audit(
            session,
            staff,
            "dossier.status",
            ("dossier", dossier.id),
            {"status": before},
            {"status": target.value, "via": [s.value for s in path]},
            now,
        )


async def save_council_scores(
    session: AsyncSession,
    staff: Staff,
    dossier_id: int,
    scores: list[tuple[str, Decimal]],
    today: date,
    now: datetime,
) -> ScoreOutcome:
    """Replace the members' scores of a dossier and, when they agree within 10 points,
    record the result (average, stars, who certifies) and tell the producer."""
    _require_province(staff)
    found = await scoped_dossier(session, staff.scope, dossier_id, for_update=True)
    if found is None:
        raise NotFoundError(dossier_id)
    dossier, product, subject = found
    if DossierStatus(dossier.status) not in SCORABLE:
        raise DecisionError("Chỉ nhập điểm cho hồ sơ xã đã đề xuất lên tỉnh, chưa cấp chứng nhận.")
    names = [" ".join(name.split()) for name, _ in scores]
    if not scores or any(not name for name in names):
        raise DecisionError("Mỗi dòng điểm cần tên thành viên hội đồng.")
    if len({name.casefold() for name in names}) != len(names):
        raise DecisionError("Mỗi thành viên hội đồng chỉ chấm một lần.")
    result = council_result([score for _, score in scores])
    previous = {s.member_name: str(s.score) for s in await _scores(session, dossier.id)}
    await session.execute(delete(CouncilScore).where(CouncilScore.dossier_id == dossier.id))
    session.add_all(
        CouncilScore(
            dossier_id=dossier.id,
            member_name=name,
            score=score,
            entered_by=staff.actor,
            entered_at=now,
        )
        for name, (_, score) in zip(names, scores, strict=True)
    )
    _audit(
        session,
        staff,
        "council.scores",
        ("dossier", dossier.id),
        {"scores": previous} if previous else None,
        {
            "scores": {name: str(score) for name, (_, score) in zip(names, scores, strict=True)},
            "average": str(result.average),
            "stars": result.stars,
            "needs_rescoring": result.needs_rescoring,
        },
        now,
    )
    if result.needs_rescoring:
        return ScoreOutcome(result, None)
    routing = route_score(result.average, Level.PROVINCE, today)
    recorded = await session.scalar(
        select(EvaluationResult).where(EvaluationResult.dossier_id == dossier.id)
    )
    if recorded is None:
        recorded = EvaluationResult(dossier_id=dossier.id)
        session.add(recorded)
    recorded.evaluated_at_level = Level.PROVINCE.value
    recorded.average_score = result.average
    recorded.stars = result.stars
    recorded.spread = result.spread
    recorded.certifying_level = routing.certified_by.value if routing.certified_by else None
    recorded.forwarded_to_level = routing.forwarded_to.value if routing.forwarded_to else None
    recorded.decided_on = today
    version = dossier.version
    _move(session, staff, dossier, DossierStatus.SCORED, now)
    if dossier.version == version:  # scored again: a new result, a new notice
        dossier.version += 1
    queue_owner_notice(
        session,
        subject,
        "council_result",
        f"{dossier.id}:{dossier.version}",
        {
            "product": product.name,
            "average": str(result.average),
            "stars": result.stars,
            "certified_by": recorded.certifying_level,
            "forwarded_to": recorded.forwarded_to_level,
        },
        now,
    )
    return ScoreOutcome(result, routing)


def _certifying_level(result: EvaluationResult) -> str:
    """The level that certifies a recorded result, as ``route_score`` named it.

    A provincial score of 90 or more is forwarded to the central level, which alone
    certifies 5★ (QĐ 26/2026/QĐ-TTg, Điều 4.1, 7.3.e): the province never issues a
    certificate from it, whatever level it was forwarded to, and a 5★ certificate needs a
    result scored at the central level.
    """
    if result.certifying_level is None and result.forwarded_to_level is not None:
        raise DecisionError(
            "Sản phẩm từ 90 điểm được tỉnh đề nghị Trung ương đánh giá: chỉ cấp Trung ương "
            "công nhận 5 sao, nên không cấp giấy chứng nhận từ điểm của hội đồng tỉnh."
        )
    if result.certifying_level is None:
        raise DecisionError("Kết quả chấm không chỉ ra cấp nào công nhận sản phẩm này.")
    if result.stars == 5 and result.evaluated_at_level != Level.CENTRAL.value:
        raise DecisionError("Chỉ cấp Trung ương đánh giá và công nhận sản phẩm 5 sao.")
    return result.certifying_level


async def _scores(session: AsyncSession, dossier_id: int) -> list[CouncilScore]:
    return list(
        await session.scalars(select(CouncilScore).where(CouncilScore.dossier_id == dossier_id))
    )


async def _supersede_renewed(
    session: AsyncSession, staff: Staff, dossier: Dossier, new: Certificate, now: datetime
) -> None:
    """A re-evaluation or upgrade dossier renews the certificate it points at
    (``dossiers.certificate_id``): once its own certificate is issued, the old one is
    superseded — it no longer counts, even before its expiry day — and the audit says by
    which. A first evaluation (no certificate_id) changes nothing here."""
    if dossier.certificate_id is None:
        return
    old = await session.get(Certificate, dossier.certificate_id, with_for_update=True)
    if old is None or old.status != "valid":
        return  # revoked meanwhile: a revocation is not undone by superseding
    old.status = "superseded"
    _audit(
        session,
        staff,
        "certificate.supersede",
        ("certificate", old.id),
        {"status": "valid"},
        {"status": "superseded", "by_certificate_id": new.id},
        now,
    )


async def issue_certificate(
    session: AsyncSession,
    staff: Staff,
    dossier_id: int,
    number: str,
    decision_number: str,
    issued_on: date,
    today: date,
    now: datetime,
) -> Certificate:
    """Record the certificate of a scored dossier: stars from the council's result, the level
    that certifies them from ``route_score``, expiry 36 months on."""
    _require_province(staff)
    found = await scoped_dossier(session, staff.scope, dossier_id, for_update=True)
    if found is None:
        raise NotFoundError(dossier_id)
    dossier, product, subject = found
    if dossier.status != DossierStatus.SCORED:
        raise DecisionError("Chỉ cấp chứng nhận cho hồ sơ hội đồng đã chấm xong.")
    result = await session.scalar(
        select(EvaluationResult).where(EvaluationResult.dossier_id == dossier.id)
    )
    if result is None or not is_certifiable(result.stars):
        raise DecisionError("Sản phẩm dưới 3 sao không được cấp giấy chứng nhận OCOP.")
    level_code = _certifying_level(result)
    number, decision_number = number.strip(), decision_number.strip()
    if not number or not decision_number:
        raise DecisionError("Cần số giấy chứng nhận và số quyết định.")
    if issued_on > today:
        raise DecisionError("Ngày quyết định không thể sau hôm nay.")
    level = Level(level_code)
    certificate = Certificate(
        product_id=product.id,
        dossier_id=dossier.id,
        number=number,
        stars=result.stars,
        issuing_level=level.value,
        issuing_authority=issuing_authority(level, staff.scope),
        decision_number=decision_number,
        issued_on=issued_on,
        expires_on=certificate_expiry(issued_on),
        status="valid",
        created_at=now,
    )
    session.add(certificate)
    await session.flush()
    await _supersede_renewed(session, staff, dossier, certificate, now)
    _move(session, staff, dossier, DossierStatus.CERTIFIED, now)
    _audit(
        session,
        staff,
        "certificate.issue",
        ("dossier", dossier.id),
        None,
        {
            "certificate_id": certificate.id,
            "number": number,
            "decision_number": decision_number,
            "stars": result.stars,
            "issued_on": issued_on.isoformat(),
            "expires_on": certificate.expires_on.isoformat(),
        },
        now,
    )
    queue_owner_notice(
        session,
        subject,
        "certificate_issued",
        str(certificate.id),
        {
            "product": product.name,
            "stars": result.stars,
            "number": number,
            "issued_on": issued_on.isoformat(),
            "expires_on": certificate.expires_on.isoformat(),
        },
        now,
    )
    return certificate


async def revoke_certificate(
    session: AsyncSession, staff: Staff, certificate_id: int, reason: str, now: datetime
) -> Certificate:
    """Revoke a valid certificate with a reason the producer is told."""
    _require_province(staff)
    row = (
        await session.execute(
            select(Certificate, Product, Subject)
            .join(Product, Product.id == Certificate.product_id)
            .join(Subject, Subject.id == Product.subject_id)
            .where(Certificate.id == certificate_id, staff.scope.subjects())
            .with_for_update(of=Certificate)
        )
    ).first()
    if row is None:
        raise NotFoundError(certificate_id)
    certificate, product, subject = row
    reason = " ".join(reason.split())
    if certificate.status != "valid":
        raise DecisionError("Giấy chứng nhận này đã bị thu hồi hoặc không còn hiệu lực.")
    if len(reason) < MIN_REASON:
        raise DecisionError("Cần ghi lý do thu hồi (ít nhất 5 ký tự).")
    certificate.status, certificate.revoked_at = "revoked", now
    certificate.revoked_reason = reason
    dossier = await session.get(Dossier, certificate.dossier_id) if certificate.dossier_id else None
    if dossier is not None and status_path(
        DossierStatus(dossier.status), DossierStatus.REVOKED
    ) == (DossierStatus.REVOKED,):
        _move(session, staff, dossier, DossierStatus.REVOKED, now)
    entity = ("dossier", dossier.id) if dossier is not None else ("product", product.id)
    _audit(
        session,
        staff,
        "certificate.revoke",
        entity,
        {"certificate_id": certificate.id, "status": "valid"},
        {"certificate_id": certificate.id, "status": "revoked", "reason": reason},
        now,
    )
    queue_owner_notice(
        session,
        subject,
        "certificate_revoked",
        str(certificate.id),
        {"product": product.name, "number": certificate.number, "reason": reason},
        now,
    )
    return certificate
