"""The commune officer's screens and actions: accepting an invite, the queue (/choduyet),
the commune's products (/xa), one dossier's card, and the moves on it.

Buttons carry only ``o:<action>:<dossier id>``; the id is never trusted. Every action asks
the store for the dossier *within the officer's communes*; when it is not there — another
commune's id, a replayed button, a typed code — the attempt is refused, audited and logged,
and nothing changes.
"""

from __future__ import annotations

from bot.messages import Document, Option, Outbound, Reply
from handlers import conversation, renewal, returns
from handlers.assessment import (
    ASSESS_FLOW,
    FORM_CHECK_FLOW,
    assess_seed,
    form_check_seed,
)
from handlers.certificate_words import STATE_LABELS
from handlers.checklist import PENDING, asked_requirements
from handlers.communes import commune_by_code
from handlers.conversation import State, Turn
from handlers.dates import format_day
from handlers.i18n import N_
from handlers.payloads import PayloadKind, make
from handlers.ports import Changes, HandlerContext, OfficerDossier, Profile, QueueEntry
from handlers.reports import DOCX
from handlers.self_assessment import self_score_lines
from ocop_rules import CommuneConclusion, DossierStatus, product_groups

OFFICER_ROLES = frozenset({"officer", "producer_officer"})
STATUS_LABELS = {
    DossierStatus.IDEA_REGISTERED: N_("idea registered"),
    DossierStatus.IDEA_ACCEPTED: N_("idea accepted"),
    DossierStatus.BUSINESS_PLAN: N_("business plan"),
    DossierStatus.IN_PREPARATION: N_("being completed by the producer"),
    DossierStatus.SUBMITTED_TO_COMMUNE: N_("form checked, criteria to assess"),
    DossierStatus.COMMUNE_ASSESSED: N_("assessed, proposal not yet sent"),
    DossierStatus.SUBMITTED_FOR_EVALUATION: N_("proposed to the province"),
    DossierStatus.RETURNED_FOR_COMPLETION: N_("returned by the province for completion"),
    DossierStatus.SCORED: N_("scored by the council"),
    DossierStatus.PROPOSED_TO_CENTRAL: N_("proposed by the province to the Ministry for 5 stars"),
    DossierStatus.CERTIFIED: N_("certified"),
    DossierStatus.NOT_CERTIFIED: N_("not certified"),
    DossierStatus.EXPIRING: N_("certificate expiring"),
    DossierStatus.RE_EVALUATION: N_("re-evaluation"),
    DossierStatus.EXPIRED: N_("certificate expired"),
    DossierStatus.REVOKED: N_("certificate revoked"),
    DossierStatus.WITHDRAWN: N_("withdrawn"),
    DossierStatus.IDEA_RETURNED: N_("idea returned"),
}
CONCLUSION_LABELS = {
    CommuneConclusion.MET: N_("met"),
    CommuneConclusion.NOT_MET: N_("not met"),
    CommuneConclusion.NEEDS_MORE: N_("needs more evidence"),
}
GROUP_NAMES = {info.group.value: info.name_vi for info in product_groups()}


def is_officer(profile: Profile | None) -> bool:
    """Whether the person behind the chat holds an officer role."""
    return profile is not None and profile.role in OFFICER_ROLES


def not_officer(ctx: HandlerContext) -> list[Outbound]:
    """The answer to someone who is not an officer asking for an officer's screen."""
    return [
        Reply(
            ctx.t.gettext(
                "This is for commune officers. An officer receives an invite code from the "
                "district or province and sends /canbo with the code."
            )
        )
    ]


# --- invites ------------------------------------------------------------------------------


