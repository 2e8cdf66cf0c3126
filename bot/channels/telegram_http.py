"""python-telegram-bot's HTTP port (``BaseRequest``) served by aiohttp, for the Bot API calls.

PTB sends every call through a :class:`telegram.request.BaseRequest` and ships one
implementation, over httpx. Measured on our webhook benchmark, httpx with its anyio and
httpcore layers was the largest single cost of a conversation step — more than the
database — and aiohttp's client does the same request for about a third of the CPU
(``bench/webhook_load.py``: 304 → 593 updates/s on SQLite). PTB keeps everything else:
parameters, files, the rate limiter, status codes mapped to ``Forbidden``, ``RetryAfter``
and ``NetworkError``. Long polling (``getUpdates``) keeps PTB's own httpx request.

Requests go through ``proxy`` when one is given, else through the proxy the environment
names (``HTTPS_PROXY``, ``NO_PROXY``), looked up once per host: aiohttp's ``trust_env`` did
it on every request, with a thread for the proxy and another for ``~/.netrc`` (credentials
the Bot API never needs), two thread hops per reply. A request is sent once:
after a dropped connection nobody knows whether Telegram read it, and sending it again
could say a message twice. Trying again is the sender's decision, not the transport's.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Mapping
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import aiohttp
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import BaseRequest, RequestData

if TYPE_CHECKING:
    from telegram._utils.types import ODVInput

POOL_SIZE = 256  # as PTB's own default: replies to many chats may be in flight at once
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 30.0
POOL_TIMEOUT = 1.0
# Drop a connection idle this long rather than reuse it: servers close idle ones (uvicorn
# after 5 s), and a connection closed by the server but reused is a failed reply.
KEEPALIVE_SECONDS = 4.0
_DEFAULT = type(BaseRequest.DEFAULT_NONE)  # what PTB passes when a call sets no timeout


def _seconds(value: ODVInput[float], default: float | None) -> float | None:
    return default if isinstance(value, _DEFAULT) else value  # type: ignore[return-value]


class AiohttpRequest(BaseRequest):
    """One aiohttp session with a pool of keep-alive connections, for one ``Bot``."""

    def __init__(
        self,
        pool_size: int = POOL_SIZE,
        read_timeout: float = READ_TIMEOUT,
        keepalive: float = KEEPALIVE_SECONDS,
        proxy: str | None = None,
    ) -> None:
        self._pool_size = pool_size
        self._read_timeout = read_timeout
        self._keepalive = keepalive
        self._proxy = proxy
        self._session: aiohttp.ClientSession | None = None
        self._default_timeout: aiohttp.ClientTimeout | None = None
        self._env_proxies: dict[tuple[str, str], str | None] = {}

    @property
    def read_timeout(self) -> float | None:
        """The read timeout used when a call gives none."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the session (PTB calls this from ``Bot.initialize``)."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self._pool_size, keepalive_timeout=self._keepalive
            )
            self._session = aiohttp.ClientSession(connector=connector)

    async def shutdown(self) -> None:
        """Close the session and its connections."""
        if self._session is not None and not self._session.closed:
            await self._session.close()

    def _proxy_for(self, url: str) -> str | None:
        """The given proxy, else the environment's for ``url``'s scheme and host (as
        urllib reads ``*_PROXY`` and ``NO_PROXY``), found once per host."""
        if self._proxy is not None:
            return self._proxy
        parts = urlsplit(url)
        key = (parts.scheme, parts.hostname or "")
        if key not in self._env_proxies:
            proxies = urllib.request.getproxies()
            bypass = not key[1] or urllib.request.proxy_bypass(key[1])
            self._env_proxies[key] = None if bypass else proxies.get(key[0])
        return self._env_proxies[key]

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send one call; return the status code and the body (PTB reads both)."""
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        connect = _seconds(connect_timeout, CONNECT_TIMEOUT)
        pool = _seconds(pool_timeout, POOL_TIMEOUT)
        timeout = aiohttp.ClientTimeout(
            # aiohttp's "connect" covers waiting for a pooled connection and opening one.
            connect=None if connect is None or pool is None else connect + pool,
            sock_read=_seconds(read_timeout, self._read_timeout),
            sock_connect=connect,
        )
        body, content_type = _body(request_data)
        return await self._exchange(method, url, body, content_type, timeout)

    async def post_json(self, url: str, parameters: Mapping[str, Any]) -> None:
        """Send one call whose parameters are JSON-ready values, and whose answer the caller
        does not read; raise PTB's error for a failure, as :meth:`BaseRequest.post` does.

        The reply path: PTB's ``Bot`` turns each parameter into a ``RequestParameter`` and
        each keyboard into Telegram objects and back into a dict, and runs the call through
        the rate limiter and the request wrapper — more CPU than the request itself, for a
        message that is a text and maybe a keyboard.
        """
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        timeout = self._default_timeout
        if timeout is None:
            timeout = self._default_timeout = aiohttp.ClientTimeout(
                connect=CONNECT_TIMEOUT + POOL_TIMEOUT,
                sock_read=self._read_timeout,
                sock_connect=CONNECT_TIMEOUT,
            )
        body = json.dumps(parameters, ensure_ascii=False).encode()
        try:
            code, payload = await self._exchange("POST", url, body, JSON, timeout)
        except TelegramError:
            raise
        except Exception as error:  # as PTB's request wrapper does
            raise NetworkError(f"Unknown error in HTTP implementation: {error!r}") from error
        if not HTTPStatus.OK <= code <= 299:
            raise_for_answer(code, payload)

    async def _exchange(
        self,
        method: str,
        url: str,
        body: aiohttp.FormData | bytes | None,
        content_type: str | None,
        limits: aiohttp.ClientTimeout,
    ) -> tuple[int, bytes]:
        assert self._session is not None  # noqa: S101 - checked by the callers
        headers = {"User-Agent": self.USER_AGENT}
        if content_type is not None:
            headers["Content-Type"] = content_type
        proxy = self._proxy_for(url)
        try:
            async with self._session.request(
                method,
                url,
                data=body,
                headers=headers,
                timeout=limits,
                proxy=proxy,
            ) as response:
                return response.status, await response.read()
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as error:
            raise UnreachableError(f"aiohttp.{type(error).__name__}: {error}") from error
        except TimeoutError as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error


class UnreachableError(NetworkError):
    """No connection to the Bot API could be made (refused, no route, no such name, or none
    in time), as when Telegram is blocked: every call fails alike until one can. A timeout
    once connected, or an error the Bot API answered, is not this."""


def raise_for_answer(code: int, payload: bytes) -> None:
    """Raise the error PTB's request wrapper raises for an answer with status ``code``
    (not 2xx): ``RetryAfter`` or ``ChatMigrated`` when Telegram says so, else by status —
    ``Forbidden`` (403), ``InvalidToken`` (401, 404), ``BadRequest`` (400), ``Conflict``
    (409), ``NetworkError`` (any other)."""
    try:
        message = f"{HTTPStatus(code).phrase} ({code})"
    except ValueError:
        message = f"Unknown HTTPError ({code})"
    unreadable: TelegramError | None = None
    try:
        answer = BaseRequest.parse_json_payload(payload)
    except TelegramError as parse_error:
        message += f". Parsing the server response {payload!r} failed"
        unreadable = parse_error
    else:
        message = answer.get("description") or message
        parameters = answer.get("parameters")
        if parameters:
            if migrate_to := parameters.get("migrate_to_chat_id"):
                raise ChatMigrated(migrate_to)
            if retry_after := parameters.get("retry_after"):
                raise RetryAfter(retry_after)
            message += f". The server response contained unknown parameters: {parameters}"
    failure: TelegramError
    if code == HTTPStatus.FORBIDDEN:
        failure = Forbidden(message)
    elif code in (HTTPStatus.NOT_FOUND, HTTPStatus.UNAUTHORIZED):
        failure = InvalidToken(message)
    elif code == HTTPStatus.BAD_REQUEST:
        failure = BadRequest(message)
    elif code == HTTPStatus.CONFLICT:
        failure = Conflict(message)
    else:
        failure = NetworkError(message)
    raise failure from unreadable


JSON = "application/json"


def _body(request_data: RequestData | None) -> tuple[aiohttp.FormData | bytes | None, str | None]:
    """A JSON body, one of the Bot API's documented forms; multipart when files go along.

    PTB's own httpx request sends url-encoded form fields, and percent-encoding every byte
    of a Vietnamese reply in Python cost more than the rest of building the request;
    ``json.dumps`` does the same work in C. ``RequestData.parameters`` are the values as
    JSON-ready objects (a keyboard is an object, not a string holding JSON).
    """
    if request_data is None:
        return None, None
    files = request_data.multipart_data
    if not files:
        return json.dumps(request_data.parameters, ensure_ascii=False).encode(), JSON
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, part in files.items():
        filename, content, *media = part
        form.add_field(name, content, filename=filename, content_type=media[0] if media else None)
    return form, None
