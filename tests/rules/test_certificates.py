"""Certificate validity, notice deadline, state and expiry reminders."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocop_rules import (
    ALERT_SCHEDULE,
    AlertSchedule,
    CertificateState,
    add_months,
    certificate_expiry,
    certificate_state,
    due_reminders,
    expiry_notice_deadline,
    expiry_reminders,
)

issue_days = st.dates(min_value=date(2019, 1, 1), max_value=date(2060, 12, 31))


@pytest.mark.parametrize(
    ("issued", "expires"),
    [
        (date(2024, 1, 15), date(2027, 1, 15)),
        (date(2024, 2, 29), date(2027, 2, 28)),
        (date(2025, 8, 31), date(2028, 8, 31)),
        (date(2023, 12, 31), date(2026, 12, 31)),
    ],
)
def test_certificate_expires_36_months_on(issued: date, expires: date) -> None:
    assert certificate_expiry(issued) == expires


def test_add_months_clamps_to_month_end() -> None:
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2025, 3, 31), -1) == date(2025, 2, 28)
    assert add_months(date(2025, 12, 15), 1) == date(2026, 1, 15)


@given(issue_days)
def test_expiry_is_always_36_months_on_and_after_issue(issued: date) -> None:
    expires = certificate_expiry(issued)
    assert expires > issued
    months = (expires.year - issued.year) * 12 + expires.month - issued.month
    assert months == 36
    assert expires.day == issued.day or expires.day < issued.day  # month-end clamp only


def test_written_notice_is_due_30_days_before_expiry() -> None:
    assert expiry_notice_deadline(date(2027, 3, 1)) == date(2027, 1, 30)


@pytest.mark.parametrize(
    ("on", "state"),
    [
        (date(2024, 1, 15), CertificateState.VALID),
        (date(2026, 7, 15), CertificateState.VALID),  # exactly six months left
        (date(2026, 7, 16), CertificateState.EXPIRING),
        (date(2027, 1, 15), CertificateState.EXPIRING),  # the expiry day itself
        (date(2027, 1, 16), CertificateState.EXPIRED),
    ],
)
def test_certificate_state(on: date, state: CertificateState) -> None:
    assert certificate_state(date(2024, 1, 15), on) is state


def test_certificate_state_before_issue_is_refused() -> None:
    with pytest.raises(ValueError, match="not issued"):
        certificate_state(date(2024, 1, 15), date(2024, 1, 14))


def test_default_expiry_schedule() -> None:
    assert ALERT_SCHEDULE.certificate_expiry_days == (180, 90, 30, 7, 0)
    assert ALERT_SCHEDULE.round_deadline_days == (7, 1)
    reminders = expiry_reminders(date(2027, 1, 15))
    assert [r.days_before for r in reminders] == [180, 90, 30, 7, 0]
    assert [r.due_on for r in reminders] == [
        date(2026, 7, 19),
        date(2026, 10, 17),
        date(2026, 12, 16),
        date(2027, 1, 8),
        date(2027, 1, 15),
    ]
    assert [r.legal for r in reminders] == [False, False, True, False, False]


def test_due_reminders_on_a_day() -> None:
    expires = date(2027, 1, 15)
    assert [r.days_before for r in due_reminders(expires, date(2026, 12, 16))] == [30]
    assert due_reminders(expires, date(2026, 12, 17)) == ()
    assert [r.days_before for r in due_reminders(expires, expires)] == [0]


@given(issue_days, st.integers(min_value=-200, max_value=10))
def test_due_reminders_match_the_schedule(issued: date, offset: int) -> None:
    expires = certificate_expiry(issued)
    today = expires + timedelta(days=offset)
    due = due_reminders(expires, today)
    expected = [-offset] if -offset in ALERT_SCHEDULE.certificate_expiry_days else []
    assert [r.days_before for r in due] == expected


@pytest.mark.parametrize(
    "kwargs",
    [
        {"certificate_expiry_days": (90, 7)},
        {"certificate_expiry_days": (30, 30)},
        {"round_deadline_days": (-1,)},
    ],
)
def test_schedule_cannot_drop_the_legal_notice_or_hold_bad_offsets(
    kwargs: dict[str, tuple[int, ...]],
) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - two distinct messages
        AlertSchedule(**kwargs)  # type: ignore[arg-type]
