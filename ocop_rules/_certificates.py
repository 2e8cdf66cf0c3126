"""Certificate validity, the re-evaluation window, revocation, and the old expiry notice.

Theory of operation
-------------------
A certificate for 3★ and up is valid 36 months from issue (QĐ 26/2026/QĐ-TTg, Điều 4.3;
the same under QĐ 148): up to and including its expiry day, the issue day 36 months on
(the month's last day when that day does not exist, e.g. 29/02/2024 → 28/02/2027).

Under QĐ 26 the producer who wants it re-evaluated files no earlier than 180 and no later
than 120 days before expiry (Điều 7.6.a); the province decides within 45 days of the
complete file (Điều 7.6.g). The dates give a certificate's state — valid, window open,
window closed, expired; revocation, replacement and the Điều 12.3 extension are facts of
the records, not of the calendar. QĐ 148's written notice 30 days before expiry was a duty
of the issuing office that QĐ 26 does not keep.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from ocop_rules._regimes import QD26_START
from ocop_rules._source import QD26_2026, QD148_2023, Source, Status

VALIDITY_MONTHS = 36
NOTICE_DAYS = 30
WINDOW_OPENS_DAYS = 180
WINDOW_CLOSES_DAYS = 120
REEVALUATION_DECISION_DAYS = 45
EXTENSION_DAYS = 180
REVOCATION_DAYS = 15
QD148_START = date(2023, 2, 24)

CERTIFICATE_SOURCE = Source(QD26_2026, "Điều 4.3", Status.CONFIRMED)
WINDOW_SOURCE = Source(QD26_2026, "Điều 7.6.a", Status.CONFIRMED)
DECISION_LIMIT_SOURCE = Source(QD26_2026, "Điều 7.6.g", Status.CONFIRMED)
EXTENSION_SOURCE = Source(QD26_2026, "Điều 12.3", Status.CONFIRMED)
REVOCATION_SOURCE = Source(QD26_2026, "Điều 8", Status.CONFIRMED)
NOTICE_SOURCE = Source(
    QD148_2023, "Phụ lục II, thông báo hết hạn", Status.CONFIRMED, "not in QĐ 26"
)


class CertificateState(StrEnum):
    """Where a certificate stands on a day, from its dates alone."""

    VALID = "valid"
    WINDOW_OPEN = "window_open"  # the re-evaluation may be filed
    WINDOW_CLOSED = "window_closed"  # too late to file; still valid until expiry
    EXPIRED = "expired"


class RevocationGround(StrEnum):
    """The six grounds of revocation (QĐ 26, Điều 8.1.a–e)."""

    UNTRUTHFUL_DOSSIER = "untruthful_dossier"  # a) thông tin không trung thực, giả mạo hồ sơ
    CRITERIA_NOT_MET = "criteria_not_met"  # b) không còn đáp ứng Bộ tiêu chí
    LAW_VIOLATION = "law_violation"  # c) vi phạm chất lượng, ATTP, môi trường, SHTT, nhãn
    MARK_MISUSE = "mark_misuse"  # d) sử dụng nhãn hiệu OCOP không đúng quy định
    PRODUCTION_STOPPED = "production_stopped"  # đ) không còn sản xuất sản phẩm
    AUTHORITY_CONCLUSION = "authority_conclusion"  # e) kết luận khác của cơ quan có thẩm quyền


@dataclass(frozen=True, slots=True)
class ReevaluationWindow:
    """The days a re-evaluation may be filed, both included (Điều 7.6.a)."""

    opens: date
    closes: date


def add_months(day: date, months: int) -> date:
    """``day`` moved by ``months`` calendar months, clamped to the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def certificate_expiry(issued_on: date) -> date:
    """The day a certificate issued on ``issued_on`` expires: 36 months on (Điều 4.3)."""
    return add_months(issued_on, VALIDITY_MONTHS)


def reevaluation_window(expires_on: date) -> ReevaluationWindow:
    """Filing opens 180 and closes 120 days before expiry (QĐ 26, Điều 7.6.a)."""
    return ReevaluationWindow(
        expires_on - timedelta(days=WINDOW_OPENS_DAYS),
        expires_on - timedelta(days=WINDOW_CLOSES_DAYS),
    )


def reevaluation_decision_limit(complete_on: date) -> date:
    """The last day of the 45 for a re-evaluation from the complete file (Điều 7.6.g)."""
    return complete_on + timedelta(days=REEVALUATION_DECISION_DAYS)


def extension_limit(expires_on: date) -> date:
    """The latest day a certificate whose re-evaluation could not meet the window stays valid
    while the authority decides (QĐ 26, Điều 12.3: at most 180 days after expiry)."""
    return expires_on + timedelta(days=EXTENSION_DAYS)


def revocation_deadline(concluded_on: date) -> date:
    """The day a revocation must be decided by: 15 days from the authority's conclusion or the
    commune's confirmation that production stopped (Điều 8.4)."""
    return concluded_on + timedelta(days=REVOCATION_DAYS)


