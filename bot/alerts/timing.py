"""When alerts go out: the hour planned alerts are due, quiet hours and the grace window."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from ocop_rules import ALERT_SCHEDULE, AlertSchedule

SEND_AT = time(8, 0)  # planned alerts are due at 08:00 local time on their day
_SPAN = re.compile(r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})")


@dataclass(frozen=True, slots=True)
class QuietHours:
    """A nightly span in local time during which nothing is sent (delayed, never dropped)."""

    start: time = time(21, 0)
    end: time = time(7, 0)

    @classmethod
    def parse(cls, text: str) -> QuietHours:
        """ "21:00-07:00" → QuietHours(21:00, 07:00)."""
        match = _SPAN.fullmatch(text.strip())
        if match is None:
            raise ValueError(f"quiet hours look like 21:00-07:00, not {text!r}")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        return cls(time(h1, m1), time(h2, m2))

    def contains(self, moment: datetime, timezone: tzinfo) -> bool:
        """Whether ``moment`` falls in the quiet span."""
        local = moment.astimezone(timezone).time()
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end


@dataclass(frozen=True, slots=True)
class AlertConfig:
    """Everything that decides when and how fast alerts are sent."""

    timezone: tzinfo = field(default_factory=lambda: ZoneInfo("Asia/Ho_Chi_Minh"))
    schedule: AlertSchedule = ALERT_SCHEDULE
    quiet: QuietHours = QuietHours()
    grace: timedelta = timedelta(days=2)
    max_attempts: int = 5
    send_rate: float = 29.0  # messages per second overall (Telegram allows about 30)
    per_chat_interval: float = 1.0  # seconds between two messages to one chat
    lease: timedelta = timedelta(minutes=5)
    digest_after_days: int = 7

    def local_day(self, moment: datetime) -> date:
        """The local calendar day of ``moment``."""
        return moment.astimezone(self.timezone).date()

    def due_at(self, day: date) -> datetime:
        """The moment an alert planned for ``day`` becomes due (08:00 local, in UTC)."""
        return datetime.combine(day, SEND_AT, self.timezone).astimezone(UTC)

    def backoff(self, attempts: int) -> timedelta:
        """Wait before retry number ``attempts`` + 1: 10 s, 20 s, 40 s… at most one hour."""
        return min(timedelta(seconds=10 * 2 ** max(attempts - 1, 0)), timedelta(hours=1))
