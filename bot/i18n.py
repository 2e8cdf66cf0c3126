"""Per-user translators built from the gettext catalogs in ``locales/``.

Catalogs are compiled in memory from their ``.po`` source the first time a language is
used, so there is never a stale ``.mo`` beside its source. Nothing is installed globally:
each chat gets the translator of its own language.
"""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files
from io import BytesIO

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from bot.settings import SUPPORTED_LOCALES

DOMAIN = "messages"


def catalog_path(locale: str) -> str:
    """Where the ``.po`` file of ``locale`` is installed."""
    return str(files("locales") / locale / "LC_MESSAGES" / f"{DOMAIN}.po")


class CatalogTranslator:
    """A translator for one locale (implements ``handlers.i18n.Translator``)."""

    def __init__(self, locale: str, translations: Translations) -> None:
        self.locale = locale
        self._translations = translations

    def gettext(self, message: str) -> str:
        """Translate ``message``; an id missing from the catalog comes back unchanged."""
        return self._translations.gettext(message)


@lru_cache(maxsize=len(SUPPORTED_LOCALES))
def translator(locale: str) -> CatalogTranslator:
    """The translator of ``locale`` (one of :data:`SUPPORTED_LOCALES`), built once."""
    if locale not in SUPPORTED_LOCALES:
        raise ValueError(f"unsupported locale {locale!r}")
    with open(catalog_path(locale), "rb") as source:
        catalog = read_po(source, locale=locale)
    compiled = BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return CatalogTranslator(locale, Translations(compiled, domain=DOMAIN))
