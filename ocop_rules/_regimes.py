"""Which rule set is in force on a day, and who evaluates, certifies and receives.

Theory of operation
-------------------
QĐ 148/QĐ-TTg (from 24/02/2023) had three evaluating levels; QĐ 1489/QĐ-TTg (from
06/07/2025, after districts were abolished on 01/07/2025) has the province evaluate and
the commune receive and assess; QĐ 26/2026/QĐ-TTg (from 22/05/2026, Điều 11.1) keeps those
two levels: the province certifies 3★ and 4★, approves a score of 90 or more and proposes
it to the Ministry of Agriculture and Environment, which alone certifies 5★ (Điều 4.1, 7.3.e).

Routing is a data table keyed by (regime, level). A dossier filed before 22/05/2026 is
judged under the old rules but must be finished within 60 or 30 days (Điều 12.2).

From 01/07/2025 no district exists, yet QĐ 1489 took effect only on 06/07/2025: for those
five days the commune receives and the province evaluates and certifies as under QĐ 1489
(our reading, marked unconfirmed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from ocop_rules._scoring import Score, _decimal, stars_for_score
from ocop_rules._source import (
    PROVINCIAL_PRACTICE,
    QD26_2026,
    QD148_2023,
    QD1048_2019,
    QD1489_2025,
    Source,
    Status,
)


class Regime(StrEnum):
    """The rule sets of the programme, by the decision that set them."""

    QD1048_2019 = "qd1048_2019"
    QD148_2023 = "qd148_2023"
    QD1489_2025 = "qd1489_2025"
    QD26_2026 = "qd26_2026"


class Level(StrEnum):
    """Levels of government that receive, evaluate or certify."""

    COMMUNE = "commune"
    DISTRICT = "district"
    PROVINCE = "province"
    CENTRAL = "central"


QD26_START = date(2026, 5, 22)
TRANSITION_DAYS = 60
TRANSITION_DAYS_RE_EVALUATION = 30
DISTRICTS_ABOLISHED = date(2025, 7, 1)
QD1489_START = date(2025, 7, 6)

REGIME_STARTS: tuple[tuple[date, Regime], ...] = (
    (QD26_START, Regime.QD26_2026),
    (QD1489_START, Regime.QD1489_2025),
    (date(2023, 2, 24), Regime.QD148_2023),
    (date.min, Regime.QD1048_2019),
)

REGIME_SOURCES: MappingProxyType[Regime, Source] = MappingProxyType(
    {
        Regime.QD1048_2019: Source(QD1048_2019, "Điều 1", Status.CONFIRMED),
        Regime.QD148_2023: Source(
            QD148_2023, "Điều 1; thay thế QĐ 1048 và QĐ 781", Status.CONFIRMED
        ),
        Regime.QD1489_2025: Source(QD1489_2025, "Điều 1; hiệu lực từ ngày ký", Status.CONFIRMED),
        Regime.QD26_2026: Source(
            QD26_2026,
            "Điều 11: hiệu lực từ 22/5/2026; QĐ 148 và 1489 hết hiệu lực sau 60 ngày",
            Status.CONFIRMED,
        ),
    }
)
TRANSITION_SOURCE = Source(QD26_2026, "Điều 12.2", Status.CONFIRMED)
GAP_SOURCE = Source(
    QD1489_2025,
    "Phụ lục II sửa đổi, applied from 01/07/2025",
    Status.UNCONFIRMED,
    "no district from 01/07/2025 and QĐ 1489 only from 06/07/2025: our reading",
)


def regime_on(day: date) -> Regime:
    """The rule set in force on ``day`` (QĐ 148 Điều 1, QĐ 1489 Điều 1, QĐ 26 Điều 11.1)."""
    return next(regime for start, regime in REGIME_STARTS if day >= start)


def regime_for_dossier(filed_on: date) -> Regime:
    """The rule set a dossier filed on ``filed_on`` is judged under (QĐ 26, Điều 12.2).

    A dossier filed before 22/05/2026 keeps the 2021–2025 rules in force when it was filed.
    """
    return regime_on(filed_on)


def receiving_level(on: date) -> Level:
    """Where a producer submits the dossier: the district until 30/06/2025, then the commune
    (QĐ 1489; QĐ 26 Điều 7.1). No district exists from 01/07/2025."""
    return Level.COMMUNE if on >= DISTRICTS_ABOLISHED else Level.DISTRICT


@dataclass(frozen=True, slots=True)
class RoutingRule:
    """What one evaluating level does with a score under one regime.

    Scores at or above ``forward_from`` go to ``forward_to`` instead of being certified
    here; otherwise ``certifiers`` maps the stars to the level that certifies them.
    """

    certifiers: MappingProxyType[int, Level]
    source: Source
    forward_from: Decimal | None = None
    forward_to: Level | None = None
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if (self.forward_from is None) != (self.forward_to is None):
            raise ValueError("a forwarding threshold needs a target level, and back")


def _rule(
    certifiers: dict[int, Level],
    source: Source,
    forward_from: int | None = None,
    forward_to: Level | None = None,
) -> RoutingRule:
    threshold = None if forward_from is None else Decimal(forward_from)
    return RoutingRule(MappingProxyType(certifiers), source, threshold, forward_to)


_P, _D, _C = Level.PROVINCE, Level.DISTRICT, Level.CENTRAL
_148 = Source(QD148_2023, "Phụ lục II, quy trình đánh giá", Status.CONFIRMED)
# The district certifying 3★ and forwarding 70–100 to the province is QĐ 148's (and both
# plans say so); the district certifying 3★ for a province score of 50–<70 is stated by
# neither plan: provincial practice.
_148_PRACTICE = Source(
    PROVINCIAL_PRACTICE,
    "phân hạng của hội đồng cấp tỉnh thời QĐ 148",
    Status.PRACTICE,
    "province scores 50–<70 are certified 3★ by the district; no plan in hand states it",
)
_1489 = Source(QD1489_2025, "Phụ lục II sửa đổi", Status.CONFIRMED)
_26 = Source(QD26_2026, "Điều 4.1, 7.3.e", Status.CONFIRMED)
_26_CENTRAL = Source(
    QD26_2026,
    "Điều 4.1.b, 7.4.g",
    Status.CONFIRMED,
    "under 90 at the central level the province may certify 3★ or 4★ on that result",
)
_1048 = Source(
    QD1048_2019, "Phụ lục, quy trình đánh giá", Status.UNCONFIRMED, "kept for imported history only"
)

ROUTING: MappingProxyType[tuple[Regime, Level], RoutingRule] = MappingProxyType(
    {
        (Regime.QD1048_2019, _D): _rule({}, _1048, 50, _P),
        (Regime.QD1048_2019, _P): _rule({3: _P, 4: _P}, _1048, 90, _C),
        (Regime.QD1048_2019, _C): _rule({5: _C}, _1048),
        (Regime.QD148_2023, _D): _rule({3: _D}, _148, 70, _P),
        (Regime.QD148_2023, _P): _rule({3: _D, 4: _P}, _148_PRACTICE, 90, _C),
        (Regime.QD148_2023, _C): _rule({5: _C}, _148),
        (Regime.QD1489_2025, _P): _rule({3: _P, 4: _P}, _1489, 90, _C),
        (Regime.QD1489_2025, _C): _rule({5: _C}, _1489),
        (Regime.QD26_2026, _P): _rule({3: _P, 4: _P}, _26, 90, _C),
        (Regime.QD26_2026, _C): _rule({3: _P, 4: _P, 5: _C}, _26_CENTRAL),
    }
)


@dataclass(frozen=True, slots=True)
class Routing:
    """The outcome of a score at a level: stars, who certifies, where it goes next."""

    stars: int
    certified_by: Level | None
    forwarded_to: Level | None
    regime: Regime
    source: Source


def route_score(score: Score, evaluated_at: Level, on: date) -> Routing:
    """Say who certifies a score given at ``evaluated_at`` on ``on``, or where it goes next.

    Under QĐ 26 (Điều 4.1, 7.3.e): the province certifies 3★ and 4★ and forwards 90 or
    more to the central level, which alone certifies 5★. The commune never ranks products;
    a level that does not evaluate on that day (a district from 01/07/2025) is a
    ``ValueError``.
    """
    value = _decimal(score)
    regime = regime_on(on)
    in_gap = DISTRICTS_ABOLISHED <= on < QD1489_START
    rule = ROUTING.get((Regime.QD1489_2025 if in_gap else regime, evaluated_at))
    if in_gap and evaluated_at is Level.DISTRICT:
        rule = None
    if rule is None:
        raise ValueError(f"the {evaluated_at.value} level does not evaluate under {regime.value}")
    source = GAP_SOURCE if in_gap else rule.source
    stars = stars_for_score(value)
    if rule.forward_from is not None and value >= rule.forward_from:
        return Routing(stars, None, rule.forward_to, regime, source)
    return Routing(stars, rule.certifiers.get(stars), None, regime, source)


def central_outcome(score: Score) -> Routing:
    """The outcome of the central council's score under QĐ 26 (Điều 4.1.b, 7.4): 5★ certified
    by the ministry from 90; below, the stars the province may certify (3★, 4★) or none."""
    return route_score(score, Level.CENTRAL, QD26_START)


def issuing_level(stars: int, issued_on: date) -> Level | None:
    """The level that issued a ``stars`` certificate decided on ``issued_on``, by the rules of
    that day: under QĐ 148 the district 3★, the province 4★, the central level 5★; from
    01/07/2025 (no district; QĐ 1489, then QĐ 26 Điều 4.1) the province 3★ and 4★, the
    ministry 5★. None for stars no level certifies."""
    regime = regime_on(issued_on)
    if regime is Regime.QD148_2023 and issued_on >= DISTRICTS_ABOLISHED:
        regime = Regime.QD1489_2025  # the gap before QĐ 1489 was signed (GAP_SOURCE)
    for level in (Level.PROVINCE, Level.CENTRAL):
        found = ROUTING[(regime, level)].certifiers.get(stars)
        if found is not None:
            return found
    return None
