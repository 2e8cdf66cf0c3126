"""Who issued a certificate, named by the rules of its decision day (item of the lifecycle
issue: issuers by era).

Under QĐ 148/QĐ-TTg (24/02/2023 – 30/06/2025) the district's People's Committee certified
3★, the province 4★ and the Ministry 5★; since the districts were abolished (01/07/2025,
then QĐ 1489 and QĐ 26 Điều 4.1) the province certifies 3★ and 4★ and the Ministry 5★
(:func:`ocop_rules.issuing_level`). A district is named from the table of communes before
1/7/2025: the district the product's commune was part of, when it was part of one only.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from handlers.communes import commune_by_code
from handlers.old_communes import _index as old_units
from ocop_rules import Level, issuing_level

MINISTRY_FROM = date(2025, 3, 1)  # Bộ NN&PTNT and Bộ TN&MT merged (Nghị định 35/2025/NĐ-CP)
MINISTRY = "Bộ Nông nghiệp và Môi trường"
MINISTRY_BEFORE = "Bộ Nông nghiệp và Phát triển nông thôn"
ANY_DISTRICT = "UBND cấp huyện"
# What an issuer field says when it names no one in particular.
GENERIC = frozenset({"", ANY_DISTRICT.casefold(), "ubnd huyện", "ubnd cấp tỉnh", "bộ"})


@lru_cache(maxsize=1)
def _districts() -> dict[str, frozenset[str]]:
    found: dict[str, set[str]] = {}
    for units in old_units().values():
        for unit in units:
            for ref in unit.becomes:
                found.setdefault(ref.code, set()).add(unit.district)
    return {code: frozenset(names) for code, names in found.items()}


def old_district(commune_code: str) -> str | None:
    """The district a current commune was part of before 1/7/2025, when only one."""
    names = _districts().get(commune_code, frozenset())
    return next(iter(names)) if len(names) == 1 else None


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def issuer_name(stars: int, issued_on: date, commune_code: str) -> str:
    """The body that issued a ``stars`` certificate decided on ``issued_on`` for a product
    of ``commune_code``: "UBND huyện Sơn Hà", "UBND tỉnh Quảng Ngãi" or the Ministry."""
    level = issuing_level(stars, issued_on)
    if level is Level.CENTRAL:
        return MINISTRY if issued_on >= MINISTRY_FROM else MINISTRY_BEFORE
    commune = commune_by_code(commune_code)
    if level is Level.DISTRICT:
        district = old_district(commune_code)
        return f"UBND {_lower_first(district)}" if district else ANY_DISTRICT
    return f"UBND {commune.province_label}" if commune else "UBND tỉnh"


def shown_issuer(recorded: str | None, stars: int, issued_on: date, commune_code: str) -> str:
    """The issuer a certificate shows: the one its record names, or — when the record names
    no one in particular — the one the rules of its day give."""
    if recorded and recorded.strip().casefold() not in GENERIC:
        return recorded
    return issuer_name(stars, issued_on, commune_code)