async def accept_invite(ctx: HandlerContext, state: State, code: str) -> Turn:
    """``/canbo <code>`` (or the Telegram link): become an officer of the invite's commune;
    the turn carries the person now behind the chat."""
    t = ctx.t
    if not code.strip():
        return Turn(
            [
                Reply(
                    t.gettext(
                        "Please send /canbo followed by the invite code, for example: "
                        "/canbo ABCD234EFG"
                    )
                )
            ],
            state,
        )
    outcome = await ctx.store.accept_invite(
        code,
        channel=ctx.channel,
        external_id=ctx.sender_id,
        chat_id=ctx.chat_id,
        display_name=ctx.sender_name,
        language=ctx.language,
    )
    refusals = {
        "unknown": N_("That invite code is not right. Please check it and type it again."),
        "expired": N_(
            "That invite code has expired (codes last 7 days). Please ask for a new one."
        ),
        "used": N_("That invite code has already been used. Please ask for a new one."),
        "revoked": N_("That invite code was cancelled. Please ask for a new one."),
    }
    if outcome.result == "cooldown":
        wait = t.gettext("Too many wrong codes. Please try again in {minutes} minutes.")
        return Turn([Reply(wait.format(minutes=outcome.retry_after_minutes))], state)
    if outcome.result in refusals:
        return Turn([Reply(t.gettext(refusals[outcome.result]))], state)
    changes = Changes(profile=outcome.profile)
    commune = commune_by_code(outcome.commune_code or "")
    place = commune.full_name if commune else outcome.commune_code or ""
    if outcome.result == "already":
        already = t.gettext("You are already an officer of {commune}.").format(commune=place)
        return Turn([Reply(already)], state, changes=changes)
    replies: list[Outbound] = [
        Reply(
            t.gettext(
                "Welcome! You are now an officer of {commune}. Type /choduyet for the dossiers "
                "waiting for the commune, /xa for all products of the commune."
            ).format(commune=place)
        ),
        Reply(
            t.gettext(
                "For your role I keep your name and this chat account; every action you take "
                "on a dossier is recorded. /dulieucuatoi shows it, /xoadulieu deletes it."
            )
        ),
    ]
    return Turn(replies, state, changes=changes)


# --- screens ------------------------------------------------------------------------------


def _checklist_line(ctx: HandlerContext, entry: QueueEntry) -> str:
    asked = [r.code for r in asked_requirements(entry.dossier)]
    done = sum(1 for code in asked if entry.item_states.get(code, PENDING) != PENDING)
    if done == len(asked):
        return ctx.t.gettext("checklist complete ({done}/{total})").format(
            done=done, total=len(asked)
        )
    return ctx.t.gettext("checklist incomplete ({done}/{total})").format(
        done=done, total=len(asked)
    )


async def show_queue(ctx: HandlerContext) -> list[Outbound]:
    """/choduyet: dossiers waiting for the commune step, oldest first."""
    if not is_officer(ctx.profile):
        return not_officer(ctx)
    assert ctx.profile is not None  # noqa: S101 - checked just above
    t = ctx.t
    entries = await ctx.store.commune_queue(ctx.profile.person_id)
    if not entries:
        return [Reply(t.gettext("No dossier is waiting for the commune. Well done!"))]
    communes = {e.commune_code for e in entries}
    today = ctx.now.astimezone(ctx.timezone).date()
    lines = [t.gettext("Dossiers waiting for the commune, oldest first:")]
    rows: list[tuple[Option, ...]] = []
    for number, entry in enumerate(entries, start=1):
        days = (today - entry.waiting_since.astimezone(ctx.timezone).date()).days
        place = ""
        if len(communes) > 1:
            commune = commune_by_code(entry.commune_code)
            place = f"[{commune.name if commune else entry.commune_code}] "
        lines.append(
            f"{number}. {place}{entry.dossier.product_name}"
            f"{renewal.kind_label(t, entry.dossier.kind)} "
            f"({entry.dossier.registration_code or '—'}) — {entry.producer} · "
            f"{GROUP_NAMES.get(entry.dossier.group, entry.dossier.group)} · "
            + t.gettext("waiting {days} days").format(days=days)
            + " · "
            + _checklist_line(ctx, entry)
            + " · "
            + t.gettext(STATUS_LABELS[DossierStatus(entry.dossier.status)])
        )
        if entry.changed:  # the producer's changes since the commune returned it
            lines.append("  " + t.gettext("Changed by the producer since the return:"))
            lines.extend(returns.change_lines(t, entry.changed))
        rows.append(
            (
                Option(
                    entry.dossier.product_name,
                    make(PayloadKind.OFFICER, "open", entry.dossier.dossier_id),
                ),
            )
        )
    lines.append(t.gettext("Choose a dossier, or type its code."))
    return [Reply("\n".join(lines), tuple(rows))]


