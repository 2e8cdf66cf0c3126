"""The whole bot in a terminal: one chat, read line by line from standard input.

Choices are printed as numbered lines; a line starting with "/" is a command. Works with
no token and no network, and with a script piped in (exits 0 at end of input).
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TextIO

from bot.messages import (
    Capabilities,
    Channel,
    Document,
    Inbound,
    Outbound,
    PhoneRequest,
    RemoveKeyboard,
    Reply,
    content_from_text,
)

CAPABILITIES = Capabilities(buttons=False, contact_request=False, documents=True, max_text=4096)
FILES_FOLDER = Path("ocop-tai-lieu")


def _save(path: Path, content: bytes) -> None:
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(content)


class ConsoleChannel:
    """Prints replies to a text stream."""

    capabilities = CAPABILITIES

    def __init__(self, out: TextIO = sys.stdout) -> None:
        self._out = out

    async def send(self, chat_id: str, outbound: Outbound) -> None:
        """Print one message."""
        if isinstance(outbound, Reply | PhoneRequest | RemoveKeyboard):
            text = outbound.text
        elif isinstance(outbound, Document):
            path = FILES_FOLDER / Path(outbound.filename).name
            await asyncio.to_thread(_save, path, outbound.content)
            text = f"[{path}] {outbound.caption}".rstrip()
        print(f"\n{text}", file=self._out, flush=True)


def inbound_from_line(
    line: str, user_id: str, name: str | None, clock: Callable[[], datetime]
) -> Inbound:
    """An inbound event for one typed line."""
    return Inbound(
        channel=Channel.CONSOLE,
        chat_id=user_id,
        sender_id=user_id,
        sender_name=name,
        event_id=uuid.uuid4().hex,
        at=clock(),
        content=content_from_text(line),
    )
