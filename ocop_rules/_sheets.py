"""The 26 scoring sheets of QĐ 26/2026/QĐ-TTg, Phụ lục II, and scoring a product against one.

Theory of operation
-------------------
Each set has a 100-point sheet: Part A 40, B 25, C 35 (Điều 3.1). A sheet is a list of leaf
criteria in the sheet's order ("1.1", "6.1.1", "7"…) under numbered headings; a criterion
offers options with points, or is a yes/no criterion worth its points. An option marked
***, **** or ***** is the minimum requirement of 3★, 4★ or 5★ (the sheets' Ghi chú), and a
mark holds for its level and every level above it.

The sheets are data: ``data/scoring_sheets.json`` inside this package, read from the
published text with the rules of the project's reference (blank cells score 0; four
misprints read as the totals require; one spaced star mark read as a mark). It is read
once, on first use, through :mod:`importlib.resources`; nothing is read at import.

How a missed minimum is applied (a cap or a refusal) is not written in the decision, so
:func:`score_sheet` reports the criteria below each level's marks and leaves the stars to the
total's band (Điều 3.3).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

from ocop_rules._scoring import stars_for_score
from ocop_rules._source import QD26_2026, Source, Status

SHEETS_SOURCE = Source(
    QD26_2026, "Phụ lục II, Bộ tiêu chí đánh giá sản phẩm OCOP", Status.CONFIRMED
)
MINIMUM_MARK_SOURCE = Source(
    QD26_2026,
    "Phụ lục II, Ghi chú: dấu sao là yêu cầu tối thiểu",
    Status.CONFIRMED,
    "how a missed minimum is applied is not written",
)
STAR_LEVELS = (3, 4, 5)


class SheetPart(StrEnum):
    """The three parts of every sheet (Điều 3.1)."""

    A = "A"  # Sản phẩm và sức mạnh cộng đồng, 40 points
    B = "B"  # Khả năng tiếp thị, 25 points
    C = "C"  # Chất lượng sản phẩm, 35 points


PART_POINTS: MappingProxyType[SheetPart, Decimal] = MappingProxyType(
    {SheetPart.A: Decimal(40), SheetPart.B: Decimal(25), SheetPart.C: Decimal(35)}
)


@dataclass(frozen=True, slots=True)
class Option:
    """One option of a criterion: its wording, points and star mark (``None`` unmarked)."""

    label: str
    points: Decimal
    min_stars: int | None = None

    def __post_init__(self) -> None:
        if self.points < 0:
            raise ValueError(f"{self.label!r}: negative points")
        if self.min_stars is not None and self.min_stars not in STAR_LEVELS:
            raise ValueError(f"{self.label!r}: a mark is 3, 4 or 5 stars")


@dataclass(frozen=True, slots=True)
class Criterion:
    """A leaf criterion of a sheet; without options it is yes/no, worth ``max_points``."""

    code: str
    label: str
    part: SheetPart
    max_points: Decimal
    options: tuple[Option, ...] = ()
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.options and max(o.points for o in self.options) != self.max_points:
            raise ValueError(f"{self.code}: the best option must be worth the criterion")

    @property
    def yes_no(self) -> bool:
        """Whether the criterion is answered no (0) or yes (1) rather than by an option."""
        return not self.options

    def points_for(self, index: int) -> Decimal:
        """The points of answer ``index`` (0-based; no = 0 and yes = 1 for yes/no)."""
        if isinstance(index, bool) or not isinstance(index, int):
            raise ValueError(f"{self.code}: an answer is an option's index")
        if self.yes_no:
            if index not in (0, 1):
                raise ValueError(f"{self.code}: a yes/no criterion is answered 0 or 1")
            return self.max_points if index else Decimal(0)
        if not 0 <= index < len(self.options):
            raise ValueError(f"{self.code}: no option {index}")
        return self.options[index].points

    def minimum_for(self, stars: int) -> Decimal | None:
        """The points a product of ``stars`` must reach here: the highest mark at or below
        that level, or ``None`` when the criterion carries none."""
        marked = [
            o.points for o in self.options if o.min_stars is not None and o.min_stars <= stars
        ]
        return max(marked) if marked else None


@dataclass(frozen=True, slots=True)
class Heading:
    """A numbered heading grouping criteria ("1 TỔ CHỨC SẢN XUẤT", "6.1 …")."""

    code: str
    label: str
    part: SheetPart
    max_points: Decimal


@dataclass(frozen=True, slots=True)
class ScoringSheet:
    """The sheet of one product set, criteria in the sheet's order."""

    set_number: int
    heading: str
    criteria: tuple[Criterion, ...]
    headings: tuple[Heading, ...]
    disqualifier: str | None  # "Hồ sơ bị loại khi …"; none on the tourism sheet
    source: Source = SHEETS_SOURCE

    def __post_init__(self) -> None:
        codes = [criterion.code for criterion in self.criteria]
        if len(set(codes)) != len(codes):
            raise ValueError(f"sheet {self.set_number}: a criterion code appears twice")
        for part, points in PART_POINTS.items():
            total = sum((c.max_points for c in self.criteria if c.part is part), Decimal(0))
            if total != points:
                raise ValueError(f"sheet {self.set_number}: part {part} sums to {total}")

    def criterion(self, code: str) -> Criterion:
        """The criterion ``code``; ``KeyError`` when the sheet has none."""
        for criterion in self.criteria:
            if criterion.code == code:
                return criterion
        raise KeyError(code)


