"""When a certified product may file its re-evaluation, or register an upgrade.

Theory of operation
-------------------
A re-evaluation is filed no earlier than 180 and no later than 120 days before the
certificate's expiry (QĐ 26/2026/QĐ-TTg, Điều 7.6.a). Before the window there is nothing to
file yet; after it, a certificate simply lapses at expiry and the product needs a new
evaluation — except under the transition of Điều 12.3: a product due for re-evaluation
whose filing time could not meet Điều 7.6.a keeps its certificate until the authority
decides, at most 180 days after expiry. The bot reads "could not meet" as: the window had
already opened when QĐ 26 took effect (22/05/2026), so part of it fell under the old rules.
An upgrade (nâng hạng) has no window: the producer registers it whenever the product has
developed (Điều 7.5), while the certificate is valid. Its result gives a new certificate only
for a higher star than the one held: the decision does not say what a result of no more stars
does, and the bot reads the word itself — such a result is no upgrade, and the certificate
held stays (marked unconfirmed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from ocop_rules._certificates import extension_limit, reevaluation_window
from ocop_rules._regimes import QD26_START
from ocop_rules._source import QD26_2026, Source, Status

FILING_SOURCE = Source(QD26_2026, "Điều 7.6.a; Điều 12.3", Status.CONFIRMED)
UPGRADE_SOURCE = Source(QD26_2026, "Điều 7.5", Status.CONFIRMED)
UPGRADE_RESULT_SOURCE = Source(
    QD26_2026,
    "Điều 7.5",
    Status.UNCONFIRMED,
    "an upgrade's result is certified only for a higher star; a reading of the word",
)


class FilingTiming(StrEnum):
    """Where a day falls for filing a certificate's re-evaluation."""

    TOO_EARLY = "too_early"  # the window has not opened yet
    OPEN = "open"  # inside the 180–120 day window (Điều 7.6.a)
    LATE_EXTENDED = "late_extended"  # after the window, Điều 12.3 applies: may still file
    LATE = "late"  # after the window: the certificate lapses at expiry
    EXPIRED = "expired"  # past expiry: only a new evaluation


@dataclass(frozen=True, slots=True)
class Filing:
    """The timing of a re-evaluation on a day, with the dates that explain it."""

    timing: FilingTiming
    opens: date
    closes: date
    expires_on: date
    extended_until: date | None  # Điều 12.3's latest day, when it applies


def extension_applies(expires_on: date) -> bool:
    """Whether Điều 12.3 concerns the certificate: its filing window had opened before
    QĐ 26 took effect, so the new window could not be met in full."""
    return reevaluation_window(expires_on).opens < QD26_START


def reevaluation_filing(expires_on: date, on: date) -> Filing:
    """Whether the re-evaluation of a certificate expiring ``expires_on`` can be filed on
    ``on`` (QĐ 26, Điều 7.6.a and 12.3)."""
    window = reevaluation_window(expires_on)
    extended = extension_limit(expires_on) if extension_applies(expires_on) else None
    if on > expires_on:
        timing = FilingTiming.EXPIRED
    elif on > window.closes:
        timing = FilingTiming.LATE_EXTENDED if extended else FilingTiming.LATE
    elif on >= window.opens:
        timing = FilingTiming.OPEN
    else:
        timing = FilingTiming.TOO_EARLY
    return Filing(timing, window.opens, window.closes, expires_on, extended)


def may_file_reevaluation(filing: Filing) -> bool:
    """Whether a re-evaluation dossier may be opened with this timing."""
    return filing.timing in (FilingTiming.OPEN, FilingTiming.LATE_EXTENDED)


def upgrade_certifies(held_stars: int, stars: int) -> bool:
    """Whether an upgrade's result of ``stars`` replaces the certificate of ``held_stars``
    it upgrades: only a higher star does (:data:`UPGRADE_RESULT_SOURCE`); otherwise no new
    certificate is issued and the one held keeps its stars and its validity."""
    return stars > held_stars


def may_upgrade(stars: int, expires_on: date, on: date) -> bool:
    """Whether an upgrade (nâng hạng) may be registered: a valid certificate below 5★
    (Điều 7.5 sets no window)."""
    return stars < 5 and on <= expires_on
