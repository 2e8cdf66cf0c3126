"""Which product set a producer's words name (handlers/set_words.py)."""

from __future__ import annotations

import pytest

from handlers.set_words import MAX_FOUND, SET_WORDS, find_sets, group_named
from ocop_rules import ProductGroup, product_sets


def test_every_set_has_words_and_only_sets_have_words() -> None:
    assert set(SET_WORDS) == {found.number for found in product_sets()}
    assert all(SET_WORDS.values())


@pytest.mark.parametrize("found", product_sets(), ids=lambda found: str(found.number))
def test_each_sets_official_name_finds_that_set(found: object) -> None:
    assert found.number in find_sets(found.name)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("typed", "sets"),
    [
        ("mat ong", (4,)),
        ("Mật ong rừng Xốp", (4,)),
        ("nuoc mam", (9,)),  # the phrase, not its "mắm" alone
        ("Nước mắm Nam Ô", (9,)),
        ("ruou", (14, 15)),
        ("ruou vang", (15,)),
        ("ca phe", (13,)),  # never the "cá" inside it
        ("homestay", (26,)),
        ("dien thoai", ()),
    ],
)
def test_words_find_their_set(typed: str, sets: tuple[int, ...]) -> None:
    assert find_sets(typed) == sets


def test_the_list_stays_short() -> None:
    assert len(find_sets("rau thit gao mat ong banh mut gio nuoc mam muoi che")) == MAX_FOUND


@pytest.mark.parametrize(
    ("typed", "group"),
    [("Thực phẩm", ProductGroup.FOOD), ("du lich", ProductGroup.TOURISM), ("dien thoai", None)],
)
def test_words_naming_a_whole_group(typed: str, group: ProductGroup | None) -> None:
    assert group_named(typed) == group
