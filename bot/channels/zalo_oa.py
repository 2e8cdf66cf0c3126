"""The province's Zalo Official Account over Open API v3 (httpx, no SDK).

Webhook. Zalo signs each event: ``X-ZEvent-Signature: mac=<hex>`` where the hex is the
plain SHA-256 (not an HMAC) of ``app_id + raw body + timestamp + secret``, the timestamp
being the body's own ``timestamp`` field. Whether the secret is the OA's secret key or the
app's secret is UNCONFIRMED: both are tried and the one that matched is logged. Zalo wants
its 200 within 2 seconds and retries otherwise; ids are numeric strings beyond 2**53, kept as
text; a message is deduplicated on its ``msg_id``, other events on name, user and time.

Events read (:func:`read_event`): ``user_send_text`` (a tapped quick reply arrives as one,
carrying the button's payload — here the option's own words), ``user_send_image``,
``user_send_sticker``, ``user_send_location``, the other ``user_send_*`` kinds, ``follow``
(opens the conversation like ``/start``), ``unfollow`` (the chat stops being reachable),
``user_submit_info`` (the phone the user chose to share, ``849…``: a contact of their own)
and the receipts ``user_received_message`` / ``user_seen_message``.

Sending: ``POST {base}/v3.0/oa/message/cs`` with the header ``access_token``. Errors come
as HTTP 200 with ``error != 0``: -216 (invalid) and -220 (expired) token errors renew the
token once and try again; -32 is a rate limit; -230 means the user has not interacted for
7 days, so a free message cannot go (:class:`ZaloOAError` with ``outside_window``). Choices
of at most five options go as quick-reply buttons (``oa.query.show``); more are written as
a numbered list by :func:`bot.render.degrade` (``Capabilities.max_buttons``). The phone
question goes as its text, then Zalo's ``request_user_info`` card.

The messaging window counts messages: each message posted to ``/message/cs`` is told to
``on_sent`` (the phone question is two). The official article says a reply in the window
must reference the user's message id, but no field of ``/message/cs`` for it is documented
(UNCONFIRMED): none is sent, since an unknown field could get every reply refused; the
user's last message is kept with the window (``ZaloOAChat.last_msg_id``: ``msg:<msg_id>``)
for when it is.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import IntEnum
from typing import Any, Protocol

import httpx

from bot.channels import RetryLaterError, no_connection
from bot.files import FileTooLargeError, FileUnavailableError
from bot.messages import (
    Capabilities,
    Channel,
    Command,
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

log = logging.getLogger(__name__)
MAX_TEXT = 2000
MAX_BUTTONS = 5
BUTTON_TITLE_MAX = 100
BUTTON_PAYLOAD_MAX = 1000
CAPABILITIES = Capabilities(
    buttons=True, contact_request=True, documents=False, max_text=MAX_TEXT, max_buttons=MAX_BUTTONS
)
NO_ANSWER = 0  # our code for a request that got no answer (network, timeout)


class OACode(IntEnum):
    """Zalo Open API ``error`` values the channel acts on (REFERENCE.md § Zalo OA)."""

    RATE_LIMIT = -32
    INVALID_TOKEN = -216
    EXPIRED_TOKEN = -220
    NO_INTERACTION = -230  # no interaction from the user in the last 7 days
    NIGHT_PROMOTION = -234  # promotions are not delivered at night


TOKEN_ERRORS = frozenset({OACode.INVALID_TOKEN, OACode.EXPIRED_TOKEN})


class ZaloOAError(Exception):
    """Zalo refused a call (``error != 0``) or answered nothing usable; never the token."""

    def __init__(self, code: int, message: str, *, unreachable: bool = False) -> None:
        super().__init__(f"zalo oa error {code}: {message}")
        self.code = code
        self.unreachable = unreachable  # no connection could be made at all

    @property
    def outside_window(self) -> bool:
        """The user has not written for too long: only a template can reach them."""
        return self.code == OACode.NO_INTERACTION

    @property
    def permanent(self) -> bool:
        """The same message would be refused again (not a token, rate or network matter)."""
        return self.code not in (NO_ANSWER, OACode.RATE_LIMIT, *TOKEN_ERRORS) and self.code < 0


class AccessTokens(Protocol):
    """Where the channel gets the OA's access token (:mod:`bot.oa_tokens`)."""

    async def current(self) -> str:
        """A valid access token."""
        ...

    async def renewed(self, stale: str) -> str:
        """A new access token in place of ``stale``, which Zalo refused."""
        ...


