"""The 26 product sets (bộ sản phẩm) of QĐ 26/2026/QĐ-TTg, in 17 nhóm under 6 ngành.

Theory of operation
-------------------
Every product belongs to exactly one set, and each set has its own scoring sheet
(Phụ lục II). A set is known by its number, 1–26, in the decision's order; its names are
those of Phụ lục II (the sheet's heading) and of Phụ lục I (the classification), which
differ slightly for seven sets, so both are kept and both match. The group (ngành) is the
:class:`ProductGroup` the bot already uses; the nhóm is one of the 17 of Phụ lục I; the
managing agencies are those Phụ lục I names (after NĐ 15/2018/NĐ-CP). Samples go with every
dossier except tourism services (Điều 6.2.d).

Products registered before QĐ 26 carry a subgroup of QĐ 148's list; where that subgroup
holds a single set, :func:`set_for_subgroup` names it, otherwise the set is asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from ocop_rules._groups import ProductGroup, subgroup
from ocop_rules._source import QD26_2026, Source, Status

SETS_SOURCE = Source(QD26_2026, "Phụ lục I; Phụ lục II (tên bộ tiêu chí)", Status.CONFIRMED)
SAMPLES_SOURCE = Source(QD26_2026, "Điều 6.2.d", Status.CONFIRMED)
SUBGROUP_MAP_SOURCE = Source(
    QD26_2026,
    "Phụ lục I",
    Status.PRACTICE,
    "a QĐ 148 subgroup decides the set only where it holds one set",
)
SAMPLE_COUNT = 5
SET_COUNT = 26


class Nhom(StrEnum):
    """The 17 nhóm of Phụ lục I (the middle level between ngành and bộ sản phẩm)."""

    FRESH_FOOD = "fresh_food"  # I.1 Thực phẩm tươi sống
    RAW_FOOD = "raw_food"  # I.2 Thực phẩm thô, sơ chế
    PROCESSED_FOOD = "processed_food"  # I.3 Thực phẩm chế biến
    SPICES = "spices"  # I.4 Gia vị
    TEA = "tea"  # I.5 Chè
    COFFEE_COCOA = "coffee_cocoa"  # I.6 Cà phê, ca cao
    ALCOHOLIC = "alcoholic"  # II.1 Đồ uống có cồn
    NON_ALCOHOLIC = "non_alcoholic"  # II.2 Đồ uống không cồn
    HERBAL_MEDICINE = "herbal_medicine"  # III.1 Thực phẩm chức năng, thuốc dược liệu…
    HERBAL_COSMETIC = "herbal_cosmetic"  # III.2 Mỹ phẩm có thành phần từ dược liệu
    HERBAL_OIL_OTHER = "herbal_oil_other"  # III.3 Tinh dầu và dược liệu khác
    HANDICRAFT = "handicraft"  # IV.1 Thủ công mỹ nghệ gia dụng, trang trí
    TEXTILE = "textile"  # IV.2 Vải, may mặc
    FLOWER = "flower"  # V.1 Hoa
    ORNAMENTAL_PLANT = "ornamental_plant"  # V.2 Cây cảnh
    ORNAMENTAL_ANIMAL = "ornamental_animal"  # V.3 Động vật cảnh
    TOURISM = "tourism"  # VI.1 Dịch vụ du lịch cộng đồng, du lịch sinh thái và điểm du lịch


@dataclass(frozen=True, slots=True)
class NhomInfo:
    """A nhóm's number in Phụ lục I ("I.1"…), its official name and its group."""

    nhom: Nhom
    number: str
    name_vi: str
    group: ProductGroup


class Agency(StrEnum):
    """The ministries Phụ lục I names as managing a set (cơ quan chủ trì quản lý)."""

    AGRICULTURE_ENVIRONMENT = "agriculture_environment"  # Bộ Nông nghiệp và Môi trường
    INDUSTRY_TRADE = "industry_trade"  # Bộ Công Thương
    HEALTH = "health"  # Bộ Y tế
    CULTURE_SPORTS_TOURISM = "culture_sports_tourism"  # Bộ Văn hóa, Thể thao và Du lịch


AGENCY_NAMES_VI: MappingProxyType[Agency, str] = MappingProxyType(
    {
        Agency.AGRICULTURE_ENVIRONMENT: "Bộ Nông nghiệp và Môi trường",
        Agency.INDUSTRY_TRADE: "Bộ Công Thương",
        Agency.HEALTH: "Bộ Y tế",
        Agency.CULTURE_SPORTS_TOURISM: "Bộ Văn hóa, Thể thao và Du lịch",
    }
)


