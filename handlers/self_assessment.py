"""The self-assessment (/tudanhgia): the product's scoring sheet, one criterion per message.

The producer answers each criterion of the set's sheet (QĐ 26, Phụ lục II) in plain words,
or skips it; every answer is written at once, so the walk stops and resumes any day, on
either channel. The result gives the total and the three parts, the star band, the
minimums still missing for 3★, 4★ and 5★ with the paper that proves each, and the three
answers that would raise the score most; from it one answer can be changed, the whole
sheet walked again (a new version: the old answers are kept), or Mẫu 02 printed.

Answers the producer gave when registering the idea (raw-material and worker shares, the
kind of business) are offered as the suggested answer, to confirm with one number.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal

from bot.messages import Channel, ChoicePicked, Content, Document, Option, Outbound, Reply, Text
from handlers.conversation import Control, State, Turn, control_of
from handlers.i18n import N_, Translator
from handlers.payloads import PayloadKind, make, parse
from handlers.ports import DossierView, HandlerContext, SelfAssessmentView
from handlers.self_assessment_form import DOCX, self_assessment_docx
from handlers.self_score import SKIPPED, SelfScore, assess
from handlers.sheet_questions import POSITIONS, Question, question, questions
from handlers.textmatch import fold
from ocop_rules import (
    PaperHeld,
    ProductGroup,
    SubjectType,
    product_set,
    product_sets_in,
    requirement,
)

FLOW = "selfassess"
PICK, SET, ASK, SUMMARY, EDIT = "pick", "set", "ask", "summary", "edit"
_EDIT_HELP = N_(
    "Type the number of the criterion to change, for example 2.3, or “Quay lại” to see the "
    "result again."
)
BUTTON_FIT = 40  # a longer answer is written in the message and its button carries the number
SKIP = make(PayloadKind.CONTROL, "bo qua")


def _payload(*parts: object) -> str:
    return make(PayloadKind.SELF_ASSESSMENT, *parts)


# --- answers known from the idea registration ---------------------------------------------


_FLOOR = re.compile(r"(?:từ|≥)\s*(\d+)\s*%")


def _floor(official: str) -> float | None:
    """The lowest share an answer worded "từ 50% …", "≥ 75% …" or "dưới 50%" stands for."""
    match = _FLOOR.search(official)
    if match:
        return float(match.group(1))
    return 0.0 if "dưới" in official else None


def _share_answer(q: Question, percent: float) -> int | None:
    """The answer of a "how much of it is local" criterion for ``percent``, or None below
    the lowest step the sheet offers."""
    found: int | None = None
    for index, answer in enumerate(q.answers):
        floor = _floor(answer.official)
        if floor is not None and percent >= floor:
            found = index
    return found


_SUBJECT_WORDS: Mapping[SubjectType, str] = {
    SubjectType.COOPERATIVE: "htx",
    SubjectType.COOPERATIVE_GROUP: "ho san xuat",
    SubjectType.FARM: "ho san xuat",
    SubjectType.REGISTERED_HOUSEHOLD: "ho san xuat",
}


# Criteria a paper held at idea registration answers: the first answer (in the sheet's
# order, the least that paper proves) whose official wording holds the words.
_FROM_PAPERS: Mapping[str, tuple[PaperHeld, str]] = {
    "so huu tri tue": (PaperHeld.TRADEMARK, "nhan hieu"),
    "cong bo": (PaperHeld.QUALITY_DECLARATION, "co cong bo"),
    "dam bao chat luong": (PaperHeld.FOOD_SAFETY, "an toan thuc pham"),
}
_STORY = "cau chuyen san pham"


def _first_with(q: Question, words: str) -> int | None:
    return next((i for i, a in enumerate(q.answers) if words in fold(a.official)), None)


def suggestion(q: Question, known: Mapping[str, object]) -> int | None:
    """The answer the idea registration already gives for ``q``, or None."""
    label = fold(q.official)
    if label.startswith(("nguon goc san pham", "su dung lao dong")):
        key = "commune_pct" if label.startswith("nguon goc") else "local_pct"
        value = known.get(key)
        return _share_answer(q, float(value)) if isinstance(value, int | float) else None
    if label.startswith("loai hinh to chuc"):
        kind = known.get("subject_type")
        words = _SUBJECT_WORDS.get(SubjectType(kind)) if isinstance(kind, str) else None
        return _first_with(q, words) if words else None
    if label.startswith(_STORY):
        story = known.get("story")
        return (
            next(
                (
                    i
                    for i, a in enumerate(q.answers)
                    if fold(a.official) == "co cau chuyen san pham"
                ),
                None,
            )
            if story
            else None
        )
    papers = known.get("papers")
    for start, (paper, words) in _FROM_PAPERS.items():
        if label.startswith(start):
            held = isinstance(papers, list | tuple) and paper.value in papers
            return _first_with(q, words) if held else None
    return None


_SUGGESTED = (
    "nguon goc san pham",
    "su dung lao dong",
    "loai hinh to chuc",
    _STORY,
    *_FROM_PAPERS,
)


def _suggestible(q: Question) -> bool:
    return fold(q.official).startswith(_SUGGESTED)


async def _known(
    ctx: HandlerContext, state: State, dossier_id: int, q: Question
) -> dict[str, object]:
    """What the idea registration says that ``q`` may be answered from: read for the first
    criterion that can use it and kept with the walk, so other steps read nothing more."""
    assert ctx.profile is not None  # noqa: S101 - the router asks for sign-up first
    if not _suggestible(q):
        return {}
    kept = state.data.get("known")
    if isinstance(kept, dict) and kept.get("dossier_id") == dossier_id:
        return kept
    form = await ctx.store.idea_form(ctx.profile.person_id, dossier_id)
    answers = form.answers
    known: dict[str, object] = {"subject_type": form.subject_type}
    if isinstance(answers.get("raw_material_commune_pct"), int):
        known["commune_pct"] = answers["raw_material_commune_pct"]
    total, local = answers.get("workers_total"), answers.get("workers_local")
    if isinstance(total, int) and isinstance(local, int) and total > 0:
        known["local_pct"] = 100 * local / total
    papers = answers.get("papers_held")
    known["papers"] = [str(p) for p in papers] if isinstance(papers, list | tuple) else []
    known["story"] = bool(answers.get("identity_story"))
    known["dossier_id"] = dossier_id
    state.data = {**state.data, "known": known}
    return known


# --- asking -------------------------------------------------------------------------------


def _number(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _points(t: Translator, points: Decimal) -> str:
    return t.gettext("{points} pt").format(points=_number(points))


def ask(
    ctx: HandlerContext, set_number: int, code: str, known: Mapping[str, object]
) -> list[Outbound]:
    """The question of criterion ``code``: progress, the plain question, its answers."""
    t = ctx.t
    asked = questions(set_number)
    q = question(set_number, code)
    lines = [
        t.gettext("Criterion {number}/{total} · part {part} · {code}").format(
            number=POSITIONS[set_number][code] + 1, total=len(asked), part=q.part, code=code
        ),
        q.text,
    ]
    labels = [f"{a.label} ({_points(t, a.points)})" for a in q.answers]
    long = ctx.channel is Channel.TELEGRAM and any(len(label) > BUTTON_FIT for label in labels)
    if long:
        lines += [f"{n}. {label}" for n, label in enumerate(labels, start=1)]
        labels = [str(n) for n in range(1, len(labels) + 1)]
    suggested = suggestion(q, known)
    if suggested is not None:
        lines.append(
            t.gettext(
                "From your idea registration, the answer seems to be {number}. "
                "Type {number} to confirm, or pick another."
            ).format(number=suggested + 1)
        )
    lines.append(t.gettext("Type “Trợ giúp” for the official wording, “Bỏ qua” to skip."))
    rows = [(Option(label, _payload("ans", code, index)),) for index, label in enumerate(labels)]
    rows.append((Option(t.gettext("Skip"), SKIP),))
    return [Reply("\n".join(lines), tuple(rows))]


def official_help(ctx: HandlerContext, set_number: int, code: str) -> Reply:
    """The criterion's official wording, its options and notes, and the paper proving it."""
    t = ctx.t
    q = question(set_number, code)
    lines = [
        t.gettext("Scoring sheet of set {number}, criterion {code}:").format(
            number=set_number, code=code
        ),
        q.official,
    ]
    for number, answer in enumerate(q.answers, start=1):
        mark = f" ({'*' * answer.min_stars})" if answer.min_stars else ""
        lines.append(f"{number}. {answer.official} — {_points(t, answer.points)}{mark}")
    lines += list(q.notes)
    lines.append(t.gettext("Proved by: {paper}").format(paper=requirement(q.evidence).name_vi))
    return Reply("\n".join(lines))


