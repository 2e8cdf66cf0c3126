"""Cleaning of text that comes from outside: chat platforms and imported spreadsheets.

Whatever a person types, pastes or a spreadsheet holds is cleaned once, where it enters,
so that everything after — the database, the documents, the exports, the logs — only ever
sees text it can hold:

- control characters are removed (NUL, which PostgreSQL refuses in text; the other C0 and
  C1 codes, which XML — DOCX, XLSX — cannot hold), and so are lone surrogates (which no
  UTF-8 encoder accepts), the two Unicode non-characters XML forbids, and the bidirectional
  overrides that make a name read differently from what it is;
- newlines are kept (a description may have several lines): ``\\r\\n`` and ``\\r`` become
  ``\\n``, a tab becomes a space;
- text is put in Unicode's composed form (NFC): some phones send "ệ" as "e" and two
  combining marks, and a name typed so was stored as another spelling of itself, which a
  search, a comparison or an export in the usual form did not find;
- lengths are bounded: free text to :data:`MAX_TEXT`, names to :data:`MAX_NAME` (their
  columns' size), the short machine values (commands, button payloads, media types) to
  :data:`MAX_TOKEN`.

Platform ids (chat, sender, event) are kept exact when they are usable, since they are
keys: only the characters above are taken out (their form is left as it came), and an id
longer than :data:`MAX_ID` is shortened to a prefix and a hash of the whole, so two long
ids stay two ids while every id fits a unique index. A file reference (often a URL) is no
key and is kept whole up to :data:`MAX_REF`.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import replace

from bot.messages import (
    ChoicePicked,
    Command,
    ContactShared,
    Content,
    FileReceived,
    Inbound,
    Text,
)

MAX_TEXT = 4000  # a little under Telegram's 4,096-character message
MAX_NAME = 255  # the size of the name columns (``bot.db.models.NAME``)
MAX_TOKEN = 255
MAX_ID = 500  # well under PostgreSQL's limit of an index entry (2,704 bytes), in UTF-8
MAX_REF = 4096  # a file reference is no key, but a URL: kept whole up to this length
_ID_HEAD = MAX_ID - 65  # the prefix kept of a longer id, before "#" and its SHA-256

_UNWANTED = re.compile(
    "["
    "\x00-\x08\x0b\x0c\x0e-\x1f"  # C0 controls but tab, newline and carriage return
    "\x7f-\x9f"  # DEL and the C1 controls
    "\u202a-\u202e\u2066-\u2069"  # bidirectional embeddings, overrides and isolates
    "\ud800-\udfff"  # lone surrogates (a JSON "\ud800" decodes to one)
    "\ufffe\uffff"
    "]"
)
_LINE_BREAK = re.compile("\r\n?")


def clean_text(text: str, limit: int = MAX_TEXT) -> str:
    """``text`` without the characters nothing downstream can hold, in composed form, at
    most ``limit`` characters long (see the module's text)."""
    text = _usable(text)
    if not text.isascii() and not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return text[:limit]


def _usable(text: str) -> str:
    """``text`` without the characters nothing downstream can hold."""
    if text.isprintable():  # every character taken out is unprintable
        return text
    return _UNWANTED.sub("", _LINE_BREAK.sub("\n", text)).replace("\t", " ")


def clean_name(text: str | None) -> str | None:
    """A display name: one line, cleaned, at most :data:`MAX_NAME` characters."""
    if text is None:
        return None
    return " ".join(clean_text(text, MAX_NAME * 4).split())[:MAX_NAME]


def clean_id(value: str) -> str:
    """A platform id, exact unless it holds unusable characters or exceeds :data:`MAX_ID`."""
    value = _usable(value)
    if len(value) <= MAX_ID:
        return value
    digest = hashlib.sha256(value.encode()).hexdigest()
    return f"{value[:_ID_HEAD]}#{digest}"


def clean_content(content: Content) -> Content:
    """``content`` with every text in it cleaned and bounded."""
    match content:
        case Text(text):
            return Text(clean_text(text))
        case Command(name, args):
            return Command(clean_text(name, MAX_TOKEN), clean_text(args))
        case ChoicePicked(payload):
            return ChoicePicked(clean_text(payload, MAX_TOKEN))
        case ContactShared(phone, is_own):
            return ContactShared(clean_text(phone, MAX_TOKEN), is_own)
        case FileReceived(_, file_ref, media_type, size_bytes, caption):
            # replace(): the downloaded bytes and any problem with them pass unchanged.
            return replace(
                content,
                file_ref=_usable(file_ref)[:MAX_REF],  # an address: its form as it came
                media_type=clean_text(media_type, MAX_TOKEN)
                if isinstance(media_type, str)
                else None,
                size_bytes=size_bytes if isinstance(size_bytes, int) else None,
                caption=clean_text(caption) if isinstance(caption, str) else None,
            )
    return content  # pragma: no cover - every kind of content is matched above


def clean_inbound(inbound: Inbound) -> Inbound:
    """``inbound`` with its ids, sender name and content cleaned (the engine's first step)."""
    name = inbound.sender_name
    return Inbound(
        channel=inbound.channel,
        chat_id=clean_id(str(inbound.chat_id)),
        sender_id=clean_id(str(inbound.sender_id)),
        sender_name=clean_name(name) if isinstance(name, str) else None,
        event_id=clean_id(str(inbound.event_id)),
        at=inbound.at,
        content=clean_content(inbound.content),
        order=inbound.order,
    )
