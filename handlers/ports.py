"""What handlers need from the outside, as protocols the bot implements.

The engine hands a handler an implementation bound to the inbound event's transaction, so
records a step creates are committed together with the chat's new state — or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from typing import Protocol

from bot.messages import Channel
from handlers.i18n import Translator
from ocop_rules import LifecycleState


@dataclass(frozen=True, slots=True)
class Profile:
    """The registered person behind a chat."""

    person_id: int
    full_name: str | None
    role: str
    language: str


@dataclass(frozen=True, slots=True)
class NewProducer:
    """Everything onboarding collected, after consent."""

    full_name: str
    phone_e164: str
    commune_code: str
    subject_type: str
    subject_name: str
    business_registration_no: str | None
    consent_at: datetime
    language: str


@dataclass(frozen=True, slots=True)
class KnownPerson:
    """Someone already registered with a phone number, and where the bot reaches them."""

    person_id: int
    channel: str


@dataclass(frozen=True, slots=True)
class ClaimOffer:
    """A subject from the province's published list that nobody has claimed, which looks
    like the person's own: the same phone, or the same name in the same commune."""

    subject_id: int
    name: str
    commune_code: str
    products: tuple[tuple[str, int], ...]  # (product name, stars of its current certificate)
    by_phone: bool


@dataclass(frozen=True, slots=True)
class SubjectView:
    """A producer organisation as shown to its owner."""

    name: str
    subject_type: str
    commune_code: str
    business_registration_no: str | None


@dataclass(frozen=True, slots=True)
class PersonalData:
    """Everything personal stored about one person."""

    full_name: str | None
    phone_e164: str | None
    language: str
    consent_at: datetime | None
    accounts: tuple[str, ...]
    subjects: tuple[SubjectView, ...]


@dataclass(frozen=True, slots=True)
class NewIdea:
    """The answers of an idea registration, typed. Only the first five are asked at
    registration; the others are facts declared later (None until then)."""

    product_name: str
    group: str
    product_set: int  # QĐ 26/2026/QĐ-TTg, Phụ lục I: 1–26
    is_new_product: bool
    description: str
    answers: dict[str, object]
    raw_materials: str | None = None
    raw_material_commune_pct: int | None = None
    raw_material_province_pct: int | None = None
    workers_total: int | None = None
    workers_local: int | None = None
    idea_origin: str | None = None
    identity_story: str | None = None
    papers_held: tuple[str, ...] = ()
    target_market: str | None = None
    support_wanted: str | None = None


@dataclass(frozen=True, slots=True)
class IdeaReceipt:
    """What the producer is told after registering an idea."""

    code: str
    officers_notified: int


@dataclass(frozen=True, slots=True)
class DossierView:
    """A product's open dossier, as its producer sees it."""

    dossier_id: int
    product_name: str
    registration_code: str | None
    group: str
    subgroup: str | None
    kind: str
    status: str
    # The QĐ 26 set (None while not known yet) and the day the dossier counts as filed, which
    # chooses the rules it is judged under (QĐ 26, Điều 12.2).
    product_set: int | None
    filed_on: date


@dataclass(frozen=True, slots=True)
class ItemView:
    """One checklist item's answer so far."""

    code: str
    state: str
    evidence_count: int
    # The commune's check when it returned the dossier ("missing" with its reason), and the
    # answer the item had then when the producer has changed it since (None: unchanged).
    officer_check: str | None = None
    officer_note: str | None = None
    before_return: str | None = None


@dataclass(frozen=True, slots=True)
class Evidence:
    """A file sent as evidence: the channel's reference and the bytes the bot fetched."""

    channel: str
    file_ref: str
    media_type: str | None
    size_bytes: int | None
    content: bytes | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class OfficerContact:
    """A commune officer who can be called: their name and the phone they registered."""

    name: str | None
    phone_e164: str


@dataclass(frozen=True, slots=True)
class CommuneContacts:
    """Where a person can get help face to face: their commune and its officers' phones."""

    commune_code: str
    officers: tuple[OfficerContact, ...]


@dataclass(frozen=True, slots=True)
class RoundView:
    """An evaluation round of the producer's province."""

    name: str
    registration_deadline: date
    commune_deadline: date | None
    council_from: date | None


@dataclass(frozen=True, slots=True)
class StatusView:
    """Where one of the person's products stands."""

    dossier: DossierView
    items: tuple[ItemView, ...]
    commune_conclusion: str | None
    round: RoundView | None
    stars: int | None
    # The level a provincial score of 90 or more went to (ocop_rules.route_score): until it
    # scores, the product has no stars to show.
    forwarded_to: str | None = None


