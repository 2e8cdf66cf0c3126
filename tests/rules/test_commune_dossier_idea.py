"""Commune criteria guidance, dossier requirements and the idea registration fields."""

from __future__ import annotations

import pytest

from ocop_rules import (
    COMMUNE_CRITERION_NAMES_VI,
    IDEA_FIELDS,
    CommuneConclusion,
    CommuneCriterion,
    DossierKind,
    FieldType,
    IdeaOrigin,
    IdentityLevel,
    ProductGroup,
    Provider,
    Regime,
    Requirement,
    Status,
    commune_guidance,
    dossier_requirements,
    idea_field,
    overall_conclusion,
    requirement,
)
from ocop_rules._idea import IdeaField
from ocop_rules._source import Source

C = CommuneCriterion


@pytest.mark.parametrize(
    ("pct", "points"), [(0, 1), (49.9, 1), (50, 3), (74, 3), (75, 5), (100, 5)]
)
def test_origin_band_for_grains_is_confirmed(pct: float, points: int) -> None:
    guidance = commune_guidance(C.LOCAL_ORIGIN, {"commune_pct": pct}, "grains")
    assert guidance is not None
    assert guidance.points == points
    assert guidance.max_points == 5
    assert not guidance.superseded
    assert guidance.source.status is Status.CONFIRMED
    assert guidance.requirement_met is None


def test_origin_requirement_is_100_percent_within_the_province() -> None:
    full = commune_guidance(C.LOCAL_ORIGIN, {"commune_pct": 80, "province_pct": 100}, "grains")
    partial = commune_guidance(C.LOCAL_ORIGIN, {"commune_pct": 80, "province_pct": 90}, "grains")
    assert full is not None
    assert full.requirement_met is True
    assert partial is not None
    assert partial.requirement_met is False


@pytest.mark.parametrize(
    ("facts", "product_set"),
    [
        ({"commune_pct": 80}, "honey_other"),
        ({"commune_pct": 80}, None),
        ({}, "grains"),
        ({"commune_pct": "tám mươi"}, "grains"),
        ({"commune_pct": True}, "grains"),
    ],
)
def test_no_origin_guidance_without_a_band_or_facts(
    facts: dict[str, object], product_set: str | None
) -> None:
    assert commune_guidance(C.LOCAL_ORIGIN, facts, product_set) is None


@pytest.mark.parametrize(("total", "local", "points"), [(10, 4, 0), (10, 5, 1), (3, 3, 1)])
def test_labour_guidance_is_the_superseded_band(total: int, local: int, points: int) -> None:
    guidance = commune_guidance(
        C.LOCAL_LABOUR, {"workers_total": total, "workers_local": local}, None
    )
    assert guidance is not None
    assert guidance.points == points
    assert guidance.superseded
    assert guidance.source.status is Status.PRACTICE


@pytest.mark.parametrize(
    "facts", [{}, {"workers_total": 0, "workers_local": 0}, {"workers_total": 5}]
)
def test_no_labour_guidance_without_usable_facts(facts: dict[str, object]) -> None:
    assert commune_guidance(C.LOCAL_LABOUR, facts, None) is None


@pytest.mark.parametrize(
    ("origin", "points"),
    [
        (IdeaOrigin.COPY_NEW_LABEL, 0),
        (IdeaOrigin.IMPROVED_COPY, 1),
        (IdeaOrigin.OWN_IDEA, 2),
        (IdeaOrigin.OWN_TRADITION, 3),
    ],
)
def test_idea_origin_guidance(origin: IdeaOrigin, points: int) -> None:
    guidance = commune_guidance(C.IDEA_ORIGIN, {"idea_origin": origin.value}, None)
    assert guidance is not None
    assert (guidance.points, guidance.max_points, guidance.superseded) == (points, 3, True)


@pytest.mark.parametrize(
    ("level", "points"),
    [
        (IdentityLevel.LIKE_OTHERS, 0),
        (IdentityLevel.SIMILAR, 1),
        (IdentityLevel.OWN, 2),
        (IdentityLevel.OWN_LOCAL_KNOWLEDGE, 3),
    ],
)
def test_identity_guidance(level: IdentityLevel, points: int) -> None:
    guidance = commune_guidance(C.LOCAL_IDENTITY, {"identity": level.value}, None)
    assert guidance is not None
    assert guidance.points == points


def test_no_category_guidance_for_unknown_values() -> None:
    assert commune_guidance(C.IDEA_ORIGIN, {"idea_origin": "stolen"}, None) is None
    assert commune_guidance(C.LOCAL_IDENTITY, {"identity": 3}, None) is None


