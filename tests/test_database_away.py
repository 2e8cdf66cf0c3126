"""A database failure met by the built-once statements leaves them as SQLAlchemy's own
execution raises it: the webhook then answers 503 and the platform delivers the update
again, where a raw driver error made it acknowledge an update it had not handled."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
import sqlalchemy.exc
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from bot.db.direct import statements_for
from bot.db.models import ProcessedEvent
from bot.engine import hot_statements
from bot.web import TRANSIENT
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
        with pytest.raises(TRANSIENT) as raised:
            async with connection.begin():
                await statements.rows(
                    hot_statements("postgresql").applied, {"channel": "zalo", "event_id": "1"}
                )
        assert isinstance(raised.value, sqlalchemy.exc.DBAPIError)
        assert raised.value.connection_invalidated
        assert connection.invalidated
    async with engine.connect() as fresh:  # the pool opens a new one
        assert (await fresh.execute(text("SELECT 1"))).scalar() == 1


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
