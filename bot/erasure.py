"""The right to erasure (Nghị định 13/2023/NĐ-CP, Art. 16): what ``/xoadulieu`` removes and
what the programme keeps, and how the removed values leave the database files too.

Erased: the person's name and phone; their chat accounts and chats' drafts; every text they
typed — the subject's name and registration number, a product's name, description, raw
materials, local story and wanted support, a dossier item's note, the free-text answers kept
with an idea — and the references to the files they sent as evidence; their generated
documents, queued notices, notice choices, officer roles and wrong invite codes; their name in
the audit log and on the invitation that made them an officer.

Kept, without anything that names the person: a subject that has products, with its type,
commune and products, because the OCOP cycle (QĐ 26/2026/QĐ-TTg: Điều 2.3 on subjects,
Điều 7 on the procedure, Điều 8–9 on revocation and monitoring of recognised products)
counts, evaluates and follows products per subject and commune; each product's group, codes,
figures and dossiers with their statuses, assessments, scores and certificates, the decisions
officials took on them. Two names stay because the person did not make them private: a name
the province published in its list of recognised products (the imported rows,
``import_key``), and the name of a product that holds a certificate, which the recognition
decision publishes. The commune's report (a document of the commune People's Committee) is the
commune's record and stays too.

A deleted or overwritten value also lingers in the database files: SQLite zeroes it in place
(``secure_delete``, :mod:`bot.db.engine`), and its WAL is checkpointed and truncated after the
erasure commits; PostgreSQL keeps the old row versions until a vacuum, so
:func:`reclaim` rewrites the tables erasure touches (``ocop-bot vacuum``, see the README).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.db.engine import checkpoint_after_commit
from bot.db.models import (
    AlertOptOut,
    AuditEntry,
    Certificate,
    ChannelAccount,
    ConversationSession,
    Document,
    Dossier,
    DossierItem,
    EvidenceFile,
    InviteAttempt,
    OfficerAssignment,
    OfficerInvite,
    OfficerQuestion,
    OutboxMessage,
    Person,
    Product,
    ReplyRow,
    Subject,
)
from handlers.conversation import Kind
from handlers.ideas import EARLIER_TYPED_ANSWERS
from handlers.ideas import STEPS as IDEA_STEPS

log = logging.getLogger(__name__)

# The idea registration's answers the person wrote in their own words (the rest are codes,
# numbers and choices from closed lists, which say nothing about who answered).
TYPED_IDEA_ANSWERS = EARLIER_TYPED_ANSWERS | frozenset(
    name for name, step in IDEA_STEPS.items() if step.kind is Kind.TEXT
)
# Every table whose rows erasure deletes or overwrites, and the replies (which repeat what
# the person typed, and are deleted once sent): the ones whose dead row versions a
# PostgreSQL vacuum must clear.
TOUCHED_TABLES: tuple[Table, ...] = tuple(
    model.__table__  # type: ignore[misc]  # mapped classes carry their Table
    for model in (
        Person,
        ChannelAccount,
        Subject,
        Product,
        DossierItem,
        EvidenceFile,
        Document,
        OutboxMessage,
        AlertOptOut,
        OfficerAssignment,
        OfficerInvite,
        InviteAttempt,
        ConversationSession,
        AuditEntry,
        ReplyRow,
    )
)


def anonymous_subject_name(subject_id: int) -> str:
    """What a kept subject is called once its owner's words are gone."""
    return f"Chủ thể #{subject_id} (đã ẩn danh)"


def anonymous_product_name(product_id: int) -> str:
    """What a kept product is called once its owner's words are gone."""
    return f"Sản phẩm #{product_id} (đã ẩn danh)"


async def erase_person(session: AsyncSession, *, person_id: int, now: datetime) -> int:
    """Erase what the person gave us, in the caller's transaction; return how many products
    are kept (anonymised) for the programme's records.

    Subjects without products are deleted; the others are detached from the person and
    stripped of everything typed (module docstring). On SQLite the WAL is checkpointed once
    the caller commits.
    """
    owned = select(Subject.id).where(Subject.owner_person_id == person_id)
    with_products = set(
        (await session.scalars(owned.where(Subject.id.in_(select(Product.subject_id))))).all()
    )
    await session.execute(
        delete(Subject)
        .where(Subject.owner_person_id == person_id)
        .where(Subject.id.not_in(with_products))
    )
    kept = await _strip_products(session, with_products)
    await _strip_subjects(session, with_products)
    await _forget_chats(session, person_id)
    # Their questions to the officer, and the notices carrying them not yet sent.
    asked = (
        await session.scalars(
            select(OfficerQuestion.id).where(OfficerQuestion.producer_person_id == person_id)
        )
    ).all()
    for question in asked:
        await session.execute(
            delete(OutboxMessage).where(
                OutboxMessage.dedupe_key.like(f"officer_question:{question}:%")
            )
        )
    for model, owner in (
        (OfficerQuestion, OfficerQuestion.producer_person_id),
        (Document, Document.owner_person_id),
        (OutboxMessage, OutboxMessage.recipient_person_id),
        (AlertOptOut, AlertOptOut.person_id),
        (OfficerAssignment, OfficerAssignment.person_id),
    ):
        await session.execute(delete(model).where(owner == person_id))
    await session.execute(
        update(OfficerInvite)
        .where(OfficerInvite.used_by_person_id == person_id)
        .values(invitee_name=None)
    )
    await session.execute(
        update(AuditEntry).where(AuditEntry.actor_person_id == person_id).values(actor_label=None)
    )
    await session.execute(
        update(AuditEntry)
        .where(AuditEntry.entity_type == "person")
        .where(AuditEntry.entity_id == str(person_id))
        .values(before=None, after=None)
    )
    await session.execute(
        update(Person)
        .where(Person.id == person_id)
        .values(full_name=None, phone_e164=None, erased_at=now)
    )
    await checkpoint_after_commit(await session.connection())
    return kept


