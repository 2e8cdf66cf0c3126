"""Zalo Bot Platform over one long-lived httpx client (there is no SDK we use).

Zalo has no buttons, keyboards, documents or contact requests: choices arrive as numbered
text, phones are typed, documents go as links. Webhook bodies are documented wrapped
(``{"ok": true, "result": {...}}``) but arrive flat in practice — both are read. There is no
update id: the event id is ``event_name`` + ``message_id``. The token sits in the URL path,
so neither URLs nor raw httpx errors are ever logged.
"""

from __future__ import annotations

from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

import httpx

from bot.channels import ChatUnreachableError, RetryLaterError
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


class ZaloError(Exception):
    """Zalo answered ``ok: false`` or an HTTP error; carries the code, never the URL."""

    def __init__(self, code: int, description: str, retry_after: float | None = None) -> None:
        super().__init__(f"zalo error {code}: {description}")
        self.code = code
        self.retry_after = retry_after


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
    )


class ZaloChannel:
    """Calls the Zalo Bot API with a shared ``httpx.AsyncClient``."""

    capabilities = CAPABILITIES

    def __init__(self, client: httpx.AsyncClient, base_url: str, token: str) -> None:
        self._client = client
        self._base = f"{base_url.rstrip('/')}/bot{token}"

    async def call(self, method: str, payload: dict[str, Any]) -> Any:
        """Call ``method``; return its ``result`` or raise :class:`ZaloError`."""
        try:
            response = await self._client.post(f"{self._base}/{method}", json=payload)
        except httpx.HTTPError as error:
            raise ZaloError(0, type(error).__name__) from None
        try:
            body = response.json()
        except ValueError:
            raise ZaloError(response.status_code, "not JSON") from None
        if not isinstance(body, dict) or not body.get("ok"):
            code = body.get("error_code", response.status_code) if isinstance(body, dict) else 0
            description = body.get("description", "") if isinstance(body, dict) else ""
            parameters = body.get("parameters") if isinstance(body, dict) else None
            wait = parameters.get("retry_after") if isinstance(parameters, dict) else None
            retry_after = float(wait) if isinstance(wait, int | float) else None
            if retry_after is None and "retry-after" in response.headers:
                retry_after = float(response.headers["retry-after"])
            raise ZaloError(int(code), str(description), retry_after)
        return body.get("result")

    async def send(self, chat_id: str, outbound: Outbound) -> None:
        """Send one (already degraded) message as text."""
        if isinstance(outbound, Reply | PhoneRequest | RemoveKeyboard):
            text = outbound.text
        elif isinstance(outbound, Document):  # pragma: no cover - degraded to links first
            text = outbound.caption or outbound.filename
        try:
            await self.call("sendMessage", {"chat_id": chat_id, "text": text})
        except ZaloError as error:
            if error.code == HTTPStatus.FORBIDDEN:
                raise ChatUnreachableError(str(error)) from None
            if error.code in (0, HTTPStatus.TOO_MANY_REQUESTS) or error.code >= 500:
                raise RetryLaterError(str(error), error.retry_after) from None
            raise
