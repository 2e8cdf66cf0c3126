"""Who may take part (chủ thể OCOP) and for which groups — QĐ 148/QĐ-TTg, Phụ lục II."""

from __future__ import annotations

from enum import StrEnum

from ocop_rules._groups import ProductGroup
from ocop_rules._source import QD148_2023, Source, Status

ELIGIBILITY_SOURCE = Source(QD148_2023, "Phụ lục II, đối tượng tham gia", Status.CONFIRMED)


class SubjectType(StrEnum):
    """Kinds of chủ thể; ``UNREGISTERED`` may register an idea but not be evaluated."""

    COOPERATIVE = "cooperative"  # Hợp tác xã
    COOPERATIVE_GROUP = "cooperative_group"  # Tổ hợp tác
    ENTERPRISE = "enterprise"  # Doanh nghiệp
    FARM = "farm"  # Trang trại
    REGISTERED_HOUSEHOLD = "registered_household"  # Hộ sản xuất có đăng ký kinh doanh
    TOURISM_ORGANISATION = "tourism_organisation"  # Hội/hiệp hội, trung tâm điều hành du lịch
    UNREGISTERED = "unregistered"  # Hộ chưa đăng ký kinh doanh


SUBJECT_TYPE_NAMES_VI: dict[SubjectType, str] = {
    SubjectType.COOPERATIVE: "Hợp tác xã",
    SubjectType.COOPERATIVE_GROUP: "Tổ hợp tác",
    SubjectType.ENTERPRISE: "Doanh nghiệp",
    SubjectType.FARM: "Trang trại",
    SubjectType.REGISTERED_HOUSEHOLD: "Hộ sản xuất có đăng ký kinh doanh",
    SubjectType.TOURISM_ORGANISATION: "Hội, hiệp hội, trung tâm điều hành du lịch",
    SubjectType.UNREGISTERED: "Hộ chưa đăng ký kinh doanh",
}


class Eligibility(StrEnum):
    """Whether a subject type can have a product of a group evaluated."""

    ELIGIBLE = "eligible"
    NEEDS_BUSINESS_REGISTRATION = "needs_business_registration"
    NOT_FOR_GROUP = "not_for_group"


def subject_eligibility(subject_type: SubjectType, group: ProductGroup) -> Eligibility:
    """Tell whether ``subject_type`` may be evaluated for a product of ``group``.

    Associations and tourism operating centres take part only in the tourism group; an
    unregistered household must obtain business registration before evaluation.
    """
    if subject_type is SubjectType.UNREGISTERED:
        return Eligibility.NEEDS_BUSINESS_REGISTRATION
    if subject_type is SubjectType.TOURISM_ORGANISATION and group is not ProductGroup.TOURISM:
        return Eligibility.NOT_FOR_GROUP
    return Eligibility.ELIGIBLE
