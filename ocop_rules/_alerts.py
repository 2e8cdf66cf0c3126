"""When to remind people: before certificate expiry and before a round's deadlines.

The 30-day notice is the legal one (QĐ 148/QĐ-TTg, Phụ lục II: written notice at least 30
days before expiry, confirmed); the other offsets are the bot's default, configurable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from ocop_rules._certificates import NOTICE_DAYS
from ocop_rules._source import QD148_2023, Source, Status

LEGAL_NOTICE_SOURCE = Source(QD148_2023, "Phụ lục II, thông báo hết hạn", Status.CONFIRMED)


@dataclass(frozen=True, slots=True)
class AlertSchedule:
    """Days before an event on which to remind; the legal notice offset cannot be removed."""

    certificate_expiry_days: tuple[int, ...] = (180, 90, NOTICE_DAYS, 7, 0)
    round_deadline_days: tuple[int, ...] = (7, 1)
    missing_items_days: int = 14
    legal_notice_days: int = NOTICE_DAYS

    def __post_init__(self) -> None:
        for offsets in (self.certificate_expiry_days, self.round_deadline_days):
            if any(days < 0 for days in offsets) or len(set(offsets)) != len(offsets):
                raise ValueError("offsets are distinct days ≥ 0")
        if self.legal_notice_days not in self.certificate_expiry_days:
            raise ValueError("the legal 30-day expiry notice cannot be left out")


ALERT_SCHEDULE = AlertSchedule()


@dataclass(frozen=True, slots=True)
class Reminder:
    """An expiry reminder: how many days before, the day it is due, and whether it is legal."""

    days_before: int
    due_on: date
    legal: bool


def expiry_reminders(
    expires_on: date, schedule: AlertSchedule = ALERT_SCHEDULE
) -> tuple[Reminder, ...]:
    """Every expiry reminder of a certificate, earliest first."""
    return tuple(
        Reminder(days, expires_on - timedelta(days=days), days == schedule.legal_notice_days)
        for days in sorted(schedule.certificate_expiry_days, reverse=True)
    )


def due_reminders(
    expires_on: date, today: date, schedule: AlertSchedule = ALERT_SCHEDULE
) -> tuple[Reminder, ...]:
    """The expiry reminders due exactly on ``today``."""
    return tuple(r for r in expiry_reminders(expires_on, schedule) if r.due_on == today)
