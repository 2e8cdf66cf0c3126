"""The database side of the handlers' :class:`~handlers.ports.Store`, bound to one session.

Every method only adds to the session it was given; the engine commits once per inbound
event, so what a conversation step writes lands together with the chat's new state.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import ChannelAccount, Person, Subject
from bot.messages import Channel
from handlers.ports import NewProducer, Profile


def _profile(person: Person) -> Profile:
    return Profile(person.id, person.full_name, person.role, person.language)


class SqlStore:
    """Reads and writes for the conversations, in the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def profile_for(self, channel: Channel, external_id: str) -> Profile | None:
        """The registered person behind a channel account, if any."""
        person = await self._session.scalar(
            select(Person)
            .join(ChannelAccount, ChannelAccount.person_id == Person.id)
            .where(ChannelAccount.channel == channel.value)
            .where(ChannelAccount.external_id == external_id)
            .where(Person.erased_at.is_(None))
        )
        return None if person is None else _profile(person)

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
        person = Person(
            full_name=producer.full_name,
            phone_e164=producer.phone_e164,
            language=producer.language,
            role="producer",
            consent_at=producer.consent_at,
            consent_version="1",
        )
        self._session.add(person)
        await self._session.flush()
        self._session.add_all(
            [
                ChannelAccount(
                    person_id=person.id,
                    channel=channel.value,
                    external_id=external_id,
                    chat_id=chat_id,
                    display_name=display_name,
                ),
                Subject(
                    owner_person_id=person.id,
                    subject_type=producer.subject_type,
                    name=producer.subject_name,
                    business_registration_no=producer.business_registration_no,
                    commune_code=producer.commune_code,
                ),
            ]
        )
        await self._session.flush()
        return _profile(person)

    async def set_language(self, person_id: int, language: str) -> None:
        """Remember the person's language."""
        await self._session.execute(
            update(Person).where(Person.id == person_id).values(language=language)
        )
