"""What staff read: the dashboard, the dossier list and one dossier, scoped.

Every query here starts from :class:`~bot.admin.scope.Scope`, so the pages and the API
cannot show a row outside the account's province or commune, whatever a URL asks for.
Pages and the API render the same frozen views.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import audit, certificate_states, self_assessments
from bot.admin import search
from bot.admin.scope import Scope
from bot.db.models import (
    AuditEntry,
    Certificate,
    CommuneAssessment,
    CommuneCriterionAssessment,
    CouncilScore,
    Document,
    Dossier,
    DossierItem,
    EvaluationResult,
    EvaluationRound,
    EvidenceFile,
    Person,
    Product,
    Subject,
)
from handlers.communes import commune_by_code
from handlers.issuers import shown_issuer
from handlers.ports import SelfAssessmentView
from handlers.self_assessment_form import answer_rows
from ocop_rules import CertificateRecord, LifecycleState

PAGE_SIZE = 50
EXPIRY_WINDOWS = (30, 90, 180)


def commune_name(code: str) -> str:
    """ "Xã Xốp, tỉnh Quảng Ngãi" for a code (the code itself when unknown)."""
    found = commune_by_code(code)
    return found.full_name if found else code


@dataclass(frozen=True, slots=True)
class DossierRow:
    """One line of the dossier list."""

    id: int
    product: str
    registration_code: str | None
    subject: str
    commune_code: str
    group: str
    kind: str
    status: str
    round_id: int | None
    year: int
    status_changed_at: datetime


@dataclass(frozen=True, slots=True)
class DossierFilter:
    """What the list may be narrowed by; each is optional and always inside the scope."""

    commune: str | None = None
    group: str | None = None
    status: str | None = None
    round_id: int | None = None
    query: str | None = None
    page: int = 1


@dataclass(frozen=True, slots=True)
class Dashboard:
    """Dossiers by status, certificates expiring soon, the next rounds."""

    by_status: dict[str, int]
    expiring: dict[int, int]
    rounds: list[EvaluationRound]
    total: int
    certificates: dict[LifecycleState, int] = field(default_factory=dict)

    @property
    def certificate_total(self) -> int:
        """Every certificate of the scope, whatever its state."""
        return sum(self.certificates.values())


@dataclass(frozen=True, slots=True)
class ItemDetail:
    """One dossier paper: the producer's answer, the officer's check, the evidence."""

    code: str
    state: str
    note: str | None
    officer_check: str | None
    officer_note: str | None
    files: list[EvidenceFile]
    kept: frozenset[int] = frozenset()  # ids of the files whose bytes the bot kept


@dataclass(frozen=True, slots=True)
class DossierDetail:
    """Everything the dossier page shows."""

    dossier: Dossier
    product: Product
    subject: Subject
    producer: str | None
    items: list[ItemDetail]
    assessment: CommuneAssessment | None
    criteria: list[CommuneCriterionAssessment]
    scores: list[CouncilScore]
    result: EvaluationResult | None
    certificates: list[Certificate]
    timeline: list[AuditEntry]
    round: EvaluationRound | None
    self_assessment: SelfAssessmentView | None = None
    self_answers: list[tuple[str, str, str, str, str]] = field(default_factory=list)
    certificate_states: dict[int, LifecycleState] = field(default_factory=dict)


def _scoped_dossiers(scope: Scope) -> Select:  # type: ignore[type-arg]  # 2.0/2.1 differ
    return (
        select(Dossier, Product, Subject)
        .join(Product, Product.id == Dossier.product_id)
        .join(Subject, Subject.id == Product.subject_id)
        .where(scope.dossiers())
    )


def dossier_row(dossier: Dossier, product: Product, subject: Subject) -> DossierRow:
    """The list line of one dossier (also the head of the API's dossier detail)."""
    return DossierRow(
        dossier.id,
        product.name,
        product.registration_code,
        subject.name,
        dossier.commune_code,
        product.group_code,
        dossier.kind,
        dossier.status,
        dossier.round_id,
        dossier.year,
        dossier.status_changed_at,
    )


def _filtered(scope: Scope, wanted: DossierFilter, matching: list[int] | None = None) -> Select:  # type: ignore[type-arg]
    query = _scoped_dossiers(scope)
    if wanted.commune:
        query = query.where(Dossier.commune_code == wanted.commune)
    if wanted.group:
        query = query.where(Product.group_code == wanted.group)
    if wanted.status:
        query = query.where(Dossier.status == wanted.status)
    if wanted.round_id is not None:
        query = query.where(Dossier.round_id == wanted.round_id)
    if matching is not None:
        query = query.where(Dossier.id.in_(matching))
    return query


async def _matching(session: AsyncSession, scope: Scope, wanted: DossierFilter) -> list[int] | None:
    """The dossiers the search text finds, accents aside; None without a text."""
    text = (wanted.query or "").strip()
    return await search.matching_dossiers(session, scope, text) if text else None


async def list_dossiers(
    session: AsyncSession, scope: Scope, wanted: DossierFilter, limit: int = PAGE_SIZE
) -> tuple[list[DossierRow], int]:
    """One page of the scope's dossiers matching ``wanted``, newest change first, and how
    many match in all."""
    query = _filtered(scope, wanted, await _matching(session, scope, wanted))
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = max(wanted.page, 1)
    rows = await session.execute(
        query.order_by(Dossier.status_changed_at.desc(), Dossier.id.desc())
        .limit(limit)
        .offset((page - 1) * limit)
    )
    return [dossier_row(d, p, s) for d, p, s in rows], total


async def all_dossiers(
    session: AsyncSession, scope: Scope, wanted: DossierFilter
) -> list[DossierRow]:
    """Every matching dossier (for exports), in list order."""
    rows = await session.execute(
        _filtered(scope, wanted, await _matching(session, scope, wanted)).order_by(
            Dossier.status_changed_at.desc(), Dossier.id.desc()
        )
    )
    return [dossier_row(d, p, s) for d, p, s in rows]


async def dashboard(session: AsyncSession, scope: Scope, today: date) -> Dashboard:
    """The first page a clerk sees."""
    by_status = dict(
        (
            await session.execute(
                select(Dossier.status, func.count())
                .where(scope.dossiers())
                .group_by(Dossier.status)
            )
        ).all()
    )
    expiring = {}
    for days in EXPIRY_WINDOWS:
        expiring[days] = (
            await session.scalar(
                select(func.count())
                .select_from(Certificate)
                .join(Product, Product.id == Certificate.product_id)
                .join(Subject, Subject.id == Product.subject_id)
                .where(
                    scope.certificates(),
                    Certificate.status == CertificateRecord.VALID.value,
                    Certificate.expires_on >= today,
                    Certificate.expires_on <= today + timedelta(days=days),
                )
            )
            or 0
        )
    rounds = list(
        await session.scalars(
            select(EvaluationRound)
            .where(
                EvaluationRound.province_code == scope.province_code,
                func.coalesce(EvaluationRound.council_to, EvaluationRound.registration_deadline)
                >= today,
            )
            .order_by(EvaluationRound.opens_on)
            .limit(5)
        )
    )
    states = await certificate_states.count_states(session, scope.certificates(), today)
    return Dashboard(by_status, expiring, rounds, sum(by_status.values()), states)


async def scoped_dossier(
    session: AsyncSession, scope: Scope, dossier_id: int, *, for_update: bool = False
) -> tuple[Dossier, Product, Subject] | None:
    """One dossier if it lies in scope, else None — the same answer as for no dossier."""
    query = _scoped_dossiers(scope).where(Dossier.id == dossier_id)
    if for_update:
        query = query.with_for_update(of=Dossier)
    row = (await session.execute(query)).first()
    return None if row is None else (row[0], row[1], row[2])


async def evidence_content(
    session: AsyncSession, scope: Scope, file_id: int
) -> tuple[bytes, str] | None:
    """The bytes and type of an evidence file of a dossier in scope; None otherwise (also
    when only the channel's reference was kept)."""
    row = (
        await session.execute(
            select(EvidenceFile.content, EvidenceFile.media_type, DossierItem.dossier_id)
            .join(DossierItem, DossierItem.id == EvidenceFile.dossier_item_id)
            .where(EvidenceFile.id == file_id)
        )
    ).first()
    if row is None or row.content is None:
        return None
    if await scoped_dossier(session, scope, row.dossier_id) is None:
        return None
    return row.content, row.media_type or "application/octet-stream"


async def dossier_detail(
    session: AsyncSession, scope: Scope, dossier_id: int, *, today: date
) -> DossierDetail | None:
    """The dossier page, or None when the dossier is outside the scope."""
    found = await scoped_dossier(session, scope, dossier_id)
    if found is None:
        return None
    dossier, product, subject = found
    producer = (
        await session.scalar(select(Person.full_name).where(Person.id == subject.owner_person_id))
        if subject.owner_person_id
        else None
    )
    items = list(
        await session.scalars(
            select(DossierItem).where(DossierItem.dossier_id == dossier.id).order_by(DossierItem.id)
        )
    )
    files: dict[int, list[EvidenceFile]] = {}
    kept: set[int] = set()
    if items:
        for evidence, has_bytes in await session.execute(
            select(EvidenceFile, EvidenceFile.content.is_not(None))  # the bytes stay unread
            .where(EvidenceFile.dossier_item_id.in_([i.id for i in items]))
            .order_by(EvidenceFile.id)
        ):
            files.setdefault(evidence.dossier_item_id, []).append(evidence)
            if has_bytes:
                kept.add(evidence.id)
    assessment = await session.scalar(
        select(CommuneAssessment).where(CommuneAssessment.dossier_id == dossier.id)
    )
    criteria = (
        list(
            await session.scalars(
                select(CommuneCriterionAssessment)
                .where(CommuneCriterionAssessment.assessment_id == assessment.id)
                .order_by(CommuneCriterionAssessment.id)
            )
        )
        if assessment
        else []
    )
    own = await self_assessments.latest(session, dossier.id)
    certificates = (
        await session.execute(
            select(Certificate, certificate_states.state_column(today))
            .where(Certificate.product_id == product.id)
            .order_by(Certificate.issued_on.desc())
        )
    ).all()
    return DossierDetail(
        dossier=dossier,
        product=product,
        subject=subject,
        producer=producer,
        items=[
            ItemDetail(
                i.requirement_code,
                i.state,
                i.note,
                i.officer_check,
                i.officer_note,
                files.get(i.id, []),
                frozenset(f.id for f in files.get(i.id, []) if f.id in kept),
            )
            for i in items
        ],
        assessment=assessment,
        criteria=criteria,
        scores=await council_scores(session, dossier.id),
        result=await session.scalar(
            select(EvaluationResult).where(EvaluationResult.dossier_id == dossier.id)
        ),
        certificates=[certificate for certificate, _ in certificates],
        certificate_states={c.id: LifecycleState(state) for c, state in certificates},
        timeline=await timeline(session, dossier, product),
        round=await session.get(EvaluationRound, dossier.round_id) if dossier.round_id else None,
        self_assessment=own,
        self_answers=answer_rows(own) if own is not None else [],
    )


async def commune_report_document(
    session: AsyncSession, scope: Scope, dossier_id: int
) -> Document | None:
    """The commune report stored for a dossier in scope, or None."""
    if await scoped_dossier(session, scope, dossier_id) is None:
        return None
    return await session.scalar(
        select(Document)
        .join(CommuneAssessment, CommuneAssessment.report_document_id == Document.id)
        .where(CommuneAssessment.dossier_id == dossier_id)
    )


async def council_scores(session: AsyncSession, dossier_id: int) -> list[CouncilScore]:
    """The members' scores of one dossier, in the order they were entered."""
    return list(
        await session.scalars(
            select(CouncilScore)
            .where(CouncilScore.dossier_id == dossier_id)
            .order_by(CouncilScore.id)
        )
    )


async def timeline(session: AsyncSession, dossier: Dossier, product: Product) -> list[AuditEntry]:
    """What happened to the dossier and its product, oldest first, from the audit log."""
    return list(
        await session.scalars(
            select(AuditEntry)
            .where(
                or_(
                    (AuditEntry.entity_type == "dossier")
                    & (AuditEntry.entity_id == str(dossier.id)),
                    (AuditEntry.entity_type == "product")
                    & (AuditEntry.entity_id == str(product.id)),
                )
            )
            .order_by(AuditEntry.at, AuditEntry.id)
        )
    )


@dataclass(frozen=True, slots=True)
class CertificateRow:
    """One line of the certificate list, with the certificate's state on the day."""

    certificate: Certificate
    product: str
    subject: str
    commune_code: str
    days_left: int
    state: LifecycleState

    @property
    def issuer(self) -> str:
        """Who issued it, by the rules of its decision day when the record names no one."""
        c = self.certificate
        return shown_issuer(c.issuing_authority, c.stars, c.issued_on, self.commune_code)


@dataclass(frozen=True, slots=True)
class CertificateFilter:
    """What the certificate list may be narrowed by, always inside the scope."""

    state: LifecycleState | None = None
    expiring_within: int | None = None
    page: int = 1


def _certificates(scope: Scope, today: date, wanted: CertificateFilter) -> Select:  # type: ignore[type-arg]
    state = certificate_states.state_column(today).label("state")
    query = (
        select(Certificate, Product.name, Subject.name, Subject.commune_code, state)
        .join(Product, Product.id == Certificate.product_id)
        .join(Subject, Subject.id == Product.subject_id)
        .where(scope.certificates())
    )
    if wanted.state is not None:
        query = query.where(certificate_states.state_column(today) == wanted.state.value)
    if wanted.expiring_within is not None:
        query = query.where(
            Certificate.status == CertificateRecord.VALID.value,
            Certificate.expires_on >= today,
            Certificate.expires_on <= today + timedelta(days=wanted.expiring_within),
        )
    return query


async def list_certificates(
    session: AsyncSession,
    scope: Scope,
    today: date,
    wanted: CertificateFilter = CertificateFilter(),
    limit: int | None = PAGE_SIZE,
) -> tuple[list[CertificateRow], int]:
    """One page of the scope's certificates matching ``wanted``, soonest expiry first, and
    how many match in all (``limit`` None: every one, for exports)."""
    query = _certificates(scope, today, wanted)
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    ordered = query.order_by(Certificate.expires_on, Certificate.id)
    if limit is not None:
        ordered = ordered.limit(limit).offset((max(wanted.page, 1) - 1) * limit)
    rows = await session.execute(ordered)
    return [
        CertificateRow(
            certificate,
            product,
            subject,
            commune,
            (certificate.expires_on - today).days,
            LifecycleState(state),
        )
        for certificate, product, subject, commune, state in rows
    ], total


async def search_audit(
    session: AsyncSession,
    scope: Scope,
    *,
    action: str | None = None,
    actor: str | None = None,
    dossier: str | None = None,
    limit: int = 200,
) -> list[AuditEntry]:
    """The scope's audit entries, newest first, narrowed by action prefix, person or
    dossier id (the API's search; the page searches more through :mod:`bot.audit`)."""
    wanted = audit.AuditQuery(person=actor or "", dossier=dossier or "", action=action or "")
    lines = await audit.search_audit(session, scope, wanted, timezone=UTC, limit=limit)
    return [line.entry for line in lines]
