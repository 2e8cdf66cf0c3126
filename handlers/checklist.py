"""The dossier checklist (/hoso): one paper at a time, with photos or files as evidence.

The items come from ``ocop_rules.dossier_requirements`` for the product's set and dossier
kind; items the commune prepares (its report) are listed, not asked. A product registered
before the 26 sets of QĐ 26/2026/QĐ-TTg may have no set yet: its producer is asked for it
once, from the sets of the product's group, before the first paper. Each answer is committed
at once, so the walk can stop and resume at any time; "còn thiếu" lists what is missing,
disqualifying papers first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from bot.messages import (
    MAX_FILE_BYTES,
    ChoicePicked,
    Content,
    FileKind,
    FileProblem,
    FileReceived,
    Option,
    Outbound,
    Reply,
    Text,
)
from handlers import conversation, returns
from handlers.conversation import Control, State, Turn, control_of
from handlers.i18n import N_, Translator
from handlers.ideas import FACTS, facts_declared
from handlers.payloads import PayloadKind, make, parse
from handlers.ports import DossierView, Evidence, HandlerContext, ItemView
from handlers.textmatch import Matched, fold, match_option
from ocop_rules import (
    DossierKind,
    PaperHeld,
    ProductGroup,
    Provider,
    Requirement,
    dossier_requirements,
    product_sets_in,
    requirement,
    samples_for,
)

FLOW = "dossier"
ACCEPTED_TYPES = (
    "image/",
    "application/pdf",
    "application/msword",
    "application/vnd.openxmlformats-officedocument",
)

HAVE, MISSING, NOT_APPLICABLE, PENDING = "have", "missing", "not_applicable", "pending"
SET_STEP = "set"  # the question of a product that has no set yet
MISSING_LIST = make(PayloadKind.CHECKLIST, "missing")
# How a renewal dossier is named beside its product (a first evaluation has no label).
KIND_LABELS = {
    DossierKind.RE_EVALUATION: N_("re-evaluation"),
    DossierKind.UPGRADE: N_("upgrade"),
}


def _answer(code: str, answer: str) -> str:
    """The payload of an answer to the item ``code``."""
    return make(PayloadKind.CHECKLIST, code, answer)


# What each paper is and where it is obtained, in one line.
EXPLANATIONS: dict[str, str] = {
    "registration_form": N_(
        "The OCOP evaluation registration form; the commune office has the template."
    ),
    "subject_report": N_(
        "Your own report on the product against the OCOP criteria; the "
        "commune officer can show you a sample."
    ),
    "three_year_report": N_(
        "Your self-assessment report updated since the product was recognised: raw "
        "materials, technology, packaging, labels, quality declaration, periodic tests, "
        "market, output and revenue."
    ),
    "product_samples": N_("{samples} units of the product, packaged as sold."),
    "upgrade_changes": N_(
        "What changed since the product was recognised, with papers that show it."
    ),
    "local_labour_list": N_(
        "The list of your insured workers with where each one lives, signed by you."
    ),
    "promotion": N_("Your website or other proof of how you promote the product."),
    "business_registration": N_(
        "The business or cooperative registration certificate, from the registration office."
    ),
    "food_safety_certificate": N_(
        "The food-safety certificate of your production place, from "
        "the provincial agriculture or health department. Without "
        "it the product cannot be evaluated."
    ),
    "quality_declaration": N_("Your published quality declaration or company standard (TCCS)."),
    "test_results": N_(
        "Test results from a laboratory for the quality figures you declared. "
        "Without them the product cannot be evaluated."
    ),
    "label_packaging": N_("The label and packaging, with barcode and traceability stamp."),
    "raw_material_origin": N_(
        "Papers showing where raw materials come from: purchase contracts, links with growers."
    ),
    "environment_commitment": N_(
        "Your environmental protection commitment or plan, registered with the commune."
    ),
    "intellectual_property": N_("Trademark or geographical indication certificate (earns points)."),
    "quality_management": N_("VietGAP, organic, ISO or HACCP certificate (earns points)."),
    "accounting_records": N_("Accounting books and receipts (earn points)."),
    "market_evidence": N_("Sales contracts, invoices, fair participation (earn points)."),
    "product_story": N_("The product's story, written or printed (earns points)."),
    "user_manual": N_("Instructions for using or keeping the product."),
    "awards": N_("Awards and certificates of merit, if any."),
    "woman_or_minority_proof": N_(
        "Proof that the owner is a woman or from an ethnic minority, for bonus points."
    ),
    "business_plan": N_("Your production and business plan."),
    "dated_papers": N_(
        "Your papers that have an end date (business registration, food-safety certificate, "
        "tests…), in their current, still valid version."
    ),
}


@dataclass(frozen=True, slots=True)
class _Checklist:
    dossier: DossierView
    asked: tuple[Requirement, ...]
    by_commune: tuple[Requirement, ...]


def _requirements(dossier: DossierView) -> _Checklist:
    items = dossier_requirements(
        dossier.product_set or ProductGroup(dossier.group),
        DossierKind(dossier.kind),
        dossier.filed_on,
    )
    return _Checklist(
        dossier,
        tuple(i for i in items if i.provider is Provider.SUBJECT),
        tuple(i for i in items if i.provider is Provider.COMMUNE),
    )


def asked_requirements(dossier: DossierView) -> tuple[Requirement, ...]:
    """The papers the producer is asked about for ``dossier``, in checklist order."""
    return _requirements(dossier).asked


async def _load(ctx: HandlerContext, dossier: DossierView) -> tuple[_Checklist, list[ItemView]]:
    assert ctx.profile is not None  # noqa: S101 - the router asks for sign-up first
    checklist = _requirements(dossier)
    items = await ctx.store.checklist(
        ctx.profile.person_id, dossier.dossier_id, [r.code for r in checklist.asked]
    )
    return checklist, items


def explanation(t: Translator, dossier: DossierView, code: str) -> str:
    """What the paper ``code`` is; the samples' line counts those the product's set asks
    (QĐ 26, Điều 6.2.d), so the number is the rules' own."""
    samples = samples_for(dossier.product_set or ProductGroup(dossier.group))
    return t.gettext(EXPLANATIONS[code]).format(samples=samples)


