"""Certificate validity: 36 months from issue, written notice 30 days before expiry.

Source: QĐ 148/QĐ-TTg, Phụ lục II (confirmed). A certificate is valid up to and including
its expiry day, which is the issue day 36 months on (the month's last day when that day does
not exist, e.g. 29/02/2024 → 28/02/2027).
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from enum import StrEnum

from ocop_rules._source import QD148_2023, Source, Status

VALIDITY_MONTHS = 36
NOTICE_DAYS = 30
EXPIRING_WITHIN_MONTHS = 6
CERTIFICATE_SOURCE = Source(QD148_2023, "Phụ lục II, hiệu lực giấy chứng nhận", Status.CONFIRMED)


class CertificateState(StrEnum):
    """Where a certificate stands on a given day."""

    VALID = "valid"
    EXPIRING = "expiring"
    EXPIRED = "expired"


def add_months(day: date, months: int) -> date:
    """``day`` moved by ``months`` calendar months, clamped to the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def certificate_expiry(issued_on: date) -> date:
    """The day a certificate issued on ``issued_on`` expires (36 months on)."""
    return add_months(issued_on, VALIDITY_MONTHS)


def expiry_notice_deadline(expires_on: date) -> date:
    """The last day the issuing body may send the written expiry notice (30 days before)."""
    return expires_on - timedelta(days=NOTICE_DAYS)


def certificate_state(issued_on: date, on: date) -> CertificateState:
    """Valid, expiring (under 6 months left) or expired on ``on``."""
    if on < issued_on:
        raise ValueError("the certificate is not issued yet on that day")
    expires_on = certificate_expiry(issued_on)
    if on > expires_on:
        return CertificateState.EXPIRED
    if add_months(on, EXPIRING_WITHIN_MONTHS) > expires_on:
        return CertificateState.EXPIRING
    return CertificateState.VALID
