"""Finding a product's set (bộ sản phẩm) from the words a producer types.

Theory of operation
-------------------
A producer knows their product as "mật ong", "nước mắm" or "rượu nếp", not as "bộ 4" or
"bộ 9" of QĐ 26/2026/QĐ-TTg. :data:`SET_WORDS` lists, for each of the 26 sets, the everyday
words (folded: lower case, no accents) that name its products. :func:`find_sets` looks for
them as whole words in the typed text; a longer phrase wins over the words inside it
("nước mắm" is set 9, not the "mắm" alone), so "cà phê" is never also "cá". The result is
short enough to confirm as a numbered list; the official names and everything else about a
set come from ``ocop_rules``. When nothing is found, the words may still name a whole
group ("thủ công", "du lịch"): :func:`group_named` says which.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from handlers.textmatch import words_key
from ocop_rules import ProductGroup

MAX_FOUND = 6  # a list a person reads on a phone before answering

SET_WORDS: Mapping[int, tuple[str, ...]] = MappingProxyType(
    {
        1: (
            "rau",
            "cu",
            "qua",
            "trai cay",
            "hoa qua",
            "cam",
            "buoi",
            "xoai",
            "nhan",
            "vai",
            "chuoi",
            "dua hau",
            "khoai",
            "bi",
            "hat tuoi",
            "rau cu qua",
        ),
        2: (
            "thit",
            "ca",
            "tom",
            "cua",
            "muc",
            "trung",
            "sua tuoi",
            "ga",
            "lon",
            "vit",
            "bo",
            "de",
            "thuy san",
            "hai san",
        ),
        3: ("gao", "lua", "ngo", "ngu coc", "nep", "dau xanh", "lac", "hat dieu", "gao lut"),
        4: ("mat ong", "mat", "mat mia", "mat hoa dua", "nong san"),
        5: ("do an nhanh", "an nhanh", "mi an lien", "banh mi", "pho an lien"),
        6: (
            "banh",
            "bun",
            "pho",
            "mien",
            "banh da",
            "banh trang",
            "banh chung",
            "banh gao",
            "bot gao",
            "com chay",
            "keo",
            "banh keo",
            "mi",
            "mi chu",
            "che bien",
            "che bien tu gao",
            "ngu coc che bien",
        ),
        7: (
            "mut",
            "say",
            "qua say",
            "hoa qua say",
            "trai cay say",
            "o mai",
            "dua muoi",
            "ca muoi",
            "kim chi",
            "tinh bot",
            "bot san",
            "mit say",
            "chuoi say",
            "hat rang",
            "che bien",
            "che bien tu rau",
        ),
        8: (
            "gio",
            "cha",
            "gio cha",
            "lap xuong",
            "nem",
            "thit kho",
            "kho bo",
            "bo kho",
            "ca kho",
            "tom kho",
            "muc kho",
            "ruoc",
            "cha bong",
            "cha ca",
            "sua chua",
            "pho mai",
            "trung muoi",
            "mat ong ngam",
            "thit hun khoi",
            "thit trau gac bep",
            "che bien",
            "che bien tu thit",
            "san pham tu mat ong",
        ),
        9: ("nuoc mam", "mam", "tuong", "xi dau", "nuoc tuong", "mam tom", "giam", "tuong ot"),
        10: ("muoi", "tieu", "hanh", "toi", "ot", "gia vi", "gung", "sa", "muoi ot"),
        11: (
            "che",
            "tra",
            "che xanh",
            "tra xanh",
            "che shan",
            "che shan tuyet",
            "che tan cuong",
            "tra shan tuyet",
            "che bup",
        ),
        12: (
            "tra hoa",
            "tra atiso",
            "atiso",
            "tra gung",
            "tra sen",
            "tra thao moc",
            "tra la",
            "tra hoa cuc",
            "tra tui loc",
            "tra tu thuc vat",
            "thuc vat",
        ),
        13: ("ca phe", "cafe", "ca cao", "cacao", "socola", "chocolate"),
        14: ("ruou", "ruou trang", "ruou gao", "ruou nep", "ruou ngo", "ruou san"),
        15: (
            "ruou",
            "ruou vang",
            "ruou ngam",
            "ruou trai cay",
            "ruou sim",
            "ruou mo",
            "bia",
            "ruou can",
            "do uong co con",
            "co con",
        ),
        16: ("nuoc khoang", "nuoc uong dong chai", "nuoc tinh khiet", "nuoc suoi"),
        17: (
            "nuoc ep",
            "nuoc trai cay",
            "siro",
            "si ro",
            "nuoc giai khat",
            "sua hat",
            "nuoc dua",
            "do uong khong con",
            "khong con",
        ),
        18: (
            "thuc pham chuc nang",
            "thuoc",
            "thuoc nam",
            "cao",
            "vien",
            "linh chi",
            "nam linh chi",
            "dong trung ha thao",
            "sam",
            "thuoc co truyen",
        ),
        19: ("my pham", "dau goi", "xa phong", "kem", "son", "sua tam", "duong da"),
        20: ("tinh dau", "duoc lieu", "nghe", "tinh bot nghe", "que", "hoi", "thao duoc"),
        21: (
            "may tre",
            "may",
            "tre",
            "coi",
            "go",
            "do go",
            "gom",
            "su",
            "gom su",
            "dan",
            "thu cong",
            "my nghe",
            "thu cong my nghe",
            "cham khac",
            "son mai",
            "non la",
            "chieu",
            "gio",
        ),
        22: (
            "vai",
            "lua",
            "tho cam",
            "det",
            "det may",
            "may mac",
            "quan ao",
            "khan",
            "theu",
            "ao dai",
        ),
        23: ("hoa", "hoa lan", "lan", "hoa dao", "hoa cuc", "hoa hong", "hoa tuoi"),
        24: ("cay canh", "bonsai", "cay mai", "cay dao", "quat", "cay the"),
        25: ("ca canh", "chim canh", "dong vat canh", "ga canh"),
        26: (
            "du lich",
            "homestay",
            "du lich cong dong",
            "du lich sinh thai",
            "diem du lich",
            "lang du lich",
            "trai nghiem",
        ),
    }
)

# Words that name a whole group rather than a set.
GROUP_WORDS: Mapping[str, ProductGroup] = MappingProxyType(
    {
        "thuc pham": ProductGroup.FOOD,
        "do an": ProductGroup.FOOD,
        "do uong": ProductGroup.DRINK,
        "nuoc uong": ProductGroup.DRINK,
        "duoc lieu": ProductGroup.HERBAL,
        "thao duoc": ProductGroup.HERBAL,
        "thu cong": ProductGroup.HANDICRAFT,
        "thu cong my nghe": ProductGroup.HANDICRAFT,
        "sinh vat canh": ProductGroup.ORNAMENTAL,
        "du lich": ProductGroup.TOURISM,
    }
)


def _spans(words: list[str], phrase: str) -> list[tuple[int, int]]:
    """Where ``phrase`` occurs in ``words`` as whole words: (start, end) word positions."""
    wanted = phrase.split()
    size = len(wanted)
    return [(i, i + size) for i in range(len(words) - size + 1) if words[i : i + size] == wanted]


def find_sets(text: str) -> tuple[int, ...]:
    """The sets whose words ``text`` contains, best covered first, at most :data:`MAX_FOUND`.

    A phrase found inside a longer phrase that was also found does not count, so a set
    is named by the most specific words typed.
    """
    words = words_key(text).split()
    hits = [
        (number, span)
        for number, phrases in SET_WORDS.items()
        for phrase in phrases
        for span in _spans(words, phrase)
    ]
    kept = [
        (number, (start, end))
        for number, (start, end) in hits
        if not any(
            other_start <= start and end <= other_end and (other_end - other_start) > end - start
            for _, (other_start, other_end) in hits
        )
    ]
    covered: dict[int, int] = {}
    for number, (start, end) in kept:
        covered[number] = max(covered.get(number, 0), end - start)
    ranked = sorted(covered, key=lambda number: (-covered[number], number))
    return tuple(ranked[:MAX_FOUND])


def group_named(text: str) -> ProductGroup | None:
    """The group ``text`` names as a whole ("thủ công", "du lịch"), if it names one."""
    return GROUP_WORDS.get(words_key(text))
