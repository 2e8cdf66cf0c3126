"""Channel-neutral message types: what comes in from a chat and what goes out to it.

Standard library only, so handlers may use them without depending on anything with I/O
(the one import the layer contract allows from ``handlers`` into ``bot``). Channel adapters
translate platform payloads to these at the edge and render replies from them, degrading
to what the channel can show (:class:`Capabilities`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

# The largest photo or file the bot keeps as evidence (a phone photo is 2–5 MB).
MAX_FILE_BYTES = 10 * 1024 * 1024


class Channel(StrEnum):
    """Where a chat lives."""

    CONSOLE = "console"
    TELEGRAM = "telegram"
    ZALO = "zalo"
    ZALO_OA = "zalo_oa"  # the province's Zalo Official Account


class FileKind(StrEnum):
    """What kind of non-text content arrived."""

    PHOTO = "photo"
    DOCUMENT = "document"
    STICKER = "sticker"
    VOICE = "voice"  # a voice message: the bot cannot listen to it
    # Zalo's message.unsupported.received: content the platform withholds from bots, sent
    # for protected accounts (children, people with disabilities, people who cannot read)
    UNSUPPORTED = "unsupported"
    OTHER = "other"  # location, video and anything else


class FileProblem(StrEnum):
    """Why a received file was not kept (checked by the bot when it arrives)."""

    TOO_LARGE = "too_large"
    UNSUPPORTED_TYPE = "unsupported_type"
    UNAVAILABLE = "unavailable"  # the platform would not give it to us


@dataclass(frozen=True, slots=True)
class Text:
    """A typed message."""

    text: str


@dataclass(frozen=True, slots=True)
class Command:
    """A ``/command`` with its argument text (``/canbo ABC`` → name "canbo", args "ABC")."""

    name: str
    args: str = ""


@dataclass(frozen=True, slots=True)
class ChoicePicked:
    """A button press carrying the payload we put on the button."""

    payload: str


@dataclass(frozen=True, slots=True)
class ContactShared:
    """A shared contact card; ``is_own`` when the card belongs to the sender."""

    phone: str
    is_own: bool


@dataclass(frozen=True, slots=True)
class FileReceived:
    """A photo, file or sticker: the channel's own reference, and for photos and documents
    the bytes the bot downloaded when it arrived (platform links expire) or why it could
    not keep them. ``media_type`` is then the type read from the bytes themselves."""

    kind: FileKind
    file_ref: str
    media_type: str | None = None
    size_bytes: int | None = None
    caption: str | None = None
    content: bytes | None = field(default=None, repr=False)
    problem: FileProblem | None = None


Content = Text | Command | ChoicePicked | ContactShared | FileReceived


def content_from_text(text: str) -> Content:
    """Typed text as content: "/canbo ABC" → Command("canbo", "ABC"), else Text.

    Telegram's "/start@botname" form loses its bot name.
    """
    stripped = text.strip()
    if stripped.startswith("/") and len(stripped) > 1:
        name, _, args = stripped[1:].partition(" ")
        return Command(name.split("@", 1)[0].lower(), args.strip())
    return Text(text.rstrip("\n"))


@dataclass(frozen=True, slots=True)
class Inbound:
    """One event from a chat, normalised."""

    channel: Channel
    chat_id: str
    sender_id: str
    sender_name: str | None
    event_id: str
    at: datetime
    content: Content
    # Where the event stands among the chat's events, as its platform numbers them
    # (Telegram's update_id; Zalo's send time, then message id): events of one chat in
    # flight together are handled in this order. Equal keys keep their arrival order.
    order: tuple[int, str] = (0, "")


@dataclass(frozen=True, slots=True)
class Option:
    """A choice: what the user sees and what comes back when it is picked."""

    label: str
    payload: str


@dataclass(frozen=True, slots=True)
class Reply:
    """A text message, optionally with choices (rows of options).

    ``listed=False`` marks choices that are shortcuts of a typed question (the text says
    which words to type): a channel without buttons leaves them out instead of numbering
    them, since a number typed there answers the question itself.
    """

    text: str
    choices: tuple[tuple[Option, ...], ...] = ()
    listed: bool = True


@dataclass(frozen=True, slots=True)
class PhoneRequest:
    """Ask for the user's phone number (a contact button where the channel has one)."""

    text: str
    button_label: str


@dataclass(frozen=True, slots=True)
class Document:
    """A generated file to send."""

    content: bytes
    filename: str
    caption: str = ""
    media_type: str = "application/octet-stream"


@dataclass(frozen=True, slots=True)
class RemoveKeyboard:
    """A text that also removes a reply keyboard left on screen."""

    text: str


Outbound = Reply | PhoneRequest | Document | RemoveKeyboard


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a channel can show; the engine degrades everything else."""

    buttons: bool
    contact_request: bool
    documents: bool
    max_text: int
    extra: dict[str, str] = field(default_factory=dict)
    # The most options shown as buttons; a longer list is written as a numbered list.
    max_buttons: int | None = None
