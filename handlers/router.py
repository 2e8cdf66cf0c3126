"""The entry point of every message: a short dispatch over the registry.

In order: an officer's invite code; a typed number or option words turned into the payload
they pick (:mod:`handlers.offers`); the conversation the chat is in; an officer's move or a
notice toggle; the feature a payload, command or words open; help, menu, or one fallback.
A person who has not signed up is taken to sign-up on first contact (which also says that
this is an automated assistant). After every turn the options of its last message are
remembered, so that the next typed number answers exactly that list.
"""

from __future__ import annotations

import re

from bot.messages import (
    ChoicePicked,
    Command,
    Content,
    FileReceived,
    Option,
    Outbound,
    Reply,
    Text,
)
from handlers import (
    claiming,
    conversation,
    ideas,
    linking,
    notices,
    offers,
    officer,
    renewal,
    returns,
)
from handlers.conversation import Control, State, Turn, control_of
from handlers.data_rights import wipe
from handlers.features import (
    BY_COMMAND,
    BY_NAME,
    BY_WORDS,
    CONVERSATIONS,
    FEATURES,
    Audience,
    Conversation,
    Feature,
)
from handlers.invite_codes import looks_like_code
from handlers.onboarding import ONBOARDING
from handlers.payloads import PayloadKind, make, parse
from handlers.ports import HandlerContext, Profile
from handlers.textmatch import fold
from handlers.unsupported import UNREADABLE_KINDS, answer_unreadable

PLAIN_INVITE = re.compile(r"can ?bo[\s:]+([a-z0-9]{3,6}[\s-]?[a-z0-9]{3,6})")
REGISTRATION_CODE = re.compile(r"\s*OCOP-\d{1,3}-\d{4}-\d{1,10}\s*", re.IGNORECASE)

# Set when sign-up ends and read by the next message only: the menu then invites the
# product's name, and a name typed there starts the idea's registration with it.
NAME_INVITED = "_name_invited"


def _allowed(feature: Feature, profile: Profile | None) -> bool:
    """Whether the person may use ``feature`` (and so see it in the menu)."""
    match feature.audience:
        case Audience.ANYONE:
            return True
        case Audience.GUEST:
            return profile is None
        case Audience.MEMBER:
            return profile is not None
        case Audience.PRODUCER:
            return profile is not None and profile.role != "officer"
        case Audience.OFFICER:
            return officer.is_officer(profile)


def menu(ctx: HandlerContext, lead: str = "") -> Reply:
    """The main menu for the person behind this chat: every feature they may use."""
    t = ctx.t
    lines = [lead] if lead else []
    if ctx.profile is not None and ctx.profile.full_name:
        lines.append(
            t.gettext("Hello {name}! What would you like to do?").format(name=ctx.profile.full_name)
        )
    else:
        lines.append(t.gettext("What would you like to do?"))
    rows = tuple(
        (Option(t.gettext(feature.label), make(PayloadKind.FEATURE, feature.name)),)
        for feature in FEATURES
        if feature.label is not None and _allowed(feature, ctx.profile)
    )
    return Reply("\n".join(lines), rows)


def _help(ctx: HandlerContext) -> list[Outbound]:
    """What the bot is, the commands this person can use (from the registry), the controls."""
    t = ctx.t
    lines = [
        t.gettext(
            "I am an automated assistant for the OCOP programme. Choose from the menu, "
            "or type a command:"
        )
    ]
    lines += [
        f"/{feature.commands[0]} — {t.gettext(feature.label)}"
        for feature in FEATURES
        if feature.label is not None and feature.commands and _allowed(feature, ctx.profile)
    ]
    lines.append(
        t.gettext(
            "At any question you can type “Quay lại” (back), “Hủy” (stop), “Trợ giúp” (help) "
            "or “Menu”."
        )
    )
    return [Reply("\n".join(lines)), menu(ctx)]


def feature_for(content: Content) -> Feature | None:
    """The feature a message opens: its payload, its command, or its words typed alone."""
    if isinstance(content, ChoicePicked):
        picked = parse(content.payload)
        return BY_NAME.get(picked.part(0)) if picked.kind is PayloadKind.FEATURE else None
    if isinstance(content, Command):
        return BY_COMMAND.get(content.name.lower())
    if isinstance(content, Text):
        return BY_WORDS.get(fold(content.text).strip(" .!?"))
    return None


async def _open(wanted: Feature, ctx: HandlerContext, state: State, content: Content) -> Turn:
    """Open ``wanted``; a command's arguments go to a feature that takes them."""
    if wanted.with_args is not None and isinstance(content, Command) and content.args:
        return await wanted.with_args(ctx, state, content.args)
    return await wanted.open(ctx, state)


