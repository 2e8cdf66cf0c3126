"""Where each product stands (/trangthai) and its certificates (/chungnhan).

Every rule behind these screens — the cycle step of a status, which papers are required,
how many samples (none for tourism services), the 36-month validity and the re-evaluation
window, what re-evaluation needs — comes from ``ocop_rules``; this module only words it.
"""

from __future__ import annotations

from datetime import date

from babel.numbers import format_decimal

from bot.messages import Option, Outbound, Reply
from handlers import renewal, returns
from handlers.certificate_words import STATE_LABELS
from handlers.dates import format_day
from handlers.i18n import N_
from handlers.payloads import PayloadKind, make
from handlers.ports import CertificateView, HandlerContext, StatusView
from ocop_rules import (
    CYCLE_STEP_NAMES_VI,
    EXTENSION_SOURCE,
    DossierKind,
    DossierStatus,
    LifecycleState,
    ProductGroup,
    Provider,
    cycle_step,
    dossier_requirements,
    expiry_notice_applies,
    expiry_notice_deadline,
    extension_limit,
    samples_for,
)

SELF_ASSESS = make(PayloadKind.FEATURE, "selfassess")  # the registry row of /tudanhgia
COMMUNE_CONCLUSIONS = {
    "met": N_("met the commune criteria"),
    "not_met": N_("did not meet the commune criteria"),
    "needs_more": N_("the commune asks for more papers"),
}


def _required_missing(view: StatusView) -> list[str]:
    states = {item.code: item.state for item in view.items}
    requirements = dossier_requirements(
        view.dossier.product_set or ProductGroup(view.dossier.group),
        DossierKind(view.dossier.kind),
        view.dossier.filed_on,
    )
    asked = [r for r in requirements if r.provider is Provider.SUBJECT and r.required]
    asked.sort(key=lambda r: not r.disqualifying)
    return [r.name_vi for r in asked if states.get(r.code, "pending") in ("pending", "missing")]


def samples_required(set_number: int | None, group: str) -> int:
    """How many samples go with the dossier (QĐ 26, Điều 6.2.d): the set's rule, or — for a
    product whose set is not known yet — the rule its group's sets share."""
    return samples_for(set_number if set_number is not None else ProductGroup(group))


def _next_step(view: StatusView, missing: list[str]) -> str:
    status = DossierStatus(view.dossier.status)
    if status in (DossierStatus.SUBMITTED_TO_COMMUNE,):
        return N_("Wait for the commune to check your dossier; the officer may contact you.")
    if status in (DossierStatus.COMMUNE_ASSESSED, DossierStatus.SUBMITTED_FOR_EVALUATION):
        if samples_required(view.dossier.product_set, view.dossier.group):
            return N_(
                "Wait for the provincial council to score the product; prepare {samples} samples."
            )
        return N_("Wait for the provincial council to score the product.")
    if status is DossierStatus.PROPOSED_TO_CENTRAL or (
        status is DossierStatus.SCORED and view.forwarded_to
    ):
        return N_("The province has proposed the product for the central evaluation; wait for it.")
    if status is DossierStatus.SCORED:
        return N_("Wait for the decision recognising the stars.")
    if status is DossierStatus.IDEA_RETURNED:
        return N_(
            "The commune returned your idea: contact the commune officer, then register "
            "it again with /dangky."
        )
    if missing:
        return N_("Prepare the missing papers with /hoso.")
    return N_("Your papers are ready: bring the dossier to the commune office (UBND xã).")


def status_screen(ctx: HandlerContext, views: list[StatusView]) -> list[Outbound]:
    """One message per product: step, progress, commune, round, result, next thing to do."""
    t = ctx.t
    if not views:
        return [
            Reply(t.gettext("You have no product yet. Register a product idea first with /dangky."))
        ]
    replies: list[Outbound] = []
    # Every option goes under the last message: on Zalo a typed number answers that list.
    options: list[Option] = []
    for view in views:
        step = cycle_step(DossierStatus(view.dossier.status))
        missing = _required_missing(view)
        done = sum(1 for item in view.items if item.state != "pending")
        lines = [
            f"{view.dossier.product_name} ({view.dossier.registration_code or '—'})"
            + renewal.kind_label(t, view.dossier.kind),
            t.gettext("Stage: step {number} of 6 — {name}").format(
                number=int(step), name=CYCLE_STEP_NAMES_VI[step]
            ),
            t.gettext(
                "Dossier: {done}/{total} papers answered, {missing} required still missing"
            ).format(done=done, total=len(view.items) or "—", missing=len(missing)),
        ]
        if view.commune_conclusion in COMMUNE_CONCLUSIONS:
            lines.append(
                t.gettext("Commune: {result}").format(
                    result=t.gettext(COMMUNE_CONCLUSIONS[view.commune_conclusion])
                )
            )
        else:
            lines.append(t.gettext("Commune: not assessed yet"))
        if view.round is not None:
            lines.append(
                t.gettext("Evaluation round: {name}, register by {deadline}").format(
                    name=view.round.name,
                    deadline=format_day(view.round.registration_deadline, ctx.language),
                )
            )
        if DossierStatus(view.dossier.status) is DossierStatus.PROPOSED_TO_CENTRAL:
            lines.append(t.gettext("Result: proposed by the province to the Ministry"))
        elif view.stars is not None:
            lines.append(t.gettext("Result: {stars} stars").format(stars=view.stars))
        action = t.gettext(_next_step(view, missing)).format(
            samples=samples_required(view.dossier.product_set, view.dossier.group)
        )
        returned = returns.is_returned(view.dossier, view.items)
        if returned:
            lines.append(t.gettext("The commune returned the dossier. What to fix:"))
            lines.extend(returns.reason_lines(t, view.items))
            action = t.gettext(
                "Answer the returned papers again with /hoso, then send the dossier back to the "
                "commune."
            )
        lines.append(t.gettext("Next: {action}").format(action=action))
        if returned and returns.all_changed(view.items):
            resend = returns.resend_option(t, view.dossier.dossier_id)
            options.append(_naming(resend, view.dossier.product_name, len(views)))
        replies.append(Reply("\n".join(lines)))
    if any(view.dossier.product_set is not None for view in views):
        # The sheet is known: the producer can score the product against it now.
        options.append(Option(t.gettext("Self-assessment against the scoring sheet"), SELF_ASSESS))
    return _under_the_last(replies, options)


