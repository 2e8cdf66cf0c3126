"""The FastAPI app: Telegram and Zalo webhooks, health and readiness.

Everything is assembled in the lifespan from the settings: database engine, conversation
engine, the one ``httpx.AsyncClient`` and the one Telegram bot. Webhooks answer 403 unless
the platform's secret header matches (compared in constant time) and store nothing then;
otherwise they handle the event — committed, with its replies, before the answer, which
does not wait for the replies to be sent (:mod:`bot.replies`) — and reply 200, also for
payloads we do not understand or cannot handle (logged with their traceback), so platforms do
not redeliver forever; only a database or network failure answers 503, to be delivered again.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any

import sqlalchemy.exc
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import ASGIApp, Receive, Scope, Send
from telegram import Update

from bot import oa_inbox
from bot.admin import api as admin_api
from bot.admin import dead_letters, oa_pages, staff_comms
from bot.admin import pages as admin_pages
from bot.admin.context import AdminContext
from bot.admin.headers import SecurityHeaders
from bot.admin.sessions import SessionSigner
from bot.channels.telegram import TelegramChannel
from bot.channels.telegram import text_inbound as telegram_text_inbound
from bot.channels.telegram import to_inbound as telegram_inbound
from bot.channels.zalo import ZaloChannel
from bot.channels.zalo import to_inbound as zalo_inbound
from bot.channels.zalo_oa import Receipt, Unfollowed, ZaloOAChannel, read_event, signature_matches
from bot.db import schema
from bot.db.engine import create_engine
from bot.db.models import Document as StoredDocument
from bot.links import download_headers
from bot.messages import Channel, Inbound
from bot.oa_delivery import record_inbound, record_receipt
from bot.presence import present
from bot.replies.sender import sending
from bot.runtime import Runtime, build_engine, open_channels
from bot.settings import Settings

log = logging.getLogger(__name__)


class ConfigurationError(Exception):
    """The settings cannot serve webhooks; the message is one line for the operator."""


@dataclass
class AppState:
    """What the routes need, built in the lifespan."""

    settings: Settings
    database: AsyncEngine
    runtime: Runtime
    telegram: TelegramChannel | None
    zalo: ZaloChannel | None
    zalo_oa: ZaloOAChannel | None = None
    oa_tasks: oa_inbox.Tasks = field(default_factory=oa_inbox.Tasks)


def check_webhook_settings(settings: Settings) -> None:
    """Refuse to serve a configured channel's webhook without its secret."""
    if settings.telegram_configured and settings.telegram_webhook_secret is None:
        raise ConfigurationError("TELEGRAM_WEBHOOK_SECRET is required to serve Telegram webhooks")
    if settings.zalo_configured and settings.zalo_webhook_secret is None:
        raise ConfigurationError("ZALO_WEBHOOK_SECRET is required to serve Zalo webhooks")
    if settings.zalo_oa_configured and settings.ocop_secret_key is None:
        raise ConfigurationError("OCOP_SECRET_KEY is required to keep the Zalo OA tokens")


def _secret_matches(expected: SecretStr | None, given: str | None) -> bool:
    if expected is None or given is None:
        return False
    return hmac.compare_digest(expected.get_secret_value().encode(), given.encode())


async def _state(request: Request) -> AppState:
    state: AppState = request.app.state.ocop
    return state


StateDep = Annotated[AppState, Depends(_state)]


router = APIRouter()


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(state: StateDep) -> JSONResponse:
    """The database is reachable and its schema current."""
    try:
        current = await schema.schema_state(state.database)
    except Exception as error:
        return JSONResponse(
            {"status": "database unreachable", "error": type(error).__name__}, status_code=503
        )
    if not current.is_current:
        return JSONResponse({"status": "schema not current"}, status_code=503)
    return JSONResponse({"status": "ready", "schema": current.head})


