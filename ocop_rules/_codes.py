"""The product code printed in each scoring sheet's header: (T)-(X)-(STT)-năm.

QĐ 26/2026/QĐ-TTg, Phụ lục II (every sheet's header): T is the province code and X the
commune code of QĐ 19/2025/QĐ-TTg (2 and 5 digits), STT the serial the commune keeps, and
the year the product is evaluated. Under QĐ 148 the second part was the district's code.
"""

from __future__ import annotations

from ocop_rules._source import QD26_2026, Source, Status

PRODUCT_CODE_SOURCE = Source(QD26_2026, "Phụ lục II, mã sản phẩm (đầu phiếu)", Status.CONFIRMED)
_PROVINCE_DIGITS = 2
_COMMUNE_DIGITS = 5


def product_code(province_code: str, commune_code: str, serial: int, year: int) -> str:
    """The code "T-X-STT-YYYY" of a product (QĐ 26, Phụ lục II), e.g. "01-00004-3-2026".

    ``ValueError`` unless the province code has 2 digits, the commune code 5, the serial is
    at least 1 and the year has four digits.
    """
    if not (province_code.isdigit() and len(province_code) == _PROVINCE_DIGITS):
        raise ValueError(f"province code {province_code!r} is not 2 digits")
    if not (commune_code.isdigit() and len(commune_code) == _COMMUNE_DIGITS):
        raise ValueError(f"commune code {commune_code!r} is not 5 digits")
    if serial < 1:
        raise ValueError("the serial starts at 1")
    if not 1000 <= year <= 9999:
        raise ValueError(f"year {year} is not four digits")
    return f"{province_code}-{commune_code}-{serial}-{year}"
