"""Star bands, certifiability and the council's result."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocop_rules import (
    RESCORING_SOURCE,
    SCORING_PARTS,
    Status,
    council_result,
    is_certifiable,
    stars_for_score,
)
from ocop_rules._source import DISTRICT_PLAN, PROVINCE_PLAN, PROVINCIAL_PRACTICE

scores = st.decimals(min_value=0, max_value=100, places=2)


@pytest.mark.parametrize(
    ("score", "stars"),
    [
        (0, 1),
        (Decimal("29.99"), 1),
        (29.99, 1),
        (30, 2),
        (Decimal("49.99"), 2),
        (50, 3),
        (Decimal("69.99"), 3),
        (70, 4),
        (Decimal("89.99"), 4),
        (90, 5),
        (100, 5),
        (100.0, 5),
    ],
)
def test_star_band_edges(score: Decimal | int | float, stars: int) -> None:
    assert stars_for_score(score) == stars


@pytest.mark.parametrize("score", [-1, Decimal("100.01"), 101, float("nan"), Decimal("Infinity")])
def test_scores_outside_0_100_are_refused(score: Decimal | int | float) -> None:
    with pytest.raises(ValueError, match="outside"):
        stars_for_score(score)


def test_a_boolean_is_not_a_score() -> None:
    with pytest.raises(TypeError):
        stars_for_score(True)


@given(scores, scores)
def test_stars_never_decrease_as_the_score_rises(a: Decimal, b: Decimal) -> None:
    low, high = sorted((a, b))
    assert stars_for_score(low) <= stars_for_score(high)


@pytest.mark.parametrize(("stars", "certifiable"), [(1, False), (2, False), (3, True), (5, True)])
def test_only_three_stars_and_up_are_certified(stars: int, certifiable: bool) -> None:
    assert is_certifiable(stars) is certifiable


@pytest.mark.parametrize("stars", [0, 6])
def test_star_counts_outside_1_5_are_refused(stars: int) -> None:
    with pytest.raises(ValueError, match="1–5"):
        is_certifiable(stars)


def test_scoring_sheet_totals_100_points() -> None:
    assert [part.code for part in SCORING_PARTS] == ["A", "B", "C"]
    assert sum(part.max_points for part in SCORING_PARTS) == 100


def test_council_average_is_rounded_half_up_to_two_places() -> None:
    result = council_result([Decimal("70.005"), Decimal("70.005")])
    assert result.average == Decimal("70.01")
    third = council_result([70, 70, 71])
    assert third.average == Decimal("70.33")
    assert third.stars == 4


def test_council_stars_follow_the_reported_average() -> None:
    # 69.995 is reported as 70.00, and the stars agree with the reported figure.
    result = council_result([Decimal("69.99"), Decimal("70.00")])
    assert result.average == Decimal("70.00")
    assert result.stars == 4


@pytest.mark.parametrize(
    ("members", "spread", "rescore"),
    [
        ([60, 70], Decimal(10), False),
        ([60, Decimal("70.01")], Decimal("10.01"), True),
        ([55, 60, 72], Decimal(17), True),
        ([80], Decimal(0), False),
    ],
)
def test_members_more_than_10_points_apart_rescore(
    members: list[Decimal | int], spread: Decimal, rescore: bool
) -> None:
    result = council_result(members)
    assert result.spread == spread
    assert result.needs_rescoring is rescore


def test_the_10_point_spread_cites_council_practice_not_a_plan() -> None:
    """No decision and neither plan in hand states the 10-point spread: the reference calls
    it provincial council practice, a warning and not a law."""
    assert RESCORING_SOURCE.document == PROVINCIAL_PRACTICE
    assert RESCORING_SOURCE.document not in (DISTRICT_PLAN, PROVINCE_PLAN)
    assert RESCORING_SOURCE.status is Status.PRACTICE


def test_council_result_refuses_no_scores_and_bad_scores() -> None:
    with pytest.raises(ValueError, match="at least one"):
        council_result([])
    with pytest.raises(ValueError, match="outside"):
        council_result([50, 120])


@given(st.lists(scores, min_size=1, max_size=11))
def test_council_average_lies_between_min_and_max(members: list[Decimal]) -> None:
    result = council_result(members)
    assert min(members) - Decimal("0.01") <= result.average <= max(members) + Decimal("0.01")
    assert result.stars == stars_for_score(result.average)
