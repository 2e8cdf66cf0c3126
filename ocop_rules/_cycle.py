"""The yearly cycle (6 steps) and a dossier's statuses with their allowed transitions.

Cycle: QĐ 148/QĐ-TTg, Phụ lục II (confirmed). The status graph is the bot's model of that
cycle, kept as a table so an admin page, a handler and the tests read the same edges.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum
from types import MappingProxyType

from ocop_rules._source import QD148_2023, Source, Status

CYCLE_SOURCE = Source(QD148_2023, "Phụ lục II, chu trình OCOP thường niên", Status.CONFIRMED)


class CycleStep(IntEnum):
    """The six steps of the annual OCOP cycle, numbered as in the decision."""

    PROMOTION = 1  # Tuyên truyền, hướng dẫn
    IDEA_REGISTRATION = 2  # Nhận đăng ký ý tưởng sản phẩm
    BUSINESS_PLAN = 3  # Nhận phương án/dự án sản xuất kinh doanh
    IMPLEMENTATION = 4  # Triển khai phương án/dự án
    EVALUATION = 5  # Đánh giá và phân hạng sản phẩm
    TRADE_PROMOTION = 6  # Xúc tiến thương mại


CYCLE_STEP_NAMES_VI: MappingProxyType[CycleStep, str] = MappingProxyType(
    {
        CycleStep.PROMOTION: "Tuyên truyền, hướng dẫn",
        CycleStep.IDEA_REGISTRATION: "Nhận đăng ký ý tưởng sản phẩm",
        CycleStep.BUSINESS_PLAN: "Nhận phương án, dự án sản xuất kinh doanh",
        CycleStep.IMPLEMENTATION: "Triển khai phương án, dự án",
        CycleStep.EVALUATION: "Đánh giá và phân hạng sản phẩm",
        CycleStep.TRADE_PROMOTION: "Xúc tiến thương mại",
    }
)


class DossierStatus(StrEnum):
    """Where a product's dossier stands."""

    IDEA_REGISTERED = "idea_registered"
    IDEA_RETURNED = "idea_returned"
    IDEA_ACCEPTED = "idea_accepted"
    BUSINESS_PLAN = "business_plan"
    IN_PREPARATION = "in_preparation"
    SUBMITTED_TO_COMMUNE = "submitted_to_commune"
    COMMUNE_ASSESSED = "commune_assessed"
    SUBMITTED_FOR_EVALUATION = "submitted_for_evaluation"
    RETURNED_FOR_COMPLETION = "returned_for_completion"  # QĐ 26 Điều 7.3.a
    SCORED = "scored"
    PROPOSED_TO_CENTRAL = "proposed_to_central"  # QĐ 26 Điều 7.3.e, 90 points or more
    CERTIFIED = "certified"
    NOT_CERTIFIED = "not_certified"
    EXPIRING = "expiring"
    RE_EVALUATION = "re_evaluation"
    EXPIRED = "expired"
    REVOKED = "revoked"
    WITHDRAWN = "withdrawn"


S = DossierStatus

# Statuses in which the producer may still withdraw (no decision taken yet).
OPEN_STATUSES = frozenset(
    {
        S.IDEA_REGISTERED,
        S.IDEA_RETURNED,
        S.IDEA_ACCEPTED,
        S.BUSINESS_PLAN,
        S.IN_PREPARATION,
        S.SUBMITTED_TO_COMMUNE,
        S.COMMUNE_ASSESSED,
        S.SUBMITTED_FOR_EVALUATION,
        S.RETURNED_FOR_COMPLETION,
        S.SCORED,
        S.PROPOSED_TO_CENTRAL,
    }
)

_EDGES: dict[DossierStatus, frozenset[DossierStatus]] = {
    S.IDEA_REGISTERED: frozenset({S.IDEA_ACCEPTED, S.IDEA_RETURNED}),
    S.IDEA_RETURNED: frozenset({S.IDEA_REGISTERED}),
    S.IDEA_ACCEPTED: frozenset({S.BUSINESS_PLAN, S.IN_PREPARATION}),
    S.BUSINESS_PLAN: frozenset({S.IN_PREPARATION}),
    # The commune may send a dossier back for fixes, and reopen its own assessment.
    S.IN_PREPARATION: frozenset({S.SUBMITTED_TO_COMMUNE}),
    S.SUBMITTED_TO_COMMUNE: frozenset({S.COMMUNE_ASSESSED, S.IN_PREPARATION}),
    S.COMMUNE_ASSESSED: frozenset({S.SUBMITTED_FOR_EVALUATION, S.SUBMITTED_TO_COMMUNE}),
    # The province's advisory body may ask the commune and producer to complete the dossier
    # (QĐ 26 Điều 7.3.a); it comes back to the same evaluation.
    S.SUBMITTED_FOR_EVALUATION: frozenset({S.SCORED, S.RETURNED_FOR_COMPLETION}),
    S.RETURNED_FOR_COMPLETION: frozenset({S.SUBMITTED_FOR_EVALUATION}),
    # A scored dossier may be forwarded to a higher level (QĐ 148) or, from 90 points, approved
    # and proposed to the ministry (QĐ 26 Điều 7.3.e), whose council scores it again.
    S.SCORED: frozenset(
        {S.CERTIFIED, S.NOT_CERTIFIED, S.SUBMITTED_FOR_EVALUATION, S.PROPOSED_TO_CENTRAL}
    ),
    S.PROPOSED_TO_CENTRAL: frozenset({S.SCORED, S.RETURNED_FOR_COMPLETION}),
    S.CERTIFIED: frozenset({S.EXPIRING, S.REVOKED}),
    S.EXPIRING: frozenset({S.RE_EVALUATION, S.EXPIRED, S.REVOKED}),
    S.NOT_CERTIFIED: frozenset(),
    S.RE_EVALUATION: frozenset(),
    S.EXPIRED: frozenset(),
    S.REVOKED: frozenset(),
    S.WITHDRAWN: frozenset(),
}

