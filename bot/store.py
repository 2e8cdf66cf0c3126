"""The database side of the handlers' :class:`~handlers.ports.Store`, bound to one session.

Every method only adds to the session it was given; the engine commits once per inbound
event, so what a conversation step writes lands together with the chat's new state.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bot import certificate_states, erasure, self_assessments
from bot.db.base import utcnow
from bot.db.direct import Statements, first, statements_for
from bot.db.models import (
    AlertOptOut,
    Certificate,
    ChannelAccount,
    Commune,
    CommuneAssessment,
    Dossier,
    DossierItem,
    EvaluationResult,
    EvidenceFile,
    OfficerAssignment,
    OutboxMessage,
    Person,
    Product,
    Subject,
)
from bot.messages import Channel
from bot.officer_store import OfficerQueries
from bot.question_store import QuestionQueries
from handlers.assessment import MISSING as RETURNED  # the check of an item sent back
from handlers.issuers import shown_issuer
from handlers.notices import LINK_CODE
from handlers.onboarding import CONSENT_VERSION
from handlers.ports import (
    CertificateView,
    ClaimOffer,
    CommuneContacts,
    DossierView,
    Evidence,
    IdeaForm,
    IdeaReceipt,
    ItemView,
    KnownPerson,
    NewIdea,
    NewProducer,
    OfficerContact,
    PersonalData,
    Profile,
    SelfAssessmentView,
    StatusView,
    SubjectView,
)
from handlers.textmatch import fold
from ocop_rules import DossierKind, DossierStatus, LifecycleState, is_final

LINK_CODE_WINDOW = timedelta(hours=1)
LINK_CODES_PER_WINDOW = 3
MAX_CONTACTS = 2  # officers named to someone who needs a person to call


def _dossier_view(dossier: Dossier, product: Product) -> DossierView:
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


def _item_view(item: DossierItem, evidence_count: int) -> ItemView:
    return ItemView(
        item.requirement_code,
        item.state,
        evidence_count,
        item.officer_check,
        item.officer_note,
        item.before_return,
    )


def _account(
    person_id: int, channel: Channel, external_id: str, chat_id: str, display_name: str | None
) -> ChannelAccount:
    return ChannelAccount(
        person_id=person_id,
        channel=channel.value,
        external_id=external_id,
        chat_id=chat_id,
        display_name=display_name,
    )


def _profile(person: Person) -> Profile:
    return Profile(person.id, person.full_name, person.role, person.language)


def _profile_by_account(channel: str, external_id: str) -> Any:
    """The profile of the account whose channel and id are the parameters named so.

    The account is read by its unique key in scalar subqueries, so that no plan can start
    from ``people``: written as a join, PostgreSQL's generic plan of the prepared statement,
    made while the tables were still small and kept for the connection's life, read every
    person for each event (a seq scan of ``people`` probing the account index per row)."""

    def account(column: Any) -> Any:
        return (
            select(column)
            .where(ChannelAccount.channel == bindparam(channel))
            .where(ChannelAccount.external_id == bindparam(external_id))
            .scalar_subquery()
        )

    return (
        select(
            Person.id,
            Person.full_name,
            Person.role,
            Person.language,
            account(ChannelAccount.reachable).label("reachable"),
        )
        .where(Person.id == account(ChannelAccount.person_id))
        .where(Person.erased_at.is_(None))
    )


# Built once with its values as parameters: it runs for every inbound event.
_PROFILE_BY_ACCOUNT = _profile_by_account("channel", "external_id")


def profile_columns() -> tuple[Any, tuple[Any, ...]]:
    """The profile of :meth:`SqlStore.profile_for` as a CTE (parameters ``profile_channel``,
    ``profile_external_id``) and columns named ``profile_*`` that read it, for a statement
    that runs anyway to return along with its own columns: the engine's session row
    statement reads the sender's profile with no round trip of its own
    (:meth:`SqlStore.known_profile`). A CTE, because in a RETURNING clause SQLAlchemy
    writes column names without their table, which a join there would make ambiguous."""
    profile = _profile_by_account("profile_channel", "profile_external_id").cte("profile")
    names = {
        "id": "profile_id",
        "full_name": "profile_full_name",
        "role": "profile_role",
        "language": "profile_language",
        "reachable": "profile_reachable",
    }
    return profile, tuple(
        select(profile.c[column]).scalar_subquery().label(name) for column, name in names.items()
    )


_REACHABLE_AGAIN = (  # an UPDATE's parameters may not be named after its columns
    update(ChannelAccount)
    .where(ChannelAccount.channel == bindparam("account_channel"))
    .where(ChannelAccount.external_id == bindparam("account_id"))
    .values(reachable=True, unreachable_since=None)
)
# The sign-up's saving step, built once: the new person, account and subject; the check
# that the number is not already registered (account linking); and the reads that look
# for a published subject to offer them.
_NEW_PERSON = insert(Person).returning(Person.id)
_NEW_ACCOUNT = insert(ChannelAccount)
_NEW_SUBJECT = insert(Subject)
_REACHABLE_BY_PHONE = (
    select(Person.id, ChannelAccount.channel)
    .join(ChannelAccount, ChannelAccount.person_id == Person.id)
    .where(Person.phone_e164 == bindparam("phone"))
    .where(Person.erased_at.is_(None))
    .where(ChannelAccount.reachable.is_(True))
    .order_by(ChannelAccount.id.desc())
    .limit(1)
)
_PERSON_PHONE = select(Person.phone_e164).where(Person.id == bindparam("person_id"))
_OWN_SUBJECTS = select(Subject.commune_code, Subject.name).where(
    Subject.owner_person_id == bindparam("person_id")
)
_UNOWNED_WITH_PRODUCTS = (
    select(Subject.id, Subject.name, Subject.commune_code, Subject.contact_phone_e164)
    .where(Subject.owner_person_id.is_(None))
    .where(
        or_(
            Subject.contact_phone_e164 == bindparam("phone"),  # NULL phone: never equal
            Subject.commune_code.in_(bindparam("communes", expanding=True)),
        )
    )
    .where(Subject.id.in_(select(Product.subject_id)))
    .order_by(Subject.id)
)


# The product's declared facts (asked with the dossier) and the product column each one
# lives in.
DECLARED_FACTS: dict[str, str] = {
    "raw_materials": "raw_materials",
    "raw_material_commune_pct": "raw_material_commune_pct",
    "raw_material_province_pct": "raw_material_province_pct",
    "workers_total": "workers_total",
    "workers_local": "workers_local",
    "idea_origin": "idea_origin",
    "identity_story": "identity_notes",
}


class SqlStore(OfficerQueries, QuestionQueries):
    """Reads and writes for the conversations, in the caller's transaction."""

    def __init__(
        self,
        session: AsyncSession | Callable[[], AsyncSession],
        now: datetime,
        timezone: tzinfo = UTC,
        connection: AsyncConnection | None = None,
        statements: Statements | None = None,
    ) -> None:
        # Or how to make it: most events use no ORM, and an ORM session made for each
        # of them was a cost of its own.
        self._orm = session
        self._now = now
        self._timezone = timezone
        self._connection = connection  # the session's own, given: Core reads skip the ORM
        self._statements = statements  # on that connection: the hot reads skip Core too

    @property
    def _session(self) -> AsyncSession:
        """The ORM session of the transaction, made on first use."""
        if not isinstance(self._orm, AsyncSession):
            self._orm = self._orm()
        return self._orm

    @_session.setter
    def _session(self, session: AsyncSession) -> None:
        self._orm = session

    async def _core(self) -> AsyncConnection:
        """The connection of the transaction, for Core statements."""
        if self._connection is not None:
            return self._connection
        return await self._session.connection()

    async def _direct(self) -> Statements:
        """The transaction's built-once statements, run as directly as the database allows
        (:mod:`bot.db.direct`)."""
        if self._statements is None:
            self._statements = await statements_for(await self._core())
        return self._statements

    async def profile_for(self, channel: Channel, external_id: str) -> Profile | None:
        """The registered person behind a channel account, if any (asked on every event).

        A built-once statement run directly: the ORM's execution path, which plain columns
        do not need, took twice the time of the statement itself, and Core's most of it.

        A person who writes can be written to: an account marked unreachable (a Telegram
        block, since lifted) is reachable again, in this event's transaction."""
        statements = await self._direct()
        account = {"channel": channel.value, "external_id": external_id}
        row = await first(statements, _PROFILE_BY_ACCOUNT, account)
        if row is None:
            return None
        if not row.reachable:
            await self._reachable_again(channel, external_id)
        return Profile(row.id, row.full_name, row.role, row.language)

    async def known_profile(self, channel: Channel, external_id: str, row: Any) -> Profile | None:
        """:meth:`profile_for`, from the ``profile_*`` columns of ``row`` (read in this
        transaction by a statement that also returned them, :func:`profile_columns`)."""
        if row.profile_id is None:
            return None
        if not row.profile_reachable:
            await self._reachable_again(channel, external_id)
        return Profile(
            row.profile_id, row.profile_full_name, row.profile_role, row.profile_language
        )

    async def _reachable_again(self, channel: Channel, external_id: str) -> None:
        """Mark the account reachable again; rare: through Core, which fills in the literal
        values."""
        await (await self._core()).execute(
            _REACHABLE_AGAIN, {"account_channel": channel.value, "account_id": external_id}
        )

    async def register_producer(
        self,
        producer: NewProducer,
        *,
        channel: Channel,
        external_id: str,
        chat_id: str,
        display_name: str | None,
    ) -> Profile:
        """Create the person, their channel account and their subject.

        Three built-once inserts run directly (:mod:`bot.db.direct`): through the ORM (two
        flushes, to learn the person's id first) this step cost as much as the rest of the
        sign-up's saving step together, and through Core still a good part of it. The
        direct path fills in no column default, so the values the models' defaults would
        give are given here."""
        statements = await self._direct()
        created = utcnow()
        (new_person,) = await statements.rows(
            _NEW_PERSON,
            {
                "full_name": producer.full_name,
                "phone_e164": producer.phone_e164,
                "language": producer.language,
                "role": "producer",
                "consent_at": producer.consent_at,
                "consent_version": CONSENT_VERSION,
                "created_at": created,
            },
        )
        person_id = new_person.id
        await statements.rows(
            _NEW_ACCOUNT,
            {
                "person_id": person_id,
                "channel": channel.value,
                "external_id": external_id,
                "chat_id": chat_id,
                "display_name": display_name,
                "reachable": True,
                "created_at": created,
            },
        )
        await statements.rows(
            _NEW_SUBJECT,
            {
                "owner_person_id": person_id,
                "subject_type": producer.subject_type,
                "name": producer.subject_name,
                "business_registration_no": producer.business_registration_no,
                "commune_code": producer.commune_code,
                "created_at": created,
            },
        )
        return Profile(person_id, producer.full_name, "producer", producer.language)

    async def set_language(self, person_id: int, language: str) -> None:
        """Remember the person's language."""
        await self._session.execute(
            update(Person).where(Person.id == person_id).values(language=language)
        )

    async def person_by_phone(self, phone_e164: str) -> KnownPerson | None:
        """The registered person with this number whom the bot can still reach, if any;
        the channel is the one the dispatcher will use (their newest reachable account)."""
        row = await first(await self._direct(), _REACHABLE_BY_PHONE, {"phone": phone_e164})
        return None if row is None else KnownPerson(row.id, row.channel)

    async def claim_offers(self, person_id: int) -> list[ClaimOffer]:
        """Imported subjects nobody owns that look like the person's: the phone the
        province published is theirs, or the name (accents and case aside) is the one they
        signed up with, in the same commune. Only subjects with products are offered.

        Asked in the saving step of every sign-up, so its three reads are built once; the
        first two run directly (:mod:`bot.db.direct`), the third, whose ``IN`` list varies,
        as Core."""
        statements = await self._direct()
        found = await first(statements, _PERSON_PHONE, {"person_id": person_id})
        phone = None if found is None else found.phone_e164
        own = await statements.rows(_OWN_SUBJECTS, {"person_id": person_id})
        connection = await self._core()
        names = {(row.commune_code, fold(row.name)) for row in own}
        candidates = await connection.execute(
            _UNOWNED_WITH_PRODUCTS,
            {"phone": phone, "communes": sorted({commune for commune, _ in names})},
        )
        offers: list[ClaimOffer] = []
        for subject in candidates.all():
            by_phone = bool(phone) and subject.contact_phone_e164 == phone
            if by_phone or (subject.commune_code, fold(subject.name)) in names:
                offers.append(
                    await self._claim_offer(
                        subject.id, subject.name, subject.commune_code, by_phone=by_phone
                    )
                )
        return offers

    async def _claim_offer(
        self, subject_id: int, name: str, commune_code: str, *, by_phone: bool
    ) -> ClaimOffer:
        rows = await self._session.execute(
            select(Product.name, func.max(Certificate.stars))
            .join(Certificate, Certificate.product_id == Product.id, isouter=True)
            .where(Product.subject_id == subject_id)
            .group_by(Product.id, Product.name)
            .order_by(Product.id)
        )
        products = tuple((name, stars or 0) for name, stars in rows)
        return ClaimOffer(subject_id, name, commune_code, products, by_phone)

    async def claim_subject(self, person_id: int, subject_id: int) -> ClaimOffer | None:
        """Make an offered subject the person's, checked again now (an old button or a
        made-up payload claims nothing). The subject the person created at sign-up under
        the same name and commune, still without products, is folded into it."""
        offer = next(
            (o for o in await self.claim_offers(person_id) if o.subject_id == subject_id), None
        )
        if offer is None:
            return None
        claimed = await self._session.get_one(Subject, subject_id)
        duplicates = (
            await self._session.scalars(
                select(Subject)
                .where(Subject.owner_person_id == person_id)
                .where(Subject.commune_code == claimed.commune_code)
                .where(~Subject.id.in_(select(Product.subject_id)))
            )
        ).all()
        for duplicate in duplicates:
            if fold(duplicate.name) == fold(claimed.name):
                claimed.subject_type = duplicate.subject_type
                claimed.business_registration_no = (
                    claimed.business_registration_no or duplicate.business_registration_no
                )
                await self._session.delete(duplicate)
        claimed.owner_person_id = person_id
        await self._audit(
            person_id,
            "subject.claimed",
            ("subject", subject_id),
            {"owner_person_id": None},
            {
                "owner_person_id": person_id,
                "matched_by": "phone" if offer.by_phone else "name",
                "products": len(offer.products),
            },
        )
        await self._session.flush()
        return offer

    async def queue_link_code(
        self, person_id: int, code: str, channel: str, expires_at: datetime
    ) -> bool:
        """Queue a one-time code to the person's reachable account, sent at once (even in
        quiet hours: the person is waiting for it); at most 3 an hour per person."""
        now = self._now
        recent = await self._session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.recipient_person_id == person_id)
            .where(OutboxMessage.kind == LINK_CODE)
            .where(OutboxMessage.created_at > now - LINK_CODE_WINDOW)
        )
        if (recent or 0) >= LINK_CODES_PER_WINDOW:
            return False
        self._session.add(
            OutboxMessage(
                dedupe_key=f"{LINK_CODE}:{person_id}:{now.isoformat()}:{code}",
                recipient_person_id=person_id,
                kind=LINK_CODE,
                payload={
                    "code": code,
                    "channel": channel,
                    "expires_at": expires_at.isoformat(),
                },
                due_at=now,
                created_at=now,
            )
        )
        return True

    async def link_account(
        self,
        person_id: int,
        *,
        channel: Channel,
        external_id: str,
        chat_id: str,
        display_name: str | None,
    ) -> Profile:
        """Add this channel account to a person who proved they hold their other account."""
        person = await self._session.get_one(Person, person_id)
        self._session.add(_account(person_id, channel, external_id, chat_id, display_name))
        await self._audit(
            person_id, "account.linked", ("person", person_id), None, {"channel": channel.value}
        )
        await self._session.flush()
        return _profile(person)

    async def personal_data(self, person_id: int) -> PersonalData:
        """Everything personal stored about the person."""
        person = await self._session.get_one(Person, person_id)
        accounts = (
            await self._session.scalars(
                select(ChannelAccount.channel).where(ChannelAccount.person_id == person_id)
            )
        ).all()
        subjects = (
            await self._session.scalars(select(Subject).where(Subject.owner_person_id == person_id))
        ).all()
        return PersonalData(
            full_name=person.full_name,
            phone_e164=person.phone_e164,
            language=person.language,
            consent_at=person.consent_at,
            accounts=tuple(accounts),
            subjects=tuple(
                SubjectView(s.name, s.subject_type, s.commune_code, s.business_registration_no)
                for s in subjects
            ),
        )

    async def erase_person(self, person_id: int) -> int:
        """Erase the person's data, keeping the programme's records anonymised
        (:mod:`bot.erasure` says what goes and what stays); return the products kept."""
        return await erasure.erase_person(self._session, person_id=person_id, now=self._now)

    async def alert_opt_outs(self, person_id: int) -> set[str]:
        """The kinds of notice the person turned off."""
        found = await self._session.scalars(
            select(AlertOptOut.kind).where(AlertOptOut.person_id == person_id)
        )
        return set(found.all())

    async def set_alert_opt_out(self, person_id: int, kind: str, *, off: bool) -> None:
        """Turn one kind of notice off (or back on) for the person."""
        await self._session.execute(
            delete(AlertOptOut)
            .where(AlertOptOut.person_id == person_id)
            .where(AlertOptOut.kind == kind)
        )
        if off:
            self._session.add(AlertOptOut(person_id=person_id, kind=kind, created_at=self._now))

    async def commune_contacts(self, person_id: int) -> CommuneContacts | None:
        """The person's commune (their subject's, else the one they serve) and its other
        officers who have a phone; None when no commune is known."""
        commune = await self._session.scalar(
            select(Subject.commune_code)
            .where(Subject.owner_person_id == person_id)
            .order_by(Subject.id)
            .limit(1)
        ) or await self._session.scalar(
            select(OfficerAssignment.commune_code)
            .where(OfficerAssignment.person_id == person_id)
            .order_by(OfficerAssignment.id)
            .limit(1)
        )
        if commune is None:
            return None
        officers = await self._session.execute(
            select(Person.full_name, Person.phone_e164)
            .join(OfficerAssignment, OfficerAssignment.person_id == Person.id)
            .where(OfficerAssignment.commune_code == commune)
            .where(Person.id != person_id)
            .where(Person.phone_e164.is_not(None))
            .where(Person.erased_at.is_(None))
            .order_by(OfficerAssignment.id)
            .limit(MAX_CONTACTS)
        )
        return CommuneContacts(
            commune, tuple(OfficerContact(name, phone or "") for name, phone in officers.all())
        )

    async def _subject_of(self, person_id: int) -> Subject | None:
        return await self._session.scalar(
            select(Subject).where(Subject.owner_person_id == person_id).order_by(Subject.id)
        )

    async def register_idea(self, person_id: int, idea: NewIdea, now: datetime) -> IdeaReceipt:
        """Save the idea as a product with its first dossier; notify the commune's officers.

        The readable code is ``OCOP-<province>-<year>-<product id>``: unique by construction,
        so two registrations at the same moment never collide.
        """
        session = self._session
        subject = await self._subject_of(person_id)
        if subject is None:
            raise LookupError("the person has no subject")
        commune = await session.get_one(Commune, subject.commune_code)
        product = Product(
            subject_id=subject.id,
            name=idea.product_name,
            group_code=idea.group,
            product_set=idea.product_set,
            is_new_product=idea.is_new_product,
            description=idea.description,
            raw_materials=idea.raw_materials,
            raw_material_commune_pct=idea.raw_material_commune_pct,
            raw_material_province_pct=idea.raw_material_province_pct,
            workers_total=idea.workers_total,
            workers_local=idea.workers_local,
            idea_origin=idea.idea_origin,
            identity_notes=idea.identity_story,
            papers_held=list(idea.papers_held),
            target_market=idea.target_market,
            support_wanted=idea.support_wanted,
            idea_answers=dict(idea.answers),
            idea_registered_at=now,
        )
        session.add(product)
        await session.flush()
        year = now.astimezone(self._timezone).year
        product.registration_code = f"OCOP-{commune.province_code}-{year}-{product.id:04d}"
        session.add(
            Dossier(
                product_id=product.id,
                kind=DossierKind.NEW.value,
                status=DossierStatus.IDEA_REGISTERED.value,
                commune_code=subject.commune_code,
                year=year,
                status_changed_at=now,
            )
        )
        officers = (
            await session.scalars(
                select(OfficerAssignment.person_id).where(
                    OfficerAssignment.commune_code == subject.commune_code
                )
            )
        ).all()
        for officer in officers:
            session.add(
                OutboxMessage(
                    dedupe_key=f"new_idea:{product.id}:{officer}",
                    recipient_person_id=officer,
                    kind="new_idea",
                    payload={"product_id": product.id, "code": product.registration_code},
                    due_at=now,
                )
            )
        await session.flush()
        return IdeaReceipt(product.registration_code, len(officers))

    def _owned_dossiers(self, person_id: int) -> Select:  # type: ignore[type-arg]  # 2.0/2.1 differ
        """Dossiers of the person's own products: every producer query starts here."""
        return (
            select(Dossier, Product)
            .join(Product, Product.id == Dossier.product_id)
            .join(Subject, Subject.id == Product.subject_id)
            .where(Subject.owner_person_id == person_id)
        )

    async def open_dossiers(self, person_id: int) -> list[DossierView]:
        """The person's dossiers that are not final, oldest first."""
        rows = await self._session.execute(self._owned_dossiers(person_id).order_by(Dossier.id))
        return [_dossier_view(d, p) for d, p in rows if not is_final(DossierStatus(d.status))]

    async def _dossier(self, person_id: int, dossier_id: int) -> Dossier:
        row = (
            await self._session.execute(
                self._owned_dossiers(person_id).where(Dossier.id == dossier_id)
            )
        ).first()
        if row is None:
            raise PermissionError("not the person's dossier")
        dossier: Dossier = row[0]
        return dossier

    async def checklist(self, person_id: int, dossier_id: int, codes: list[str]) -> list[ItemView]:
        """The items of the person's dossier, created as pending when missing."""
        await self._dossier(person_id, dossier_id)
        items = {
            item.requirement_code: item
            for item in await self._session.scalars(
                select(DossierItem).where(DossierItem.dossier_id == dossier_id)
            )
        }
        for code in codes:
            if code not in items:
                items[code] = DossierItem(
                    dossier_id=dossier_id,
                    requirement_code=code,
                    state="pending",
                    updated_at=self._now,
                )
                self._session.add(items[code])
        await self._session.flush()
        counted = await self._session.execute(
            select(EvidenceFile.dossier_item_id, func.count())
            .where(EvidenceFile.dossier_item_id.in_([i.id for i in items.values()]))
            .group_by(EvidenceFile.dossier_item_id)
        )
        counts: dict[int, int] = dict(counted.all())
        return [_item_view(items[code], counts.get(items[code].id, 0)) for code in codes]

    async def set_product_set(self, person_id: int, dossier_id: int, number: int) -> None:
        """Record the set (1–26) of the product of the person's own dossier.

        Products registered before QĐ 26/2026/QĐ-TTg may have none; the producer names it
        once, and the checklist follows the set's requirements from then on.
        """
        dossier = await self._dossier(person_id, dossier_id)
        product = await self._session.get_one(Product, dossier.product_id)
        product.product_set = number
        await self._session.flush()

    async def set_business_registration_no(self, person_id: int, number: str) -> None:
        """Record the number of the person's business registration on their subject (asked
        with the paper in the dossier checklist, not at sign-up)."""
        subject = await self._subject_of(person_id)
        if subject is None:
            raise LookupError("the person has no subject")
        subject.business_registration_no = number
        await self._session.flush()

    async def declare_facts(
        self, person_id: int, *, dossier_id: int, facts: dict[str, object]
    ) -> None:
        """Record the product's declared facts, asked with the dossier, on the product:
        its columns (which the officer's guidance and the province's page read) and the
        registration's answers (which the printed form and the self-assessment read)."""
        dossier = await self._dossier(person_id, dossier_id)
        product = await self._session.get_one(Product, dossier.product_id)
        for key, column in DECLARED_FACTS.items():
            if key in facts:
                setattr(product, column, facts[key])
        product.idea_answers = {**product.idea_answers, **facts}
        await self._session.flush()

    async def answer_item(
        self, person_id: int, dossier_id: int, code: str, state: str, evidence: Evidence | None
    ) -> ItemView:
        """Record an item's state (and a file) on the person's own dossier."""
        await self._dossier(person_id, dossier_id)
        item = await self._session.scalar(
            select(DossierItem)
            .where(DossierItem.dossier_id == dossier_id)
            .where(DossierItem.requirement_code == code)
        )
        if item is None:
            raise LookupError(f"no item {code} on dossier {dossier_id}")
        if item.officer_check == RETURNED and item.before_return is None:
            # The first change of an item the commune returned: keep what it was, so the
            # officer sees old → new (cleared by the officer's next check of the form).
            item.before_return = item.state
        item.state, item.updated_at = state, self._now
        if evidence is not None:
            self._session.add(
                EvidenceFile(
                    dossier_item_id=item.id,
                    channel=evidence.channel,
                    file_ref=evidence.file_ref,
                    media_type=evidence.media_type,
                    size_bytes=evidence.size_bytes,
                    received_at=self._now,
                    content=evidence.content,
                )
            )
        await self._session.flush()
        count = await self._session.scalar(
            select(func.count())
            .select_from(EvidenceFile)
            .where(EvidenceFile.dossier_item_id == item.id)
        )
        return ItemView(code, state, int(count or 0))

    async def open_renewal(
        self, person_id: int, certificate_id: int, kind: str
    ) -> DossierView | None:
        """The open re-evaluation or upgrade dossier of the person's certificate, created in
        preparation at the commune when there is none (it then follows the commune → province
        path of any dossier), recording the Điều 12.3 extension when a late filing has one;
        None when the certificate is not theirs or no longer valid."""
        row = (
            await self._session.execute(
                select(Certificate, Product, Subject)
                .join(Product, Product.id == Certificate.product_id)
                .join(Subject, Subject.id == Product.subject_id)
                .where(Certificate.id == certificate_id)
                .where(Subject.owner_person_id == person_id)
            )
        ).first()
        if row is None or row[0].status != "valid":
            return None
        certificate, product, subject = row
        for dossier in await self._session.scalars(
            select(Dossier)
            .where(Dossier.certificate_id == certificate.id)
            .where(Dossier.kind == kind)
            .order_by(Dossier.id)
        ):
            if not is_final(DossierStatus(dossier.status)):
                return _dossier_view(dossier, product)
        certificate_states.start_extension(
            certificate, kind=DossierKind(kind), today=self._now.astimezone(self._timezone).date()
        )
        dossier = Dossier(
            product_id=product.id,
            kind=kind,
            status=DossierStatus.IN_PREPARATION.value,
            commune_code=subject.commune_code,
            certificate_id=certificate.id,
            year=self._now.astimezone(self._timezone).year,
            status_changed_at=self._now,
            created_at=self._now,
        )
        self._session.add(dossier)
        await self._session.flush()
        return _dossier_view(dossier, product)

    async def resend_dossier(self, person_id: int, dossier_id: int) -> int | None:
        """Tell the commune's officers that the returned dossier was completed, with what
        changed; None when the dossier is not one the commune returned."""
        dossier = await self._dossier(person_id, dossier_id)
        items = list(
            await self._session.scalars(
                select(DossierItem).where(DossierItem.dossier_id == dossier_id)
            )
        )
        if dossier.status != DossierStatus.IN_PREPARATION or not any(
            i.officer_check == RETURNED for i in items
        ):
            return None
        product = await self._session.get_one(Product, dossier.product_id)
        changed = [
            [i.requirement_code, i.before_return, i.state]
            for i in items
            if i.before_return is not None
        ]
        officers = (
            await self._session.scalars(
                select(OfficerAssignment.person_id).where(
                    OfficerAssignment.commune_code == dossier.commune_code
                )
            )
        ).all()
        for officer in officers:
            self._session.add(
                OutboxMessage(
                    dedupe_key=f"dossier_resent:{dossier_id}:{self._now.isoformat()}:{officer}",
                    recipient_person_id=officer,
                    kind="dossier_resent",
                    payload={
                        "dossier_id": dossier_id,
                        "product": product.name,
                        "code": product.registration_code,
                        "changed": changed,
                    },
                    due_at=self._now,
                )
            )
        await self._session.flush()
        return len(officers)

    async def self_assessment(self, person_id: int, dossier_id: int) -> SelfAssessmentView | None:
        """The latest self-assessment of the person's dossier, or None."""
        await self._dossier(person_id, dossier_id)
        return await self_assessments.latest(self._session, dossier_id)

    async def start_self_assessment(
        self, person_id: int, dossier_id: int, product_set: int
    ) -> SelfAssessmentView:
        """Begin a new run (the next version; earlier runs are kept)."""
        await self._dossier(person_id, dossier_id)
        return await self_assessments.start(
            self._session, dossier_id=dossier_id, product_set=product_set, now=self._now
        )

    async def answer_criterion(
        self, person_id: int, dossier_id: int, code: str, index: int
    ) -> dict[str, int]:
        """Record one answer of the latest run (-1: skipped); its answers now."""
        _, answers = await self_assessments.answer(
            await self._core(),
            owner=person_id,
            dossier_id=dossier_id,
            code=code,
            index=index,
            now=self._now,
        )
        return answers

    async def finish_self_assessment(
        self, person_id: int, dossier_id: int, total: Decimal, stars: int
    ) -> None:
        """Mark the latest run finished with its total and star band."""
        await self._dossier(person_id, dossier_id)
        await self_assessments.finish(
            self._session, dossier_id=dossier_id, total=total, stars=stars, now=self._now
        )

    async def statuses(self, person_id: int, today: date) -> list[StatusView]:
        """Every open dossier of the person with its progress, commune step, round, result."""
        views = []
        for dossier in await self.open_dossiers(person_id):
            items = await self._session.scalars(
                select(DossierItem).where(DossierItem.dossier_id == dossier.dossier_id)
            )
            conclusion = await self._session.scalar(
                select(CommuneAssessment.conclusion).where(
                    CommuneAssessment.dossier_id == dossier.dossier_id
                )
            )
            result = (
                await self._session.execute(
                    select(EvaluationResult.stars, EvaluationResult.forwarded_to_level).where(
                        EvaluationResult.dossier_id == dossier.dossier_id
                    )
                )
            ).first()
            stars, forwarded_to = result if result is not None else (None, None)
            views.append(
                StatusView(
                    dossier,
                    tuple(_item_view(i, 0) for i in items),
                    conclusion,
                    await self._round_of(await self._session.get_one(Dossier, dossier.dossier_id)),
                    None if forwarded_to else stars,  # no stars before the level it goes to
                    forwarded_to,
                )
            )
        return views

    async def certificates(self, person_id: int, today: date) -> list[CertificateView]:
        """The certificates of the person's products, newest first, those of one day in the
        order they were recorded: the numbers of the list they make must not change between
        two readings."""
        rows = (
            await self._session.execute(
                select(
                    Certificate,
                    Product,
                    Subject.commune_code,
                    certificate_states.state_column(today),
                )
                .join(Product, Product.id == Certificate.product_id)
                .join(Subject, Subject.id == Product.subject_id)
                .where(Subject.owner_person_id == person_id)
                .order_by(Certificate.issued_on.desc(), Certificate.id)
            )
        ).all()
        renewals = {
            cert_id: kind
            for cert_id, kind, status in await self._session.execute(
                select(Dossier.certificate_id, Dossier.kind, Dossier.status).where(
                    Dossier.certificate_id.in_([row[0].id for row in rows])
                )
            )
            if not is_final(DossierStatus(status))
        }
        return [
            CertificateView(
                p.name,
                p.group_code,
                p.subgroup_code,
                c.stars,
                c.number,
                shown_issuer(c.issuing_authority, c.stars, c.issued_on, commune),
                c.issued_on,
                c.expires_on,
                c.status,
                LifecycleState(state),
                c.id,
                renewals.get(c.id),
            )
            for c, p, commune, state in rows
        ]

    async def idea_form(self, person_id: int, dossier_id: int) -> IdeaForm:
        """The answers of the person's idea registration, for printing."""
        dossier = await self._dossier(person_id, dossier_id)
        product = await self._session.get_one(Product, dossier.product_id)
        subject = await self._session.get_one(Subject, product.subject_id)
        person = await self._session.get_one(Person, person_id)
        view = _dossier_view(dossier, product)
        return IdeaForm(
            view,
            person.full_name,
            person.phone_e164,
            subject.name,
            subject.subject_type,
            subject.business_registration_no,
            subject.commune_code,
            dict(product.idea_answers),
            product.idea_registered_at,
        )
