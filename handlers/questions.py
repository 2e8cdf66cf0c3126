"""“Hỏi cán bộ xã”: a producer asks their commune officer; the officer answers.

The producer picks the dossier the question is about (when they have any open; "not about
a dossier" is always offered) and types the question; the bot relays it and says who will
answer — the commune's officers by name, or the province's OCOP staff when the commune has
no officer on the bot yet. An officer answers from the notice's option or ``/traloi``: pick
the question (asked only when several wait), type the answer; it reaches the producer on
their own channel. ``/traloi 12 Dạ, anh mang bản sao đến xã nhé`` does it in one line: the
number of a question waiting in the officer's commune, then the answer.
"""

from __future__ import annotations

import re

from bot.messages import Outbound, Reply
from handlers import conversation
from handlers.communes import commune_by_code
from handlers.conversation import Choice, Data, Flow, Kind, State, Step, Turn
from handlers.i18n import N_, Translator
from handlers.ports import HandlerContext, QuestionReceipt

ASK_FLOW = "ask_officer"
ANSWER_FLOW = "answer_question"
NO_DOSSIER = "none"
MAX_QUESTION = 1000
MAX_LISTED = 9
PREVIEW = 60
# "/traloi 12 Dạ, …", "/traloi #12: Dạ, …": the question's number, then the answer.
ONE_LINE = re.compile(r"#?(\d{1,9})[\s.:,)-]*(.*)", re.DOTALL)


def _dossier_choices(data: Data) -> tuple[Choice, ...]:
    # Each dossier is offered by its place in the list the flow opened with, not by its id:
    # the option means the same for every producer, and an id is never taken from a payload.
    listed = tuple(
        Choice(str(place), label)
        for place, (_dossier, label) in enumerate(data.get("_dossiers", []), start=1)
    )
    return (*listed, Choice(NO_DOSSIER, N_("A general question"), ("chung", "khong")))


def _picked_dossier(data: Data) -> int | None:
    """The dossier the producer's question is about, from its place in the offered list."""
    picked = str(data.get("dossier", NO_DOSSIER))
    offered = data.get("_dossiers", [])
    if not picked.isdigit() or not 1 <= int(picked) <= len(offered):
        return None
    return int(offered[int(picked) - 1][0])


def who_answers(t: Translator, receipt: QuestionReceipt) -> str:
    """The sentence that tells the producer who will answer."""
    commune = commune_by_code(receipt.commune_code)
    if receipt.to_province:
        province = commune.province_label if commune else ""
        return t.gettext(
            "Your commune has no OCOP officer on Trợ lý OCOP yet, so I sent your question to "
            "the OCOP staff of {province}. They will answer you here."
        ).format(province=province)
    names = ", ".join(receipt.officers) or t.gettext("the OCOP officer")
    return t.gettext(
        "I sent your question to the OCOP officer of {commune} ({names}). The answer will come "
        "to you here."
    ).format(commune=commune.name if commune else "", names=names)


async def _ask(ctx: HandlerContext, data: Data) -> list[Outbound]:
    t = ctx.t
    if ctx.profile is None:
        return [Reply(t.gettext("Please sign up first: type /start."))]
    dossier = _picked_dossier(data)
    receipt = await ctx.store.ask_officer(ctx.profile.person_id, data["question"], dossier)
    if receipt is None:
        return [
            Reply(
                t.gettext(
                    "I do not know your commune yet, so I cannot pass the question on. Please "
                    "contact the People's Committee of your commune."
                )
            )
        ]
    return [Reply(who_answers(t, receipt))]


ASK = Flow(
    name=ASK_FLOW,
    title=N_("Ask my commune officer"),
    steps=(
        Step(
            "dossier",
            N_("Which product is your question about?"),
            Kind.CHOICE,
            _dossier_choices,
            label=N_("About"),
            when=lambda data: bool(data.get("_dossiers")),
            help=N_(
                "If your question is about one of your products, choose it: the officer then "
                "sees its dossier beside your question. Otherwise choose “A general question”. "
                "For example, answer 1 for the first product."
            ),
        ),
        Step(
            "question",
            N_("Please type your question for the commune officer, in one message."),
            Kind.TEXT,
            label=N_("Question"),
            max_length=MAX_QUESTION,
            help=N_(
                "Write what you want to ask the commune's OCOP officer, as you would say it; "
                "the answer comes back here. For example: Hồ sơ của tôi cần bản sao giấy "
                "phép kinh doanh có chứng thực không?"
            ),
        ),
    ),
    complete=_ask,
    confirm=False,
)