TRANSITIONS: MappingProxyType[DossierStatus, frozenset[DossierStatus]] = MappingProxyType(
    {
        status: targets | {S.WITHDRAWN} if status in OPEN_STATUSES else targets
        for status, targets in _EDGES.items()
    }
)

STEP_OF_STATUS: MappingProxyType[DossierStatus, CycleStep] = MappingProxyType(
    {
        S.IDEA_REGISTERED: CycleStep.IDEA_REGISTRATION,
        S.IDEA_RETURNED: CycleStep.IDEA_REGISTRATION,
        S.IDEA_ACCEPTED: CycleStep.IDEA_REGISTRATION,
        S.BUSINESS_PLAN: CycleStep.BUSINESS_PLAN,
        S.IN_PREPARATION: CycleStep.IMPLEMENTATION,
        S.SUBMITTED_TO_COMMUNE: CycleStep.EVALUATION,
        S.COMMUNE_ASSESSED: CycleStep.EVALUATION,
        S.SUBMITTED_FOR_EVALUATION: CycleStep.EVALUATION,
        S.RETURNED_FOR_COMPLETION: CycleStep.EVALUATION,
        S.SCORED: CycleStep.EVALUATION,
        S.PROPOSED_TO_CENTRAL: CycleStep.EVALUATION,
        S.NOT_CERTIFIED: CycleStep.EVALUATION,
        S.CERTIFIED: CycleStep.TRADE_PROMOTION,
        S.EXPIRING: CycleStep.TRADE_PROMOTION,
        S.RE_EVALUATION: CycleStep.EVALUATION,
        S.EXPIRED: CycleStep.TRADE_PROMOTION,
        S.REVOKED: CycleStep.TRADE_PROMOTION,
        S.WITHDRAWN: CycleStep.IDEA_REGISTRATION,
    }
)


# The statuses in which a dossier is in the commune's hands under QĐ 1489: from the
# producer's registration until the commune sends its proposal to the province.
COMMUNE_STEP_STATUSES = frozenset(
    {
        S.IDEA_REGISTERED,
        S.IDEA_ACCEPTED,
        S.BUSINESS_PLAN,
        S.IN_PREPARATION,
        S.SUBMITTED_TO_COMMUNE,
        S.COMMUNE_ASSESSED,
    }
)


def can_transition(current: DossierStatus, target: DossierStatus) -> bool:
    """Whether a dossier may move from ``current`` to ``target``."""
    return target in TRANSITIONS[current]


def next_statuses(current: DossierStatus) -> frozenset[DossierStatus]:
    """Every status a dossier may move to from ``current``."""
    return TRANSITIONS[current]


def is_final(status: DossierStatus) -> bool:
    """Whether nothing can follow ``status``."""
    return not TRANSITIONS[status]


def cycle_step(status: DossierStatus) -> CycleStep:
    """The cycle step a dossier in ``status`` is at."""
    return STEP_OF_STATUS[status]


def status_path(current: DossierStatus, target: DossierStatus) -> tuple[DossierStatus, ...] | None:
    """The shortest chain of allowed moves from ``current`` to ``target`` (excluding
    ``current``; empty when they are equal), or ``None`` when ``target`` cannot be reached.

    Withdrawal is never a step on the way: it ends a dossier.
    """
    paths: dict[DossierStatus, tuple[DossierStatus, ...]] = {current: ()}
    frontier = [current]
    while frontier:
        following = []
        for status in frontier:
            for nxt in sorted(TRANSITIONS[status] - {S.WITHDRAWN}):
                if nxt not in paths:
                    paths[nxt] = (*paths[status], nxt)
                    following.append(nxt)
        frontier = following
    return paths.get(target)
