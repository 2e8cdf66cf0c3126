"""What handlers need from the outside, as protocols the bot implements.

The engine hands a handler an implementation bound to the inbound event's transaction, so
records a step creates are committed together with the chat's new state — or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from typing import Protocol

from bot.messages import Channel
from handlers.i18n import Translator


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
    """The answers of an idea registration, typed."""

    product_name: str
    group: str
    subgroup: str | None
    is_new_product: bool
    description: str
    raw_materials: str
    raw_material_commune_pct: int
    raw_material_province_pct: int | None
    workers_total: int
    workers_local: int
    idea_origin: str
    identity_story: str | None
    papers_held: tuple[str, ...]
    target_market: str
    support_wanted: str | None
    answers: dict[str, object]


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


@dataclass(frozen=True, slots=True)
class ItemView:
    """One checklist item's answer so far."""

    code: str
    state: str
    evidence_count: int


@dataclass(frozen=True, slots=True)
class Evidence:
    """A file sent as evidence, by the channel's reference."""

    channel: str
    file_ref: str
    media_type: str | None
    size_bytes: int | None


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


class Store(Protocol):
    """Reads and writes of the conversations, inside the event's transaction."""

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

    async def statuses(self, person_id: int, today: date) -> list[StatusView]:
        """Every open dossier of the person with its progress, commune step, round, result."""
        ...

    async def certificates(self, person_id: int) -> list[CertificateView]:
        """The certificates of the person's products, newest first."""
        ...

    async def idea_form(self, person_id: int, dossier_id: int) -> IdeaForm:
        """The answers of the person's idea registration, for printing."""
        ...

    async def erase_person(self, person_id: int) -> int:
        """Delete the person's personal data; return how many products are kept anonymised."""
        ...


@dataclass(slots=True)
class HandlerContext:
    """Everything a handler may use for one inbound message."""

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
