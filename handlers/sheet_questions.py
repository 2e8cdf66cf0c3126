"""The self-assessment's questions: every criterion of the 26 QĐ 26 scoring sheets, worded
for producers, with the evidence-guide row (Mẫu 02, phần III) that proves it.

Theory of operation
-------------------
The sheets themselves (criteria, options, points, minimum marks) come from
:func:`ocop_rules.scoring_sheet`. Beside them this module keeps two pieces of data of its
own, both read once when the module is imported, so a conversation step is a dictionary
lookup and never parses anything:

- ``data/sheet_plain.json``: a short plain question per criterion and a plain label per
  option, keyed by their official wording, so the same text on several sheets is worded
  once. A criterion or option without plain wording is shown in its official wording;
  the official wording is always one "Trợ giúp" away.
- :data:`EVIDENCE_RULES`: which row of the evidence guide proves a criterion, matched on
  words of the criterion's official label. The first rule whose row applies to the set's
  product group wins; the part's fallback rows come last.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from importlib.resources import files
from types import MappingProxyType

from handlers.textmatch import fold
from ocop_rules import (
    PRODUCT_SETS,
    Criterion,
    DossierKind,
    SheetPart,
    dossier_requirements,
    scoring_sheet,
)

# The day the QĐ 26 evidence guide is read for (any day under QĐ 26 gives the same rows).
_QD26_DAY = date(2026, 6, 1)

# (words in the folded official label, evidence-guide row), first match wins.
EVIDENCE_RULES: tuple[tuple[str, str], ...] = (
    ("so huu tri tue", "intellectual_property"),
    ("lao dong", "local_labour_list"),
    ("tang truong", "accounting_records"),
    ("loai hinh to chuc", "business_registration"),
    ("dai dien phap luat", "business_registration"),
    ("moi truong", "environment_commitment"),
    ("ben vung", "environment_commitment"),
    ("nang luong", "environment_commitment"),
    ("cong bo", "quality_declaration"),
    ("kiem tra dinh ky", "test_results"),
    ("dinh duong", "test_results"),
    ("an toan", "food_safety_certificate"),
    ("dam bao chat luong", "quality_management"),
    ("vung nguyen lieu", "quality_management"),
    ("vung san xuat", "quality_management"),
    ("nguon goc y tuong", "product_story"),
    ("cau chuyen", "product_story"),
    ("ban sac", "product_story"),
    ("nhan", "label_packaging"),
    ("bao bi", "label_packaging"),
    ("dong goi", "label_packaging"),
    ("quang ba", "promotion"),
    ("nhan dien", "promotion"),
    ("phan phoi", "market_evidence"),
    ("thi truong", "market_evidence"),
    ("nguon goc", "raw_material_origin"),
    ("nguyen lieu", "raw_material_origin"),
    ("lien ket", "raw_material_origin"),
    ("gia tang gia tri", "raw_material_origin"),
    ("nang luc san xuat", "raw_material_origin"),
)
# When no rule matches (or its row does not apply to the set), by part.
EVIDENCE_FALLBACK: Mapping[SheetPart, tuple[str, ...]] = MappingProxyType(
    {
        SheetPart.A: ("raw_material_origin", "business_registration"),
        SheetPart.B: ("market_evidence",),
        SheetPart.C: ("test_results", "quality_management"),
    }
)


@dataclass(frozen=True, slots=True)
class Answer:
    """One option as the producer sees it: plain label, official wording, points, mark."""

    label: str
    official: str
    points: Decimal
    min_stars: int | None


@dataclass(frozen=True, slots=True)
class Question:
    """One criterion of one sheet, ready to ask."""

    code: str
    part: SheetPart
    text: str  # the plain question, or the official label when none is written
    official: str
    notes: tuple[str, ...]
    answers: tuple[Answer, ...]  # index = the option index of ocop_rules (yes/no: 0 no, 1 yes)
    evidence: str  # the evidence-guide row (an ocop_rules requirement code)
    plain: bool  # the question and every option have plain wording

    @property
    def max_points(self) -> Decimal:
        """The points of the best answer."""
        return max(answer.points for answer in self.answers)


def _key(label: str) -> str:
    return label.split(" / ", maxsplit=1)[0].strip()


def _plain() -> tuple[Mapping[str, str], Mapping[str, str]]:
    raw = json.loads(files("handlers").joinpath("data/sheet_plain.json").read_text("utf-8"))
    return MappingProxyType(raw["questions"]), MappingProxyType(raw["options"])


def evidence_row(criterion: Criterion, rows: frozenset[str]) -> str:
    """The evidence-guide row proving ``criterion``, among the ``rows`` its set has."""
    words = fold(_key(criterion.label))
    matched = [row for phrase, row in EVIDENCE_RULES if phrase in words]
    for row in (*matched, *EVIDENCE_FALLBACK[criterion.part]):
        if row in rows:
            return row
    raise LookupError(f"no evidence row for {criterion.code}")  # pragma: no cover - data


def _question(
    criterion: Criterion,
    rows: frozenset[str],
    questions: Mapping[str, str],
    options: Mapping[str, str],
) -> Question:
    answers: tuple[Answer, ...]
    if criterion.yes_no:
        answers = (
            Answer("Chưa có", "Không", Decimal(0), None),
            Answer("Có", "Có", criterion.max_points, None),
        )
        plain_options = True
    else:
        answers = tuple(
            Answer(options.get(o.label, o.label), o.label, o.points, o.min_stars)
            for o in criterion.options
        )
        plain_options = all(o.label in options for o in criterion.options)
    question = questions.get(_key(criterion.label))
    return Question(
        criterion.code,
        criterion.part,
        question or _key(criterion.label),
        criterion.label,
        criterion.notes,
        answers,
        evidence_row(criterion, rows),
        question is not None and plain_options,
    )


def _build() -> Mapping[int, tuple[Question, ...]]:
    questions, options = _plain()
    sheets: dict[int, tuple[Question, ...]] = {}
    for product_set in PRODUCT_SETS:
        rows = frozenset(
            r.code
            for r in dossier_requirements(product_set.number, DossierKind.NEW, _QD26_DAY)
            if r.part_of is not None
        )
        sheet = scoring_sheet(product_set.number)
        sheets[product_set.number] = tuple(
            _question(c, rows, questions, options) for c in sheet.criteria
        )
    return MappingProxyType(sheets)


QUESTIONS: Mapping[int, tuple[Question, ...]] = _build()
POSITIONS: Mapping[int, Mapping[str, int]] = MappingProxyType(
    {
        number: MappingProxyType({q.code: i for i, q in enumerate(questions)})
        for number, questions in QUESTIONS.items()
    }
)


def questions(set_number: int) -> tuple[Question, ...]:
    """The questions of set ``set_number`` in the sheet's order."""
    return QUESTIONS[set_number]


def question(set_number: int, code: str) -> Question:
    """The question of criterion ``code`` of set ``set_number``."""
    return QUESTIONS[set_number][POSITIONS[set_number][code]]


def plain_sets() -> tuple[int, ...]:
    """The sets every question of which has plain wording."""
    return tuple(n for n, qs in QUESTIONS.items() if all(q.plain for q in qs))
