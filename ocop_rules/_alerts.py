"""When to remind people: around a certificate's re-evaluation window, before a round's
proposal deadline, and during the commune's 15 working days.

Theory of operation
-------------------
Under QĐ 26 the producer must file a re-evaluation 180 to 120 days before expiry (Điều
7.6.a), so reminders follow that window: when it opens (180), midway (150), a week before
it closes (127), on its last day (120), and on the expiry day itself. Nobody owes a written
notice any more (QĐ 148's 30-day notice is gone), so no reminder is "legal". Round reminders
come 7 and 1 days before the commune-proposal deadline (Điều 5); the commune officer is
reminded on the 10th and 14th of its 15 working days (Điều 7.2). The offsets are the bot's
defaults, each checked to fall where the rule it serves says.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from ocop_rules._calendar import COMMUNE_WORKING_DAYS
from ocop_rules._certificates import WINDOW_CLOSES_DAYS, WINDOW_OPENS_DAYS


@dataclass(frozen=True, slots=True)
class AlertSchedule:
    """Days before an event on which to remind, and working days into the commune's limit."""

    certificate_expiry_days: tuple[int, ...] = (180, 150, 127, 120, 0)
    round_deadline_days: tuple[int, ...] = (7, 1)
    missing_items_days: int = 14
    commune_working_days: tuple[int, ...] = (10, 14)

    def __post_init__(self) -> None:
        for offsets in (self.certificate_expiry_days, self.round_deadline_days):
            if any(days < 0 for days in offsets) or len(set(offsets)) != len(offsets):
                raise ValueError("offsets are distinct days ≥ 0")
        if not any(
            WINDOW_CLOSES_DAYS <= days <= WINDOW_OPENS_DAYS for days in self.certificate_expiry_days
        ):
            raise ValueError("at least one expiry reminder falls in the re-evaluation window")
        if not all(1 <= day < COMMUNE_WORKING_DAYS for day in self.commune_working_days):
            raise ValueError("commune reminders fall inside its 15 working days")


ALERT_SCHEDULE = AlertSchedule()


@dataclass(frozen=True, slots=True)
class Reminder:
    """An expiry reminder: how many days before expiry, and the day it is due."""

    days_before: int
    due_on: date


def expiry_reminders(
    expires_on: date, schedule: AlertSchedule = ALERT_SCHEDULE
) -> tuple[Reminder, ...]:
    """Every expiry reminder of a certificate, earliest first."""
    return tuple(
        Reminder(days, expires_on - timedelta(days=days))
        for days in sorted(schedule.certificate_expiry_days, reverse=True)
    )


def due_reminders(
    expires_on: date, today: date, schedule: AlertSchedule = ALERT_SCHEDULE
) -> tuple[Reminder, ...]:
    """The expiry reminders due exactly on ``today``."""
    return tuple(r for r in expiry_reminders(expires_on, schedule) if r.due_on == today)
