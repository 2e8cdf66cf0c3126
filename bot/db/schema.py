"""Alembic wiring: the migrations shipped in the ``migrations`` package are the only way
the schema is made. These helpers upgrade, downgrade and tell whether a database is current.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine


def alembic_config() -> Config:
    """An Alembic config pointing at the installed ``migrations`` package."""
    config = Config()
    config.set_main_option("script_location", str(files("migrations")))
    return config


def head_revision() -> str:
    """The newest revision shipped with this version of the bot."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships migrations
        raise RuntimeError("no migrations found")
    return head


@dataclass(frozen=True, slots=True)
class SchemaState:
    """Which revision a database is at, against the one this code expects."""

    current: str | None
    head: str

    @property
    def is_current(self) -> bool:
        """Whether the database is at the newest revision."""
        return self.current == self.head


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def schema_state(engine: AsyncEngine) -> SchemaState:
    """Read the database's revision (None for an empty database)."""
    async with engine.connect() as connection:
        current = await connection.run_sync(_current)
    return SchemaState(current=current, head=head_revision())


def _run(connection: Connection, action: str, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    operation: Any = getattr(command, action)
    operation(config, revision)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Upgrade the database to ``revision``; a no-op when it is already there."""
    async with engine.begin() as connection:
        await connection.run_sync(_run, "upgrade", revision)


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    """Downgrade the database to ``revision`` ("base" empties it)."""
    async with engine.begin() as connection:
        await connection.run_sync(_run, "downgrade", revision)
