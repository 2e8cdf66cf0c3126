"""The six product groups (ngành) and the subgroups the bot has asked producers since QĐ 148.

Groups and subgroups follow QĐ 148/QĐ-TTg, Phụ lục I; they stay because products
registered before QĐ 26 carry them. The classification in force — 17 nhóm and 26 product
sets (bộ sản phẩm) — is in ``_sets.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ocop_rules._source import QD148_2023, Source, Status

_ANNEX_I = Source(QD148_2023, "Phụ lục I", Status.CONFIRMED)


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

_SUBGROUPS = {sub.code: sub for info in _GROUPS for sub in info.subgroups}


def product_groups() -> tuple[GroupInfo, ...]:
    """The six groups in their official order, each with its subgroups."""
    return _GROUPS


def subgroup(code: str) -> Subgroup:
    """The subgroup with ``code``; ``KeyError`` when there is none."""
    return _SUBGROUPS[code]


def check_subgroup(group: ProductGroup, subgroup_code: str | None) -> None:
    """Raise ``ValueError`` unless ``subgroup_code`` is empty or belongs to ``group``."""
    if subgroup_code is None:
        return
    found = _SUBGROUPS.get(subgroup_code)
    if found is None or found.group is not group:
        raise ValueError(f"{subgroup_code!r} is not a subgroup of {group.value!r}")
