"""Re-evaluation and upgrade dossiers: opened from /chungnhan or the window's reminder.

A certified product is re-evaluated when its certificate nears expiry — filed with the
commune 180 to 120 days before (QĐ 26, Điều 7.6.a) — or upgraded (nâng hạng) to a higher
star whenever it has developed (Điều 7.5). Either is a dossier linked to the certificate it
would replace; its checklist is the decision's list for that kind (Mẫu 01 with its box
ticked; for a re-evaluation Mẫu 02 updated and the papers that have an end date; for an
upgrade the changes since recognition), and it goes commune → province like a first
dossier. Outside the window this module says plainly what applies instead; every date and
rule comes from ``ocop_rules``.

Options carry ``d:<action>:<certificate id>``; the id is never trusted: the store opens a
dossier only for the person's own valid certificate.
"""

from __future__ import annotations

from datetime import date

from bot.messages import Option, Reply
from handlers import checklist
from handlers.conversation import State, Turn
from handlers.dates import format_day
from handlers.i18n import Translator
from handlers.payloads import PayloadKind, make
from handlers.ports import CertificateView, HandlerContext
from ocop_rules import (
    EXTENSION_SOURCE,
    REGISTRATION_BOXES_VI,
    WINDOW_SOURCE,
    DossierKind,
    FilingTiming,
    may_file_reevaluation,
    may_upgrade,
    reevaluation_filing,
)

RENEW, UPGRADE = "renew", "upgrade"
KIND_OF_ACTION = {RENEW: DossierKind.RE_EVALUATION, UPGRADE: DossierKind.UPGRADE}
KIND_LABELS = checklist.KIND_LABELS


def renew_payload(certificate_id: int) -> str:
    """The payload that opens the re-evaluation dossier of a certificate."""
    return make(PayloadKind.DOSSIER, RENEW, certificate_id)


def kind_label(t: Translator, kind: str) -> str:
    """ " (re-evaluation)" after a product's name for a renewal dossier; "" for a first one."""
    label = KIND_LABELS.get(DossierKind(kind))
    return f" — {t.gettext(label)}" if label else ""


def filing_lines(t: Translator, cert: CertificateView, today: date, language: str) -> list[str]:
    """When the re-evaluation may be filed, with its dates, and what applies outside the
    window (QĐ 26, Điều 7.6.a; Điều 12.3 where it applies)."""
    filing = reevaluation_filing(cert.expires_on, today)
    days = {
        "opens": format_day(filing.opens, language),
        "closes": format_day(filing.closes, language),
        "expires": format_day(filing.expires_on, language),
        "until": format_day(filing.extended_until, language) if filing.extended_until else "",
        "window_source": WINDOW_SOURCE.citation,
        "extension_source": EXTENSION_SOURCE.citation,
    }
    match filing.timing:
        case FilingTiming.TOO_EARLY:
            text = t.gettext(
                "Its re-evaluation is filed with the commune from {opens} to {closes} "
                "({window_source}); it cannot be filed before {opens}."
            )
        case FilingTiming.OPEN:
            text = t.gettext(
                "The re-evaluation window is open: file the dossier with the commune from "
                "{opens} to {closes} at the latest ({window_source})."
            )
        case FilingTiming.LATE_EXTENDED:
            text = t.gettext(
                "The re-evaluation window closed on {closes}, but as it opened before QĐ 26 "
                "took effect you can still file: the certificate then stays valid until the "
                "province decides, at most until {until} ({extension_source})."
            )
        case FilingTiming.LATE:
            text = t.gettext(
                "The re-evaluation window closed on {closes} ({window_source}). The "
                "certificate lapses on {expires}; after that the product needs a new "
                "evaluation, registered with /dangky."
            )
        case FilingTiming.EXPIRED:
            text = t.gettext(
                "To be OCOP again, the product needs a new evaluation: register it with /dangky "
                "and prepare a first-evaluation dossier."
            )
    return [text.format(**days)]


def certificate_options(t: Translator, cert: CertificateView, today: date) -> list[Option]:
    """What the producer can open from a certificate: its renewal dossier under way, the
    re-evaluation inside its window, an upgrade below 5★."""
    if cert.status != "valid" or not cert.certificate_id:
        return []
    if cert.renewal_kind is not None:
        action = RENEW if cert.renewal_kind == DossierKind.RE_EVALUATION else UPGRADE
        label = t.gettext("Continue the {kind} dossier").format(
            kind=t.gettext(KIND_LABELS[DossierKind(cert.renewal_kind)])
        )
        return [Option(label, make(PayloadKind.DOSSIER, action, cert.certificate_id))]
    options = []
    if may_file_reevaluation(reevaluation_filing(cert.expires_on, today)):
        options.append(
            Option(t.gettext("Open the re-evaluation dossier"), renew_payload(cert.certificate_id))
        )
    if may_upgrade(cert.stars, cert.expires_on, today):
        options.append(
            Option(
                t.gettext("Register an upgrade to more stars (nâng hạng)"),
                make(PayloadKind.DOSSIER, UPGRADE, cert.certificate_id),
            )
        )
    return options


async def act(ctx: HandlerContext, state: State, action: str, certificate_id: int) -> Turn:
    """Open (or continue) the re-evaluation or upgrade dossier of one of the person's
    certificates, then its checklist; or say plainly why not."""
    assert ctx.profile is not None  # noqa: S101 - the router asks for sign-up first
    t = ctx.t
    today = ctx.now.astimezone(ctx.timezone).date()
    kind = KIND_OF_ACTION[action]
    certificates = await ctx.store.certificates(ctx.profile.person_id, today)
    cert = next((c for c in certificates if c.certificate_id == certificate_id), None)
    if cert is None or cert.status != "valid":
        text = t.gettext(
            "This certificate can no longer be re-evaluated or upgraded. Type /chungnhan to see "
            "your certificates."
        )
        return Turn([Reply(text)], state)
    continuing = cert.renewal_kind == kind
    if kind is DossierKind.RE_EVALUATION and not continuing:
        filing = reevaluation_filing(cert.expires_on, today)
        if not may_file_reevaluation(filing):
            return Turn([Reply("\n".join(filing_lines(t, cert, today, ctx.language)))], state)
    upgradable = may_upgrade(cert.stars, cert.expires_on, today)
    if kind is DossierKind.UPGRADE and not continuing and not upgradable:
        text = t.gettext("A 5★ product has no higher star to register for.")
        return Turn([Reply(text)], state)
    dossier = await ctx.store.open_renewal(ctx.profile.person_id, certificate_id, kind.value)
    if dossier is None:  # pragma: no cover - the certificate was checked just above
        return Turn([Reply(t.gettext("This dossier is no longer open."))], state)
    intro = t.gettext(
        "Dossier ({kind}) for “{product}” ({stars}★, certificate no. {number}, valid until "
        "{expires}). It goes to the commune, then the province, like a first dossier. On the "
        "registration form (Mẫu 01) tick “{box}”."
    ).format(
        kind=t.gettext(KIND_LABELS[kind]),
        product=cert.product_name,
        stars=cert.stars,
        number=cert.number or "—",
        expires=format_day(cert.expires_on, ctx.language),
        box=REGISTRATION_BOXES_VI[kind],
    )
    turn = await checklist.start(ctx, state, dossier.dossier_id)
    return Turn([Reply(intro), *turn.replies], turn.state, done=turn.done)
