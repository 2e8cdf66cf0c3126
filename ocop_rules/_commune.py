"""The four items the commune assesses, and the matching criterion of each set's sheet.

Theory of operation
-------------------
Within 15 working days the commune checks the dossier and assesses four items — local
origin and raw material, local labour, the idea's origin, local identity (QĐ 26/2026/QĐ-TTg,
Điều 7.2.a) — and writes them as facts in its report (Mẫu 03), which always ends with the
proposal to the province: the commune neither scores nor concludes pass or fail. The
province's council scores, with the set's sheet (Phụ lục II).

So the guidance shown to an officer is the sheet's own criterion for each item, per set
(a data map: 1.1, 3.3, 2.1, 5.3 on sets 1–25; the tourism sheet has no raw-material
criterion and tells its identity in its story, 5.1), with its options and points; and,
where the facts decide it (the percentages of raw material and of local workers), the
option they meet. Which percentage counts follows the sheet: the share grown or raised in
the commune for fresh and raw products and ornamentals, the share of raw material from the
province for processed goods.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from ocop_rules._sheets import Option, scoring_sheet
from ocop_rules._source import QD26_2026, Source, Status


class CommuneCriterion(StrEnum):
    """The four criteria of the commune report."""

    LOCAL_ORIGIN = "local_origin"  # Nguồn gốc sản phẩm / nguyên liệu địa phương
    LOCAL_LABOUR = "local_labour"  # Sử dụng lao động địa phương
    IDEA_ORIGIN = "idea_origin"  # Nguồn gốc ý tưởng sản phẩm
    LOCAL_IDENTITY = "local_identity"  # Bản sắc / trí tuệ địa phương


COMMUNE_CRITERION_NAMES_VI: MappingProxyType[CommuneCriterion, str] = MappingProxyType(
    {
        CommuneCriterion.LOCAL_ORIGIN: "Nguồn gốc sản phẩm, nguyên liệu địa phương",
        CommuneCriterion.LOCAL_LABOUR: "Sử dụng lao động địa phương",
        CommuneCriterion.IDEA_ORIGIN: "Nguồn gốc ý tưởng sản phẩm",
        CommuneCriterion.LOCAL_IDENTITY: "Tính đặc trưng, bản sắc, trí tuệ địa phương",
    }
)
COMMUNE_CRITERIA_SOURCE = Source(QD26_2026, "Điều 7.2.a; Phụ lục III, Mẫu 03", Status.CONFIRMED)


class CommuneConclusion(StrEnum):
    """The officer's own note on one item while assessing (never a conclusion on the dossier:
    Mẫu 03 has none)."""

    MET = "met"  # Đạt
    NOT_MET = "not_met"  # Chưa đạt
    NEEDS_MORE = "needs_more"  # Cần bổ sung


class IdeaOrigin(StrEnum):
    """Where the product idea came from (QĐ 1048 categories, still used in practice)."""

    COPY_NEW_LABEL = "copy_new_label"  # Sao chép, chỉ thay nhãn
    IMPROVED_COPY = "improved_copy"  # Sao chép có cải tiến
    OWN_IDEA = "own_idea"  # Ý tưởng riêng, chưa có trên thị trường
    OWN_TRADITION = "own_tradition"  # Ý tưởng riêng, gìn giữ truyền thống, đặc sản


class IdentityLevel(StrEnum):
    """How much local identity the product's story carries (QĐ 1048 categories)."""

    LIKE_OTHERS = "like_others"  # Câu chuyện giống sản phẩm khác
    SIMILAR = "similar"  # Tương tự
    OWN = "own"  # Riêng
    OWN_LOCAL_KNOWLEDGE = "own_local_knowledge"  # Riêng, có trí tuệ địa phương


@dataclass(frozen=True, slots=True)
class Guidance:
    """The sheet's criterion for one commune item, and the option the facts meet if they do.

    ``option_index`` and ``points`` are ``None`` when the facts do not decide; when they do
    and meet no option (fewer than a quarter of local workers), ``option_index`` is ``None``
    and ``points`` is 0. Guidance for the officer: the province's council scores.
    """

    criterion: CommuneCriterion
    set_number: int
    criterion_code: str
    label: str
    options: tuple[Option, ...]
    max_points: Decimal
    option_index: int | None
    points: Decimal | None
    source: Source
    requirement: str | None = None  # the sheet's "Yêu cầu" note, e.g. 100 % from the province


