"""Product groups, subgroups, product sets and who may take part."""

from __future__ import annotations

import pytest

from ocop_rules import (
    PRODUCT_SETS,
    SUBJECT_TYPE_NAMES_VI,
    Eligibility,
    ProductGroup,
    Status,
    Subgroup,
    SubjectType,
    product_groups,
    product_set,
    subgroup,
    subject_eligibility,
)
from ocop_rules._groups import check_subgroup
from ocop_rules._source import Source


def test_six_groups_in_official_order() -> None:
    groups = product_groups()
    assert [info.number for info in groups] == [1, 2, 3, 4, 5, 6]
    assert [info.group for info in groups] == list(ProductGroup)
    assert groups[0].name_vi == "Thực phẩm"
    assert groups[5].name_vi.startswith("Dịch vụ du lịch cộng đồng")
    for info in groups:
        assert info.subgroups
        assert all(sub.group is info.group for sub in info.subgroups)


def test_subgroups_are_found_by_code() -> None:
    assert subgroup("food.fresh").name_vi == "Nông, thủy sản tươi sống"
    assert subgroup("ornamental.animal").group is ProductGroup.ORNAMENTAL
    with pytest.raises(KeyError):
        subgroup("food.nonsense")


def test_sets_are_found_by_number() -> None:
    grains = product_set(3)
    assert grains.name == "Gạo, ngũ cốc, hạt sơ chế khác"
    assert grains.source.status is Status.CONFIRMED
    assert [s.number for s in PRODUCT_SETS] == list(range(1, 27))
    for wrong in (0, 27):
        with pytest.raises(KeyError):
            product_set(wrong)


def test_subgroup_codes_must_name_their_group() -> None:
    with pytest.raises(ValueError, match="must start"):
        Subgroup("drink.x", ProductGroup.FOOD, "x")


def test_check_subgroup() -> None:
    check_subgroup(ProductGroup.FOOD, None)
    check_subgroup(ProductGroup.FOOD, "food.other")
    with pytest.raises(ValueError, match="not a subgroup"):
        check_subgroup(ProductGroup.FOOD, "drink.alcoholic")
    with pytest.raises(ValueError, match="not a subgroup"):
        check_subgroup(ProductGroup.FOOD, "food.unknown")


def test_a_source_names_its_document() -> None:
    with pytest.raises(ValueError, match="document"):
        Source("", "x", Status.CONFIRMED)


@pytest.mark.parametrize(
    ("document", "citation"),
    [
        ("QĐ 26/2026/QĐ-TTg (22/5/2026)", "QĐ 26/2026/QĐ-TTg, Điều 7.6.a"),
        ("Kế hoạch OCOP 2024 huyện Sơn Hà", "Kế hoạch OCOP 2024 huyện Sơn Hà, Điều 7.6.a"),
    ],
)
def test_a_source_is_cited_by_its_document_without_the_date_and_its_part(
    document: str, citation: str
) -> None:
    assert Source(document, "Điều 7.6.a", Status.CONFIRMED).citation == citation


@pytest.mark.parametrize(
    ("subject", "group", "eligibility"),
    [
        (SubjectType.COOPERATIVE, ProductGroup.FOOD, Eligibility.ELIGIBLE),
        (SubjectType.REGISTERED_HOUSEHOLD, ProductGroup.HANDICRAFT, Eligibility.ELIGIBLE),
        (SubjectType.UNREGISTERED, ProductGroup.FOOD, Eligibility.NEEDS_BUSINESS_REGISTRATION),
        (SubjectType.UNREGISTERED, ProductGroup.TOURISM, Eligibility.NEEDS_BUSINESS_REGISTRATION),
        (SubjectType.TOURISM_ORGANISATION, ProductGroup.TOURISM, Eligibility.ELIGIBLE),
        (SubjectType.TOURISM_ORGANISATION, ProductGroup.FOOD, Eligibility.NOT_FOR_GROUP),
        (SubjectType.ENTERPRISE, ProductGroup.TOURISM, Eligibility.ELIGIBLE),
    ],
)
def test_subject_eligibility(
    subject: SubjectType, group: ProductGroup, eligibility: Eligibility
) -> None:
    assert subject_eligibility(subject, group) is eligibility


def test_every_subject_type_has_its_official_name() -> None:
    assert set(SUBJECT_TYPE_NAMES_VI) == set(SubjectType)
    assert SUBJECT_TYPE_NAMES_VI[SubjectType.COOPERATIVE] == "Hợp tác xã"