@dataclass(frozen=True, slots=True)
class CertificateView:
    """A certificate of one of the person's products."""

    product_name: str
    group: str
    subgroup: str | None
    stars: int
    number: str | None
    issuing_authority: str
    issued_on: date
    expires_on: date
    status: str
    state: LifecycleState  # from bot.certificate_states, the same everywhere
    certificate_id: int = 0
    # An open re-evaluation or upgrade dossier that renews this certificate, if any.
    renewal_kind: str | None = None


@dataclass(frozen=True, slots=True)
class IdeaForm:
    """What the idea registration form prints."""

    dossier: DossierView
    person_name: str | None
    phone_e164: str | None
    subject_name: str
    subject_type: str
    business_registration_no: str | None
    commune_code: str
    answers: dict[str, object]
    registered_at: datetime | None


@dataclass(frozen=True, slots=True)
class SelfAssessmentView:
    """The latest run of a dossier's self-assessment against its set's scoring sheet.

    ``answers``: criterion code → answer index (-1: skipped); ``total`` and ``stars`` are
    set once the run is finished; ``previous`` is the total of the last finished earlier
    run, for comparison.
    """

    dossier_id: int
    version: int
    product_set: int
    answers: dict[str, int]
    finished_at: datetime | None
    total: Decimal | None
    stars: int | None
    previous: Decimal | None = None


class ProducerStore(Protocol):
    """Reads and writes of the producer's conversations, inside the event's transaction."""

    async def register_producer(
        self,
        producer: NewProducer,
        *,
        channel: Channel,
        external_id: str,
        chat_id: str,
        display_name: str | None,
    ) -> Profile:
        """Create the person, their channel account and their subject."""
        ...

    async def set_language(self, person_id: int, language: str) -> None:
        """Remember the person's language."""
        ...

    async def person_by_phone(self, phone_e164: str) -> KnownPerson | None:
        """The registered person with this number whom the bot can still reach, if any."""
        ...

    async def claim_offers(self, person_id: int) -> list[ClaimOffer]:
        """Imported subjects nobody owns that look like the person's (see ClaimOffer)."""
        ...

    async def claim_subject(self, person_id: int, subject_id: int) -> ClaimOffer | None:
        """Make an offered subject the person's (still unowned and still matching); None
        when it is not on offer to them."""
        ...

    async def queue_link_code(
        self, person_id: int, code: str, channel: str, expires_at: datetime
    ) -> bool:
        """Queue a one-time code (``channel``: where it is asked for) to the person's
        reachable account; False when too many codes went to them in the last hour."""
        ...

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
        ...

    async def personal_data(self, person_id: int) -> PersonalData:
        """Everything personal stored about the person."""
        ...

    async def register_idea(self, person_id: int, idea: NewIdea, now: datetime) -> IdeaReceipt:
        """Save the idea as a product with its first dossier; notify the commune's officers."""
        ...

    async def open_dossiers(self, person_id: int) -> list[DossierView]:
        """The person's dossiers that are not final, oldest first."""
        ...

    async def checklist(self, person_id: int, dossier_id: int, codes: list[str]) -> list[ItemView]:
        """The items of the person's dossier, created as pending when missing."""
        ...

    async def answer_item(
        self, person_id: int, dossier_id: int, code: str, state: str, evidence: Evidence | None
    ) -> ItemView:
        """Record an item's state (and a file) on the person's own dossier."""
        ...

    async def set_product_set(self, person_id: int, dossier_id: int, number: int) -> None:
        """Record the set (1–26) of the product of the person's own dossier."""
        ...

    async def open_renewal(
        self, person_id: int, certificate_id: int, kind: str
    ) -> DossierView | None:
        """The open re-evaluation or upgrade dossier (``kind``) of the person's certificate,
        created in preparation at the commune when there is none; None when the certificate
        is not the person's or is no longer valid."""
        ...

    async def resend_dossier(self, person_id: int, dossier_id: int) -> int | None:
        """Tell the commune's officers that the person's returned dossier was completed; how
        many officers were told, or None when the dossier is not a returned one."""
        ...

    async def set_business_registration_no(self, person_id: int, number: str) -> None:
        """Record the number of the person's business registration, told with its paper."""
        ...

    async def declare_facts(
        self, person_id: int, *, dossier_id: int, facts: dict[str, object]
    ) -> None:
        """Record the product's declared facts (raw materials, workers, origin, story) on
        the product of the person's own dossier: their one home."""
        ...

    async def self_assessment(self, person_id: int, dossier_id: int) -> SelfAssessmentView | None:
        """The latest self-assessment of the person's dossier, or None."""
        ...

    async def start_self_assessment(
        self, person_id: int, dossier_id: int, product_set: int
    ) -> SelfAssessmentView:
        """Begin a new run (the next version; earlier runs are kept)."""
        ...

    async def answer_criterion(
        self, person_id: int, dossier_id: int, code: str, index: int
    ) -> dict[str, int]:
        """Record one answer of the latest run (-1: skipped); its answers now."""
        ...

    async def finish_self_assessment(
        self, person_id: int, dossier_id: int, total: Decimal, stars: int
    ) -> None:
        """Mark the latest run finished with its total and star band."""
        ...

    async def statuses(self, person_id: int, today: date) -> list[StatusView]:
        """Every open dossier of the person with its progress, commune step, round, result."""
        ...

    async def certificates(self, person_id: int, today: date) -> list[CertificateView]:
        """The certificates of the person's products, newest first."""
        ...

    async def idea_form(self, person_id: int, dossier_id: int) -> IdeaForm:
        """The answers of the person's idea registration, for printing."""
        ...

    async def erase_person(self, person_id: int) -> int:
        """Delete the person's personal data; return how many products are kept anonymised."""
        ...

    async def alert_opt_outs(self, person_id: int) -> set[str]:
        """The kinds of notice the person turned off."""
        ...

    async def set_alert_opt_out(self, person_id: int, kind: str, *, off: bool) -> None:
        """Turn one kind of notice off (or back on) for the person."""
        ...

    async def commune_contacts(self, person_id: int) -> CommuneContacts | None:
        """The person's commune (their subject's, else the one they serve) and its other
        officers who have a phone; None when no commune is known."""
        ...


