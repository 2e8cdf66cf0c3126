"""Recognising a person who comes back on another channel with the same phone number.

Typing a phone number proves nothing: anyone may know it. So the bot sends a one-time
6-digit code to the account already registered with that number and asks for it here;
only the person holding that account can answer. The code lives hashed in this chat's own
state, expires after 10 minutes and allows 5 tries; at most 3 codes an hour go to one
person, so nobody can flood someone else's phone with codes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from bot.messages import Content, Option, Outbound, Reply, Text
from handlers import conversation
from handlers.conversation import Control, State, Turn, control_of
from handlers.i18n import N_, Translator
from handlers.notices import channel_name
from handlers.onboarding import ONBOARDING
from handlers.parsing import InvalidAnswerError
from handlers.payloads import PayloadKind, make
from handlers.ports import Changes, HandlerContext

FLOW = "link"
CODE_TTL = timedelta(minutes=10)
MAX_TRIES = 5
# The offer's answers: payload → (label, other words that pick it), for conversation.pick.
YES = make(PayloadKind.LINKING, "yes")
NO = make(PayloadKind.LINKING, "no")
OFFER_ANSWERS: dict[str, tuple[str, ...]] = {
    YES: (N_("Yes, send the code"), "co", "yes", "gui ma", "dong y"),
    NO: (N_("No, sign up anew"), "khong", "no", "dang ky moi"),
}


def _hash(code: str, person_id: int) -> str:
    return hashlib.sha256(f"{person_id}:{code}".encode()).hexdigest()


def typed_phone(content: Content, t: Translator) -> str | None:
    """The number the phone step would store for this message, if it accepts it."""
    try:
        phone: str = conversation.parse_answer(ONBOARDING.step("phone"), content, {}, t)
    except InvalidAnswerError:
        return None
    return phone


def _offer_reply(t: Translator, channel: str) -> Reply:
    text = t.gettext(
        "This number is already registered on {channel}. Shall I recognise you, so your "
        "products and dossiers show here too? I will send a 6-digit code to your {channel} "
        "account to make sure it is you."
    ).format(channel=channel_name(t, channel))
    rows = tuple((Option(t.gettext(words[0]), key),) for key, words in OFFER_ANSWERS.items())
    return Reply(text, rows)


async def offer(ctx: HandlerContext, state: State, phone: str) -> Turn | None:
    """At onboarding's phone step: when the number belongs to someone the bot can still
    reach, offer to recognise them instead of signing them up twice."""
    if state.data.get("link_declined") == phone:
        return None  # they said "No" to this number already
    known = await ctx.store.person_by_phone(phone)
    if known is None:
        return None
    conversation.leave(state)  # the answers so far stay as onboarding's draft
    state.flow, state.step = FLOW, "offer"
    state.data = {
        **state.data,
        "link": {"phone": phone, "person": known.person_id, "to": known.channel},
    }
    return Turn([_offer_reply(ctx.t, known.channel)], state)


def _back_to_sign_up(
    ctx: HandlerContext, state: State, lead: str | None, *, keep_phone: bool, declined: bool = False
) -> Turn:
    link = state.data.get("link", {})
    state.data = {k: v for k, v in state.data.items() if k != "link"}
    if declined:
        state.data["link_declined"] = link["phone"]
    answers = {"phone": link["phone"]} if keep_phone else {}
    turn = conversation.continue_draft(ONBOARDING, state, ctx.t, ctx.now, answers)
    if lead:
        turn.replies.insert(0, Reply(lead))
    return turn


def _help(t: Translator, step: str | None) -> str:
    if step == "code":
        return t.gettext(
            "Open the other app (Telegram or Zalo) where you signed up before: I sent you a "
            "6-digit code there. Type those 6 digits here. Type “Hủy” to sign up anew instead."
        )
    return t.gettext(
        "If you signed up before on the other app, choose “Yes” and I will send you a code "
        "there. Choose “No” to sign up again here."
    )


def expects_typed(state: State) -> bool:
    """The code step waits for six typed digits; the offer is a list."""
    return state.step == "code"


async def reprompt(ctx: HandlerContext, state: State) -> list[Outbound]:
    """Ask the current question again."""
    if state.step == "offer":
        return [_offer_reply(ctx.t, state.data["link"]["to"])]
    return [Reply(_help(ctx.t, state.step))]


async def advance(ctx: HandlerContext, state: State, content: Content) -> Turn:
    """Handle one message while recognising the person."""
    t = ctx.t
    control = control_of(content)
    if control in (Control.CANCEL, Control.MENU):
        return _back_to_sign_up(ctx, state, t.gettext("All right."), keep_phone=True)
    if control is Control.BACK:
        return _back_to_sign_up(ctx, state, None, keep_phone=False)
    if control is Control.HELP:
        replies: list[Outbound] = [Reply(_help(t, state.step))]
        if state.step == "offer":
            replies.append(_offer_reply(t, state.data["link"]["to"]))
        return Turn(replies, state)
    if state.step == "offer":
        return await _answer_offer(ctx, state, content)
    return await _check_code(ctx, state, content)


async def _answer_offer(ctx: HandlerContext, state: State, content: Content) -> Turn:
    t = ctx.t
    link = dict(state.data["link"])
    picked = conversation.pick(content, OFFER_ANSWERS, t)
    if picked == NO:
        return _back_to_sign_up(ctx, state, t.gettext("All right."), keep_phone=True, declined=True)
    if picked != YES:
        return Turn(
            [
                Reply(t.gettext("Please choose one of the answers below.")),
                _offer_reply(t, link["to"]),
            ],
            state,
        )
    code = f"{secrets.randbelow(1_000_000):06d}"
    expires = ctx.now + CODE_TTL
    if not await ctx.store.queue_link_code(link["person"], code, ctx.channel.value, expires):
        return _back_to_sign_up(
            ctx,
            state,
            t.gettext("I have sent too many codes to that account already; please try later."),
            keep_phone=True,
        )
    link.update(hash=_hash(code, link["person"]), expires=expires.isoformat(), tries=0)
    state.step = "code"
    state.data = {**state.data, "link": link}
    text = t.gettext(
        "I have sent a 6-digit code to your {channel} account. Type it here "
        "(it works for 10 minutes). Type “Hủy” to sign up anew instead."
    ).format(channel=channel_name(t, link["to"]))
    return Turn([Reply(text)], state)


async def _check_code(ctx: HandlerContext, state: State, content: Content) -> Turn:
    t = ctx.t
    link = dict(state.data["link"])
    if ctx.now > datetime.fromisoformat(link["expires"]):
        lead = t.gettext("The code has expired. Let us go on signing up.")
        return _back_to_sign_up(ctx, state, lead, keep_phone=True)
    typed = "".join(ch for ch in content.text if ch.isdigit()) if isinstance(content, Text) else ""
    if len(typed) != 6 or not hmac.compare_digest(_hash(typed, link["person"]), link["hash"]):
        link["tries"] = int(link.get("tries", 0)) + 1
        state.data = {**state.data, "link": link}
        if link["tries"] >= MAX_TRIES:
            lead = t.gettext("That code was wrong too many times. Let us go on signing up.")
            return _back_to_sign_up(ctx, state, lead, keep_phone=True)
        return Turn(
            [Reply(t.gettext("That code is not right. Please check it and type the 6 digits."))],
            state,
        )
    profile = await ctx.store.link_account(
        link["person"],
        channel=ctx.channel,
        external_id=ctx.sender_id,
        chat_id=ctx.chat_id,
        display_name=ctx.sender_name,
    )
    state.clear()
    state.data = {k: v for k, v in state.data.items() if k != "drafts"}
    welcome = t.gettext("Welcome back, {name}! Your products and dossiers are here too.")
    reply = Reply(welcome.format(name=profile.full_name or ""))
    return Turn([reply], state, done=True, changes=Changes(profile=profile))
