"""An outbound message as a row of ``reply_outbox`` and back, losslessly.

The message is stored as the channel will show it (degraded and joined), so the sender
only sends: a row written before a restart is sent as it was meant, whatever the code
that wrote it would make of the step today. A document's bytes go in their own column.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from bot.messages import Document, Option, Outbound, PhoneRequest, RemoveKeyboard, Reply


class ReplyKind(StrEnum):
    """Which :data:`bot.messages.Outbound` type a row holds."""

    TEXT = "text"
    PHONE_REQUEST = "phone_request"
    REMOVE_KEYBOARD = "remove_keyboard"
    DOCUMENT = "document"


def encode(message: Outbound) -> tuple[ReplyKind, dict[str, Any], bytes | None]:
    """``message`` as (kind, JSON body, bytes)."""
    if isinstance(message, Reply):
        choices = [[[option.label, option.payload] for option in row] for row in message.choices]
        body = {"text": message.text, "choices": choices, "listed": message.listed}
        return ReplyKind.TEXT, body, None
    if isinstance(message, PhoneRequest):
        return (
            ReplyKind.PHONE_REQUEST,
            {"text": message.text, "button_label": message.button_label},
            None,
        )
    if isinstance(message, RemoveKeyboard):
        return ReplyKind.REMOVE_KEYBOARD, {"text": message.text}, None
    body = {
        "filename": message.filename,
        "caption": message.caption,
        "media_type": message.media_type,
    }
    return ReplyKind.DOCUMENT, body, message.content


def decode(kind: str, body: dict[str, Any], content: bytes | None) -> Outbound:
    """The message a row holds."""
    match ReplyKind(kind):
        case ReplyKind.TEXT:
            choices = tuple(
                tuple(Option(label, payload) for label, payload in row) for row in body["choices"]
            )
            return Reply(body["text"], choices, bool(body.get("listed", True)))
        case ReplyKind.PHONE_REQUEST:
            return PhoneRequest(body["text"], body["button_label"])
        case ReplyKind.REMOVE_KEYBOARD:
            return RemoveKeyboard(body["text"])
        case ReplyKind.DOCUMENT:
            return Document(
                content or b"", body["filename"], body.get("caption", ""), body["media_type"]
            )
