"""What province and central staff decide: council results, certificates issued and revoked.

Each decision is one transaction that checks the rule in :mod:`ocop_rules`, changes the
rows, writes the audit log and queues the notices in the outbox (sent by the alert
dispatcher, in the recipient's language, at a decent hour). A decision outside the account's
scope is answered exactly like a dossier that does not exist.

Council scores are a draft: the clerk may save and correct them as often as needed and no
one is told. Publishing the result is the decision (number, date, signer) and sends the one
notice; from 90 points it proposes the product to the Ministry (QĐ 26, Điều 7.3.e), whose
result — recorded by the province or a ``central`` account — alone may bring 5★
(Điều 4.1, 7.4).
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
from bot.certificate_states import end_extension
from bot.db.models import (
    AuditEntry,
    Certificate,
    CouncilScore,
    Dossier,
    EvaluationResult,
    EvaluationRound,
    OfficerAssignment,
    OutboxMessage,
    Product,
    Subject,
)
from bot.dossier_changes import advance, queue_owner_notice
from handlers.communes import commune_by_code, provinces
from ocop_rules import (
    UPGRADE_RESULT_SOURCE,
    CertificateRecord,
    CouncilResult,
    DossierKind,
    DossierStatus,
    Level,
    RevocationGround,
    Routing,
    central_outcome,
    certificate_expiry,
    council_result,
    is_certifiable,
    route_score,
    status_path,
    upgrade_certifies,
)

# Scores are entered and corrected while the dossier waits for the council's decision.
SCORABLE = frozenset({DossierStatus.SUBMITTED_FOR_EVALUATION})
AUTHORITIES = {
    Level.CENTRAL: "Bộ Nông nghiệp và Môi trường",
    Level.DISTRICT: "UBND cấp huyện",
}


def issuing_authority(level: Level, scope: Scope, commune_code: str = "") -> str:
    """Who signs a certificate at ``level``: the Ministry, or the People's Committee of
    the province the product's commune lies in (the scope's, for a province account)."""
    if level in AUTHORITIES:
        return AUTHORITIES[level]
    found = commune_by_code(commune_code) if commune_code else None
    province = provinces().get(found.province_code, "") if found else ""
    return f"UBND {province or scope.label}"


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


def _require_issuer(staff: Staff) -> None:
    if not (staff.scope.is_province or staff.scope.is_central):
        raise NotAllowedError("Chỉ cán bộ cấp tỉnh hoặc cấp Trung ương được quyết định việc này.")


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
    """Replace the members' draft scores of a dossier and say what they would give (average,
    stars, who certifies). Nothing is decided and no one is told: see :func:`publish_result`."""
    _require_province(staff)
    found = await scoped_dossier(session, staff.scope, dossier_id, for_update=True)
    if found is None:
        raise NotFoundError(dossier_id)
    dossier = found[0]
    if DossierStatus(dossier.status) not in SCORABLE:
        raise DecisionError(
            "Chỉ nhập điểm cho hồ sơ xã đã đề xuất lên tỉnh, khi kết quả chưa công bố."
        )
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
    return ScoreOutcome(result, route_score(result.average, Level.PROVINCE, today))


@dataclass(frozen=True, slots=True)
class Decision:
    """What a published decision says: its number, day and signer."""

    number: str
    day: date
    signer: str


def _checked(decision: Decision, today: date) -> Decision:
    number, signer = decision.number.strip(), " ".join(decision.signer.split())
    if not number or not signer:
        raise DecisionError("Cần số quyết định và người ký.")
    if decision.day > today:
        raise DecisionError("Ngày quyết định không thể sau hôm nay.")
    return Decision(number, decision.day, signer)


async def _next_round(
    session: AsyncSession, province_code: str, today: date
) -> dict[str, str] | None:
    """The province's next round a producer can register for, as notice facts."""
    found = await session.scalar(
        select(EvaluationRound)
        .where(
            EvaluationRound.province_code == province_code,
            EvaluationRound.registration_deadline > today,
        )
        .order_by(EvaluationRound.opens_on)
        .limit(1)
    )
    if found is None:
        return None
    return {
        "name": found.name,
        "opens_on": found.opens_on.isoformat(),
        "registration_deadline": found.registration_deadline.isoformat(),
    }