def next_unanswered(set_number: int, answers: Mapping[str, int]) -> str | None:
    """The first criterion of the sheet without an answer (a skipped one has one)."""
    return next((q.code for q in questions(set_number) if q.code not in answers), None)


# --- the result ---------------------------------------------------------------------------


def _band(t: Translator, stars: int) -> str:
    if stars < 3:
        return t.gettext("below 3 stars (under 50 points)")
    return t.gettext("{stars} stars").format(stars=stars)


def result_lines(t: Translator, set_number: int, result: SelfScore) -> list[str]:
    """The result, in lines: total, parts, band, unanswered, missing minimums, raises."""
    score = result.score
    parts = " · ".join(
        t.gettext("part {part}: {points}").format(part=part, points=_number(points))
        for part, points in score.parts.items()
    )
    lines = [
        t.gettext("Your self-score: {total}/100 ({parts}).").format(
            total=_number(score.total), parts=parts
        ),
        t.gettext("By points this is in the band: {band}.").format(band=_band(t, score.stars)),
    ]
    if result.unanswered:
        lines.append(
            t.gettext("Not answered (scored 0): {codes}").format(
                codes=", ".join(q.code for q in result.unanswered)
            )
        )
    for level, missed in result.unmet.items():
        if not missed:
            continue
        lines.append(
            t.gettext("Minimum requirements of {stars} stars (and above) not met yet:").format(
                stars=level
            )
        )
        lines += [
            t.gettext("• {code} {question} — proved by: {paper}").format(
                code=q.code, question=q.text, paper=requirement(q.evidence).name_vi
            )
            for q in missed
        ]
    if not any(result.unmet.values()):
        lines.append(t.gettext("Every minimum requirement of the sheet is met."))
    if result.raises:
        lines.append(t.gettext("What would raise your score most:"))
        for number, gain in enumerate(result.raises, start=1):
            answer = gain.question.answers[gain.to]
            lines.append(
                t.gettext("{number}. {code} {question}: “{answer}” (+{gain})").format(
                    number=number,
                    code=gain.question.code,
                    question=gain.question.text,
                    answer=answer.label,
                    gain=_points(t, gain.gain),
                )
            )
    lines.append(
        t.gettext(
            "This is your own estimate to prepare the dossier; the council gives the official "
            "score."
        )
    )
    return lines


