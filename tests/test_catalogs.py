"""Every message in the code is in both catalogs, translated and not fuzzy; no sentence writes
a rule's fact (an article of the decision, the sample count) that ``ocop_rules`` gives."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from bot.i18n import catalog_path, translator
from bot.messages import Channel
from bot.settings import SUPPORTED_LOCALES
from handlers.notices import CHANNEL_NAMES
from ocop_rules import product_set

REPO = Path(__file__).parents[1]


def _messages_in_code() -> set[str]:
    keywords = {**DEFAULT_KEYWORDS, "N_": None}
    found: set[str] = set()
    for package in ("bot", "handlers"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            REPO / package, method_map=[("**.py", "python")], keywords=keywords
        ):
            found.add(message if isinstance(message, str) else message[0])
    return found


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_catalog_is_complete_translated_and_not_fuzzy(locale: str) -> None:
    with open(catalog_path(locale), "rb") as source:
        catalog = read_po(source, locale=locale)
    entries = {message.id: message for message in catalog if message.id}
    in_code = _messages_in_code()
    assert len(in_code) > 50
    missing = sorted(in_code - set(entries))
    assert not missing, f"{locale}: missing from catalog: {missing[:5]}"
    for message_id in in_code:
        entry = entries[message_id]
        assert entry.string, f"{locale}: untranslated: {message_id!r}"
        assert not entry.fuzzy, f"{locale}: fuzzy: {message_id!r}"


def test_vietnamese_catalog_keeps_placeholders() -> None:
    with open(catalog_path("vi"), "rb") as source:
        catalog = read_po(source, locale="vi")
    for message in catalog:
        if message.id and "{" in message.id:
            names = {part.split("}")[0] for part in message.id.split("{")[1:]}
            for name in names:
                assert "{" + name + "}" in message.string, message.id


def test_translators_are_per_locale() -> None:
    assert translator("vi").gettext("Yes") == "Có"
    assert translator("en").gettext("Yes") == "Yes"
    with pytest.raises(ValueError, match="unsupported"):
        translator("fr")


def test_no_compiled_catalogs_are_committed() -> None:
    assert not list((REPO / "locales").rglob("*.mo"))


def test_every_channel_has_a_name_people_read() -> None:
    """A notice naming where someone signed in never shows a raw channel code."""
    vi = translator("vi")
    for channel in Channel:
        assert channel.value in CHANNEL_NAMES, channel
        assert "_" not in vi.gettext(CHANNEL_NAMES[channel.value]), channel


# An article written into a sentence ("Điều 7.6.a", "Article 12"): a citation is the rule's
# own Source, passed as a message parameter.
ARTICLE = re.compile(r"\b(?:điều|article)\s+\d", re.IGNORECASE)
# The sample count written out ("05 sản phẩm mẫu", "five units"): it is the set's own
# samples_required, passed as a message parameter.
SAMPLE_COUNT = product_set(1).samples_required
SAMPLES = re.compile(
    rf"(?:\b0?{SAMPLE_COUNT}\b|\bfive\b|\bnăm\b)\s+(?:\w+\s+){{0,2}}(?:units?|samples?|mẫu)\b",
    re.IGNORECASE,
)


@pytest.mark.parametrize(
    ("text", "caught"),
    [
        ("(QĐ 26, Điều 7.6.a)", True),
        ("(điều 12.3)", True),
        ("see Article 8", True),
        ("05 sản phẩm mẫu, đóng gói như khi bán", True),
        ("cần đủ 5 mẫu có nhãn", True),
        ("năm sản phẩm mẫu", True),
        ("Five units of the product", True),
        ("prepare 5 samples", True),
        ("({window_source})", False),
        ("{samples} sản phẩm mẫu", False),
        ("mới có 3 mẫu, các mẫu chưa dán nhãn", False),
        ("5 sao", False),
        ("năm 2025", False),
        ("Mẫu 03", False),
    ],
)
def test_a_written_article_or_sample_count_is_caught(text: str, caught: bool) -> None:
    assert bool(ARTICLE.search(text) or SAMPLES.search(text)) is caught


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_no_sentence_writes_an_article_or_the_sample_count(locale: str) -> None:
    """Articles and the sample count come from ocop_rules, so a change of the rules
    changes every sentence that states them."""
    with open(catalog_path(locale), "rb") as source:
        catalog = read_po(source, locale=locale)
    written = [
        message.id
        for message in catalog
        if isinstance(message.id, str)
        and message.id
        and any(
            pattern.search(text)
            for pattern in (ARTICLE, SAMPLES)
            for text in (message.id, str(message.string))
        )
    ]
    assert written == []


def test_the_vietnamese_catalog_calls_the_bot_minh_and_the_person_anh_chi() -> None:
    """One voice everywhere: the claim question said "bạn", the forwarded questions "Tôi"."""
    with open(catalog_path("vi"), "rb") as source:
        catalog = read_po(source, locale="vi")
    for message in catalog:
        text = message.string if isinstance(message.string, str) else " ".join(message.string)
        assert not re.search(r"\bbạn\b", text, re.IGNORECASE), message.id
        assert not re.search(r"(^|[.!?] )Tôi\b", text), message.id