async def show_commune(ctx: HandlerContext) -> list[Outbound]:
    """/xa: every producer and product of the commune, with status and certificate state,
    after the count of the commune's certificates by state (the admin dashboard's words)."""
    if not is_officer(ctx.profile):
        return not_officer(ctx)
    assert ctx.profile is not None  # noqa: S101 - checked just above
    t = ctx.t
    today = ctx.now.astimezone(ctx.timezone).date()
    entries = await ctx.store.commune_overview(ctx.profile.person_id, today)
    if not entries:
        return [Reply(t.gettext("No product has been registered in your commune yet."))]
    lines = [t.gettext("Products of your commune:")]
    counts = await ctx.store.commune_certificate_states(ctx.profile.person_id, today)
    if any(counts.values()):
        lines.append(
            t.gettext("Certificates: {counts}").format(
                counts="; ".join(
                    f"{t.gettext(STATE_LABELS[state])}: {count}"
                    for state, count in counts.items()
                    if count
                )
            )
        )
    for entry in entries:
        status = t.gettext(STATUS_LABELS[DossierStatus(entry.status)]) if entry.status else "—"
        code = entry.registration_code or "—"
        line = f"• {entry.subject_name}: {entry.product_name} ({code}) — {status}"
        if entry.certificate_expires_on is not None:
            line += " · " + t.gettext("{stars}★, valid until {day}").format(
                stars=entry.certificate_stars,
                day=format_day(entry.certificate_expires_on, ctx.language),
            )
        if entry.certificate_state is not None:
            line += f" ({t.gettext(STATE_LABELS[entry.certificate_state])})"
        lines.append(line)
    return [Reply("\n".join(lines))]


def _card(ctx: HandlerContext, view: OfficerDossier) -> Reply:
    t = ctx.t
    status = DossierStatus(view.dossier.status)
    asked = [r.code for r in asked_requirements(view.dossier)]
    answered = sum(1 for i in view.items if i.code in asked and i.state != PENDING)
    lines = [
        t.gettext("Dossier “{product}” ({code})").format(
            product=view.dossier.product_name, code=view.dossier.registration_code or "—"
        )
        + renewal.kind_label(t, view.dossier.kind),
        t.gettext("Producer: {subject} — {person}").format(
            subject=view.subject_name, person=view.producer or "—"
        ),
        t.gettext("Status: {status}").format(status=t.gettext(STATUS_LABELS[status])),
        t.gettext("Checklist: {done}/{total} papers answered").format(
            done=answered, total=len(asked)
        ),
    ]
    lines += self_score_lines(t, view.self_assessment)
    changed = [(i.code, i.before_return, i.state) for i in view.items if i.before_return]
    if changed:
        lines.append(t.gettext("Changed by the producer since the return:"))
        lines.extend(returns.change_lines(t, changed))
    if view.form_check:
        lines.append(
            t.gettext("Form check: {result}").format(
                result=t.gettext("complete")
                if view.form_check == "complete"
                else t.gettext("papers missing")
            )
        )
    if view.conclusion:
        lines.append(
            t.gettext("Commune conclusion: {conclusion}").format(
                conclusion=t.gettext(CONCLUSION_LABELS[CommuneConclusion(view.conclusion)])
            )
        )
    rows: list[tuple[Option, ...]] = []
    dossier_id = view.dossier.dossier_id
    if status is DossierStatus.COMMUNE_ASSESSED:
        # QĐ 26 Điều 7.2.b: the commune always proposes once the four items are recorded.
        rows.append(
            (
                Option(
                    t.gettext("Send the proposal to the province"),
                    make(PayloadKind.OFFICER, "submit", dossier_id),
                ),
            )
        )
        rows.append(
            (
                Option(
                    t.gettext("Reopen the assessment"),
                    make(PayloadKind.OFFICER, "reopen", dossier_id),
                ),
            )
        )
    elif status in (
        DossierStatus.IDEA_REGISTERED,
        DossierStatus.IDEA_ACCEPTED,
        DossierStatus.BUSINESS_PLAN,
        DossierStatus.IN_PREPARATION,
        DossierStatus.SUBMITTED_TO_COMMUNE,
    ):
        rows.append(
            (
                Option(
                    t.gettext("Check the dossier's form"),
                    make(PayloadKind.OFFICER, "form", dossier_id),
                ),
            )
        )
        if view.form_check is not None:
            rows.append(
                (
                    Option(
                        t.gettext("Assess the four criteria"),
                        make(PayloadKind.OFFICER, "crit", dossier_id),
                    ),
                )
            )
    if view.has_report:
        rows.append(
            (
                Option(
                    t.gettext("Send me the commune report"),
                    make(PayloadKind.OFFICER, "report", dossier_id),
                ),
            )
        )
    return Reply("\n".join(lines), tuple(rows))