async def open_ask(ctx: HandlerContext, state: State) -> Turn:
    """Start the question, offering the producer's open dossiers to attach it to."""
    dossiers: list[list[object]] = []
    if ctx.profile is not None:
        for view in (await ctx.store.open_dossiers(ctx.profile.person_id))[:MAX_LISTED]:
            dossiers.append([view.dossier_id, view.product_name])
    return conversation.start(ASK, state, ctx.t, ctx.now, {"_dossiers": dossiers})


# --- the officer's answer -------------------------------------------------------------------


def _question_choices(data: Data) -> tuple[Choice, ...]:
    return tuple(Choice(str(number), label) for number, label in data.get("_questions", []))


async def _answer(ctx: HandlerContext, data: Data) -> list[Outbound]:
    t = ctx.t
    waiting = data.get("_questions", [])
    picked = data.get("question") or (str(waiting[0][0]) if waiting else "")
    if ctx.profile is None or not picked.isdigit():
        return [Reply(t.gettext("There is no question waiting for an answer."))]
    done = await ctx.store.answer_question(ctx.profile.person_id, int(picked), data["answer"])
    if not done:
        return [Reply(t.gettext("This question has already been answered."))]
    return [Reply(t.gettext("Thank you. Your answer has been sent to the producer."))]


ANSWER = Flow(
    name=ANSWER_FLOW,
    title=N_("Answer a producer"),
    steps=(
        Step(
            "question",
            N_("Which question do you answer?"),
            Kind.CHOICE,
            _question_choices,
            label=N_("Question"),
            when=lambda data: len(data.get("_questions", [])) > 1,
            help=N_(
                "Several producers are waiting; choose the question you answer now by its "
                "number. The others stay in your list. For example, answer 2 for the second."
            ),
        ),
        Step(
            "answer",
            N_("Please type your answer to the producer, in one message."),
            Kind.TEXT,
            label=N_("Answer"),
            max_length=MAX_QUESTION,
            help=N_(
                "Type your answer in one message; it reaches the producer on Zalo or Telegram "
                "as you wrote it. For example: Anh mang bản sao có chứng thực đến xã vào "
                "sáng thứ Hai nhé."
            ),
        ),
    ),
    complete=_answer,
    confirm=False,
)


def _preview(text: str) -> str:
    return text if len(text) <= PREVIEW else text[: PREVIEW - 1] + "…"


async def open_answer(ctx: HandlerContext, state: State) -> Turn:
    """The questions waiting for the officer; none: say so."""
    t = ctx.t
    waiting = await ctx.store.open_questions(ctx.profile.person_id) if ctx.profile else []
    if not waiting:
        return Turn([Reply(t.gettext("There is no question waiting for an answer."))], state)
    listed = [
        [q.question_id, f"#{q.question_id} {q.producer or '—'}: {_preview(q.body)}"]
        for q in waiting[:MAX_LISTED]
    ]
    lead = ""
    if len(waiting) == 1:
        q = waiting[0]
        lead = t.gettext("Question #{number} from {producer}: {body}").format(
            number=q.question_id, producer=q.producer or "—", body=q.body
        )
    turn = conversation.start(ANSWER, state, t, ctx.now, {"_questions": listed})
    if lead:
        turn.replies.insert(0, Reply(lead))
    return turn


async def answer_now(ctx: HandlerContext, state: State, args: str) -> Turn:
    """``/traloi <number> <answer>``: answer a question of the officer's commune at once;
    with the number alone, ask for the answer to that question; anything else (or no
    arguments) opens the usual two steps."""
    t = ctx.t
    typed = ONE_LINE.fullmatch(args.strip())
    if typed is None or ctx.profile is None:
        return await open_answer(ctx, state)
    number, body = int(typed.group(1)), typed.group(2).strip()
    waiting = await ctx.store.open_questions(ctx.profile.person_id)
    question = next((q for q in waiting if q.question_id == number), None)
    if question is None:
        text = t.gettext(
            "Question #{number} is not one waiting for your answer in your commune. Type "
            "/traloi to see the questions waiting for you."
        ).format(number=number)
        return Turn([Reply(text)], state)
    if not body:
        listed = [[question.question_id, f"#{question.question_id}"]]
        lead = t.gettext("Question #{number} from {producer}: {body}").format(
            number=question.question_id, producer=question.producer or "—", body=question.body
        )
        turn = conversation.start(ANSWER, state, t, ctx.now, {"_questions": listed})
        turn.replies.insert(0, Reply(lead))
        return turn
    if len(body) > MAX_QUESTION:
        text = t.gettext(
            "Your answer is too long: please keep it under {limit} characters."
        ).format(limit=MAX_QUESTION)
        return Turn([Reply(text)], state)
    replies = await _answer(ctx, {"_questions": [], "question": str(number), "answer": body})
    return Turn(replies, state)
