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
24/02/2023, QĐ 1489/2025 from 06/07/2025 (two-level local government), QĐ 26/2026 from
22/05/2026 (criteria, 26 scoring sheets, process, rounds). Functions whose answer changes
with the regime take the day as an argument; a dossier is judged by the day it was filed.
The scoring sheets are package data (``data/scoring_sheets.json``), read on first use.
"""

from ocop_rules._alerts import (
    ALERT_SCHEDULE,
    AlertSchedule,
    Reminder,
    due_reminders,
    expiry_reminders,
)
from ocop_rules._calendar import (
    HOLIDAYS,
    HolidayYear,
    RoundCalendar,
    RoundWindow,
    commune_deadline,
    is_working_day,
    round_windows,
    working_day,
)
from ocop_rules._certificates import (
    CERTIFICATE_SOURCE,
    CertificateState,
    ReevaluationWindow,
    RevocationGround,
    add_months,
    certificate_expiry,
    certificate_state,
    expiry_notice_applies,
    expiry_notice_deadline,
    extension_limit,
    reevaluation_decision_limit,
    reevaluation_window,
    revocation_deadline,
)
from ocop_rules._codes import product_code
from ocop_rules._commune import (
    COMMUNE_CRITERION_NAMES_VI,
    CommuneConclusion,
    CommuneCriterion,
    Guidance,
    IdeaOrigin,
    IdentityLevel,
    commune_guidance,
    sheet_criterion_code,
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
    DOSSIER_COPIES,
    REQUIREMENTS,
    REQUIREMENTS_QD148,
    Copies,
    DossierKind,
    Provider,
    Requirement,
    commune_bundle,
    dossier_requirements,
    requirement,
    transition_deadline,
)
from ocop_rules._groups import (
    GroupInfo,
    ProductGroup,
    Subgroup,
    product_groups,
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
    central_outcome,
    receiving_level,
    regime_for_dossier,
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
from ocop_rules._sets import (
    AGENCY_NAMES_VI,
    NHOM_INFO,
    PRODUCT_SETS,
    Agency,
    Nhom,
    NhomInfo,
    ProductSet,
    product_set,
    product_sets,
    product_sets_in,
    set_for_subgroup,
)
from ocop_rules._sheets import (
    Criterion,
    Heading,
    Option,
    ScoringSheet,
    SheetPart,
    SheetScore,
    score_sheet,
    scoring_sheet,
)
from ocop_rules._source import Source, Status
from ocop_rules._subjects import (
    SUBJECT_TYPE_NAMES_VI,
    Eligibility,
    SubjectType,
    subject_eligibility,
)

__all__ = [
    "AGENCY_NAMES_VI",
    "ALERT_SCHEDULE",
    "CERTIFICATE_SOURCE",
    "COMMUNE_CRITERION_NAMES_VI",
    "COMMUNE_STEP_STATUSES",
    "CYCLE_STEP_NAMES_VI",
    "DOSSIER_COPIES",
    "HOLIDAYS",
    "IDEA_FIELDS",
    "NHOM_INFO",
    "OPEN_STATUSES",
    "PRODUCT_SETS",
    "REQUIREMENTS",
    "REQUIREMENTS_QD148",
    "ROUTING",
    "SCORING_PARTS",
    "SUBJECT_TYPE_NAMES_VI",
    "TRANSITIONS",
    "Agency",
    "AlertSchedule",
    "CertificateState",
    "CommuneConclusion",
    "CommuneCriterion",
    "Copies",
    "CouncilResult",
    "Criterion",
    "CycleStep",
    "DossierKind",
    "DossierStatus",
    "Eligibility",
    "FieldType",
    "GroupInfo",
    "Guidance",
    "Heading",
    "HolidayYear",
    "IdeaField",
    "IdeaOrigin",
    "IdentityLevel",
    "Level",
    "Nhom",
    "NhomInfo",
    "Option",
    "PaperHeld",
    "ProductGroup",
    "ProductSet",
    "Provider",
    "ReevaluationWindow",
    "Regime",
    "Reminder",
    "Requirement",
    "RevocationGround",
    "RoundCalendar",
    "RoundWindow",
    "Routing",
    "ScoringPart",
    "ScoringSheet",
    "SheetPart",
    "SheetScore",
    "Source",
    "Status",
    "Subgroup",
    "SubjectType",
    "TargetMarket",
    "add_months",
    "can_transition",
    "central_outcome",
    "certificate_expiry",
    "certificate_state",
    "commune_bundle",
    "commune_deadline",
    "commune_guidance",
    "council_result",
    "cycle_step",
    "dossier_requirements",
    "due_reminders",
    "expiry_notice_applies",
    "expiry_notice_deadline",
    "expiry_reminders",
    "extension_limit",
    "idea_field",
    "is_certifiable",
    "is_final",
    "is_working_day",
    "next_statuses",
    "product_code",
    "product_groups",
    "product_set",
    "product_sets",
    "product_sets_in",
    "receiving_level",
    "reevaluation_decision_limit",
    "reevaluation_window",
    "regime_for_dossier",
    "regime_on",
    "requirement",
    "revocation_deadline",
    "round_windows",
    "route_score",
    "score_sheet",
    "scoring_sheet",
    "set_for_subgroup",
    "sheet_criterion_code",
    "stars_for_score",
    "status_path",
    "subgroup",
    "subject_eligibility",
    "transition_deadline",
    "working_day",
]