def _progress(items: list[ItemView], ctx: HandlerContext) -> str:
    done = sum(1 for item in items if item.state != PENDING)
    return ctx.t.gettext("{done}/{total} items").format(done=done, total=len(items))


def _ask(ctx: HandlerContext, checklist: _Checklist, items: list[ItemView], code: str) -> Reply:
    t = ctx.t
    # The dossier's own wording of the paper (Mẫu 01 names the box its kind ticks).
    item = next((r for r in checklist.asked if r.code == code), None) or requirement(code)
    lines = [
        f"{_progress(items, ctx)} · "
        + t.gettext("Do you have this paper: {name}?").format(name=item.name_vi),
        explanation(t, checklist.dossier, code),
    ]
    answered = next((i for i in items if i.code == code), None)
    note = returns.note_line(t, answered) if answered is not None else None
    if note is not None:
        lines.insert(1, note)
    # The same number means the same answer on every paper (on Zalo the number is the
    # button): the one paper a product may not need has its own option last.
    rows = [
        (Option(t.gettext("Yes, I have it"), _answer(code, "have")),),
        (Option(t.gettext("Not yet"), _answer(code, "missing")),),
        (Option(t.gettext("What is missing?"), MISSING_LIST),),
    ]
    if item.allows_not_applicable:
        rows.append((Option(t.gettext("Does not apply to my product"), _answer(code, "na")),))
    return Reply("\n".join(lines), tuple(rows))


def _following(items: list[ItemView], after: str | None) -> int:
    """Where the papers after ``after`` begin (0 when it is None or not among them)."""
    codes = [i.code for i in items]
    return codes.index(after) + 1 if after in codes else 0


def _next_pending(items: list[ItemView], after: str | None = None) -> str | None:
    start = _following(items, after)
    ordered = items[start:] + items[:start]
    return next((i.code for i in ordered if i.state == PENDING), None)


def _next_missing(items: list[ItemView], after: str | None = None) -> str | None:
    """The next paper answered "Chưa có" after ``after`` (from the first when None), not
    round again: a pass over them ends at the last one."""
    return next((i.code for i in items[_following(items, after) :] if i.state == MISSING), None)


def _next_item(dossier: DossierView, items: list[ItemView], after: str | None = None) -> str | None:
    """The next paper to ask: a pending one, else one the commune returned that the
    producer has not answered again yet, else one still missing — once every paper is
    answered, /hoso goes over those again, so a paper got since can be said and shown."""
    following = _next_pending(items, after)
    if following is None and returns.is_returned(dossier, items):
        return returns.next_returned(items, after)
    return following if following is not None else _next_missing(items, after)


