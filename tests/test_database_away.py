"""A database failure met by the built-once statements leaves them as SQLAlchemy's own
execution raises it: the webhook then answers 503 and the platform delivers the update
again, where a raw driver error made it acknowledge an update it had not handled."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
import sqlalchemy.exc
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from bot.db.direct import statements_for
from bot.db.engine import create_engine
from bot.db.models import ProcessedEvent
from bot.engine import hot_statements
from bot.web import transient
from tests.conftest import is_postgres
from tests.standins import TelegramStandIn, telegram_text
from tests.test_channels import (  # noqa: F401 - fixtures, found by name
    app_url,
    client,
    post_telegram,
    settings,
    telegram_api,
    zalo_api,
)

postgres_only = pytest.mark.skipif(not is_postgres(), reason="PostgreSQL drops connections")
MOMENT = datetime(2027, 3, 8, 1, 2, 3, tzinfo=UTC)


async def _drop_connections(engine: AsyncEngine) -> None:
    """What a restart of the database does to every connection the bot holds."""
    other = create_async_engine(engine.url, poolclass=NullPool)
    try:
        async with other.connect() as connection:
            await connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
    finally:
        await other.dispose()


@postgres_only
async def test_a_lost_connection_raises_a_transient_error_and_is_not_used_again(
    engine: AsyncEngine,
) -> None:
    async with engine.connect() as connection:
        statements = await statements_for(connection)
        await _drop_connections(engine)
        with pytest.raises(sqlalchemy.exc.DBAPIError) as raised:
            async with connection.begin():
                await statements.rows(
                    hot_statements("postgresql").applied, {"channel": "zalo", "event_id": "1"}
                )
        assert transient(raised.value)
        assert raised.value.connection_invalidated
        assert connection.invalidated
    async with engine.connect() as fresh:  # the pool opens a new one
        assert (await fresh.execute(text("SELECT 1"))).scalar() == 1


@contextlib.asynccontextmanager
async def _late_end_of_stream(engine: AsyncEngine) -> AsyncIterator[tuple[str, asyncio.Event]]:
    """A URL to the test's database through a relay that passes on everything the server
    sends but its end of stream, which it holds until the bot's side writes again; and the
    event set when the server has closed.

    That is the order a client may read a terminated backend's last words in: the FATAL
    error while idle, the end of the stream only after its next statement went out.
    """
    closed = asyncio.Event()
    url = engine.url
    pumps: set[asyncio.Task[None]] = set()
    writers: list[asyncio.StreamWriter] = []

    async def from_server(reader: asyncio.StreamReader, bot_side: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            bot_side.write(data)
            await bot_side.drain()
        closed.set()

    async def from_bot(
        reader: asyncio.StreamReader, server: asyncio.StreamWriter, bot_side: asyncio.StreamWriter
    ) -> None:
        while data := await reader.read(65536):
            if closed.is_set():
                bot_side.close()
                return
            server.write(data)
            await server.drain()
        server.close()

    async def relay(bot_reader: asyncio.StreamReader, bot_side: asyncio.StreamWriter) -> None:
        server_reader, server = await asyncio.open_connection(url.host, url.port or 5432)
        writers.extend((bot_side, server))
        for pump in (from_server(server_reader, bot_side), from_bot(bot_reader, server, bot_side)):
            pumps.add(asyncio.ensure_future(pump))

    listener = await asyncio.start_server(relay, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    try:
        yield url.set(host="127.0.0.1", port=port).render_as_string(hide_password=False), closed
    finally:
        listener.close()
        for task in pumps:
            task.cancel()
        await asyncio.gather(*pumps, return_exceptions=True)
        for writer in writers:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
        await listener.wait_closed()


async def _one_statement(connection: AsyncConnection, path: str) -> None:
    """One transaction of one statement, by the built-once path or by SQLAlchemy's."""
    statements = await statements_for(connection)
    async with connection.begin():
        if path == "built-once statement":
            event = {"channel": "zalo", "event_id": "1"}
            await statements.rows(hot_statements("postgresql").applied, event)
        else:
            await connection.execute(text("SELECT 1"))


@postgres_only
@pytest.mark.parametrize("path", ["built-once statement", "SQLAlchemy's execution"])
async def test_a_server_gone_while_the_connection_was_idle_is_a_lost_connection(
    engine: AsyncEngine, path: str
) -> None:
    async with _late_end_of_stream(engine) as (url, server_closed):
        relayed = create_engine(url)
        try:
            async with relayed.connect() as connection:
                await connection.get_raw_connection()  # opened before the server goes
                await _drop_connections(engine)
                await asyncio.wait_for(server_closed.wait(), 10)
                await asyncio.sleep(0.05)  # the bot's side reads the FATAL error, no more
                with pytest.raises(sqlalchemy.exc.DBAPIError) as raised:
                    await _one_statement(connection, path)
                assert transient(raised.value)
                assert raised.value.connection_invalidated
        finally:
            await relayed.dispose()


async def test_a_refused_statement_raises_what_core_raises(engine: AsyncEngine) -> None:
    recorded = insert(ProcessedEvent).returning(ProcessedEvent.id)
    event = {"channel": "zalo", "event_id": "twice", "processed_at": MOMENT}
    async with engine.connect() as connection:
        statements = await statements_for(connection)
        async with connection.begin():
            await statements.rows(recorded, event)
            with pytest.raises(sqlalchemy.exc.IntegrityError) as raised:
                await statements.rows(recorded, event)
            assert "INSERT INTO processed_events" in str(raised.value.statement)


@postgres_only
async def test_a_webhook_met_by_a_restarted_database_asks_again_and_the_redelivery_is_handled(
    client: httpx.AsyncClient,  # noqa: F811
    telegram_api: tuple[TelegramStandIn, str],  # noqa: F811
    engine: AsyncEngine,
) -> None:
    stand_in, _ = telegram_api
    assert (await post_telegram(client, telegram_text("880", "/start"))).status_code == 200
    await _drop_connections(engine)
    await engine.dispose()  # the test's own connections, not the bot's
    update = telegram_text("880", "co")
    assert (await post_telegram(client, update)).status_code == 503
    assert (await post_telegram(client, update)).status_code == 200
    await stand_in.wait_for_text("họ và tên")
    assert sum("họ và tên" in text for text in stand_in.texts("880")) == 1
