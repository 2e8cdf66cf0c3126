"""Where a rule comes from, and how sure we are of it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    """How well a rule is established (the marks of the project's reference)."""

    CONFIRMED = "confirmed"  # quoted from the legal text by reliable sources
    PRACTICE = "practice"  # provincial practice or the superseded rule set
    UNCONFIRMED = "unconfirmed"  # plausible, kept as replaceable data until checked


@dataclass(frozen=True, slots=True)
class Source:
    """A legal source: the document, the part of it, and the rule's status."""

    document: str
    part: str
    status: Status
    note: str = ""

    def __post_init__(self) -> None:
        if not self.document:
            raise ValueError("a source names its document")

    @property
    def citation(self) -> str:
        """How a message cites the rule: the document without the date in brackets, and
        the part ("QĐ 26/2026/QĐ-TTg, Điều 7.6.a"), so no sentence writes an article itself."""
        return f"{self.document.split(' (')[0]}, {self.part}"


QD919_2022 = "QĐ 919/QĐ-TTg (01/8/2022)"
QD1048_2019 = "QĐ 1048/QĐ-TTg (21/8/2019)"
QD148_2023 = "QĐ 148/QĐ-TTg (24/02/2023)"
QD1489_2025 = "QĐ 1489/QĐ-TTg (06/7/2025)"
QD26_2026 = "QĐ 26/2026/QĐ-TTg (22/5/2026)"
LABOUR_CODE_2019 = "Bộ luật Lao động 2019 (Luật số 45/2019/QH14), Điều 111–112"
ND13_2023 = "Nghị định 13/2023/NĐ-CP"
DISTRICT_PLAN = "Kế hoạch OCOP 2024 huyện Sơn Hà"
PROVINCE_PLAN = "Kế hoạch OCOP 2023–2025 tỉnh Hà Tĩnh"
# What provincial councils do without a text in hand stating it (the reference's [P] mark):
# neither plan above says it, so a rule of this kind cites the practice, not a plan.
PROVINCIAL_PRACTICE = "Thực tiễn hội đồng OCOP cấp tỉnh"