@dataclass(frozen=True, slots=True)
class ProductSet:
    """A product set (bộ sản phẩm): the unit that has its own scoring sheet."""

    number: int
    name: str  # Phụ lục II, the sheet's heading
    name_annex_i: str  # Phụ lục I, the classification's wording
    group: ProductGroup
    nhom: Nhom
    managing_agency: tuple[Agency, ...]
    aliases: tuple[str, ...] = ()  # the other wordings of the decision's index and tables
    source: Source = SETS_SOURCE

    def __post_init__(self) -> None:
        if not 1 <= self.number <= SET_COUNT:
            raise ValueError(f"set number {self.number} is outside 1–26")
        if NHOM_INFO[self.nhom].group is not self.group:
            raise ValueError(f"set {self.number}: nhóm {self.nhom} is not in {self.group}")
        if not self.managing_agency:
            raise ValueError(f"set {self.number}: Phụ lục I names a managing agency")

    @property
    def samples_required(self) -> int:
        """How many samples go with the dossier: 05, none for tourism services."""
        return 0 if self.group is ProductGroup.TOURISM else SAMPLE_COUNT

    def named(self, text: str) -> bool:
        """Whether ``text`` is one of this set's names in the decision (case and spacing aside)."""
        wanted = " ".join(text.split()).casefold()
        names = (self.name, self.name_annex_i, *self.aliases)
        return wanted in {name.casefold() for name in names}


_F, _D, _H = ProductGroup.FOOD, ProductGroup.DRINK, ProductGroup.HERBAL
_C, _O, _T = ProductGroup.HANDICRAFT, ProductGroup.ORNAMENTAL, ProductGroup.TOURISM
N = Nhom

NHOM_INFO: MappingProxyType[Nhom, NhomInfo] = MappingProxyType(
    {
        info.nhom: info
        for info in (
            NhomInfo(N.FRESH_FOOD, "I.1", "Thực phẩm tươi sống", _F),
            NhomInfo(N.RAW_FOOD, "I.2", "Thực phẩm thô, sơ chế", _F),
            NhomInfo(N.PROCESSED_FOOD, "I.3", "Thực phẩm chế biến", _F),
            NhomInfo(N.SPICES, "I.4", "Gia vị", _F),
            NhomInfo(N.TEA, "I.5", "Chè", _F),
            NhomInfo(N.COFFEE_COCOA, "I.6", "Cà phê, ca cao", _F),
            NhomInfo(N.ALCOHOLIC, "II.1", "Đồ uống có cồn", _D),
            NhomInfo(N.NON_ALCOHOLIC, "II.2", "Đồ uống không cồn", _D),
            NhomInfo(
                N.HERBAL_MEDICINE,
                "III.1",
                "Thực phẩm chức năng, thuốc dược liệu, thuốc cổ truyền",
                _H,
            ),
            NhomInfo(N.HERBAL_COSMETIC, "III.2", "Mỹ phẩm có thành phần từ dược liệu", _H),
            NhomInfo(N.HERBAL_OIL_OTHER, "III.3", "Tinh dầu và dược liệu khác", _H),
            NhomInfo(N.HANDICRAFT, "IV.1", "Thủ công mỹ nghệ gia dụng, trang trí", _C),
            NhomInfo(N.TEXTILE, "IV.2", "Vải, may mặc", _C),
            NhomInfo(N.FLOWER, "V.1", "Hoa", _O),
            NhomInfo(N.ORNAMENTAL_PLANT, "V.2", "Cây cảnh", _O),
            NhomInfo(N.ORNAMENTAL_ANIMAL, "V.3", "Động vật cảnh", _O),
            NhomInfo(
                N.TOURISM,
                "VI.1",
                "Dịch vụ du lịch cộng đồng, du lịch sinh thái và điểm du lịch",
                _T,
            ),
        )
    }
)

_MAE, _MOIT = Agency.AGRICULTURE_ENVIRONMENT, Agency.INDUSTRY_TRADE
_MOH, _MOCST = Agency.HEALTH, Agency.CULTURE_SPORTS_TOURISM


def _set(
    number: int,
    name: str,
    nhom: Nhom,
    agencies: tuple[Agency, ...],
    name_annex_i: str | None = None,
    aliases: tuple[str, ...] = (),
) -> ProductSet:
    group = NHOM_INFO[nhom].group
    return ProductSet(number, name, name_annex_i or name, group, nhom, agencies, aliases)


