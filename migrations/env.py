"""Alembic environment: runs on the connection handed over by :mod:`bot.db.schema`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from bot.db import models  # noqa: F401 - registers the tables on Base.metadata
from bot.db.base import Base

target_metadata = Base.metadata


def run_migrations(connection: Connection) -> None:
    """Run the pending migrations on ``connection`` inside the caller's transaction."""
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `ocop-bot migrate`, which supplies the connection")
run_migrations(connection)
