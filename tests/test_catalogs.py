"""Every message in the code is in both catalogs, translated and not fuzzy."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from bot.i18n import catalog_path, translator
from bot.messages import Channel
from bot.settings import SUPPORTED_LOCALES
from handlers.notices import CHANNEL_NAMES

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