def _summary(ctx: HandlerContext, view: SelfAssessmentView, result: SelfScore) -> Reply:
    t = ctx.t
    lines = result_lines(t, view.product_set, result)
    if view.previous is not None:
        lines.insert(
            1,
            t.gettext("Your previous self-assessment scored {total}.").format(
                total=_number(view.previous)
            ),
        )
    rows = (
        (Option(t.gettext("Change an answer"), _payload("sum", "edit")),),
        (Option(t.gettext("Print Mẫu 02 (DOCX)"), _payload("sum", "docx")),),
        (Option(t.gettext("Start again"), _payload("sum", "redo")),),
        (Option(t.gettext("Done"), _payload("sum", "done")),),
    )
    return Reply("\n".join(lines), rows)


async def _finish(
    ctx: HandlerContext, state: State, dossier_id: int, set_number: int, answers: dict[str, int]
) -> Turn:
    """Score the run, keep its total with it, and show the result."""
    assert ctx.profile is not None  # noqa: S101 - the router asks for sign-up first
    result = assess(set_number, answers)
    await ctx.store.finish_self_assessment(
        ctx.profile.person_id, dossier_id, result.score.total, result.score.stars
    )
    view = await ctx.store.self_assessment(ctx.profile.person_id, dossier_id)
    assert view is not None  # noqa: S101 - just finished
    state.flow, state.step = FLOW, SUMMARY
    state.data = {**state.data, "dossier_id": dossier_id}
    return Turn([_summary(ctx, view, result)], state)