PRODUCT_SETS: tuple[ProductSet, ...] = (
    _set(1, "Rau, củ, quả, hạt tươi", N.FRESH_FOOD, (_MAE,)),
    _set(2, "Thịt, thủy sản, trứng, sữa tươi", N.FRESH_FOOD, (_MAE,)),
    _set(3, "Gạo, ngũ cốc, hạt sơ chế khác", N.RAW_FOOD, (_MAE,)),
    _set(4, "Mật ong, mật khác và nông sản thực phẩm khác", N.RAW_FOOD, (_MAE,)),
    _set(5, "Đồ ăn nhanh", N.PROCESSED_FOOD, (_MOIT,)),
    _set(6, "Chế biến từ gạo, ngũ cốc", N.PROCESSED_FOOD, (_MAE, _MOIT)),
    _set(7, "Chế biến từ rau, củ, quả, hạt", N.PROCESSED_FOOD, (_MAE,)),
    _set(
        8,
        "Chế biến từ thịt, thủy sản, trứng, sữa, các sản phẩm từ mật ong, mật khác và nông "
        "sản thực phẩm khác",
        N.PROCESSED_FOOD,
        (_MAE, _MOIT),
        "Chế biến từ thịt, trứng, sữa, thủy sản, các sản phẩm từ mật ong, mật khác và nông "
        "sản thực phẩm khác",
    ),
    _set(9, "Tương, nước mắm, gia vị dạng lỏng khác", N.SPICES, (_MAE,)),
    _set(
        10,
        "Gia vị khác (muối, hành, tỏi, tiêu,...)",
        N.SPICES,
        (_MAE,),
        "Gia vị khác",
        ("Gia vị khác (muối, hành, tỏi, tiêu)",),
    ),
    _set(11, "Chè tươi, chè chế biến", N.TEA, (_MAE,), "Chè tươi, chế biến"),
    _set(12, "Sản phẩm trà từ thực vật khác", N.TEA, (_MAE,), "Sản phẩm chè từ thực vật khác"),
    _set(
        13, "Sản phẩm cà phê, ca cao", N.COFFEE_COCOA, (_MAE,), "Cà phê, ca cao", ("Cà phê, cacao",)
    ),
    _set(14, "Rượu trắng", N.ALCOHOLIC, (_MOIT,)),
    _set(15, "Đồ uống có cồn khác", N.ALCOHOLIC, (_MOIT,)),
    _set(16, "Nước khoáng thiên nhiên, nước uống đóng chai", N.NON_ALCOHOLIC, (_MOH,)),
    _set(17, "Đồ uống không cồn khác", N.NON_ALCOHOLIC, (_MOIT,), "Đồ uống không cồn"),
    _set(
        18,
        "Thực phẩm chức năng, thuốc dược liệu, thuốc cổ truyền",
        N.HERBAL_MEDICINE,
        (_MOH,),
    ),
    _set(19, "Mỹ phẩm có thành phần từ dược liệu", N.HERBAL_COSMETIC, (_MOH,)),
    _set(20, "Tinh dầu và dược liệu khác", N.HERBAL_OIL_OTHER, (_MOH, _MOIT)),
    _set(
        21,
        "Thủ công mỹ nghệ gia dụng, trang trí",
        N.HANDICRAFT,
        (_MOIT, _MAE),
        aliases=("Thủ công mỹ nghệ",),
    ),
    _set(22, "Vải, may mặc", N.TEXTILE, (_MOIT,)),
    _set(23, "Hoa", N.FLOWER, (_MAE,)),
    _set(24, "Cây cảnh", N.ORNAMENTAL_PLANT, (_MAE,)),
    _set(25, "Động vật cảnh", N.ORNAMENTAL_ANIMAL, (_MAE,)),
    _set(
        26,
        "Dịch vụ du lịch cộng đồng, du lịch sinh thái và điểm du lịch",
        N.TOURISM,
        (_MOCST, _MAE),
    ),
)

_BY_NUMBER = {product_set.number: product_set for product_set in PRODUCT_SETS}

# The QĐ 148 subgroups that hold exactly one QĐ 26 set; the others hold several.
_SET_OF_SUBGROUP: MappingProxyType[str, int] = MappingProxyType(
    {
        "herbal.medicine": 18,
        "herbal.cosmetic": 19,
        "herbal.oil_other": 20,
        "handicraft.wood": 21,
        "handicraft.fibre": 21,
        "handicraft.metal": 21,
        "handicraft.ceramic": 21,
        "handicraft.other": 21,
        "handicraft.textile": 22,
        "ornamental.flower": 23,
        "ornamental.plant": 24,
        "ornamental.animal": 25,
        "tourism.community_eco": 26,
    }
)


def product_sets() -> tuple[ProductSet, ...]:
    """The 26 sets in the decision's order (QĐ 26/2026/QĐ-TTg, Phụ lục I)."""
    return PRODUCT_SETS


def product_set(number: int) -> ProductSet:
    """The set numbered ``number`` (1–26) in Phụ lục I; ``KeyError`` otherwise."""
    return _BY_NUMBER[number]


def product_sets_in(group: ProductGroup) -> tuple[ProductSet, ...]:
    """The sets of one group (ngành), in the decision's order (Phụ lục I)."""
    return tuple(product_set for product_set in PRODUCT_SETS if product_set.group is group)


def samples_for(product: int | ProductGroup) -> int:
    """How many samples go with a dossier (Điều 6.2.d): the set's rule, given its number, or
    — while a product's set is not known yet — the rule every set of its group shares."""
    if isinstance(product, ProductGroup):
        return product_sets_in(product)[0].samples_required
    return product_set(product).samples_required


def set_for_subgroup(subgroup_code: str) -> int | None:
    """The set a QĐ 148 subgroup decides, or ``None`` when it holds several (Phụ lục I).

    ``KeyError`` for a code that is no subgroup.
    """
    subgroup(subgroup_code)
    return _SET_OF_SUBGROUP.get(subgroup_code)
