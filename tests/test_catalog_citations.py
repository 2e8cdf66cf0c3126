"""What the catalogs let the bot say about the rules in force (QĐ 26/2026/QĐ-TTg): no
sentence names the lapsed decisions 148 or 1489, in any spelling, except one explaining a
certificate issued in their era, and no message the bot sends calls itself an official
notice (that was the issuing office's duty under QĐ 148, gone in QĐ 26)."""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po

from bot.i18n import catalog_path
from bot.settings import SUPPORTED_LOCALES

# "148/QĐ-TTg", "QĐ 148", "Quyết định số 148", "Decision 148", "1489", "QD148"…
LAPSED = re.compile(
    r"1489|\b148\s*/\s*Q|(?:quy[eế]t\s+[dđ][iị]nh|q[dđ]|decision)\s*(?:s[oố]\s*|no\.?\s*)?148\b",
    re.IGNORECASE,
)
OFFICIAL_NOTICE = re.compile(r"th[oô]ng\s+b[aá]o\s+ch[ií]nh\s+th[uứ]c|official\s+notice", re.I)
# Sentences that explain a certificate issued under QĐ 148 (its era's duties), by message id.
EXPLAINS_AN_OLD_CERTIFICATE: frozenset[str] = frozenset()


def _sentences(locale: str) -> list[tuple[str, str]]:
    """Every live entry of the catalog: its message id and its translation."""
    with open(catalog_path(locale), "rb") as source:
        catalog = read_po(source, locale=locale)
    return [
        (message.id, message.string)
        for message in catalog
        if isinstance(message.id, str) and message.id and isinstance(message.string, str)
    ]


@pytest.mark.parametrize(
    "text",
    [
        "148/QĐ-TTg",
        "148 / QD-TTg",
        "Quyết định 148",
        "quyet dinh so 148",
        "QĐ 148",
        "QD148",
        "Decision 148",
        "QĐ 1489/QĐ-TTg",
        "1489",
    ],
)
def test_every_spelling_of_the_lapsed_decisions_is_caught(text: str) -> None:
    assert LAPSED.search(f"Theo {text}, hồ sơ…")


@pytest.mark.parametrize("text", ["1480 ngày", "148 sản phẩm", "QĐ 26/2026/QĐ-TTg", "14.8"])
def test_other_numbers_are_not_taken_for_the_lapsed_decisions(text: str) -> None:
    assert not LAPSED.search(text)


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_no_sentence_names_decision_148_or_1489(locale: str) -> None:
    named = [
        message_id
        for message_id, string in _sentences(locale)
        if message_id not in EXPLAINS_AN_OLD_CERTIFICATE
        and (LAPSED.search(message_id) or LAPSED.search(string))
    ]
    assert named == []


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_no_message_calls_itself_an_official_notice(locale: str) -> None:
    official = [
        message_id
        for message_id, string in _sentences(locale)
        if OFFICIAL_NOTICE.search(message_id) or OFFICIAL_NOTICE.search(string)
    ]
    assert official == []