async def _denied(ctx: HandlerContext, action: str, target: str) -> list[Outbound]:
    assert ctx.profile is not None  # noqa: S101 - officers only
    await ctx.store.record_denied(ctx.profile.person_id, action, target)
    return [Reply(ctx.t.gettext("This dossier is not in your commune, so I cannot open it."))]


async def open_by_code(ctx: HandlerContext, state: State, typed: str) -> Turn:
    """A typed registration code ("OCOP-51-2026-0001", or "ocop-51-2026-1") opens that
    dossier's card. A code no product has is a typo, told as such: refused and audited as
    another commune's, it looked like an attempt on someone else's dossier."""
    assert ctx.profile is not None  # noqa: S101 - officers only
    code = registration_code(typed)
    dossier_id = await ctx.store.dossier_id_by_code(ctx.profile.person_id, code)
    if dossier_id is not None:
        return await act(ctx, state, "open", dossier_id)
    if await ctx.store.registration_code_known(code):
        return Turn(await _denied(ctx, "open_code", code[:64]), state)
    unknown = ctx.t.gettext(
        "No dossier has the code {code}. Please check it, or type /choduyet for the list."
    ).format(code=code)
    return Turn([Reply(unknown)], state)


def registration_code(typed: str) -> str:
    """``typed`` written as the codes are made: "ocop-51-2026-2" → "OCOP-51-2026-0002"."""
    province, year, number = (int(part) for part in typed.strip().split("-")[1:])
    return f"OCOP-{province:02d}-{year}-{number:04d}"


async def act(ctx: HandlerContext, state: State, action: str, dossier_id: int) -> Turn:
    """Carry out one button action on a dossier, after checking it is the officer's."""
    if not is_officer(ctx.profile):
        return Turn(not_officer(ctx), state)
    assert ctx.profile is not None  # noqa: S101 - checked just above
    t, person = ctx.t, ctx.profile.person_id
    view = await ctx.store.officer_dossier(person, dossier_id)
    if view is None:
        return Turn(await _denied(ctx, action, str(dossier_id)), state)
    if action == "form":
        if DossierStatus(view.dossier.status) is DossierStatus.COMMUNE_ASSESSED:
            return Turn([Reply(t.gettext("Reopen the assessment first.")), _card(ctx, view)], state)
        asked = [r.code for r in asked_requirements(view.dossier)]
        return conversation.start(FORM_CHECK_FLOW, state, t, ctx.now, form_check_seed(view, asked))
    if action == "crit":
        if DossierStatus(view.dossier.status) is DossierStatus.COMMUNE_ASSESSED:
            return Turn([Reply(t.gettext("Reopen the assessment first.")), _card(ctx, view)], state)
        if view.form_check is None:
            return Turn(
                [Reply(t.gettext("Check the dossier's form first.")), _card(ctx, view)], state
            )
        today = ctx.now.astimezone(ctx.timezone).date()
        return conversation.start(ASSESS_FLOW, state, t, ctx.now, assess_seed(view, today))
    if action == "reopen":
        if await ctx.store.reopen_assessment(person, dossier_id):
            reply = Reply(
                t.gettext("The assessment is reopened. Change what you need and confirm again."),
                (
                    (
                        Option(
                            t.gettext("Assess the four criteria"),
                            make(PayloadKind.OFFICER, "crit", dossier_id),
                        ),
                    ),
                ),
            )
            return Turn([reply], state)
        return Turn(
            [
                Reply(
                    t.gettext(
                        "The proposal has already gone to the province, so the assessment can "
                        "no longer be reopened."
                    )
                )
            ],
            state,
        )
    if action == "submit":
        if await ctx.store.submit_to_province(person, dossier_id):
            return Turn(
                [
                    Reply(
                        t.gettext(
                            "The proposal is recorded as sent to the province. The producer has "
                            "been told."
                        )
                    )
                ],
                state,
            )
        return Turn(
            [
                Reply(t.gettext("Only a dossier whose four items are assessed can be proposed.")),
                _card(ctx, view),
            ],
            state,
        )
    if action == "report":
        content = await ctx.store.commune_report(person, dossier_id)
        if content is not None:
            code = view.dossier.registration_code or str(dossier_id)
            return Turn(
                [Document(content, f"bao-cao-xa-{code}.docx", t.gettext("Commune report"), DOCX)],
                state,
            )
    return Turn([_card(ctx, view)], state)
