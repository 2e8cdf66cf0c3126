"""Database constraints that the rest of the bot relies on, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import ChannelAccount, OutboxMessage, Person, ProcessedEvent, Subject

NOW = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


async def _person(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    async with sessionmaker.begin() as session:
        person = Person(full_name="Nguyễn Văn A")
        session.add(person)
        await session.flush()
        return person.id


async def test_one_channel_account_per_channel_and_external_id(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    person_id = await _person(sessionmaker)
    async with sessionmaker.begin() as session:
        session.add(
            ChannelAccount(person_id=person_id, channel="telegram", external_id="42", chat_id="42")
        )
        session.add(
            ChannelAccount(person_id=person_id, channel="zalo", external_id="42", chat_id="42")
        )
    with pytest.raises(IntegrityError):
        async with sessionmaker.begin() as session:
            session.add(
                ChannelAccount(
                    person_id=person_id, channel="telegram", external_id="42", chat_id="43"
                )
            )


async def test_one_outbox_row_per_dedupe_key(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    person_id = await _person(sessionmaker)
    key = "cert_expiry:1:7:2026-01-05:v1"
    async with sessionmaker.begin() as session:
        session.add(
            OutboxMessage(
                dedupe_key=key, recipient_person_id=person_id, kind="cert_expiry", due_at=NOW
            )
        )
    with pytest.raises(IntegrityError):
        async with sessionmaker.begin() as session:
            session.add(
                OutboxMessage(
                    dedupe_key=key, recipient_person_id=person_id, kind="cert_expiry", due_at=NOW
                )
            )


async def test_one_processed_row_per_channel_and_event_id(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with sessionmaker.begin() as session:
        session.add(ProcessedEvent(channel="telegram", event_id="1001"))
        session.add(ProcessedEvent(channel="zalo", event_id="1001"))
    with pytest.raises(IntegrityError):
        async with sessionmaker.begin() as session:
            session.add(ProcessedEvent(channel="telegram", event_id="1001"))


async def test_foreign_keys_are_enforced(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    with pytest.raises(IntegrityError):
        async with sessionmaker.begin() as session:
            session.add(
                ChannelAccount(person_id=999_999, channel="telegram", external_id="7", chat_id="7")
            )
    with pytest.raises(IntegrityError):
        async with sessionmaker.begin() as session:
            session.add(Subject(subject_type="htx", name="HTX Mật ong", commune_code="99999"))


async def test_timestamps_round_trip_timezone_aware(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with sessionmaker.begin() as session:
        person = Person(full_name="B", consent_at=NOW)
        session.add(person)
    async with sessionmaker() as session:
        loaded = await session.get(Person, person.id)
        assert loaded is not None
        assert loaded.consent_at == NOW
        assert loaded.consent_at.tzinfo is not None
