"""Structured logs: one JSON object per line, with no personal data.

Records carry the channel, the event id and a short hash of the chat id — never phone
numbers, names or message text — so logs can be shared when debugging. A record with an
exception carries its traceback as the frames and the exception types only: an exception's
message may quote what a person typed (a value that did not parse, a statement's
parameters), its frames never do.
"""

from __future__ import annotations

import hashlib
import json
import logging
import traceback
from datetime import UTC, datetime

_FIELDS = (
    "channel",
    "event_id",
    "chat",
    "status",
    "method",
    # the alert loop's
    "outbox_id",
    "kind",
    "planned",
    "sent",
    "retried",
    "failed",
    "skipped",
)


def chat_hash(chat_id: str) -> str:
    """A short, stable, non-reversible tag for a chat id."""
    return hashlib.sha256(f"ocop:{chat_id}".encode()).hexdigest()[:12]


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({key: getattr(record, key) for key in _FIELDS if hasattr(record, key)})
        if record.exc_info and record.exc_info[0] is not None:
            entry["error"] = record.exc_info[0].__name__
            entry["traceback"] = frames(record.exc_info[1])
        return json.dumps(entry, ensure_ascii=False)


def frames(error: BaseException | None) -> str:
    """The traceback of ``error`` and of the exceptions it came from, oldest first, as
    Python prints it but with each exception's type alone in place of its message."""
    chain: list[tuple[BaseException, str]] = []
    seen: set[int] = set()
    link = ""
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        chain.append((error, link))
        if error.__cause__ is not None:
            error, link = error.__cause__, "The above exception was the direct cause of:"
        elif error.__context__ is not None and not error.__suppress_context__:
            error, link = error.__context__, "During handling of the above exception:"
        else:
            error = None
    lines: list[str] = []
    for failure, next_link in reversed(chain):
        lines.append("Traceback (most recent call last):\n")
        lines.extend(traceback.format_tb(failure.__traceback__))
        lines.append(f"{type(failure).__module__}.{type(failure).__qualname__}\n")
        if next_link:
            lines.append(f"\n{next_link}\n\n")
    return "".join(lines).rstrip("\n")


def configure(level: str) -> None:
    """Send our logs as JSON lines to standard error (called by entry points only)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "telegram", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
