"""The commune officer's two conversations on a dossier: the form check and the four criteria.

Both are ordinary declarative flows, seeded with the dossier they are about (``_dossier``)
and what the producer declared (``_declared``), so "Quay lại", "Hủy", "Sửa" and resume work
as everywhere else. Each prompt shows what the producer declared, and each conclusion shows
``ocop_rules.commune_guidance`` — labelled as guidance, because the council scores and the
commune does not rank. Saving goes through the store, which checks again that the dossier is
in the officer's commune.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from bot.messages import Document, Option, Outbound, Reply
from handlers.conversation import SUBJECT, Choice, Data, Flow, Kind, Step
from handlers.i18n import N_, Translator
from handlers.ideas import ORIGIN_CHOICES
from handlers.paper_checks import PAPER_HELP
from handlers.payloads import PayloadKind, make
from handlers.ports import CriterionView, FormCheck, HandlerContext, NewAssessment, OfficerDossier
from handlers.reports import DOCX, commune_report_docx
from ocop_rules import (
    REQUIREMENTS,
    CommuneConclusion,
    CommuneCriterion,
    IdentityLevel,
    Provider,
    commune_guidance,
)

FORM_CHECK = "formcheck"
ASSESS = "assess"
OK, MISSING = "ok", "missing"

CHECK_CHOICES = (
    Choice(OK, N_("Present and valid (đủ)"), ("du", "co", "dat")),
    Choice(MISSING, N_("Missing or needs fixing (thiếu)"), ("thieu", "chua", "khong")),
)
DECISION_CHOICES = (
    Choice("send_back", N_("Send the dossier back to the producer with this list"), ("tra lai",)),
    Choice("continue", N_("Go on to the four criteria anyway"), ("tiep tuc",)),
)
CONCLUSION_CHOICES = (
    Choice(CommuneConclusion.MET, N_("Met (đạt)"), ("dat",)),
    Choice(CommuneConclusion.NOT_MET, N_("Not met (chưa đạt)"), ("chua dat",)),
    Choice(CommuneConclusion.NEEDS_MORE, N_("Needs more evidence (cần bổ sung)"), ("can bo sung",)),
)
IDENTITY_CHOICES = (
    Choice(IdentityLevel.OWN_LOCAL_KNOWLEDGE, N_("Its own story, with local know-how")),
    Choice(IdentityLevel.OWN, N_("Its own story")),
    Choice(IdentityLevel.SIMILAR, N_("A story similar to other products")),
    Choice(IdentityLevel.LIKE_OTHERS, N_("The same story as other products")),
)
STATE_LABELS = {
    "have": N_("has it"),
    "missing": N_("does not have it yet"),
    "not_applicable": N_("does not apply"),
    "pending": N_("not answered"),
}


def _declared(data: Data, key: str) -> Any:
    return data.get("_declared", {}).get(key)


def _keep(key: str) -> Any:
    return lambda data: _declared(data, key)


# --- the form check -----------------------------------------------------------------------


def _producer_answer(code: str) -> Any:
    def detail(data: Data, t: Translator) -> str:
        state, files = data.get("_items", {}).get(code, ["pending", 0])
        return t.gettext("The producer says: {state} ({files} file(s) sent).").format(
            state=t.gettext(STATE_LABELS.get(state, state)), files=files
        )

    return detail


def _any_missing(data: Data) -> bool:
    return any(data.get(f"fc_{code}") == MISSING for code in data.get("_items", {}))


def _has_item(code: str) -> Callable[[Data], bool]:
    return lambda data: code in data.get("_items", {})


def _marked_missing(code: str) -> Callable[[Data], bool]:
    return lambda data: data.get(f"fc_{code}") == MISSING


def _form_steps() -> tuple[Step, ...]:
    steps: list[Step] = []
    # The papers the commune prepares itself are never checked here.
    for item in (r for r in REQUIREMENTS if r.provider is Provider.SUBJECT):
        code = item.code
        steps.append(
            Step(
                f"fc_{code}",
                item.name_vi,
                Kind.CHOICE,
                CHECK_CHOICES,
                label=item.name_vi,
                when=_has_item(code),
                detail=_producer_answer(code),
                help=PAPER_HELP[code].check,
            )
        )
        steps.append(
            Step(
                f"fn_{code}",
                N_("What must the producer fix or add?"),
                label=f"{item.name_vi} — ghi chú",
                optional=True,
                max_length=500,
                when=_marked_missing(code),
                help=PAPER_HELP[code].fix,
            )
        )
    steps.append(
        Step(
            "fc_decision",
            N_("Some papers are missing. What now?"),
            Kind.CHOICE,
            DECISION_CHOICES,
            label=N_("Next step"),
            when=_any_missing,
            help=N_(
                "Some papers are marked missing. Sending the dossier back gives the producer "
                "your notes and keeps it in your queue; going on lets you assess the four "
                "criteria now and note the missing papers in the report. Answer 1 to send it "
                "back, 2 to go on."
            ),
        )
    )
    return tuple(steps)


async def _save_form_check(ctx: HandlerContext, answers: Data) -> list[Outbound]:
    assert ctx.profile is not None  # noqa: S101 - only officers reach this flow
    t = ctx.t
    dossier_id = int(answers["_dossier"])
    checks = {
        code: (answers[f"fc_{code}"], answers.get(f"fn_{code}"))
        for code in answers.get("_items", {})
        if f"fc_{code}" in answers
    }
    send_back = answers.get("fc_decision") == "send_back"
    saved = await ctx.store.save_form_check(
        ctx.profile.person_id, dossier_id, FormCheck(checks, send_back)
    )
    if not saved:
        return [Reply(t.gettext("This dossier can no longer be changed here."))]
    if send_back:
        return [
            Reply(
                t.gettext(
                    "The dossier was sent back. The producer has been told what to fix; it "
                    "stays in your queue."
                )
            )
        ]
    return [
        Reply(
            t.gettext("Form check saved. Next: the four commune criteria."),
            (
                (
                    Option(
                        t.gettext("Assess the four criteria"),
                        make(PayloadKind.OFFICER, "crit", dossier_id),
                    ),
                ),
            ),
        )
    ]


FORM_CHECK_FLOW = Flow(
    FORM_CHECK,
    N_("Dossier form check"),
    _form_steps(),
    _save_form_check,
    intro=N_("Form check: for each paper, is it in the dossier and in order?"),
)


def form_check_seed(view: OfficerDossier, asked: list[str]) -> Data:
    """What the form check flow starts from: the dossier and the producer's answers."""
    by_code = {i.code: i for i in view.items}
    return {
        "_dossier": view.dossier.dossier_id,
        SUBJECT: subject_of(view),
        "_items": {
            code: [by_code[code].state, by_code[code].evidence_count]
            if code in by_code
            else ["pending", 0]
            for code in asked
        },
    }