async def _strip_subjects(session: AsyncSession, subject_ids: set[int]) -> None:
    """Detach the kept subjects and drop what the person typed or is about them."""
    published = set(
        (
            await session.scalars(
                select(Product.subject_id)
                .where(Product.subject_id.in_(subject_ids))
                .where(Product.import_key.is_not(None))
            )
        ).all()
    )
    for subject in await session.scalars(select(Subject).where(Subject.id.in_(subject_ids))):
        subject.owner_person_id = None
        subject.business_registration_no = None
        subject.contact_phone_e164 = None
        subject.representative_is_woman = None
        subject.representative_is_ethnic_minority = None
        if subject.id not in published:
            subject.name = anonymous_subject_name(subject.id)


async def _strip_products(session: AsyncSession, subject_ids: set[int]) -> int:
    """Blank the typed text of the subjects' products and their dossiers; return how many
    products there are."""
    certified = select(Certificate.product_id)
    products = (
        await session.scalars(select(Product).where(Product.subject_id.in_(subject_ids)))
    ).all()
    certified_ids = set(
        (
            await session.scalars(
                certified.where(Certificate.product_id.in_(p.id for p in products))
            )
        ).all()
    )
    for product in products:
        if product.import_key is None and product.id not in certified_ids:
            product.name = anonymous_product_name(product.id)
        product.description = product.raw_materials = None
        product.identity_notes = product.support_wanted = None
        product.idea_answers = {
            key: value
            for key, value in product.idea_answers.items()
            if key not in TYPED_IDEA_ANSWERS
        }
    dossiers = select(Dossier.id).where(Dossier.product_id.in_(p.id for p in products))
    items = select(DossierItem.id).where(DossierItem.dossier_id.in_(dossiers))
    await session.execute(delete(EvidenceFile).where(EvidenceFile.dossier_item_id.in_(items)))
    await session.execute(
        update(DossierItem).where(DossierItem.dossier_id.in_(dossiers)).values(note=None)
    )
    return len(products)


async def _forget_chats(session: AsyncSession, person_id: int) -> None:
    """Delete the person's chat accounts, with the drafts of their chats and the wrong
    invite codes typed from them."""
    accounts = (
        await session.execute(
            select(
                ChannelAccount.channel, ChannelAccount.external_id, ChannelAccount.chat_id
            ).where(ChannelAccount.person_id == person_id)
        )
    ).all()
    wiped: dict[str, Any] = {"flow": None, "step": None, "data": {}, "person_id": None}
    await session.execute(
        update(ConversationSession)
        .where(ConversationSession.person_id == person_id)
        .values(**wiped)
    )
    for channel, external_id, chat_id in accounts:
        await session.execute(
            update(ConversationSession)
            .where(ConversationSession.channel == channel)
            .where(ConversationSession.chat_id == chat_id)
            .values(**wiped)
        )
        await session.execute(
            delete(InviteAttempt)
            .where(InviteAttempt.channel == channel)
            .where(InviteAttempt.external_id == external_id)
        )
    await session.execute(delete(ChannelAccount).where(ChannelAccount.person_id == person_id))


async def reclaim(engine: AsyncEngine) -> list[str]:
    """Clear erased values out of the database files; return the tables rewritten.

    PostgreSQL: ``VACUUM (FULL, ANALYZE)`` of every table erasure touches — it writes each
    table and its indexes anew, so the old row versions are gone from the files (a plain
    ``VACUUM`` only marks their space reusable, and may leave their bytes), and samples
    the statistics again, whose sampled values may hold an erased name. Each table is locked while
    it is rewritten, seconds at a province's scale. SQLite needs only the WAL checkpoint,
    which the erasure already asked for; it is run again here in case a reader held it off.
    """
    if engine.dialect.name == "sqlite":
        async with engine.connect() as connection:
            await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        return []
    names = [table.name for table in TOUCHED_TABLES]
    async with engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        for name in names:
            await autocommit.execute(text(f'VACUUM (FULL, ANALYZE) "{name}"'))
            log.info("vacuumed", extra={"table": name})
    return names
