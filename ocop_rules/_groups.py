"""The six product groups, their subgroups and the product sets (bộ sản phẩm).

Groups and subgroups follow QĐ 148/QĐ-TTg, Phụ lục I. The official list has 26 product
sets, each with its own scoring sheet; only some are confirmed in the project's reference,
so the table below marks each entry with its status and can be completed without code
changes elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ocop_rules._source import QD148_2023, Source, Status

_ANNEX_I = Source(QD148_2023, "Phụ lục I", Status.CONFIRMED)
_ANNEX_I_UNSURE = Source(QD148_2023, "Phụ lục I", Status.UNCONFIRMED, "name inferred")

OFFICIAL_PRODUCT_SET_COUNT = 26


class ProductGroup(StrEnum):
    """The six OCOP product groups (nhóm sản phẩm)."""

    FOOD = "food"
    DRINK = "drink"
    HERBAL = "herbal"
    HANDICRAFT = "handicraft"
    ORNAMENTAL = "ornamental"
    TOURISM = "tourism"


GOODS_GROUPS = frozenset(
    {
        ProductGroup.FOOD,
        ProductGroup.DRINK,
        ProductGroup.HERBAL,
        ProductGroup.HANDICRAFT,
        ProductGroup.ORNAMENTAL,
    }
)
CONSUMABLE_GROUPS = frozenset({ProductGroup.FOOD, ProductGroup.DRINK, ProductGroup.HERBAL})


@dataclass(frozen=True, slots=True)
class Subgroup:
    """A subgroup (phân nhóm) of a product group."""

    code: str
    group: ProductGroup
    name_vi: str

    def __post_init__(self) -> None:
        if not self.code.startswith(f"{self.group.value}."):
            raise ValueError(f"subgroup code {self.code!r} must start with its group")


@dataclass(frozen=True, slots=True)
class GroupInfo:
    """A group with its official name and subgroups."""

    group: ProductGroup
    number: int
    name_vi: str
    subgroups: tuple[Subgroup, ...]
    source: Source = _ANNEX_I


@dataclass(frozen=True, slots=True)
class ProductSet:
    """A product set (bộ sản phẩm): the unit that has its own scoring sheet."""

    code: str
    name_vi: str
    group: ProductGroup
    subgroup: str | None
    source: Source


def _sub(group: ProductGroup, code: str, name_vi: str) -> Subgroup:
    return Subgroup(f"{group.value}.{code}", group, name_vi)


_F, _D, _H = ProductGroup.FOOD, ProductGroup.DRINK, ProductGroup.HERBAL
_C, _O, _T = ProductGroup.HANDICRAFT, ProductGroup.ORNAMENTAL, ProductGroup.TOURISM

_GROUPS: tuple[GroupInfo, ...] = (
    GroupInfo(
        _F,
        1,
        "Thực phẩm",
        (
            _sub(_F, "fresh", "Nông, thủy sản tươi sống"),
            _sub(_F, "processed", "Nông, thủy sản sơ chế, chế biến"),
            _sub(_F, "other", "Thực phẩm khác"),
        ),
    ),
    GroupInfo(
        _D,
        2,
        "Đồ uống",
        (_sub(_D, "alcoholic", "Đồ uống có cồn"), _sub(_D, "non_alcoholic", "Đồ uống không cồn")),
    ),
    GroupInfo(
        _H,
        3,
        "Dược liệu và sản phẩm từ dược liệu",
        (
            _sub(_H, "medicine", "Thực phẩm chức năng, thuốc dược liệu, thuốc y học cổ truyền"),
            _sub(_H, "cosmetic", "Mỹ phẩm có thành phần từ thảo dược"),
            _sub(_H, "oil_other", "Tinh dầu và dược liệu khác"),
        ),
    ),
    GroupInfo(
        _C,
        4,
        "Hàng thủ công mỹ nghệ",
        (
            _sub(_C, "wood", "Sản phẩm từ gỗ"),
            _sub(_C, "fibre", "Sản phẩm từ sợi tự nhiên, mây, tre"),
            _sub(_C, "metal", "Sản phẩm từ kim loại"),
            _sub(_C, "ceramic", "Sản phẩm gốm sứ"),
            _sub(_C, "textile", "Sản phẩm dệt may, thêu"),
            _sub(_C, "other", "Thủ công mỹ nghệ khác"),
        ),
    ),
    GroupInfo(
        _O,
        5,
        "Sinh vật cảnh",
        (
            _sub(_O, "flower", "Hoa"),
            _sub(_O, "plant", "Cây cảnh"),
            _sub(_O, "animal", "Động vật cảnh"),
        ),
    ),
    GroupInfo(
        _T,
        6,
        "Dịch vụ du lịch cộng đồng, du lịch sinh thái và điểm du lịch",
        (
            _sub(
                _T, "community_eco", "Dịch vụ du lịch cộng đồng, du lịch sinh thái và điểm du lịch"
            ),
        ),
    ),
)

PRODUCT_SETS: tuple[ProductSet, ...] = (
    ProductSet("fresh_produce", "Rau, củ, quả, hạt tươi", _F, "food.fresh", _ANNEX_I),
    ProductSet("fresh_animal", "Thịt, thủy sản, trứng, sữa tươi", _F, "food.fresh", _ANNEX_I),
    ProductSet("grains", "Gạo, ngũ cốc, hạt sơ chế khác", _F, "food.processed", _ANNEX_I),
    ProductSet(
        "honey_other", "Mật ong, mật khác, nông sản thực phẩm khác", _F, "food.processed", _ANNEX_I
    ),
    ProductSet(
        "processed_grain", "Thực phẩm chế biến từ gạo, ngũ cốc", _F, "food.processed", _ANNEX_I
    ),
    ProductSet(
        "processed_plant", "Thực phẩm chế biến từ rau, củ, quả, hạt", _F, "food.processed", _ANNEX_I
    ),
    ProductSet(
        "processed_animal",
        "Thực phẩm chế biến từ thịt, trứng, sữa, thủy sản",
        _F,
        "food.processed",
        _ANNEX_I,
    ),
    ProductSet("fast_food", "Thực phẩm tiện lợi", _F, "food.processed", _ANNEX_I),
    ProductSet(
        "sauces_spices", "Tương, nước mắm, giấm và gia vị khác", _F, "food.other", _ANNEX_I_UNSURE
    ),
    ProductSet("tea", "Chè và sản phẩm từ chè", _F, "food.other", _ANNEX_I_UNSURE),
    ProductSet("coffee_cocoa", "Cà phê, ca cao", _F, "food.other", _ANNEX_I_UNSURE),
    ProductSet("alcoholic", "Đồ uống có cồn", _D, "drink.alcoholic", _ANNEX_I_UNSURE),
    ProductSet("non_alcoholic", "Đồ uống không cồn", _D, "drink.non_alcoholic", _ANNEX_I_UNSURE),
    ProductSet(
        "herbal_medicine",
        "Thực phẩm chức năng, thuốc dược liệu, thuốc y học cổ truyền",
        _H,
        "herbal.medicine",
        _ANNEX_I_UNSURE,
    ),
    ProductSet(
        "herbal_cosmetic",
        "Mỹ phẩm có thành phần từ thảo dược",
        _H,
        "herbal.cosmetic",
        _ANNEX_I_UNSURE,
    ),
    ProductSet(
        "herbal_oil_other", "Tinh dầu và dược liệu khác", _H, "herbal.oil_other", _ANNEX_I_UNSURE
    ),
    ProductSet("handicraft", "Thủ công mỹ nghệ, trang trí, gia dụng", _C, None, _ANNEX_I_UNSURE),
    ProductSet("flowers", "Hoa", _O, "ornamental.flower", _ANNEX_I),
    ProductSet("ornamental_plants", "Cây cảnh", _O, "ornamental.plant", _ANNEX_I),
    ProductSet("ornamental_animals", "Động vật cảnh", _O, "ornamental.animal", _ANNEX_I),
    ProductSet(
        "tourism",
        "Dịch vụ du lịch cộng đồng, du lịch sinh thái và điểm du lịch",
        _T,
        "tourism.community_eco",
        _ANNEX_I_UNSURE,
    ),
)

_SUBGROUPS = {sub.code: sub for info in _GROUPS for sub in info.subgroups}
_SETS = {product_set.code: product_set for product_set in PRODUCT_SETS}


def product_groups() -> tuple[GroupInfo, ...]:
    """The six groups in their official order, each with its subgroups."""
    return _GROUPS


def subgroup(code: str) -> Subgroup:
    """The subgroup with ``code``; ``KeyError`` when there is none."""
    return _SUBGROUPS[code]


def product_set(code: str) -> ProductSet:
    """The product set with ``code``; ``KeyError`` when there is none."""
    return _SETS[code]


def check_subgroup(group: ProductGroup, subgroup_code: str | None) -> None:
    """Raise ``ValueError`` unless ``subgroup_code`` is empty or belongs to ``group``."""
    if subgroup_code is None:
        return
    found = _SUBGROUPS.get(subgroup_code)
    if found is None or found.group is not group:
        raise ValueError(f"{subgroup_code!r} is not a subgroup of {group.value!r}")
