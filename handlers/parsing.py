"""Parsers for typed answers: yes/no, counts, percentages, dates and phone numbers.

Each returns the value or raises :class:`InvalidAnswerError` carrying a message id
(translated by the caller) that says in one short sentence what to type, with an example.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation

import phonenumbers

from handlers.i18n import N_
from handlers.textmatch import fold, words_key


class InvalidAnswerError(ValueError):
    """The answer cannot be used; ``message`` is a message id for the user."""

    def __init__(self, message: str, **values: object) -> None:
        super().__init__(message)
        self.message = message
        self.values = values


YES_WORDS = frozenset(
    {
        *("1", "co", "c", "yes", "y", "ok", "oke", "okay", "u", "uh", "um", "uhm", "dung"),
        *("roi", "da co", "co roi", "dong y", "vang", "duoc", "dung roi", "chac chan", "da"),
        *("co chu", "tat nhien", "dong y roi", "duoc roi", "ung"),
    }
)
NO_WORDS = frozenset(
    {
        *("2", "khong", "k", "ko", "kg", "kh", "no", "n", "chua", "khong co", "chua co"),
        *("khong dong y", "thoi", "khong muon", "khong phai", "sai"),
    }
)
# Polite words around an answer: "dạ có ạ", "vâng ạ", "đồng ý nhé" are "có".
_POLITE_BEFORE = ("da ", "vang ")
_ANSWERS = YES_WORDS | NO_WORDS
_POLITE_AFTER = (" a", " nhe", " nha", " nhe a", " a nhe", " roi a", " anh", " chi", " em")
_NUMBER = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*(%|phan tram|nguoi|lao dong)?\s*$")
_INTEGER = re.compile(r"^\s*(\d{1,7})\s*(nguoi|lao dong|ng)?\s*$")
_DATE = re.compile(r"^\s*(\d{1,2})\s*[/.\- ]\s*(\d{1,2})\s*[/.\- ]\s*(\d{2}|\d{4})\s*$")


def parse_yes_no(text: str, meant: Mapping[str, bool] | None = None) -> bool:
    """Read yes or no: "có", "co", "ok" → True; "không", "ko", "chưa" → False.

    "1" and "2" pick "Có" and "Không" where the channel shows them as a numbered list.
    ``meant``: what words mean for this question before the usual ones, where its wording
    turns them round ("chưa" is yes to "is it new, not yet on sale?").
    """
    key = _without_politeness(words_key(text))
    if meant is not None and key in meant:
        return meant[key]
    if key in YES_WORDS:
        return True
    if key in NO_WORDS:
        return False
    raise InvalidAnswerError(N_("Please answer “có” or “không”."))


def _without_politeness(key: str) -> str:
    """The answer inside polite words: "da co a" → "co", "vang a" → "vang"."""
    for word in _POLITE_AFTER:
        if key.endswith(word) and len(key) > len(word):
            key = key.removesuffix(word)
            break
    for word in _POLITE_BEFORE:
        if key.startswith(word) and key.removeprefix(word) in _ANSWERS:
            return key.removeprefix(word)
    return key


def parse_count(text: str, maximum: int = 1_000_000) -> int:
    """A whole number of people or things, e.g. "12" or "12 người"."""
    match = _INTEGER.match(fold(text))
    if match is None:
        raise InvalidAnswerError(N_("Please type a whole number in digits, for example: 12"))
    value = int(match.group(1))
    if value > maximum:
        raise InvalidAnswerError(N_("That number is too large. Please check it, for example: 12"))
    return value


def parse_percent(text: str) -> int:
    """A percentage from 0 to 100, e.g. "80", "80%" or "80 %" (decimals are rounded)."""
    match = _NUMBER.match(fold(text))
    if match is None or match.group(2) not in (None, "%", "phan tram"):
        raise InvalidAnswerError(N_("Please type the percentage in digits, for example: 80"))
    try:
        value = Decimal(match.group(1).replace(",", "."))
    except InvalidOperation:  # pragma: no cover - the pattern only admits digits
        raise InvalidAnswerError(
            N_("Please type the percentage in digits, for example: 80")
        ) from None
    if value > 100:
        raise InvalidAnswerError(N_("A percentage cannot be more than 100. For example: 80"))
    return int(value.to_integral_value())


def parse_date(text: str) -> date:
    """A day as dd/mm/yyyy, also with -, . or spaces, and two-digit years (20xx)."""
    match = _DATE.match(text)
    if match is None:
        raise InvalidAnswerError(
            N_("Please type the date as day/month/year, for example: 15/08/2026")
        )
    day, month, year = (int(part) for part in match.groups())
    if year < 100:
        year += 2000
    try:
        return date(year, month, day)
    except ValueError:
        raise InvalidAnswerError(N_("That date does not exist. For example: 15/08/2026")) from None


# The number types a Zalo account can be made with: a landline (and a 1900/1800 number)
# receives no Zalo message, so the OA's template notices could never reach it.
MOBILE_TYPES = frozenset(
    {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
)


def parse_phone(text: str) -> str:
    """A Vietnamese mobile phone number, returned in E.164 ("0912 345 678" →
    "+84912345678"); a landline is refused with a request for the mobile used for Zalo."""
    try:
        number = phonenumbers.parse(text, "VN")
    except phonenumbers.NumberParseException:
        raise InvalidAnswerError(
            N_("That is not a phone number. For example: 0912345678")
        ) from None
    if (
        not phonenumbers.is_valid_number(number)
        or phonenumbers.region_code_for_number(number) != "VN"
    ):
        raise InvalidAnswerError(
            N_("Please type a Vietnamese phone number, for example: 0912345678")
        )
    if phonenumbers.number_type(number) not in MOBILE_TYPES:
        raise InvalidAnswerError(
            N_(
                "That is not a mobile number: please type the mobile number you use for Zalo, "
                "for example: 0912345678"
            )
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
