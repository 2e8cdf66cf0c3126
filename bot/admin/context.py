"""What every admin page and API call is handed: sessions, clock, signer, the write gate.

Built once in the web app's lifespan from the conversation engine, so admin writes share the
engine's SQLite write gate and wake the alert dispatcher the same way a chat step does.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.admin.addresses import Network
from bot.admin.sessions import SessionSigner
from bot.db.engine import write_transaction
from bot.engine import NOTICE_QUEUED


@dataclass
class AdminContext:
    """The admin side of one web process."""

    sessionmaker: async_sessionmaker[AsyncSession]
    gate: AbstractAsyncContextManager[Any]
    clock: Callable[[], datetime]
    timezone: tzinfo
    signer: SessionSigner | None
    secure_cookies: bool = False
    after_commit: Callable[[], None] | None = None
    trusted_proxies: tuple[Network, ...] = ()  # whose X-Forwarded-For names the client

    def today(self) -> date:
        """The local day in the programme's time zone."""
        return self.clock().astimezone(self.timezone).date()

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A session for reads."""
        async with self.sessionmaker() as session:
            yield session

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncSession]:
        """One write transaction, committed on exit; wakes the alert dispatcher when it
        queued a notice."""
        async with write_transaction(self.sessionmaker, self.gate) as session:
            yield session
        if session.info.get(NOTICE_QUEUED) and self.after_commit is not None:
            self.after_commit()