class Share(StrEnum):
    """Which percentage an item's options are banded on."""

    COMMUNE_ORIGIN = "commune_pct"  # grown, raised or caught in the commune
    PROVINCE_MATERIAL = "province_pct"  # raw material from the province
    LOCAL_WORKERS = "workers"  # workers living in the commune


@dataclass(frozen=True, slots=True)
class _Item:
    code: str
    share: Share | None = None


_TOURISM = 26
_COMMUNE_ORIGIN_SETS = frozenset({1, 2, 3, 4, 23, 24, 25})
# Lower bounds of the percentage bands of the three options, in option order (the sheets'
# "dưới 50 %", "50 % đến dưới 75 %", "75 % đến 100 %"; labour "25 %", "50 %", "75 %").
_ORIGIN_BANDS = (Decimal(0), Decimal(50), Decimal(75))
_LABOUR_BANDS = (Decimal(25), Decimal(50), Decimal(75))


def _items(set_number: int) -> Mapping[CommuneCriterion, _Item]:
    identity = "5.1" if set_number == _TOURISM else "5.3"
    items = {
        CommuneCriterion.LOCAL_LABOUR: _Item("3.3", Share.LOCAL_WORKERS),
        CommuneCriterion.IDEA_ORIGIN: _Item("2.1"),
        CommuneCriterion.LOCAL_IDENTITY: _Item(identity),
    }
    if set_number != _TOURISM:
        share = (
            Share.COMMUNE_ORIGIN if set_number in _COMMUNE_ORIGIN_SETS else Share.PROVINCE_MATERIAL
        )
        items[CommuneCriterion.LOCAL_ORIGIN] = _Item("1.1", share)
    return items


def sheet_criterion_code(criterion: CommuneCriterion, set_number: int) -> str | None:
    """The code of the sheet criterion that matches a commune item for a set, or ``None``
    (the tourism sheet has no raw-material criterion). ``KeyError`` for an unknown set."""
    scoring_sheet(set_number)
    item = _items(set_number).get(criterion)
    return None if item is None else item.code


Facts = Mapping[str, object]


def _number(facts: Facts, key: str) -> Decimal | None:
    value = facts.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return Decimal(str(value))


def _percent(facts: Facts, share: Share) -> Decimal | None:
    if share is not Share.LOCAL_WORKERS:
        return _number(facts, share.value)
    total, local = _number(facts, "workers_total"), _number(facts, "workers_local")
    if total is None or local is None or total <= 0:
        return None
    return local * 100 / total


def _band(percent: Decimal, share: Share) -> int | None:
    bands = _LABOUR_BANDS if share is Share.LOCAL_WORKERS else _ORIGIN_BANDS
    if percent <= 0 or percent < bands[0]:
        return None
    return max(index for index, floor in enumerate(bands) if percent >= floor)


def commune_guidance(
    criterion: CommuneCriterion, facts: Facts, product_set: int | None
) -> Guidance | None:
    """The sheet criterion of ``product_set`` that matches ``criterion``, with the option the
    facts meet where they decide it (QĐ 26, Điều 7.2.a; Phụ lục II, bộ N).

    ``None`` when the set is not known yet or its sheet has no such criterion. Facts keys:
    ``commune_pct`` and ``province_pct`` (raw material, in %), ``workers_total`` and
    ``workers_local``.
    """
    if product_set is None:
        return None
    sheet = scoring_sheet(product_set)
    item = _items(product_set).get(criterion)
    if item is None:
        return None
    found = sheet.criterion(item.code)
    index: int | None = None
    points: Decimal | None = None
    percent = None if item.share is None else _percent(facts, item.share)
    if item.share is not None and percent is not None:
        index = _band(percent, item.share)
        points = Decimal(0) if index is None else found.options[index].points
    requirement = next((note for note in found.notes if note.startswith("Yêu cầu")), None)
    source = Source(
        QD26_2026, f"Phụ lục II, bộ {product_set}, tiêu chí {found.code}", Status.CONFIRMED
    )
    return Guidance(
        criterion,
        product_set,
        found.code,
        found.label,
        found.options,
        found.max_points,
        index,
        points,
        source,
        requirement,
    )
