"""The whole data model of the bot, as typed SQLAlchemy 2 ORM classes.

Enumerated values (roles, statuses, kinds) are stored as short strings whose vocabulary
lives in :mod:`ocop_rules` or in :mod:`bot.db.vocab`; the database does not duplicate those
lists as native enums, so a rule change is a data change and never a schema migration.

Who sees what is decided in queries, not here, but the columns that scope them are indexed:
``commune_code`` on subjects and dossiers (officers see their commune), ``province_code`` on
communes and rounds (alerts and provincial staff), ``expires_on`` on certificates (the alert
sweep reads only the certificates due on a day).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Connection,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, Mapper, mapped_column, relationship

from bot.db.base import Base, utcnow
from bot.db.places import fill_audit_place

# Column sizes shared by several tables. Platform ids (chats, senders, events, files) are
# Text: their length is the platform's to choose (Zalo's have outgrown 64 characters).
CODE = 32
NAME = 255
COMMUNE_CODE = 5
PROVINCE_CODE = 2


class Commune(Base):
    """One of the 3,321 commune-level units in force since 1/7/2025 (xã, phường, đặc khu).

    Filled by the migration from ``vietnam-provinces``; ``search_key`` is the name folded
    to ASCII lower case so "xa xop" finds "Xã Xốp" with an index, not a scan.
    """

    __tablename__ = "communes"

    code: Mapped[str] = mapped_column(String(COMMUNE_CODE), primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME))
    division_type: Mapped[str] = mapped_column(String(16))
    province_code: Mapped[str] = mapped_column(String(PROVINCE_CODE), index=True)
    province_name: Mapped[str] = mapped_column(String(NAME))
    search_key: Mapped[str] = mapped_column(String(NAME), index=True)


class Person(Base):
    """A human the bot talks to: producer, commune officer or administrator.

    Personal fields (names, phone) stay empty until ``consent_at`` is set; erasure blanks
    them and sets ``erased_at`` while the programme's records keep the anonymous row.
    """

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str | None] = mapped_column(String(NAME))
    phone_e164: Mapped[str | None] = mapped_column(String(20), index=True)
    language: Mapped[str] = mapped_column(String(8), default="vi")
    role: Mapped[str] = mapped_column(String(16), default="producer")
    consent_at: Mapped[datetime | None]
    consent_version: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    erased_at: Mapped[datetime | None]

    accounts: Mapped[list[ChannelAccount]] = relationship(back_populates="person")


class ChannelAccount(Base):
    """A person's identity on one channel; ids are text of any length (Zalo ids exceed
    2**53, and their string form 64 characters)."""

    __tablename__ = "channel_accounts"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(Text)
    chat_id: Mapped[str] = mapped_column(Text)
    display_name: Mapped[str | None] = mapped_column(String(NAME))
    reachable: Mapped[bool] = mapped_column(Boolean, default=True)
    unreachable_since: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    person: Mapped[Person] = relationship(back_populates="accounts")


class AlertOptOut(Base):
    """A kind of alert a person asked not to receive (legal notices ignore this)."""

    __tablename__ = "alert_opt_outs"
    __table_args__ = (UniqueConstraint("person_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(CODE))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Subject(Base):
    """A chủ thể OCOP: cooperative, enterprise, household business… that owns products."""

    __tablename__ = "subjects"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    subject_type: Mapped[str] = mapped_column(String(CODE))
    name: Mapped[str] = mapped_column(String(NAME))
    business_registration_no: Mapped[str | None] = mapped_column(String(64))
    commune_code: Mapped[str] = mapped_column(ForeignKey("communes.code"), index=True)
    # The phone a province's published list gives for an imported subject (E.164).
    contact_phone_e164: Mapped[str | None] = mapped_column(String(20), index=True)
    representative_is_woman: Mapped[bool | None]
    representative_is_ethnic_minority: Mapped[bool | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Product(Base):
    """A product, from its idea registration onwards.

    The idea registration (phiếu đăng ký ý tưởng) fills these columns and the readable
    ``registration_code``; a product imported from a published list has no idea and
    carries ``import_key`` instead, which makes re-importing the same row a no-op.
    """

    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    registration_code: Mapped[str | None] = mapped_column(String(CODE), unique=True)
    import_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    name: Mapped[str] = mapped_column(String(NAME))
    group_code: Mapped[str] = mapped_column(String(CODE))
    subgroup_code: Mapped[str | None] = mapped_column(String(CODE))
    product_set: Mapped[int | None]  # QĐ 26 set number 1–26; None while not known yet
    is_new_product: Mapped[bool | None]
    description: Mapped[str | None] = mapped_column(Text)
    raw_materials: Mapped[str | None] = mapped_column(Text)
    raw_material_commune_pct: Mapped[int | None]
    raw_material_province_pct: Mapped[int | None]
    workers_total: Mapped[int | None]
    workers_local: Mapped[int | None]
    idea_origin: Mapped[str | None] = mapped_column(String(CODE))
    identity_notes: Mapped[str | None] = mapped_column(Text)
    papers_held: Mapped[list[Any]] = mapped_column(default=list)
    target_market: Mapped[str | None] = mapped_column(Text)
    support_wanted: Mapped[str | None] = mapped_column(Text)
    idea_answers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    idea_registered_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class EvaluationRound(Base):
    """A province's evaluation round (đợt đánh giá) with its deadlines.

    ``version`` grows whenever dates change, so alerts planned for the old dates carry a
    stale dedupe key and are never sent.
    """

    __tablename__ = "evaluation_rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    province_code: Mapped[str] = mapped_column(String(PROVINCE_CODE), index=True)
    name: Mapped[str] = mapped_column(String(NAME))
    opens_on: Mapped[date] = mapped_column(Date)
    registration_deadline: Mapped[date] = mapped_column(Date)
    commune_deadline: Mapped[date | None] = mapped_column(Date)
    council_from: Mapped[date | None] = mapped_column(Date)
    council_to: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Dossier(Base):
    """One pass of a product through the cycle: new, re-evaluation or upgrade.

    ``commune_code`` is copied from the subject when the dossier opens so the officer's
    queue is one indexed lookup by (commune, status).
    """

    __tablename__ = "dossiers"
    __table_args__ = (Index(None, "commune_code", "status", "status_changed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    kind: Mapped[str] = mapped_column(String(CODE))
    status: Mapped[str] = mapped_column(String(CODE))
    commune_code: Mapped[str] = mapped_column(ForeignKey("communes.code"))
    round_id: Mapped[int | None] = mapped_column(ForeignKey("evaluation_rounds.id"), index=True)
    # The certificate a re-evaluation or upgrade dossier renews; none for a first evaluation.
    certificate_id: Mapped[int | None] = mapped_column(
        ForeignKey("certificates.id", use_alter=True), index=True
    )
    year: Mapped[int]
    submitted_at: Mapped[datetime | None]
    status_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)


class DossierItem(Base):
    """One requirement of a dossier (``ocop_rules`` code) and what the producer answered."""

    __tablename__ = "dossier_items"
    __table_args__ = (UniqueConstraint("dossier_id", "requirement_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"))
    requirement_code: Mapped[str] = mapped_column(String(CODE))
    state: Mapped[str] = mapped_column(String(16), default="pending")
    note: Mapped[str | None] = mapped_column(Text)
    officer_check: Mapped[str | None] = mapped_column(String(16))
    officer_note: Mapped[str | None] = mapped_column(Text)
    # The answer the item had when the commune returned it, kept at the producer's first
    # change so the officer sees old → new; cleared by the officer's next form check.
    before_return: Mapped[str | None] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class EvidenceFile(Base):
    """A photo or file sent as evidence: the channel's own reference and, since the bot
    downloads files when they arrive, their bytes (loaded only when asked for)."""

    __tablename__ = "evidence_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_item_id: Mapped[int] = mapped_column(
        ForeignKey("dossier_items.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(16))
    file_ref: Mapped[str] = mapped_column(Text)
    media_type: Mapped[str | None] = mapped_column(String(NAME))
    size_bytes: Mapped[int | None]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    content: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)


class Document(Base):
    """A generated document (registration form, commune report) kept for download."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(CODE))
    filename: Mapped[str] = mapped_column(String(NAME))
    media_type: Mapped[str] = mapped_column(String(NAME))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CommuneAssessment(Base):
    """The commune's form check and four-criteria assessment of one dossier."""

    __tablename__ = "commune_assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), unique=True)
    officer_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    form_check: Mapped[str | None] = mapped_column(String(16))
    meeting_date: Mapped[date | None] = mapped_column(Date)
    meeting_participants: Mapped[str | None] = mapped_column(Text)
    conclusion: Mapped[str | None] = mapped_column(String(16))
    decided_at: Mapped[datetime | None]
    reopened_count: Mapped[int] = mapped_column(Integer, default=0)
    report_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CommuneCriterionAssessment(Base):
    """The facts seen and the conclusion for one of the four commune criteria."""

    __tablename__ = "commune_criterion_assessments"
    __table_args__ = (UniqueConstraint("assessment_id", "criterion"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("commune_assessments.id", ondelete="CASCADE")
    )
    criterion: Mapped[str] = mapped_column(String(CODE))
    facts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    conclusion: Mapped[str | None] = mapped_column(String(16))
    comment: Mapped[str | None] = mapped_column(Text)


class SelfAssessment(Base):
    """One run of the producer's self-assessment against the set's scoring sheet (Mẫu 02,
    phần III). A re-run is a new ``version``; earlier runs are kept for comparison.

    ``answers`` maps a criterion code to the chosen option's index (-1: skipped), written
    one at a time; ``total`` and ``stars`` are kept once the run is finished.
    """

    __tablename__ = "self_assessments"
    __table_args__ = (UniqueConstraint("dossier_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"))
    version: Mapped[int]
    product_set: Mapped[int]
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    total: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    stars: Mapped[int | None]
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]