def _finished(
    ctx: HandlerContext,
    state: State,
    checklist: _Checklist,
    items: list[ItemView],
    lead: list[Outbound],
) -> Turn:
    """Every paper answered: what is missing, and for a returned dossier whose flagged
    papers were all answered again, the offer to send it back (the chat stays on it, so a
    typed number picks it)."""
    report = missing_report(ctx, checklist, items)
    if returns.is_returned(checklist.dossier, items) and returns.all_changed(items):
        state.flow, state.step = FLOW, returns.RESEND
        offer = returns.resend_offer(ctx.t, checklist.dossier.dossier_id)
        return Turn([*lead, report, offer], state)
    state.flow = state.step = None
    return Turn([*lead, report], state, done=True)


def missing_report(ctx: HandlerContext, checklist: _Checklist, items: list[ItemView]) -> Reply:
    """What is still missing, disqualifying papers first."""
    t = ctx.t
    states = {i.code: i.state for i in items}
    missing = [
        r for r in checklist.asked if r.required and states.get(r.code) in (PENDING, MISSING)
    ]
    missing.sort(key=lambda r: not r.disqualifying)
    if not missing:
        lines = [t.gettext("Nothing required is missing. Well done!")]
    else:
        lines = [t.gettext("Still missing:")]
        for r in missing:
            mark = t.gettext(" (required to be evaluated)") if r.disqualifying else ""
            lines.append(f"• {r.name_vi}{mark}")
    for r in checklist.by_commune:
        lines.append(t.gettext("• {name}: prepared by the commune office").format(name=r.name_vi))
    return Reply("\n".join(lines))


async def start(ctx: HandlerContext, state: State, dossier_id: int | None = None) -> Turn:
    """Open the checklist: pick the dossier when there are several, then the first item."""
    assert ctx.profile is not None  # noqa: S101 - the router asks for sign-up first
    dossiers = await ctx.store.open_dossiers(ctx.profile.person_id)
    if not dossiers:
        return Turn(
            [
                Reply(
                    ctx.t.gettext(
                        "You have no product yet. Register a product idea first with /dangky."
                    )
                )
            ],
            state,
        )
    chosen = next((d for d in dossiers if d.dossier_id == dossier_id), None)
    if chosen is None and len(dossiers) > 1:
        state.flow, state.step = FLOW, "pick"
        rows = tuple(
            (
                Option(
                    f"{d.product_name} ({d.registration_code or '—'}){_kind_label(ctx, d)}",
                    make(PayloadKind.CHECKLIST, "pick", d.dossier_id),
                ),
            )
            for d in dossiers
        )
        return Turn([Reply(ctx.t.gettext("Which product's dossier?"), rows)], state)
    return await _open(ctx, state, chosen or dossiers[0])


def _kind_label(ctx: HandlerContext, dossier: DossierView) -> str:
    """ " — re-evaluation" / " — upgrade" after a renewal dossier's name; "" otherwise."""
    label = KIND_LABELS.get(DossierKind(dossier.kind))
    return f" — {ctx.t.gettext(label)}" if label else ""


def _ask_set(ctx: HandlerContext, dossier: DossierView) -> Reply:
    """Which set the product is in, among its group's sets (their official names)."""
    rows = tuple(
        (Option(found.name, make(PayloadKind.CHECKLIST, SET_STEP, found.number)),)
        for found in product_sets_in(ProductGroup(dossier.group))
    )
    text = ctx.t.gettext(
        "Each kind of OCOP product now has its own scoring sheet, and I do not know yet "
        "which one “{product}” follows. Which of these is it? I will ask only this once."
    ).format(product=dossier.product_name)
    return Reply(text, rows)


def _set_picked(content: Content, dossier: DossierView) -> int | None:
    """The set a pressed or typed option names, when it is one of the group's."""
    picked = parse(content.payload) if isinstance(content, ChoicePicked) else None
    if picked is None or picked.kind is not PayloadKind.CHECKLIST or picked.part(0) != SET_STEP:
        return None
    numbers = {found.number for found in product_sets_in(ProductGroup(dossier.group))}
    number = picked.part(1)
    return int(number) if number.isdigit() and int(number) in numbers else None


