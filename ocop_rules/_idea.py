"""The idea registration form (Phiếu đăng ký ý tưởng sản phẩm).

The form exists in two templates (new / existing product) under QĐ 148/QĐ-TTg (confirmed);
its exact fields are not published in our sources (unconfirmed), so this ordered list is
the capture agreed in the project's reference, kept as data.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ocop_rules._commune import IdeaOrigin
from ocop_rules._source import QD148_2023, Source, Status

IDEA_FORM_SOURCE = Source(
    QD148_2023,
    "Phụ lục II, mẫu phiếu đăng ký ý tưởng",
    Status.UNCONFIRMED,
    "fields from the project's reference",
)


class FieldType(StrEnum):
    """How an answer is typed and checked."""

    TEXT = "text"
    CHOICE = "choice"
    CHOICES = "choices"  # several of a list
    PERCENT = "percent"  # 0–100
    COUNT = "count"  # a whole number ≥ 0
    YES_NO = "yes_no"


class PaperHeld(StrEnum):
    """Papers a producer may already hold when registering an idea."""

    BUSINESS_REGISTRATION = "business_registration"
    FOOD_SAFETY = "food_safety_certificate"
    QUALITY_DECLARATION = "quality_declaration"
    TRADEMARK = "trademark"


class TargetMarket(StrEnum):
    """Where the product is meant to sell."""

    LOCAL = "local"  # Trong xã, trong tỉnh
    DOMESTIC = "domestic"  # Trong nước
    EXPORT = "export"  # Xuất khẩu


@dataclass(frozen=True, slots=True)
class IdeaField:
    """One field of the idea registration, in form order."""

    code: str
    type: FieldType
    required: bool
    choices: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        has_choices = self.type in (FieldType.CHOICE, FieldType.CHOICES)
        if has_choices != bool(self.choices) and self.code not in _DYNAMIC_CHOICES:
            raise ValueError(f"{self.code}: choices must be given exactly for choice fields")


# Choice fields whose options come from another table (the 26 product sets).
_DYNAMIC_CHOICES = frozenset({"product_set"})

IDEA_FIELDS: tuple[IdeaField, ...] = (
    IdeaField("product_name", FieldType.TEXT, True),
    # The product set (QĐ 26/2026/QĐ-TTg, Phụ lục I): it names the group and the scoring sheet.
    IdeaField("product_set", FieldType.CHOICE, True),
    IdeaField("is_new_product", FieldType.YES_NO, True),
    IdeaField("description", FieldType.TEXT, True),
    IdeaField("raw_materials", FieldType.TEXT, True),
    IdeaField("raw_material_commune_pct", FieldType.PERCENT, True),
    IdeaField("raw_material_province_pct", FieldType.PERCENT, False),
    IdeaField("workers_total", FieldType.COUNT, True),
    IdeaField("workers_local", FieldType.COUNT, True),
    IdeaField("idea_origin", FieldType.CHOICE, True, tuple(o.value for o in IdeaOrigin)),
    IdeaField("identity_story", FieldType.TEXT, False),
    IdeaField("papers_held", FieldType.CHOICES, False, tuple(p.value for p in PaperHeld)),
    IdeaField("target_market", FieldType.CHOICE, True, tuple(m.value for m in TargetMarket)),
    IdeaField("support_wanted", FieldType.TEXT, False),
)


def idea_field(code: str) -> IdeaField:
    """The idea field with ``code``; ``KeyError`` when there is none."""
    return _BY_CODE[code]


_BY_CODE = {item.code: item for item in IDEA_FIELDS}
