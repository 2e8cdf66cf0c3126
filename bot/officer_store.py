"""The database side of the commune officer's conversations.

Scoping is done in SQL, once: every read and write starts from :meth:`_scoped`, which
joins the dossier to the communes the officer serves. A dossier of another commune is
therefore not "forbidden" but simply not found, whether it was asked for by id, by a
replayed button or by a typed code — and the handler records the attempt.
"""

from __future__ import annotations

import logging
import math
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import certificate_states, self_assessments
from bot.db.models import (
    AuditEntry,
    Certificate,
    ChannelAccount,
    Commune,
    CommuneAssessment,
    CommuneCriterionAssessment,
    Document,
    Dossier,
    DossierItem,
    EvaluationRound,
    EvidenceFile,
    InviteAttempt,
    OfficerAssignment,
    OfficerInvite,
    Person,
    Product,
    Subject,
)
from bot.dossier_changes import advance, queue_owner_notice
from bot.invites import MAX_WRONG_PER_HOUR, code_hash, invite_state
from bot.messages import Channel
from handlers.ports import (
    CriterionView,
    DossierView,
    FormCheck,
    InviteOutcome,
    NewAssessment,
    OfficerDossier,
    OfficerItem,
    OverviewEntry,
    Profile,
    QueueEntry,
    RoundView,
)
from ocop_rules import COMMUNE_STEP_STATUSES, DossierStatus, LifecycleState

log = logging.getLogger(__name__)
OFFICER, PRODUCER, BOTH = "officer", "producer", "producer_officer"
_COMMUNE_STEP = sorted(s.value for s in COMMUNE_STEP_STATUSES)


_Found = tuple[Dossier, Product, Subject]


def _view(dossier: Dossier, product: Product) -> DossierView:
    return DossierView(
        dossier.id,
        product.name,
        product.registration_code,
        product.group_code,
        product.subgroup_code,
        dossier.kind,
        dossier.status,
        product.product_set,
        (dossier.submitted_at or dossier.created_at).date(),
    )