# --- the four criteria --------------------------------------------------------------------


def _show(t: Translator, text: str, value: Any) -> str:
    shown = t.gettext("(not declared)") if value in (None, "") else str(value)
    return t.gettext(text).format(value=shown)


def _declared_line(key: str, text: str) -> Any:
    return lambda data, t: _show(t, text, _declared(data, key))


def _facts(data: Data, criterion: CommuneCriterion) -> dict[str, object]:
    if criterion is CommuneCriterion.LOCAL_ORIGIN:
        return {
            "commune_pct": data.get("origin_commune_pct"),
            "province_pct": data.get("origin_province_pct"),
            "evidence": data.get("origin_evidence"),
        }
    if criterion is CommuneCriterion.LOCAL_LABOUR:
        return {
            "workers_total": data.get("labour_total"),
            "workers_local": data.get("labour_local"),
        }
    if criterion is CommuneCriterion.IDEA_ORIGIN:
        return {"idea_origin": data.get("idea_origin")}
    return {"identity": data.get("identity"), "note": data.get("identity_note")}


def _guidance(criterion: CommuneCriterion) -> Any:
    def detail(data: Data, t: Translator) -> str:
        found = commune_guidance(criterion, _facts(data, criterion), _declared(data, "product_set"))
        lead = t.gettext("Guidance only — the provincial council scores, the commune does not:")
        if found is None:
            return f"{lead} " + t.gettext("no scoring band applies to these facts.")
        lines = [
            f"{lead} "
            + t.gettext("criterion {code} of the product set's sheet, up to {max} points:").format(
                code=found.criterion_code, max=found.max_points
            )
        ]
        lines.extend(f"• {option.label}: {option.points}" for option in found.options)
        if found.points is not None:
            lines.append(
                t.gettext("These facts meet: {points} points.").format(points=found.points)
            )
        return "\n".join(lines)

    return detail


def _origin_label(t: Translator, value: object) -> str | None:
    return next((t.gettext(c.label) for c in ORIGIN_CHOICES if c.value == value), None)


