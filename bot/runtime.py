"""Wiring of one process: the engine and the configured channels, built in one place.

The web app, the pollers and the tests use :class:`Runtime` to turn an inbound event into
sent replies; it is built inside their entry points, never at import time.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from telegram.error import NetworkError
from telegram.ext import ExtBot

from bot.channels import ChatUnreachableError, Sender
from bot.channels.telegram import TelegramChannel, make_bot
from bot.channels.zalo import ZaloChannel
from bot.channels.zalo_oa import ZaloOAChannel
from bot.db.engine import create_sessionmaker
from bot.engine import DurableReplies, Engine, KeyedLocks
from bot.files import FileSource, with_content
from bot.i18n import translator
from bot.links import LinkSigner
from bot.logs import chat_hash
from bot.messages import Channel, FileReceived, Inbound, Outbound
from bot.oa_delivery import AlertRoutes, record_reply
from bot.oa_tokens import SecretBox, TokenStore
from bot.presence import Presence
from bot.settings import SUPPORTED_LOCALES, Settings
from handlers.communes import search_communes
from handlers.old_communes import search_old_communes

log = logging.getLogger(__name__)

# Every HTTP client of the channels (Zalo, the OA, their tokens): Zalo's long poll answers
# within 30 seconds; a connection not made in 10 is taken as down.
HTTP_TIMEOUT = httpx.Timeout(30.0, connect=10.0)

# How long the first event of an idle chat waits before it is handled. A platform that
# posts a chat's events together over several connections has them read by this process
# one after another; an idle chat's first event, started at once, would be committed
# before the others are even read, and nothing can be undone after a commit. The wait is
# a timer (no CPU, no database connection or lock held), an event of a busy chat does
# not wait it, and an earlier event read later than that still makes the holder step
# back up to its commit (bot.engine). Across processes the chat's arrivals meet in the
# database (chat_arrivals) during the same moment.
ORDER_SETTLE_SECONDS = 0.002


def build_engine(database: AsyncEngine, settings: Settings) -> Engine:
    """The conversation engine for ``database``, with the settings' locale and time zone."""
    links = None
    if settings.ocop_secret_key is not None and settings.public_base_url is not None:
        links = LinkSigner(
            settings.ocop_secret_key.get_secret_value().encode(), settings.public_base_url
        )
    return Engine(
        create_sessionmaker(database),
        default_locale=settings.ocop_locale,
        timezone=settings.timezone,
        links=links,
        locks=KeyedLocks(settle=ORDER_SETTLE_SECONDS),
        # Several processes may serve one PostgreSQL database (bot.presence).
        presence=Presence(database) if database.dialect.name == "postgresql" else None,
    )