@dataclass(frozen=True, slots=True)
class SheetScore:
    """A product's total, its parts, the stars of the total's band, and the minimums missed.

    ``unmet_minimums`` maps 3, 4 and 5 to the codes of the criteria whose answer scores
    below that level's mark (marks of lower levels included).
    """

    set_number: int
    total: Decimal
    parts: MappingProxyType[SheetPart, Decimal]
    stars: int
    unmet_minimums: MappingProxyType[int, tuple[str, ...]]


def _option(raw: Mapping[str, Any]) -> Option:
    return Option(raw["label"], Decimal(raw["points"]), raw["min_stars"])


def _sheet(raw: Mapping[str, Any]) -> ScoringSheet:
    criteria = tuple(
        Criterion(
            c["code"],
            c["label"],
            SheetPart(c["part"]),
            Decimal(c["max_points"]),
            tuple(_option(o) for o in c["options"]),
            tuple(c["notes"]),
        )
        for c in raw["criteria"]
    )
    headings = tuple(
        Heading(h["code"], h["label"], SheetPart(h["part"]), Decimal(h["max_points"]))
        for h in raw["headings"]
    )
    return ScoringSheet(raw["number"], raw["heading"], criteria, headings, raw["disqualifier"])


@cache
def _sheets() -> MappingProxyType[int, ScoringSheet]:
    text = resources.files("ocop_rules").joinpath("data/scoring_sheets.json").read_text("utf-8")
    return MappingProxyType({raw["number"]: _sheet(raw) for raw in json.loads(text)["sets"]})


def scoring_sheet(set_number: int) -> ScoringSheet:
    """The scoring sheet of set ``set_number`` (QĐ 26/2026/QĐ-TTg, Phụ lục II, bộ N);
    ``KeyError`` for a number outside 1–26."""
    return _sheets()[set_number]


def score_sheet(set_number: int, answers: Mapping[str, int]) -> SheetScore:
    """Score a product of set ``set_number`` from ``answers`` (criterion code → option index).

    An unanswered criterion scores 0. ``ValueError`` for a code the sheet does not have or an
    index it does not offer. Stars follow the total's band (Điều 3.3); minimums missed are
    reported, not applied (Phụ lục II, Ghi chú — the decision does not say how).
    """
    sheet = scoring_sheet(set_number)
    by_code = {criterion.code: criterion for criterion in sheet.criteria}
    unknown = sorted(set(answers) - set(by_code))
    if unknown:
        raise ValueError(f"sheet {set_number} has no criterion {', '.join(unknown)}")
    points = {code: by_code[code].points_for(index) for code, index in answers.items()}
    parts = {
        part: sum(
            (points.get(c.code, Decimal(0)) for c in sheet.criteria if c.part is part), Decimal(0)
        )
        for part in SheetPart
    }
    total = sum(parts.values(), Decimal(0))
    unmet: dict[int, tuple[str, ...]] = {}
    for stars in STAR_LEVELS:
        missed = []
        for criterion in sheet.criteria:
            minimum = criterion.minimum_for(stars)
            if minimum is not None and points.get(criterion.code, Decimal(0)) < minimum:
                missed.append(criterion.code)
        unmet[stars] = tuple(missed)
    return SheetScore(
        set_number,
        total,
        MappingProxyType(parts),
        stars_for_score(total),
        MappingProxyType(unmet),
    )
