"""The webhook reads a private chat's text message straight from the JSON; everything
else goes through PTB's ``Update``. Both give the same inbound event."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from telegram import Update

from bot.channels.telegram import text_inbound, to_inbound

AT = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


def message(text: str = "mat ong", **extra: Any) -> dict[str, Any]:
    return {
        "message_id": 7,
        "date": 1_764_748_800,
        "chat": {"id": 4242, "type": "private", "first_name": "Lan"},
        "from": {"id": 4242, "is_bot": False, "first_name": "Lan", "last_name": "Nguyễn"},
        "text": text,
        **extra,
    }


PLAIN = {
    "text": {"update_id": 901, "message": message()},
    "command": {
        "update_id": 902,
        "message": message("/start", entities=[{"type": "bot_command", "offset": 0, "length": 6}]),
    },
    "no last name": {
        "update_id": 903,
        "message": {
            **message("0912345678"),
            "from": {"id": 4242, "is_bot": False, "first_name": "Lan"},
        },
    },
    "hostile text": {"update_id": 904, "message": message('=HYPERLINK("x")\x01 a\x00b')},
}
OTHER = {
    "button": {
        "update_id": 905,
        "callback_query": {
            "id": "1",
            "from": {"id": 4242, "is_bot": False, "first_name": "Lan"},
            "chat_instance": "c",
            "data": "m:idea",
            "message": message(),
        },
    },
    "photo": {
        "update_id": 906,
        "message": message(
            photo=[{"file_id": "p", "file_unique_id": "u", "width": 1, "height": 1}]
        ),
    },
    "group": {
        "update_id": 907,
        "message": {**message(), "chat": {"id": -5, "type": "group", "title": "G"}},
    },
    "edited": {"update_id": 908, "edited_message": message()},
    "id as text": {"update_id": "909", "message": message()},
}


@pytest.mark.parametrize("name", sorted(PLAIN))
def test_a_text_message_read_from_the_json_is_what_ptb_gives(name: str) -> None:
    body = PLAIN[name]
    fast = text_inbound(body, AT)
    assert fast is not None
    assert fast == to_inbound(Update.de_json(body, None), AT)


@pytest.mark.parametrize("name", sorted(OTHER))
def test_anything_else_is_left_to_ptb(name: str) -> None:
    assert text_inbound(OTHER[name], AT) is None