@router.get("/files/{token}")
async def download(token: str, state: StateDep) -> Response:
    """A document behind a signed, unexpired link."""
    links = state.runtime.engine.links
    document_id = links.document_id(token, state.runtime.engine.clock()) if links else None
    if document_id is None:
        return Response("This link is invalid or has expired.", status_code=404)
    async with state.runtime.engine.sessionmaker() as session:
        document = await session.get(StoredDocument, document_id)
    if document is None:
        return Response("This document no longer exists.", status_code=404)
    return Response(
        document.content,
        media_type=document.media_type,
        headers=download_headers(document.filename),
    )


UNREADABLE = "webhook payload not understood; acknowledged"
_AWAY: tuple[type[BaseException], ...] = (
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    sqlalchemy.exc.TimeoutError,
    OSError,
    TimeoutError,
)


def transient(error: BaseException) -> bool:
    """Whether another delivery may not meet ``error``: the database or the network was
    away, or the connection was lost, whatever class its error has.

    A server that terminated a connection while it was idle leaves its FATAL error unread
    until the next statement: asyncpg then raises ``InternalClientError`` ("cannot switch
    to state …") and drops the connection, which SQLAlchemy raises as an ``InternalError``
    with ``connection_invalidated`` — a lost connection the webhook acknowledged.
    """
    if isinstance(error, _AWAY):
        return True
    return isinstance(error, sqlalchemy.exc.DBAPIError) and error.connection_invalidated


async def _process(runtime: Runtime, inbound: Inbound) -> Response | None:
    """Handle ``inbound``; None when that went well or cannot go better another time.

    An authenticated payload that breaks the handling (its content, or a bug it meets)
    would break it again at every redelivery, so it is acknowledged and logged with its
    traceback; only a failure of the database or the network answers 503, and the platform
    delivers the update again later.
    """
    extra = {"channel": inbound.channel.value, "event_id": inbound.event_id}
    try:
        await runtime.process(inbound)
    except Exception as error:
        if transient(error):
            log.exception("event not handled; the platform will deliver it again", extra=extra)
            return Response(status_code=503)
        log.exception("event not handled; acknowledged", extra=extra)
    return None


# The webhooks are plain Starlette endpoints, not FastAPI routes: they declare nothing for
# FastAPI to resolve, and its dependency, header and response handling was a good part of
# each update's CPU (bench/webhook_load.py).


async def telegram_webhook(request: Request) -> Response:
    """Receive one Telegram update."""
    state: AppState = request.app.state.ocop
    secret = request.headers.get("x-telegram-bot-api-secret-token")
    if state.telegram is None or not _secret_matches(
        state.settings.telegram_webhook_secret, secret
    ):
        return Response(status_code=403)
    update: Update | None = None
    try:
        body = await _json(request)
        now = state.runtime.engine.clock()
        inbound = telegram_text_inbound(body, now) if body else None
        if inbound is None and body:  # anything but plain text: through PTB's objects
            update = Update.de_json(body, state.telegram.bot)
            inbound = telegram_inbound(update, now)
    except Exception:
        log.exception(UNREADABLE, extra={"channel": Channel.TELEGRAM.value})
        return Response(status_code=200)
    if inbound is not None:
        if (failed := await _process(state.runtime, inbound)) is not None:
            return failed
        if update is not None:  # a button press is answered; text needs no answer
            await _acknowledge(state.telegram, update)
    return Response(status_code=200)


async def zalo_webhook(request: Request) -> Response:
    """Receive one Zalo Bot Platform event (wrapped or flat body)."""
    state: AppState = request.app.state.ocop
    secret = request.headers.get("x-bot-api-secret-token")
    if state.zalo is None or not _secret_matches(state.settings.zalo_webhook_secret, secret):
        return Response(status_code=403)
    try:
        body = await _json(request)
        inbound = zalo_inbound(body, state.runtime.engine.clock()) if body else None
    except Exception:
        log.exception(UNREADABLE, extra={"channel": Channel.ZALO.value})
        return Response(status_code=200)
    if inbound is not None and (failed := await _process(state.runtime, inbound)) is not None:
        return failed
    return Response(status_code=200)


