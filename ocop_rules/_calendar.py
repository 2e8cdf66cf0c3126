"""Working days, the commune's 15-working-day limit and the evaluation rounds of QĐ 26.

Theory of operation
-------------------
The commune has 15 working days from receiving a dossier to send its report and proposal
(QĐ 26/2026/QĐ-TTg, Điều 7.2). A working day is Monday to Friday, except the public
holidays and the days off the Government swaps in, plus the Saturdays it swaps out
(Bộ luật Lao động 2019, Điều 111–112, and each year's notice of the Government Office).
Those days are a data table for 2025–2027; a date outside it is refused rather than
guessed. Counting starts the day after receipt.

Rounds (Điều 5) are data too: the province evaluates at least twice a year, the ministry
twice; :func:`round_windows` gives the decision's dates, which a province replaces with its
own calendar (``dataclasses.replace``) when its plan sets other or extra rounds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from types import MappingProxyType

from ocop_rules._source import LABOUR_CODE_2019, QD26_2026, Source, Status

COMMUNE_WORKING_DAYS = 15
COMMUNE_LIMIT_SOURCE = Source(QD26_2026, "Điều 7.2", Status.CONFIRMED)
ROUNDS_SOURCE = Source(QD26_2026, "Điều 5", Status.CONFIRMED)
_SATURDAY = 5


@dataclass(frozen=True, slots=True)
class HolidayYear:
    """One year's weekdays off and swapped-in working Saturdays, with where they come from."""

    year: int
    days_off: frozenset[date]
    working_weekends: frozenset[date]
    source: Source

    def __post_init__(self) -> None:
        if any(day.year != self.year or day.weekday() >= _SATURDAY for day in self.days_off):
            raise ValueError(f"{self.year}: days off are weekdays of that year")
        if any(day.year != self.year or day.weekday() < _SATURDAY for day in self.working_weekends):
            raise ValueError(f"{self.year}: swapped working days are weekend days of that year")


def _days(year: int, *month_days: tuple[int, int]) -> frozenset[date]:
    return frozenset(date(year, month, day) for month, day in month_days)


HOLIDAYS: MappingProxyType[int, HolidayYear] = MappingProxyType(
    {
        2025: HolidayYear(
            2025,
            # 1/1; Tết 27–31/1; Giỗ Tổ 7/4; 30/4, 1/5 and 2/5 (swapped); Quốc khánh 1–2/9.
            _days(2025, (1, 1), (1, 27), (1, 28), (1, 29), (1, 30), (1, 31), (4, 7), (4, 30))
            | _days(2025, (5, 1), (5, 2), (9, 1), (9, 2)),
            _days(2025, (4, 26)),
            Source(LABOUR_CODE_2019, "notices of the Government for 2025", Status.CONFIRMED),
        ),
        2026: HolidayYear(
            2026,
            # 1/1 and 2/1 (swapped); Tết 16–20/2; Giỗ Tổ 26/4 (Sunday) → 27/4; 30/4; 1/5;
            # Quốc khánh 2/9 and the day before.
            _days(2026, (1, 1), (1, 2), (2, 16), (2, 17), (2, 18), (2, 19), (2, 20), (4, 27))
            | _days(2026, (4, 30), (5, 1), (9, 1), (9, 2)),
            _days(2026, (1, 10)),
            Source(
                LABOUR_CODE_2019,
                "VPCP 12729/VPCP-KGVX (Tết Dương lịch); Tết Âm lịch 14–22/2/2026",
                Status.CONFIRMED,
                "the day next to 2/9 is the statutory one; a swap decided later is not in",
            ),
        ),
        2027: HolidayYear(
            2027,
            # 1/1; Tết (mùng 1 on Saturday 6/2) 5/2 and 8–11/2 with the weekend's
            # compensation; Giỗ Tổ 16/4; 30/4; 1/5 (Saturday) → 3/5; Quốc khánh 2–3/9.
            _days(2027, (1, 1), (2, 5), (2, 8), (2, 9), (2, 10), (2, 11), (4, 16), (4, 30))
            | _days(2027, (5, 3), (9, 2), (9, 3)),
            frozenset(),
            Source(
                LABOUR_CODE_2019,
                "statutory days with weekend compensation",
                Status.UNCONFIRMED,
                "the Government's notices for 2027 may swap days",
            ),
        ),
    }
)


def is_working_day(day: date) -> bool:
    """Whether public offices work on ``day`` (Bộ luật Lao động 2019, Điều 111–112, and the
    Government's notices); ``ValueError`` outside the years of the table."""
    year = HOLIDAYS.get(day.year)
    if year is None:
        raise ValueError(f"no public-holiday table for {day.year}")
    if day in year.working_weekends:
        return True
    return day.weekday() < _SATURDAY and day not in year.days_off


def working_day(received_on: date, count: int) -> date:
    """The ``count``-th working day after ``received_on`` (counting starts the next day)."""
    if count < 1:
        raise ValueError("count working days from 1")
    day = received_on
    while count:
        day += timedelta(days=1)
        if is_working_day(day):
            count -= 1
    return day


def commune_deadline(received_on: date) -> date:
    """The last day of the commune's 15 working days from receipt (QĐ 26, Điều 7.2)."""
    return working_day(received_on, COMMUNE_WORKING_DAYS)


@dataclass(frozen=True, slots=True)
class RoundWindow:
    """One evaluation round: proposals are sent before one day, the round held before another."""

    number: int
    proposals_before: date
    held_before: date

    def __post_init__(self) -> None:
        if self.proposals_before >= self.held_before:
            raise ValueError("proposals come before the round")


@dataclass(frozen=True, slots=True)
class RoundCalendar:
    """A year's rounds: the province's (commune proposals) and the ministry's (province's)."""

    year: int
    province: tuple[RoundWindow, ...]
    ministry: tuple[RoundWindow, ...]
    source: Source = ROUNDS_SOURCE


def round_windows(year: int) -> RoundCalendar:
    """The rounds of ``year`` as the decision sets them (QĐ 26, Điều 5).

    Province: round 1 before 30/6 for proposals before 30/4, round 2 before 30/12 for
    proposals before 30/10. Ministry: round 1 before 30/9 for proposals before 30/7, round 2
    before 30/3 of the next year for proposals before 30/01 of that year.
    """
    return RoundCalendar(
        year,
        (
            RoundWindow(1, date(year, 4, 30), date(year, 6, 30)),
            RoundWindow(2, date(year, 10, 30), date(year, 12, 30)),
        ),
        (
            RoundWindow(1, date(year, 7, 30), date(year, 9, 30)),
            RoundWindow(2, date(year + 1, 1, 30), date(year + 1, 3, 30)),
        ),
    )
