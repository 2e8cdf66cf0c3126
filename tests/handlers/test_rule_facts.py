"""What the producer reads about a rule comes from ``ocop_rules``: the sample count is the
set's own, and a re-evaluation's dates cite the rule's own Source (QĐ 26/2026/QĐ-TTg)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.i18n import translator
from handlers.checklist import explanation
from handlers.ports import CertificateView, DossierView
from handlers.renewal import filing_lines
from ocop_rules import (
    EXTENSION_SOURCE,
    WINDOW_SOURCE,
    FilingTiming,
    LifecycleState,
    ProductGroup,
    Source,
    product_set,
    product_sets_in,
    reevaluation_filing,
)


def _dossier(product_set: int | None, group: str = "food") -> DossierView:
    return DossierView(
        dossier_id=1, product_name="Mật ong Xốp", registration_code=None, group=group,
        subgroup=None, kind="new", status="in_preparation", product_set=product_set,
        filed_on=date(2026, 9, 1),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("dossier", "samples"),
    [
        (_dossier(4), product_set(4).samples_required),  # honey
        (_dossier(None), product_sets_in(ProductGroup.FOOD)[0].samples_required),
    ],
)
def test_the_samples_paper_counts_the_samples_the_set_asks(
    dossier: DossierView, samples: int
) -> None:
    assert samples > 0
    vi = explanation(translator("vi"), dossier, "product_samples")
    en = explanation(translator("en"), dossier, "product_samples")
    assert vi == f"{samples} sản phẩm mẫu, đóng gói như khi bán."
    assert en == f"{samples} units of the product, packaged as sold."


def _certificate(expires_on: date) -> CertificateView:
    return CertificateView(
        product_name="Mật ong Xốp", group="food", subgroup=None, stars=4, number="1",
        issuing_authority="UBND tỉnh Quảng Ngãi", issued_on=date(expires_on.year - 3, 1, 1),
        expires_on=expires_on, status="valid", state=LifecycleState.VALID,
    )  # fmt: skip


# A certificate expiring 31/01/2028 (window 4/8–3/10/2027) and one expiring 14/01/2026,
# whose window opened before QĐ 26 took effect (Điều 12.3).
@pytest.mark.parametrize(
    ("expires_on", "today", "timing", "source"),
    [
        (date(2028, 1, 31), date(2027, 1, 1), FilingTiming.TOO_EARLY, WINDOW_SOURCE),
        (date(2028, 1, 31), date(2027, 9, 1), FilingTiming.OPEN, WINDOW_SOURCE),
        (date(2028, 1, 31), date(2027, 11, 1), FilingTiming.LATE, WINDOW_SOURCE),
        (date(2026, 1, 14), date(2025, 12, 1), FilingTiming.LATE_EXTENDED, EXTENSION_SOURCE),
    ],
)
@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_reevaluation_dates_cite_the_rules_own_source(
    expires_on: date, today: date, timing: FilingTiming, source: Source, language: str
) -> None:
    assert reevaluation_filing(expires_on, today).timing is timing
    [line] = filing_lines(translator(language), _certificate(expires_on), today, language)
    assert f"({source.citation})" in line
    assert source.citation == f"QĐ 26/2026/QĐ-TTg, {source.part}"