class OfficerQueries:
    """The officer's reads and writes; mixed into :class:`bot.store.SqlStore`."""

    _session: AsyncSession
    _now: datetime
    _timezone: tzinfo

    # --- helpers --------------------------------------------------------------------------

    def _communes_of(self, person_id: int) -> Select:  # type: ignore[type-arg]  # 2.0/2.1 differ
        return select(OfficerAssignment.commune_code).where(
            OfficerAssignment.person_id == person_id
        )

    def _scoped(self, person_id: int) -> Select:  # type: ignore[type-arg]  # 2.0/2.1 differ
        """Dossiers of the officer's communes: every officer query starts here."""
        return (
            select(Dossier, Product, Subject)
            .join(Product, Product.id == Dossier.product_id)
            .join(Subject, Subject.id == Product.subject_id)
            .where(Dossier.commune_code.in_(self._communes_of(person_id)))
        )

    async def _own(
        self, person_id: int, dossier_id: int
    ) -> tuple[Dossier, Product, Subject] | None:
        row = (
            await self._session.execute(
                self._scoped(person_id).where(Dossier.id == dossier_id).with_for_update()
            )
        ).first()
        return None if row is None else (row[0], row[1], row[2])

    async def _actor(self, person_id: int) -> str | None:
        return await self._session.scalar(select(Person.full_name).where(Person.id == person_id))

    async def _audit(
        self,
        person_id: int,
        action: str,
        entity: tuple[str, int | str],
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
    ) -> None:
        self._session.add(
            AuditEntry(
                actor_person_id=person_id,
                actor_label=await self._actor(person_id),
                action=action,
                entity_type=entity[0],
                entity_id=str(entity[1]),
                before=before,
                after=after,
                at=self._now,
            )
        )

    async def _move(self, person_id: int, dossier: Dossier, target: DossierStatus) -> bool:
        """Move ``dossier`` to ``target`` through allowed statuses, auditing the change."""
        before = dossier.status
        path = advance(dossier, target, self._now)
        if path is None:
            return False
        if path:
            await self._audit(
                person_id,
                "dossier.status",
                ("dossier", dossier.id),
                {"status": before},
                {"status": target.value, "via": [s.value for s in path]},
            )
        return True

    async def _tell_owner(
        self, subject: Subject, kind: str, key: str, payload: dict[str, Any]
    ) -> None:
        queue_owner_notice(self._session, subject, kind, key, payload, self._now)

    async def _assessment(self, dossier_id: int) -> CommuneAssessment | None:
        return await self._session.scalar(
            select(CommuneAssessment).where(CommuneAssessment.dossier_id == dossier_id)
        )

    async def _round_of(self, dossier: Dossier) -> RoundView | None:
        """The dossier's own round, else its province's next round still open."""
        if dossier.round_id is not None:
            chosen = await self._session.get(EvaluationRound, dossier.round_id)
        else:
            province = select(Commune.province_code).where(Commune.code == dossier.commune_code)
            today = self._now.astimezone(self._timezone).date()
            chosen = await self._session.scalar(
                select(EvaluationRound)
                .where(EvaluationRound.province_code == province.scalar_subquery())
                .where(EvaluationRound.registration_deadline >= today)
                .order_by(EvaluationRound.registration_deadline)
                .limit(1)
            )
        if chosen is None:
            return None
        return RoundView(
            chosen.name, chosen.registration_deadline, chosen.commune_deadline, chosen.council_from
        )

    # --- invites --------------------------------------------------------------------------

    async def accept_invite(
        self,
        code: str,
        *,
        channel: Channel,
        external_id: str,
        chat_id: str,
        display_name: str | None,
        language: str,
    ) -> InviteOutcome:
        """Check a typed code (rate limited per account) and grant the commune role.

        After :data:`MAX_WRONG_PER_HOUR` refused codes in the last hour the code is not even
        looked up, so the limit also holds against someone who guesses a real code.
        """
        session = self._session
        window = self._now - timedelta(hours=1)
        recent = (
            select(InviteAttempt.attempted_at)
            .where(InviteAttempt.channel == channel.value)
            .where(InviteAttempt.external_id == external_id)
            .where(InviteAttempt.attempted_at > window)
        )
        attempts = sorted((await session.scalars(recent)).all())
        if len(attempts) >= MAX_WRONG_PER_HOUR:
            free_at = attempts[-MAX_WRONG_PER_HOUR] + timedelta(hours=1)
            minutes = max(1, math.ceil((free_at - self._now).total_seconds() / 60))
            log.warning("invite code refused unchecked: too many wrong codes")
            return InviteOutcome("cooldown", retry_after_minutes=minutes)
        invite = await session.scalar(
            select(OfficerInvite)
            .where(OfficerInvite.code_hash == code_hash(code))
            .with_for_update()
        )
        state = "unknown" if invite is None else invite_state(invite, self._now)
        if invite is None or state != "open":
            session.add(
                InviteAttempt(
                    channel=channel.value, external_id=external_id, attempted_at=self._now
                )
            )
            log.warning("invite code refused", extra={"reason": state})
            return InviteOutcome(state)
        person = await session.scalar(
            select(Person)
            .join(ChannelAccount, ChannelAccount.person_id == Person.id)
            .where(ChannelAccount.channel == channel.value)
            .where(ChannelAccount.external_id == external_id)
            .where(Person.erased_at.is_(None))
        )
        if person is None:
            person = Person(
                full_name=invite.invitee_name or display_name,
                language=language,
                role=OFFICER,
                consent_at=self._now,
                consent_version="officer-1",
            )
            session.add(person)
            await session.flush()
            session.add(
                ChannelAccount(
                    person_id=person.id,
                    channel=channel.value,
                    external_id=external_id,
                    chat_id=chat_id,
                    display_name=display_name,
                )
            )
        elif person.role == PRODUCER:
            person.role = BOTH
        held = await session.scalar(
            select(OfficerAssignment.id)
            .where(OfficerAssignment.person_id == person.id)
            .where(OfficerAssignment.commune_code == invite.commune_code)
        )
        profile = Profile(person.id, person.full_name, person.role, person.language)
        if held is not None:
            return InviteOutcome("already", invite.commune_code, profile=profile)
        invite.used_at, invite.used_by_person_id = self._now, person.id
        assignment = OfficerAssignment(
            person_id=person.id,
            commune_code=invite.commune_code,
            invite_id=invite.id,
            granted_at=self._now,
        )
        session.add(assignment)
        await session.flush()
        await self._audit(
            person.id,
            "officer.grant",
            ("officer_assignment", assignment.id),
            None,
            {"commune_code": invite.commune_code, "invite_id": invite.id},
        )
        return InviteOutcome("accepted", invite.commune_code, profile=profile)

    async def officer_communes(self, person_id: int) -> list[str]:
        """Codes of the communes the person serves as officer."""
        return list((await self._session.scalars(self._communes_of(person_id))).all())

    # --- reading ----------------------------------------------------------------------------

    async def commune_queue(self, person_id: int) -> list[QueueEntry]:
        """Dossiers of the officer's communes in the commune step, oldest first."""
        rows = (
            await self._session.execute(
                self._scoped(person_id)
                .add_columns(Person.full_name)
                .outerjoin(Person, Person.id == Subject.owner_person_id)
                .where(Dossier.status.in_(_COMMUNE_STEP))
                .order_by(Dossier.status_changed_at, Dossier.id)
            )
        ).all()
        ids = [row[0].id for row in rows]
        states: dict[int, dict[str, str]] = {i: {} for i in ids}
        changed: dict[int, list[tuple[str, str, str]]] = {i: [] for i in ids}
        for dossier_id, code, state, before in await self._session.execute(
            select(
                DossierItem.dossier_id,
                DossierItem.requirement_code,
                DossierItem.state,
                DossierItem.before_return,
            )
            .where(DossierItem.dossier_id.in_(ids))
            .order_by(DossierItem.id)
        ):
            states[dossier_id][code] = state
            if before is not None:  # changed by the producer since the commune returned it
                changed[dossier_id].append((code, before, state))
        checks = dict(
            (
                await self._session.execute(
                    select(CommuneAssessment.dossier_id, CommuneAssessment.form_check).where(
                        CommuneAssessment.dossier_id.in_(ids)
                    )
                )
            ).all()
        )
        return [
            QueueEntry(
                _view(dossier, product),
                dossier.commune_code,
                name or subject.name,
                dossier.status_changed_at,
                states[dossier.id],
                checks.get(dossier.id),
                tuple(changed[dossier.id]),
            )
            for dossier, product, subject, name in rows
        ]

    async def commune_overview(self, person_id: int, today: date) -> list[OverviewEntry]:
        """Every product of the officer's communes with its latest status and certificate,
        and the certificate's state on ``today``."""
        products = (
            await self._session.execute(
                select(Product, Subject)
                .join(Subject, Subject.id == Product.subject_id)
                .where(Subject.commune_code.in_(self._communes_of(person_id)))
                .order_by(Subject.name, Product.name)
            )
        ).all()
        ids = [product.id for product, _ in products]
        latest = (
            select(func.max(Dossier.id))
            .where(Dossier.product_id.in_(ids))
            .group_by(Dossier.product_id)
        )
        statuses = dict(
            (
                await self._session.execute(
                    select(Dossier.product_id, Dossier.status).where(Dossier.id.in_(latest))
                )
            ).all()
        )
        certificates: dict[int, Certificate] = {}
        states: dict[int, LifecycleState] = {}
        for certificate, state in await self._session.execute(
            select(Certificate, certificate_states.state_column(today))
            .where(Certificate.product_id.in_(ids))
            .order_by(Certificate.issued_on, Certificate.id)
        ):
            certificates[certificate.product_id] = certificate
            states[certificate.product_id] = LifecycleState(state)
        return [
            OverviewEntry(
                subject.name,
                product.name,
                product.registration_code,
                statuses.get(product.id),
                certificates[product.id].stars if product.id in certificates else None,
                certificates[product.id].expires_on if product.id in certificates else None,
                states.get(product.id),
            )
            for product, subject in products
        ]

    async def commune_certificate_states(
        self, person_id: int, today: date
    ) -> dict[LifecycleState, int]:
        """How many certificates of the officer's communes are in each state on ``today``."""
        return await certificate_states.count_states(
            self._session, Subject.commune_code.in_(self._communes_of(person_id)), today
        )

    async def officer_dossier(self, person_id: int, dossier_id: int) -> OfficerDossier | None:
        """One dossier of the officer's communes, or None (also for another commune's)."""
        found = await self._own(person_id, dossier_id)
        if found is None:
            return None
        dossier, product, subject = found
        session = self._session
        producer = (
            None
            if subject.owner_person_id is None
            else await session.scalar(
                select(Person.full_name).where(Person.id == subject.owner_person_id)
            )
        )
        items = (
            await session.scalars(
                select(DossierItem)
                .where(DossierItem.dossier_id == dossier_id)
                .order_by(DossierItem.id)
            )
        ).all()
        counts = dict(
            (
                await session.execute(
                    select(EvidenceFile.dossier_item_id, func.count())
                    .where(EvidenceFile.dossier_item_id.in_([i.id for i in items]))
                    .group_by(EvidenceFile.dossier_item_id)
                )
            ).all()
        )
        assessment = await self._assessment(dossier_id)
        criteria: tuple[CriterionView, ...] = ()
        if assessment is not None:
            criteria = tuple(
                CriterionView(c.criterion, dict(c.facts), c.conclusion, c.comment)
                for c in await session.scalars(
                    select(CommuneCriterionAssessment)
                    .where(CommuneCriterionAssessment.assessment_id == assessment.id)
                    .order_by(CommuneCriterionAssessment.id)
                )
            )
        return OfficerDossier(
            _view(dossier, product),
            dossier.commune_code,
            subject.name,
            subject.subject_type,
            producer,
            {
                "raw_materials": product.raw_materials,
                "commune_pct": product.raw_material_commune_pct,
                "province_pct": product.raw_material_province_pct,
                "workers_total": product.workers_total,
                "workers_local": product.workers_local,
                "idea_origin": product.idea_origin,
                "identity": product.identity_notes,
                "product_set": product.product_set,
            },
            tuple(
                OfficerItem(
                    i.requirement_code,
                    i.state,
                    int(counts.get(i.id, 0)),
                    i.officer_check,
                    i.officer_note,
                    i.before_return,
                )
                for i in items
            ),
            assessment.form_check if assessment else None,
            criteria,
            assessment.conclusion if assessment else None,
            assessment.meeting_date if assessment else None,
            assessment.meeting_participants if assessment else None,
            assessment.decided_at if assessment else None,
            assessment.reopened_count if assessment else 0,
            bool(assessment and assessment.report_document_id),
            await self._round_of(dossier),
            await self_assessments.latest(session, dossier_id),
        )

    async def dossier_id_by_code(self, person_id: int, code: str) -> int | None:
        """The latest dossier of a registration code in the officer's communes, or None."""
        row = (
            await self._session.execute(
                self._scoped(person_id).where(_has_code(code)).order_by(Dossier.id.desc()).limit(1)
            )
        ).first()
        return None if row is None else int(row[0].id)

    async def registration_code_known(self, code: str) -> bool:
        """Whether any product has the registration code ``code``, in any commune."""
        found = await self._session.scalar(select(Product.id).where(_has_code(code)).limit(1))
        return found is not None

    async def record_denied(self, person_id: int, action: str, target: str) -> None:
        """Audit an attempt to act on something outside the officer's communes."""
        log.warning("officer action outside their communes refused", extra={"action": action})
        await self._audit(
            person_id, "officer.denied", ("dossier", target), None, {"action": action}
        )

    async def commune_report(self, person_id: int, dossier_id: int) -> bytes | None:
        """The stored commune report of the dossier, or None."""
        if await self._own(person_id, dossier_id) is None:
            return None
        assessment = await self._assessment(dossier_id)
        if assessment is None or assessment.report_document_id is None:
            return None
        document = await self._session.get(Document, assessment.report_document_id)
        return None if document is None else document.content

    # --- writing ----------------------------------------------------------------------------

    async def _open_assessment(self, person_id: int, dossier_id: int) -> CommuneAssessment:
        assessment = await self._assessment(dossier_id)
        if assessment is None:
            assessment = CommuneAssessment(
                dossier_id=dossier_id, officer_person_id=person_id, reopened_count=0
            )
            self._session.add(assessment)
            await self._session.flush()
        assessment.officer_person_id = person_id
        return assessment

    async def save_form_check(self, person_id: int, dossier_id: int, check: FormCheck) -> bool:
        """Store the form check; send the dossier back to the producer when asked.

        Refused (False) outside the officer's communes and once the commune has concluded
        (reopen first).
        """
        found = await self._own(person_id, dossier_id)
        if found is None:
            return False
        dossier, product, subject = found
        status = DossierStatus(dossier.status)
        if status not in COMMUNE_STEP_STATUSES or status is DossierStatus.COMMUNE_ASSESSED:
            return False
        items = {
            i.requirement_code: i
            for i in await self._session.scalars(
                select(DossierItem).where(DossierItem.dossier_id == dossier_id)
            )
        }
        for code, (verdict, note) in check.checks.items():
            item = items.get(code)
            if item is None:
                item = DossierItem(dossier_id=dossier_id, requirement_code=code, state="pending")
                self._session.add(item)
            item.officer_check, item.officer_note, item.updated_at = verdict, note, self._now
            item.before_return = None  # checked again: later changes count from this check
        assessment = await self._open_assessment(person_id, dossier_id)
        before = {"form_check": assessment.form_check, "status": dossier.status}
        complete = all(verdict == "ok" for verdict, _ in check.checks.values())
        assessment.form_check = "complete" if complete else "incomplete"
        assessment.updated_at = self._now
        if check.send_back:
            await self._move(person_id, dossier, DossierStatus.IN_PREPARATION)
            fixes = [
                [code, note] for code, (verdict, note) in check.checks.items() if verdict != "ok"
            ]
            await self._tell_owner(
                subject,
                "dossier_returned",
                f"{dossier_id}:{self._now.isoformat()}",
                {"dossier_id": dossier_id, "product": product.name, "fixes": fixes},
            )
        else:
            await self._move(person_id, dossier, DossierStatus.SUBMITTED_TO_COMMUNE)
            # The commune's receipt of the dossier (QĐ 26, Điều 7.2: its 15 working days run
            # "kể từ ngày tiếp nhận hồ sơ"): the first time its form check accepts it. A
            # dossier sent back and resent keeps its first date.
            dossier.submitted_at = dossier.submitted_at or self._now
        await self._audit(
            person_id,
            "commune.form_check",
            ("dossier", dossier_id),
            before,
            {
                "form_check": assessment.form_check,
                "status": dossier.status,
                "send_back": check.send_back,
                "checks": {code: list(value) for code, value in check.checks.items()},
            },
        )
        await self._session.flush()
        return True

    async def save_assessment(
        self,
        person_id: int,
        dossier_id: int,
        assessment: NewAssessment,
        report: bytes,
        filename: str,
    ) -> bool:
        """Store the findings and the report; move the dossier; tell the producer."""
        found = await self._own(person_id, dossier_id)
        if found is None:
            return False
        dossier, product, subject = found
        if DossierStatus(dossier.status) not in COMMUNE_STEP_STATUSES or (
            dossier.status == DossierStatus.COMMUNE_ASSESSED
        ):
            return False
        row = await self._open_assessment(person_id, dossier_id)
        previous = [
            {"criterion": c.criterion, "facts": c.facts, "conclusion": c.conclusion}
            for c in await self._session.scalars(
                select(CommuneCriterionAssessment).where(
                    CommuneCriterionAssessment.assessment_id == row.id
                )
            )
        ]
        before = {"conclusion": row.conclusion, "criteria": previous, "status": dossier.status}
        await self._session.execute(
            delete(CommuneCriterionAssessment).where(
                CommuneCriterionAssessment.assessment_id == row.id
            )
        )
        self._session.add_all(
            CommuneCriterionAssessment(
                assessment_id=row.id,
                criterion=c.criterion,
                facts=dict(c.facts),
                conclusion=c.conclusion,
                comment=c.comment,
            )
            for c in assessment.criteria
        )
        document = Document(
            owner_person_id=None,  # the report belongs to the dossier, not to the officer
            dossier_id=dossier_id,
            kind="commune_report",
            filename=filename,
            media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            content=report,
            created_at=self._now,
        )
        self._session.add(document)
        await self._session.flush()
        row.conclusion = assessment.conclusion
        row.meeting_date = assessment.meeting_date
        row.meeting_participants = assessment.meeting_participants
        row.decided_at = self._now
        row.report_document_id = document.id
        row.updated_at = self._now
        await self._move(person_id, dossier, DossierStatus.COMMUNE_ASSESSED)
        await self._audit(
            person_id,
            "commune.assess",
            ("dossier", dossier_id),
            before,
            {
                "conclusion": assessment.conclusion,
                "criteria": [
                    {"criterion": c.criterion, "facts": c.facts, "conclusion": c.conclusion}
                    for c in assessment.criteria
                ],
                "meeting_date": assessment.meeting_date.isoformat(),
                "status": dossier.status,
                "report_document_id": document.id,
            },
        )
        round_view = await self._round_of(dossier)
        await self._tell_owner(
            subject,
            "commune_result",
            f"{dossier_id}:{row.reopened_count}",
            {
                "dossier_id": dossier_id,
                "product": product.name,
                "conclusion": assessment.conclusion,
                "criteria": [[c.criterion, c.conclusion, c.comment] for c in assessment.criteria],
                "round": None
                if round_view is None
                else {
                    "name": round_view.name,
                    "registration_deadline": round_view.registration_deadline.isoformat(),
                    "council_from": round_view.council_from.isoformat()
                    if round_view.council_from
                    else None,
                },
            },
        )
        await self._session.flush()
        return True

    async def reopen_assessment(self, person_id: int, dossier_id: int) -> bool:
        """Reopen the commune's assessment; refused once the proposal went to the province."""
        found = await self._own(person_id, dossier_id)
        if found is None:
            return False
        dossier = found[0]
        if dossier.status != DossierStatus.COMMUNE_ASSESSED:
            await self._audit(
                person_id,
                "commune.reopen_refused",
                ("dossier", dossier_id),
                {"status": dossier.status},
                None,
            )
            return False
        row = await self._open_assessment(person_id, dossier_id)
        before = {"conclusion": row.conclusion, "reopened_count": row.reopened_count}
        row.reopened_count += 1
        row.updated_at = self._now
        await self._move(person_id, dossier, DossierStatus.SUBMITTED_TO_COMMUNE)
        await self._audit(
            person_id,
            "commune.reopen",
            ("dossier", dossier_id),
            before,
            {"reopened_count": row.reopened_count, "status": dossier.status},
        )
        return True

    async def submit_to_province(self, person_id: int, dossier_id: int) -> bool:
        """Send the commune's proposal upward once its assessment is recorded: Mẫu 03 has no
        pass or fail, it always ends with the proposal (QĐ 26, Điều 7.2.b)."""
        found = await self._own(person_id, dossier_id)
        if found is None:
            return False
        dossier, product, subject = found
        row = await self._assessment(dossier_id)
        if dossier.status != DossierStatus.COMMUNE_ASSESSED or row is None:
            return False
        await self._move(person_id, dossier, DossierStatus.SUBMITTED_FOR_EVALUATION)
        dossier.submitted_at = dossier.submitted_at or self._now  # the commune's receipt
        await self._tell_owner(
            subject,
            "submitted_to_province",
            str(dossier_id),
            {
                "dossier_id": dossier_id,
                "product": product.name,
                "product_set": product.product_set,
                "group": product.group_code,
            },
        )
        return True


def _has_code(code: str) -> ColumnElement[bool]:
    """A product's registration code is ``code``, whatever the case either is written in."""
    return func.upper(Product.registration_code) == code.strip().upper()
