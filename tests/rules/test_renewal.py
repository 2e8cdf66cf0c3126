"""When a re-evaluation may be filed (QĐ 26, Điều 7.6.a and 12.3), when an upgrade may be
registered (Điều 7.5), and what a renewal dossier's Mẫu 01 ticks."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from ocop_rules import (
    REGISTRATION_BOXES_VI,
    UPGRADE_RESULT_SOURCE,
    DossierKind,
    FilingTiming,
    Status,
    dossier_requirements,
    extension_applies,
    may_file_reevaluation,
    may_upgrade,
    reevaluation_filing,
    upgrade_certifies,
)

EXPIRES = date(2027, 12, 31)  # window 04/07/2027 – 02/09/2027
OLD = date(2026, 6, 30)  # its window opened 01/01/2026, before QĐ 26 took effect


@pytest.mark.parametrize(
    ("on", "timing"),
    [
        (date(2027, 7, 3), FilingTiming.TOO_EARLY),
        (date(2027, 7, 4), FilingTiming.OPEN),
        (date(2027, 9, 2), FilingTiming.OPEN),
        (date(2027, 9, 3), FilingTiming.LATE),
        (EXPIRES, FilingTiming.LATE),
        (EXPIRES + timedelta(days=1), FilingTiming.EXPIRED),
    ],
)
def test_the_window_is_180_to_120_days_before_expiry(on: date, timing: FilingTiming) -> None:
    filing = reevaluation_filing(EXPIRES, on)
    assert filing.timing is timing
    assert (filing.opens, filing.closes) == (date(2027, 7, 4), date(2027, 9, 2))
    assert filing.extended_until is None
    assert may_file_reevaluation(filing) is (timing is FilingTiming.OPEN)


def test_a_window_that_opened_before_qd26_may_still_be_filed_late_under_article_12_3() -> None:
    assert extension_applies(OLD)
    assert not extension_applies(EXPIRES)
    filing = reevaluation_filing(OLD, date(2026, 6, 1))
    assert filing.timing is FilingTiming.LATE_EXTENDED
    assert filing.extended_until == OLD + timedelta(days=180)
    assert may_file_reevaluation(filing)


def test_an_upgrade_needs_a_valid_certificate_below_five_stars() -> None:
    assert may_upgrade(4, EXPIRES, date(2026, 1, 1))
    assert not may_upgrade(5, EXPIRES, date(2026, 1, 1))
    assert not may_upgrade(3, EXPIRES, EXPIRES + timedelta(days=1))


@pytest.mark.parametrize(
    ("held", "result", "certifies"), [(3, 4, True), (3, 5, True), (4, 4, False), (4, 3, False)]
)
def test_an_upgrade_replaces_the_certificate_held_only_with_a_higher_star(
    held: int, result: int, certifies: bool
) -> None:
    assert upgrade_certifies(held, result) is certifies
    assert UPGRADE_RESULT_SOURCE.status is Status.UNCONFIRMED  # a reading, told as guidance


@pytest.mark.parametrize("kind", list(DossierKind))
def test_mau_01_of_a_renewal_names_the_box_it_ticks(kind: DossierKind) -> None:
    form = dossier_requirements(1, kind, date(2027, 7, 4))[0]
    assert form.code == "registration_form"
    ticked = f"đánh dấu ô “{REGISTRATION_BOXES_VI[kind]}”" in form.name_vi
    assert ticked is (kind is not DossierKind.NEW)


def test_a_reevaluation_asks_the_updated_report_and_the_papers_with_an_end_date() -> None:
    codes = [r.code for r in dossier_requirements(1, DossierKind.RE_EVALUATION, EXPIRES)]
    assert codes[:4] == ["registration_form", "subject_report", "three_year_report", "dated_papers"]
    report = dossier_requirements(1, DossierKind.RE_EVALUATION, EXPIRES)[2]
    for subject in (
        "nguyên liệu",
        "công nghệ",
        "bao bì",
        "nhãn mác",
        "công bố chất lượng",
        "kiểm nghiệm định kỳ",
        "thị trường",
        "sản lượng",
        "doanh thu",
    ):
        assert subject in report.name_vi
    assert "dated_papers" not in [
        r.code for r in dossier_requirements(1, DossierKind.UPGRADE, EXPIRES)
    ]