async def _answer_set(
    ctx: HandlerContext, state: State, dossier: DossierView, content: Content
) -> Turn:
    assert ctx.profile is not None  # noqa: S101 - the router asks for sign-up first
    if control_of(content) in (Control.CANCEL, Control.MENU):
        state.flow = state.step = None
        return Turn(
            [Reply(ctx.t.gettext("Saved. Type /hoso to continue the checklist any time."))],
            state,
            done=True,
        )
    number = _set_picked(content, dossier)
    if number is None:
        lead = ctx.t.gettext("Please choose one of the answers below.")
        return Turn([Reply(lead), _ask_set(ctx, dossier)], state)
    await ctx.store.set_product_set(ctx.profile.person_id, dossier.dossier_id, number)
    return await _open(ctx, state, replace(dossier, product_set=number))


# The papers a producer may have declared held at registration, by requirement code.
HELD_PAPERS: dict[str, str] = {
    PaperHeld.BUSINESS_REGISTRATION: "business_registration",
    PaperHeld.FOOD_SAFETY: "food_safety_certificate",
    PaperHeld.QUALITY_DECLARATION: "quality_declaration",
    PaperHeld.TRADEMARK: "intellectual_property",
}


async def _declared_first(
    ctx: HandlerContext, state: State, dossier: DossierView
) -> tuple[Turn | None, tuple[str, ...]]:
    """The product's facts, asked once before the papers of a first evaluation (a turn
    into that flow), and the papers declared held at registration."""
    assert ctx.profile is not None  # noqa: S101 - the router asks for sign-up first
    answers = (await ctx.store.idea_form(ctx.profile.person_id, dossier.dossier_id)).answers
    if dossier.kind == DossierKind.NEW and not facts_declared(answers):
        state.clear()
        return conversation.start(
            FACTS, state, ctx.t, ctx.now, {"_dossier": dossier.dossier_id}
        ), ()
    held = answers.get("papers_held")
    papers = (
        tuple(HELD_PAPERS[p] for p in held if p in HELD_PAPERS) if isinstance(held, list) else ()
    )
    return None, papers


async def _open(ctx: HandlerContext, state: State, dossier: DossierView) -> Turn:
    assert ctx.profile is not None  # noqa: S101 - the router asks for sign-up first
    held: tuple[str, ...] = ()
    if dossier.product_set is not None:
        facts, held = await _declared_first(ctx, state, dossier)
        if facts is not None:
            return facts
    state.flow = FLOW
    state.data = {**state.data, "dossier_id": dossier.dossier_id}
    if dossier.product_set is None:
        state.step = SET_STEP
        return Turn([_ask_set(ctx, dossier)], state)
    checklist, items = await _load(ctx, dossier)
    pending_held = [i.code for i in items if i.code in held and i.state == PENDING]
    for paper in pending_held:  # declared at registration: never asked, never missing
        await ctx.store.answer_item(ctx.profile.person_id, dossier.dossier_id, paper, HAVE, None)
    if pending_held:
        checklist, items = await _load(ctx, dossier)
    code = _next_item(dossier, items)
    if code is None:
        return _finished(ctx, state, checklist, items, [])
    state.step = code
    revisiting = all(i.state != PENDING for i in items) and not returns.is_returned(dossier, items)
    if revisiting:  # every paper answered: over those still missing again
        again = ctx.t.gettext(
            "Dossier for “{product}”: I will ask again about each paper you did not have yet. "
            "Once you have one, choose “Đã có” and send its photo."
        ).format(product=dossier.product_name)
        report = missing_report(ctx, checklist, items)
        return Turn([report, Reply(again), _ask(ctx, checklist, items, code)], state)
    intro = ctx.t.gettext("Dossier for “{product}”: I will ask about each paper in turn.").format(
        product=dossier.product_name
    )
    return Turn([Reply(intro), _ask(ctx, checklist, items, code)], state)


async def reprompt(ctx: HandlerContext, state: State) -> list[Outbound]:
    """Ask the current paper again (or which dossier, when that is the question)."""
    assert ctx.profile is not None  # noqa: S101 - the router asks for sign-up first
    dossiers = {d.dossier_id: d for d in await ctx.store.open_dossiers(ctx.profile.person_id)}
    dossier = dossiers.get(state.data.get("dossier_id", -1))
    if state.step == "pick" or dossier is None or state.step not in EXPLANATIONS:
        return (await start(ctx, State())).replies
    checklist, items = await _load(ctx, dossier)
    return [_ask(ctx, checklist, items, state.step)]


