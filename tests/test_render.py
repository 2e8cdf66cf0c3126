"""Fitting replies to a channel: long option labels become numbered lines with number
buttons on Telegram (tests/test_channels.py checks every button the bot really sends)."""

from __future__ import annotations

from bot.channels.telegram import CAPABILITIES as TELEGRAM
from bot.i18n import translator
from bot.messages import Option, Reply
from bot.render import degrade

LONG = "Ý tưởng của mình, gìn giữ nghề truyền thống hoặc đặc sản địa phương"


def test_a_label_too_long_for_a_button_is_listed_and_its_button_carries_the_number() -> None:
    reply = Reply(
        "Ý tưởng từ đâu?", ((Option(LONG, "c:origin:a"),), (Option("Khác", "c:origin:b"),))
    )
    (fitted,) = degrade(reply, TELEGRAM, translator("vi"))
    assert isinstance(fitted, Reply)
    assert f"1. {LONG}" in fitted.text
    assert [(o.label, o.payload) for row in fitted.choices for o in row] == [
        ("1", "c:origin:a"),
        ("2", "c:origin:b"),
    ]


def test_short_labels_stay_on_their_buttons() -> None:
    reply = Reply("Có không?", ((Option("Có", "c:x:yes"), Option("Không", "c:x:no")),))
    assert degrade(reply, TELEGRAM, translator("vi")) == [reply]
