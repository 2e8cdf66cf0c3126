"""Zalo Bot Platform over one long-lived httpx client (there is no SDK we use).

Zalo has no buttons, keyboards, documents or contact requests: choices arrive as numbered
text, phones are typed, documents go as links. Webhook bodies are documented wrapped
(``{"ok": true, "result": {...}}``) but arrive flat in practice — both are read. There is no
update id: the event id is ``event_name`` + ``message_id``. The token sits in the URL path,
so neither URLs nor raw httpx errors are ever logged.

Error codes are Zalo's own table, not HTTP's: **403 is "Internal server error"**, not a
blocked user, so a send is tried again a few times and then left to the caller's later
retry; no Zalo answer marks a chat unreachable. 429 (quota) documents no ``retry_after``.
Voice messages and ``message.unsupported.received`` (what protected accounts — children,
people with disabilities, people who cannot read — send instead of their content) arrive
as their own kinds, so the handlers can answer them with a person to call. Photos come as
a public CDN link that expires (``photo_url``, or ``photo``): :meth:`ZaloChannel.download`
fetches it when it arrives.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from enum import IntEnum
from typing import Any

import httpx

from bot.channels import RetryLaterError, no_connection
from bot.files import FileTooLargeError, FileUnavailableError
from bot.messages import (
    Capabilities,
    Channel,
    Content,
    Document,
    FileKind,
    FileReceived,
    Inbound,
    Outbound,
    PhoneRequest,
    RemoveKeyboard,
    Reply,
    content_from_text,
)

CAPABILITIES = Capabilities(buttons=False, contact_request=False, documents=False, max_text=2000)
# Waits before each new attempt of a send that Zalo failed on its side (403, 5xx).
RETRY_DELAYS = (0.5, 2.0)
NO_ANSWER = 0  # our code for a request that got no answer (network, timeout)


class ZaloCode(IntEnum):
    """Zalo Bot API ``error_code`` values (its official table)."""

    BAD_REQUEST = 400
    UNAUTHORIZED = 401  # a wrong or reset token
    INTERNAL_ERROR = 403  # "Internal server error": try again later
    NOT_FOUND = 404
    NO_UPDATE = 408  # getUpdates: nothing arrived within the timeout
    QUOTA_EXCEEDED = 429


class ZaloError(Exception):
    """Zalo answered ``ok: false`` or an HTTP error; carries the code, never the URL."""

    def __init__(
        self,
        code: int,
        description: str,
        retry_after: float | None = None,
        *,
        unreachable: bool = False,
    ) -> None:
        super().__init__(f"zalo error {code}: {description}")
        self.code = code
        self.description = description
        self.retry_after = retry_after
        self.unreachable = unreachable  # no connection could be made at all


def _event(body: dict[str, Any]) -> dict[str, Any]:
    """The event inside a wrapped or a flat webhook body."""
    result = body.get("result")
    return result if isinstance(result, dict) else body


def _content(event_name: str, message: dict[str, Any]) -> Content:
    photo = message.get("photo_url") or message.get("photo")
    if event_name == "message.image.received" or photo:
        return FileReceived(
            FileKind.PHOTO, str(photo or ""), "image/jpeg", None, message.get("caption")
        )
    if event_name == "message.sticker.received":
        return FileReceived(FileKind.STICKER, str(message.get("sticker", "")))
    if event_name == "message.voice.received":
        return FileReceived(FileKind.VOICE, str(message.get("voice_url", "")), "audio/aac")
    if event_name == "message.unsupported.received":
        return FileReceived(FileKind.UNSUPPORTED, str(message.get("message_id", "")))
    text = message.get("text")
    if event_name == "message.text.received" and isinstance(text, str):
        return content_from_text(text)
    return FileReceived(FileKind.OTHER, str(message.get("message_id", "")))


def to_inbound(body: dict[str, Any], received_at: datetime) -> Inbound | None:
    """Our inbound event for a Zalo webhook or getUpdates body; None when unusable."""
    event = _event(body)
    event_name = event.get("event_name")
    message = event.get("message")
    if not isinstance(event_name, str) or not isinstance(message, dict):
        return None
    sender = message.get("from") or {}
    chat = message.get("chat") or {}
    if sender.get("is_bot") or chat.get("chat_type", "PRIVATE") != "PRIVATE":
        return None
    chat_id, message_id = chat.get("id") or sender.get("id"), message.get("message_id")
    if chat_id is None or message_id is None:
        return None
    sent_ms = message.get("date")
    at = (
        datetime.fromtimestamp(sent_ms / 1000, UTC)
        if isinstance(sent_ms, int | float)
        else received_at
    )
    return Inbound(
        channel=Channel.ZALO,
        chat_id=str(chat_id),
        sender_id=str(sender.get("id", chat_id)),
        sender_name=sender.get("display_name"),
        event_id=f"{event_name}:{message_id}",
        at=at,
        content=_content(event_name, message),
        # The send time in milliseconds, then the message id (shorter ids first, so ids
        # that are numbers compare as numbers).
        order=(int(sent_ms) if isinstance(sent_ms, int | float) else 0, _sortable(message_id)),
    )


def _sortable(message_id: object) -> str:
    text = str(message_id)
    return f"{len(text):04d}{text}"


class ZaloChannel:
    """Calls the Zalo Bot API with a shared ``httpx.AsyncClient``."""

    capabilities = CAPABILITIES

    def __init__(
        self,
        client: httpx.AsyncClient,
        base_url: str,
        token: str,
        retry_delays: Sequence[float] = RETRY_DELAYS,
    ) -> None:
        self._client = client
        self._base = f"{base_url.rstrip('/')}/bot{token}"
        self._retry_delays = tuple(retry_delays)

    async def call(
        self, method: str, payload: dict[str, Any], *, read_timeout: float | None = None
    ) -> Any:
        """Call ``method``; return its ``result`` or raise :class:`ZaloError`.

        ``read_timeout`` replaces the client's for this call: a long poll must wait longer
        than the poll itself, or every quiet poll ends as a client timeout."""
        timeout: Any = httpx.USE_CLIENT_DEFAULT
        if read_timeout is not None:
            timeout = httpx.Timeout(read_timeout, connect=self._client.timeout.connect)
        try:
            response = await self._client.post(
                f"{self._base}/{method}", json=payload, timeout=timeout
            )
        except httpx.HTTPError as error:
            unreachable = no_connection(error)
            raise ZaloError(NO_ANSWER, type(error).__name__, unreachable=unreachable) from None
        try:
            body = response.json()
        except ValueError:
            raise ZaloError(response.status_code, "not JSON") from None
        if not isinstance(body, dict) or not body.get("ok"):
            code = body.get("error_code", response.status_code) if isinstance(body, dict) else 0
            description = body.get("description", "") if isinstance(body, dict) else ""
            retry_after = None  # Zalo documents none; an HTTP Retry-After header is honoured
            if "retry-after" in response.headers:
                retry_after = float(response.headers["retry-after"])
            raise ZaloError(int(code), str(description), retry_after)
        return body.get("result")

    async def send(self, chat_id: str, outbound: Outbound) -> None:
        """Send one (already degraded) message as text.

        A failure on Zalo's side (its 403 "internal server error", or 5xx) is tried again
        after each of ``retry_delays``; after the last, or on a quota (429) or a request
        that got no answer (it may have arrived: sending again could say it twice),
        :class:`RetryLaterError` leaves the next try to the caller.
        """
        if isinstance(outbound, Reply | PhoneRequest | RemoveKeyboard):
            text = outbound.text
        elif isinstance(outbound, Document):  # pragma: no cover - degraded to links first
            text = outbound.caption or outbound.filename
        if not text.strip():
            return  # Zalo refuses an empty text (1–2000 characters)
        for delay in (*self._retry_delays, None):
            try:
                await self.call("sendMessage", {"chat_id": chat_id, "text": text})
                return
            except ZaloError as error:
                server_side = error.code == ZaloCode.INTERNAL_ERROR or error.code >= 500
                if server_side and delay is not None:
                    await asyncio.sleep(delay)
                    continue
                if server_side or error.code in (NO_ANSWER, ZaloCode.QUOTA_EXCEEDED):
                    quota = error.code == ZaloCode.QUOTA_EXCEEDED
                    raise RetryLaterError(
                        str(error),
                        error.retry_after,
                        rate_limited=quota,
                        away=error.unreachable,
                    ) from None
                raise

    async def download(self, file: FileReceived, limit: int) -> bytes:
        """The bytes behind a photo's CDN link (no token in it), read up to ``limit``."""
        if not file.file_ref.startswith(("https://", "http://")):
            raise FileUnavailableError("no link")
        try:
            async with self._client.stream("GET", file.file_ref) as response:
                if response.status_code != httpx.codes.OK:
                    raise FileUnavailableError(f"status {response.status_code}")
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > limit:
                    raise FileTooLargeError
                data = bytearray()
                async for chunk in response.aiter_bytes():
                    data += chunk
                    if len(data) > limit:
                        raise FileTooLargeError
        except httpx.HTTPError as error:
            raise FileUnavailableError(type(error).__name__) from None
        return bytes(data)
