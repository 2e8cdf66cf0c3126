"""The sender's profile rides on the statement that loads the chat's session row, and is
exactly what the profile's own query reads: after a sign-up, a change of role, an erasure;
on PostgreSQL a step that waited for another process's step of its chat reads it anew."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from bot.db.direct import statements_for
from bot.db.models import ChannelAccount, Person
from bot.engine import hot_statements
from bot.messages import Channel
from bot.store import SqlStore
from tests.conftest import is_postgres

MOMENT = datetime(2027, 3, 8, 1, 2, 3, tzinfo=UTC)


def _params(chat: str, event_id: str) -> dict[str, Any]:
    return {
        "channel": "telegram",
        "chat_id": chat,
        "data": {},
        "version": 0,
        "updated_at": MOMENT,
        "profile_channel": "telegram",
        "profile_external_id": chat,
        "event_id": event_id,
        "processed_at": MOMENT,
        "event_channel": "telegram",
        "seen_channel": "telegram",
        "seen_chat": chat,
    }


async def _session_row(connection: AsyncConnection, chat: str, event_id: str) -> Any:
    """The chat's session row as the engine loads it, with the sender's profile."""
    hot = hot_statements(connection.dialect.name)
    statements = await statements_for(connection)
    params = _params(chat, event_id)
    if connection.dialect.name == "postgresql":
        (row,) = await statements.rows(hot.first_delivery_and_session, params)
    else:
        session = {k: v for k, v in params.items() if not k.startswith(("event", "seen"))}
        del session["processed_at"]
        (row,) = await statements.rows(hot.session_row, session)
    return row


async def _both(connection: AsyncConnection, chat: str, event_id: str) -> tuple[Any, Any]:
    """The folded profile and the profile's own query, in one transaction."""
    statements = await statements_for(connection)
    store = SqlStore(AsyncSession(bind=connection), MOMENT, UTC, connection, statements)
    row = await _session_row(connection, chat, event_id)
    folded = await store.known_profile(Channel.TELEGRAM, chat, row)
    return folded, await store.profile_for(Channel.TELEGRAM, chat)


async def _person(connection: AsyncConnection, chat: str, *, reachable: bool = True) -> int:
    person_id = (
        await connection.execute(
            Person.__table__.insert().returning(Person.id),
            {"full_name": "Nguyễn Văn A", "language": "en", "role": "producer"},
        )
    ).scalar_one()
    await connection.execute(
        ChannelAccount.__table__.insert(),
        {
            "person_id": person_id,
            "channel": "telegram",
            "external_id": chat,
            "chat_id": chat,
            "reachable": reachable,
        },
    )
    return int(person_id)


async def test_the_folded_profile_follows_sign_up_role_and_erasure(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        assert await _both(connection, "71", "e1") == (None, None)  # nobody yet
        person_id = await _person(connection, "71")
        folded, own = await _both(connection, "71", "e2")
        assert folded == own
        assert folded is not None
        assert (folded.person_id, folded.full_name, folded.role, folded.language) == (
            person_id,
            "Nguyễn Văn A",
            "producer",
            "en",
        )
        await connection.execute(
            update(Person).where(Person.id == person_id).values(role="commune_officer")
        )
        folded, own = await _both(connection, "71", "e3")
        assert folded == own
        assert folded is not None
        assert folded.role == "commune_officer"
        await connection.execute(
            update(Person).where(Person.id == person_id).values(erased_at=MOMENT)
        )
        assert await _both(connection, "71", "e4") == (None, None)
        assert await _both(connection, "72", "e5") == (None, None)  # another chat


async def test_a_folded_unreachable_account_is_reachable_again(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await _person(connection, "73", reachable=False)
        statements = await statements_for(connection)
        store = SqlStore(AsyncSession(bind=connection), MOMENT, UTC, connection, statements)
        row = await _session_row(connection, "73", "e1")
        assert row.profile_reachable is False
        assert await store.known_profile(Channel.TELEGRAM, "73", row) is not None
        reachable = await connection.scalar(
            select(ChannelAccount.reachable).where(ChannelAccount.external_id == "73")
        )
    assert reachable is True


@pytest.mark.skipif(not is_postgres(), reason="only PostgreSQL runs steps of one chat at once")
async def test_a_step_that_waited_for_its_chat_sees_its_profile_was_read_too_early(
    engine: AsyncEngine,
) -> None:
    """Another process's step signs the sender up while this step's statement waits for
    the chat's row: the profile in the row predates the sign-up, and the versions say so."""
    async with engine.connect() as first, engine.connect() as second:
        await first.begin()
        row = await _session_row(first, "74", "a1")
        await _person(first, "74")
        await first.execute(
            update(hot_statements("postgresql").save_session.table)
            .where(hot_statements("postgresql").save_session.table.c.id == row.id)
            .values(version=row.version + 1)
        )
        await second.begin()
        waiting = asyncio.ensure_future(_session_row(second, "74", "b1"))
        await asyncio.sleep(0.3)
        assert not waiting.done()  # the chat's row is locked by the first step
        await first.commit()
        later = await waiting
        assert (later.version, later.seen_version, later.profile_id) == (1, 0, None)
        statements = await statements_for(second)
        store = SqlStore(AsyncSession(bind=second), MOMENT, UTC, second, statements)
        assert await store.profile_for(Channel.TELEGRAM, "74") is not None  # read anew
        await second.rollback()


async def test_a_step_that_did_not_wait_has_matching_versions(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await _session_row(connection, "75", "c1")
    async with engine.begin() as connection:
        row = await _session_row(connection, "75", "c2")
    if is_postgres():
        assert row.seen_version == row.version == 0
