"""Reading the cells of a published OCOP list as provinces and districts really write them.

Theory of operation
-------------------
Plans and lists print their tables by hand: the commune column is headed "Xã", "Xã, thị
trấn" or "Xã, phường"; the group is written "Thực phẩm", "Nhóm thực phẩm", "Đồ uống có cồn"
(a nhóm of QĐ 26), "Rượu" or "Mật ong…" (words of a set); stars as "4", "4 sao", "4★" or
"★★★★"; the decision as "125/QĐ-UBND", "Số 125/QĐ-UBND ngày 12/5/2022", or only a year;
one line may stand for several products ("Dưa lưới (2 sản phẩm)", "1. Nho sấy; 2. Mứt
nho"). Every reader here takes one cell's text and returns the value, or ``None`` when the
cell says nothing it can read; the importer turns ``None`` into a refusal that lists what
is accepted (:data:`GROUPS_ACCEPTED`, :data:`STARS_ACCEPTED`, :data:`DATES_ACCEPTED`).

Groups and sets come from ``ocop_rules`` (6 ngành, 17 nhóm, 26 sets of QĐ 26 Phụ lục I)
and the everyday words of :mod:`handlers.set_words`; nothing is listed twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from handlers.set_words import find_sets, group_named
from handlers.textmatch import words_key
from ocop_rules import (
    NHOM_INFO,
    Nhom,
    ProductGroup,
    product_groups,
    product_set,
    product_sets,
    product_sets_in,
)

# The column headers a list may use, as :func:`words_key` reads them (no accents, no
# punctuation): "Xã, thị trấn" and "Xã/thị trấn" are both "xa thi tran".
COLUMNS: dict[str, tuple[str, ...]] = {
    "product": ("ten san pham", "san pham", "ten sp", "ten san pham ocop", "product"),
    "subject": (
        "chu the",
        "ten chu the",
        "chu the san xuat",
        "ten chu the san xuat",
        "chu the san pham",
        "don vi",
        "co so san xuat",
        "subject",
    ),
    "commune": (
        "xa",
        "xa phuong",
        "phuong xa",
        "xa thi tran",
        "xa phuong thi tran",
        "ten xa",
        "dia ban",
        "dia ban xa",
        "commune",
    ),
    "district": ("huyen", "quan huyen", "huyen quan", "huyen thi xa", "huyen cu", "district"),
    "province": ("tinh", "tinh thanh pho", "province"),
    "group": (
        "nhom",
        "nhom san pham",
        "nganh hang",
        "nganh",
        "bo san pham",
        "nhom bo san pham",
        "phan nhom",
        "loai san pham",
        "group",
    ),
    "stars": (
        "so sao",
        "hang sao",
        "xep hang",
        "hang",
        "ket qua",
        "ket qua xep hang",
        "ket qua danh gia",
        "sao",
        "stars",
    ),
    "decision_number": (
        "so quyet dinh",
        "quyet dinh",
        "so qd",
        "qd",
        "quyet dinh cong nhan",
        "so quyet dinh cong nhan",
        "decision number",
    ),
    "decision_date": ("ngay quyet dinh", "ngay qd", "ngay cong nhan", "decision date"),
    "year": ("nam cong nhan", "nam", "nam danh gia", "nam xep hang", "nam chung nhan", "year"),
    "issuer": (
        "cap cong nhan",
        "co quan cong nhan",
        "cap quyet dinh",
        "co quan quyet dinh",
        "don vi cong nhan",
        "issuer",
    ),
    "phone": ("dien thoai", "so dien thoai", "sdt", "phone"),
}
COLUMN_NAMES_VI = {
    "product": "Tên sản phẩm",
    "subject": "Chủ thể",
    "commune": "Xã",
    "group": "Nhóm",
    "stars": "Hạng sao",
    "decision_number": "Số quyết định",
    "decision_date": "Ngày quyết định (hoặc Năm công nhận)",
}
# The headers a refusal offers for each required column (all of :data:`COLUMNS` match).
HEADERS_ACCEPTED = {
    "product": "Tên sản phẩm / Sản phẩm",
    "subject": "Chủ thể / Tên chủ thể / Đơn vị",
    "commune": "Xã / Xã, thị trấn / Xã, phường / Địa bàn",
    "group": "Nhóm / Nhóm sản phẩm / Bộ sản phẩm / Ngành hàng",
    "stars": "Hạng sao / Số sao / Xếp hạng",
    "decision_number": "Quyết định / Số quyết định",
    "decision_date": "Ngày quyết định / Năm công nhận / Năm",
}
# Columns a printed table merges down over the rows of one commune, subject or decision:
# a blank cell there takes the value above it.
CARRIED_DOWN = (
    "subject",
    "commune",
    "district",
    "province",
    "group",
    "stars",
    "decision_number",
    "decision_date",
    "year",
)  # not the issuer: a 5★ row is the Ministry's only where it says so itself

GROUPS_ACCEPTED = (
    "ghi một trong 6 nhóm ("
    + ", ".join(info.name_vi for info in product_groups())
    + "), một trong 17 nhóm của QĐ 26 ("
    + ", ".join(info.name_vi for info in NHOM_INFO.values())
    + ") hoặc tên bộ sản phẩm (vd. “Mật ong”, “Rượu trắng”)"
)
STARS_ACCEPTED = "ghi 3, 4 hoặc 5 (vd. “4”, “4 sao”, “4★”)"
DATES_ACCEPTED = "ghi ngày/tháng/năm (vd. 12/05/2022) hoặc năm (vd. 2022)"


@dataclass(frozen=True, slots=True)
class Kind:
    """What a group cell names: the group, and the set when it is known."""

    group: ProductGroup
    product_set: int | None = None
    candidates: tuple[int, ...] = ()  # the few sets the cell leaves open, when not one


def header_key(value: str) -> str:
    """A header cell as :data:`COLUMNS` spells it."""
    return words_key(value)


def _stripped(key: str) -> str:
    for word in ("nhom san pham ", "nhom ", "bo san pham ", "bo ", "nganh hang ", "nganh "):
        if key.startswith(word):
            return key[len(word) :]
    return key


_GROUP_NAMES = {words_key(info.name_vi): info for info in product_groups()}
_NHOM_NAMES = {
    words_key(text): nhom
    for nhom, info in NHOM_INFO.items()
    for text in (info.name_vi, info.number)
}
_SET_NAMES = {
    words_key(name): candidate
    for candidate in product_sets()
    for name in (candidate.name, candidate.name_annex_i, *candidate.aliases)
}


@lru_cache(maxsize=1024)
def _named_kind(key: str) -> Kind | None:
    """A group, nhóm or set named by its number or official name (any of QĐ 148, QĐ 26)."""
    number = re.fullmatch(r"(?:nhom |nganh )?([1-6])", key)
    for info in product_groups():
        if (number and info.number == int(number.group(1))) or key == info.group.value:
            return Kind(info.group)
    bare = _stripped(key)
    for name, info in _GROUP_NAMES.items():
        if name in {key, bare} or (len(bare) >= 4 and name.startswith(bare)):
            return Kind(info.group)
    set_number = re.fullmatch(r"bo (\d{1,2})", key)
    if set_number and 1 <= int(set_number.group(1)) <= len(product_sets()):
        found = product_set(int(set_number.group(1)))
        return Kind(found.group, found.number)
    if bare in _NHOM_NAMES:
        return _nhom_kind(_NHOM_NAMES[bare])
    if bare in _SET_NAMES:
        return Kind(_SET_NAMES[bare].group, _SET_NAMES[bare].number)
    return _everyday_kind(key)


def _everyday_kind(key: str) -> Kind | None:
    """A group or set named in everyday words ("Rượu", "Mật ong…")."""
    sets = find_sets(key)
    groups = {product_set(number).group for number in sets}
    if len(groups) == 1:
        return Kind(groups.pop(), sets[0] if len(sets) == 1 else None, sets)
    named = group_named(_stripped(key))
    return Kind(named) if named is not None else None


def names_group(text: str) -> bool:
    """Whether ``text`` is a heading naming a group or a nhóm ("I. Nhóm thực phẩm", "Đồ
    uống có cồn"), not a product."""
    key = re.sub(r"^(?:[ivx]+|\d+|[a-z])\s+", "", words_key(text))
    return key.startswith(("nhom ", "nganh ")) or key in _GROUP_NAMES or key in _NHOM_NAMES


_ABBREVIATIONS = ((re.compile(r"^tt\.?\s+", re.IGNORECASE), "Thị trấn "),
                  (re.compile(r"^x\.\s*", re.IGNORECASE), "Xã "),
                  (re.compile(r"^p\.\s*", re.IGNORECASE), "Phường "))  # fmt: skip


def commune_text(text: str) -> str:
    """A commune cell with its abbreviations written out ("TT Tân Sơn", "X. Lâm Sơn")."""
    for pattern, words in _ABBREVIATIONS:
        text = pattern.sub(words, text)
    return text


def _nhom_kind(nhom: Nhom) -> Kind:
    info = NHOM_INFO[nhom]
    sets = tuple(s.number for s in product_sets_in(info.group) if s.nhom is nhom)
    return Kind(info.group, sets[0] if len(sets) == 1 else None, sets)


def read_kind(group_text: str, product_text: str) -> Kind | None:
    """The group (and set, when one is clear) a row's group cell names.

    The cell may name a group, a nhóm or a set officially, or in everyday words; when it
    names a nhóm or words shared by a few sets ("Đồ uống có cồn", "Rượu"), the product's
    own name picks the set if it names exactly one of them ("Rượu nếp Ma Nới" → set 14,
    Rượu trắng). A whole group ("Thực phẩm", 13 sets) leaves the set to be asked later.
    """
    key = words_key(group_text)
    if not key:
        return None
    kind = _named_kind(key)
    if kind is None or kind.product_set is not None or not kind.candidates:
        return kind
    allowed = [number for number in find_sets(product_text) if number in kind.candidates]
    return Kind(kind.group, allowed[0] if len(allowed) == 1 else None)


def read_stars(text: str) -> int | None:
    """Stars written "4", "4 sao", "hạng 4 sao", "4*", "4★" or "★★★★"."""
    if text and set(text.replace(" ", "")) == {"★"}:
        return len(text.replace(" ", ""))
    found = re.fullmatch(r"(?:hang )?([1-5]) ?(?:sao|\*|★)?", " ".join(text.lower().split()))
    if found is None:
        found = re.fullmatch(r"(?:hang )?([1-5])(?: sao)?", words_key(text))
    return int(found.group(1)) if found else None


_DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d")
_DATE_IN_TEXT = re.compile(r"(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})")
_DATE_IN_WORDS = re.compile(r"ngay (\d{1,2}) thang (\d{1,2}) nam (\d{4})")
_YEAR = re.compile(r"(?:nam )?((?:19|20)\d\d)")


@dataclass(frozen=True, slots=True)
class Day:
    """A decision's day; ``year_only`` when the list gives only its year."""

    day: date
    year_only: bool = False


def read_day(value: Any, text: str) -> Day | None:
    """A decision day from a date cell, a date in words, or a year alone.

    A year alone ("2022", "Năm 2022") is read as 1 January of that year, and flagged: the
    certificate's 36 months then end no later than they really do, so the bot never
    calls a certificate valid after it has lapsed; the clerk corrects the day when known.
    """
    if isinstance(value, datetime):
        return Day(value.date())
    if isinstance(value, date):
        return Day(value)
    if isinstance(value, int | float) and 1900 <= value <= 2100 and float(value).is_integer():
        return Day(date(int(value), 1, 1), year_only=True)
    for pattern in _DATE_FORMATS:
        try:
            return Day(datetime.strptime(text, pattern).date())  # noqa: DTZ007 - a calendar day
        except ValueError:
            continue
    found = _DATE_IN_TEXT.search(text) or _DATE_IN_WORDS.search(words_key(text))
    if found:
        day, month, year = (int(part) for part in found.groups())
        try:
            return Day(date(year, month, day))
        except ValueError:
            return None
    only_year = _YEAR.fullmatch(words_key(text))
    return Day(date(int(only_year.group(1)), 1, 1), year_only=True) if only_year else None


_NUMBER_IN_DECISION = re.compile(r"(\d+[\w.\-]*/[\wĐđ\-/.]+)")


def read_decision_number(text: str) -> str:
    """The decision's number alone, when the cell also carries its date
    ("Số 125/QĐ-UBND ngày 12/5/2022" → "125/QĐ-UBND")."""
    found = _NUMBER_IN_DECISION.search(text)
    if found and ("ngay" in words_key(text) or text.lower().startswith("số")):
        return found.group(1).rstrip(".,;")
    return text


# A Ministry's decision: "…/QĐ-BNN-KTHT", "…/QĐ-BNNMT-…", or an issuer cell naming the Bộ.
_MINISTRY_NUMBER = re.compile(r"/\s*Q[ĐD]\s*-\s*BNN", re.IGNORECASE)
_MINISTRY_WORDS = frozenset({"bo", "trung uong", "tw", "bnn", "bnnmt", "central", "ministry"})


def decided_by_ministry(decision_number: str, issuer: str) -> bool:
    """Whether the row says the Ministry took the decision: its number is a Ministry's
    (``QĐ-BNN…``) or its issuer column names the Ministry or the central level."""
    key = words_key(issuer)
    return bool(_MINISTRY_NUMBER.search(decision_number)) or (
        key in _MINISTRY_WORDS or key.startswith(("bo ", "trung uong "))
    )


_NUMBERED = re.compile(r"(?:^|(?<=[\s;,:(]))(\d{1,2})\s*[.)]\s+")


def split_products(name: str) -> tuple[str, ...]:
    """The products one line names: "Dưa lưới (2 sản phẩm)" is two, "Dưa lưới – sản phẩm
    1" and "… 2"; "1. Nho sấy; 2. Mứt nho" is "Nho sấy" and "Mứt nho"; otherwise one."""
    folded = words_key(name)
    count = re.search(r"(\d{1,2}) san pham$", folded)
    if count and re.search(r"\(\s*\d{1,2}\s*sản phẩm\s*\)\s*$", name, re.IGNORECASE):
        total = int(count.group(1))
        base = re.sub(r"\s*\(\s*\d{1,2}\s*sản phẩm\s*\)\s*$", "", name, flags=re.IGNORECASE)
        if total >= 2:
            return tuple(f"{base} – sản phẩm {n}" for n in range(1, total + 1))
        return (base,)
    marks = list(_NUMBERED.finditer(name))
    numbers = [int(mark.group(1)) for mark in marks]
    if len(marks) >= 2 and numbers == list(range(1, len(marks) + 1)):
        prefix = name[: marks[0].start()].strip(" :;,(-–")
        parts = []
        for mark, following in zip(marks, [*marks[1:], None], strict=True):
            end = following.start() if following else len(name)
            part = name[mark.end() : end].strip(" ;,.)")
            parts.append(f"{prefix} {part}".strip() if prefix and part else part)
        if all(parts):
            return tuple(parts)
    return (name,)
