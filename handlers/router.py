"""The entry point of every message: pick the flow, the menu or a short answer.

A person who has not signed up is taken to onboarding on first contact (which also says
that this is an automated assistant). A message in the middle of a flow goes to that flow;
"Menu" leaves it, keeping a draft to resume.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from bot.messages import ChoicePicked, Command, Content, FileReceived, Option, Outbound, Reply, Text
from handlers import checklist, claiming, conversation, linking, notices, officer
from handlers.assessment import ASSESS_FLOW, FORM_CHECK_FLOW
from handlers.conversation import Control, Flow, State, Turn, control_of
from handlers.data_rights import ERASE, my_data, wipe
from handlers.documents import send_forms
from handlers.i18n import N_
from handlers.ideas import IDEA
from handlers.onboarding import ONBOARDING
from handlers.ports import HandlerContext
from handlers.settings_flows import LANGUAGE
from handlers.status import show_certificates, show_status
from handlers.textmatch import fold
from handlers.unsupported import UNREADABLE_KINDS, answer_unreadable

FLOWS: dict[str, Flow] = {
    flow.name: flow for flow in (ONBOARDING, IDEA, LANGUAGE, ERASE, FORM_CHECK_FLOW, ASSESS_FLOW)
}
# Flows about one dossier start from its card, never from the menu or a command.
SEEDED_FLOWS = frozenset({FORM_CHECK_FLOW.name, ASSESS_FLOW.name})
MY_DATA = "mydata"
STATUS = "status"
CERTIFICATES = "certificates"
FORMS = "forms"
QUEUE = "queue"
NOTICES = "notices"
COMMUNE = "commune"
SCREENS = {
    MY_DATA: my_data,
    STATUS: show_status,
    CERTIFICATES: show_certificates,
    FORMS: send_forms,
    QUEUE: officer.show_queue,
    COMMUNE: officer.show_commune,
    NOTICES: notices.settings_screen,
}
# What a producer does; an officer-only account is told these need a producer sign-up.
PRODUCER_ONLY = frozenset({"idea", checklist.FLOW, STATUS, CERTIFICATES, FORMS})
PLAIN_INVITE = re.compile(r"can ?bo[\s:]+([a-z0-9]{3,6}[\s-]?[a-z0-9]{3,6})")
REGISTRATION_CODE = re.compile(r"\s*OCOP-\d{1,3}-\d{4}-\d{1,10}\s*", re.IGNORECASE)
COMMAND_FLOWS: dict[str, str] = {
    "ngonngu": "language",
    "language": "language",
    "ngon ngu": "language",
    "dangkythongtin": "onboarding",
    "dangky": "idea",
    "hoso": checklist.FLOW,
    "trangthai": STATUS,
    "phieu": FORMS,
    "trang thai": STATUS,
    "chungnhan": CERTIFICATES,
    "chung nhan": CERTIFICATES,
    "ho so": checklist.FLOW,
    "con thieu": checklist.FLOW,
    "dang ky": "idea",
    "dang ky y tuong": "idea",
    "xoadulieu": "erase",
    "xoa du lieu": "erase",
    "dulieucuatoi": MY_DATA,
    "du lieu cua toi": MY_DATA,
    "choduyet": QUEUE,
    "cho duyet": QUEUE,
    "xa": COMMUNE,
    "thongbao": NOTICES,
    "thong bao": NOTICES,
}
# Menu entries shown to a signed-up person: (flow, label).
MENU_ENTRIES: tuple[tuple[str, str], ...] = (
    ("idea", N_("Register a product idea")),
    (checklist.FLOW, N_("Dossier checklist")),
    (STATUS, N_("Where my dossier stands")),
    (CERTIFICATES, N_("My certificates")),
    (FORMS, N_("Print my forms")),
    (MY_DATA, N_("My data")),
    (NOTICES, N_("Notices")),
    ("language", N_("Language / Ngôn ngữ")),
    ("erase", N_("Delete my data")),
)

OFFICER_ENTRIES: tuple[tuple[str, str], ...] = (
    (QUEUE, N_("Dossiers waiting for the commune")),
    (COMMUNE, N_("Products of my commune")),
)


def menu(ctx: HandlerContext, lead: str = "") -> Reply:
    """The main menu for the person behind this chat."""
    t = ctx.t
    lines = [lead] if lead else []
    if ctx.profile is not None and ctx.profile.full_name:
        lines.append(
            t.gettext("Hello {name}! What would you like to do?").format(name=ctx.profile.full_name)
        )
    else:
        lines.append(t.gettext("What would you like to do?"))
    entries: tuple[tuple[str, str], ...] = MENU_ENTRIES
    if ctx.profile is None:
        entries = (("onboarding", N_("Sign up")), *MENU_ENTRIES)
    elif officer.is_officer(ctx.profile):
        producer = ctx.profile.role != "officer"
        entries = (
            *OFFICER_ENTRIES,
            *(e for e in MENU_ENTRIES if producer or e[0] not in PRODUCER_ONLY),
        )
    rows = tuple((Option(t.gettext(label), f"m:{name}"),) for name, label in entries)
    return Reply("\n".join(lines), rows)


def _help(ctx: HandlerContext) -> list[Outbound]:
    return [
        Reply(
            ctx.t.gettext(
                "I am an automated assistant for the OCOP programme. Choose from the menu, "
                "or type a command. At any question you can type “Quay lại” (back), "
                "“Hủy” (stop), “Trợ giúp” (help) or “Menu”."
            )
        ),
        menu(ctx),
    ]


# Short exchanges around sign-up, each with its own advance: flow → (signed up?, advance).
DETOURS: dict[str, tuple[bool, Callable[[HandlerContext, State, Content], Awaitable[Turn]]]] = {
    linking.FLOW: (False, linking.advance),  # recognising someone from their other app
    claiming.FLOW: (True, claiming.advance),  # claiming products the province imported
}


def _wanted_flow(content: Content) -> str | None:
    if isinstance(content, Command):
        return COMMAND_FLOWS.get(content.name.lower())
    if isinstance(content, ChoicePicked) and content.payload.startswith("m:"):
        name = content.payload.removeprefix("m:")
        if name in SEEDED_FLOWS:
            return None
        return name if name in FLOWS or name in SCREENS or name == checklist.FLOW else None
    if isinstance(content, Text):
        return COMMAND_FLOWS.get(fold(content.text))
    return None


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


async def _after_step(ctx: HandlerContext, flow: Flow, turn: Turn) -> Turn:
    """What follows a step of a flow: after sign-up, the offer of products the province
    already certified; after an erasure, nothing kept; after any other finished flow, the
    menu."""
    if flow is ONBOARDING and turn.done:
        claim = await claiming.offer(ctx, turn.state)
        if claim is not None:
            return Turn([*turn.replies, *claim.replies], claim.state)
    if flow is ERASE and ctx.profile is None:
        wipe(turn.state)
    elif turn.done and ctx.profile is not None and flow.name not in SEEDED_FLOWS:
        turn.replies.append(menu(ctx))
    return turn


async def handle(ctx: HandlerContext, state: State, content: Content) -> Turn:
    """Handle one inbound message for this chat; returns replies and the next state."""
    if isinstance(content, FileReceived) and content.kind in UNREADABLE_KINDS:
        return Turn(await answer_unreadable(ctx, content), state)
    code = _invite_code(content)
    if code is not None and (state.flow is None or not isinstance(content, Text)):
        if state.flow is not None:
            conversation.leave(state)
        return Turn(await officer.accept_invite(ctx, code), state)
    detour = DETOURS.get(state.flow or "")
    if detour is not None and (ctx.profile is not None) is detour[0]:
        turn = await detour[1](ctx, state, content)
        if turn.done:
            turn.replies.append(menu(ctx))
        return turn
    flow = FLOWS.get(state.flow or "")
    control = control_of(content)
    if state.flow == checklist.FLOW and ctx.profile is not None:
        turn = await checklist.advance(ctx, state, content)
        if turn.done and control is Control.MENU:
            turn.replies.append(menu(ctx))
        return turn
    if flow is not None:
        if control is Control.MENU:
            conversation.leave(state)
            return Turn([menu(ctx)], state)
        if flow is ONBOARDING and state.step == "phone" and control is None:
            phone = linking.typed_phone(content, ctx.t)
            offered = None if phone is None else await linking.offer(ctx, state, phone)
            if offered is not None:
                return offered
        return await _after_step(ctx, flow, await conversation.advance(flow, state, content, ctx))

    wanted = _wanted_flow(content)
    if ctx.profile is None and wanted in ("erase", MY_DATA):
        return Turn(await my_data(ctx), state)
    if ctx.profile is None and wanted != "language":
        state.data = {**state.data, "greeted": True}
        return conversation.start(ONBOARDING, state, ctx.t, ctx.now)
    if isinstance(content, ChoicePicked) and content.payload.startswith("t:"):
        return Turn(await notices.toggle(ctx, content.payload.removeprefix("t:")), state)
    if isinstance(content, ChoicePicked) and content.payload.startswith("o:"):
        action, _, target = content.payload.removeprefix("o:").partition(":")
        if target.isdigit():
            return await officer.act(ctx, state, action, int(target))
    if (
        officer.is_officer(ctx.profile)
        and isinstance(content, Text)
        and REGISTRATION_CODE.fullmatch(content.text)
    ):
        return await officer.open_by_code(ctx, state, content.text.strip())
    if wanted in PRODUCER_ONLY and ctx.profile is not None and ctx.profile.role == "officer":
        return Turn(
            [
                menu(
                    ctx,
                    ctx.t.gettext(
                        "This account is a commune officer's account; producer services are for "
                        "producers who sign up themselves."
                    ),
                )
            ],
            state,
        )
    if wanted is not None:
        if wanted == "onboarding":
            return Turn([menu(ctx, ctx.t.gettext("You are already signed up."))], state)
        if wanted in SCREENS:
            return Turn(await SCREENS[wanted](ctx), state)
        if wanted == checklist.FLOW:
            return await checklist.start(ctx, state)
        return conversation.start(FLOWS[wanted], state, ctx.t, ctx.now)
    if control is Control.HELP:
        return Turn(_help(ctx), state)
    if control is Control.MENU:
        return Turn([menu(ctx)], state)
    if isinstance(content, ChoicePicked):
        lead = ctx.t.gettext("That button is from an earlier message.")
    else:
        lead = ctx.t.gettext("Sorry, I did not understand that.")
    return Turn([menu(ctx, lead)], state)
