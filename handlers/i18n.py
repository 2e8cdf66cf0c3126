"""Translation helpers for handlers: message ids are English, catalogs give Vietnamese.

``N_`` marks a string for extraction without translating it (for tables built at import
time); the per-user translator is passed to handlers at run time, never installed globally.
"""

from __future__ import annotations

from typing import Protocol


def N_(message: str) -> str:  # noqa: N802 - the gettext convention
    """Mark ``message`` for the catalogs; translate it later with the user's translator."""
    return message


class Translator(Protocol):
    """What handlers need from a per-user translator."""

    locale: str

    def gettext(self, message: str) -> str:
        """Translate one message id."""
        ...