def _evidence(ctx: HandlerContext, content: FileReceived) -> Evidence | str:
    """The evidence to keep, or why not (translated)."""
    t = ctx.t
    if content.kind not in (FileKind.PHOTO, FileKind.DOCUMENT):
        return t.gettext("Please send a photo or a file of the paper.")
    if content.problem is FileProblem.UNAVAILABLE:
        return t.gettext("I could not get that file from the chat app. Please send it again.")
    if content.problem is FileProblem.UNSUPPORTED_TYPE or (
        content.media_type and not content.media_type.startswith(ACCEPTED_TYPES)
    ):
        return t.gettext("Please send a photo, a PDF or a Word file.")
    if content.problem is FileProblem.TOO_LARGE or (
        content.size_bytes is not None and content.size_bytes > MAX_FILE_BYTES
    ):
        return t.gettext(
            "That file is too large (over {size} MB). Please send a photo instead."
        ).format(size=MAX_FILE_BYTES // (1024 * 1024))
    return Evidence(
        ctx.channel.value, content.file_ref, content.media_type, content.size_bytes, content.content
    )


def _pick(content: Content, ctx: HandlerContext, code: str) -> str | None:
    if isinstance(content, ChoicePicked):
        return content.payload
    if not isinstance(content, Text):
        return None
    words = fold(content.text)
    if words in ("con thieu", "thieu", "thieu gi", "missing"):
        return MISSING_LIST
    if words in ("xong", "done", "tiep", "tiep theo"):
        return _answer(code, "done")
    options = [
        (ctx.t.gettext("Yes, I have it"), "co", "da co", "roi", "co roi", "da co roi", "co a"),
        (ctx.t.gettext("Not yet"), "chua", "chua co", "khong", "chua co a", "chua a", "khong co"),
        (ctx.t.gettext("Does not apply to my product"), "khong ap dung", "ko ap dung"),
    ]
    result = match_option(content.text, options)
    if isinstance(result, Matched):
        return _answer(code, ("have", "missing", "na")[result.index])
    return None


async def _answer_resend(ctx: HandlerContext, state: State, content: Content) -> Turn:
    """The answer to "send the dossier back?": its option sends it; anything else leaves the
    checklist as saved (it can be sent later from /trangthai or /hoso)."""
    picked = parse(content.payload) if isinstance(content, ChoicePicked) else None
    if (
        picked is not None
        and picked.kind is PayloadKind.DOSSIER
        and picked.part(0) == returns.RESEND
        and picked.part(1).isdigit()
    ):
        return await returns.resend(ctx, state, int(picked.part(1)))
    state.flow = state.step = None
    return Turn(
        [Reply(ctx.t.gettext("Saved. Type /hoso to continue the checklist any time."))],
        state,
        done=True,
    )


# The paper whose number is asked with it (it was asked at sign-up before; now only here).
NUMBERED_PAPER = "business_registration"
_REGISTRATION_NUMBER = re.compile(r"[0-9][0-9A-Za-z./-]{3,39}")


def _registration_number(content: Content, code: str) -> str | None:
    """The registration number typed at the business registration paper, if it is one."""
    if code != NUMBERED_PAPER or not isinstance(content, Text):
        return None
    typed = content.text.strip()
    return typed if _REGISTRATION_NUMBER.fullmatch(typed.replace(" ", "")) else None


async def _save_registration_number(
    ctx: HandlerContext, state: State, dossier: DossierView, code: str, number: str
) -> Turn:
    """The registration number typed at its paper: kept on the producer, the paper held."""
    assert ctx.profile is not None  # noqa: S101 - the router asks for sign-up first
    t = ctx.t
    await ctx.store.set_business_registration_no(ctx.profile.person_id, number)
    await ctx.store.answer_item(ctx.profile.person_id, dossier.dossier_id, code, HAVE, None)
    done = ((Option(t.gettext("Done"), _answer(code, "done")),),)
    saved = t.gettext(
        "Saved the number {number}; it is printed on your forms. Send a photo of the "
        "paper, or type “Xong” to go on."
    ).format(number=number)
    return Turn([Reply(saved, done)], state)


async def advance(ctx: HandlerContext, state: State, content: Content) -> Turn:
    """Handle one message while the checklist is open."""
    t = ctx.t
    assert ctx.profile is not None  # noqa: S101 - the router asks for sign-up first
    if state.step == "pick":  # which product's dossier: nothing entered yet to keep
        if control_of(content) in (Control.CANCEL, Control.MENU, Control.BACK):
            state.flow = state.step = None
            return Turn([Reply(t.gettext("All right."))], state, done=True)
        picked = parse(content.payload) if isinstance(content, ChoicePicked) else None
        if picked and picked.kind is PayloadKind.CHECKLIST and picked.part(1).isdigit():
            return await start(ctx, state, int(picked.part(1)))
        return await start(ctx, state)
    if state.step == returns.RESEND:
        return await _answer_resend(ctx, state, content)
    dossiers = {d.dossier_id: d for d in await ctx.store.open_dossiers(ctx.profile.person_id)}
    dossier = dossiers.get(state.data.get("dossier_id", -1))
    code = state.step or ""
    if dossier is not None and code == SET_STEP:
        return await _answer_set(ctx, state, dossier, content)
    if dossier is None or code not in EXPLANATIONS:
        state.flow = state.step = None
        return Turn([Reply(t.gettext("This dossier is no longer open."))], state, done=True)
    checklist, items = await _load(ctx, dossier)
    control = control_of(content)
    if control in (Control.CANCEL, Control.MENU):
        state.flow = state.step = None
        return Turn(
            [Reply(t.gettext("Saved. Type /hoso to continue the checklist any time."))],
            state,
            done=True,
        )
    if control is Control.HELP:
        return Turn(
            [Reply(explanation(t, dossier, code)), _ask(ctx, checklist, items, code)], state
        )
    if control is Control.BACK:
        codes = [i.code for i in items]
        previous = codes[max(codes.index(code) - 1, 0)]
        state.step = previous
        return Turn([_ask(ctx, checklist, items, previous)], state)
    if isinstance(content, FileReceived):
        evidence = _evidence(ctx, content)
        if isinstance(evidence, str):
            return Turn([Reply(evidence)], state)
        item = await ctx.store.answer_item(
            ctx.profile.person_id, dossier.dossier_id, code, HAVE, evidence
        )
        return Turn(
            [
                Reply(
                    t.gettext(
                        "Received ({count} file(s)). Send more, or type “Xong” when done."
                    ).format(count=item.evidence_count),
                    ((Option(t.gettext("Done"), _answer(code, "done")),),),
                )
            ],
            state,
        )
    number = _registration_number(content, code)
    if number is not None:
        return await _save_registration_number(ctx, state, dossier, code, number)
    pick = _pick(content, ctx, code)
    if pick == MISSING_LIST:
        return Turn(
            [missing_report(ctx, checklist, items), _ask(ctx, checklist, items, code)], state
        )
    prefix = _answer(code, "")
    if pick is None or not pick.startswith(prefix):
        lead = (
            t.gettext("That choice belongs to an earlier question. Please answer this one.")
            if isinstance(content, ChoicePicked)
            else t.gettext("Please choose one of the answers below.")
        )
        return Turn([Reply(lead), _ask(ctx, checklist, items, code)], state)
    answer = pick.removeprefix(prefix)
    if answer == "have":
        await ctx.store.answer_item(ctx.profile.person_id, dossier.dossier_id, code, HAVE, None)
        ask_number = (
            t.gettext("Type its number too, for example: 4300123456.")
            if code == NUMBERED_PAPER
            else ""
        )
        good = t.gettext(
            "Good. Send a photo or file of it now (several are fine), or type “Xong” to go on."
        )
        return Turn(
            [
                Reply(
                    f"{good} {ask_number}".strip(),
                    ((Option(t.gettext("Done"), _answer(code, "done")),),),
                )
            ],
            state,
        )
    if answer == "na" and not requirement(code).allows_not_applicable:
        return Turn(
            [
                Reply(t.gettext("This paper applies to every product of this kind.")),
                _ask(ctx, checklist, items, code),
            ],
            state,
        )
    if answer in ("missing", "na"):
        state_value = MISSING if answer == "missing" else NOT_APPLICABLE
        await ctx.store.answer_item(
            ctx.profile.person_id, dossier.dossier_id, code, state_value, None
        )
    checklist, items = await _load(ctx, dossier)
    following = _next_item(dossier, items, code)
    if following is None:
        done: list[Outbound] = [Reply(t.gettext("You have gone through every paper."))]
        return _finished(ctx, state, checklist, items, done)
    state.step = following
    return Turn([_ask(ctx, checklist, items, following)], state)
