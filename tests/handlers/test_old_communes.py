"""Commune names from before 1/7/2025, read through the official conversion table."""

from __future__ import annotations

import pytest

from handlers.old_communes import search_old_communes
from handlers.textmatch import accent_key


def _found(text: str) -> list[tuple[str, list[str]]]:
    return [(u.full_name, [c.full_name for c in u.becomes]) for u in search_old_communes(text)]


@pytest.mark.parametrize(
    "text",
    [
        "Xã Đức Hòa, huyện Mộ Đức",
        "xa duc hoa, huyen mo duc",
        "Đức Hòa, Mộ Đức, Quảng Ngãi",
        "duc hoa mo duc",  # the district after the name, without a comma
        "Đức Hòa, tỉnh Quảng Ngãi",
    ],
)
def test_an_old_commune_and_what_it_became(text: str) -> None:
    assert _found(text) == [("Xã Đức Hòa, Huyện Mộ Đức", ["Xã Mộ Đức, tỉnh Quảng Ngãi"])]


def test_namesakes_in_several_districts_are_all_returned_until_the_district_is_given() -> None:
    everywhere = search_old_communes("Tân Lập")
    assert len(everywhere) > 20
    assert len({u.province for u in everywhere}) > 10
    assert _found("Tân Lập, huyện Đan Phượng, Hà Nội") == [
        (
            "Xã Tân Lập, Huyện Đan Phượng",
            ["Xã Ô Diên, Thành phố Hà Nội", "Xã Hoài Đức, Thành phố Hà Nội"],
        )
    ]


def test_accents_tell_ba_to_from_ba_to() -> None:
    assert [u.name for u in search_old_communes("xa ba to, quang ngai")] == [
        "Thị trấn Ba Tơ",
        "Xã Ba Tô",
    ]
    assert [u.name for u in search_old_communes("Ba Tơ, Quảng Ngãi")] == ["Thị trấn Ba Tơ"]


def test_units_renumbered_since_are_found_by_name() -> None:
    """The table numbers Phường Cửa Nam 00082; vietnam-provinces 2025 numbers it 00073."""
    (cua_nam,) = search_old_communes("Phường Cửa Nam, quận Hoàn Kiếm")
    assert [c.code for c in cua_nam.becomes if c.name == "Phường Cửa Nam"] == ["00073"]
    assert len(cua_nam.becomes) == 4


def test_names_that_never_existed() -> None:
    assert search_old_communes("Xã Không Có") == []
    assert search_old_communes("Đức Hòa, huyện Đan Phượng") == []
    assert search_old_communes("") == []


def test_tone_marks_placed_the_old_or_the_new_way_are_one_spelling() -> None:
    assert accent_key("Xã Trung Hoà, Thuỷ") == accent_key("Xã Trung Hòa, Thủy")
    assert accent_key("Hòa") != accent_key("Hóa")
    new_way = search_old_communes("Trung Hòa")
    assert new_way == search_old_communes("Trung Hoà")
    # With accents "Xã Trung Hóa" drops out; without, it stays among the namesakes.
    assert 0 < len(new_way) < len(search_old_communes("trung hoa"))
