"""Issuers by era: a QĐ 148 district certificate names its district; from 1/7/2025 the
province or the Ministry."""

from __future__ import annotations

from datetime import date

import pytest

from handlers.issuers import ANY_DISTRICT, issuer_name, old_district, shown_issuer

SON_HA = "21289"  # Xã Sơn Hà, once of Huyện Sơn Hà (Quảng Ngãi)


@pytest.mark.parametrize(
    ("stars", "issued", "issuer"),
    [
        (3, date(2024, 5, 1), "UBND huyện Sơn Hà"),  # QĐ 148: the district certified 3★
        (4, date(2024, 5, 1), "UBND tỉnh Quảng Ngãi"),
        (5, date(2024, 5, 1), "Bộ Nông nghiệp và Phát triển nông thôn"),
        (3, date(2025, 9, 1), "UBND tỉnh Quảng Ngãi"),  # QĐ 1489: no district any more
        (5, date(2026, 6, 1), "Bộ Nông nghiệp và Môi trường"),  # QĐ 26
    ],
)
def test_the_issuer_is_named_by_the_rules_of_the_decision_day(
    stars: int, issued: date, issuer: str
) -> None:
    assert issuer_name(stars, issued, SON_HA) == issuer


def test_a_record_that_names_no_one_shows_the_issuer_of_its_day() -> None:
    assert old_district(SON_HA) == "Huyện Sơn Hà"
    assert shown_issuer(ANY_DISTRICT, 3, date(2024, 5, 1), SON_HA) == "UBND huyện Sơn Hà"
    assert shown_issuer(None, 4, date(2026, 6, 1), SON_HA) == "UBND tỉnh Quảng Ngãi"
    assert shown_issuer("UBND huyện Ba Tơ", 3, date(2024, 5, 1), SON_HA) == "UBND huyện Ba Tơ"
    assert issuer_name(3, date(2024, 5, 1), "99999") == ANY_DISTRICT  # no such commune
    assert issuer_name(4, date(2026, 6, 1), "99999") == "UBND tỉnh"
