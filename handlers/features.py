"""The registry: which features and conversations exist, how each is opened, who may use it.

A **feature** is something a person opens — a flow (a series of questions) or a screen
(one answer). Its row says its name, the commands and plain words that open it (folded:
lower case, no diacritics, so "Đăng ký" and "dang ky" are one), its menu label, who may use
it and its entry point. The menu, the commands and the payloads of pushed notices all come
from this table; adding a screen is one module plus one row here.

A **conversation** is what a chat can be in the middle of: the declarative flows of
:mod:`handlers.conversation` and the hand-written steppers (checklist, linking, claiming).
Each row gives the same three things: how to advance it by one message, whether its
current question expects a typed value (then a typed number is that value, not a line of a
list), and how to ask its current question again (after a notice's action interrupts it).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from bot.messages import Content, Outbound
from handlers import (
    checklist,
    claiming,
    conversation,
    linking,
    notices,
    officer,
    questions,
    self_assessment,
)
from handlers.assessment import ASSESS_FLOW, FORM_CHECK_FLOW
from handlers.conversation import Flow, State, Turn
from handlers.data_rights import ERASE, my_data
from handlers.documents import send_forms
from handlers.i18n import N_
from handlers.ideas import FACTS, IDEA
from handlers.onboarding import ONBOARDING
from handlers.ports import HandlerContext
from handlers.settings_flows import LANGUAGE
from handlers.status import show_certificates, show_status


class Audience(StrEnum):
    """Who may use a feature."""

    ANYONE = "anyone"  # signed up or not
    GUEST = "guest"  # only before sign-up
    MEMBER = "member"  # anyone signed up
    PRODUCER = "producer"  # a signed-up producer (not an officer-only account)
    OFFICER = "officer"  # a commune officer


Entry = Callable[[HandlerContext, State], Awaitable[Turn]]
# Opens a feature with what follows its command ("/traloi 12 Dạ, …" → "12 Dạ, …").
ArgsEntry = Callable[[HandlerContext, State, str], Awaitable[Turn]]
Screen = Callable[[HandlerContext], Awaitable[list[Outbound]]]


@dataclass(frozen=True, slots=True)
class Feature:
    """One row of the registry."""

    name: str
    open: Entry
    audience: Audience
    label: str | None = None  # its menu label (a message id); None: not in the menu
    commands: tuple[str, ...] = ()  # "/dangky" → "dangky"
    words: tuple[str, ...] = ()  # folded words that open it when typed alone
    screen: bool = False  # one answer, no questions: it can interrupt a conversation
    with_args: ArgsEntry | None = None  # a command typed with arguments; None: they are ignored


def _screen(screen: Screen) -> Entry:
    async def open_screen(ctx: HandlerContext, state: State) -> Turn:
        return Turn(await screen(ctx), state)

    return open_screen


def _flow(flow: Flow) -> Entry:
    async def open_flow(ctx: HandlerContext, state: State) -> Turn:
        return conversation.start(flow, state, ctx.t, ctx.now)

    return open_flow


async def _open_erase(ctx: HandlerContext, state: State) -> Turn:
    if ctx.profile is None:
        return Turn(await my_data(ctx), state)
    return conversation.start(ERASE, state, ctx.t, ctx.now)


async def _open_checklist(ctx: HandlerContext, state: State) -> Turn:
    return await checklist.start(ctx, state)


async def _open_self_assessment(ctx: HandlerContext, state: State) -> Turn:
    return await self_assessment.start(ctx, state)


# In menu order; an officer sees the officer rows first, as their work is there.
FEATURES: tuple[Feature, ...] = (
    Feature(
        "queue",
        _screen(officer.show_queue),
        Audience.OFFICER,
        N_("Dossiers waiting for the commune"),
        ("choduyet",),
        ("cho duyet", "ho so cho duyet", "hang doi"),
        screen=True,
    ),
    Feature(
        "commune",
        _screen(officer.show_commune),
        Audience.OFFICER,
        N_("Products of my commune"),
        ("xa",),
        ("san pham cua xa", "san pham xa"),
        screen=True,
    ),
    Feature(
        "answer",
        questions.open_answer,
        Audience.OFFICER,
        N_("Answer producers' questions"),
        ("traloi",),
        ("tra loi", "cau hoi", "tra loi cau hoi"),
        with_args=questions.answer_now,
    ),
    Feature(
        "onboarding",
        _flow(ONBOARDING),
        Audience.GUEST,
        N_("Sign up"),
        ("dangkythongtin",),
        ("dang ky thong tin",),
    ),
    Feature(
        "idea",
        _flow(IDEA),
        Audience.PRODUCER,
        N_("Register a product idea"),
        ("dangky",),
        ("dang ky", "dang ky y tuong", "y tuong", "dang ky san pham"),
    ),
    Feature(
        checklist.FLOW,
        _open_checklist,
        Audience.PRODUCER,
        N_("Dossier checklist"),
        ("hoso",),
        ("ho so", "con thieu", "giay to", "thieu gi"),
    ),
    Feature(
        self_assessment.FLOW,
        _open_self_assessment,
        Audience.PRODUCER,
        N_("Self-assessment against the scoring sheet"),
        ("tudanhgia",),
        ("tu danh gia", "cham diem", "tu cham diem"),
    ),
    Feature(
        "status",
        _screen(show_status),
        Audience.PRODUCER,
        N_("Where my dossier stands"),
        ("trangthai",),
        ("trang thai", "ho so den dau"),
        screen=True,
    ),
    Feature(
        "certificates",
        _screen(show_certificates),
        Audience.PRODUCER,
        N_("My certificates"),
        ("chungnhan",),
        ("chung nhan", "giay chung nhan"),
        screen=True,
    ),
    Feature(
        "forms",
        _screen(send_forms),
        Audience.PRODUCER,
        N_("Print my forms"),
        ("phieu",),
        ("in phieu", "phieu dang ky"),
        screen=True,
    ),
    Feature(
        "ask",
        questions.open_ask,
        Audience.PRODUCER,
        N_("Ask my commune officer"),
        ("hoicanbo",),
        ("hoi can bo", "hoi can bo xa", "hoi xa"),
    ),
    Feature(
        "mydata",
        _screen(my_data),
        Audience.ANYONE,
        N_("My data"),
        ("dulieucuatoi",),
        ("du lieu cua toi",),
        screen=True,
    ),
    Feature(
        "notices",
        _screen(notices.settings_screen),
        Audience.MEMBER,
        N_("Notices"),
        ("thongbao",),
        ("thong bao",),
        screen=True,
    ),
    Feature(
        "language",
        _flow(LANGUAGE),
        Audience.ANYONE,
        N_("Language / Ngôn ngữ"),
        ("ngonngu", "language"),
        ("ngon ngu", "language"),
    ),
    Feature(
        "erase",
        _open_erase,
        Audience.ANYONE,
        N_("Delete my data"),
        ("xoadulieu",),
        ("xoa du lieu",),
    ),
)
BY_NAME: Mapping[str, Feature] = {feature.name: feature for feature in FEATURES}
BY_COMMAND: Mapping[str, Feature] = {
    command: feature for feature in FEATURES for command in feature.commands
}
BY_WORDS: Mapping[str, Feature] = {
    words: feature for feature in FEATURES for words in (*feature.words, *feature.commands)
}


# --- conversations --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Conversation:
    """What a chat can be in the middle of, and the three things the router asks of it."""

    name: str
    advance: Callable[[HandlerContext, State, Content], Awaitable[Turn]]
    expects_typed: Callable[[State], bool]
    reprompt: Callable[[HandlerContext, State], Awaitable[list[Outbound]]]
    signed_up: bool | None = None  # True: only for signed-up people; False: only before
    menu_when_done: bool = True  # show the menu once it is finished
    drafts: bool = False  # leaving keeps its answers as a draft ("Menu" leaves it at once)
    flow: Flow | None = None  # the declarative flow behind it, if any


def declarative(flow: Flow, *, signed_up: bool | None = None, menu: bool = True) -> Conversation:
    """The row of a declarative flow."""

    async def advance(ctx: HandlerContext, state: State, content: Content) -> Turn:
        return await conversation.advance(flow, state, content, ctx)

    async def reprompt(ctx: HandlerContext, state: State) -> list[Outbound]:
        return conversation.reprompt(flow, state, ctx.t)

    return Conversation(
        flow.name,
        advance,
        lambda state: conversation.expects_typed(flow, state),
        reprompt,
        signed_up,
        menu,
        drafts=True,
        flow=flow,
    )


CONVERSATIONS: Mapping[str, Conversation] = {
    row.name: row
    for row in (
        declarative(ONBOARDING, signed_up=False),
        declarative(IDEA, signed_up=True),
        declarative(FACTS, signed_up=True),
        declarative(LANGUAGE),
        declarative(ERASE),
        # About one dossier: opened from its card, which the officer goes back to.
        declarative(FORM_CHECK_FLOW, signed_up=True, menu=False),
        declarative(ASSESS_FLOW, signed_up=True, menu=False),
        declarative(questions.ASK, signed_up=True),
        declarative(questions.ANSWER, signed_up=True),
        Conversation(
            checklist.FLOW,
            checklist.advance,
            lambda _state: False,
            checklist.reprompt,
            signed_up=True,
        ),
        Conversation(
            self_assessment.FLOW,
            self_assessment.advance,
            self_assessment.expects_typed,
            self_assessment.reprompt,
            signed_up=True,
        ),
        Conversation(
            linking.FLOW, linking.advance, linking.expects_typed, linking.reprompt, signed_up=False
        ),
        Conversation(
            claiming.FLOW,
            claiming.advance,
            lambda _state: False,
            claiming.reprompt,
            signed_up=True,
        ),
    )
}