def _invite_code(content: Content) -> str | None:
    """The code of "/canbo CODE", "canbo CODE" or a Telegram deep link "/start CODE"."""
    if isinstance(content, Command) and content.name.lower() in ("canbo", "can_bo"):
        return content.args
    if isinstance(content, Command) and content.name.lower() == "start" and content.args:
        return content.args
    if isinstance(content, Text):
        # Plain words only when the rest looks like a code: "cán bộ" is also an everyday word.
        match = PLAIN_INVITE.fullmatch(fold(content.text))
        if match:
            return match.group(1)
    return None


async def handle(ctx: HandlerContext, state: State, content: Content) -> Turn:
    """Handle one inbound message for this chat; returns replies and the next state."""
    turn = await _route(ctx, state, content)
    turn.state.data = offers.remember(turn.state.data, turn.replies)
    return turn


def _current(ctx: HandlerContext, state: State) -> Conversation | None:
    """The conversation the chat is in, if it still applies to this person."""
    current = CONVERSATIONS.get(state.flow or "")
    if current is None:
        if state.flow is not None:
            state.clear()  # a conversation that no longer exists
        return None
    if current.signed_up is not None and (ctx.profile is not None) is not current.signed_up:
        state.clear()
        return None
    return current


async def _route(ctx: HandlerContext, state: State, content: Content) -> Turn:
    invited = bool(state.data.get(NAME_INVITED))
    if invited:  # for this message only
        state.data = {k: v for k, v in state.data.items() if k != NAME_INVITED}
    code = _invite_code(content)
    if code is not None and (
        state.flow is None
        or not isinstance(content, Text)
        # "canbo <code>" typed in the sign-up the greeting opened: no answer of it
        or (state.flow == ONBOARDING.name and looks_like_code(code))
    ):
        if state.flow is not None:
            conversation.leave(state)
        return await officer.accept_invite(ctx, state, code)
    current = _current(ctx, state)
    if isinstance(content, FileReceived) and content.kind in UNREADABLE_KINDS:
        asked = await current.reprompt(ctx, state) if current is not None else []
        return Turn([*await answer_unreadable(ctx, content), *asked], state)
    control = control_of(content)
    from_notice = False
    if control is None:
        picked = offers.resolve(
            state.data,
            content,
            ctx.t,
            ctx.now,
            typed_answer=current is not None and current.expects_typed(state),
        )
        if isinstance(picked, offers.Again):
            return Turn([picked.reply], state)
        content, from_notice = picked.content, picked.from_notice
    # A feature's option or command in the middle of a conversation interrupts it.
    wanted = feature_for(content) if isinstance(content, ChoicePicked | Command) else None
    if current is not None:
        if wanted is not None or (from_notice and isinstance(content, ChoicePicked)):
            return await _interrupt(ctx, state, current, content, wanted)
        return await _advance(ctx, state, current, content, control)
    return await _outside(ctx, state, content, control, invited=invited)


async def _advance(
    ctx: HandlerContext,
    state: State,
    current: Conversation,
    content: Content,
    control: Control | None,
) -> Turn:
    """One message inside the conversation the chat is in, and what follows it."""
    if current.name == ONBOARDING.name and state.step == "phone" and control is None:
        phone = linking.typed_phone(content, ctx.t)
        offered = None if phone is None else await linking.offer(ctx, state, phone)
        if offered is not None:
            return offered
    if current.drafts and control is Control.MENU:
        conversation.leave(state)
        return Turn([menu(ctx)], state)
    turn = await current.advance(ctx, state, content)
    ctx = ctx.after(turn.changes)  # the person behind the chat may be new, or gone
    if current.name == ONBOARDING.name and turn.done:
        claim = await claiming.offer(ctx, turn.state)
        if claim is not None:
            return Turn([*turn.replies, *claim.replies], claim.state, changes=turn.changes)
        if ctx.profile is not None:
            return _signed_up(ctx, turn)
    if turn.changes.signed_out:
        wipe(turn.state)
        return turn
    if (
        turn.done
        and ctx.profile is not None
        and (current.menu_when_done or control is Control.MENU)
    ):
        turn.replies.append(menu(ctx))
    return turn


def _signed_up(ctx: HandlerContext, turn: Turn) -> Turn:
    """Sign-up done: the menu, inviting the first product's name straight away — the one
    message most people send next would otherwise be the menu's number for it."""
    lead = ctx.t.gettext(
        "To register a product idea, type the product's name now, for example: Mật ong rừng Xốp."
    )
    turn.replies.append(menu(ctx, lead))
    turn.state.data = {**turn.state.data, NAME_INVITED: True}
    return turn


async def _named_after_sign_up(ctx: HandlerContext, state: State, text: Text) -> Turn | None:
    """The product's name typed right after sign-up: the idea's registration, already past
    its first question; a sentence asking to register opens it at that question. ``None``
    when the text is neither (a greeting, "ok")."""
    idea = BY_NAME[ideas.IDEA.name]
    if ideas.asks_to_register(text.text):
        return await idea.open(ctx, state)  # "tôi muốn đăng ký…": the name is asked
    if not ideas.could_be_a_product_name(text.text):
        return None
    opened = await idea.open(ctx, state)
    current = _current(ctx, opened.state)
    if current is None or opened.state.step != ideas.NAME_STEP:
        return opened  # a draft to resume: its own question comes first
    return await _advance(ctx, opened.state, current, text, None)


