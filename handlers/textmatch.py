"""Forgiving text matching for people typing on phones, often without diacritics.

``fold`` maps "Đăng ký" and "dang ky" to the same key; ``match_option`` accepts an option's
number, its label in any case or accent, or a unique prefix, and reports ambiguity instead
of guessing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass


def fold(text: str) -> str:
    """Lower-case, accent-free, single-spaced form of ``text`` ("Xã  Xốp" → "xa xop")."""
    decomposed = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    stripped = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return " ".join(stripped.casefold().split())


_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")  # huyền, sắc, ngã, hỏi, nặng


_SYLLABLE = re.compile(r"(?:\w|[\u0300-\u036f])+")


def _tone_last(match: re.Match[str]) -> str:
    syllable = match.group()
    return "".join(c for c in syllable if c not in _TONES) + "".join(
        c for c in syllable if c in _TONES
    )


def accent_key(text: str) -> str:
    """Lower-case, single-spaced ``text`` with accents kept but tone marks placed one way:
    "Hoà" and "Hòa" are one spelling (old and new tone placement), "Hòa" and "Hóa" are
    not."""
    decomposed = unicodedata.normalize("NFD", " ".join(text.lower().split()))
    return _SYLLABLE.sub(_tone_last, decomposed)


_APOSTROPHES = str.maketrans("", "", "'’ʼ‘`")


def place_key(text: str) -> str:
    """The key of a place name: folded, apostrophes dropped, other punctuation a space.

    Highland names are written "Ea H’leo", "Ea H'Leo" or "Ea Hleo", and merged units
    "Chân Mây – Lăng Cô" with any dash; all of them give one key ("ea hleo",
    "chan may lang co").
    """
    return words_key(text.translate(_APOSTROPHES))


def strip_word(key: str, words: tuple[str, ...]) -> str:
    """``key`` without the first of ``words`` it starts with ("xa xop" → "xop")."""
    for word in words:
        if key.startswith(f"{word} "):
            return key.removeprefix(f"{word} ")
    return key


def words_key(text: str) -> str:
    """Folded text with punctuation turned into spaces ("Thực phẩm — mật ong, …" →
    "thuc pham mat ong"), so words match whatever separates them."""
    return " ".join("".join(c if c.isalnum() else " " for c in fold(text)).split())


@dataclass(frozen=True, slots=True)
class Matched:
    """Exactly one option matched; ``index`` is its position."""

    index: int


@dataclass(frozen=True, slots=True)
class Ambiguous:
    """Several options match; ``indexes`` lists them."""

    indexes: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class NoMatch:
    """Nothing matched."""


MatchResult = Matched | Ambiguous | NoMatch


def match_option(text: str, labels: Sequence[Sequence[str]]) -> MatchResult:
    """Match ``text`` against options, each given as its label and aliases.

    Tried in order: the option number (1-based), an exact folded label or alias, a unique
    prefix of a label or alias, a unique label containing the text as a whole word.
    """
    key = words_key(text)
    if not key:
        return NoMatch()
    if key.isdigit():
        number = int(key)
        return Matched(number - 1) if 1 <= number <= len(labels) else NoMatch()
    folded = [[words_key(name) for name in names] for names in labels]
    for test in (
        lambda name: name == key,
        lambda name: name.startswith(key),
        lambda name: f" {key} " in f" {name} ",
    ):
        hits = tuple(i for i, names in enumerate(folded) if any(test(n) for n in names))
        if len(hits) == 1:
            return Matched(hits[0])
        if hits:
            return Ambiguous(hits)
    return NoMatch()
