"""Commune names from before 1/7/2025, and the commune each one is part of now.

On 1/7/2025 some 10,000 communes, wards and towns (xã, phường, thị trấn) in 63 provinces
became 3,321 in 34, and districts were abolished. Lists published before then, and the
habits of many clerks, still name the old units: "Xã Tân Lập, huyện Đan Phượng". This
module answers which current unit such a name means, from the official conversion table
(``data/communes_before_2025.tsv.gz``; its source and how it is made are in
``data/generate.py``).

An old name alone is often not enough: "Tân Lập" was a commune in dozens of districts, so
the district ("huyện", "quận", "thị xã", "thành phố") can be written after a comma or
after the name. Where an old unit was split between several new ones, the table lists
them all and the caller must ask which.
"""

from __future__ import annotations

import csv
import gzip
import io
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

from handlers.communes import CommuneRef, commune_by_code, communes_of_province, provinces
from handlers.textmatch import accent_key, place_key, strip_word

_UNIT_WORDS = ("xa", "phuong", "thi tran")
_DISTRICT_WORDS = ("huyen", "quan", "thi xa", "thanh pho", "tp")
_PROVINCE_WORDS = ("tinh", "thanh pho", "tp")
TABLE = "communes_before_2025.tsv.gz"


@dataclass(frozen=True, slots=True)
class OldCommune:
    """A commune-level unit as it was before 1/7/2025, and what it is part of now."""

    code: str
    name: str
    district: str
    province: str
    becomes: tuple[CommuneRef, ...]
    key: str
    district_key: str
    province_key: str

    @property
    def full_name(self) -> str:
        """ "Xã Tân Lập, Huyện Đan Phượng" — the old name with its district."""
        return f"{self.name}, {self.district}"


@lru_cache(maxsize=1)
def _current_by_name() -> dict[tuple[str, str], CommuneRef]:
    named: dict[tuple[str, str], CommuneRef] = {}
    for code in provinces():
        for commune in communes_of_province(code):
            named[(code, place_key(commune.name))] = commune
    return named


def _current(province_code: str, code: str, name: str) -> CommuneRef | None:
    """The current unit by its code, checked by name; by name in its province when the
    table and ``vietnam-provinces`` number it differently (they do for some 500 units)."""
    found = commune_by_code(code)
    if found is not None and (found.province_code, place_key(found.name)) == (
        province_code,
        place_key(name),
    ):
        return found
    return _current_by_name().get((province_code, place_key(name)))


@lru_cache(maxsize=1)
def _index() -> dict[str, list[OldCommune]]:
    """Old units by the key of their name (without "xã", "phường", "thị trấn")."""
    raw = gzip.decompress(files("handlers").joinpath("data", TABLE).read_bytes()).decode()
    lines = (line for line in io.StringIO(raw) if not line.startswith("#"))
    by_key: dict[str, list[OldCommune]] = {}
    for row in csv.DictReader(lines, delimiter="\t"):
        pairs = zip(row["new_codes"].split(","), row["new_names"].split("|"), strict=True)
        becomes = tuple(
            ref for code, name in pairs if (ref := _current(row["new_province"], code, name))
        )
        if not becomes:
            continue
        unit = OldCommune(
            code=row["old_code"],
            name=row["old_name"],
            district=row["old_district"],
            province=row["old_province"],
            becomes=becomes,
            key=strip_word(place_key(row["old_name"]), _UNIT_WORDS),
            district_key=strip_word(place_key(row["old_district"]), _DISTRICT_WORDS),
            province_key=strip_word(place_key(row["old_province"]), _PROVINCE_WORDS),
        )
        by_key.setdefault(unit.key, []).append(unit)
    return by_key


def _place(text: str) -> str:
    """The key of a district or province as written ("huyện Đan Phượng" → "dan phuong")."""
    return strip_word(strip_word(place_key(text), _DISTRICT_WORDS), _PROVINCE_WORDS)


def _within(unit: OldCommune, where: str) -> bool:
    """Whether ``where`` (a folded district and/or province) describes ``unit``."""
    if not where:
        return True
    return any(
        place.startswith(where)
        for place in (
            unit.district_key,
            unit.province_key,
            f"{unit.district_key} {unit.province_key}",
        )
    )


def search_old_communes(text: str) -> list[OldCommune]:
    """Old units that ``text`` names: "Tân Lập", "xa tan lap, huyen dan phuong",
    "Tân Lập Đan Phượng". Exact names only (no prefixes): an old name is read off a list,
    not typed from memory. Ordered by province, district and name."""
    head, _, rest = text.partition(",")
    by_key = _index()
    name = strip_word(place_key(head), _UNIT_WORDS)
    where = " ".join(_place(part) for part in rest.split(","))
    hits = [u for u in by_key.get(name, []) if _within(u, where.strip())]
    if not hits and not rest:  # "tan lap dan phuong": the place follows the name
        tokens = name.split()
        for cut in range(len(tokens) - 1, 0, -1):
            place = _place(" ".join(tokens[cut:]))
            hits = [u for u in by_key.get(" ".join(tokens[:cut]), []) if _within(u, place)]
            if hits:
                break
    return sorted(_prefer_accents(head, hits), key=lambda u: (u.province_key, u.code))


def _bare(name: str) -> str:
    """The name without its unit word, accents kept ("Xã Ba Tơ" → "ba tơ")."""
    words = accent_key(name)
    for word in ("xã", "phường", "thị trấn"):
        words = words.removeprefix(accent_key(word) + " ")
    return words


def _prefer_accents(typed: str, hits: list[OldCommune]) -> list[OldCommune]:
    """When the name was written with accents, "Ba Tơ" is not "Ba Tô"."""
    if place_key(typed) == " ".join(typed.lower().split()):
        return hits
    same = [u for u in hits if _bare(u.name) == _bare(typed)]
    return same or hits
