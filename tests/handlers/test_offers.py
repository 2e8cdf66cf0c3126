"""A number outside the list the chat was sent: said once, kindly, with the list and a way out."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.i18n import translator
from bot.messages import Option, Reply, Text
from handlers import offers

NOW = datetime(2026, 12, 4, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    ("labels", "said"),
    [
        (["Gửi đề nghị lên tỉnh"], "Anh/chị gõ 1 để chọn nhé, hoặc gõ “Menu”"),
        (["Đã có", "Chưa có"], "Anh/chị gõ một số từ 1 đến 2 giúp mình nhé, hoặc gõ “Menu”"),
    ],
)
def test_a_number_outside_the_list_is_told_with_the_list_and_the_way_out(
    labels: list[str], said: str
) -> None:
    """One option read "gõ một số từ 1 đến 1", and no list said how to leave it."""
    sent = Reply("?", tuple((Option(label, f"x:{n}"),) for n, label in enumerate(labels)))
    data = offers.remember({}, [sent])
    again = offers.resolve(data, Text("7"), translator("vi"), NOW, typed_answer=False)
    assert isinstance(again, offers.Again)
    assert again.reply.text.startswith(said)
    assert [row[0].label for row in again.reply.choices] == labels
