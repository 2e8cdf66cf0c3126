"""The four criteria the commune assesses, and scoring guidance for its officers.

Criteria: QĐ 148/QĐ-TTg, Phụ lục III, and QĐ 1489/QĐ-TTg for the commune's role
(confirmed). Points bands are per product set: the reference confirms the raw-material
band only for "gạo, ngũ cốc, hạt sơ chế khác"; the bands for labour, idea origin and
identity are those of the superseded QĐ 1048/QĐ-TTg, returned flagged as superseded.
Guidance is guidance: the council scores, the commune does not rank.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from ocop_rules._source import QD148_2023, QD1048_2019, QD1489_2025, Source, Status


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
COMMUNE_CRITERIA_SOURCE = Source(QD1489_2025, "Phụ lục II, đánh giá cấp xã", Status.CONFIRMED)


class CommuneConclusion(StrEnum):
    """The commune's conclusion on a criterion or on the dossier."""

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


def overall_conclusion(conclusions: Iterable[CommuneConclusion]) -> CommuneConclusion:
    """The commune's conclusion on a dossier from its conclusions on the four criteria.

    The commune proposes the province evaluates only a product that meets every criterion
    (QĐ 1489: the commune assesses the four criteria, then proposes); any criterion not met
    makes the dossier not met; otherwise anything still to complete makes it "needs more".
    An empty list is "needs more": nothing has been assessed.
    """
    seen = set(conclusions)
    if CommuneConclusion.NOT_MET in seen:
        return CommuneConclusion.NOT_MET
    if not seen or CommuneConclusion.NEEDS_MORE in seen:
        return CommuneConclusion.NEEDS_MORE
    return CommuneConclusion.MET


@dataclass(frozen=True, slots=True)
class Guidance:
    """Points an officer may expect a council to give, and on what basis."""

    criterion: CommuneCriterion
    points: int
    max_points: int
    source: Source
    superseded: bool
    requirement_met: bool | None = None


_ORIGIN_SET = "grains"
_ORIGIN_SOURCE = Source(
    QD148_2023,
    "Phụ lục III, bộ Gạo, ngũ cốc, hạt sơ chế khác",
    Status.CONFIRMED,
    "100 % of raw material grown within the province",
)
_SUPERSEDED = Source(
    QD1048_2019,
    "Phụ lục, bộ tiêu chí",
    Status.PRACTICE,
    "superseded by QĐ 148; shown for orientation only",
)
_IDEA_POINTS: MappingProxyType[str, int] = MappingProxyType(
    {o.value: i for i, o in enumerate(IdeaOrigin)}
)
_IDENTITY_POINTS: MappingProxyType[str, int] = MappingProxyType(
    {level.value: i for i, level in enumerate(IdentityLevel)}
)

Facts = Mapping[str, object]


def _number(facts: Facts, key: str) -> float | None:
    value = facts.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _origin(facts: Facts, product_set: str | None) -> Guidance | None:
    commune_pct = _number(facts, "commune_pct")
    if product_set != _ORIGIN_SET or commune_pct is None:
        return None
    points = 5 if commune_pct >= 75 else 3 if commune_pct >= 50 else 1
    province_pct = _number(facts, "province_pct")
    met = None if province_pct is None else province_pct >= 100
    return Guidance(CommuneCriterion.LOCAL_ORIGIN, points, 5, _ORIGIN_SOURCE, False, met)


def _labour(facts: Facts) -> Guidance | None:
    total, local = _number(facts, "workers_total"), _number(facts, "workers_local")
    if total is None or local is None or total <= 0:
        return None
    points = 1 if local / total >= 0.5 else 0
    return Guidance(CommuneCriterion.LOCAL_LABOUR, points, 1, _SUPERSEDED, True)


def _category(
    criterion: CommuneCriterion, table: Mapping[str, int], value: object
) -> Guidance | None:
    if not isinstance(value, str) or value not in table:
        return None
    return Guidance(criterion, table[value], max(table.values()), _SUPERSEDED, True)


def commune_guidance(
    criterion: CommuneCriterion, facts: Facts, product_set: str | None
) -> Guidance | None:
    """Guidance points for ``criterion`` from the facts seen, or ``None`` when there is none.

    Facts keys: ``commune_pct`` and ``province_pct`` (raw material), ``workers_total`` and
    ``workers_local`` (labour), ``idea_origin`` (an :class:`IdeaOrigin` value),
    ``identity`` (an :class:`IdentityLevel` value).
    """
    if criterion is CommuneCriterion.LOCAL_ORIGIN:
        return _origin(facts, product_set)
    if criterion is CommuneCriterion.LOCAL_LABOUR:
        return _labour(facts)
    if criterion is CommuneCriterion.IDEA_ORIGIN:
        return _category(criterion, _IDEA_POINTS, facts.get("idea_origin"))
    return _category(criterion, _IDENTITY_POINTS, facts.get("identity"))