def expiry_notice_applies(issued_on: date) -> bool:
    """Whether QĐ 148's 30-day written expiry notice concerns a certificate: only one issued
    while QĐ 148 (as amended by QĐ 1489) was the rule, 24/02/2023 – 21/05/2026."""
    return QD148_START <= issued_on < QD26_START


def expiry_notice_deadline(expires_on: date) -> date:
    """The last day the issuing office had to send the written expiry notice (30 days before).

    A duty of QĐ 148/QĐ-TTg, Phụ lục II, for certificates issued under it only (see
    :func:`expiry_notice_applies`); QĐ 26 has no such notice — the producer's filing window
    (:func:`reevaluation_window`) replaces it.
    """
    return expires_on - timedelta(days=NOTICE_DAYS)


def certificate_state(issued_on: date, on: date) -> CertificateState:
    """Valid, re-evaluation window open, window closed, or expired on ``on`` (Điều 4.3, 7.6.a)."""
    if on < issued_on:
        raise ValueError("the certificate is not issued yet on that day")
    expires_on = certificate_expiry(issued_on)
    window = reevaluation_window(expires_on)
    if on > expires_on:
        return CertificateState.EXPIRED
    if on > window.closes:
        return CertificateState.WINDOW_CLOSED
    if on >= window.opens:
        return CertificateState.WINDOW_OPEN
    return CertificateState.VALID


class CertificateRecord(StrEnum):
    """What the records say of a certificate (the stored ``status``): valid, or ended by a
    decision — revoked (Điều 8) or superseded by the certificate of its re-evaluation or
    upgrade. Expired, window open and the rest follow from the dates and are never stored."""

    VALID = "valid"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"


class LifecycleState(StrEnum):
    """The one state a certificate is shown in, everywhere: the dates' state
    (:class:`CertificateState`) combined with the record's facts."""

    VALID = "valid"
    WINDOW_OPEN = "window_open"
    WINDOW_CLOSED = "window_closed"
    IN_RE_EVALUATION = "in_re_evaluation"  # a re-evaluation or upgrade dossier is open
    EXTENDED = "extended"  # Điều 12.3: past expiry, kept until the decision (≤ 180 days)
    EXPIRED = "expired"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"


# The states still carrying the stars on their day (the rest no longer do).
CARRYING_STATES = frozenset(
    {
        LifecycleState.VALID,
        LifecycleState.WINDOW_OPEN,
        LifecycleState.WINDOW_CLOSED,
        LifecycleState.IN_RE_EVALUATION,
        LifecycleState.EXTENDED,
    }
)


def expiry_bounds(state: CertificateState, on: date) -> tuple[date | None, date | None]:
    """The expiry days, both included (None: unbounded), that give ``state`` on ``on`` —
    :func:`certificate_state` turned round, so a database can select a state by an indexed
    range on the expiry date (Điều 4.3, 7.6.a)."""
    closes_from = on + timedelta(days=WINDOW_CLOSES_DAYS)
    opens_until = on + timedelta(days=WINDOW_OPENS_DAYS)
    bounds = {
        CertificateState.EXPIRED: (None, on - timedelta(days=1)),
        CertificateState.WINDOW_CLOSED: (on, closes_from - timedelta(days=1)),
        CertificateState.WINDOW_OPEN: (closes_from, opens_until),
        CertificateState.VALID: (opens_until + timedelta(days=1), None),
    }
    return bounds[state]


def dates_state(expires_on: date, on: date) -> CertificateState:
    """The dates' state of a certificate expiring on ``expires_on`` (its recorded expiry, which
    an imported certificate may carry from an older decision)."""
    window = reevaluation_window(expires_on)
    if on > expires_on:
        return CertificateState.EXPIRED
    if on > window.closes:
        return CertificateState.WINDOW_CLOSED
    if on >= window.opens:
        return CertificateState.WINDOW_OPEN
    return CertificateState.VALID


def lifecycle_state(
    *,
    record: CertificateRecord,
    expires_on: date,
    on: date,
    renewal_open: bool,
    extended_until: date | None,
) -> LifecycleState:
    """The state of a certificate on ``on``.

    A revoked (Điều 8) or superseded certificate is that, whatever its dates. Past expiry it
    is extended while a recorded Điều 12.3 extension lasts (capped at 180 days after expiry),
    else expired — an open re-evaluation keeps no stars past expiry by itself. Before expiry
    an open re-evaluation or upgrade dossier makes it "in re-evaluation"; otherwise its dates
    say valid, window open or window closed (Điều 4.3, 7.6.a).
    """
    if record is CertificateRecord.REVOKED:
        return LifecycleState.REVOKED
    if record is CertificateRecord.SUPERSEDED:
        return LifecycleState.SUPERSEDED
    dated = dates_state(expires_on, on)
    if dated is CertificateState.EXPIRED:
        if extended_until is not None and on <= min(extended_until, extension_limit(expires_on)):
            return LifecycleState.EXTENDED
        return LifecycleState.EXPIRED
    if renewal_open:
        return LifecycleState.IN_RE_EVALUATION
    return LifecycleState(dated.value)
