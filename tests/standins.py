"""Local HTTP stand-ins of the Telegram Bot API and the Zalo Bot API, and a server runner.

They are real HTTP servers on loopback, so the real python-telegram-bot and httpx code run
against them. They record every call, can queue updates for polling, serve the files a
chat sent, and can be told to fail to exercise error handling.

Each behaves as its platform documents (``../shared/channels/REFERENCE.md``). Telegram: 403
for a chat that blocked the bot, 429 with ``parameters.retry_after``, ``getFile`` and the
file URL. Zalo: its own codes — 401 for a bad token, **403 "Internal server error"** (never
"blocked"), 429 with no ``retry_after``, 400 for a text outside 1–2000 characters — and
``getUpdates`` refused while a webhook is set (both platforms).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import itertools
import json
import os
import socket
import sys
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from bot.db.models import ReplyRow
from bot.db.vocab import ReplyState
from bot.settings import Settings, load_settings

REPO = Path(__file__).parents[1]
TELEGRAM_TOKEN = "123456:TEST-token"
ZALO_TOKEN = "987:zalo-secret-token"
TG_SECRET = "tg-secret_1"
ZALO_SECRET = "zalo-secret-1"
SEND_METHODS = ("sendMessage", "sendDocument")
ZALO_MAX_TEXT = 2000
BOT_USER = {"id": 123456, "is_bot": True, "first_name": "Trợ lý OCOP", "username": "ocop_test_bot"}


class Trouble(StrEnum):
    """A failure a stand-in can answer a send with."""

    SERVER_ERROR = "server_error"
    NO_ANSWER = "no_answer"
    RATE_LIMIT = "rate_limit"


def zalo_cdn(files: Mapping[str, bytes]) -> Route:
    """Zalo's CDN behind an image event's ``payload.url`` (Bot Platform and OA alike):
    ``/cdn/<name>`` with no token, 404 once a link has expired, and always claiming JPEG
    whatever it holds, as a CDN does."""

    async def serve(request: Request) -> Response:
        data = files.get(request.path_params["name"])
        if data is None:
            return Response(status_code=404)
        return Response(data, media_type="image/jpeg")

    return Route("/cdn/{name}", serve, methods=["GET"])


@dataclass
class Call:
    """One API call received by a stand-in."""

    method: str
    params: dict[str, Any]
    at: float
    content_type: str = ""  # of the request: JSON, a form, or multipart


@dataclass
class StandIn:
    """Shared behaviour of both stand-ins: call log, update queue, injected failures."""

    calls: list[Call] = field(default_factory=list)
    _sends: dict[str, list[Call]] = field(default_factory=dict)  # chat → its sends, in order
    updates: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    blocked_chats: set[str] = field(default_factory=set)
    failing_chats: set[str] = field(default_factory=set)
    # chat → how many more sends to answer 429 (retry_after 3 s); chat → seconds to stall
    rate_limited_chats: dict[str, int] = field(default_factory=dict)
    slow_chats: dict[str, float] = field(default_factory=dict)
    max_per_second: int | None = None  # enforce a platform-wide send rate with 429s
    # chat → the answers to its next sends, in turn: Trouble.SERVER_ERROR (500),
    # Trouble.NO_ANSWER (no answer for ``stall_seconds``, then dropped), Trouble.RATE_LIMIT
    trouble_script: dict[str, list[Trouble]] = field(default_factory=dict)
    stall_seconds: float = 2.0
    too_many: int = 0
    _window: list[float] = field(default_factory=list)
    sent_event: asyncio.Event = field(default_factory=asyncio.Event)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    files: dict[str, bytes] = field(default_factory=dict)  # what chats sent, by name
    webhook_url: str = ""  # set by setWebhook: getUpdates is refused meanwhile
    latency: float = 0.0  # seconds each send takes before the platform has it and answers
    _arrivals: dict[str, asyncio.Event] = field(default_factory=dict)  # chat → a send came

    def sent(self, chat_id: str | None = None) -> list[Call]:
        """sendMessage/sendDocument calls, optionally to one chat (indexed by chat, so a
        benchmark with thousands of calls asks without scanning them all)."""
        if chat_id is not None:
            return list(self._sends.get(chat_id, ()))
        return [c for c in self.calls if c.method in SEND_METHODS]

    def record(self, call: Call) -> None:
        """Log a call as received."""
        self.calls.append(call)
        if call.method in SEND_METHODS:
            chat = str(call.params.get("chat_id"))
            self._sends.setdefault(chat, []).append(call)
            if (arrived := self._arrivals.get(chat)) is not None:
                arrived.set()

    async def wait_for_sends(self, chat: str, count: int, within: float) -> bool:
        """Wait until ``chat`` has at least ``count`` sends; False when ``within`` ran out."""
        deadline = time.monotonic() + within
        arrived = self._arrivals.setdefault(chat, asyncio.Event())
        try:
            while len(self._sends.get(chat, ())) < count:
                arrived.clear()
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(arrived.wait(), remaining)
            return True
        finally:
            self._arrivals.pop(chat, None)

    def refuse(self, call: Call) -> None:
        """Take back a call that was refused: it delivered nothing."""
        self.calls.remove(call)
        if call.method in SEND_METHODS:
            self._sends[str(call.params.get("chat_id"))].remove(call)

    def over_rate(self) -> bool:
        """Whether one more send now would exceed ``max_per_second`` (sliding second)."""
        if self.max_per_second is None:
            return False
        now = time.monotonic()
        self._window = [t for t in self._window if now - t < 1.0]
        if len(self._window) >= self.max_per_second:
            self.too_many += 1
            return True
        self._window.append(now)
        return False

    async def trouble(self, chat: str) -> tuple[int, dict[str, Any]] | None:
        """An injected failure for a send to ``chat``: (status, body), or None."""
        script = self.trouble_script.get(chat)
        if script:
            match script.pop(0):
                case Trouble.SERVER_ERROR:
                    return 500, {}
                case Trouble.NO_ANSWER:
                    await asyncio.sleep(self.stall_seconds)
                    return 500, {}  # the client gave up long ago: nothing was delivered
                case Trouble.RATE_LIMIT:
                    return 429, {"retry_after": 3}
        if chat in self.slow_chats:
            self.sent_event.set()  # the call is already recorded: let waiters look
            await asyncio.sleep(self.slow_chats[chat])
        if self.rate_limited_chats.get(chat, 0) > 0:
            self.rate_limited_chats[chat] -= 1
            return 429, {"retry_after": 3}
        if self.over_rate():
            return 429, {"retry_after": 1}
        return None

    async def wait_for_call(self, method: str, within: float = 20.0) -> None:
        """Wait until a call of ``method`` arrived (answered or not)."""
        deadline = time.monotonic() + within
        while not any(call.method == method for call in self.calls):
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {method} call after {within} s")
            await asyncio.sleep(0.005)

    def texts(self, chat_id: str | None = None) -> list[str]:
        """Texts sent, in order."""
        return [str(c.params.get("text", "")) for c in self.sent(chat_id)]

    async def wait_for_text(self, part: str, within: float = 20.0) -> None:
        """Wait until a message containing ``part`` was sent."""
        deadline = time.monotonic() + within
        while not any(part in text for text in self.texts()):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no message with {part!r} after {within} s")
            self.sent_event.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.sent_event.wait(), remaining)


async def _params(request: Request) -> dict[str, Any]:
    """The call's parameters as the platform reads them: a JSON body as it is; form fields
    as strings, but a keyboard sent as a JSON string read as the object it holds."""
    if request.headers.get("content-type", "").startswith("application/json"):
        body = await request.json()
        return body if isinstance(body, dict) else {}
    async with request.form() as form:  # closes uploaded files (sendDocument)
        params: dict[str, Any] = {}
        for key, value in form.items():
            params[key] = value if isinstance(value, str) else await value.read()
        if isinstance(params.get("reply_markup"), str):
            params["reply_markup"] = json.loads(params["reply_markup"])
        return params


class TelegramStandIn(StandIn):
    """The Bot API methods the bot uses."""

    def app(self) -> Starlette:
        """The ASGI app serving ``/bot<token>/<method>``."""
        return Starlette(
            routes=[
                Route("/bot{token}/{method}", self._handle, methods=["GET", "POST"]),
                Route("/file/bot{token}/{path:path}", self._file, methods=["GET"]),
            ]
        )

    async def _file(self, request: Request) -> Response:
        """The file URL ``getFile`` points to (``photos/<file_id>``)."""
        name = request.path_params["path"].rpartition("/")[2]
        if request.path_params["token"] != TELEGRAM_TOKEN or name not in self.files:
            return Response(status_code=404)
        return Response(self.files[name], media_type="application/octet-stream")

    async def _handle(self, request: Request) -> JSONResponse:
        token, method = request.path_params["token"], request.path_params["method"]
        if token != TELEGRAM_TOKEN:
            return JSONResponse(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, 401
            )
        params = await _params(request)
        content_type = request.headers.get("content-type", "").split(";")[0]
        if self.latency and method in SEND_METHODS:
            await asyncio.sleep(self.latency)  # recorded when the platform has it
        call = Call(method, params, time.monotonic(), content_type)
        self.record(call)
        chat = str(params.get("chat_id", ""))
        if method in ("sendMessage", "sendDocument") and chat in self.blocked_chats:
            return JSONResponse(
                {
                    "ok": False,
                    "error_code": 403,
                    "description": "Forbidden: bot was blocked by the user",
                },
                403,
            )
        if method == "sendMessage" and chat in self.failing_chats:
            self.refuse(call)
            return JSONResponse(
                {"ok": False, "error_code": 500, "description": "Internal Server Error"}, 500
            )
        if method in ("sendMessage", "sendDocument"):
            trouble = await self.trouble(chat)
            if trouble is not None:
                status, parameters = trouble
                self.refuse(call)
                return JSONResponse(
                    {
                        "ok": False,
                        "error_code": status,
                        "description": "Too Many Requests" if status == 429 else "Internal Error",
                        "parameters": parameters,
                    },
                    status,
                )
        result: Any = True
        if method == "getUpdates" and self.webhook_url:
            return JSONResponse(
                {
                    "ok": False,
                    "error_code": 409,
                    "description": "Conflict: can't use getUpdates method while webhook is active",
                },
                409,
            )
        if method == "getMe":
            result = BOT_USER
        elif method in ("setWebhook", "deleteWebhook"):
            self.webhook_url = str(params.get("url", "")) if method == "setWebhook" else ""
        elif method == "getWebhookInfo":
            result = {
                "url": self.webhook_url,
                "has_custom_certificate": False,
                "pending_update_count": 0,
            }
        elif method == "getFile":
            file_id = str(params.get("file_id", ""))
            if file_id not in self.files:
                return JSONResponse(
                    {"ok": False, "error_code": 400, "description": "Bad Request: invalid file_id"},
                    400,
                )
            result = {
                "file_id": file_id,
                "file_unique_id": f"u-{file_id}",
                "file_size": len(self.files[file_id]),
                "file_path": f"photos/{file_id}",
            }
        elif method in ("sendMessage", "sendDocument") and not _integer(chat):
            # What Telegram answers for a chat id that is no chat (a malformed update's).
            return JSONResponse(
                {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"},
                400,
            )
        elif method in ("sendMessage", "sendDocument"):
            result = {
                "message_id": next(self._ids),
                "date": int(time.time()),
                "chat": {"id": int(chat), "type": "private"},
                "text": params.get("text"),
            }
            self.sent_event.set()
        elif method == "getUpdates":
            result = await self._updates(float(params.get("timeout", 0) or 0))
        return JSONResponse({"ok": True, "result": result})

    async def _updates(self, wait: float) -> list[dict[str, Any]]:
        try:
            first = await asyncio.wait_for(self.updates.get(), max(wait, 0.01))
        except TimeoutError:
            return []
        batch = [first]
        while not self.updates.empty():
            batch.append(self.updates.get_nowait())
        return batch


@dataclass
class ZaloStandIn(StandIn):
    """The Zalo Bot API methods the bot uses, with Zalo's documented error codes, and a
    CDN serving the photos chats sent (``/cdn/<name>``, 404 once a link has expired)."""

    # chat → how many more sends to answer 403 "Internal server error"
    internal_errors: dict[str, int] = field(default_factory=dict)

    def app(self) -> Starlette:
        """The ASGI app serving ``/bot<token>/<method>`` and ``/cdn/<name>``."""
        return Starlette(
            routes=[
                Route("/bot{token}/{method}", self._handle, methods=["POST"]),
                zalo_cdn(self.files),
            ]
        )

    @staticmethod
    def _error(code: int, description: str, status: int = 200) -> JSONResponse:
        return JSONResponse({"ok": False, "error_code": code, "description": description}, status)

    async def _handle(self, request: Request) -> JSONResponse:
        token, method = request.path_params["token"], request.path_params["method"]
        if token != ZALO_TOKEN:
            return self._error(401, "Unauthorized")
        params = await _params(request)
        call = Call(method, params, time.monotonic())
        self.record(call)
        chat = str(params.get("chat_id"))
        if method == "sendMessage":
            text = params.get("text")
            if not isinstance(text, str) or not 1 <= len(text) <= ZALO_MAX_TEXT:
                self.refuse(call)
                return self._error(400, "text must be 1-2000 characters")
            if self.internal_errors.get(chat, 0) > 0:
                self.internal_errors[chat] -= 1
                self.refuse(call)
                return self._error(403, "Internal server error")
            trouble = await self.trouble(chat)
            if trouble is not None:
                self.refuse(call)
                return self._error(429, "Quota exceeded", 429)  # no retry_after: none documented
            self.sent_event.set()
            return JSONResponse({"ok": True, "result": {"message_id": f"m{next(self._ids)}"}})
        if method == "getUpdates":
            if self.webhook_url:  # the code is UNCONFIRMED; that it fails is documented
                return self._error(400, "webhook is set: call deleteWebhook before getUpdates")
            try:
                update = await asyncio.wait_for(
                    self.updates.get(), max(float(params.get("timeout", "1")), 0.01)
                )
            except TimeoutError:
                return self._error(408, "no update")
            return JSONResponse({"ok": True, "result": update})
        result: Any = True
        if method == "getMe":
            result = {"id": ZALO_TOKEN.split(":", maxsplit=1)[0], "account_name": "bot.ocop"}
        elif method in ("setWebhook", "deleteWebhook"):
            self.webhook_url = str(params.get("url", "")) if method == "setWebhook" else ""
        elif method == "getWebhookInfo":
            result = {"url": self.webhook_url, "updated_at": int(time.time() * 1000)}
        return JSONResponse({"ok": True, "result": result})


@contextlib.asynccontextmanager
async def serve(app: Any, port: int = 0) -> AsyncIterator[str]:
    """Run ``app`` with uvicorn on a loopback port (a free one unless ``port`` is given) in
    this event loop; yield its URL."""
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_config=None,
            access_log=False,
            lifespan="on",
            # A request a test left stalled (a slow chat) is cancelled at the end, not
            # waited for: uvicorn waits for every request in flight by default.
            timeout_graceful_shutdown=1,
        )
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("server stopped during start-up")
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


_update_ids = itertools.count(1000)


def _integer(text: str) -> bool:
    """Whether ``text`` is a Telegram chat id (an integer, maybe negative)."""
    return text.removeprefix("-").isdigit()


def telegram_user(chat: str, name: str = "Lan") -> dict[str, Any]:
    """A Telegram user object."""
    return {"id": int(chat), "is_bot": False, "first_name": name}


def telegram_text(chat: str, text: str, update_id: int | None = None) -> dict[str, Any]:
    """A Telegram update carrying a text message from a private chat."""
    uid = update_id if update_id is not None else next(_update_ids)
    return {
        "update_id": uid,
        "message": {
            "message_id": uid,
            "date": int(time.time()),
            "chat": {"id": int(chat), "type": "private"},
            "from": telegram_user(chat),
            "text": text,
        },
    }


def telegram_contact(chat: str, phone: str, owner: str) -> dict[str, Any]:
    """A Telegram update sharing a contact card owned by ``owner``."""
    update = telegram_text(chat, "")
    del update["message"]["text"]
    update["message"]["contact"] = {
        "phone_number": phone,
        "first_name": "Lan",
        "user_id": int(owner),
    }
    return update


def telegram_callback(chat: str, data: str) -> dict[str, Any]:
    """A Telegram update for a pressed inline button."""
    uid = next(_update_ids)
    return {
        "update_id": uid,
        "callback_query": {
            "id": f"cb{uid}",
            "from": telegram_user(chat),
            "chat_instance": "ci",
            "data": data,
            "message": {
                "message_id": uid,
                "date": int(time.time()),
                "chat": {"id": int(chat), "type": "private"},
                "text": "…",
            },
        },
    }


_zalo_ids = itertools.count(1)


def zalo_text(chat: str, text: str, *, wrapped: bool = False) -> dict[str, Any]:
    """A Zalo Bot Platform text event (flat, as seen in practice, or wrapped)."""
    event = {
        "event_name": "message.text.received",
        "message": {
            "message_id": f"zm{next(_zalo_ids)}",
            "date": int(time.time() * 1000),
            "from": {"id": chat, "display_name": "Lan", "is_bot": False},
            "chat": {"id": chat, "chat_type": "PRIVATE"},
            "text": text,
        },
    }
    return {"ok": True, "result": event} if wrapped else event


def zalo_event(chat: str, event_name: str, **fields: Any) -> dict[str, Any]:
    """A Zalo Bot Platform event of any kind (flat), with ``fields`` in its message."""
    event = zalo_text(chat, "")
    event["event_name"] = event_name
    del event["message"]["text"]
    event["message"].update(fields)
    return event


def zalo_image(chat: str, photo_url: str, caption: str | None = None) -> dict[str, Any]:
    """A photo sent on Zalo: a CDN link in ``photo_url``."""
    fields = {"photo_url": photo_url} | ({"caption": caption} if caption else {})
    return zalo_event(chat, "message.image.received", **fields)


async def replies_delivered(
    sessionmaker: async_sessionmaker[AsyncSession],
    within: float = 30.0,
    *,
    retries_too: bool = True,
) -> None:
    """Wait until the bot has sent, or given up, every reply its committed steps kept: a
    webhook is answered once its step is committed, before its replies go out. Without
    ``retries_too``, a reply that failed once and waits to be tried again counts as done."""
    deadline = time.monotonic() + within
    while True:
        query = (
            select(func.count())
            .select_from(ReplyRow)
            .where(ReplyRow.state != ReplyState.FAILED.value)
        )
        if not retries_too:
            query = query.where(ReplyRow.attempts == 0)
        async with sessionmaker() as session:
            unsent = await session.scalar(query)
        if not unsent:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{unsent} replies still unsent after {within} s")
        await asyncio.sleep(0.01)


def after_webhooks(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, list[Any]]:
    """httpx ``event_hooks`` that return a webhook's answer only once its replies were
    tried (sent, or failed once), so a test reads them as a person would see them."""

    async def wait(response: httpx.Response) -> None:
        if response.request.url.path.startswith("/webhooks/"):
            await replies_delivered(sessionmaker, retries_too=False)

    return {"response": [wait]}


def free_port() -> int:
    """A TCP port on loopback that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def run_ocop_bot(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    """``ocop-bot args`` in a subprocess with exactly ``env``, awaited so that stand-ins in
    this event loop keep answering it; its exit code, standard output and error."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def start_bot_server(
    database_url: str,
    api_url: str,
    secret: str,
    port: int,
    *,
    telegram: bool = True,
    **extra_env: str,
) -> asyncio.subprocess.Process:
    """Start a real ``ocop-bot serve`` on ``port`` with Telegram pointed at the stand-in at
    ``api_url`` (or without Telegram); return once ``/readyz`` answers 200."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OCOP_", "DATABASE_URL"))}
    env.update(DATABASE_URL=database_url, PYTHONPATH=str(REPO), **extra_env)
    if telegram:
        env.update(
            TELEGRAM_BOT_TOKEN=TELEGRAM_TOKEN,
            TELEGRAM_WEBHOOK_SECRET=secret,
            TELEGRAM_API_BASE_URL=f"{api_url}/bot",
        )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "serve",
        "--port",
        str(port),
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    async with httpx.AsyncClient() as http:
        for _ in range(400):
            try:
                if (await http.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                    return process
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
    process.kill()
    raise RuntimeError("ocop-bot serve did not become ready")


def platform_settings(
    database_url: str, telegram_url: str, zalo_url: str, **overrides: Any
) -> Settings:
    """Settings of the web app with both platforms pointed at their stand-ins."""
    return load_settings(
        database_url=database_url,
        telegram_bot_token=TELEGRAM_TOKEN,
        telegram_webhook_secret=TG_SECRET,
        telegram_api_base_url=f"{telegram_url}/bot",
        zalo_bot_token=ZALO_TOKEN,
        zalo_webhook_secret=ZALO_SECRET,
        zalo_api_base_url=zalo_url,
        **overrides,
    )


# --- Zalo Official Account (Open API v3, OAuth v4) -------------------------------------

OA_ID = "1234567890123456789"
OA_APP_ID = "3216549870"
OA_APP_SECRET = "oa-app-secret-value"
OA_SECRET_KEY = "oa-webhook-secret-key"
OA_MAX_TEXT = 2000
OA_MAX_BUTTONS = 5
# Codes of REFERENCE.md § Zalo OA; the OAuth refusal's and a bad parameter's exact numbers
# are not documented there, so any non-zero value stands for them (the bot reads "non-zero").
OA_BAD_PARAMETER = -201
OA_BAD_REFRESH = -14014
OA_BAD_CODE = -14019
OA_NAME = "UBND tỉnh Quảng Ngãi - OCOP"
OA_DAILY_QUOTA = 500


@dataclass
class ZaloOAStandIn(StandIn):
    """The OA's ``/v3.0/oa/message/cs`` and ``/v2.0/oa/getoa``, the template API (each
    answer reports the daily quota left) and OAuth v4's ``/v4/oa/permission`` and
    ``/v4/oa/access_token`` (a code exchanged once, against its PKCE verifier) as
    documented: every refusal is HTTP 200 with ``error != 0`` — -216 for an unknown access
    token, -220 for an expired one (:meth:`expire`), on the template API too, -230 for a
    user who has not interacted for 7 days, -32 once the quota is spent — and refresh
    tokens are single use (a spent one is refused). A refresh replaces the pair: the access
    token it replaced stops working (-216).

    Sends are logged as ``sendMessage`` calls with ``chat_id`` (the user id), ``text``,
    ``buttons`` (the quick replies' titles and payloads) and ``template_type``.
    """

    live_access: dict[str, bool] = field(default_factory=dict)  # token → expired?
    live_refresh: set[str] = field(default_factory=set)
    issued_with: dict[str, str] = field(default_factory=dict)  # refresh → its pair's access
    refreshes: list[str] = field(default_factory=list)  # the refresh tokens spent, in turn
    refused_refreshes: int = 0
    refresh_latency: float = 0.0  # seconds a refresh takes (to overlap two of them)
    fail_refresh: bool = False  # answer every refresh with an error
    silent_users: set[str] = field(default_factory=set)  # no interaction for 7 days: -230
    quota_left: int | None = None  # sends left before -32
    token_errors: int = 0  # answer this many more calls with -216
    templates: list[dict[str, Any]] = field(default_factory=list)  # template messages sent
    template_refusals: dict[str, int] = field(default_factory=dict)  # phone → error code
    template_quota_left: int = OA_DAILY_QUOTA  # the daily quota each answer reports
    codes: dict[str, str] = field(default_factory=dict)  # authorization code → its challenge
    exchanged: list[str] = field(default_factory=list)  # the codes exchanged, in turn

    def grant(self, name: str) -> tuple[str, str]:
        """A fresh pair the OA's admin granted: (access, refresh)."""
        access, refresh = f"access-{name}", f"refresh-{name}"
        self.live_access[access] = False
        self.live_refresh.add(refresh)
        self.issued_with[refresh] = access
        return access, refresh

    def expire(self, access: str) -> None:
        """Let ``access`` run out (its 25 hours): calls with it are answered -220."""
        self.live_access[access] = True

    def _token_refused(self, request: Request) -> JSONResponse | None:
        """The token error a call with this ``access_token`` header meets, if any: -216 for
        a token Zalo does not know (or no longer: replaced by a refresh), -220 for an
        expired one. The same on every endpoint, the template API included."""
        token = request.headers.get("access_token", "")
        if token not in self.live_access or self.token_errors > 0:
            self.token_errors = max(self.token_errors - 1, 0)
            return self._error(-216, "Access token is invalid")
        if self.live_access[token]:
            return self._error(-220, "Access token has expired")
        return None

    def app(self) -> Starlette:
        """The ASGI app serving both hosts' paths (base URLs point at it)."""
        return Starlette(
            routes=[
                Route("/v3.0/oa/message/cs", self._cs, methods=["POST"]),
                Route("/v4/oa/access_token", self._token, methods=["POST"]),
                Route("/message/template", self._template, methods=["POST"]),
                Route("/v4/oa/permission", self._permission, methods=["GET"]),
                Route("/v2.0/oa/getoa", self._getoa, methods=["GET"]),
                zalo_cdn(self.files),
            ]
        )

    @staticmethod
    def _error(code: int, message: str) -> JSONResponse:
        return JSONResponse({"error": code, "message": message})  # HTTP 200, as documented

    async def _cs(self, request: Request) -> JSONResponse:
        if (refused := self._token_refused(request)) is not None:
            return refused
        body = await request.json()
        user = str(body.get("recipient", {}).get("user_id", ""))
        message = body.get("message", {})
        text = message.get("text")
        payload = message.get("attachment", {}).get("payload", {})
        buttons = payload.get("buttons", [])
        if text is not None and not 1 <= len(text) <= OA_MAX_TEXT:
            return self._error(OA_BAD_PARAMETER, "text must be 1-2000 characters")
        if len(buttons) > OA_MAX_BUTTONS or any(
            b.get("type") != "oa.query.show" or len(b.get("title", "")) > 100 for b in buttons
        ):
            return self._error(OA_BAD_PARAMETER, "at most 5 quick replies of 100 characters")
        if user in self.silent_users:
            return self._error(-230, "User has not interacted with the OA in the last 7 days")
        if self.quota_left is not None:
            if self.quota_left <= 0:
                return self._error(-32, "Exceeded the quota")
            self.quota_left -= 1
        params = {
            "chat_id": user,
            "text": text or "",
            "buttons": [(b["title"], b["payload"]) for b in buttons],
            "template_type": payload.get("template_type"),
        }
        self.record(Call("sendMessage", params, time.monotonic()))
        self.sent_event.set()
        return JSONResponse(
            {"error": 0, "message": "Success", "data": {"message_id": f"oam{next(self._ids)}"}}
        )

    async def _template(self, request: Request) -> JSONResponse:
        """``POST /message/template`` (ZBS): a phone as ``84…``, all parameters as text."""
        if (refused := self._token_refused(request)) is not None:
            return refused
        body = await request.json()
        phone, data = str(body.get("phone", "")), body.get("template_data")
        if not phone.startswith("84") or not phone.isdigit() or not body.get("template_id"):
            return self._error(OA_BAD_PARAMETER, "phone must be 84… and template_id set")
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            return self._error(OA_BAD_PARAMETER, "template_data values must be strings")
        if phone in self.template_refusals:
            return self._error(self.template_refusals[phone], "template not delivered")
        if self.quota_left is not None:
            if self.quota_left <= 0:
                return self._error(-32, "Exceeded the daily quota")
            self.quota_left -= 1
        self.templates.append(body)
        self.template_quota_left -= 1
        quota = {"dailyQuota": str(OA_DAILY_QUOTA), "remainingQuota": str(self.template_quota_left)}
        data = {"msg_id": f"zbs{next(self._ids)}", "quota": quota}
        return JSONResponse({"error": 0, "message": "Success", "data": data})

    async def _permission(self, request: Request) -> Response:
        """OAuth v4's consent page, as if the OA's admin approved: back to ``redirect_uri``
        with a one-time ``code``, the ``oa_id`` and the ``state`` given (PKCE: the
        ``code_challenge`` is kept for the exchange)."""
        query = request.query_params
        challenge, redirect = query.get("code_challenge", ""), query.get("redirect_uri", "")
        if query.get("app_id") != OA_APP_ID or not challenge or not redirect:
            return JSONResponse({"error": -14003, "error_name": "Invalid request"}, 400)
        code = f"code{next(self._ids)}"
        self.codes[code] = challenge
        back = httpx.URL(redirect).copy_merge_params(
            {"code": code, "oa_id": OA_ID, "state": query.get("state", "")}
        )
        return RedirectResponse(str(back), status_code=302)

    async def _getoa(self, request: Request) -> JSONResponse:
        """The OA's profile (``/v2.0/oa/getoa``): its id and name."""
        if (refused := self._token_refused(request)) is not None:
            return refused
        data = {"oa_id": OA_ID, "name": OA_NAME, "description": "", "is_verified": True}
        return JSONResponse({"error": 0, "message": "Success", "data": data})

    def _exchange(self, fields: dict[str, str]) -> JSONResponse:
        """``grant_type=authorization_code``: the code once, with the verifier whose S256
        digest is the challenge it was issued for."""
        code, verifier = fields.get("code", ""), fields.get("code_verifier", "")
        challenge = self.codes.pop(code, None)
        digest = hashlib.sha256(verifier.encode()).digest()
        expected = base64.urlsafe_b64encode(digest).decode().rstrip("=")
        if challenge is None or challenge != expected:
            return JSONResponse({"error": OA_BAD_CODE, "error_name": "Invalid code or verifier"})
        self.exchanged.append(code)
        access, refresh = self.grant(f"g{len(self.exchanged)}")
        return JSONResponse(
            {"access_token": access, "refresh_token": refresh, "expires_in": "90000"}
        )

    async def _token(self, request: Request) -> JSONResponse:
        async with request.form() as form:
            fields = {key: str(value) for key, value in form.items()}
        if request.headers.get("secret_key") != OA_APP_SECRET or fields.get("app_id") != OA_APP_ID:
            return JSONResponse({"error": -14002, "error_name": "Invalid app secret"})
        if fields.get("grant_type") == "authorization_code":
            return self._exchange(fields)
        refresh = fields.get("refresh_token", "")
        if self.refresh_latency:
            await asyncio.sleep(self.refresh_latency)
        if self.fail_refresh or refresh not in self.live_refresh:
            self.refused_refreshes += 1
            return JSONResponse({"error": OA_BAD_REFRESH, "error_name": "Invalid refresh token"})
        self.live_refresh.discard(refresh)  # single use
        self.live_access.pop(self.issued_with.pop(refresh, ""), None)  # replaced: now -216
        self.refreshes.append(refresh)
        access, new_refresh = self.grant(f"r{len(self.refreshes)}")
        return JSONResponse(
            {"access_token": access, "refresh_token": new_refresh, "expires_in": "90000"}
        )


_oa_ids = itertools.count(7_000_000_000_000_000_000)


def oa_event(user: str, event_name: str, **fields: Any) -> dict[str, Any]:
    """An OA webhook body as Zalo sends it (ids as numeric strings, timestamp in ms as text)."""
    return {
        "app_id": OA_APP_ID,
        "user_id_by_app": f"app{user}",
        "event_name": event_name,
        "timestamp": str(int(time.time() * 1000)),
        "sender": {"id": user},
        "recipient": {"id": OA_ID},
        **fields,
    }


def oa_text(user: str, text: str) -> dict[str, Any]:
    """``user_send_text`` from ``user``."""
    return oa_event(user, "user_send_text", message={"msg_id": str(next(_oa_ids)), "text": text})


def oa_image(user: str, url: str) -> dict[str, Any]:
    """``user_send_image`` from ``user``: the photo behind ``url`` on Zalo's CDN."""
    attachment = {"type": "image", "payload": {"thumbnail": url, "url": url}}
    message = {"msg_id": str(next(_oa_ids)), "text": "", "attachments": [attachment]}
    return oa_event(user, "user_send_image", message=message)


def oa_submit_info(user: str, phone: str) -> dict[str, Any]:
    """``user_submit_info``: the phone (``84…``) the user chose to share with the OA."""
    info = {"name": "Lan", "phone": phone, "address": "", "city": "", "district": ""}
    return oa_event(user, "user_submit_info", info=info)


def oa_settings(
    database_url: str, telegram_url: str, zalo_url: str, oa_url: str, **overrides: Any
) -> Settings:
    """Web app settings with every platform, the OA included, pointed at its stand-in."""
    return platform_settings(
        database_url,
        telegram_url,
        zalo_url,
        zalo_oa_id=OA_ID,
        zalo_oa_app_id=OA_APP_ID,
        zalo_oa_app_secret=OA_APP_SECRET,
        zalo_oa_secret_key=OA_SECRET_KEY,
        zalo_oa_api_base_url=oa_url,
        zalo_oa_oauth_base_url=oa_url,
        zalo_oa_template_base_url=oa_url,
        **overrides,
    )