async def zalo_oa_webhook(request: Request) -> Response:
    """Receive one Zalo Official Account event, signed with ``X-ZEvent-Signature``.

    Zalo wants the 200 within 2 seconds: a message is committed to the OA's durable inbox
    and answered, then handled right after (:mod:`bot.oa_inbox`); a redelivery is kept
    once and handled once. Unfollows and receipts are one small update, done before the
    answer."""
    state: AppState = request.app.state.ocop
    settings = state.settings
    if state.zalo_oa is None:
        return Response(status_code=403)
    raw = await request.body()
    secrets = [
        ("oa secret key", _secret_value(settings.zalo_oa_secret_key)),
        ("app secret", _secret_value(settings.zalo_oa_app_secret)),
    ]
    matched = signature_matches(
        raw,
        request.headers.get("x-zevent-signature"),
        app_id=settings.zalo_oa_app_id or "",
        secrets=secrets,
    )
    if matched is None:
        return Response(status_code=403)
    log.debug("zalo oa signature matched", extra={"secret": matched})
    runtime = state.runtime
    try:
        body = json.loads(raw)
        event = read_event(body, runtime.engine.clock()) if isinstance(body, dict) else None
    except Exception:
        log.exception(UNREADABLE, extra={"channel": Channel.ZALO_OA.value})
        return Response(status_code=200)
    try:
        if isinstance(event, Unfollowed):
            await runtime.engine.mark_unreachable(Channel.ZALO_OA, event.user_id)
        elif isinstance(event, Receipt):
            if event.event_name == "user_received_message":
                sessions = runtime.engine.sessionmaker
                await record_receipt(sessions, tracking=event.tracking_id, at=event.at)
        elif event is not None:
            sessions, now = runtime.engine.sessionmaker, runtime.engine.clock()
            if await oa_inbox.keep(sessions, event_id=event.event_id, body=body, at=now):
                state.oa_tasks.start(_handle_oa(runtime, event))
    except Exception as error:
        if not transient(error):
            raise
        log.exception("zalo oa event not kept; Zalo will deliver it again")
        return Response(status_code=503)
    return Response(status_code=200)


async def _handle_oa(runtime: Runtime, inbound: Inbound) -> None:
    """Handle a kept OA event and mark it handled; left for the sweep if that failed."""
    if await _handle_oa_body(runtime, inbound):
        await oa_inbox.mark_handled(
            runtime.engine.sessionmaker, event_id=inbound.event_id, at=runtime.engine.clock()
        )


async def _handle_oa_body(runtime: Runtime, inbound: Inbound) -> bool:
    try:
        # before the step, whose replies may go out at once and count against the window
        await record_inbound(
            runtime.engine.sessionmaker,
            user_id=inbound.chat_id,
            at=inbound.at,
            msg_id=inbound.event_id,
        )
    except Exception as error:
        if not transient(error):
            raise
        log.warning("zalo oa event left for the next sweep", extra={"event_id": inbound.event_id})
        return False
    return await _process(runtime, inbound) is None


@asynccontextmanager
async def oa_inbox_running(state: AppState) -> AsyncIterator[None]:
    """Sweep the OA's inbox while the block runs (when the OA is on); at its end, wait for
    the events being handled."""
    stop = asyncio.Event()
    sweeper = None
    if state.zalo_oa is not None:
        sweeper = asyncio.create_task(_sweep_oa_inbox(state.runtime, stop))
    try:
        yield
    finally:
        stop.set()
        if sweeper is not None:
            await sweeper
        await state.oa_tasks.drain()


async def _sweep_oa_inbox(runtime: Runtime, stop: asyncio.Event) -> None:
    """Handle OA events a process left behind, every :data:`oa_inbox.SWEEP_SECONDS`."""

    async def handle(body: dict[str, Any]) -> bool:
        event = read_event(body, runtime.engine.clock())
        if not isinstance(event, Inbound):
            return True
        return await _handle_oa_body(runtime, event)

    while not stop.is_set():
        try:
            await oa_inbox.handle_pending(
                runtime.engine.sessionmaker, handle, runtime.engine.clock()
            )
        except Exception:
            log.exception("zalo oa inbox sweep failed; trying again")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), oa_inbox.SWEEP_SECONDS)


