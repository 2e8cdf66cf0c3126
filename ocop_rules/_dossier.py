"""What a product's dossier (hồ sơ sản phẩm) must contain, by product set and dossier kind.

Theory of operation
-------------------
Under QĐ 26/2026/QĐ-TTg (Điều 6) the producer's dossier is the registration form (Mẫu 01)
and the self-assessment report (Mẫu 02); the report's evidence is attached by the 15-row
guide of Mẫu 02, Phần III, which the checklist asks item by item. An upgrade shows the
changes since recognition with their evidence; a re-evaluation updates raw materials,
technology, packaging, labels, quality declaration, periodic tests, market, output, revenue
and the papers with an end date. The producer hands in one paper and one electronic set
(Điều 7.1). The commune sends the province its proposal letter, its report (Mẫu 03), the
product dossier and 05 samples, no samples for tourism services (Điều 6.2).

A dossier filed before 22/05/2026 keeps the 2021–2025 rules (Điều 12.2), so the checklist of
QĐ 148 and QĐ 1489 stays as its own table, chosen by the filing day.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum
from types import MappingProxyType

from ocop_rules._groups import CONSUMABLE_GROUPS, GOODS_GROUPS, ProductGroup
from ocop_rules._regimes import (
    QD26_START,
    TRANSITION_DAYS,
    TRANSITION_DAYS_RE_EVALUATION,
    Regime,
    regime_for_dossier,
)
from ocop_rules._sets import SAMPLE_COUNT
from ocop_rules._sets import product_set as _product_set
from ocop_rules._source import QD26_2026, QD148_2023, QD1489_2025, Source, Status

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
    part_of: str | None = None  # the form it is attached to (Mẫu 02's evidence guide)

    def __post_init__(self) -> None:
        if self.disqualifying and not self.required:
            raise ValueError(f"{self.code}: a disqualifying item is always required")
        if not self.groups or not self.kinds:
            raise ValueError(f"{self.code}: applies to no group or no kind")


def _src(part: str, status: Status = Status.CONFIRMED, note: str = "") -> Source:
    return Source(QD148_2023, part, status, note)


_FORMS = "Phụ lục II, hồ sơ đánh giá"
_EVIDENCE = "Phụ lục III, tài liệu minh chứng"

# The checklist of QĐ 148 (as amended by QĐ 1489) for dossiers filed before 22/05/2026.
REQUIREMENTS_QD148: tuple[Requirement, ...] = (
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


def _26(part: str, note: str = "") -> Source:
    return Source(QD26_2026, part, Status.CONFIRMED, note)


_MAU02 = "Phụ lục III, Mẫu 02, Phần III (hướng dẫn tài liệu minh chứng)"
_GUIDE = "subject_report"
_FIRST_UPGRADE = frozenset({DossierKind.NEW, DossierKind.UPGRADE})
_NOT_TOURISM = GOODS_GROUPS


def _evidence(
    code: str,
    name_vi: str,
    groups: frozenset[ProductGroup] = ALL_GROUPS,
    *,
    required: bool = False,
    disqualifying: bool = False,
    allows_not_applicable: bool = False,
) -> Requirement:
    source = _26(
        _MAU02, "disqualifying per the sheets' 'Hồ sơ bị loại khi'" if disqualifying else ""
    )
    return Requirement(
        code,
        name_vi,
        required,
        disqualifying,
        groups,
        source,
        allows_not_applicable=allows_not_applicable,
        part_of=_GUIDE,
    )


# QĐ 26: the producer's forms, the evidence guide of Mẫu 02 in its order, the samples, and
# the commune's two documents.
REQUIREMENTS: tuple[Requirement, ...] = (
    Requirement(
        "registration_form",
        "Phiếu đăng ký đánh giá, phân hạng sản phẩm OCOP (Mẫu số 01)",
        True,
        False,
        ALL_GROUPS,
        _26("Điều 6.1; Phụ lục III, Mẫu 01"),
    ),
    Requirement(
        "subject_report",
        "Báo cáo tự đánh giá về sản phẩm (Mẫu số 02)",
        True,
        False,
        ALL_GROUPS,
        _26("Điều 6.1; Phụ lục III, Mẫu 02"),
    ),
    Requirement(
        "upgrade_changes",
        "Nội dung và tài liệu minh chứng những thay đổi so với sản phẩm OCOP đã được công nhận",
        True,
        False,
        ALL_GROUPS,
        _26("Điều 6.1.b"),
        kinds=frozenset({DossierKind.UPGRADE}),
        part_of=_GUIDE,
    ),
    Requirement(
        "three_year_report",
        "Báo cáo tự đánh giá (Mẫu số 02) cập nhật nội dung mới và kết quả sau thời gian được "
        "công nhận: nguyên liệu, công nghệ sử dụng, bao bì, nhãn mác, công bố chất lượng, các "
        "phiếu kiểm nghiệm định kỳ, thị trường tiêu thụ, sản lượng, doanh thu",
        True,
        False,
        ALL_GROUPS,
        _26("Điều 6.1.c"),
        kinds=frozenset({DossierKind.RE_EVALUATION}),
        part_of=_GUIDE,
    ),
    Requirement(
        "dated_papers",
        "Minh chứng bổ sung các giấy tờ pháp lý có thời hạn (bản còn hiệu lực)",
        True,
        False,
        ALL_GROUPS,
        _26("Điều 6.1.c"),
        kinds=frozenset({DossierKind.RE_EVALUATION}),
        part_of=_GUIDE,
    ),
    _evidence(
        "business_registration",
        "Giấy đăng ký kinh doanh (bản sao)",
        required=True,
    ),
    _evidence(
        "food_safety_certificate",
        "Giấy chứng nhận cơ sở đủ điều kiện sản xuất (an toàn thực phẩm hoặc tương đương)",
        CONSUMABLE_GROUPS,
        required=True,
        disqualifying=True,
    ),
    _evidence(
        "raw_material_origin",
        "Nguồn gốc nguyên liệu, vùng nguyên liệu, liên kết chuỗi",
        _NOT_TOURISM,
        required=True,
    ),
    _evidence(
        "environment_commitment",
        "Bảo vệ môi trường, sử dụng công nghệ theo hướng bền vững",
        required=True,
    ),
    _evidence(
        "local_labour_list",
        "Danh sách lao động đóng bảo hiểm, có nơi thường trú (sử dụng lao động địa phương)",
    ),
    _evidence(
        "accounting_records",
        "Báo cáo tài chính 2 năm gần nhất hoặc kết quả phân loại hợp tác xã",
    ),
    _evidence("intellectual_property", "Sở hữu trí tuệ: nhãn hiệu, chỉ dẫn địa lý, văn bằng"),
    _evidence(
        "market_evidence",
        "Phát triển thị trường, quảng bá, xúc tiến thương mại (hợp đồng, hóa đơn, chứng từ)",
    ),
    _evidence("promotion", "Quảng bá sản phẩm (website, hoạt động quảng bá)"),
    _evidence("product_story", "Câu chuyện về sản phẩm (tờ rơi, hình ảnh, phim, ghi âm)"),
    _evidence(
        "quality_declaration",
        "Công bố chất lượng sản phẩm",
        PACKAGED_GOODS,
        required=True,
        disqualifying=True,
        allows_not_applicable=True,
    ),
    _evidence(
        "test_results",
        "Phiếu kết quả kiểm nghiệm chỉ tiêu chất lượng, an toàn thực phẩm theo tiêu chuẩn công bố",
        CONSUMABLE_GROUPS,
        required=True,
    ),
    _evidence(
        "label_packaging",
        "Mã số mã vạch, tem truy xuất nguồn gốc",
        PACKAGED_GOODS,
    ),
    _evidence(
        "quality_management",
        "Hệ thống quản lý chất lượng tiên tiến, kiểm soát chất lượng",
    ),
    _evidence("awards", "Giải thưởng, bình chọn của tổ chức uy tín trong nước và quốc tế"),
    Requirement(
        "product_samples",
        f"Sản phẩm mẫu ({SAMPLE_COUNT:02d} sản phẩm)",
        True,
        False,
        _NOT_TOURISM,
        _26("Điều 6.2.d"),
    ),
    Requirement(
        "commune_proposal",
        "Văn bản của UBND xã đề nghị UBND tỉnh đánh giá, phân hạng sản phẩm OCOP",
        True,
        False,
        ALL_GROUPS,
        _26("Điều 6.2.a; Điều 7.2.b"),
        provider=Provider.COMMUNE,
    ),
    Requirement(
        "commune_report",
        "Báo cáo đánh giá một số nội dung của hồ sơ của UBND xã (Mẫu số 03)",
        True,
        False,
        ALL_GROUPS,
        _26("Điều 6.2.b; Phụ lục III, Mẫu 03"),
        provider=Provider.COMMUNE,
    ),
)

_ORDER = tuple(Regime)  # oldest first

# The box ticked on Mẫu 01, item 4, for each kind of dossier, as the form words it.
REGISTRATION_BOXES_VI: MappingProxyType[DossierKind, str] = MappingProxyType(
    {
        DossierKind.NEW: "Lần đầu",
        DossierKind.UPGRADE: "Nâng hạng",
        DossierKind.RE_EVALUATION: "Đánh giá lại",
    }
)
REGISTRATION_BOX_SOURCE = _26("Phụ lục III, Mẫu 01, mục 4")


def _ticked(item: Requirement, kind: DossierKind) -> Requirement:
    """Mẫu 01 of an upgrade or a re-evaluation names the box to tick (Mẫu 01, mục 4)."""
    if item.code != "registration_form" or kind is DossierKind.NEW:
        return item
    return replace(item, name_vi=f"{item.name_vi}, đánh dấu ô “{REGISTRATION_BOXES_VI[kind]}”")


_BY_CODE = {item.code: item for item in (*REQUIREMENTS_QD148, *REQUIREMENTS)}


@dataclass(frozen=True, slots=True)
class Copies:
    """How many sets of the dossier are handed over at each step (Điều 7.1, 7.2.b)."""

    paper: int
    electronic: int
    source: Source


DOSSIER_COPIES = Copies(1, 1, _26("Điều 7.1; Điều 7.2.b"))


def requirement(code: str) -> Requirement:
    """The requirement with ``code`` (QĐ 26 first, then QĐ 148); ``KeyError`` when none."""
    return _BY_CODE[code]


def _group_of(product_set: int | ProductGroup) -> ProductGroup:
    if isinstance(product_set, ProductGroup):
        return product_set
    return _product_set(product_set).group


def dossier_requirements(
    product_set: int | ProductGroup, kind: DossierKind, on: date
) -> tuple[Requirement, ...]:
    """The ordered checklist of a dossier of ``kind`` filed on ``on`` (QĐ 26, Điều 6 and 7).

    ``product_set`` is the set's number, or its group while the set is not known yet (what
    differs between sets of one group does not change the list). A dossier filed before
    22/05/2026 gets the checklist of QĐ 148 as amended by QĐ 1489 (Điều 12.2).
    """
    group = _group_of(product_set)
    regime = regime_for_dossier(on)
    if regime is Regime.QD26_2026:
        return tuple(
            _ticked(item, kind)
            for item in REQUIREMENTS
            if group in item.groups and kind in item.kinds
        )
    return tuple(
        item
        for item in REQUIREMENTS_QD148
        if group in item.groups
        and kind in item.kinds
        and (item.from_regime is None or _ORDER.index(regime) >= _ORDER.index(item.from_regime))
    )


def commune_bundle(product_set: int | ProductGroup) -> tuple[str, ...]:
    """What the commune sends the province, in the decision's order (QĐ 26, Điều 6.2): its
    proposal letter, its report (Mẫu 03), the product dossier, and the samples except for
    tourism services. Codes of :func:`requirement`, and ``product_dossier``."""
    samples = ("product_samples",) if _group_of(product_set) in _NOT_TOURISM else ()
    return ("commune_proposal", "commune_report", "product_dossier", *samples)


def transition_deadline(filed_on: date, kind: DossierKind) -> date | None:
    """The day a dossier filed before 22/05/2026 must be finished by (QĐ 26, Điều 12.2):
    60 days from 22/05/2026 for a first evaluation or an upgrade, 30 for a re-evaluation;
    ``None`` for a dossier filed under QĐ 26."""
    if filed_on >= QD26_START:
        return None
    days = TRANSITION_DAYS if kind in _FIRST_UPGRADE else TRANSITION_DAYS_RE_EVALUATION
    return QD26_START + timedelta(days=days)
