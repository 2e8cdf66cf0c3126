"""Dates as people write them, in the reader's language."""

from __future__ import annotations

from datetime import date

from babel.dates import format_date


def format_day(day: date, locale: str) -> str:
    """A date as people write it: 05/01/2027 in Vietnamese, Jan 5, 2027 in English."""
    return format_date(day, "dd/MM/yyyy" if locale == "vi" else "medium", locale=locale)