async def _interrupt(
    ctx: HandlerContext,
    state: State,
    current: Conversation,
    content: Content,
    wanted: Feature | None,
) -> Turn:
    """An option of a pushed notice (or an old menu button) picked in the middle of a
    conversation: a screen is shown and the conversation's question asked again; a flow
    takes over, the conversation's answers kept as a draft."""
    if (
        wanted is None
        and isinstance(content, ChoicePicked)
        and parse(content.payload).kind is PayloadKind.DOSSIER
    ):
        # A producer's move opens a dossier's checklist: it takes over like a flow.
        if current.drafts:
            conversation.leave(state)
        else:
            state.clear()
        return await _outside(ctx, state, content, None)
    if wanted is None:  # a notice's option that is not a feature: an officer's move…
        outside = await _outside(ctx, State(data=dict(state.data)), content, None)
        return Turn([*outside.replies, *await current.reprompt(ctx, state)], state)
    if not _allowed(wanted, ctx.profile) and wanted.audience is not Audience.GUEST:
        return Turn([*_refusal(ctx), *await current.reprompt(ctx, state)], state)
    if wanted.screen:
        shown = await wanted.open(ctx, state)
        return Turn([*shown.replies, *await current.reprompt(ctx, state)], state)
    if current.drafts:
        conversation.leave(state)
    else:
        state.clear()
    return await _open(wanted, ctx, state, content)


async def _producer_move(ctx: HandlerContext, state: State, action: str, target: int) -> Turn:
    """A producer's option on a certificate or a dossier (``d:<action>:<id>``)."""
    if ctx.profile is None or ctx.profile.role == "officer":
        return Turn(_refusal(ctx), state)
    if action in renewal.KIND_OF_ACTION:
        return await renewal.act(ctx, state, action, target)
    if action == returns.RESEND:
        return await returns.resend(ctx, state, target)
    return Turn([menu(ctx, ctx.t.gettext("That choice is from an earlier message."))], state)


def _refusal(ctx: HandlerContext) -> list[Outbound]:
    if ctx.profile is not None and ctx.profile.role == "officer":
        return [
            menu(
                ctx,
                ctx.t.gettext(
                    "This account is a commune officer's account; producer services are for "
                    "producers who sign up themselves."
                ),
            )
        ]
    return officer.not_officer(ctx)


async def _outside(
    ctx: HandlerContext,
    state: State,
    content: Content,
    control: Control | None,
    *,
    invited: bool = False,
) -> Turn:
    """A message when the chat is in no conversation; ``invited``: the one right after
    sign-up, which may be the first product's name."""
    wanted = feature_for(content)
    if ctx.profile is None:
        if wanted is not None and wanted.audience in (Audience.ANYONE, Audience.GUEST):
            return await wanted.open(ctx, state)
        state.data = {**state.data, "greeted": True}
        return conversation.start(ONBOARDING, state, ctx.t, ctx.now)
    if isinstance(content, ChoicePicked):
        picked = parse(content.payload)
        if picked.kind is PayloadKind.TOGGLE:
            return Turn(await notices.toggle(ctx, picked.part(0)), state)
        if picked.kind is PayloadKind.OFFICER and picked.part(1).isdigit():
            return await officer.act(ctx, state, picked.part(0), int(picked.part(1)))
        if picked.kind is PayloadKind.DOSSIER and picked.part(1).isdigit():
            return await _producer_move(ctx, state, picked.part(0), int(picked.part(1)))
    if (
        officer.is_officer(ctx.profile)
        and isinstance(content, Text)
        and REGISTRATION_CODE.fullmatch(content.text)
    ):
        return await officer.open_by_code(ctx, state, content.text.strip())
    if wanted is not None:
        if wanted.audience is Audience.GUEST:
            return Turn([menu(ctx, ctx.t.gettext("You are already signed up."))], state)
        if not _allowed(wanted, ctx.profile):
            return Turn(_refusal(ctx), state)
        return await _open(wanted, ctx, state, content)
    if control is Control.HELP:
        return Turn(_help(ctx), state)
    if control is Control.MENU:
        return Turn([menu(ctx)], state)
    if control is not None:  # "Hủy", "Quay lại" after a screen: nothing to undo, not "unclear"
        return Turn([menu(ctx, ctx.t.gettext("All right, back to the main menu."))], state)
    if (
        invited
        and control is None
        and isinstance(content, Text)
        and not officer.is_officer(ctx.profile)
    ):
        named = await _named_after_sign_up(ctx, state, content)
        if named is not None:
            return named
    if isinstance(content, ChoicePicked):
        lead = ctx.t.gettext("That choice is from an earlier message.")
    else:
        lead = ctx.t.gettext("Sorry, I did not understand that.")
    return Turn([menu(ctx, lead)], state)
