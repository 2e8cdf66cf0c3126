"""The 100-point scoring sheet, star bands and the council's result.

Bands: QĐ 148/QĐ-TTg, Phụ lục III (confirmed). The 10-point agreement rule between council
members is provincial council practice: no decision and no plan in hand states it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from ocop_rules._source import PROVINCIAL_PRACTICE, QD148_2023, Source, Status

Score = Decimal | int | float

STAR_SOURCE = Source(QD148_2023, "Phụ lục III, phân hạng sản phẩm", Status.CONFIRMED)
# Neither QĐ 148, QĐ 26 nor the plans in hand state it: a warning, never a refusal.
RESCORING_SOURCE = Source(
    PROVINCIAL_PRACTICE,
    "chênh lệch điểm giữa các thành viên hội đồng",
    Status.PRACTICE,
    "members more than 10 points apart score again; not in QĐ 148 nor QĐ 26",
)

MAX_SCORE = Decimal(100)
MAX_MEMBER_SPREAD = Decimal(10)
CERTIFIABLE_STARS = 3
_TWO_PLACES = Decimal("0.01")

# Lower bound of each star band, highest first.
STAR_BANDS: tuple[tuple[Decimal, int], ...] = (
    (Decimal(90), 5),
    (Decimal(70), 4),
    (Decimal(50), 3),
    (Decimal(30), 2),
    (Decimal(0), 1),
)


@dataclass(frozen=True, slots=True)
class ScoringPart:
    """One part of the 100-point sheet."""

    code: str
    name_vi: str
    max_points: int


SCORING_PARTS: tuple[ScoringPart, ...] = (
    ScoringPart("A", "Sản phẩm và sức mạnh cộng đồng", 40),
    ScoringPart("B", "Khả năng tiếp thị", 25),
    ScoringPart("C", "Chất lượng sản phẩm", 35),
)


def _decimal(score: Score) -> Decimal:
    """Exact decimal of ``score``, refusing anything outside 0–100."""
    if isinstance(score, bool):
        raise TypeError("a score is a number, not a boolean")
    value = Decimal(str(score)) if isinstance(score, float) else Decimal(score)
    if not value.is_finite() or not Decimal(0) <= value <= MAX_SCORE:
        raise ValueError(f"score {score!r} is outside 0–100")
    return value


def stars_for_score(score: Score) -> int:
    """Stars (1–5) for a score: 1★ < 30 ≤ 2★ < 50 ≤ 3★ < 70 ≤ 4★ < 90 ≤ 5★ ≤ 100."""
    value = _decimal(score)
    return next(stars for floor, stars in STAR_BANDS if value >= floor)


def is_certifiable(stars: int) -> bool:
    """Whether a star rating earns a certificate and the OCOP logo (3★ and up)."""
    if not 1 <= stars <= 5:
        raise ValueError(f"stars must be 1–5, not {stars}")
    return stars >= CERTIFIABLE_STARS


@dataclass(frozen=True, slots=True)
class CouncilResult:
    """The council's average (two places, half-up), its stars and the members' spread."""

    average: Decimal
    stars: int
    spread: Decimal
    needs_rescoring: bool


def council_result(member_scores: Sequence[Score]) -> CouncilResult:
    """Combine the members' scores.

    The stars are read from the average as it is reported (rounded to two places), so the
    figure on the minutes and the stars always agree. Members more than 10 points apart
    must discuss and score again.
    """
    if not member_scores:
        raise ValueError("a council result needs at least one member's score")
    values = [_decimal(score) for score in member_scores]
    average = (sum(values, Decimal(0)) / len(values)).quantize(_TWO_PLACES, ROUND_HALF_UP)
    spread = max(values) - min(values)
    return CouncilResult(
        average=average,
        stars=stars_for_score(average),
        spread=spread,
        needs_rescoring=spread > MAX_MEMBER_SPREAD,
    )
