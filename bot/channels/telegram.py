"""Telegram, with python-telegram-bot used as the transport only.

``Update.de_json`` reads the payload and ``ExtBot`` (with ``AIORateLimiter``) sends; the
conversation lives in our engine, not in ``telegram.ext`` handlers. Choices become inline
keyboards (callback data is checked against Telegram's 64-byte limit), the phone question a
reply keyboard with a contact button (only the sender's own card counts), documents go by
``sendDocument``. A 403 means the user blocked the bot: :class:`ChatUnreachableError`.
Photos and documents are fetched when they arrive (``getFile``, then the file URL), voice
messages arrive as their own kind. Every call may go through a proxy: Telegram is blocked
by Vietnamese ISPs, so a server in Vietnam reaches the Bot API only that way.
"""

from __future__ import annotations

import os
import warnings
from datetime import datetime, timedelta
from typing import Any

from telegram import (
    Bot,
    InputFile,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import AIORateLimiter, ExtBot
from telegram.request import HTTPXRequest
from telegram.warnings import PTBUserWarning

from bot.channels import ChatUnreachableError, RetryLaterError
from bot.channels.telegram_http import READ_TIMEOUT, AiohttpRequest, UnreachableError
from bot.files import FileTooLargeError, FileUnavailableError
from bot.messages import (
    Capabilities,
    Channel,
    ChoicePicked,
    ContactShared,
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

CAPABILITIES = Capabilities(buttons=True, contact_request=True, documents=True, max_text=4096)
MAX_CALLBACK_BYTES = 64


# A 429 is not retried by the limiter: its retry pauses every request of the bot, and a
# rate limit for one chat must slow that chat only. The reply sender and the alert
# dispatcher wait the 429's retry_after for that chat themselves.
REPLY_RETRIES = 0
SEND_MESSAGE_WARNING = r"Please use 'Bot\.send_message' instead"


def make_bot(
    token: str,
    base_url: str,
    overall_per_second: float = 0,
    proxy: str | None = None,
    read_timeout: float = READ_TIMEOUT,
) -> ExtBot[int]:
    """A Telegram bot pointed at ``base_url``, with PTB's ``AIORateLimiter``, sending
    through aiohttp (:mod:`bot.channels.telegram_http`).

    ``proxy`` (``TELEGRAM_PROXY_URL``) carries every call, long polls included; without
    it the standard ``HTTPS_PROXY`` / ``NO_PROXY`` variables are honoured (aiohttp's
    ``trust_env``, httpx's default for the polling request).

    Replies to people who just wrote are not capped overall (``overall_per_second=0``):
    Telegram's ~30 msg/s guidance is for bulk sends, which the alert dispatcher paces
    itself. The limiter still keeps group limits; a 429 is raised at once
    (:data:`REPLY_RETRIES`), for the caller to wait its ``retry_after`` for that chat.

    Durations (a 429's ``retry_after``) are read as ``timedelta``: PTB 22 announces that
    form and warns on the old integer one unless ``PTB_TIMEDELTA`` opts in.
    """
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    # TelegramChannel sends text through do_api_request on purpose (see _send_text); PTB
    # warns on every such call that names a method it wraps.
    warnings.filterwarnings("ignore", SEND_MESSAGE_WARNING, PTBUserWarning)
    file_url = base_url.removesuffix("/bot") + "/file/bot"
    limiter = AIORateLimiter(overall_max_rate=overall_per_second, max_retries=REPLY_RETRIES)
    return ExtBot(
        token,
        base_url=base_url,
        base_file_url=file_url,
        rate_limiter=limiter,
        request=AiohttpRequest(proxy=proxy, read_timeout=read_timeout),
        get_updates_request=HTTPXRequest(connection_pool_size=1, proxy=proxy),
    )


def _content(update: Update) -> Content | None:
    if update.callback_query is not None:
        return ChoicePicked(update.callback_query.data or "")
    message = update.message
    if message is None:
        return None
    if message.contact is not None:
        sender = message.from_user.id if message.from_user else None
        return ContactShared(message.contact.phone_number, message.contact.user_id == sender)
    if message.photo:
        photo = message.photo[-1]
        return FileReceived(
            FileKind.PHOTO, photo.file_id, "image/jpeg", photo.file_size, message.caption
        )
    if message.document is not None:
        document = message.document
        return FileReceived(
            FileKind.DOCUMENT,
            document.file_id,
            document.mime_type,
            document.file_size,
            message.caption,
        )
    if message.sticker is not None:
        return FileReceived(FileKind.STICKER, message.sticker.file_id)
    if message.voice is not None:
        return FileReceived(FileKind.VOICE, message.voice.file_id, message.voice.mime_type)
    if message.text is not None:
        return content_from_text(message.text)
    return FileReceived(FileKind.OTHER, str(message.message_id))


def to_inbound(update: Update, received_at: datetime) -> Inbound | None:
    """Our inbound event for a Telegram update; None for updates we do not handle."""
    content = _content(update)
    chat = update.effective_chat
    user = update.effective_user
    if content is None or chat is None or user is None or chat.type != "private":
        return None
    return Inbound(
        channel=Channel.TELEGRAM,
        chat_id=str(chat.id),
        sender_id=str(user.id),
        sender_name=user.full_name,
        event_id=str(update.update_id),
        at=received_at,
        content=content,
        order=(update.update_id, ""),
    )


# The keys of a message that make it more than plain text: those go through PTB's objects.
_NOT_PLAIN_TEXT = frozenset({"contact", "photo", "document", "sticker", "voice"})


def text_inbound(body: dict[str, Any], received_at: datetime) -> Inbound | None:
    """The inbound event of the commonest update — a private chat's text message — read
    straight from the JSON; None for anything else, which :func:`to_inbound` reads through
    PTB's ``Update``. Same result as that path (a test compares them), without building a
    dozen Telegram objects per message.
    """
    message, update_id = body.get("message"), body.get("update_id")
    if len(body) != 2 or type(update_id) is not int or not isinstance(message, dict):
        return None
    text, chat, user = message.get("text"), message.get("chat"), message.get("from")
    if (
        not isinstance(text, str)
        or not isinstance(chat, dict)
        or not isinstance(user, dict)
        or chat.get("type") != "private"
        or type(chat.get("id")) is not int
        or type(user.get("id")) is not int
        or not _NOT_PLAIN_TEXT.isdisjoint(message)
    ):
        return None
    first, last = user.get("first_name"), user.get("last_name")
    if not isinstance(first, str) or not first or not isinstance(last, str | None):
        return None
    return Inbound(
        channel=Channel.TELEGRAM,
        chat_id=str(chat["id"]),
        sender_id=str(user["id"]),
        sender_name=f"{first} {last}" if last else first,
        event_id=str(update_id),
        at=received_at,
        content=content_from_text(text),
        order=(update_id, ""),
    )


def _keyboard(reply: Reply) -> dict[str, Any]:
    """The reply's choices as an inline keyboard, in the Bot API's JSON form (what
    ``InlineKeyboardMarkup.to_dict()`` gives, built without the objects)."""
    rows = []
    for row in reply.choices:
        for option in row:
            if len(option.payload.encode()) > MAX_CALLBACK_BYTES:
                raise ValueError(f"callback data over 64 bytes: {option.payload!r}")
        rows.append([{"text": o.label, "callback_data": o.payload} for o in row])
    return {"inline_keyboard": rows}


def _private_chat(chat_id: str) -> bool:
    """Whether ``chat_id`` is a person's chat (a positive number), for which the limiter of
    :func:`make_bot` holds nothing back: it paces groups and channels only."""
    return chat_id.isascii() and chat_id.isdigit()


class TelegramChannel:
    """Sends our outbound messages through a python-telegram-bot ``Bot``."""

    capabilities = CAPABILITIES

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        # Texts to people go straight through our aiohttp request (see _send_text).
        request = bot.request
        self._direct = request if isinstance(request, AiohttpRequest) else None
        self._send_message_url = f"{bot.base_url}/sendMessage"

    async def download(self, file: FileReceived, limit: int) -> bytes:
        """The bytes of a photo or document: ``getFile`` gives its path (and size), then
        the file URL, through the same request and proxy as every call."""
        try:
            found = await self.bot.get_file(file.file_ref)
            if found.file_size is not None and found.file_size > limit:
                raise FileTooLargeError
            data = bytes(await found.download_as_bytearray())
        except BadRequest as error:  # "file is too big" is Telegram's own 20 MB limit
            if "too big" in error.message.lower():
                raise FileTooLargeError from None
            raise FileUnavailableError(type(error).__name__) from None
        except TelegramError as error:
            raise FileUnavailableError(type(error).__name__) from None
        if len(data) > limit:
            raise FileTooLargeError
        return data

    async def acknowledge(self, update: Update) -> None:
        """Answer a button press so the client stops its spinner."""
        if update.callback_query is not None:
            await self.bot.answer_callback_query(update.callback_query.id)

    async def send(self, chat_id: str, outbound: Outbound) -> None:
        """Send one message; raises :class:`ChatUnreachableError` when blocked."""
        try:
            await self._send(chat_id, outbound)
        except Forbidden as error:
            raise ChatUnreachableError(str(error)) from None
        except RetryAfter as error:
            wait = error.retry_after
            seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            raise RetryLaterError("rate limited", seconds, rate_limited=True) from None
        except BadRequest:
            raise
        except NetworkError as error:  # no connection, timeouts and 5xx
            away = isinstance(error, UnreachableError)
            raise RetryLaterError(type(error).__name__, away=away) from None

    async def _send(self, chat_id: str, outbound: Outbound) -> None:
        if isinstance(outbound, Reply):
            markup = _keyboard(outbound) if outbound.choices else None
            await self._send_text(chat_id, outbound.text, markup)
        elif isinstance(outbound, PhoneRequest):
            button = KeyboardButton(outbound.button_label, request_contact=True)
            keyboard = ReplyKeyboardMarkup([[button]], resize_keyboard=True, one_time_keyboard=True)
            await self._send_text(chat_id, outbound.text, keyboard.to_dict())
        elif isinstance(outbound, RemoveKeyboard):
            await self._send_text(chat_id, outbound.text, ReplyKeyboardRemove().to_dict())
        elif isinstance(outbound, Document):
            await self.bot.send_document(
                chat_id,
                InputFile(outbound.content, filename=outbound.filename),
                caption=outbound.caption or None,
            )

    async def _send_text(self, chat_id: str, text: str, markup: dict[str, Any] | None) -> None:
        """``sendMessage`` with the keyboard ``markup`` (its JSON form), its answer unread.

        To a person's chat with :func:`make_bot`'s request, the call goes straight through
        it (:meth:`AiohttpRequest.post_json`), with the same status codes mapped to the same
        errors: for such a chat PTB's ``Bot`` would only have turned the parameters into its
        request objects and passed the limiter, which paces groups alone, and that cost
        more CPU than sending. Otherwise through PTB's ``do_api_request``, which also leaves
        Telegram's answer as it came (``Bot.send_message`` would parse it into a
        ``Message`` that we never read).
        """
        parameters: dict[str, Any] = {"chat_id": chat_id, "text": text}
        if markup is not None:
            parameters["reply_markup"] = markup
        if self._direct is not None and _private_chat(chat_id):
            await self._direct.post_json(self._send_message_url, parameters)
            return
        await self.bot.do_api_request("send_message", api_kwargs=parameters)