def _naming(option: Option, product: str, shown: int) -> Option:
    """``option`` with its product's name when the screen shows several products."""
    return Option(f"{option.label} — {product}", option.payload) if shown > 1 else option


def _under_the_last(replies: list[Outbound], options: list[Option]) -> list[Outbound]:
    """``replies`` with ``options`` listed under the last one (the list a number answers)."""
    if not options:
        return replies
    last = replies[-1]
    assert isinstance(last, Reply)  # noqa: S101 - every screen message is a Reply
    return [*replies[:-1], Reply(last.text, tuple((option,) for option in options))]


def _reevaluation_papers(certificate: CertificateView, today: date) -> list[str]:
    requirements = dossier_requirements(
        ProductGroup(certificate.group), DossierKind.RE_EVALUATION, today
    )
    return [r.name_vi for r in requirements if r.provider is Provider.SUBJECT and r.required]


def certificate_screen(
    ctx: HandlerContext, certificates: list[CertificateView], today: date
) -> list[Outbound]:
    """Stars, number, authority, dates, days left, and re-evaluation papers when due."""
    t = ctx.t
    if not certificates:
        return [Reply(t.gettext("You have no OCOP certificate yet."))]
    replies: list[Outbound] = []
    options: list[Option] = []
    for cert in certificates:
        state = cert.state  # one state everywhere (bot.certificate_states)
        lines = [
            f"{cert.product_name}: {'★' * cert.stars}",
            t.gettext("Certificate no. {number}, issued by {authority}").format(
                number=cert.number or "—", authority=cert.issuing_authority
            ),
            t.gettext("Issued on {issued}, valid until {expires}").format(
                issued=format_day(cert.issued_on, ctx.language),
                expires=format_day(cert.expires_on, ctx.language),
            ),
            t.gettext("State: {state}").format(state=t.gettext(STATE_LABELS[state])),
        ]
        if state is LifecycleState.REVOKED:
            lines.append(t.gettext("This certificate has been revoked."))
        elif state is LifecycleState.SUPERSEDED:
            lines.append(
                t.gettext(
                    "This certificate was replaced by a newer one, issued after its "
                    "re-evaluation or upgrade."
                )
            )
        elif state is LifecycleState.EXPIRED:
            lines.append(t.gettext("This certificate has expired."))
            lines.extend(renewal.filing_lines(t, cert, today, ctx.language))
        elif state is LifecycleState.EXTENDED:
            lines.append(
                t.gettext(
                    "It stays valid until the re-evaluation decision, at the latest {day} "
                    "({source})."
                ).format(
                    day=format_day(extension_limit(cert.expires_on), ctx.language),
                    source=EXTENSION_SOURCE.citation,
                )
            )
        else:
            days = format_decimal((cert.expires_on - today).days, locale=ctx.language)
            lines.append(t.gettext("{days} days left").format(days=days))
            if cert.renewal_kind is None:
                lines.extend(renewal.filing_lines(t, cert, today, ctx.language))
        if state is LifecycleState.WINDOW_OPEN:
            lines.append(t.gettext("Prepare:"))
            lines.extend(f"• {name}" for name in _reevaluation_papers(cert, today))
        if state in (
            LifecycleState.WINDOW_OPEN,
            LifecycleState.WINDOW_CLOSED,
        ) and expiry_notice_applies(cert.issued_on):
            notice = expiry_notice_deadline(cert.expires_on)
            lines.append(
                t.gettext("The issuing office must notify you in writing by {day}.").format(
                    day=format_day(notice, ctx.language)
                )
            )
        options.extend(
            _naming(option, cert.product_name, len(certificates))
            for option in renewal.certificate_options(t, cert, today)
        )
        replies.append(Reply("\n".join(lines)))
    return _under_the_last(replies, options)


async def show_status(ctx: HandlerContext) -> list[Outbound]:
    """The /trangthai screen."""
    assert ctx.profile is not None  # noqa: S101 - the router asks for sign-up first
    today = ctx.now.astimezone(ctx.timezone).date()
    return status_screen(ctx, await ctx.store.statuses(ctx.profile.person_id, today))


async def show_certificates(ctx: HandlerContext) -> list[Outbound]:
    """The /chungnhan screen."""
    assert ctx.profile is not None  # noqa: S101 - the router asks for sign-up first
    today = ctx.now.astimezone(ctx.timezone).date()
    return certificate_screen(
        ctx, await ctx.store.certificates(ctx.profile.person_id, today), today
    )