# --- template messages (ZBS, formerly ZNS) ---------------------------------------------

MAX_TEMPLATE_PARAMS = 10  # Zalo's limit for a template's parameters in all


@dataclass(frozen=True, slots=True)
class Template:
    """An approved template for one alert kind: its id and, for each of its parameters,
    the outbox fact that fills it (``{"ten_san_pham": "product", …}``)."""

    template_id: str
    params: dict[str, str]


@dataclass(frozen=True, slots=True)
class TemplateSent:
    """Zalo's answer to a template message: its id and the daily quota it reports
    (``quota.dailyQuota`` / ``quota.remainingQuota``, numbers sent as text; None when the
    answer carries none)."""

    msg_id: str | None
    quota_daily: int | None
    quota_left: int | None


def _number(value: Any) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


def read_template_answer(data: Any) -> TemplateSent:
    """The :class:`TemplateSent` in a ``/message/template`` answer's ``data``."""
    if not isinstance(data, dict):
        return TemplateSent(None, None, None)
    quota = data.get("quota") if isinstance(data.get("quota"), dict) else {}
    msg_id = data.get("msg_id")
    return TemplateSent(
        str(msg_id) if msg_id is not None else None,
        _number(quota.get("dailyQuota")) if quota else None,
        _number(quota.get("remainingQuota")) if quota else None,
    )


def parse_templates(text: str) -> dict[str, Template]:
    """``ZALO_OA_TEMPLATES``: JSON ``{kind: {"template_id": …, "params": {name: fact}}}``;
    ValueError when it is not that or a template has more parameters than Zalo allows."""
    if not text.strip():
        return {}
    try:
        raw = json.loads(text)
    except ValueError:
        raise ValueError("must be JSON: {kind: {template_id, params}}") from None
    if not isinstance(raw, dict):
        raise ValueError("must be a JSON object keyed by alert kind")
    templates: dict[str, Template] = {}
    for kind, entry in raw.items():
        params = entry.get("params") if isinstance(entry, dict) else None
        template_id = entry.get("template_id") if isinstance(entry, dict) else None
        if not template_id or not isinstance(params, dict):
            raise ValueError(f"{kind}: needs template_id and params")
        if len(params) > MAX_TEMPLATE_PARAMS:
            raise ValueError(f"{kind}: at most {MAX_TEMPLATE_PARAMS} parameters")
        templates[str(kind)] = Template(
            str(template_id), {str(k): str(v) for k, v in params.items()}
        )
    return templates


# --- the webhook ------------------------------------------------------------------------


def _mac(app_id: str, body: bytes, timestamp: str, secret: str) -> str:
    data = app_id.encode() + body + timestamp.encode() + secret.encode()
    return hashlib.sha256(data).hexdigest()


def signature_matches(
    body: bytes, header: str | None, *, app_id: str, secrets: Sequence[tuple[str, str]]
) -> str | None:
    """The name of the secret whose MAC ``header`` carries, or None (then refuse with 403).

    ``secrets`` are (name, value) pairs: the OA's secret key and the app's secret, since
    which one Zalo uses is UNCONFIRMED."""
    if not header:
        return None
    given = header.strip().removeprefix("mac=").strip().lower()
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    timestamp = parsed.get("timestamp") if isinstance(parsed, dict) else None
    if timestamp is None:
        return None
    for name, secret in secrets:
        if secret and hmac.compare_digest(_mac(app_id, body, str(timestamp), secret), given):
            return name
    return None