def _province_not_below_commune(value: Any, data: Data) -> str | None:
    if value < data.get("origin_commune_pct", 0):
        return N_(
            "The share from the province includes the commune's share, so it cannot be "
            "smaller. Please check it."
        )
    return None


def _local_not_above_total(value: Any, data: Data) -> str | None:
    if value > data.get("labour_total", 0):
        return N_("Local workers cannot be more than all workers. Please check it.")
    return None


def _not_in_future(value: Any, data: Data) -> str | None:
    if date.fromisoformat(value) > date.fromisoformat(data["_today"]):
        return N_("The meeting date cannot be in the future. Please check it.")
    return None


def _conclusion(name: str, criterion: CommuneCriterion, label: str, help_: str) -> Step:
    return Step(
        name,
        N_("Your conclusion on this criterion?"),
        Kind.CHOICE,
        CONCLUSION_CHOICES,
        label=label,
        detail=_guidance(criterion),
        keep=_keep(name),
        help=help_,
    )


def _comment(name: str, label: str, help_: str) -> Step:
    return Step(
        name,
        N_("A short comment for the report?"),
        label=label,
        optional=True,
        max_length=500,
        help=help_,
    )


ASSESS_STEPS: tuple[Step, ...] = (
    Step(
        "origin_commune_pct",
        N_("1. Local raw material: what share comes from the commune (%)?"),
        Kind.PERCENT,
        label=N_("Raw material from the commune"),
        detail=lambda data, t: "\n".join(
            (
                _show(t, N_("Raw materials declared: {value}"), _declared(data, "raw_materials")),
                _show(t, N_("The producer declared: {value} %"), _declared(data, "commune_pct")),
            )
        ),
        keep=_keep("commune_pct"),
        help=N_(
            "The share of the product's raw materials grown or bought inside the commune, "
            "as you found it (contracts, fields or hives visited). Local raw material is one "
            "of the four things the commune vouches for. Type “Giữ” to keep the producer's "
            "figure, or the number you found, for example: 70."
        ),
    ),
    Step(
        "origin_province_pct",
        N_("And what share comes from the province (%)?"),
        Kind.PERCENT,
        label=N_("Raw material from the province"),
        detail=_declared_line("province_pct", N_("The producer declared: {value} %")),
        keep=_keep("province_pct"),
        check=_province_not_below_commune,
        help=N_(
            "The share from anywhere in the province, the commune's share included, so it "
            "is never smaller than the commune's. The scoring sheet uses it when part of the "
            "raw material comes from outside the commune. Type “Giữ” or a number, for "
            "example: 90."
        ),
    ),
    Step(
        "origin_evidence",
        N_("Which evidence did you see (purchase contracts, fields visited…)?"),
        label=N_("Evidence seen"),
        optional=True,
        max_length=500,
        help=N_(
            "What you saw that backs the shares: purchase contracts, the supplying "
            "households, fields or hives visited. It is written in the commune report. "
            "Example: Hợp đồng mua mật ong với 12 hộ ở bản Xốp."
        ),
    ),
    _conclusion(
        "origin_conclusion",
        CommuneCriterion.LOCAL_ORIGIN,
        N_("Conclusion: raw material"),
        N_(
            "Whether the product meets the local raw-material criterion, given the shares "
            "and the evidence. The bands shown come from the scoring sheet, for reference "
            "only: the council scores. Answer 1 (đạt), 2 (chưa đạt), or 3 (cần bổ sung) "
            "when you need more papers."
        ),
    ),
    _comment(
        "origin_comment",
        N_("Comment: raw material"),
        N_(
            "One sentence on raw material for the report, if you want to add one: what is "
            "good, or what the producer should strengthen. Example: Nên mở rộng vùng "
            "nguyên liệu trong xã."
        ),
    ),
    Step(
        "labour_total",
        N_("2. Local labour: how many workers in all?"),
        Kind.COUNT,
        label=N_("Workers in all"),
        detail=_declared_line("workers_total", N_("The producer declared: {value}")),
        keep=_keep("workers_total"),
        help=N_(
            "Everyone who works on the product, family members and seasonal workers "
            "included, as you found it. With the next answer it gives the share of local "
            "labour. Type “Giữ” to keep the producer's figure, or a whole number, for "
            "example: 12."
        ),
    ),
    Step(
        "labour_local",
        N_("How many of them live in the commune?"),
        Kind.COUNT,
        label=N_("Local workers"),
        detail=_declared_line("workers_local", N_("The producer declared: {value}")),
        keep=_keep("workers_local"),
        check=_local_not_above_total,
        help=N_(
            "Of those workers, the ones who live in the commune: check them against the "
            "workers' list in the dossier. It cannot be more than all workers. Type “Giữ” "
            "or a whole number, for example: 10."
        ),
    ),
    _conclusion(
        "labour_conclusion",
        CommuneCriterion.LOCAL_LABOUR,
        N_("Conclusion: labour"),
        N_(
            "Whether the product meets the local-labour criterion, given the two numbers; "
            "the bands shown are guidance only. Answer 1 (đạt), 2 (chưa đạt), or 3 (cần bổ "
            "sung) when the workers' list is not enough to judge."
        ),
    ),
    _comment(
        "labour_comment",
        N_("Comment: labour"),
        N_(
            "One sentence on labour for the report, if any. Example: 10 trên 12 lao động là "
            "người trong xã, có danh sách kèm theo."
        ),
    ),
    Step(
        "idea_origin",
        N_("3. Idea origin: where did the product idea come from?"),
        Kind.CHOICE,
        ORIGIN_CHOICES,
        label=N_("Idea origin"),
        detail=lambda data, t: _show(
            t,
            N_("The producer declared: {value}"),
            _origin_label(t, _declared(data, "idea_origin")),
        ),
        keep=_keep("idea_origin"),
        help=N_(
            "Where the product idea came from, as the commune knows it: a local tradition, "
            "the producer's own idea, or one taken from elsewhere. The commune is asked "
            "because people from outside cannot tell. Type “Giữ” to keep what the producer "
            "declared, or the number of the line that fits, for example: 1."
        ),
    ),
    _conclusion(
        "idea_conclusion",
        CommuneCriterion.IDEA_ORIGIN,
        N_("Conclusion: idea origin"),
        N_(
            "Whether you confirm where the idea came from. Answer 1 (đạt) if it is as the "
            "producer says, 2 (chưa đạt) if not, 3 (cần bổ sung) if you need to ask around "
            "first."
        ),
    ),
    _comment(
        "idea_comment",
        N_("Comment: idea origin"),
        N_(
            "One sentence on the idea's origin for the report, if any. Example: Nghề nuôi "
            "ong rừng có từ lâu đời ở bản Xốp."
        ),
    ),
    Step(
        "identity",
        N_("4. Local identity: how much of the commune's identity or know-how does it carry?"),
        Kind.CHOICE,
        IDENTITY_CHOICES,
        label=N_("Local identity"),
        detail=_declared_line("identity_story", N_("The producer's story: {value}")),
        keep=_keep("identity"),
        help=N_(
            "How much of the commune's own tradition, know-how or character the product "
            "carries, compared with similar products elsewhere; the producer's story is "
            "shown above. Your view is the local one the council reads. Answer with the "
            "number of the line that fits, for example: 2."
        ),
    ),
    Step(
        "identity_note",
        N_("Which local elements did you see (tradition, know-how, ingredients)?"),
        label=N_("Local elements seen"),
        optional=True,
        max_length=500,
        help=N_(
            "The local elements you saw: a tradition, a skill, a local ingredient, a "
            "custom. They go into the report and back your answer above. Example: Nuôi ong "
            "rừng theo cách truyền thống của người Xơ Đăng."
        ),
    ),
    _conclusion(
        "identity_conclusion",
        CommuneCriterion.LOCAL_IDENTITY,
        N_("Conclusion: identity"),
        N_(
            "Whether the product meets the local-identity criterion. Answer 1 (đạt), 2 "
            "(chưa đạt), or 3 (cần bổ sung) when you need more, such as the product's story "
            "in pictures."
        ),
    ),
    _comment(
        "identity_comment",
        N_("Comment: identity"),
        N_(
            "One sentence on local identity for the report, if any. Example: Cần bổ sung "
            "câu chuyện sản phẩm bằng hình ảnh."
        ),
    ),
    Step(
        "meeting_date",
        N_("On what date did the commune hold its consultation meeting? (dd/mm/yyyy)"),
        Kind.DATE,
        label=N_("Meeting date"),
        check=_not_in_future,
        help=N_(
            "The day the commune met to consider this dossier; it is printed in the commune "
            "report (Mẫu 03), so it cannot be later than today. Type day/month/year, for "
            "example: 20/05/2026."
        ),
    ),
    Step(
        "meeting_participants",
        N_("Who took part in the meeting? (names or units, separated by commas)"),
        label=N_("Meeting participants"),
        max_length=1000,
        help=N_(
            "Who took part in that meeting, by name or by unit, as the report lists them. "
            "Example: Chủ tịch UBND xã, cán bộ nông nghiệp, trưởng bản Xốp."
        ),
    ),
)
CONCLUSION_STEPS = {
    CommuneCriterion.LOCAL_ORIGIN: ("origin_conclusion", "origin_comment"),
    CommuneCriterion.LOCAL_LABOUR: ("labour_conclusion", "labour_comment"),
    CommuneCriterion.IDEA_ORIGIN: ("idea_conclusion", "idea_comment"),
    CommuneCriterion.LOCAL_IDENTITY: ("identity_conclusion", "identity_comment"),
}


