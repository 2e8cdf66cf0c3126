"""Structured logs: one JSON object per line, with no personal data.

Records carry the channel, the event id and a short hash of the chat id — never phone
numbers, names or message text — so logs can be shared when debugging.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import UTC, datetime

_FIELDS = ("channel", "event_id", "chat", "status", "method")


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
        return json.dumps(entry, ensure_ascii=False)


def configure(level: str) -> None:
    """Send our logs as JSON lines to standard error (called by entry points only)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "telegram", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
