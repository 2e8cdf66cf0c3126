"""How a certificate's state and a revocation's ground are called, in every language: the
words of :class:`ocop_rules.LifecycleState` and :class:`ocop_rules.RevocationGround`, used by
/chungnhan, /xa, the notices, the admin pages and the exports alike."""

from __future__ import annotations

from types import MappingProxyType

from handlers.i18n import N_
from ocop_rules import LifecycleState, RevocationGround

STATE_LABELS: MappingProxyType[LifecycleState, str] = MappingProxyType(
    {
        LifecycleState.VALID: N_("valid"),
        LifecycleState.WINDOW_OPEN: N_("valid, re-evaluation window open"),
        LifecycleState.WINDOW_CLOSED: N_("valid, re-evaluation window closed"),
        LifecycleState.IN_RE_EVALUATION: N_("in re-evaluation"),
        LifecycleState.EXTENDED: N_("extended until the re-evaluation decision"),
        LifecycleState.EXPIRED: N_("expired"),
        LifecycleState.REVOKED: N_("revoked"),
        LifecycleState.SUPERSEDED: N_("replaced by a newer certificate"),
    }
)

# QĐ 26/2026/QĐ-TTg, Điều 8.1.a–e.
GROUND_LABELS: MappingProxyType[RevocationGround, str] = MappingProxyType(
    {
        RevocationGround.UNTRUTHFUL_DOSSIER: N_("untruthful information or a forged dossier"),
        RevocationGround.CRITERIA_NOT_MET: N_("the product no longer meets the criteria"),
        RevocationGround.LAW_VIOLATION: N_(
            "a violation on quality, food safety, environment, intellectual property or labels"
        ),
        RevocationGround.MARK_MISUSE: N_("the OCOP mark used against the rules"),
        RevocationGround.PRODUCTION_STOPPED: N_("the product is no longer produced"),
        RevocationGround.AUTHORITY_CONCLUSION: N_("another conclusion of a competent authority"),
    }
)