def new_assessment(answers: Data) -> NewAssessment:
    """The confirmed answers as the store's record."""
    criteria = tuple(
        CriterionView(
            criterion.value,
            {k: v for k, v in _facts(answers, criterion).items() if v is not None},
            answers[conclusion],
            answers.get(comment),
        )
        for criterion, (conclusion, comment) in CONCLUSION_STEPS.items()
    )
    return NewAssessment(
        criteria,
        None,
        date.fromisoformat(answers["meeting_date"]),
        answers["meeting_participants"],
    )


async def _save_assessment(ctx: HandlerContext, answers: Data) -> list[Outbound]:
    assert ctx.profile is not None  # noqa: S101 - only officers reach this flow
    t = ctx.t
    dossier_id = int(answers["_dossier"])
    view = await ctx.store.officer_dossier(ctx.profile.person_id, dossier_id)
    if view is None:
        await ctx.store.record_denied(ctx.profile.person_id, "assess", str(dossier_id))
        return [Reply(t.gettext("This dossier is not in your commune."))]
    assessment = new_assessment(answers)
    report = commune_report_docx(view, assessment, ctx.profile.full_name, ctx.now, ctx.timezone)
    code = view.dossier.registration_code or str(dossier_id)
    filename = f"bao-cao-xa-{code}.docx"
    if not await ctx.store.save_assessment(
        ctx.profile.person_id, dossier_id, assessment, report, filename
    ):
        return [Reply(t.gettext("This dossier can no longer be changed here."))]
    # QĐ 26 Điều 7.2.b: the report always ends with the proposal to the province.
    lines = [
        t.gettext("Saved. The commune report is attached; print it for the chairman to sign."),
        t.gettext("You can now send the proposal to the province."),
    ]
    submit = Option(
        t.gettext("Send the proposal to the province"),
        make(PayloadKind.OFFICER, "submit", dossier_id),
    )
    reopen = Option(
        t.gettext("Reopen the assessment"), make(PayloadKind.OFFICER, "reopen", dossier_id)
    )
    buttons: list[tuple[Option, ...]] = [(submit,), (reopen,)]
    return [
        Document(report, filename, t.gettext("Commune report"), DOCX),
        Reply("\n".join(lines), tuple(buttons)),
    ]


