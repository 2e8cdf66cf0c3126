"""The cycle steps and the dossier status graph."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocop_rules import (
    COMMUNE_STEP_STATUSES,
    CYCLE_STEP_NAMES_VI,
    OPEN_STATUSES,
    TRANSITIONS,
    CycleStep,
    DossierStatus,
    can_transition,
    cycle_step,
    is_final,
    next_statuses,
    status_path,
)

S = DossierStatus


def _reachable(start: DossierStatus) -> set[DossierStatus]:
    seen, frontier = {start}, [start]
    while frontier:
        for target in next_statuses(frontier.pop()):
            if target not in seen:
                seen.add(target)
                frontier.append(target)
    return seen


def test_six_cycle_steps_with_official_names() -> None:
    assert [int(step) for step in CycleStep] == [1, 2, 3, 4, 5, 6]
    assert CYCLE_STEP_NAMES_VI[CycleStep.IDEA_REGISTRATION] == "Nhận đăng ký ý tưởng sản phẩm"
    assert set(CYCLE_STEP_NAMES_VI) == set(CycleStep)


def test_every_status_is_reachable_from_idea_registered() -> None:
    assert _reachable(S.IDEA_REGISTERED) == set(DossierStatus)


@given(st.sampled_from(list(DossierStatus)))
def test_every_status_has_a_step_and_a_transition_entry(status: DossierStatus) -> None:
    assert status in TRANSITIONS
    assert isinstance(cycle_step(status), CycleStep)
    assert status in _reachable(S.IDEA_REGISTERED)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.IDEA_REGISTERED, S.IDEA_ACCEPTED),
        (S.IDEA_REGISTERED, S.IDEA_RETURNED),
        (S.IDEA_ACCEPTED, S.BUSINESS_PLAN),
        (S.BUSINESS_PLAN, S.IN_PREPARATION),
        (S.IN_PREPARATION, S.SUBMITTED_TO_COMMUNE),
        (S.SUBMITTED_TO_COMMUNE, S.COMMUNE_ASSESSED),
        (S.SUBMITTED_TO_COMMUNE, S.IN_PREPARATION),
        (S.COMMUNE_ASSESSED, S.SUBMITTED_FOR_EVALUATION),
        (S.COMMUNE_ASSESSED, S.SUBMITTED_TO_COMMUNE),
        (S.SUBMITTED_FOR_EVALUATION, S.SCORED),
        # The province's advisory body asks for the dossier to be completed (QĐ 26 Điều 7.3.a),
        # and it comes back to the same evaluation.
        (S.SUBMITTED_FOR_EVALUATION, S.RETURNED_FOR_COMPLETION),
        (S.RETURNED_FOR_COMPLETION, S.SUBMITTED_FOR_EVALUATION),
        (S.SCORED, S.CERTIFIED),
        (S.SCORED, S.NOT_CERTIFIED),
        (S.SCORED, S.SUBMITTED_FOR_EVALUATION),  # forwarded to a higher level (QĐ 148)
        # From 90 points the province proposes the product to the central level (Điều 7.3.e),
        # whose council scores it again or asks for it to be completed.
        (S.SCORED, S.PROPOSED_TO_CENTRAL),
        (S.PROPOSED_TO_CENTRAL, S.SCORED),
        (S.PROPOSED_TO_CENTRAL, S.RETURNED_FOR_COMPLETION),
        (S.RETURNED_FOR_COMPLETION, S.WITHDRAWN),
        (S.PROPOSED_TO_CENTRAL, S.WITHDRAWN),
        (S.CERTIFIED, S.EXPIRING),
        (S.EXPIRING, S.RE_EVALUATION),
        (S.EXPIRING, S.EXPIRED),
    ],
)
def test_allowed_transitions(current: DossierStatus, target: DossierStatus) -> None:
    assert can_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.IDEA_REGISTERED, S.CERTIFIED),
        (S.SUBMITTED_FOR_EVALUATION, S.SUBMITTED_TO_COMMUNE),  # no reopening after submission
        (S.CERTIFIED, S.WITHDRAWN),
        (S.WITHDRAWN, S.IDEA_REGISTERED),
        (S.EXPIRED, S.CERTIFIED),
        # No certificate from the proposal itself: the central level scores first.
        (S.PROPOSED_TO_CENTRAL, S.CERTIFIED),
        (S.PROPOSED_TO_CENTRAL, S.NOT_CERTIFIED),
        (S.SUBMITTED_FOR_EVALUATION, S.PROPOSED_TO_CENTRAL),  # the province scores first
        # A dossier returned for completion goes back to its evaluation, not straight to a score
        # nor to the commune.
        (S.RETURNED_FOR_COMPLETION, S.SCORED),
        (S.RETURNED_FOR_COMPLETION, S.SUBMITTED_TO_COMMUNE),
        (S.RETURNED_FOR_COMPLETION, S.CERTIFIED),
    ],
)
def test_refused_transitions(current: DossierStatus, target: DossierStatus) -> None:
    assert not can_transition(current, target)


def test_withdrawal_from_every_open_state_only() -> None:
    for status in DossierStatus:
        assert can_transition(status, S.WITHDRAWN) is (status in OPEN_STATUSES)


def test_final_statuses() -> None:
    finals = {status for status in DossierStatus if is_final(status)}
    assert finals == {S.NOT_CERTIFIED, S.RE_EVALUATION, S.EXPIRED, S.REVOKED, S.WITHDRAWN}


def test_steps_of_statuses() -> None:
    assert cycle_step(S.IDEA_REGISTERED) is CycleStep.IDEA_REGISTRATION
    assert cycle_step(S.SUBMITTED_TO_COMMUNE) is CycleStep.EVALUATION
    assert cycle_step(S.CERTIFIED) is CycleStep.TRADE_PROMOTION


@pytest.mark.parametrize(
    ("current", "target", "expected"),
    [
        (S.IDEA_REGISTERED, S.IDEA_REGISTERED, ()),
        (
            S.IDEA_REGISTERED,
            S.SUBMITTED_TO_COMMUNE,
            (S.IDEA_ACCEPTED, S.IN_PREPARATION, S.SUBMITTED_TO_COMMUNE),
        ),
        (S.SUBMITTED_TO_COMMUNE, S.IN_PREPARATION, (S.IN_PREPARATION,)),
        (S.COMMUNE_ASSESSED, S.SUBMITTED_TO_COMMUNE, (S.SUBMITTED_TO_COMMUNE,)),
        (S.IN_PREPARATION, S.COMMUNE_ASSESSED, (S.SUBMITTED_TO_COMMUNE, S.COMMUNE_ASSESSED)),
        (S.SUBMITTED_FOR_EVALUATION, S.SUBMITTED_TO_COMMUNE, None),
        (S.SUBMITTED_FOR_EVALUATION, S.PROPOSED_TO_CENTRAL, (S.SCORED, S.PROPOSED_TO_CENTRAL)),
        (S.PROPOSED_TO_CENTRAL, S.CERTIFIED, (S.SCORED, S.CERTIFIED)),
        (
            S.RETURNED_FOR_COMPLETION,
            S.SCORED,
            (S.SUBMITTED_FOR_EVALUATION, S.SCORED),
        ),
        (S.IDEA_REGISTERED, S.WITHDRAWN, None),
        (S.EXPIRED, S.CERTIFIED, None),
    ],
)
def test_status_path(
    current: DossierStatus, target: DossierStatus, expected: tuple[DossierStatus, ...] | None
) -> None:
    assert status_path(current, target) == expected


@given(st.sampled_from(DossierStatus), st.sampled_from(DossierStatus))
def test_status_path_uses_allowed_moves_only(current: DossierStatus, target: DossierStatus) -> None:
    path = status_path(current, target)
    if path is None:
        return
    previous = current
    for status in path:
        assert can_transition(previous, status)
        previous = status
    assert previous == target


def test_commune_step_ends_when_the_proposal_goes_to_the_province() -> None:
    assert S.COMMUNE_ASSESSED in COMMUNE_STEP_STATUSES
    assert S.SUBMITTED_FOR_EVALUATION not in COMMUNE_STEP_STATUSES
    # Reopening the commune's assessment is possible exactly while the commune holds it.
    for status in DossierStatus:
        reopenable = can_transition(status, S.SUBMITTED_TO_COMMUNE) and status is S.COMMUNE_ASSESSED
        assert reopenable == (status is S.COMMUNE_ASSESSED)
