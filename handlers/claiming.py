"""Claiming products the province already certified, right after signing up.

A province imports its published OCOP list (``ocop-bot admin import``), so many certified
products are in the database before their producers ever write to the bot. When someone
signs up with the phone number the list gives for a subject, or with the same subject name
in the same commune, the bot asks whether that subject is theirs — it never links one
silently. "Yes" makes the subject and its products theirs (audited); the store checks the
match again at that moment, so an old or made-up button claims nothing.
"""

from __future__ import annotations

from bot.messages import Content, Option, Outbound, Reply
from handlers import conversation
from handlers.communes import commune_by_code
from handlers.conversation import Control, State, Turn, control_of
from handlers.i18n import N_, Translator
from handlers.payloads import PayloadKind, make
from handlers.ports import ClaimOffer, HandlerContext

FLOW = "claim"
# The question's answers: payload → (label, other words that pick it), for conversation.pick.
YES = make(PayloadKind.CLAIM, "yes")
NO = make(PayloadKind.CLAIM, "no")
ANSWERS: dict[str, tuple[str, ...]] = {
    YES: (N_("Yes, it is mine"), "co", "dung", "yes", "phai", "cua toi"),
    NO: (N_("No, it is not"), "khong", "no", "khong phai"),
}


def _question(t: Translator, offer: ClaimOffer) -> Reply:
    commune = commune_by_code(offer.commune_code)
    lines = [
        t.gettext(
            "The province's list of OCOP products has “{name}” in {commune}, with these "
            "certified products:"
        ).format(name=offer.name, commune=commune.full_name if commune else offer.commune_code)
    ]
    lines += [
        t.gettext("• {product} — {stars} stars").format(product=product, stars=stars)
        for product, stars in offer.products
    ]
    lines.append(
        t.gettext(
            "Is this your business? If it is, I will add these products to your account and "
            "remind you before their certificates expire."
        )
    )
    rows = tuple((Option(t.gettext(words[0]), key),) for key, words in ANSWERS.items())
    return Reply("\n".join(lines), rows)


async def offer(ctx: HandlerContext, state: State) -> Turn | None:
    """After sign-up: ask about the first imported subject that looks like the person's."""
    if ctx.profile is None:
        return None
    offers = await ctx.store.claim_offers(ctx.profile.person_id)
    if not offers:
        return None
    state.flow, state.step = FLOW, "ask"
    state.data = {**state.data, "claim": [o.subject_id for o in offers]}
    return Turn([_question(ctx.t, offers[0])], state)


async def _current(ctx: HandlerContext, state: State) -> ClaimOffer | None:
    """The offer being asked about, if it still stands."""
    if ctx.profile is None:
        return None
    pending = state.data.get("claim", [])
    offers = {o.subject_id: o for o in await ctx.store.claim_offers(ctx.profile.person_id)}
    return next((offers[i] for i in pending if i in offers), None)


async def _next(ctx: HandlerContext, state: State, replies: list[Outbound]) -> Turn:
    """Ask about the next offer that still stands, or finish."""
    pending = state.data.get("claim", [])[1:]
    state.data = {**state.data, "claim": pending}
    upcoming = await _current(ctx, state)
    if upcoming is None:
        state.clear()
        return Turn(replies, state, done=True)
    state.data["claim"] = pending[pending.index(upcoming.subject_id) :]
    return Turn([*replies, _question(ctx.t, upcoming)], state)


async def reprompt(ctx: HandlerContext, state: State) -> list[Outbound]:
    """Ask about the current offer again."""
    current = await _current(ctx, state)
    return [] if current is None else [_question(ctx.t, current)]


async def advance(ctx: HandlerContext, state: State, content: Content) -> Turn:
    """Handle one answer to "is this your business?"."""
    t = ctx.t
    current = await _current(ctx, state)
    control = control_of(content)
    if (
        ctx.profile is None
        or current is None
        or control in (Control.CANCEL, Control.MENU, Control.BACK)
    ):
        state.clear()
        lead = t.gettext("All right. You can ask your commune office to add them later.")
        return Turn([Reply(lead)] if current is not None else [], state, done=True)
    if control is Control.HELP:
        help_text = t.gettext(
            "Choose “Yes” if this cooperative, company or household is yours: its certified "
            "products will show under /chungnhan. Choose “No” if it is someone else's."
        )
        return Turn([Reply(help_text), _question(t, current)], state)
    picked = conversation.pick(content, ANSWERS, t)
    if picked == NO:
        return await _next(ctx, state, [Reply(t.gettext("All right, I have not added them."))])
    if picked != YES:
        again = Reply(t.gettext("Please choose one of the answers below."))
        return Turn([again, _question(t, current)], state)
    claimed = await ctx.store.claim_subject(ctx.profile.person_id, current.subject_id)
    if claimed is None:
        return await _next(ctx, state, [])
    done = t.gettext(
        "Done: “{name}” and its certified products ({count}) are now in your account."
    ).format(name=claimed.name, count=len(claimed.products))
    return await _next(ctx, state, [Reply(done)])