ASSESS_FLOW = Flow(
    ASSESS,
    N_("Assess the four criteria"),
    ASSESS_STEPS,
    _save_assessment,
    intro=N_(
        "The four commune criteria. For each, I show what the producer declared: keep it, "
        "or type what you found."
    ),
)


def assess_seed(view: OfficerDossier, today: date) -> Data:
    """What the assessment starts from: the producer's declaration, or — when reopened —
    the commune's own earlier findings, offered with a "Keep" button."""
    declared: dict[str, object] = dict(view.declared)
    identity_story = declared.get("identity")
    declared["identity"] = None
    declared["identity_story"] = identity_story
    for criterion in view.criteria:
        conclusion, _ = CONCLUSION_STEPS[CommuneCriterion(criterion.criterion)]
        declared[conclusion] = criterion.conclusion
        declared.update({k: v for k, v in criterion.facts.items() if k in declared})
    return {
        "_dossier": view.dossier.dossier_id,
        SUBJECT: subject_of(view),
        "_declared": declared,
        "_today": today.isoformat(),
    }


def subject_of(view: OfficerDossier) -> str:
    """The dossier as the officer's flows name it: the product, and its code when it has one."""
    code = view.dossier.registration_code
    return f"{view.dossier.product_name} ({code})" if code else view.dossier.product_name