class CouncilScore(Base):
    """One council member's score for a dossier (0–100, two decimals)."""

    __tablename__ = "council_scores"
    __table_args__ = (UniqueConstraint("dossier_id", "member_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"))
    member_name: Mapped[str] = mapped_column(String(NAME))
    score: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    entered_by: Mapped[str | None] = mapped_column(String(NAME))
    entered_at: Mapped[datetime] = mapped_column(default=utcnow)


class EvaluationResult(Base):
    """The council's result: average, stars, and who certifies or where it goes next."""

    __tablename__ = "evaluation_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), unique=True)
    evaluated_at_level: Mapped[str] = mapped_column(String(16))
    average_score: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    stars: Mapped[int]
    spread: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    certifying_level: Mapped[str | None] = mapped_column(String(16))
    forwarded_to_level: Mapped[str | None] = mapped_column(String(16))
    decided_on: Mapped[date] = mapped_column(Date)
    # The published decision: scores stay a draft the clerk may correct until it is recorded.
    decision_number: Mapped[str | None] = mapped_column(String(64))
    decision_date: Mapped[date | None] = mapped_column(Date)
    decision_signer: Mapped[str | None] = mapped_column(String(NAME))
    published_at: Mapped[datetime | None]


class Certificate(Base):
    """An OCOP certificate (3–5★), valid 36 months from issue."""

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id"), index=True)
    number: Mapped[str | None] = mapped_column(String(64))
    stars: Mapped[int]
    issuing_level: Mapped[str] = mapped_column(String(16))
    issuing_authority: Mapped[str] = mapped_column(String(NAME))
    decision_number: Mapped[str | None] = mapped_column(String(64))
    issued_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date] = mapped_column(Date, index=True)
    # The record's fact (ocop_rules.CertificateRecord); the shown state is derived from it.
    status: Mapped[str] = mapped_column(String(16), default="valid")
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    revocation_ground: Mapped[str | None] = mapped_column(String(CODE))  # RevocationGround
    revoked_on: Mapped[date | None] = mapped_column(Date)
    # The certificate of the re-evaluation or upgrade that replaced this one.
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"), index=True)
    # Điều 12.3: valid past expiry until the authority decides, at most 180 days.
    extended_until: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OfficerInvite(Base):
    """A one-time invitation making its holder an officer of one commune.

    Only a SHA-256 of the code is stored: a database leak does not hand out officer roles.
    """

    __tablename__ = "officer_invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    commune_code: Mapped[str] = mapped_column(ForeignKey("communes.code"), index=True)
    invitee_name: Mapped[str | None] = mapped_column(String(NAME))
    created_by: Mapped[str | None] = mapped_column(String(NAME))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    revoked_at: Mapped[datetime | None]


