"""Typed-answer parsers and forgiving matching."""

from __future__ import annotations

from datetime import date

import pytest

from handlers.communes import commune_by_code, communes_of_province, provinces, search_communes
from handlers.parsing import (
    InvalidAnswerError,
    parse_count,
    parse_date,
    parse_percent,
    parse_phone,
    parse_yes_no,
)
from handlers.textmatch import Ambiguous, Matched, NoMatch, fold, match_option


@pytest.mark.parametrize(
    ("text", "folded"),
    [("Đăng ký", "dang ky"), ("  MẬT   ong rừng ", "mat ong rung"), ("Xã Xốp", "xa xop")],
)
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("80", 80),
        ("80%", 80),
        ("80 %", 80),
        ("0", 0),
        ("100", 100),
        ("79,6", 80),
        ("80 phần trăm", 80),
    ],
)
def test_percent_accepts_digits(text: str, value: int) -> None:
    assert parse_percent(text) == value


@pytest.mark.parametrize("text", ["tám mươi", "120", "120%", "-5", "80 người", "abc"])
def test_percent_refuses_words_and_out_of_range(text: str) -> None:
    with pytest.raises(InvalidAnswerError) as caught:
        parse_percent(text)
    assert "80" in caught.value.message


@pytest.mark.parametrize(("text", "value"), [("12", 12), ("12 người", 12), (" 0 ", 0)])
def test_count(text: str, value: int) -> None:
    assert parse_count(text) == value


@pytest.mark.parametrize("text", ["mười hai", "1.5", "99999999", "-3"])
def test_count_refuses(text: str) -> None:
    with pytest.raises(InvalidAnswerError):
        parse_count(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("15/08/2026", date(2026, 8, 15)),
        ("1/7/2025", date(2025, 7, 1)),
        ("15-08-2026", date(2026, 8, 15)),
        ("15.8.26", date(2026, 8, 15)),
        ("15 8 2026", date(2026, 8, 15)),
    ],
)
def test_dates(text: str, value: date) -> None:
    assert parse_date(text) == value


@pytest.mark.parametrize("text", ["31/02/2026", "ngày mai", "2026-08-15"])
def test_bad_dates(text: str) -> None:
    with pytest.raises(InvalidAnswerError):
        parse_date(text)


@pytest.mark.parametrize(
    ("text", "e164"),
    [
        ("0912345678", "+84912345678"),
        ("0912 345 678", "+84912345678"),
        ("+84 912 345 678", "+84912345678"),
        ("84912345678", "+84912345678"),
        ("0387.123.456", "+84387123456"),
    ],
)
def test_vietnamese_phones(text: str, e164: str) -> None:
    assert parse_phone(text) == e164


@pytest.mark.parametrize("text", ["12345", "0123", "+1 202 555 0143", "so dien thoai"])
def test_bad_phones(text: str) -> None:
    with pytest.raises(InvalidAnswerError):
        parse_phone(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("có", True),
        ("co", True),
        ("OK", True),
        ("1", True),
        ("không", False),
        ("ko", False),
        ("chưa", False),
        ("2", False),
        # What people answer a consent question with, polite words included.
        ("đồng ý", True),
        ("dong y", True),
        ("vâng", True),
        ("được", True),
        ("có ạ", True),
        ("Dạ, có ạ!", True),
        ("vâng ạ", True),
        ("không ạ", False),
        ("không đồng ý", False),
        ("dạ", True),
        ("ừ", True),
        ("ok ạ", True),
        ("thôi", False),
        ("thôi ạ", False),
    ],
)
def test_yes_no(text: str, value: bool) -> None:
    assert parse_yes_no(text) is value


def test_yes_no_refuses_other_words() -> None:
    with pytest.raises(InvalidAnswerError):
        parse_yes_no("có lẽ")


LABELS = [("Thực phẩm",), ("Đồ uống",), ("Dược liệu",), ("Thủ công mỹ nghệ",), ("Thuốc",)]


@pytest.mark.parametrize(
    ("text", "result"),
    [
        ("2", Matched(1)),
        ("do uong", Matched(1)),
        ("THỰC PHẨM", Matched(0)),
        ("thu cong", Matched(3)),
        ("thu", Ambiguous((0, 3, 4))),
        ("9", NoMatch()),
        ("", NoMatch()),
        ("xe may", NoMatch()),
    ],
)
def test_match_option(text: str, result: object) -> None:
    assert match_option(text, LABELS) == result


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("xop", ["Xã Xốp, tỉnh Quảng Ngãi"]),
        ("xa xop", ["Xã Xốp, tỉnh Quảng Ngãi"]),
        ("Sơn Hà, tỉnh Quảng Ngãi", ["Xã Sơn Hà, tỉnh Quảng Ngãi"]),
        ("hoan kiem ha noi", ["Phường Hoàn Kiếm, Thành phố Hà Nội"]),
        # Highland names with an apostrophe, typed with another one or none at all
        ("ea hleo", ["Xã Ea H’leo, tỉnh Đắk Lắk"]),
        ("Ea H'Leo", ["Xã Ea H’leo, tỉnh Đắk Lắk"]),
        ("cu mgar", ["Xã Cư M’gar, tỉnh Đắk Lắk"]),
        # A merged name written with a hyphen where the data has an en dash
        ("chan may - lang co", ["Xã Chân Mây – Lăng Cô, Thành phố Huế"]),
        ("chan may lang co hue", ["Xã Chân Mây – Lăng Cô, Thành phố Huế"]),
    ],
)
def test_commune_search(text: str, expected: list[str]) -> None:
    assert [c.full_name for c in search_communes(text)] == expected


def test_commune_namesakes_are_all_returned() -> None:
    names = [c.full_name for c in search_communes("son ha")]
    assert names == ["Xã Sơn Hà, tỉnh Quảng Ngãi", "Xã Sơn Hạ, tỉnh Quảng Ngãi"]
    assert len(search_communes("tan")) == 50
    assert search_communes("") == []
    assert search_communes("zzzz") == []


def test_commune_by_code() -> None:
    xop = commune_by_code("23356")
    assert xop is not None
    assert xop.province_code == "51"
    assert commune_by_code("99999") is None


@pytest.mark.parametrize("prefix", ["tan", "son h", "xo", "phu", "zzzz", "a"])
def test_commune_prefix_search_finds_what_a_full_scan_finds(prefix: str) -> None:
    everyone = {c.code: c for p in provinces() for c in communes_of_province(p)}
    expected = sorted(
        (c for c in everyone.values() if c.key.startswith(prefix)),
        key=lambda c: (c.key, c.province_key, c.code),
    )[:50]
    assert [c.code for c in search_communes(prefix)] == [c.code for c in expected]
