"""Commune criteria guidance, dossier requirements and the idea registration fields."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ocop_rules import (
    COMMUNE_CRITERION_NAMES_VI,
    DOSSIER_COPIES,
    IDEA_FIELDS,
    CommuneConclusion,
    CommuneCriterion,
    DossierKind,
    FieldType,
    IdeaOrigin,
    ProductGroup,
    Provider,
    Requirement,
    Status,
    commune_bundle,
    commune_guidance,
    dossier_requirements,
    idea_field,
    requirement,
    scoring_sheet,
    sheet_criterion_code,
    transition_deadline,
)
from ocop_rules._idea import IdeaField
from ocop_rules._source import Source

C = CommuneCriterion


@pytest.mark.parametrize(
    ("set_number", "criterion", "code"),
    [
        (1, C.LOCAL_ORIGIN, "1.1"),
        (14, C.LOCAL_LABOUR, "3.3"),
        (9, C.IDEA_ORIGIN, "2.1"),
        (23, C.LOCAL_IDENTITY, "5.3"),
        (26, C.LOCAL_ORIGIN, None),  # the tourism sheet has no raw-material criterion
        (26, C.LOCAL_IDENTITY, "5.1"),  # its story carries the local identity
        (26, C.LOCAL_LABOUR, "3.3"),
    ],
)
def test_each_commune_item_matches_the_sets_own_sheet_criterion(
    set_number: int, criterion: CommuneCriterion, code: str | None
) -> None:
    assert sheet_criterion_code(criterion, set_number) == code
    guidance = commune_guidance(criterion, {}, set_number)
    if code is None:
        assert guidance is None
        return
    assert guidance is not None
    assert guidance.criterion_code == code
    assert guidance.options == scoring_sheet(set_number).criterion(code).options
    assert (guidance.option_index, guidance.points) == (None, None)  # no facts, no choice
    assert f"bộ {set_number}, tiêu chí {code}" in guidance.source.part


@pytest.mark.parametrize(
    ("set_number", "facts", "index", "points"),
    [
        # Set 3 bands the share grown in the commune: 1 / 2 / 3 points (QĐ 148 gave 1/3/5).
        (3, {"commune_pct": 40}, 0, 1),
        (3, {"commune_pct": 50}, 1, 2),
        (3, {"commune_pct": 74.9}, 1, 2),
        (3, {"commune_pct": 75}, 2, 3),
        (3, {"commune_pct": 0}, None, 0),
        # Set 9 bands the share of raw material from the province: 1 / 3 / 5 points.
        (9, {"province_pct": 80, "commune_pct": 10}, 2, 5),
        (9, {"commune_pct": 80}, None, None),  # the province's share decides, not given
        (3, {"commune_pct": "tám mươi"}, None, None),
        (3, {"commune_pct": True}, None, None),
    ],
)
def test_origin_guidance_meets_the_band_of_the_sets_sheet(
    set_number: int, facts: dict[str, object], index: int | None, points: int | None
) -> None:
    guidance = commune_guidance(C.LOCAL_ORIGIN, facts, set_number)
    assert guidance is not None
    assert guidance.option_index == index
    assert guidance.points == (None if points is None else Decimal(points))


def test_origin_guidance_carries_the_sheets_requirement() -> None:
    guidance = commune_guidance(C.LOCAL_ORIGIN, {}, 1)
    assert guidance is not None
    assert guidance.requirement == "Yêu cầu: 100% sản phẩm được trồng trên địa bàn cấp tỉnh"


@pytest.mark.parametrize(
    ("total", "local", "index", "points"),
    [(10, 2, None, 0), (10, 3, 0, 1), (10, 5, 1, 2), (4, 3, 2, 3), (10, 10, 2, 3)],
)
def test_labour_guidance_counts_the_share_of_local_workers(
    total: int, local: int, index: int | None, points: int
) -> None:
    guidance = commune_guidance(C.LOCAL_LABOUR, {"workers_total": total, "workers_local": local}, 1)
    assert guidance is not None
    assert (guidance.option_index, guidance.points) == (index, Decimal(points))


@pytest.mark.parametrize(
    "facts", [{}, {"workers_total": 0, "workers_local": 0}, {"workers_total": 5}]
)
def test_labour_facts_that_do_not_decide(facts: dict[str, object]) -> None:
    guidance = commune_guidance(C.LOCAL_LABOUR, facts, 1)
    assert guidance is not None
    assert guidance.points is None


def test_the_option_labels_agree_with_the_bands() -> None:
    for number in range(1, 26):
        origin = scoring_sheet(number).criterion("1.1").options
        assert "dưới 50%" in origin[0].label
        assert "50%" in origin[1].label
        assert "75%" in origin[2].label
    for number in range(1, 27):
        labour = scoring_sheet(number).criterion("3.3").options
        assert [
            ("25%" in labour[0].label),
            ("50%" in labour[1].label),
            ("75%" in labour[2].label),
        ] == [True] * 3


@pytest.mark.parametrize("number", range(1, 27))
def test_idea_and_identity_guidance_read_the_sets_own_criteria(number: int) -> None:
    """2.1 is the idea's origin on every sheet; 5.3 is the local identity on sheets 1–25,
    from a story like others' (0 points) to one of the local culture; the tourism sheet's
    identity is its story (5.1), its 5.3 being the new-rural standard."""
    idea = commune_guidance(C.IDEA_ORIGIN, {}, number)
    identity = commune_guidance(C.LOCAL_IDENTITY, {}, number)
    assert idea is not None
    assert identity is not None
    assert idea.criterion_code == "2.1"
    assert idea.label.startswith("Nguồn gốc ý tưởng sản phẩm")
    assert idea.options == scoring_sheet(number).criterion("2.1").options
    points = [option.points for option in idea.options]
    assert points == sorted(points)
    if number == 26:
        assert (identity.criterion_code, identity.label) == ("5.1", "Câu chuyện sản phẩm")
        return
    assert "phổ biến ở nhiều" in idea.options[0].label  # set 3 prints "ở nhiều, tỉnh"
    assert any(word in idea.options[-1].label for word in ("đặc trưng", "đặc sản"))
    assert identity.criterion_code == "5.3"
    assert identity.label.startswith("Trí tuệ/bản sắc địa phương")
    assert identity.options == scoring_sheet(number).criterion("5.3").options
    assert identity.options[0].label.startswith("Giống với câu chuyện sản phẩm")
    assert identity.options[0].points == 0
    assert "văn hóa địa phương" in identity.options[-1].label
    assert (identity.option_index, identity.points) == (None, None)  # the facts do not decide


def test_no_guidance_while_the_set_is_not_known() -> None:
    assert commune_guidance(C.LOCAL_LABOUR, {"workers_total": 4, "workers_local": 4}, None) is None
    with pytest.raises(KeyError):
        sheet_criterion_code(C.LOCAL_LABOUR, 27)


def test_four_criteria_and_three_conclusions() -> None:
    assert [c.value for c in CommuneCriterion] == [
        "local_origin",
        "local_labour",
        "idea_origin",
        "local_identity",
    ]
    assert set(COMMUNE_CRITERION_NAMES_VI) == set(CommuneCriterion)
    assert {c.value for c in CommuneConclusion} == {"met", "not_met", "needs_more"}


QD26_DAY = date(2026, 6, 1)
QD1489_DAY = date(2025, 11, 1)


def _codes(
    product_set: int | ProductGroup, kind: DossierKind = DossierKind.NEW, on: date = QD26_DAY
) -> list[str]:
    return [item.code for item in dossier_requirements(product_set, kind, on)]


@pytest.mark.parametrize("product_set", [1, 14, 18])
def test_consumables_need_production_conditions_and_tests(product_set: int) -> None:
    items = {
        item.code: item for item in dossier_requirements(product_set, DossierKind.NEW, QD26_DAY)
    }
    assert items["food_safety_certificate"].disqualifying
    assert items["test_results"].required


@pytest.mark.parametrize("product_set", [21, 23])
def test_handicrafts_and_ornamentals_need_no_food_safety(product_set: int) -> None:
    codes = _codes(product_set)
    assert "food_safety_certificate" not in codes
    assert "test_results" not in codes
    assert "product_samples" in codes


def test_a_tourism_dossier_never_asks_for_samples() -> None:
    for kind in DossierKind:
        for on in (QD26_DAY, QD1489_DAY):
            assert "product_samples" not in _codes(26, kind, on)
            assert "product_samples" not in _codes(ProductGroup.TOURISM, kind, on)
    assert commune_bundle(26) == ("commune_proposal", "commune_report", "product_dossier")
    assert commune_bundle(1)[-1] == "product_samples"


@pytest.mark.parametrize("product_set", [*range(1, 27), *ProductGroup])
@pytest.mark.parametrize("kind", list(DossierKind))
def test_every_dossier_is_mau_01_and_mau_02_with_its_evidence(
    product_set: int | ProductGroup, kind: DossierKind
) -> None:
    items = dossier_requirements(product_set, kind, QD26_DAY)
    assert [item.code for item in items[:2]] == ["registration_form", "subject_report"]
    codes = [item.code for item in items]
    assert ("three_year_report" in codes) is (kind is DossierKind.RE_EVALUATION)
    assert ("upgrade_changes" in codes) is (kind is DossierKind.UPGRADE)
    assert all(
        item.part_of == "subject_report"
        for item in items[2:]
        if item.provider is Provider.SUBJECT and item.code != "product_samples"
    )
    assert [i.code for i in items if i.provider is Provider.COMMUNE] == [
        "commune_proposal",
        "commune_report",
    ]


def test_the_evidence_guide_has_its_15_rows() -> None:
    guide = [
        item
        for item in dossier_requirements(1, DossierKind.NEW, QD26_DAY)
        if item.part_of == "subject_report"
    ]
    assert len(guide) == 15
    assert all(item.source.document.startswith("QĐ 26/2026") for item in guide)
    assert (DOSSIER_COPIES.paper, DOSSIER_COPIES.electronic) == (1, 1)


def test_a_dossier_filed_before_qd26_keeps_the_old_checklist() -> None:
    assert "commune_report" in _codes(ProductGroup.FOOD, on=QD1489_DAY)
    assert "commune_report" not in _codes(ProductGroup.FOOD, on=date(2024, 6, 1))
    assert "woman_or_minority_proof" in _codes(ProductGroup.FOOD, on=QD1489_DAY)
    assert "woman_or_minority_proof" not in _codes(1)
    assert requirement("commune_report").provider is Provider.COMMUNE
    assert requirement("business_plan").source.document.startswith("QĐ 148")


@pytest.mark.parametrize(
    ("filed", "kind", "deadline"),
    [
        (date(2026, 5, 21), DossierKind.NEW, date(2026, 7, 21)),
        (date(2026, 5, 21), DossierKind.UPGRADE, date(2026, 7, 21)),
        (date(2026, 5, 21), DossierKind.RE_EVALUATION, date(2026, 6, 21)),
        (date(2026, 5, 22), DossierKind.NEW, None),
    ],
)
def test_transition_deadline(filed: date, kind: DossierKind, deadline: date | None) -> None:
    assert transition_deadline(filed, kind) == deadline


def test_requirement_invariants() -> None:
    source = Source("QĐ x", "y", Status.CONFIRMED)
    with pytest.raises(ValueError, match="always required"):
        Requirement("x", "x", False, True, frozenset(ProductGroup), source)
    with pytest.raises(ValueError, match="no group"):
        Requirement("x", "x", True, False, frozenset(), source)


def test_idea_fields_in_order_with_types() -> None:
    codes = [item.code for item in IDEA_FIELDS]
    assert codes[:2] == ["product_name", "product_set"]
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
