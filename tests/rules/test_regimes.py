"""Rule sets by date, receiving level and score routing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import MappingProxyType

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocop_rules import (
    ROUTING,
    Level,
    Regime,
    Status,
    central_outcome,
    issuing_level,
    receiving_level,
    regime_for_dossier,
    regime_on,
    route_score,
)
from ocop_rules._regimes import RoutingRule
from ocop_rules._source import DISTRICT_PLAN, PROVINCE_PLAN, PROVINCIAL_PRACTICE, Source

BEFORE_148 = date(2023, 2, 23)
UNDER_148 = date(2024, 6, 1)
UNDER_1489 = date(2025, 11, 1)
UNDER_26 = date(2026, 6, 1)
GAP = date(2025, 7, 3)  # no district, QĐ 1489 not yet in force


@pytest.mark.parametrize(
    ("day", "regime"),
    [
        (date(2019, 8, 21), Regime.QD1048_2019),
        (date(2023, 2, 23), Regime.QD1048_2019),
        (date(2023, 2, 24), Regime.QD148_2023),
        (date(2025, 7, 5), Regime.QD148_2023),
        (date(2025, 7, 6), Regime.QD1489_2025),
        (date(2026, 5, 21), Regime.QD1489_2025),
        (date(2026, 5, 22), Regime.QD26_2026),
        (date(2030, 1, 1), Regime.QD26_2026),
    ],
)
def test_regime_edges(day: date, regime: Regime) -> None:
    assert regime_on(day) is regime


@pytest.mark.parametrize(
    ("day", "level"),
    [
        (date(2023, 2, 23), Level.DISTRICT),
        (date(2025, 6, 30), Level.DISTRICT),
        (date(2025, 7, 1), Level.COMMUNE),  # no district from 1/7/2025
        (date(2026, 5, 22), Level.COMMUNE),
    ],
)
def test_receiving_level(day: date, level: Level) -> None:
    assert receiving_level(day) is level


@pytest.mark.parametrize(
    ("score", "level", "day", "stars", "certified_by", "forwarded_to"),
    [
        # QĐ 148: the district certifies 3★ and forwards ≥ 70 to the province.
        (60, Level.DISTRICT, UNDER_148, 3, Level.DISTRICT, None),
        (Decimal("69.99"), Level.DISTRICT, UNDER_148, 3, Level.DISTRICT, None),
        (75, Level.DISTRICT, UNDER_148, 4, None, Level.PROVINCE),
        (40, Level.DISTRICT, UNDER_148, 2, None, None),
        # The province certifies 4★, a 50–<70 province score is certified 3★ by the district,
        # and ≥ 90 goes to the ministry.
        (80, Level.PROVINCE, UNDER_148, 4, Level.PROVINCE, None),
        (65, Level.PROVINCE, UNDER_148, 3, Level.DISTRICT, None),
        (92, Level.PROVINCE, UNDER_148, 5, None, Level.CENTRAL),
        (92, Level.CENTRAL, UNDER_148, 5, Level.CENTRAL, None),
        (85, Level.CENTRAL, UNDER_148, 4, None, None),
        # QĐ 1489: the province certifies 3★ and 4★, forwards ≥ 90.
        (55, Level.PROVINCE, UNDER_1489, 3, Level.PROVINCE, None),
        (Decimal("89.99"), Level.PROVINCE, UNDER_1489, 4, Level.PROVINCE, None),
        (90, Level.PROVINCE, UNDER_1489, 5, None, Level.CENTRAL),
        (49, Level.PROVINCE, UNDER_1489, 2, None, None),
        (95, Level.CENTRAL, UNDER_1489, 5, Level.CENTRAL, None),
        # QĐ 26: the province certifies 3★ (a 60-point result) and 4★; from 90 it forwards
        # to the central level, which alone certifies 5★.
        (60, Level.PROVINCE, UNDER_26, 3, Level.PROVINCE, None),
        (Decimal("89.99"), Level.PROVINCE, UNDER_26, 4, Level.PROVINCE, None),
        (90, Level.PROVINCE, UNDER_26, 5, None, Level.CENTRAL),
        (100, Level.PROVINCE, UNDER_26, 5, None, Level.CENTRAL),
        (30, Level.PROVINCE, UNDER_26, 2, None, None),
        (92, Level.CENTRAL, UNDER_26, 5, Level.CENTRAL, None),
        (85, Level.CENTRAL, UNDER_26, 4, Level.PROVINCE, None),
        # 1–5/7/2025: the province evaluates as under QĐ 1489 (our reading).
        (60, Level.PROVINCE, GAP, 3, Level.PROVINCE, None),
        (95, Level.PROVINCE, GAP, 5, None, Level.CENTRAL),
        # Before 148 (imported history only).
        (55, Level.DISTRICT, BEFORE_148, 3, None, Level.PROVINCE),
        (45, Level.DISTRICT, BEFORE_148, 2, None, None),
        (72, Level.PROVINCE, BEFORE_148, 4, Level.PROVINCE, None),
        (91, Level.CENTRAL, BEFORE_148, 5, Level.CENTRAL, None),
    ],
)
def test_route_score(
    score: Decimal | int,
    level: Level,
    day: date,
    stars: int,
    certified_by: Level | None,
    forwarded_to: Level | None,
) -> None:
    routing = route_score(score, level, day)
    assert (routing.stars, routing.certified_by, routing.forwarded_to) == (
        stars,
        certified_by,
        forwarded_to,
    )
    assert routing.regime is regime_on(day)
    assert routing.source.document


@pytest.mark.parametrize(
    ("level", "day"),
    [
        (Level.DISTRICT, date(2025, 7, 6)),
        (Level.DISTRICT, GAP),
        (Level.DISTRICT, UNDER_26),
        (Level.COMMUNE, UNDER_26),
        (Level.COMMUNE, UNDER_1489),
        (Level.COMMUNE, UNDER_148),
    ],
)
def test_levels_that_do_not_evaluate_are_refused(level: Level, day: date) -> None:
    with pytest.raises(ValueError, match="does not evaluate"):
        route_score(60, level, day)


def test_route_score_refuses_scores_outside_0_100() -> None:
    with pytest.raises(ValueError, match="outside"):
        route_score(101, Level.PROVINCE, UNDER_1489)


def test_the_commune_never_ranks_under_any_regime() -> None:
    assert not any(level is Level.COMMUNE for _, level in ROUTING)


def test_a_forwarding_threshold_needs_a_target() -> None:
    with pytest.raises(ValueError, match="target"):
        RoutingRule(MappingProxyType({}), Source("x", "y", Status.CONFIRMED), Decimal(90), None)


@given(st.dates(min_value=date(2010, 1, 1), max_value=date(2040, 12, 31)))
def test_regimes_follow_each_other_in_time(day: date) -> None:
    regime = regime_on(day)
    order = list(Regime)
    assert order.index(regime) >= order.index(regime_on(date(2010, 1, 1)))
    if day >= date(2026, 5, 22):
        assert regime is Regime.QD26_2026


def test_the_district_certifying_a_provincial_50_to_70_cites_practice_not_a_plan() -> None:
    """Neither the Sơn Hà nor the Hà Tĩnh plan states it (both say only that the district
    certifies 3★ and forwards 70–100 to the province): the reference marks it practice."""
    routed = route_score(60, Level.PROVINCE, UNDER_148)
    assert (routed.stars, routed.certified_by) == (3, Level.DISTRICT)
    assert routed.source.document == PROVINCIAL_PRACTICE
    assert routed.source.document not in (DISTRICT_PLAN, PROVINCE_PLAN)
    assert routed.source.status is Status.PRACTICE
    assert "50–<70" in routed.source.note


def test_the_gap_reading_is_marked_unconfirmed() -> None:
    assert route_score(60, Level.PROVINCE, GAP).source.status is Status.UNCONFIRMED
    assert route_score(60, Level.PROVINCE, UNDER_26).source.document.startswith("QĐ 26/2026")


@pytest.mark.parametrize(
    ("score", "stars", "certified_by"),
    [
        (95, 5, Level.CENTRAL),
        (90, 5, Level.CENTRAL),
        (88, 4, Level.PROVINCE),
        (60, 3, Level.PROVINCE),
        (45, 2, None),
    ],
)
def test_central_outcome(score: int, stars: int, certified_by: Level | None) -> None:
    outcome = central_outcome(score)
    assert (outcome.stars, outcome.certified_by, outcome.forwarded_to) == (
        stars,
        certified_by,
        None,
    )


def test_no_score_at_the_province_is_certified_5_stars_by_it() -> None:
    for score in range(101):
        routing = route_score(score, Level.PROVINCE, UNDER_26)
        assert routing.certified_by is not Level.CENTRAL
        assert not (routing.stars == 5 and routing.certified_by is not None)


def test_a_dossier_is_judged_by_its_filing_day() -> None:
    assert regime_for_dossier(date(2026, 5, 21)) is Regime.QD1489_2025
    assert regime_for_dossier(date(2026, 5, 22)) is Regime.QD26_2026


@pytest.mark.parametrize(
    ("stars", "issued", "level"),
    [
        (3, date(2024, 5, 1), Level.DISTRICT),
        (4, date(2024, 5, 1), Level.PROVINCE),
        (5, date(2024, 5, 1), Level.CENTRAL),
        (3, date(2025, 7, 3), Level.PROVINCE),  # no district left, before QĐ 1489
        (3, date(2025, 9, 1), Level.PROVINCE),
        (5, date(2026, 6, 1), Level.CENTRAL),
        (4, date(2026, 6, 1), Level.PROVINCE),
        (2, date(2026, 6, 1), None),
    ],
)
def test_issuing_level_by_the_rules_of_the_decision_day(
    stars: int, issued: date, level: Level | None
) -> None:
    assert issuing_level(stars, issued) is level
