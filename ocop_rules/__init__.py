"""The OCOP programme's rules, as pure data and functions.

Theory of operation
-------------------
Everything the bot states about the programme — star bands, who certifies, deadlines,
what a dossier needs, which statuses follow which — is answered here and nowhere else.
The module does no I/O, reads no clock and imports only the standard library: callers pass
dates in and get codes, numbers, dates and the official Vietnamese names of legal terms
back, never sentences for users (those live in the catalogs).

Rules are literal tables (tuples of frozen dataclasses, read-only mappings) so a correction
is a data change. Each rule carries a :class:`Source` naming the decision and annex and a
:class:`Status`: *confirmed* (quoted from the legal text), *practice* (provincial practice or
the superseded rule set) or *unconfirmed* (replaceable data, never stated as a hard rule).
``SOURCES.md`` beside this file lists them all.

The rule set in force depends on the day: QĐ 1048/2019 until 23/02/2023, QĐ 148/2023 from
24/02/2023, QĐ 1489/2025 from 06/07/2025 (two-level local government). Functions whose
answer changes with the regime take the day (or the regime) as an argument.
"""

from ocop_rules._alerts import (
    ALERT_SCHEDULE,
    AlertSchedule,
    Reminder,
    due_reminders,
    expiry_reminders,
)
from ocop_rules._certificates import (
    CertificateState,
    add_months,
    certificate_expiry,
    certificate_state,
    expiry_notice_deadline,
)
from ocop_rules._commune import (
    COMMUNE_CRITERION_NAMES_VI,
    CommuneConclusion,
    CommuneCriterion,
    Guidance,
    IdeaOrigin,
    IdentityLevel,
    commune_guidance,
    overall_conclusion,
)
from ocop_rules._cycle import (
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
from ocop_rules._dossier import (
    REQUIREMENTS,
    DossierKind,
    Provider,
    Requirement,
    dossier_requirements,
    requirement,
)
from ocop_rules._groups import (
    OFFICIAL_PRODUCT_SET_COUNT,
    PRODUCT_SETS,
    GroupInfo,
    ProductGroup,
    ProductSet,
    Subgroup,
    product_groups,
    product_set,
    subgroup,
)
from ocop_rules._idea import (
    IDEA_FIELDS,
    FieldType,
    IdeaField,
    PaperHeld,
    TargetMarket,
    idea_field,
)
from ocop_rules._regimes import (
    ROUTING,
    Level,
    Regime,
    Routing,
    receiving_level,
    regime_on,
    route_score,
)
from ocop_rules._scoring import (
    SCORING_PARTS,
    CouncilResult,
    ScoringPart,
    council_result,
    is_certifiable,
    stars_for_score,
)
from ocop_rules._source import Source, Status
from ocop_rules._subjects import (
    SUBJECT_TYPE_NAMES_VI,
    Eligibility,
    SubjectType,
    subject_eligibility,
)

__all__ = [
    "ALERT_SCHEDULE",
    "COMMUNE_CRITERION_NAMES_VI",
    "COMMUNE_STEP_STATUSES",
    "CYCLE_STEP_NAMES_VI",
    "IDEA_FIELDS",
    "OFFICIAL_PRODUCT_SET_COUNT",
    "OPEN_STATUSES",
    "PRODUCT_SETS",
    "REQUIREMENTS",
    "ROUTING",
    "SCORING_PARTS",
    "SUBJECT_TYPE_NAMES_VI",
    "TRANSITIONS",
    "AlertSchedule",
    "CertificateState",
    "CommuneConclusion",
    "CommuneCriterion",
    "CouncilResult",
    "CycleStep",
    "DossierKind",
    "DossierStatus",
    "Eligibility",
    "FieldType",
    "GroupInfo",
    "Guidance",
    "IdeaField",
    "IdeaOrigin",
    "IdentityLevel",
    "Level",
    "PaperHeld",
    "ProductGroup",
    "ProductSet",
    "Provider",
    "Regime",
    "Reminder",
    "Requirement",
    "Routing",
    "ScoringPart",
    "Source",
    "Status",
    "Subgroup",
    "SubjectType",
    "TargetMarket",
    "add_months",
    "can_transition",
    "certificate_expiry",
    "certificate_state",
    "commune_guidance",
    "council_result",
    "cycle_step",
    "dossier_requirements",
    "due_reminders",
    "expiry_notice_deadline",
    "expiry_reminders",
    "idea_field",
    "is_certifiable",
    "is_final",
    "next_statuses",
    "overall_conclusion",
    "product_groups",
    "product_set",
    "receiving_level",
    "regime_on",
    "requirement",
    "route_score",
    "stars_for_score",
    "status_path",
    "subgroup",
    "subject_eligibility",
]