def _record(
    result: EvaluationResult,
    *,
    level: Level,
    average: Decimal,
    spread: Decimal,
    routing: Routing,
    decision: Decision,
    now: datetime,
) -> None:
    result.evaluated_at_level = level.value
    result.average_score = average
    result.stars = routing.stars
    result.spread = spread
    result.certifying_level = routing.certified_by.value if routing.certified_by else None
    result.forwarded_to_level = routing.forwarded_to.value if routing.forwarded_to else None
    result.decided_on = decision.day
    result.decision_number = decision.number
    result.decision_date = decision.day
    result.decision_signer = decision.signer
    result.published_at = now


def _outcome_status(routing: Routing) -> DossierStatus:
    if routing.forwarded_to is not None:
        return DossierStatus.PROPOSED_TO_CENTRAL
    if not is_certifiable(routing.stars) or routing.certified_by is None:
        return DossierStatus.NOT_CERTIFIED
    return DossierStatus.SCORED


async def _settle(
    session: AsyncSession,
    staff: Staff,
    dossier: Dossier,
    routing: Routing,
    today: date,
    now: datetime,
) -> DossierStatus:
    """Move a dossier whose result was just recorded to where that result sends it (through
    SCORED, so the history shows the decision), and end any Điều 12.3 extension it carried."""
    target = _outcome_status(routing)
    _move(session, staff, dossier, DossierStatus.SCORED, now)
    if target is not DossierStatus.SCORED:
        _move(session, staff, dossier, target, now)
    await _end_extension(session, dossier, today)
    return target


async def publish_result(
    session: AsyncSession,
    staff: Staff,
    dossier_id: int,
    decision: Decision,
    today: date,
    now: datetime,
) -> Routing:
    """Publish the council's result as a decision and tell the producer once: under 3★ the
    dossier closes as not certified; 3★–4★ waits for its certificate; from 90 points it is
    proposed to the Ministry (QĐ 26, Điều 7.3.e), and no stars are announced."""
    _require_province(staff)
    found = await scoped_dossier(session, staff.scope, dossier_id, for_update=True)
    if found is None:
        raise NotFoundError(dossier_id)
    dossier, product, subject = found
    if DossierStatus(dossier.status) not in SCORABLE:
        raise DecisionError("Kết quả của hồ sơ này đã được công bố.")
    decision = _checked(decision, today)
    scores = await _scores(session, dossier.id)
    if not scores:
        raise DecisionError("Hãy lưu điểm của các thành viên hội đồng trước khi công bố.")
    result = council_result([s.score for s in scores])
    if result.needs_rescoring:
        raise DecisionError(
            "Điểm các thành viên chênh nhau hơn 10 điểm: hội đồng cần chấm lại trước khi công bố."
        )
    routing = route_score(result.average, Level.PROVINCE, decision.day)
    recorded = await session.scalar(
        select(EvaluationResult).where(EvaluationResult.dossier_id == dossier.id)
    )
    if recorded is None:
        recorded = EvaluationResult(dossier_id=dossier.id)
        session.add(recorded)
    _record(
        recorded,
        level=Level.PROVINCE,
        average=result.average,
        spread=result.spread,
        routing=routing,
        decision=decision,
        now=now,
    )
    target = await _settle(session, staff, dossier, routing, today, now)
    _audit(
        session,
        staff,
        "council.publish",
        ("dossier", dossier.id),
        None,
        {
            "average": str(result.average),
            "stars": routing.stars,
            "outcome": target.value,
            "decision_number": decision.number,
            "decision_date": decision.day.isoformat(),
            "signer": decision.signer,
        },
        now,
    )
    payload: dict[str, Any] = {
        "product": product.name,
        "average": str(result.average),
        "stars": routing.stars,
        "outcome": target.value,
        "certified_by": recorded.certifying_level,
        "forwarded_to": recorded.forwarded_to_level,
        "decision_number": decision.number,
        "decision_date": decision.day.isoformat(),
    }
    if target is DossierStatus.NOT_CERTIFIED:
        payload["next_round"] = await _next_round(session, staff.scope.province_code, today)
    queue_owner_notice(
        session, subject, "council_result", f"{dossier.id}:{dossier.version}", payload, now
    )
    return routing