def sign(body: bytes, *, app_id: str, secret: str) -> str:
    """The ``X-ZEvent-Signature`` value Zalo sends with ``body`` (for stand-ins and tests)."""
    timestamp = str(json.loads(body).get("timestamp", ""))
    return f"mac={_mac(app_id, body, timestamp, secret)}"


@dataclass(frozen=True, slots=True)
class Unfollowed:
    """The user unfollowed the OA: nothing can be sent to them until they follow again."""

    user_id: str


@dataclass(frozen=True, slots=True)
class Receipt:
    """A delivery or read receipt: the message ids (or template tracking id) it confirms."""

    user_id: str
    event_name: str
    msg_ids: tuple[str, ...]
    tracking_id: str | None
    at: datetime


OAEvent = Inbound | Unfollowed | Receipt


def _at(event: dict[str, Any], received_at: datetime) -> tuple[datetime, int]:
    raw = event.get("timestamp")
    try:
        ms = int(str(raw))
    except ValueError:
        return received_at, 0
    return datetime.fromtimestamp(ms / 1000, UTC), ms


def _attachment(message: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    attachments = message.get("attachments")
    if isinstance(attachments, list) and attachments and isinstance(attachments[0], dict):
        first = attachments[0]
        payload = first.get("payload")
        return str(first.get("type", "")), payload if isinstance(payload, dict) else {}
    return "", {}


def _content(event_name: str, message: dict[str, Any]) -> Content:
    kind, payload = _attachment(message)
    msg_id = str(message.get("msg_id", ""))
    if event_name == "user_send_text" and isinstance(message.get("text"), str):
        return content_from_text(message["text"])
    if event_name == "user_send_image" or kind == "image":
        caption = message.get("text") or None
        return FileReceived(
            FileKind.PHOTO, str(payload.get("url", "")), "image/jpeg", None, caption
        )
    if event_name == "user_send_sticker" or kind == "sticker":
        return FileReceived(FileKind.STICKER, str(payload.get("id") or payload.get("url", "")))
    if event_name == "user_send_audio" or kind == "audio":
        return FileReceived(FileKind.VOICE, str(payload.get("url", "")), "audio/aac")
    if event_name == "user_send_location" or kind == "location":
        where = payload.get("coordinates") or {}
        ref = f"{where.get('latitude', '')},{where.get('longitude', '')}"
        return FileReceived(FileKind.OTHER, ref)
    return FileReceived(FileKind.OTHER, msg_id)


def _sortable(value: str) -> str:
    return f"{len(value):04d}{value}"


def _obj(body: dict[str, Any], key: str) -> dict[str, Any]:
    value = body.get(key)
    return value if isinstance(value, dict) else {}


def read_event(body: dict[str, Any], received_at: datetime) -> OAEvent | None:
    """Our event for one OA webhook body; None for what the bot does not act on (the OA's
    own sends, unknown kinds)."""
    event_name = body.get("event_name")
    if not isinstance(event_name, str):
        return None
    at, ms = _at(body, received_at)
    sender, follower, message = _obj(body, "sender"), _obj(body, "follower"), _obj(body, "message")
    if event_name in ("user_received_message", "user_seen_message"):
        recipient = _obj(body, "recipient")
        ids = message.get("msg_ids") or ([message["msg_id"]] if "msg_id" in message else [])
        tracking = message.get("tracking_id")
        return Receipt(
            str(recipient.get("id", "")),
            event_name,
            tuple(str(i) for i in ids),
            str(tracking) if tracking is not None else None,
            at,
        )
    user = follower.get("id") or sender.get("id")
    if user is None:
        return None
    user_id = str(user)
    if event_name == "unfollow":
        return Unfollowed(user_id)
    content: Content
    if event_name == "follow":
        content, event_id = Command("start"), f"follow:{user_id}:{ms}"
    elif event_name == "user_submit_info":
        info = _obj(body, "info")
        phone = str(info.get("phone") or "")
        if not phone:
            return None
        content, event_id = ContactShared(phone, is_own=True), f"submit_info:{user_id}:{ms}"
    elif event_name.startswith("user_send_") and message.get("msg_id") is not None:
        content, event_id = _content(event_name, message), f"msg:{message['msg_id']}"
    else:
        return None
    return Inbound(
        channel=Channel.ZALO_OA,
        chat_id=user_id,
        sender_id=user_id,
        sender_name=None,  # OA events carry no name; a name is asked, never taken from here
        event_id=event_id,
        at=at,
        content=content,
        order=(ms, _sortable(str(message.get("msg_id", "")))),
    )


# --- sending ----------------------------------------------------------------------------


def _buttons(reply: Reply) -> list[dict[str, str]] | None:
    """Quick-reply buttons for ``reply``'s options, or None when they do not fit
    (more than five, or a title too long): the tap sends the option's words, which pick
    it like typing them (:mod:`handlers.offers`)."""
    options = [option for row in reply.choices for option in row]
    if not options or len(options) > MAX_BUTTONS:
        return None
    if any(len(o.label) > BUTTON_TITLE_MAX or len(o.label) > BUTTON_PAYLOAD_MAX for o in options):
        return None
    return [{"title": o.label, "type": "oa.query.show", "payload": o.label} for o in options]


def messages_for(outbound: Outbound) -> list[dict[str, Any]]:
    """The ``message`` objects of ``/message/cs`` that show ``outbound`` (already degraded)."""
    if isinstance(outbound, PhoneRequest):
        # The request card's exact elements (image_url required or not) are UNCONFIRMED:
        # the question goes first as text, so a refused card still leaves a typed answer.
        card = {
            "attachment": {
                "type": "template",
                "payload": {
                    "template_type": "request_user_info",
                    "elements": [
                        {"title": outbound.button_label[:100], "subtitle": outbound.text[:500]}
                    ],
                },
            }
        }
        return [{"text": outbound.text}, card]
    if isinstance(outbound, Reply):
        buttons = _buttons(outbound) if outbound.choices else None
        if buttons:
            # UNCONFIRMED: a text with buttons as a template attachment of buttons only.
            payload = {"buttons": buttons}
            return [{"text": outbound.text, "attachment": {"type": "template", "payload": payload}}]
        return [{"text": outbound.text}]
    if isinstance(outbound, RemoveKeyboard):
        return [{"text": outbound.text}]
    if isinstance(outbound, Document):  # pragma: no cover - degraded to links first
        return [{"text": outbound.caption or outbound.filename}]
    return []


class ZaloOAChannel:
    """Calls the OA's Open API v3 with a shared ``httpx.AsyncClient``."""

    capabilities = CAPABILITIES

    def __init__(
        self,
        client: httpx.AsyncClient,
        base_url: str,
        tokens: AccessTokens,
        *,
        template_base_url: str = "https://business.openapi.zalo.me",
        on_sent: Callable[[str], Awaitable[None]] | None = None,
    ) -> None:
        self._client = client
        self._base = base_url.rstrip("/")
        self._template_base = template_base_url.rstrip("/")
        self.tokens = tokens
        self.on_sent = on_sent  # counts the free replies of the user's window, one a message

    async def send_template(
        self, *, phone: str, template_id: str, data: dict[str, str], tracking_id: str
    ) -> TemplateSent:
        """Send an approved template to ``phone`` (``84…``): Zalo's message id and the daily
        quota its answer reports.

        Refusals raise :class:`ZaloOAError` (a phone without Zalo, no consent, the daily
        quota, night hours for promotions); the token is renewed once on -216/-220."""
        answer = await self.call(
            "/message/template",
            {
                "phone": phone,
                "template_id": template_id,
                "template_data": data,
                "tracking_id": tracking_id,
            },
            base=self._template_base,
        )
        return read_template_answer(answer)

    async def oa_name(self) -> str | None:
        """The OA's name from its profile (``GET /v2.0/oa/getoa``), which also shows that
        Zalo accepts the access token (renewed once on -216/-220); None when Zalo gives no
        name. Refusals raise :class:`ZaloOAError`, a failed renewal
        :class:`bot.oa_tokens.TokenError`."""
        data = await self.call("/v2.0/oa/getoa", None)
        name = data.get("name") if isinstance(data, dict) else None
        return str(name) if name else None

    async def call(
        self, path: str, payload: dict[str, Any] | None, *, base: str | None = None
    ) -> Any:
        """POST ``payload`` to ``path`` (GET it when None) with the access token; renew it
        once on -216/-220. Returns the answer's ``data``; raises :class:`ZaloOAError`."""
        token = await self.tokens.current()
        for renewed in (False, True):
            body = await self._request(f"{base or self._base}{path}", payload, token)
            code = int(body.get("error", 0) or 0)
            if code == 0:
                return body.get("data")
            if code in TOKEN_ERRORS and not renewed:
                token = await self.tokens.renewed(token)
                continue
            raise ZaloOAError(code, str(body.get("message", "")))
        raise AssertionError("unreachable")  # pragma: no cover

    async def _request(
        self, url: str, payload: dict[str, Any] | None, token: str
    ) -> dict[str, Any]:
        headers = {"access_token": token}
        try:
            if payload is None:
                response = await self._client.get(url, headers=headers)
            else:
                response = await self._client.post(url, json=payload, headers=headers)
            body = response.json()
        except httpx.HTTPError as error:
            unreachable = no_connection(error)
            raise ZaloOAError(NO_ANSWER, type(error).__name__, unreachable=unreachable) from None
        except ValueError:
            raise ZaloOAError(response.status_code, "not JSON") from None
        if response.status_code >= 500 or not isinstance(body, dict):
            raise ZaloOAError(NO_ANSWER, f"HTTP {response.status_code}")
        return body

    async def send(self, chat_id: str, outbound: Outbound) -> None:
        """Send one (already degraded) message as consultation messages to the user.

        A rate limit (-32) or a call that got no answer leaves the next try to the caller
        (:class:`RetryLaterError`); other refusals raise :class:`ZaloOAError`."""
        for message in messages_for(outbound):
            if "text" in message and not str(message["text"]).strip():
                continue
            try:
                await self.call(
                    "/v3.0/oa/message/cs", {"recipient": {"user_id": chat_id}, "message": message}
                )
            except ZaloOAError as error:
                if error.code in (NO_ANSWER, OACode.RATE_LIMIT):
                    limited = error.code == OACode.RATE_LIMIT
                    raise RetryLaterError(
                        str(error), rate_limited=limited, away=error.unreachable
                    ) from None
                raise
            if self.on_sent is not None:  # each message posted is one reply of the window
                await self.on_sent(chat_id)

    async def download(self, file: FileReceived, limit: int) -> bytes:
        """The bytes behind a photo's CDN link (no token in it), read up to ``limit``: the
        link expires, and officers must open the evidence later."""
        if not file.file_ref.startswith(("https://", "http://")):
            raise FileUnavailableError("no link")
        data = bytearray()
        try:
            async with self._client.stream("GET", file.file_ref) as response:
                if response.status_code != httpx.codes.OK:
                    raise FileUnavailableError(f"status {response.status_code}")
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > limit:
                    raise FileTooLargeError
                async for chunk in response.aiter_bytes():
                    data += chunk
                    if len(data) > limit:
                        raise FileTooLargeError
        except httpx.HTTPError as error:
            raise FileUnavailableError(type(error).__name__) from None
        return bytes(data)