def test_four_criteria_and_three_conclusions() -> None:
    assert [c.value for c in CommuneCriterion] == [
        "local_origin",
        "local_labour",
        "idea_origin",
        "local_identity",
    ]
    assert set(COMMUNE_CRITERION_NAMES_VI) == set(CommuneCriterion)
    assert {c.value for c in CommuneConclusion} == {"met", "not_met", "needs_more"}


def _codes(group: ProductGroup, kind: DossierKind = DossierKind.NEW, **kw: Regime) -> list[str]:
    return [item.code for item in dossier_requirements(group, None, kind, **kw)]


@pytest.mark.parametrize("group", [ProductGroup.FOOD, ProductGroup.DRINK, ProductGroup.HERBAL])
def test_consumables_need_food_safety_and_tests_and_lack_them_disqualifies(
    group: ProductGroup,
) -> None:
    items = {item.code: item for item in dossier_requirements(group, None, DossierKind.NEW)}
    for code in ("food_safety_certificate", "test_results"):
        assert items[code].required
        assert items[code].disqualifying


@pytest.mark.parametrize("group", [ProductGroup.HANDICRAFT, ProductGroup.ORNAMENTAL])
def test_handicrafts_and_ornamentals_need_no_food_safety(group: ProductGroup) -> None:
    codes = _codes(group)
    assert "food_safety_certificate" not in codes
    assert "test_results" not in codes
    assert "product_samples" in codes


def test_tourism_has_no_samples() -> None:
    codes = _codes(ProductGroup.TOURISM)
    assert "product_samples" not in codes
    assert "label_packaging" not in codes


@pytest.mark.parametrize("group", list(ProductGroup))
@pytest.mark.parametrize("kind", list(DossierKind))
def test_every_kind_has_form_report_and_commune_report(
    group: ProductGroup, kind: DossierKind
) -> None:
    codes = _codes(group, kind)
    assert codes[:3] == ["registration_form", "subject_report", "commune_report"]
    assert ("three_year_report" in codes) is (kind is DossierKind.RE_EVALUATION)


def test_commune_report_only_from_1489_and_made_by_the_commune() -> None:
    assert "commune_report" not in _codes(ProductGroup.FOOD, regime=Regime.QD148_2023)
    assert "commune_report" in _codes(ProductGroup.FOOD, regime=Regime.QD1489_2025)
    assert requirement("commune_report").provider is Provider.COMMUNE


def test_requirements_name_their_source_and_refuse_bad_subgroups() -> None:
    for item in dossier_requirements(ProductGroup.FOOD, "food.fresh", DossierKind.UPGRADE):
        assert item.source.document.startswith("QĐ")
        assert item.name_vi
    with pytest.raises(ValueError, match="not a subgroup"):
        dossier_requirements(ProductGroup.FOOD, "drink.alcoholic", DossierKind.NEW)


def test_requirement_invariants() -> None:
    source = Source("QĐ x", "y", Status.CONFIRMED)
    with pytest.raises(ValueError, match="always required"):
        Requirement("x", "x", False, True, frozenset(ProductGroup), source)
    with pytest.raises(ValueError, match="no group"):
        Requirement("x", "x", True, False, frozenset(), source)


def test_idea_fields_in_order_with_types() -> None:
    codes = [item.code for item in IDEA_FIELDS]
    assert codes[:3] == ["product_name", "group", "subgroup"]
    assert idea_field("raw_material_commune_pct").type is FieldType.PERCENT
    assert idea_field("workers_local").type is FieldType.COUNT
    assert idea_field("is_new_product").type is FieldType.YES_NO
    assert idea_field("idea_origin").choices == tuple(o.value for o in IdeaOrigin)
    assert idea_field("papers_held").type is FieldType.CHOICES
    assert not idea_field("support_wanted").required
    assert len(codes) == len(set(codes))


def test_idea_field_choices_are_consistent() -> None:
    with pytest.raises(ValueError, match="choices"):
        IdeaField("colour", FieldType.CHOICE, True)
    with pytest.raises(ValueError, match="choices"):
        IdeaField("name", FieldType.TEXT, True, ("a",))


K = CommuneConclusion


@pytest.mark.parametrize(
    ("conclusions", "expected"),
    [
        ([K.MET] * 4, K.MET),
        ([K.MET, K.MET, K.NEEDS_MORE, K.MET], K.NEEDS_MORE),
        ([K.MET, K.NOT_MET, K.NEEDS_MORE, K.MET], K.NOT_MET),
        ([], K.NEEDS_MORE),
    ],
)
def test_overall_conclusion(
    conclusions: list[CommuneConclusion], expected: CommuneConclusion
) -> None:
    assert overall_conclusion(conclusions) is expected