async def record_central_result(
    session: AsyncSession,
    staff: Staff,
    dossier_id: int,
    score: Decimal,
    decision: Decision,
    today: date,
    now: datetime,
) -> Routing:
    """Record the Ministry's result on a dossier the province proposed to it (QĐ 26,
    Điều 4.1.b, 7.4): from 90 points 5★, certified by the Ministry; below, the stars the
    province may certify on that score (3★, 4★) or none. Province staff of the dossier's
    province or a ``central`` account record it; the producer is told once."""
    _require_issuer(staff)
    found = await scoped_dossier(session, staff.scope, dossier_id, for_update=True)
    if found is None:
        raise NotFoundError(dossier_id)
    dossier, product, subject = found
    if dossier.status != DossierStatus.PROPOSED_TO_CENTRAL:
        raise DecisionError("Chỉ ghi kết quả của Bộ cho hồ sơ tỉnh đã đề nghị Trung ương.")
    decision = _checked(decision, today)
    routing = central_outcome(score)
    recorded = await session.scalar(
        select(EvaluationResult).where(EvaluationResult.dossier_id == dossier.id)
    )
    if recorded is None:  # a result the province never recorded: keep the rules' word
        raise DecisionError("Hồ sơ chưa có kết quả của hội đồng tỉnh.")
    provincial = recorded.average_score
    _record(
        recorded,
        level=Level.CENTRAL,
        average=score,
        spread=Decimal(0),
        routing=routing,
        decision=decision,
        now=now,
    )
    target = await _settle(session, staff, dossier, routing, today, now)
    _audit(
        session,
        staff,
        "central.result",
        ("dossier", dossier.id),
        {"province_average": str(provincial)},
        {
            "average": str(score),
            "stars": routing.stars,
            "outcome": target.value,
            "certified_by": recorded.certifying_level,
            "decision_number": decision.number,
            "decision_date": decision.day.isoformat(),
            "signer": decision.signer,
        },
        now,
    )
    queue_owner_notice(
        session,
        subject,
        "central_result",
        f"{dossier.id}:{dossier.version}",
        {
            "product": product.name,
            "average": str(score),
            "stars": routing.stars,
            "certified_by": recorded.certifying_level,
        },
        now,
    )
    return routing


def _certifying_level(result: EvaluationResult) -> str:
    """The level that certifies a recorded result, as ``route_score`` named it.

    A provincial score of 90 or more is forwarded to the central level, which alone
    certifies 5★ (QĐ 26/2026/QĐ-TTg, Điều 4.1, 7.3.e): the province never issues a
    certificate from it, whatever level it was forwarded to, and a 5★ certificate needs a
    result scored at the central level.
    """
    if result.published_at is None:
        raise DecisionError("Kết quả của hội đồng chưa được công bố.")
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


async def _end_extension(session: AsyncSession, dossier: Dossier, today: date) -> None:
    """A re-evaluation closed without a certificate ends the Điều 12.3 extension of the
    certificate it would have renewed."""
    if dossier.certificate_id is not None:
        renewed = await session.get(Certificate, dossier.certificate_id, with_for_update=True)
        if renewed is not None:
            end_extension(renewed, dossier, today=today)


