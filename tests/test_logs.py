"""Structured logs carry channel, event id and a chat hash — never names, phones or text."""

from __future__ import annotations

import io
import json
import logging

from bot.logs import JsonFormatter, chat_hash


def test_log_lines_are_json_without_personal_data() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("tests.logs")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        logger.info(
            "event handled",
            extra={"channel": "telegram", "event_id": "77", "chat": chat_hash("0912345678")},
        )
    finally:
        logger.removeHandler(handler)
    entry = json.loads(stream.getvalue())
    assert entry["message"] == "event handled"
    assert (entry["channel"], entry["event_id"]) == ("telegram", "77")
    assert "0912345678" not in stream.getvalue()
    assert len(entry["chat"]) == 12
    assert chat_hash("0912345678") == entry["chat"]
    assert chat_hash("1") != chat_hash("2")
