"""Certificate validity, notice deadline, state and expiry reminders."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocop_rules import (
    ALERT_SCHEDULE,
    CARRYING_STATES,
    AlertSchedule,
    CertificateRecord,
    CertificateState,
    LifecycleState,
    RevocationGround,
    add_months,
    certificate_expiry,
    certificate_state,
    dates_state,
    due_reminders,
    expiry_bounds,
    expiry_notice_applies,
    expiry_notice_deadline,
    expiry_reminders,
    extension_limit,
    lifecycle_state,
    reevaluation_decision_limit,
    reevaluation_window,
    revocation_deadline,
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


def test_the_old_written_notice_was_due_30_days_before_expiry() -> None:
    assert expiry_notice_deadline(date(2027, 3, 1)) == date(2027, 1, 30)


@pytest.mark.parametrize(
    ("issued", "applies"),
    [
        (date(2023, 2, 23), False),
        (date(2023, 2, 24), True),
        (date(2026, 5, 21), True),
        (date(2026, 5, 22), False),
    ],
)
def test_the_written_notice_concerns_only_certificates_issued_under_qd148(
    issued: date, applies: bool
) -> None:
    assert expiry_notice_applies(issued) is applies


def test_reevaluation_is_filed_180_to_120_days_before_expiry() -> None:
    window = reevaluation_window(date(2027, 12, 31))
    assert (window.opens, window.closes) == (date(2027, 7, 4), date(2027, 9, 2))


def test_time_limits_of_reevaluation_extension_and_revocation() -> None:
    assert reevaluation_decision_limit(date(2026, 9, 1)) == date(2026, 10, 16)
    assert extension_limit(date(2026, 9, 1)) == date(2027, 2, 28)
    assert revocation_deadline(date(2026, 9, 1)) == date(2026, 9, 16)
    assert len(RevocationGround) == 6


@pytest.mark.parametrize(
    ("on", "state"),
    [
        (date(2024, 1, 15), CertificateState.VALID),
        (date(2026, 7, 18), CertificateState.VALID),  # the day before the window opens
        (date(2026, 7, 19), CertificateState.WINDOW_OPEN),  # 180 days before expiry
        (date(2026, 9, 17), CertificateState.WINDOW_OPEN),  # 120 days before: its last day
        (date(2026, 9, 18), CertificateState.WINDOW_CLOSED),
        (date(2027, 1, 15), CertificateState.WINDOW_CLOSED),  # the expiry day itself
        (date(2027, 1, 16), CertificateState.EXPIRED),
    ],
)
def test_certificate_state(on: date, state: CertificateState) -> None:
    assert certificate_state(date(2024, 1, 15), on) is state


def test_certificate_state_before_issue_is_refused() -> None:
    with pytest.raises(ValueError, match="not issued"):
        certificate_state(date(2024, 1, 15), date(2024, 1, 14))


def test_reminders_of_a_certificate_expiring_31_12_2027_follow_the_window() -> None:
    assert ALERT_SCHEDULE.round_deadline_days == (7, 1)
    assert ALERT_SCHEDULE.commune_working_days == (10, 14)
    reminders = expiry_reminders(date(2027, 12, 31))
    assert [r.days_before for r in reminders] == [180, 150, 127, 120, 0]
    assert [r.due_on for r in reminders] == [
        date(2027, 7, 4),
        date(2027, 8, 3),
        date(2027, 8, 26),
        date(2027, 9, 2),
        date(2027, 12, 31),
    ]


def test_due_reminders_on_a_day() -> None:
    expires = date(2027, 12, 31)
    assert [r.days_before for r in due_reminders(expires, date(2027, 8, 26))] == [127]
    assert due_reminders(expires, date(2027, 8, 27)) == ()
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
        {"certificate_expiry_days": (90, 7)},  # nothing inside the filing window
        {"certificate_expiry_days": (150, 150)},
        {"round_deadline_days": (-1,)},
        {"commune_working_days": (15,)},
    ],
)
def test_schedule_keeps_a_window_reminder_and_sane_offsets(
    kwargs: dict[str, tuple[int, ...]],
) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - distinct messages
        AlertSchedule(**kwargs)  # type: ignore[arg-type]


# -- the one state a certificate is shown in ----------------------------------------------

EXPIRY = date(2027, 12, 31)


@pytest.mark.parametrize(
    ("record", "on", "renewal", "extended", "state"),
    [
        (CertificateRecord.VALID, date(2027, 1, 1), False, None, LifecycleState.VALID),
        (CertificateRecord.VALID, date(2027, 7, 4), False, None, LifecycleState.WINDOW_OPEN),
        (CertificateRecord.VALID, date(2027, 10, 1), False, None, LifecycleState.WINDOW_CLOSED),
        (CertificateRecord.VALID, date(2027, 7, 4), True, None, LifecycleState.IN_RE_EVALUATION),
        (CertificateRecord.VALID, date(2028, 1, 1), True, None, LifecycleState.EXPIRED),
        (CertificateRecord.VALID, date(2028, 1, 1), False, None, LifecycleState.EXPIRED),
        (
            CertificateRecord.VALID,
            date(2028, 3, 1),
            True,
            date(2028, 6, 28),
            LifecycleState.EXTENDED,
        ),
        # past the recorded extension, or past 180 days whatever was recorded (Điều 12.3)
        (
            CertificateRecord.VALID,
            date(2028, 7, 1),
            True,
            date(2028, 6, 28),
            LifecycleState.EXPIRED,
        ),
        (
            CertificateRecord.VALID,
            date(2028, 6, 29),
            True,
            date(2029, 1, 1),
            LifecycleState.EXPIRED,
        ),
        (CertificateRecord.REVOKED, date(2027, 1, 1), True, None, LifecycleState.REVOKED),
        (CertificateRecord.SUPERSEDED, date(2027, 1, 1), False, None, LifecycleState.SUPERSEDED),
    ],
)
def test_lifecycle_state_combines_dates_and_records(
    record: CertificateRecord,
    on: date,
    renewal: bool,
    extended: date | None,
    state: LifecycleState,
) -> None:
    found = lifecycle_state(
        record=record, expires_on=EXPIRY, on=on, renewal_open=renewal, extended_until=extended
    )
    assert found is state
    assert (found in CARRYING_STATES) is (
        state not in {LifecycleState.EXPIRED, LifecycleState.REVOKED, LifecycleState.SUPERSEDED}
    )


@given(issue_days, st.integers(min_value=0, max_value=1500))
def test_expiry_bounds_turn_the_dates_state_round(issued: date, offset: int) -> None:
    on = issued + timedelta(days=offset)
    expires = certificate_expiry(issued)
    state = dates_state(expires, on)
    assert state is certificate_state(issued, on)
    low, high = expiry_bounds(state, on)
    assert low is None or low <= expires
    assert high is None or expires <= high
    for other in CertificateState:
        if other is not state:
            low, high = expiry_bounds(other, on)
            assert not ((low is None or low <= expires) and (high is None or expires <= high))