async def _scores(session: AsyncSession, dossier_id: int) -> list[CouncilScore]:
    return list(
        await session.scalars(select(CouncilScore).where(CouncilScore.dossier_id == dossier_id))
    )


async def _supersede_renewed(
    session: AsyncSession, staff: Staff, dossier: Dossier, new: Certificate, now: datetime
) -> Certificate | None:
    """A re-evaluation or upgrade dossier renews the certificate it points at
    (``dossiers.certificate_id``): once its own certificate is issued, the old one is
    superseded — it no longer counts, even before its expiry day — and the audit says by
    which. A first evaluation (no certificate_id) changes nothing here. Returns the
    certificate superseded, if any."""
    if dossier.certificate_id is None:
        return None
    old = await session.get(Certificate, dossier.certificate_id, with_for_update=True)
    if old is None or old.status != CertificateRecord.VALID:
        return None  # revoked meanwhile: a revocation is not undone by superseding
    old.status = CertificateRecord.SUPERSEDED.value
    old.superseded_by_id = new.id
    _audit(
        session,
        staff,
        "certificate.supersede",
        ("certificate", old.id),
        {"status": CertificateRecord.VALID.value},
        {"status": CertificateRecord.SUPERSEDED.value, "by_certificate_id": new.id},
        now,
    )
    return old


def upgrade_refusal(dossier: Dossier, held: Certificate | None, stars: int) -> str | None:
    """Why an upgrade dossier (nâng hạng, QĐ 26 Điều 7.5) gets no certificate for ``stars``,
    or ``None``: an upgrade asks for a higher star than the certificate ``held``; a result
    with no more stars is no upgrade, and issuing it would supersede — and so take away — the
    certificate the producer holds. The page hides its form and the issue step refuses by the
    same words."""
    if dossier.kind != DossierKind.UPGRADE or held is None or upgrade_certifies(held.stars, stars):
        return None
    return (
        f"Hồ sơ nâng hạng chỉ được cấp giấy chứng nhận khi đạt hạng sao cao hơn "
        f"({UPGRADE_RESULT_SOURCE.citation}, cách hiểu chưa được xác nhận): kết quả "
        f"{stars} sao không cao hơn {held.stars} sao của giấy chứng nhận số "
        f"{held.number or '—'}. Không cấp giấy mới; giấy chứng nhận đang có được giữ nguyên."
    )


async def _check_upgrade(session: AsyncSession, dossier: Dossier, stars: int) -> None:
    """Refuse an upgrade that brings no more stars (:func:`upgrade_refusal`); the held
    certificate keeps its stars and its validity."""
    if dossier.kind != DossierKind.UPGRADE or dossier.certificate_id is None:
        return
    held = await session.get(Certificate, dossier.certificate_id)
    refusal = upgrade_refusal(dossier, held, stars)
    if refusal is not None:
        raise DecisionError(refusal)


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
    """Record the certificate of a published result: stars from the result, the level that
    certifies them from ``route_score`` (5★ only from the Ministry's recorded result), expiry
    36 months on. The certificate a re-evaluation or upgrade renews is superseded by it; an
    upgrade that brings no more stars is refused (:func:`_check_upgrade`)."""
    _require_issuer(staff)
    found = await scoped_dossier(session, staff.scope, dossier_id, for_update=True)
    if found is None:
        raise NotFoundError(dossier_id)
    dossier, product, subject = found
    if dossier.status != DossierStatus.SCORED:
        raise DecisionError("Chỉ cấp chứng nhận cho hồ sơ đã công bố kết quả.")
    result = await session.scalar(
        select(EvaluationResult).where(EvaluationResult.dossier_id == dossier.id)
    )
    if result is None or not is_certifiable(result.stars):
        raise DecisionError("Sản phẩm dưới 3 sao không được cấp giấy chứng nhận OCOP.")
    level_code = _certifying_level(result)
    if staff.scope.is_central and level_code != Level.CENTRAL.value:
        raise NotAllowedError("Dưới 90 điểm ở cấp Trung ương, tỉnh công nhận 3 hoặc 4 sao.")
    await _check_upgrade(session, dossier, result.stars)
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
        issuing_authority=issuing_authority(level, staff.scope, subject.commune_code),
        decision_number=decision_number,
        issued_on=issued_on,
        expires_on=certificate_expiry(issued_on),
        status=CertificateRecord.VALID.value,
        created_at=now,
    )
    session.add(certificate)
    await session.flush()
    renewed = await _supersede_renewed(session, staff, dossier, certificate, now)
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
            "supersedes": renewed.id if renewed is not None else None,
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