def self_score_lines(t: Translator, view: SelfAssessmentView | None) -> list[str]:
    """The self-score and its answers (points by criterion) as the officer's card shows
    them; nothing while the producer has not finished a run."""
    if view is None or view.finished_at is None or view.total is None:
        return []
    by_code = []
    for q in questions(view.product_set):
        index = view.answers.get(q.code)
        chosen = None if index is None or index == SKIPPED else q.answers[index]
        by_code.append(f"{q.code}: {_number(chosen.points) if chosen else '—'}")
    return [
        t.gettext("Producer's self-assessment (set {number}): {total}/100, {band}.").format(
            number=view.product_set, total=_number(view.total), band=_band(t, view.stars or 0)
        ),
        t.gettext("Self-assessment points by criterion: {answers}").format(
            answers=" · ".join(by_code)
        ),
    ]


# --- opening ------------------------------------------------------------------------------


def _set_question(ctx: HandlerContext, dossier: DossierView) -> Reply:
    t = ctx.t
    rows = tuple(
        (Option(s.name, _payload("set", s.number)),)
        for s in product_sets_in(ProductGroup(dossier.group))
    )
    return Reply(
        t.gettext("Which scoring sheet (product set) does “{product}” belong to?").format(
            product=dossier.product_name
        ),
        rows,
    )


async def _dossiers(ctx: HandlerContext) -> dict[int, DossierView]:
    assert ctx.profile is not None  # noqa: S101 - the router asks for sign-up first
    return {d.dossier_id: d for d in await ctx.store.open_dossiers(ctx.profile.person_id)}


async def start(ctx: HandlerContext, state: State, dossier_id: int | None = None) -> Turn:
    """Open the self-assessment: which product, which set, then resume where it stopped."""
    t = ctx.t
    dossiers = await _dossiers(ctx)
    if not dossiers:
        state.flow = state.step = None
        return Turn(
            [
                Reply(
                    t.gettext(
                        "You have no product yet. Register a product idea first with /dangky."
                    )
                )
            ],
            state,
            done=True,
        )
    chosen = dossiers.get(dossier_id) if dossier_id is not None else None
    if chosen is None and len(dossiers) > 1:
        state.flow, state.step = FLOW, PICK
        rows = tuple(
            (Option(d.product_name, _payload("pick", d.dossier_id)),) for d in dossiers.values()
        )
        return Turn([Reply(t.gettext("Which product do you want to assess?"), rows)], state)
    dossier = chosen or next(iter(dossiers.values()))
    state.flow = FLOW
    state.data = {**state.data, "dossier_id": dossier.dossier_id}
    if dossier.product_set is None:
        state.step = SET
        return Turn([_set_question(ctx, dossier)], state)
    return await _open(ctx, state, dossier, dossier.product_set)


async def _open(ctx: HandlerContext, state: State, dossier: DossierView, set_number: int) -> Turn:
    assert ctx.profile is not None  # noqa: S101 - the router asks for sign-up first
    t = ctx.t
    view = await ctx.store.self_assessment(ctx.profile.person_id, dossier.dossier_id)
    if view is not None and view.finished_at is not None and view.product_set == set_number:
        state.step = SUMMARY
        return Turn([_summary(ctx, view, assess(view.product_set, view.answers))], state)
    if view is None or view.finished_at is not None or view.product_set != set_number:
        view = await ctx.store.start_self_assessment(
            ctx.profile.person_id, dossier.dossier_id, set_number
        )
    code = next_unanswered(set_number, view.answers)
    if code is None:
        return await _finish(ctx, state, dossier.dossier_id, set_number, view.answers)
    total = len(questions(set_number))
    if view.answers:
        intro = t.gettext(
            "Welcome back. You answered {done} of {total} criteria; let us go on from "
            "criterion {next}."
        ).format(done=len(view.answers), total=total, next=len(view.answers) + 1)
    else:
        intro = t.gettext(
            "Self-assessment of “{product}” against the scoring sheet of set {number} "
            "({name}): {total} criteria, one at a time. Your answers are saved as you go."
        ).format(
            product=dossier.product_name,
            number=set_number,
            name=product_set(set_number).name,
            total=total,
        )
    state.step = ASK
    state.data = {
        **{k: v for k, v in state.data.items() if k != "known"},  # read afresh on each opening
        "code": code,
        "editing": False,
        "set": set_number,
    }
    known = await _known(ctx, state, dossier.dossier_id, question(set_number, code))
    return Turn([Reply(intro), *ask(ctx, set_number, code, known)], state)


