"""What handlers need from the outside, as protocols the bot implements.

The engine hands a handler an implementation bound to the inbound event's transaction, so
records a step creates are committed together with the chat's new state — or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
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