def may_revoke(staff: Staff, certificate: Certificate) -> bool:
    """The issuer revokes (QĐ 26, Điều 8.3): the Ministry its 5★, the province the rest."""
    if certificate.issuing_level == Level.CENTRAL.value:
        return staff.scope.is_central
    return staff.scope.is_province


async def revoke_certificate(
    session: AsyncSession,
    staff: Staff,
    certificate_id: int,
    *,
    ground: RevocationGround,
    revoked_on: date,
    reason: str,
    today: date,
    now: datetime,
) -> Certificate:
    """Revoke a certificate on one of the six grounds of Điều 8 from ``revoked_on``; the
    producer and the commune's officers are told once each."""
    _require_issuer(staff)
    row = (
        await session.execute(
            select(Certificate, Product, Subject)
            .join(Product, Product.id == Certificate.product_id)
            .join(Subject, Subject.id == Product.subject_id)
            .where(Certificate.id == certificate_id, staff.scope.certificates())
            .with_for_update(of=Certificate)
        )
    ).first()
    if row is None:
        raise NotFoundError(certificate_id)
    certificate, product, subject = row
    if not may_revoke(staff, certificate):
        raise NotAllowedError(
            "Cơ quan cấp giấy chứng nhận thu hồi nó: Bộ thu hồi 5 sao, tỉnh thu hồi 3 và 4 sao."
        )
    reason = " ".join(reason.split())
    if certificate.status != CertificateRecord.VALID.value:
        raise DecisionError("Giấy chứng nhận này đã bị thu hồi hoặc đã được thay thế.")
    if revoked_on > today:
        raise DecisionError("Ngày thu hồi không thể sau hôm nay.")
    if revoked_on < certificate.issued_on:
        raise DecisionError("Ngày thu hồi không thể trước ngày cấp giấy chứng nhận.")
    certificate.status, certificate.revoked_at = CertificateRecord.REVOKED.value, now
    certificate.revocation_ground, certificate.revoked_on = ground.value, revoked_on
    certificate.revoked_reason = reason or None
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
        {"certificate_id": certificate.id, "status": CertificateRecord.VALID.value},
        {
            "certificate_id": certificate.id,
            "status": CertificateRecord.REVOKED.value,
            "ground": ground.value,
            "revoked_on": revoked_on.isoformat(),
            "reason": reason,
        },
        now,
    )
    payload = {
        "product": product.name,
        "number": certificate.number,
        "stars": certificate.stars,
        "ground": ground.value,
        "revoked_on": revoked_on.isoformat(),
        "reason": reason,
    }
    queue_owner_notice(session, subject, "certificate_revoked", str(certificate.id), payload, now)
    officers = await session.scalars(
        select(OfficerAssignment.person_id).where(
            OfficerAssignment.commune_code == subject.commune_code
        )
    )
    session.add_all(
        OutboxMessage(
            dedupe_key=f"certificate_revoked:{certificate.id}:{officer}",
            recipient_person_id=officer,
            kind="certificate_revoked",
            payload={**payload, "audience": "officer", "subject": subject.name},
            due_at=now,
            created_at=now,
        )
        for officer in set(officers)
        if officer != subject.owner_person_id
    )
    return certificate
