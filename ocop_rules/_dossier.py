"""What a product's dossier (hồ sơ sản phẩm) must contain, by group and dossier kind.

Core documents and evidence: QĐ 148/QĐ-TTg, Phụ lục II (confirmed unless marked); the
commune report is part of the dossier the commune forwards from 06/07/2025 (QĐ 1489).
Rules are per group; ``subgroup`` is validated and reserved for finer rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ocop_rules._groups import CONSUMABLE_GROUPS, GOODS_GROUPS, ProductGroup, check_subgroup
from ocop_rules._regimes import Regime
from ocop_rules._source import QD148_2023, QD1489_2025, Source, Status

ALL_GROUPS = frozenset(ProductGroup)
PACKAGED_GOODS = CONSUMABLE_GROUPS | {ProductGroup.HANDICRAFT}


class DossierKind(StrEnum):
    """Why a dossier is made."""

    NEW = "new"  # Đánh giá lần đầu
    RE_EVALUATION = "re_evaluation"  # Đánh giá lại khi giấy chứng nhận hết hạn
    UPGRADE = "upgrade"  # Nâng hạng sao


class Provider(StrEnum):
    """Who produces a document: the producer or the commune."""

    SUBJECT = "subject"
    COMMUNE = "commune"


@dataclass(frozen=True, slots=True)
class Requirement:
    """One item of the dossier checklist."""

    code: str
    name_vi: str
    required: bool
    disqualifying: bool
    groups: frozenset[ProductGroup]
    source: Source
    provider: Provider = Provider.SUBJECT
    kinds: frozenset[DossierKind] = frozenset(DossierKind)
    allows_not_applicable: bool = False
    from_regime: Regime | None = None

    def __post_init__(self) -> None:
        if self.disqualifying and not self.required:
            raise ValueError(f"{self.code}: a disqualifying item is always required")
        if not self.groups or not self.kinds:
            raise ValueError(f"{self.code}: applies to no group or no kind")


def _src(part: str, status: Status = Status.CONFIRMED, note: str = "") -> Source:
    return Source(QD148_2023, part, status, note)


_FORMS = "Phụ lục II, hồ sơ đánh giá"
_EVIDENCE = "Phụ lục III, tài liệu minh chứng"

REQUIREMENTS: tuple[Requirement, ...] = (
    Requirement(
        "registration_form",
        "Phiếu đăng ký đánh giá, phân hạng sản phẩm OCOP",
        True,
        False,
        ALL_GROUPS,
        _src(_FORMS),
    ),
    Requirement(
        "subject_report",
        "Báo cáo của chủ thể về sản phẩm (tự đánh giá theo Bộ tiêu chí)",
        True,
        False,
        ALL_GROUPS,
        _src(_FORMS),
    ),
    Requirement(
        "commune_report",
        "Báo cáo đánh giá của UBND cấp xã",
        True,
        False,
        ALL_GROUPS,
        Source(QD1489_2025, "Phụ lục II sửa đổi", Status.CONFIRMED),
        provider=Provider.COMMUNE,
        from_regime=Regime.QD1489_2025,
    ),
    Requirement(
        "three_year_report",
        "Báo cáo kết quả sản xuất, kinh doanh 3 năm (nguyên liệu, thị trường, công bố chất lượng)",
        True,
        False,
        ALL_GROUPS,
        _src(_FORMS),
        kinds=frozenset({DossierKind.RE_EVALUATION}),
    ),
    Requirement(
        "product_samples",
        "Sản phẩm mẫu (05 đơn vị sản phẩm)",
        True,
        False,
        GOODS_GROUPS,
        _src(_FORMS),
    ),
    Requirement(
        "business_registration",
        "Giấy chứng nhận đăng ký kinh doanh, đăng ký hợp tác xã",
        True,
        False,
        ALL_GROUPS,
        _src(_EVIDENCE),
    ),
    Requirement(
        "food_safety_certificate",
        "Giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm (hoặc tương đương)",
        True,
        True,
        CONSUMABLE_GROUPS,
        _src(_EVIDENCE),
    ),
    Requirement(
        "quality_declaration",
        "Bản tự công bố chất lượng, tiêu chuẩn cơ sở (TCCS)",
        True,
        True,
        PACKAGED_GOODS,
        _src(_EVIDENCE),
        allows_not_applicable=True,
    ),
    Requirement(
        "test_results",
        "Phiếu kết quả kiểm nghiệm các chỉ tiêu chất lượng đã công bố",
        True,
        True,
        CONSUMABLE_GROUPS,
        _src(_EVIDENCE),
    ),
    Requirement(
        "label_packaging",
        "Nhãn, bao bì đúng quy định; mã vạch, tem truy xuất nguồn gốc",
        True,
        True,
        PACKAGED_GOODS,
        _src(_EVIDENCE),
    ),
    Requirement(
        "raw_material_origin",
        "Giấy tờ nguồn gốc nguyên liệu, hợp đồng liên kết chuỗi",
        True,
        False,
        GOODS_GROUPS,
        _src(_EVIDENCE),
    ),
    Requirement(
        "environment_commitment",
        "Cam kết, kế hoạch bảo vệ môi trường",
        True,
        False,
        ALL_GROUPS,
        _src(_EVIDENCE),
    ),
    Requirement(
        "intellectual_property",
        "Giấy chứng nhận nhãn hiệu, chỉ dẫn địa lý",
        False,
        False,
        ALL_GROUPS,
        _src(_EVIDENCE),
    ),
    Requirement(
        "quality_management",
        "Chứng nhận quản lý chất lượng (VietGAP, hữu cơ, ISO, HACCP…)",
        False,
        False,
        ALL_GROUPS,
        _src(_EVIDENCE),
    ),
    Requirement(
        "accounting_records", "Sổ sách, chứng từ kế toán", False, False, ALL_GROUPS, _src(_EVIDENCE)
    ),
    Requirement(
        "market_evidence",
        "Hợp đồng bán hàng, minh chứng thị trường và xúc tiến thương mại",
        False,
        False,
        ALL_GROUPS,
        _src(_EVIDENCE),
    ),
    Requirement("product_story", "Câu chuyện sản phẩm", False, False, ALL_GROUPS, _src(_EVIDENCE)),
    Requirement(
        "user_manual",
        "Hướng dẫn sử dụng sản phẩm",
        False,
        False,
        GOODS_GROUPS,
        _src(_EVIDENCE, note="new in QĐ 148"),
    ),
    Requirement(
        "awards",
        "Giấy khen, giải thưởng, chứng nhận khác",
        False,
        False,
        ALL_GROUPS,
        _src(_EVIDENCE),
    ),
    Requirement(
        "woman_or_minority_proof",
        "Giấy tờ chứng minh chủ thể là phụ nữ, người dân tộc thiểu số (điểm cộng)",
        False,
        False,
        ALL_GROUPS,
        _src(_EVIDENCE, Status.PRACTICE),
    ),
    Requirement(
        "business_plan",
        "Phương án, dự án sản xuất kinh doanh",
        False,
        False,
        ALL_GROUPS,
        _src(_FORMS, Status.PRACTICE, "required under QĐ 1048; practice now"),
    ),
)

_ORDER = tuple(Regime)  # oldest first
_BY_CODE = {requirement.code: requirement for requirement in REQUIREMENTS}


def requirement(code: str) -> Requirement:
    """The requirement with ``code``; ``KeyError`` when there is none."""
    return _BY_CODE[code]


def dossier_requirements(
    group: ProductGroup,
    subgroup: str | None,
    kind: DossierKind,
    regime: Regime = Regime.QD1489_2025,
) -> tuple[Requirement, ...]:
    """The ordered checklist for a product of ``group``/``subgroup`` and a dossier ``kind``.

    ``regime`` defaults to the rule set in force since 06/07/2025; pass an older one to
    rebuild the checklist of a historic dossier.
    """
    check_subgroup(group, subgroup)
    return tuple(
        item
        for item in REQUIREMENTS
        if group in item.groups
        and kind in item.kinds
        and (item.from_regime is None or _ORDER.index(regime) >= _ORDER.index(item.from_regime))
    )
