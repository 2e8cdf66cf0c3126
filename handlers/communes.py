"""Finding a commune from what a person types, among the 3,321 units since 1/7/2025.

The index is built once from ``vietnam-provinces`` (package data, no I/O at run time beyond
the first use) and answers in microseconds: exact folded name first, then prefix, then
"name + province" splits such as "son ha quang ngai".
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from functools import lru_cache

from vietnam_provinces import Province, VietNamDivisionType, Ward

from handlers.textmatch import accent_key, fold, place_key, strip_word

_DIVISION_WORDS = ("xa", "phuong", "dac khu")
_PROVINCE_WORDS = ("tinh", "thanh pho", "tp")


@dataclass(frozen=True, slots=True)
class CommuneRef:
    """A commune-level unit: official code, name and province."""

    code: str
    name: str
    province_code: str
    province_name: str
    province_label: str
    key: str
    province_key: str

    @property
    def full_name(self) -> str:
        """ "Xã Xốp, tỉnh Quảng Ngãi" — enough to tell namesakes apart."""
        return f"{self.name}, {self.province_label}"


@lru_cache(maxsize=1)
def _index() -> tuple[dict[str, CommuneRef], dict[str, list[CommuneRef]]]:
    provinces = {p.code: p for p in Province.iter_all()}
    by_code: dict[str, CommuneRef] = {}
    by_key: dict[str, list[CommuneRef]] = {}
    for ward in Ward.iter_all():
        province = provinces[ward.province_code]
        ref = CommuneRef(
            code=f"{int(ward.code):05d}",
            name=ward.name,
            province_code=f"{int(ward.province_code):02d}",
            province_name=province.name,
            province_label=(
                f"tỉnh {province.name}"
                if province.division_type is VietNamDivisionType.TINH
                else province.name
            ),
            key=strip_word(place_key(ward.name), _DIVISION_WORDS),
            province_key=strip_word(place_key(province.name), _PROVINCE_WORDS),
        )
        by_code[ref.code] = ref
        by_key.setdefault(ref.key, []).append(ref)
    return by_code, by_key


def commune_by_code(code: str) -> CommuneRef | None:
    """The commune with the official ``code``, or None."""
    return _index()[0].get(code)


def _normalise_query(text: str) -> str:
    key = strip_word(place_key(text), _DIVISION_WORDS)
    for word in _PROVINCE_WORDS:
        key = key.replace(f" {word} ", " ")
    return " ".join(key.split())


def _prefer_accents(text: str, hits: list[CommuneRef]) -> list[CommuneRef]:
    """When the person typed accents that single out one namesake ("Sơn Hà" and not
    "Sơn Hạ"), keep only the namesakes whose accented name appears in the text (tone
    marks placed either way: "Hoà" is "Hòa")."""
    typed = accent_key(text)
    accented = [c for c in hits if accent_key(c.name.split(" ", 1)[-1]) in typed]
    same_name = {accent_key(c.name) for c in accented}
    if accented and len(same_name) == 1 and accented != hits and typed != fold(typed):
        return accented
    return hits


def search_communes(text: str, limit: int = 50) -> list[CommuneRef]:
    """Communes matching ``text``, best matches first, at most ``limit``."""
    query = _normalise_query(text)
    if not query:
        return []
    by_key = _index()[1]
    exact = by_key.get(query)
    if exact:
        return _prefer_accents(text, sorted(exact, key=lambda c: (c.province_key, c.code)))[:limit]
    tokens = query.split()
    for cut in range(len(tokens) - 1, 0, -1):
        name, province = " ".join(tokens[:cut]), " ".join(tokens[cut:])
        hits = [c for c in by_key.get(name, []) if c.province_key.startswith(province)]
        if hits:
            return _prefer_accents(text, sorted(hits, key=lambda c: c.code))[:limit]
    return _starting_with(query, limit)


@lru_cache(maxsize=1)
def _sorted() -> tuple[list[str], list[CommuneRef]]:
    """Every commune by key (then province), with the keys alone for bisection."""
    ordered = sorted(_index()[0].values(), key=lambda c: (c.key, c.province_key, c.code))
    return [c.key for c in ordered], ordered


def _starting_with(prefix: str, limit: int) -> list[CommuneRef]:
    """Communes whose key starts with ``prefix``, by key: a binary search, not a scan of
    all 3,321 (a name typed with a slip lands here on every try)."""
    keys, ordered = _sorted()
    start = bisect_left(keys, prefix)
    found: list[CommuneRef] = []
    for key, commune in zip(keys[start:], ordered[start:], strict=True):
        if not key.startswith(prefix) or len(found) == limit:
            break
        found.append(commune)
    return found


@lru_cache(maxsize=1)
def provinces() -> dict[str, str]:
    """Province code → "tỉnh Quảng Ngãi" / "Thành phố Hà Nội", for the 34 provinces."""
    return {c.province_code: c.province_label for c in sorted(_index()[0].values(), key=_by_code)}


def _by_code(commune: CommuneRef) -> str:
    return commune.code


def communes_of_province(province_code: str) -> list[CommuneRef]:
    """The communes of one province, by name."""
    return sorted(
        (c for c in _index()[0].values() if c.province_code == province_code),
        key=lambda c: c.key,
    )


def named_exactly(text: str, commune: CommuneRef) -> bool:
    """Whether ``text`` names ``commune`` in full (its name, perhaps with its province),
    rather than by the first letters of a longer name ("Sop" for "Sốp Cộp")."""
    query = _normalise_query(text)
    return query == commune.key or (
        query.startswith(f"{commune.key} ")
        and commune.province_key.startswith(query[len(commune.key) + 1 :])
    )


# The shortest name in which a typed slip is looked for.
SHORTEST_SLIP = 3


def _letters_apart(one: str, other: str) -> int:
    """How many letters differ between two names of the same length."""
    return sum(a != b for a, b in zip(one, other, strict=True))


def _deletions(key: str) -> set[str]:
    """``key`` with any one character left out."""
    return {key[:i] + key[i + 1 :] for i in range(len(key))}


@lru_cache(maxsize=1)
def _by_deletion() -> dict[str, list[str]]:
    """Commune keys under themselves and under each of their one-letter deletions: two keys
    that share an entry are at most one slip apart (a letter too many, too few, or wrong).
    Built once, so a typo costs a few dictionary look-ups, not a scan of every name."""
    index: dict[str, set[str]] = {}
    for key in _index()[1]:
        for variant in {key, *_deletions(key)}:
            index.setdefault(variant, set()).add(key)
    return {variant: sorted(keys) for variant, keys in index.items()}


def near_communes(text: str, limit: int = 8) -> list[CommuneRef]:
    """Communes whose name is one slip away from ``text`` ("Xopp", "Xoop" → Xốp). A name of
    three letters is a slip only with one wrong letter ("Sop" → Xốp): with one letter more
    or less, too many short names would be near it."""
    query = _normalise_query(text)
    if len(query) < SHORTEST_SLIP:
        return []
    index, by_key = _by_deletion(), _index()[1]
    keys = sorted(
        {key for variant in {query, *_deletions(query)} for key in index.get(variant, [])}
    )
    if len(query) < SHORTEST_SLIP + 1:
        keys = [k for k in keys if len(k) == len(query) and _letters_apart(k, query) == 1]
    found = [c for key in keys for c in sorted(by_key[key], key=lambda c: (c.province_key, c.code))]
    return found[:limit]
