"""QĐ 26/2026/QĐ-TTg: the 26 sets, their scoring sheets, scoring, working days, rounds, codes."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocop_rules import (
    AGENCY_NAMES_VI,
    HOLIDAYS,
    NHOM_INFO,
    Agency,
    Criterion,
    HolidayYear,
    Nhom,
    Option,
    ProductGroup,
    ProductSet,
    RoundWindow,
    ScoringSheet,
    SheetPart,
    Source,
    Status,
    commune_deadline,
    is_working_day,
    product_code,
    product_groups,
    product_set,
    product_sets,
    product_sets_in,
    round_windows,
    samples_for,
    score_sheet,
    scoring_sheet,
    set_for_subgroup,
    working_day,
)
from tests.rules.qd26_reading import SHARED_SHEETS, read_sheets

ALL_SETS = range(1, 27)


def _best(criterion: Criterion) -> int:
    if criterion.yes_no:
        return 1
    return max(range(len(criterion.options)), key=lambda i: criterion.options[i].points)


# --- the sets ----------------------------------------------------------------------------


def test_26_sets_in_17_nhom_under_6_groups() -> None:
    sets = product_sets()
    assert [s.number for s in sets] == list(ALL_SETS)
    assert len(Nhom) == 17
    assert {s.nhom for s in sets} == set(Nhom)
    assert {s.group for s in sets} == set(ProductGroup)
    assert [info.number for info in NHOM_INFO.values()][:3] == ["I.1", "I.2", "I.3"]


@pytest.mark.parametrize(
    ("number", "nhom", "agencies", "samples"),
    [
        (1, Nhom.FRESH_FOOD, (Agency.AGRICULTURE_ENVIRONMENT,), 5),
        (5, Nhom.PROCESSED_FOOD, (Agency.INDUSTRY_TRADE,), 5),
        (16, Nhom.NON_ALCOHOLIC, (Agency.HEALTH,), 5),
        (22, Nhom.TEXTILE, (Agency.INDUSTRY_TRADE,), 5),
        (
            26,
            Nhom.TOURISM,
            (Agency.CULTURE_SPORTS_TOURISM, Agency.AGRICULTURE_ENVIRONMENT),
            0,
        ),
    ],
)
def test_set_classification(
    number: int, nhom: Nhom, agencies: tuple[Agency, ...], samples: int
) -> None:
    found = product_set(number)
    assert (found.nhom, found.managing_agency, found.samples_required) == (nhom, agencies, samples)


@pytest.mark.parametrize(
    ("number", "name"),
    [
        (11, "Chè tươi, chế biến"),
        (11, "Chè tươi, chè chế biến"),
        (12, "Sản phẩm chè từ thực vật khác"),
        (13, "Cà phê, cacao"),
        (13, "cà phê,  ca cao"),
        (17, "Đồ uống không cồn"),
        (21, "Thủ công mỹ nghệ"),
    ],
)
def test_a_set_answers_to_both_annexes_wordings(number: int, name: str) -> None:
    assert product_set(number).named(name)
    assert not product_set(1).named(name)


def test_sets_of_a_group() -> None:
    assert [s.number for s in product_sets_in(ProductGroup.DRINK)] == [14, 15, 16, 17]
    assert [s.number for s in product_sets_in(ProductGroup.TOURISM)] == [26]


@pytest.mark.parametrize(
    ("code", "number"),
    [
        ("herbal.cosmetic", 19),
        ("handicraft.textile", 22),
        ("food.fresh", None),
        ("tourism.community_eco", 26),
    ],
)
def test_an_old_subgroup_decides_the_set_only_when_it_holds_one(
    code: str, number: int | None
) -> None:
    assert set_for_subgroup(code) == number


@pytest.mark.parametrize("group", ProductGroup)
def test_samples_of_a_product_whose_set_is_not_known_are_those_of_every_set_of_its_group(
    group: ProductGroup,
) -> None:
    shared = {s.samples_required for s in product_sets_in(group)}
    assert shared == {samples_for(group)}
    assert samples_for(group) == (0 if group is ProductGroup.TOURISM else 5)
    assert all(samples_for(s.number) == s.samples_required for s in product_sets_in(group))


SHARED_DECISION = SHARED_SHEETS.parent / "decision.json"
ROMAN = ("I", "II", "III", "IV", "V", "VI")


def test_the_26_sets_are_those_of_the_published_decision() -> None:
    """Number, names of both annexes, group, nhóm, managing agencies and samples of every
    set, against ``../shared/ocop/qd26/decision.json`` (Phụ lục I and II)."""
    if not SHARED_DECISION.exists():
        pytest.skip(f"the published decision is not beside the repository ({SHARED_DECISION})")
    published = json.loads(SHARED_DECISION.read_text(encoding="utf-8"))["sets"]
    group_of = {ROMAN[info.number - 1]: info.group for info in product_groups()}
    assert [raw["no"] for raw in published] == [s.number for s in product_sets()]
    for raw in published:
        found = product_set(raw["no"])
        assert found.name == raw["sheet_heading"], raw["no"]
        for name in (raw["name"], raw["sheet_heading"], raw["phan_nhom"]):
            assert name is None or found.named(name), (raw["no"], name)
        assert found.group is group_of[raw["nganh_code"]], raw["no"]
        assert (NHOM_INFO[found.nhom].number, NHOM_INFO[found.nhom].name_vi) == (
            raw["nhom_no"],
            raw["nhom"],
        ), raw["no"]
        agencies = "; ".join(AGENCY_NAMES_VI[agency] for agency in found.managing_agency)
        assert agencies == raw["managing_agency"], raw["no"]
        assert (found.samples_required > 0) is raw["samples_required"], raw["no"]


def test_set_invariants() -> None:
    with pytest.raises(ValueError, match="outside"):
        ProductSet(27, "x", "x", ProductGroup.FOOD, Nhom.TEA, (Agency.HEALTH,))
    with pytest.raises(ValueError, match="is not in"):
        ProductSet(1, "x", "x", ProductGroup.DRINK, Nhom.TEA, (Agency.HEALTH,))
    with pytest.raises(ValueError, match="managing agency"):
        ProductSet(1, "x", "x", ProductGroup.FOOD, Nhom.TEA, ())


# --- the sheets --------------------------------------------------------------------------


@pytest.mark.parametrize("number", ALL_SETS)
def test_every_sheet_sums_to_100_with_the_best_options(number: int) -> None:
    sheet = scoring_sheet(number)
    score = score_sheet(number, {c.code: _best(c) for c in sheet.criteria})
    assert score.total == 100
    assert dict(score.parts) == {SheetPart.A: 40, SheetPart.B: 25, SheetPart.C: 35}
    assert score.stars == 5
    assert all(not codes for codes in score.unmet_minimums.values())


def test_the_packaged_sheets_reproduce_the_published_ones() -> None:
    if not SHARED_SHEETS.exists():
        pytest.skip(f"the published sheets are not beside the repository ({SHARED_SHEETS})")
    published = read_sheets(json.loads(SHARED_SHEETS.read_text(encoding="utf-8")))["sets"]
    for raw in published:
        sheet = scoring_sheet(raw["number"])
        assert [c.code for c in sheet.criteria] == [c["code"] for c in raw["criteria"]]
        for criterion, expected in zip(sheet.criteria, raw["criteria"], strict=True):
            assert criterion.max_points == expected["max_points"]
            assert criterion.part == expected["part"]
            assert [(o.points, o.min_stars) for o in criterion.options] == [
                (o["points"], o["min_stars"]) for o in expected["options"]
            ]
            assert [o.label for o in criterion.options] == [o["label"] for o in expected["options"]]
        assert sheet.disqualifier == raw["disqualifier"]


def test_the_misprints_are_read_as_the_totals_require() -> None:
    assert scoring_sheet(4).criterion("7").options[2].points == 3
    assert scoring_sheet(11).criterion("6.1.1").options[1].points == 1
    assert scoring_sheet(23).criterion("9").max_points == 4
    assert scoring_sheet(3).criterion("5.1").options[4].min_stars == 4
    assert scoring_sheet(26).disqualifier is None


def test_marks_and_yes_no_criteria() -> None:
    sheet = scoring_sheet(1)
    bilingual = sheet.criterion("2.4")
    assert bilingual.yes_no
    assert (bilingual.points_for(0), bilingual.points_for(1)) == (0, 1)
    assert sheet.criterion("1.3").options[2].min_stars == 5
    assert "*" not in sheet.criterion("1.3").options[2].label
    with pytest.raises(KeyError):
        sheet.criterion("99")


def test_an_unanswered_criterion_scores_zero_and_misses_its_marks() -> None:
    score = score_sheet(1, {"1.1": 2})
    assert score.total == 3
    assert score.stars == 1
    assert "5.3" in score.unmet_minimums[3]  # 5.3's *** option (1 point) not reached
    assert "1.3" not in score.unmet_minimums[4]
    assert "1.3" in score.unmet_minimums[5]  # its mark is for 5★ only
    assert set(score.unmet_minimums[3]) <= set(score.unmet_minimums[4])


def test_a_higher_marked_option_meets_the_lower_levels_too() -> None:
    # 1.5 of set 1: **** on 2 points, ***** on 3 points.
    assert "1.5" not in score_sheet(1, {"1.5": 2}).unmet_minimums[4]
    assert "1.5" in score_sheet(1, {"1.5": 2}).unmet_minimums[5]
    assert "1.5" not in score_sheet(1, {"1.5": 3}).unmet_minimums[5]


@pytest.mark.parametrize(
    "answers",
    [{"9.9": 0}, {"1.1": 3}, {"1.1": -1}, {"2.4": 2}, {"1.1": True}, {"1.1": "1"}],
)
def test_score_sheet_refuses_unknown_codes_and_indexes(answers: dict[str, object]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - one message per case
        score_sheet(1, answers)  # type: ignore[arg-type]


@given(st.data())
def test_the_total_never_decreases_when_an_option_with_more_points_is_chosen(
    data: st.DataObject,
) -> None:
    number = data.draw(st.integers(min_value=1, max_value=26))
    sheet = scoring_sheet(number)
    answers = {
        c.code: data.draw(st.integers(min_value=0, max_value=max(len(c.options), 2) - 1))
        for c in sheet.criteria
    }
    criterion = data.draw(st.sampled_from(sheet.criteria))
    before = score_sheet(number, answers)
    for index in range(max(len(criterion.options), 2)):
        if criterion.points_for(index) > criterion.points_for(answers[criterion.code]):
            after = score_sheet(number, {**answers, criterion.code: index})
            assert after.total >= before.total
            assert after.stars >= before.stars


def test_sheet_invariants() -> None:
    with pytest.raises(ValueError, match="negative"):
        Option("x", Decimal(-1))
    with pytest.raises(ValueError, match="3, 4 or 5"):
        Option("x", Decimal(1), 2)
    with pytest.raises(ValueError, match="best option"):
        Criterion("1.1", "x", SheetPart.A, Decimal(3), (Option("x", Decimal(2)),))
    good = scoring_sheet(1)
    with pytest.raises(ValueError, match="twice"):
        ScoringSheet(1, "x", (*good.criteria, good.criteria[0]), (), None)
    with pytest.raises(ValueError, match="sums to"):
        ScoringSheet(1, "x", good.criteria[1:], (), None)


# --- working days and rounds -------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "deadline"),
    [
        (date(2026, 6, 1), date(2026, 6, 22)),  # three plain weeks
        (date(2026, 4, 20), date(2026, 5, 14)),  # 27/4, 30/4 and 1/5 off
        (date(2026, 2, 9), date(2026, 3, 9)),  # Tết 16–20/2
        (date(2025, 12, 29), date(2026, 1, 20)),  # 1–2/1 off, Saturday 10/1 worked
    ],
)
def test_the_commune_has_15_working_days(received: date, deadline: date) -> None:
    assert commune_deadline(received) == deadline


def test_working_days() -> None:
    assert is_working_day(date(2025, 4, 26))  # a swapped Saturday
    assert not is_working_day(date(2025, 9, 2))
    assert not is_working_day(date(2027, 5, 1))
    assert working_day(date(2026, 6, 5), 1) == date(2026, 6, 8)
    with pytest.raises(ValueError, match="no public-holiday table"):
        is_working_day(date(2028, 1, 3))
    with pytest.raises(ValueError, match="from 1"):
        working_day(date(2026, 6, 5), 0)
    assert HOLIDAYS[2027].source.status is Status.UNCONFIRMED


def test_holiday_table_invariants() -> None:
    source = Source("x", "y", Status.CONFIRMED)
    with pytest.raises(ValueError, match="weekdays"):
        HolidayYear(2026, frozenset({date(2026, 6, 6)}), frozenset(), source)
    with pytest.raises(ValueError, match="weekend"):
        HolidayYear(2026, frozenset(), frozenset({date(2026, 6, 5)}), source)


def test_rounds_of_a_year() -> None:
    rounds = round_windows(2026)
    assert [(w.proposals_before, w.held_before) for w in rounds.province] == [
        (date(2026, 4, 30), date(2026, 6, 30)),
        (date(2026, 10, 30), date(2026, 12, 30)),
    ]
    assert [(w.proposals_before, w.held_before) for w in rounds.ministry] == [
        (date(2026, 7, 30), date(2026, 9, 30)),
        (date(2027, 1, 30), date(2027, 3, 30)),
    ]
    with pytest.raises(ValueError, match="before the round"):
        RoundWindow(3, date(2026, 7, 1), date(2026, 7, 1))


# --- product code ------------------------------------------------------------------------


def test_product_code() -> None:
    assert product_code("01", "00004", 3, 2026) == "01-00004-3-2026"


@pytest.mark.parametrize(
    ("province", "commune", "serial", "year"),
    [
        ("1", "00004", 1, 2026),
        ("01", "4", 1, 2026),
        ("01", "00004", 0, 2026),
        ("01", "00004", 1, 26),
    ],
)
def test_product_code_refuses_bad_parts(
    province: str, commune: str, serial: int, year: int
) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - one message per part
        product_code(province, commune, serial, year)
