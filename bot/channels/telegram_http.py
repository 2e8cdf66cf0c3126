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
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import aiohttp
from telegram.error import NetworkError, TimedOut
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
                timeout=timeout,
                proxy=proxy,
            ) as response:
                return response.status, await response.read()
        except TimeoutError as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error


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