def _secret_value(secret: SecretStr | None) -> str:
    return secret.get_secret_value() if secret is not None else ""


WEBHOOKS = {
    "/webhooks/telegram": telegram_webhook,
    "/webhooks/zalo": zalo_webhook,
    "/webhooks/zalo-oa": zalo_oa_webhook,
}
for _path, _endpoint in WEBHOOKS.items():
    router.add_route(_path, _endpoint, methods=["POST"])


def webhooks_first(app: FastAPI) -> ASGIApp:
    """``app`` with the webhooks' POSTs answered before its middleware stack, which
    ``ocop-bot serve`` runs: FastAPI's five middlewares and its router cost 4% of the
    server's instructions per update, for endpoints that need none of them.
    Everything else, the lifespan included, goes to ``app``, whose router also keeps the
    webhook routes (tests call them there). An endpoint's exception is answered 500 and
    logged by uvicorn, as the error middleware would.
    """

    async def front(scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = None
        if scope["type"] == "http" and scope["method"] == "POST":
            endpoint = WEBHOOKS.get(scope["path"])
        if endpoint is None:
            await app(scope, receive, send)
            return
        scope["app"] = app  # what Starlette sets; the endpoints read their state from it
        response = await endpoint(Request(scope, receive))
        await response(scope, receive, send)

    return front


def create_app(settings: Settings) -> FastAPI:
    """Build the web app for ``settings`` (nothing is connected until it starts)."""
    check_webhook_settings(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        database = create_engine(settings.database_url)
        engine = build_engine(database, settings)
        runtime = Runtime(engine)
        try:
            async with open_channels(settings, engine.sessionmaker, engine.clock) as channels:
                runtime.use(channels)
                app.state.ocop = AppState(
                    settings, database, runtime, channels.telegram, channels.zalo, channels.zalo_oa
                )
                app.state.admin = api.state.admin = admin_context(settings, runtime)
                async with (
                    present(engine.presence, channels.senders),
                    sending(runtime, settings),
                    oa_inbox_running(app.state.ocop),
                ):
                    yield
        finally:
            await database.dispose()

    app = FastAPI(
        title="Trợ lý OCOP", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None
    )
    app.include_router(router)
    app.include_router(admin_pages.router)
    app.include_router(dead_letters.router)
    app.include_router(staff_comms.router)
    app.include_router(oa_pages.router)
    app.add_exception_handler(admin_pages.LoginRequiredError, admin_pages.login_required)
    api = admin_api.create_api()
    app.mount("/api/v1", api)
    https = (settings.public_base_url or "").startswith("https://")
    app.add_middleware(SecurityHeaders, https=https)
    return app


def admin_context(settings: Settings, runtime: Runtime) -> AdminContext:
    """The admin pages' and API's view of the process (disabled without a secret key)."""
    engine = runtime.engine
    secret = settings.ocop_secret_key
    return AdminContext(
        sessionmaker=engine.sessionmaker,
        gate=engine.gate,
        clock=engine.clock,
        timezone=engine.timezone,
        signer=SessionSigner(secret.get_secret_value().encode()) if secret else None,
        secure_cookies=(settings.public_base_url or "").startswith("https://"),
        trusted_proxies=settings.trusted_proxies,
        # The alert loop installs its wake-up after start-up; look it up at each commit.
        after_commit=lambda: engine.after_commit() if engine.after_commit else None,
    )


async def _json(request: Request) -> dict[str, Any] | None:
    try:
        body = await request.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


async def _acknowledge(channel: TelegramChannel, update: Update) -> None:
    try:
        await channel.acknowledge(update)
    except Exception:
        log.warning("callback answer failed", extra={"channel": "telegram"})
