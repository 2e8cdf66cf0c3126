"""Text that XML can hold, for the DOCX and XLSX writers.

XML 1.0 has no place for most control characters (NUL, ``\\x01``…), lone surrogates and
the non-characters U+FFFE and U+FFFF: python-docx and openpyxl raise on them, and one such
character in a name would make a whole document or export fail. Text entering the bot is
cleaned already (``bot/cleaning.py``); the writers still pass everything through here, so a
row stored before that cleaning, or typed into an admin form, cannot break them either.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, TypeVar, cast

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
T = TypeVar("T")


def xml_safe(text: str) -> str:
    """``text`` without the characters XML cannot hold (tab and line breaks stay)."""
    return text if text.isprintable() else _NOT_XML.sub("", text)


def xml_safe_all(value: T) -> T:
    """``value`` with every string in it made :func:`xml_safe`: through dataclasses,
    dicts, lists and tuples, so a document builder cleans its whole input in one call."""
    return cast(T, _scrub(value))


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return xml_safe(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {
            field.name: _scrub(getattr(value, field.name))
            for field in dataclasses.fields(value)
            if field.init
        }
        return dataclasses.replace(value, **changes)
    if isinstance(value, dict):
        return {key: _scrub(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub(item) for item in value]
    if isinstance(value, tuple) and type(value) is tuple:
        return tuple(_scrub(item) for item in value)
    return value