# --- the commune officer's side ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InviteOutcome:
    """What became of a typed invite code.

    ``result``: "accepted", "already" (this person already serves that commune), "unknown",
    "expired", "used", "revoked" or "cooldown" (too many wrong codes: not checked at all).
    """

    result: str
    commune_code: str | None = None
    retry_after_minutes: int = 0
    profile: Profile | None = None


@dataclass(frozen=True, slots=True)
class QueueEntry:
    """A dossier waiting for the commune step, as the officer's queue lists it."""

    dossier: DossierView
    commune_code: str
    producer: str
    waiting_since: datetime
    item_states: dict[str, str]
    form_check: str | None
    # Items the producer changed since the commune returned the dossier: (code, old, new).
    changed: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class OverviewEntry:
    """One product of the commune with where it stands."""

    subject_name: str
    product_name: str
    registration_code: str | None
    status: str | None
    certificate_stars: int | None
    certificate_expires_on: date | None
    certificate_state: LifecycleState | None = None


@dataclass(frozen=True, slots=True)
class OfficerItem:
    """A dossier item as the producer answered it and the officer checked it."""

    code: str
    state: str
    evidence_count: int
    officer_check: str | None
    officer_note: str | None
    before_return: str | None = None  # its answer when returned, once the producer changed it


@dataclass(frozen=True, slots=True)
class CriterionView:
    """The commune's finding on one criterion."""

    criterion: str
    facts: dict[str, object]
    conclusion: str | None
    comment: str | None


@dataclass(frozen=True, slots=True)
class OfficerDossier:
    """Everything an officer sees of one dossier of their commune."""

    dossier: DossierView
    commune_code: str
    subject_name: str
    subject_type: str
    producer: str | None
    declared: dict[str, object]
    items: tuple[OfficerItem, ...]
    form_check: str | None
    criteria: tuple[CriterionView, ...]
    conclusion: str | None
    meeting_date: date | None
    meeting_participants: str | None
    decided_at: datetime | None
    reopened_count: int
    has_report: bool
    round: RoundView | None
    self_assessment: SelfAssessmentView | None = None


@dataclass(frozen=True, slots=True)
class FormCheck:
    """The officer's check of the dossier's form: per item đủ / thiếu and a note."""

    checks: dict[str, tuple[str, str | None]]
    send_back: bool


@dataclass(frozen=True, slots=True)
class NewAssessment:
    """The officer's confirmed findings on the four criteria and the meeting."""

    criteria: tuple[CriterionView, ...]
    conclusion: str | None  # none since QĐ 26: the commune's report concludes nothing
    meeting_date: date
    meeting_participants: str