class InviteAttempt(Base):
    """A wrong invite code typed from an account; counted to limit guessing."""

    __tablename__ = "invite_attempts"
    __table_args__ = (Index(None, "channel", "external_id", "attempted_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(Text)
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow)


class OfficerAssignment(Base):
    """A person's officer role in one commune, granted by an accepted invite."""

    __tablename__ = "officer_assignments"
    __table_args__ = (UniqueConstraint("person_id", "commune_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    commune_code: Mapped[str] = mapped_column(ForeignKey("communes.code"), index=True)
    invite_id: Mapped[int | None] = mapped_column(ForeignKey("officer_invites.id"), index=True)
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)


class StaffAccount(Base):
    """A province or commune clerk's login to the admin web and API."""

    __tablename__ = "staff_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(NAME))
    scope_kind: Mapped[str] = mapped_column(String(16))
    scope_code: Mapped[str] = mapped_column(String(COMMUNE_CODE))
    api_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    disabled_at: Mapped[datetime | None]


class AdminSession(Base):
    """A signed-in browser of the admin web: the cookie holds a random token, the row only
    its SHA-256, so logging out (``ended_at``) ends it on every process at once."""

    __tablename__ = "admin_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_id: Mapped[int] = mapped_column(
        ForeignKey("staff_accounts.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    ended_at: Mapped[datetime | None]


class LoginThrottle(Base):
    """Wrong passwords in a row for one username from one address, and until when the
    next try from there must wait; kept in the database so that every process and a
    restart see the same count."""

    __tablename__ = "login_throttles"
    __table_args__ = (UniqueConstraint("username", "address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_try_at: Mapped[datetime] = mapped_column(index=True)
    wait_until: Mapped[datetime]


class OutboxMessage(Base):
    """A notification waiting to be sent, sent, skipped or failed (the dead letter);
    its states are :class:`bot.db.vocab.OutboxState`.

    ``dedupe_key`` is unique: planning the same alert twice inserts nothing, which is
    what makes "sent exactly once" hold across sweeps, restarts and processes.
    """

    __tablename__ = "notification_outbox"
    __table_args__ = (Index(None, "state", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(255), unique=True)
    recipient_person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(CODE))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    due_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]  # when it became a dead letter (``OutboxState``)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # How it went out (``bot.oa_delivery.Route``): the chat, or the OA template by phone.
    route: Mapped[str | None] = mapped_column(String(CODE))
    delivered_at: Mapped[datetime | None]  # a template's receipt (user_received_message)


class AlertSweep(Base):
    """How far the alert sweep has planned: the last local day it covered.

    The next sweep starts the day after, so a restart after downtime plans the days it
    missed (then skips what is too late) and a normal sweep reads only today's rows.
    """

    __tablename__ = "alert_sweeps"

    id: Mapped[int] = mapped_column(primary_key=True)
    swept_through: Mapped[date] = mapped_column(Date)
    swept_at: Mapped[datetime]


class ConversationSession(Base):
    """Where one chat is in a conversation; ``version`` guards concurrent writers."""

    __tablename__ = "conversation_sessions"
    __table_args__ = (UniqueConstraint("channel", "chat_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(Text)
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    flow: Mapped[str | None] = mapped_column(String(CODE))
    step: Mapped[str | None] = mapped_column(String(CODE))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    language: Mapped[str | None] = mapped_column(String(8))
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ProcessedEvent(Base):
    """An inbound event already handled; a redelivery with the same id is ignored."""

    __tablename__ = "processed_events"
    __table_args__ = (UniqueConstraint("channel", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[str] = mapped_column(Text)
    processed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class ChatArrival(Base):
    """An event of a chat that a process has received and not yet applied, with its place
    in the platform's order (``order_at``, ``order_key``: :attr:`bot.messages.Inbound.order`).

    Written and committed before the event waits for its chat, and deleted in the step
    that applies it, so a process about to commit a step can see that another process
    holds an earlier event of the same chat and let that one go first
    (:mod:`bot.engine`). Used on PostgreSQL, where several processes share the database.
    """

    __tablename__ = "chat_arrivals"
    __table_args__ = (
        UniqueConstraint("channel", "event_id"),
        Index(None, "channel", "chat_id", "order_at", "order_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(Text)
    event_id: Mapped[str] = mapped_column(Text)
    order_at: Mapped[int] = mapped_column(BigInteger)
    order_key: Mapped[str] = mapped_column(Text)
    arrived_at: Mapped[datetime]


class ConversationProcess(Base):
    """A process that handles conversations on this database (``serve``, ``poll``), alive
    while ``seen_at`` is recent: it writes it again at every beat (:mod:`bot.presence`).
    ``channels``: those it takes events from (:class:`bot.messages.Channel` values, space
    separated). While another one takes events of the same channel, a step waits out the
    order window before it starts (:mod:`bot.engine`)."""

    __tablename__ = "conversation_processes"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    channels: Mapped[str] = mapped_column(Text)
    seen_at: Mapped[datetime]


class ReplyRow(Base):
    """A reply of a conversation step, written in the step's own transaction and removed
    once the platform took it; its states are :class:`bot.db.vocab.ReplyState`.

    ``id`` orders a chat's replies; ``chat_id`` is the chat's cleaned id (its key, as
    in ``conversation_sessions``), ``address`` the id the platform gave, to send to.
    ``body`` holds the message as
    :mod:`bot.replies.codec` writes it, ``content`` a document's bytes. A row being sent
    is leased until its ``next_attempt_at``: a process that dies leaves it to be sent
    again once the lease runs out, so only the message then in flight can be said twice.
    """

    __tablename__ = "reply_outbox"
    __table_args__ = (
        Index(None, "channel", "chat_id", "id"),
        Index(None, "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(Text)
    address: Mapped[str] = mapped_column(Text)
    event_id: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(CODE))
    body: Mapped[dict[str, Any]] = mapped_column()
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime]  # pending: when it may go; sending: its lease's end
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    failed_at: Mapped[datetime | None]


class AuditEntry(Base):
    """Append-only record of who changed what; the code never updates or deletes rows,
    except to blank personal values when a person exercises the right to erasure."""

    __tablename__ = "audit_log"
    __table_args__ = (Index(None, "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    actor_label: Mapped[str | None] = mapped_column(String(NAME))
    action: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str] = mapped_column(String(CODE))
    entity_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column()
    after: Mapped[dict[str, Any] | None] = mapped_column()
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # Where the entry belongs, so staff find it by commune, dossier or product and see only
    # their own province's or commune's entries; filled from the entity when the writer does
    # not say (:func:`bot.db.places.fill_audit_place`). Plain values, no foreign keys: the
    # log outlives what it speaks of.
    province_code: Mapped[str | None] = mapped_column(String(PROVINCE_CODE), index=True)
    commune_code: Mapped[str | None] = mapped_column(String(COMMUNE_CODE), index=True)
    dossier_id: Mapped[int | None] = mapped_column(index=True)
    product_id: Mapped[int | None] = mapped_column(index=True)


@event.listens_for(AuditEntry, "before_insert")
def _audit_entry_place(
    _mapper: Mapper[AuditEntry], connection: Connection, entry: AuditEntry
) -> None:
    """Every audit entry is findable by its place, whoever wrote it."""
    fill_audit_place(connection, entry)


class Announcement(Base):
    """A short message staff sent to a segment of the people of their scope.

    Each person reached gets one outbox row keyed ``announcement:<id>:<person>``, so the
    dispatcher's quiet hours, opt-out and pacing apply, and nobody gets it twice; the
    delivery counts are those rows' states. ``submission_key`` is the one-time key of the
    form or API call that sent it: the same send submitted again finds this row instead of
    making a second announcement.
    """

    __tablename__ = "announcements"
    __table_args__ = (UniqueConstraint("author", "submission_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))  # "province:51", "commune:23356"
    province_code: Mapped[str] = mapped_column(String(PROVINCE_CODE), index=True)
    author: Mapped[str] = mapped_column(String(NAME))
    body: Mapped[str] = mapped_column(Text)
    segment: Mapped[dict[str, Any]] = mapped_column(default=dict)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    submission_key: Mapped[str | None] = mapped_column(String(64))


class OfficerQuestion(Base):
    """A producer's question to their commune's officers, and its answer.

    ``routed_to`` says who was asked: the commune's officers on the bot, or (when the
    commune has none) the province's staff, in their admin inbox. ``dossier_id`` keeps the
    conversation with the dossier it is about, when the producer named one.
    """

    __tablename__ = "officer_questions"
    __table_args__ = (Index(None, "commune_code", "answered_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    producer_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    commune_code: Mapped[str] = mapped_column(ForeignKey("communes.code"))
    province_code: Mapped[str] = mapped_column(String(PROVINCE_CODE), index=True)
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id"), index=True)
    routed_to: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
    asked_at: Mapped[datetime] = mapped_column(default=utcnow)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[str | None] = mapped_column(String(NAME))
    answered_at: Mapped[datetime | None]


class ZaloOAToken(Base):
    """The Zalo Official Account's OAuth pair, sealed with ``OCOP_SECRET_KEY``
    (:mod:`bot.oa_tokens`); one row per OA.

    The refresh token is single use: the row is locked while it is spent, and the new pair
    is committed before the new access token is used. A failed refresh leaves the pair as it
    was and records why, for ``ocop-bot doctor``.
    """

    __tablename__ = "zalo_oa_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    oa_id: Mapped[str] = mapped_column(String(64), unique=True)
    access_token: Mapped[str] = mapped_column(Text)  # sealed
    refresh_token: Mapped[str] = mapped_column(Text)  # sealed
    access_expires_at: Mapped[datetime]
    refresh_expires_at: Mapped[datetime]
    refreshed_at: Mapped[datetime]
    refresh_failed_at: Mapped[datetime | None]
    refresh_error: Mapped[str | None] = mapped_column(Text)
    oa_name: Mapped[str | None] = mapped_column(Text)  # as the OA's profile gave it at grant


class ZaloOAChat(Base):
    """A Zalo OA follower's messaging window: when they last wrote and how many free replies
    the OA sent since (:data:`bot.oa_delivery.WINDOW`). ``user_id`` is the follower's id for
    this OA (numeric text beyond 2**53)."""

    __tablename__ = "zalo_oa_chats"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(Text, unique=True)
    last_inbound_at: Mapped[datetime]
    last_msg_id: Mapped[str | None] = mapped_column(Text)
    replies_since: Mapped[int] = mapped_column(Integer, default=0)


class ZaloOAInboxEvent(Base):
    """A Zalo OA event kept as it arrived, before its step runs: the webhook answers once
    this row is committed (Zalo wants its 200 within 2 seconds) and handles the event right
    after; ``handled_at`` stays empty until then, so a process that dies in between leaves
    it to be handled by the next sweep (:mod:`bot.oa_inbox`)."""

    __tablename__ = "zalo_oa_inbox"
    __table_args__ = (Index(None, "handled_at", "received_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(Text, unique=True)
    body: Mapped[dict[str, Any]] = mapped_column()
    received_at: Mapped[datetime]
    handled_at: Mapped[datetime | None]


class OATemplate(Base):
    """The approved Zalo template (ZBS) an alert kind goes out as, mapped on the admin page
    (:mod:`bot.oa_templates`): its id, its title and paragraphs as Zalo approved them (their
    ``<param>`` places checked against Zalo's limits), and the outbox fact each parameter
    is filled from."""

    __tablename__ = "oa_templates"

    kind: Mapped[str] = mapped_column(String(48), primary_key=True)
    template_id: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text)
    paragraphs: Mapped[list[Any]] = mapped_column()
    params: Mapped[dict[str, Any]] = mapped_column()  # parameter name → outbox fact
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(Text)


class OATemplateSend(Base):
    """One template message tried for an alert: accepted (``error_code`` empty) or refused,
    with the daily quota the answer reported; the admin page counts these by kind."""

    __tablename__ = "oa_template_sends"
    __table_args__ = (Index(None, "kind", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    outbox_id: Mapped[int] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(48))
    template_id: Mapped[str] = mapped_column(String(64))
    error_code: Mapped[int | None]
    quota_daily: Mapped[int | None]
    quota_left: Mapped[int | None]
    at: Mapped[datetime]