async def reprompt(ctx: HandlerContext, state: State) -> list[Outbound]:
    """Ask the current question again (after a notice interrupted it)."""
    dossier = (await _dossiers(ctx)).get(state.data.get("dossier_id", -1))
    if dossier is None or dossier.product_set is None or state.step != ASK:
        return (await start(ctx, State(), state.data.get("dossier_id"))).replies
    code = str(state.data.get("code"))
    if code not in POSITIONS[dossier.product_set]:
        return (await start(ctx, State(), dossier.dossier_id)).replies
    known = await _known(ctx, state, dossier.dossier_id, question(dossier.product_set, code))
    return ask(ctx, dossier.product_set, code, known)


def expects_typed(state: State) -> bool:
    """Only the criterion to change is typed (its code, e.g. 2.3)."""
    return state.step == EDIT


# --- one message --------------------------------------------------------------------------


def _picked(content: Content) -> tuple[str, ...] | None:
    if not isinstance(content, ChoicePicked):
        return None
    payload = parse(content.payload)
    return payload.parts if payload.kind is PayloadKind.SELF_ASSESSMENT else None


def _leave(ctx: HandlerContext, state: State) -> Turn:
    state.flow = state.step = None
    return Turn(
        [Reply(ctx.t.gettext("Saved. Type /tudanhgia to continue any time."))], state, done=True
    )


async def advance(ctx: HandlerContext, state: State, content: Content) -> Turn:
    """Handle one message of the self-assessment."""
    assert ctx.profile is not None  # noqa: S101 - the router asks for sign-up first
    t = ctx.t
    control = control_of(content)
    if control in (Control.CANCEL, Control.MENU):
        return _leave(ctx, state)
    picked = _picked(content)
    dossier_id, kept_set = state.data.get("dossier_id"), state.data.get("set")
    if state.step == ASK and isinstance(dossier_id, int) and isinstance(kept_set, int):
        # Most messages answer a criterion: the dossier id and set kept in the state are
        # enough (the store checks the dossier is the person's as it writes the answer).
        return await _on_answer(ctx, state, dossier_id, kept_set, content, control, picked)
    if state.step == PICK:
        if picked and picked[0] == "pick" and picked[-1].isdigit():
            return await start(ctx, state, int(picked[-1]))
        return await start(ctx, state)
    dossier = (await _dossiers(ctx)).get(state.data.get("dossier_id", -1))
    if dossier is None:
        state.flow = state.step = None
        return Turn([Reply(t.gettext("This dossier is no longer open."))], state, done=True)
    if state.step == SET:
        if picked and picked[0] == "set" and picked[-1].isdigit():
            number = int(picked[-1])
            await ctx.store.set_product_set(ctx.profile.person_id, dossier.dossier_id, number)
            return await _open(ctx, state, dossier, number)
        return Turn(
            [
                Reply(t.gettext("Please choose one of the answers below.")),
                _set_question(ctx, dossier),
            ],
            state,
        )
    set_number = dossier.product_set
    if set_number is None:
        return await start(ctx, state, dossier.dossier_id)
    if state.step == SUMMARY:
        return await _on_summary(ctx, state, dossier, set_number, picked)
    if state.step == EDIT:
        if control is Control.BACK:  # to the result the change was asked from
            return await _open(ctx, state, dossier, set_number)
        if control is Control.HELP:
            return Turn([Reply(t.gettext(_EDIT_HELP))], state)
        return await _on_edit(ctx, state, dossier.dossier_id, set_number, content)
    return await _on_answer(ctx, state, dossier.dossier_id, set_number, content, control, picked)


