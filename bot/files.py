"""Photos and files people send: fetched when they arrive, checked by their own bytes.

Platform links do not last (Zalo's ``photo_url`` is a CDN address that expires; a Telegram
``file_id`` opens only through the bot's token), and officers open the evidence weeks
later. So before the handlers run, :func:`with_content` asks the channel for the bytes of
a photo or document, refuses anything over :data:`~bot.messages.MAX_FILE_BYTES` and
anything whose first bytes are not an image, a PDF or an Office file — whatever type the
platform or the sender's phone claimed — and hands the handlers the bytes with the type
read from them, or the reason they were not kept.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Protocol, runtime_checkable

from bot.messages import MAX_FILE_BYTES, FileKind, FileProblem, FileReceived

log = logging.getLogger(__name__)
FETCHED_KINDS = frozenset({FileKind.PHOTO, FileKind.DOCUMENT})
JPEG, PNG, WEBP, GIF, HEIC = "image/jpeg", "image/png", "image/webp", "image/gif", "image/heic"
PDF = "application/pdf"
WORD = "application/msword"  # and Excel: the old Office files share one container
OFFICE_XML = "application/vnd.openxmlformats-officedocument"
# (offset, bytes) → type; the first match wins.
SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\xff\xd8\xff", JPEG),
    (0, b"\x89PNG\r\n\x1a\n", PNG),
    (0, b"GIF87a", GIF),
    (0, b"GIF89a", GIF),
    (0, b"%PDF-", PDF),
    (0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", WORD),
    (0, b"PK\x03\x04", OFFICE_XML),  # a zip: .docx, .xlsx
)
HEIC_BRANDS = (b"heic", b"heix", b"mif1", b"msf1")  # iPhone photos sent as files


class FileTooLargeError(Exception):
    """The file is over the limit (known from the platform's size or while reading)."""


class FileUnavailableError(Exception):
    """The platform would not give the file (expired link, network, error answer)."""


@runtime_checkable
class FileSource(Protocol):
    """A channel that can fetch the bytes of a file it delivered."""

    async def download(self, file: FileReceived, limit: int) -> bytes:
        """The file's bytes; :class:`FileTooLargeError` past ``limit`` bytes,
        :class:`FileUnavailableError` when it cannot be had."""
        ...


def sniff(data: bytes) -> str | None:
    """The media type the bytes themselves show, or None for anything we do not keep."""
    for offset, signature, media_type in SIGNATURES:
        if data.startswith(signature, offset):
            return media_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data[4:8] == b"ftyp" and data[8:12] in HEIC_BRANDS:
        return HEIC
    return None


async def with_content(received: FileReceived, source: FileSource) -> FileReceived:
    """``received`` with its bytes and their real type, or with the problem that kept them
    out; other kinds (stickers, voice) and files already fetched are returned as they are."""
    if received.kind not in FETCHED_KINDS or received.content is not None:
        return received
    if received.size_bytes is not None and received.size_bytes > MAX_FILE_BYTES:
        return replace(received, problem=FileProblem.TOO_LARGE)
    try:
        data = await source.download(received, MAX_FILE_BYTES)
    except FileTooLargeError:
        return replace(received, problem=FileProblem.TOO_LARGE)
    except FileUnavailableError as error:
        log.warning("file not fetched (%s)", error)  # our own words: never a URL
        return replace(received, problem=FileProblem.UNAVAILABLE)
    except Exception as error:  # an answer of a shape we did not expect: keep the message
        log.warning("file not fetched (%s)", type(error).__name__)
        return replace(received, problem=FileProblem.UNAVAILABLE)
    media_type = sniff(data)
    if media_type is None:
        return replace(received, size_bytes=len(data), problem=FileProblem.UNSUPPORTED_TYPE)
    return replace(received, content=data, media_type=media_type, size_bytes=len(data))
