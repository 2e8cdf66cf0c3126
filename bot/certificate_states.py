"""The one place the bot reads a certificate's state: for one certificate, as a column of any
certificate query (lists, filters, pagination), and as counts.

The rule is :func:`ocop_rules.lifecycle_state`; :func:`state_column` is the same rule as one
SQL ``CASE`` over the certificate's stored fact, its expiry (an indexed range from
:func:`ocop_rules.expiry_bounds`), its Điều 12.3 extension and an indexed lookup of an open
re-evaluation or upgrade dossier (``dossiers.certificate_id``). The bot, the admin pages, the
exports and the API all read the state from here, so a clerk, an officer and a producer see
the same word for the same certificate on the same day.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import ColumnElement, and_, case, exists, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Certificate, Dossier, Product, Subject
from ocop_rules import (
    OPEN_STATUSES,
    CertificateRecord,
    CertificateState,
    DossierKind,
    DossierStatus,
    FilingTiming,
    LifecycleState,
    expiry_bounds,
    extension_limit,
    is_final,
    lifecycle_state,
    reevaluation_filing,
)


def state_of(certificate: Certificate, *, renewal_open: bool, today: date) -> LifecycleState:
    """The state of one loaded certificate on ``today``."""
    return lifecycle_state(
        record=CertificateRecord(certificate.status),
        expires_on=certificate.expires_on,
        on=today,
        renewal_open=renewal_open,
        extended_until=certificate.extended_until,
    )


def start_extension(certificate: Certificate, *, kind: DossierKind, today: date) -> None:
    """Record the Điều 12.3 extension when a re-evaluation is filed late under it: a
    certificate whose window opened before QĐ 26 took effect stays valid until the province
    decides, at most 180 days after expiry (``ocop_rules.reevaluation_filing``). A filing in
    the window, an upgrade or a late filing the transition does not cover records nothing."""
    if kind is not DossierKind.RE_EVALUATION:
        return
    filing = reevaluation_filing(certificate.expires_on, today)
    if filing.timing is FilingTiming.LATE_EXTENDED:
        certificate.extended_until = filing.extended_until


def end_extension(certificate: Certificate, dossier: Dossier, *, today: date) -> None:
    """The extension lasts only until the re-evaluation is decided: once its dossier closes
    without a certificate, the old one is expired from ``today`` (a certificate issued
    instead supersedes it, which says the same everywhere)."""
    if certificate.extended_until is None or dossier.certificate_id != certificate.id:
        return
    status = DossierStatus(dossier.status)
    if is_final(status) and status is not DossierStatus.CERTIFIED:
        certificate.extended_until = min(certificate.extended_until, today - timedelta(days=1))


def renewal_open() -> ColumnElement[bool]:
    """A re-evaluation or upgrade dossier of the certificate is still open."""
    return exists(
        select(Dossier.id).where(
            Dossier.certificate_id == Certificate.id,
            Dossier.status.in_([status.value for status in OPEN_STATUSES]),
        )
    )


def _dated(state: CertificateState, today: date) -> ColumnElement[bool]:
    low, high = expiry_bounds(state, today)
    return and_(
        Certificate.expires_on >= low if low is not None else true(),
        Certificate.expires_on <= high if high is not None else true(),
    )


def state_column(today: date) -> ColumnElement[str]:
    """:func:`ocop_rules.lifecycle_state` on ``today`` as a column of a certificate query."""
    # The earliest expiry an extension can still cover today: 180 days back (Điều 12.3).
    covered_from = today - (extension_limit(today) - today)
    expired = _dated(CertificateState.EXPIRED, today)
    return case(
        (Certificate.status == CertificateRecord.REVOKED.value, LifecycleState.REVOKED.value),
        (Certificate.status == CertificateRecord.SUPERSEDED.value, LifecycleState.SUPERSEDED.value),
        (
            and_(
                expired,
                Certificate.extended_until >= today,
                Certificate.expires_on >= covered_from,
            ),
            LifecycleState.EXTENDED.value,
        ),
        (expired, LifecycleState.EXPIRED.value),
        (renewal_open(), LifecycleState.IN_RE_EVALUATION.value),
        (_dated(CertificateState.WINDOW_CLOSED, today), LifecycleState.WINDOW_CLOSED.value),
        (_dated(CertificateState.WINDOW_OPEN, today), LifecycleState.WINDOW_OPEN.value),
        else_=LifecycleState.VALID.value,
    )


async def count_states(
    session: AsyncSession, condition: ColumnElement[bool], today: date
) -> dict[LifecycleState, int]:
    """How many certificates matching ``condition`` (over certificates, their product and
    subject) are in each state on ``today``; every state is a key."""
    states = (
        select(state_column(today).label("state"))
        .select_from(Certificate)
        .join(Product, Product.id == Certificate.product_id)
        .join(Subject, Subject.id == Product.subject_id)
        .where(condition)
        .subquery()
    )
    rows = await session.execute(select(states.c.state, func.count()).group_by(states.c.state))
    counted = {str(row[0]): int(row[1]) for row in rows}
    return {state: counted.get(state.value, 0) for state in LifecycleState}