async def _on_summary(
    ctx: HandlerContext,
    state: State,
    dossier: DossierView,
    set_number: int,
    picked: tuple[str, ...] | None,
) -> Turn:
    assert ctx.profile is not None  # noqa: S101 - the router asks for sign-up first
    t = ctx.t
    action = picked[1] if picked and picked[0] == "sum" and len(picked) > 1 else None
    view = await ctx.store.self_assessment(ctx.profile.person_id, dossier.dossier_id)
    if view is None or action is None:
        return await _open(ctx, state, dossier, set_number)
    if action == "edit":
        state.step = EDIT
        return Turn([Reply(t.gettext(_EDIT_HELP))], state)
    if action == "redo":
        view = await ctx.store.start_self_assessment(
            ctx.profile.person_id, dossier.dossier_id, set_number
        )
        return await _open(ctx, state, dossier, set_number)
    if action == "docx":
        form = await ctx.store.idea_form(ctx.profile.person_id, dossier.dossier_id)
        content = self_assessment_docx(form, view, ctx.now)
        code = dossier.registration_code or str(dossier.dossier_id)
        return Turn(
            [
                Document(content, f"mau-02-tu-danh-gia-{code}.docx", t.gettext("Mẫu 02"), DOCX),
                _summary(ctx, view, assess(set_number, view.answers)),
            ],
            state,
        )
    state.flow = state.step = None
    return Turn(
        [Reply(t.gettext("Your self-assessment is saved with the dossier."))], state, done=True
    )


async def _on_edit(
    ctx: HandlerContext, state: State, dossier_id: int, set_number: int, content: Content
) -> Turn:
    t = ctx.t
    typed = content.text.strip().rstrip(".") if isinstance(content, Text) else ""
    if typed not in POSITIONS[set_number]:
        return Turn(
            [
                Reply(
                    t.gettext(
                        "The sheet has no criterion {code}. Please type one like 2.3."
                    ).format(code=typed or "—")
                )
            ],
            state,
        )
    state.step = ASK
    state.data = {**state.data, "code": typed, "editing": True, "set": set_number}
    known = await _known(ctx, state, dossier_id, question(set_number, typed))
    return Turn(ask(ctx, set_number, typed, known), state)


async def _on_answer(
    ctx: HandlerContext,
    state: State,
    dossier_id: int,
    set_number: int,
    content: Content,
    control: Control | None,
    picked: tuple[str, ...] | None,
) -> Turn:
    assert ctx.profile is not None  # noqa: S101 - the router asks for sign-up first
    t = ctx.t
    code = str(state.data.get("code"))
    if code not in POSITIONS[set_number]:
        return await start(ctx, state, dossier_id)
    if control is Control.HELP:
        known = await _known(ctx, state, dossier_id, question(set_number, code))
        return Turn(
            [official_help(ctx, set_number, code), *ask(ctx, set_number, code, known)], state
        )
    if control is Control.BACK:
        position = max(POSITIONS[set_number][code] - 1, 0)
        previous = questions(set_number)[position].code
        state.data = {**state.data, "code": previous}
        known = await _known(ctx, state, dossier_id, question(set_number, previous))
        return Turn(ask(ctx, set_number, previous, known), state)
    if control is Control.SKIP:
        index = SKIPPED
    elif picked and picked[0] == "ans" and len(picked) == 3 and picked[1] == code:
        index = int(picked[2])
    else:
        lead = (
            t.gettext("That choice belongs to an earlier question. Please answer this one.")
            if isinstance(content, ChoicePicked)
            else t.gettext("Please choose one of the answers below.")
        )
        known = await _known(ctx, state, dossier_id, question(set_number, code))
        return Turn([Reply(lead), *ask(ctx, set_number, code, known)], state)
    answers = await ctx.store.answer_criterion(ctx.profile.person_id, dossier_id, code, index)
    following = None if state.data.get("editing") else next_unanswered(set_number, answers)
    if following is None:
        return await _finish(ctx, state, dossier_id, set_number, answers)
    state.data = {**state.data, "code": following}
    known = await _known(ctx, state, dossier_id, question(set_number, following))
    return Turn(ask(ctx, set_number, following, known), state)