def oa_tokens(
    settings: Settings,
    http: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> TokenStore | None:
    """The Zalo OA's token store, when the OA is configured (its tokens are sealed with
    ``OCOP_SECRET_KEY``, which the web app then requires)."""
    if not settings.zalo_oa_configured or settings.ocop_secret_key is None:
        return None
    assert settings.zalo_oa_app_secret is not None  # noqa: S101 - zalo_oa_configured
    return TokenStore(
        sessionmaker,
        http,
        SecretBox(settings.ocop_secret_key.get_secret_value().encode()),
        oa_id=settings.zalo_oa_id or "",
        app_id=settings.zalo_oa_app_id or "",
        app_secret=settings.zalo_oa_app_secret.get_secret_value(),
        oauth_base_url=settings.zalo_oa_oauth_base_url,
        clock=clock,
    )


def oa_channel(
    settings: Settings,
    http: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> ZaloOAChannel | None:
    """The Zalo Official Account channel, when it is configured."""
    tokens = oa_tokens(settings, http, sessionmaker, clock)
    if tokens is None:
        return None

    async def replied(user_id: str) -> None:
        await record_reply(sessionmaker, user_id)

    return ZaloOAChannel(
        http,
        settings.zalo_oa_api_base_url,
        tokens,
        template_base_url=settings.zalo_oa_template_base_url,
        on_sent=replied,
    )


def telegram_bot(settings: Settings) -> ExtBot[int] | None:
    """The Telegram bot the settings configure, through their proxy; None without a token."""
    if settings.telegram_bot_token is None:
        return None
    return make_bot(
        settings.telegram_bot_token.get_secret_value(),
        settings.telegram_api_base_url,
        proxy=settings.telegram_proxy_url,
    )


def alert_routes(settings: Settings, oa: ZaloOAChannel | None) -> AlertRoutes:
    """The alerts' delivery plan: the OA's templates past the window, when the OA is on."""
    return AlertRoutes(
        oa, settings.oa_templates if oa else {}, recent=timedelta(days=settings.zalo_recent_days)
    )


@dataclass(frozen=True)
class Channels:
    """The channels the settings configure, open together (:func:`open_channels`)."""

    telegram: TelegramChannel | None
    zalo: ZaloChannel | None
    zalo_oa: ZaloOAChannel | None
    routes: AlertRoutes | None  # the alerts' delivery plan, when the OA is on

    @property
    def senders(self) -> dict[Channel, Sender]:
        """The sender of each configured channel."""
        senders: dict[Channel, Sender | None] = {
            Channel.TELEGRAM: self.telegram,
            Channel.ZALO: self.zalo,
            Channel.ZALO_OA: self.zalo_oa,
        }
        return {channel: sender for channel, sender in senders.items() if sender is not None}


@asynccontextmanager
async def open_channels(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> AsyncIterator[Channels]:
    """Open the channels the settings configure for the block, and close them after it —
    for the web app, the pollers and the alerts alike.

    Telegram is blocked in Vietnam: without a proxy the Bot API may be out of reach when a
    process starts, and Zalo, where the users are, must be served all the same. Its
    ``getMe`` failing is logged and the process goes on; calls to Telegram then fail, and
    are retried where they are retried, until it can be reached. Before, the pollers and
    ``alerts run`` stopped at start-up, and with them Zalo's updates and every alert.
    """
    async with httpx.AsyncClient(timeout=HTTP_TIMEOUT) as http:
        bot = telegram_bot(settings)
        telegram = None
        if bot is not None:
            try:
                await bot.initialize()
            except NetworkError:
                log.warning("Telegram Bot API unreachable at start-up; Zalo is served")
            telegram = TelegramChannel(bot)
        zalo = None
        if settings.zalo_bot_token is not None:
            zalo = ZaloChannel(
                http, settings.zalo_api_base_url, settings.zalo_bot_token.get_secret_value()
            )
        zalo_oa = oa_channel(settings, http, sessionmaker, clock)
        routes = alert_routes(settings, zalo_oa) if zalo_oa is not None else None
        try:
            yield Channels(telegram, zalo, zalo_oa, routes)
        finally:
            if bot is not None:
                await bot.shutdown()


# The collector's youngest generation is collected after this many more container objects
# are made than freed (CPython's default is 700). Under load some 200 webhooks are in
# flight, each holding a few hundred live objects; at 700 a young collection ran every few
# updates, moved those in-flight objects to the older generations, and so set off a full
# collection every half second or so — 10 to 150 ms each with no update handled, and 9% of
# the server's CPU in all (bench/webhook_load.py, 200 chats). At 20,000 most of them die of
# their reference count before any collection sees them: 4%, no full collection.
GC_THRESHOLDS = (20_000, 20, 50)


def settle_heap() -> None:
    """Build the lazy tables now, then keep everything built so far out of the garbage
    collector's full passes (``gc.freeze``).

    A long-running process holds some 200,000 objects for good: the 3,321 communes and
    their index, the 10,023 communes before 1/7/2025 (28,000 of those objects), the
    catalogs, the web framework, the ORM. Each full collection walked them all — 80 to
    170 ms on a 2-core machine, every half second under load, during which no update was
    handled. Called once by ``serve`` and ``poll`` after start-up, which then collect
    young objects far less often (:data:`GC_THRESHOLDS`).
    """
    search_communes("xo")  # builds the commune index and its sorted keys
    search_old_communes("xop")  # and the table of names before 1/7/2025
    for locale in SUPPORTED_LOCALES:
        translator(locale)
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


@dataclass
class Runtime:
    """The engine plus a sender per configured channel."""

    engine: Engine
    senders: dict[Channel, Sender] = field(default_factory=dict)
    # Set while a reply sender runs (serve, poll): replies are kept with each step and
    # sent from there; without one they are sent right after the commit.
    replies: DurableReplies | None = None
    # How alerts choose between the chat and the OA's template (None: the latest chat).
    alert_routes: AlertRoutes | None = None

    def use(self, channels: Channels) -> None:
        """Send on ``channels``, and route alerts by their plan."""
        self.senders.update(channels.senders)
        self.alert_routes = channels.routes

    async def process(self, inbound: Inbound) -> bool:
        """Handle one event and send its replies (through the reply sender when one
        runs); False for a redelivery.

        A photo or document is fetched first, outside the chat's lock and transaction
        (:mod:`bot.files`), so the handlers keep the bytes with the evidence."""
        sender = self.senders[inbound.channel]
        if isinstance(inbound.content, FileReceived) and isinstance(sender, FileSource):
            inbound = replace(inbound, content=await with_content(inbound.content, sender))

        async def deliver(replies: list[Outbound]) -> None:
            try:
                for reply in replies:
                    await sender.send(inbound.chat_id, reply)
            except ChatUnreachableError:
                log.info(
                    "chat unreachable",
                    extra={"channel": inbound.channel.value, "chat": chat_hash(inbound.chat_id)},
                )
                await self.engine.mark_unreachable(inbound.channel, inbound.chat_id)
            except Exception:
                log.warning(
                    "reply not delivered",
                    exc_info=True,
                    extra={"channel": inbound.channel.value, "chat": chat_hash(inbound.chat_id)},
                )

        if self.replies is not None:
            handled = await self.engine.handle(inbound, sender.capabilities, durable=self.replies)
        else:
            handled = await self.engine.handle(inbound, sender.capabilities, deliver)
        if log.isEnabledFor(logging.INFO):  # the chat's hash is not free; skip it unlogged
            log.info(
                "event handled" if handled is not None else "duplicate event",
                extra={
                    "channel": inbound.channel.value,
                    "event_id": inbound.event_id,
                    "chat": chat_hash(inbound.chat_id),
                },
            )
        return handled is not None