class OfficerStore(Protocol):
    """Reads and writes of the officer's conversations; every one scoped to the officer's
    communes: a dossier elsewhere is simply not found (``None`` / ``False``)."""

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
        """Check a typed code (rate limited per account) and grant the commune role."""
        ...

    async def officer_communes(self, person_id: int) -> list[str]:
        """Codes of the communes the person serves as officer."""
        ...

    async def commune_queue(self, person_id: int) -> list[QueueEntry]:
        """Dossiers of the officer's communes in the commune step, oldest first."""
        ...

    async def commune_overview(self, person_id: int, today: date) -> list[OverviewEntry]:
        """Every product of the officer's communes with its latest status and certificate."""
        ...

    async def commune_certificate_states(
        self, person_id: int, today: date
    ) -> dict[LifecycleState, int]:
        """How many certificates of the officer's communes are in each state on ``today``."""
        ...

    async def officer_dossier(self, person_id: int, dossier_id: int) -> OfficerDossier | None:
        """One dossier of the officer's communes, or None (also for another commune's)."""
        ...

    async def dossier_id_by_code(self, person_id: int, code: str) -> int | None:
        """The dossier of a registration code in the officer's communes, or None."""
        ...

    async def registration_code_known(self, code: str) -> bool:
        """Whether any product has the registration code ``code``, in any commune."""
        ...

    async def record_denied(self, person_id: int, action: str, target: str) -> None:
        """Audit an attempt to act on something outside the officer's communes."""
        ...

    async def save_form_check(self, person_id: int, dossier_id: int, check: FormCheck) -> bool:
        """Store the form check; send the dossier back to the producer when asked."""
        ...

    async def save_assessment(
        self,
        person_id: int,
        dossier_id: int,
        assessment: NewAssessment,
        report: bytes,
        filename: str,
    ) -> bool:
        """Store the findings and the report; move the dossier; tell the producer."""
        ...

    async def reopen_assessment(self, person_id: int, dossier_id: int) -> bool:
        """Reopen the commune's assessment; refused once the proposal went to the province."""
        ...

    async def submit_to_province(self, person_id: int, dossier_id: int) -> bool:
        """Send the commune's proposal upward (only for a dossier that meets the criteria)."""
        ...

    async def commune_report(self, person_id: int, dossier_id: int) -> bytes | None:
        """The stored commune report of the dossier, or None."""
        ...


# --- questions to the commune officer --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QuestionReceipt:
    """Who a producer's question went to: the commune's officers on the bot (their names),
    or, when the commune has none, the province's staff (``to_province``)."""

    question_id: int
    commune_code: str
    to_province: bool
    officers: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class OpenQuestion:
    """A question waiting for an officer's answer."""

    question_id: int
    producer: str | None
    product: str | None
    body: str
    asked_at: datetime


class QuestionStore(Protocol):
    """Questions from producers to their commune's officers, and the answers."""

    async def ask_officer(
        self, person_id: int, body: str, dossier_id: int | None, *, unreadable: bool = False
    ) -> QuestionReceipt | None:
        """Relay the producer's question; None when the person has no commune."""
        ...

    async def open_questions(self, person_id: int) -> list[OpenQuestion]:
        """Unanswered questions of the officer's communes, oldest first."""
        ...

    async def answer_question(self, person_id: int, question_id: int, body: str) -> bool:
        """Answer one question of the officer's communes; False when not theirs or answered."""
        ...


class Store(ProducerStore, OfficerStore, QuestionStore, Protocol):
    """Everything the conversations read and write, inside the event's transaction."""


@dataclass(frozen=True, slots=True)
class Changes:
    """What a step changed besides the chat's state: who is behind the chat (a sign-up, an
    accepted invite, a recognised account, an erasure) and the language spoken. A step
    returns these; nothing it is handed is changed in place."""

    profile: Profile | None = None  # the person now behind the chat, when that changed
    signed_out: bool = False  # the person's data was erased: nobody is behind the chat
    language: str | None = None  # the language chosen, when that changed

    def __bool__(self) -> bool:
        return self.profile is not None or self.signed_out or self.language is not None


@dataclass(frozen=True, slots=True)
class HandlerContext:
    """Everything a handler may use for one inbound message (read-only: a step reports
    what it changed in its turn's :class:`Changes`)."""

    t: Translator
    now: datetime
    channel: Channel
    chat_id: str
    sender_id: str
    sender_name: str | None
    profile: Profile | None
    store: Store
    language: str
    translators: Callable[[str], Translator]
    timezone: tzinfo = UTC

    def after(self, changes: Changes) -> HandlerContext:
        """The context for what follows a step that made ``changes``."""
        if not changes:
            return self
        profile = None if changes.signed_out else (changes.profile or self.profile)
        if changes.language is None:
            return replace(self, profile=profile)
        language = changes.language
        return replace(self, profile=profile, language=language, t=self.translators(language))
