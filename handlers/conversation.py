"""Declarative conversations: a flow is a list of steps; this module walks them.

A :class:`Flow` lists :class:`Step` s (prompt, kind of answer, choices, checks, branching)
and a completion action. :func:`advance` takes the chat's :class:`State` and one inbound
content and returns a :class:`Turn`: the replies and the next state. It never sends
anything and keeps no state of its own, so the engine can run it inside the one database
transaction of the inbound event, and any process can continue any chat.

What every flow gets for free: "Hủy", "Quay lại", "Trợ giúp" and "Menu" at any step (as
words with or without accents, or commands); "Bước 3/8"; a summary with "Sửa" before
saving; resume after a pause; forgiving choice matching; and on bad input one short
sentence of what to type plus the way out, with earlier answers kept.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

import phonenumbers

from bot.messages import (
    ChoicePicked,
    Command,
    ContactShared,
    Content,
    FileKind,
    FileReceived,
    Option,
    Outbound,
    PhoneRequest,
    RemoveKeyboard,
    Reply,
    Text,
)
from handlers.communes import (
    CommuneRef,
    commune_by_code,
    named_exactly,
    near_communes,
    search_communes,
)
from handlers.i18n import N_, Translator
from handlers.old_communes import OldCommune, search_old_communes
from handlers.parsing import (
    InvalidAnswerError,
    parse_count,
    parse_date,
    parse_percent,
    parse_phone,
    parse_yes_no,
)
from handlers.payloads import PayloadKind, make, parse
from handlers.ports import Changes
from handlers.textmatch import Ambiguous, Matched, accent_key, fold, match_option

Data = dict[str, Any]
# What a chat's state keeps when it leaves a flow: drafts to resume, the greeting already
# given, and the lists pushed with notices (answerable days later).
KEPT_ON_CLEAR = frozenset({"drafts", "greeted", "_pushed"})
RESUME_AFTER = timedelta(hours=12)
MAX_LISTED_COMMUNES = 8
SUMMARY = "_summary"
EDIT_PICK = "_edit"
RESUME = "_resume"
KEEP = "="  # the value of a "keep the declared value" option
SAVE = make(PayloadKind.SUMMARY, "save")
EDIT = make(PayloadKind.SUMMARY, "edit")
CANCEL = make(PayloadKind.CONTROL, "huy")
CONTINUE = make(PayloadKind.RESUME, "continue")
RESTART = make(PayloadKind.RESUME, "restart")
KEEP_WORDS = frozenset({"giu", "giu nguyen", "nhu tren", "keep", "same"})


class Kind(StrEnum):
    """The kind of answer a step expects."""

    TEXT = "text"
    CHOICE = "choice"
    CHOICES = "choices"  # several of a list, typed as numbers
    YES_NO = "yes_no"
    COUNT = "count"
    PERCENT = "percent"
    DATE = "date"
    PHONE = "phone"
    COMMUNE = "commune"


class Control(StrEnum):
    """Words that work at every step."""

    CANCEL = "cancel"
    BACK = "back"
    HELP = "help"
    MENU = "menu"
    SKIP = "skip"


# Not "dung": folded, "dừng" (stop) and "đúng" (right) are the same word, and people type
# it for "đúng" far more often — to confirm a summary, or that a cooperative is theirs,
# which the bot then took for "stop". "dừng" written with its marks still stops.
CONTROL_WORDS: Mapping[str, Control] = {
    **dict.fromkeys(("huy", "cancel", "thoat", "stop", "huy bo"), Control.CANCEL),
    **dict.fromkeys(("quay lai", "back", "lui", "tro lai", "quaylai"), Control.BACK),
    **dict.fromkeys(("tro giup", "help", "giup", "huong dan", "?", "trogiup"), Control.HELP),
    **dict.fromkeys(("menu", "start", "bat dau", "trang chu"), Control.MENU),
    **dict.fromkeys(("bo qua", "skip", "boqua"), Control.SKIP),
}


_STOP_MARKED = frozenset(accent_key(words) for words in ("dừng", "dừng lại"))


def control_of(content: Content) -> Control | None:
    """The control a message asks for, if it is one ("Quay lại", "/huy", "tro giup"…)."""
    if isinstance(content, Command):
        return CONTROL_WORDS.get(content.name.lower())
    if isinstance(content, ChoicePicked):
        picked = parse(content.payload)
        return CONTROL_WORDS.get(picked.part(0)) if picked.kind is PayloadKind.CONTROL else None
    if isinstance(content, Text):
        if accent_key(content.text.strip(" .!")) in _STOP_MARKED:
            return Control.CANCEL
        key = fold(content.text).strip(" .!")
        return CONTROL_WORDS.get(key) or CONTROL_WORDS.get(_without_particles(key))
    return None


# Said around a control word: "quay lại đi", "thôi hủy", "trợ giúp với" (a name is never
# only these, so the answer typed "quay lai di" was saved as the product's name).
_PARTICLES_AFTER = (" di", " nhe", " nha", " a", " voi", " giup", " giup minh", " giup em")
_PARTICLES_BEFORE = ("thoi ", "cho ", "xin ")


def _without_particles(key: str) -> str:
    for particle in _PARTICLES_BEFORE:
        key = key.removeprefix(particle)
    for particle in _PARTICLES_AFTER:
        key = key.removesuffix(particle)
    return key


@dataclass(frozen=True, slots=True)
class Choice:
    """An option of a choice step: stored ``value``, shown ``label`` (a message id)."""

    value: str
    label: str
    aliases: tuple[str, ...] = ()


ChoiceSource = tuple[Choice, ...] | Callable[[Data], tuple[Choice, ...]]


@dataclass(frozen=True, slots=True)
class Step:
    """One question of a flow."""

    name: str
    prompt: str
    kind: Kind = Kind.TEXT
    choices: ChoiceSource = ()
    label: str = ""
    help: str | None = None
    optional: bool = False
    when: Callable[[Data], bool] | None = None
    check: Callable[[Any, Data], str | None] | None = None
    note: Callable[[Any, Data], str | None] | None = None
    resets: tuple[str, ...] = ()
    max_length: int = 200
    stop_if: Callable[[Any, Data], str | None] | None = None
    stamp: bool = False
    detail: Callable[[Data, Translator], str | None] | None = None
    keep: Callable[[Data], Any] | None = None
    # The counted question this one belongs to: a follow-up (the name after the kind of
    # producer, the set after the words) shares its number, so "Bước 2/4" never jumps.
    part_of: str | None = None
    # Answers to this question and later ones read from one typed message, when it carries
    # them ("htx mat ong Xop": the kind of producer and its name); None when it does not.
    # The later answers pass their own questions' checks, or are asked as usual.
    together: Callable[[str, Data], Data | None] | None = None
    # A yes/no question's own words, read before the usual yes and no (parse_yes_no).
    meant: Mapping[str, bool] | None = None

    @property
    def counted_as(self) -> str:
        """The name of the question this step is counted as in "Bước n/N"."""
        return self.part_of or self.name

    def options(self, data: Data) -> tuple[Choice, ...]:
        """The choices offered with the answers so far."""
        return self.choices(data) if callable(self.choices) else self.choices

    def applies(self, data: Data) -> bool:
        """Whether this step is asked, given the answers so far."""
        return self.when is None or self.when(data)


class Context(Protocol):
    """What a flow's completion action may use."""

    @property
    def t(self) -> Translator:
        """The user's translator."""
        ...

    @property
    def now(self) -> datetime:
        """The time of the inbound event (timezone-aware)."""
        ...


Completion = Callable[[Any, Data], Awaitable["list[Outbound] | Done"]]


def _completed(outcome: list[Outbound] | Done) -> tuple[list[Outbound], Changes]:
    if isinstance(outcome, Done):
        return list(outcome.replies), outcome.changes
    return outcome, NO_CHANGES


@dataclass(frozen=True, slots=True)
class Flow:
    """A conversation: its steps, and what to do with the answers."""

    name: str
    title: str
    steps: tuple[Step, ...]
    complete: Completion
    confirm: bool = True
    intro: str | None = None

    def step(self, name: str) -> Step:
        """The step called ``name``."""
        return next(step for step in self.steps if step.name == name)

    def applicable(self, data: Data) -> list[Step]:
        """The steps asked with the answers so far, in order."""
        return [step for step in self.steps if step.applies(data)]


@dataclass(slots=True)
class State:
    """Where a chat is: the flow, the step and the answers (JSON-serialisable)."""

    flow: str | None = None
    step: str | None = None
    data: Data = field(default_factory=dict)

    def clear(self) -> None:
        """Leave any flow (drafts and profile data under ``data`` are kept)."""
        self.flow, self.step = None, None
        self.data = {k: v for k, v in self.data.items() if k in KEPT_ON_CLEAR}


NO_CHANGES = Changes()


@dataclass(frozen=True, slots=True)
class Done:
    """What a flow's completion returns when it changed more than the chat's state."""

    replies: list[Outbound]
    changes: Changes


@dataclass(slots=True)
class Turn:
    """What handling one message produced: replies to send, the next state, and what else
    the step changed (see :class:`Changes`)."""

    replies: list[Outbound]
    state: State
    done: bool = False
    changes: Changes = NO_CHANGES


# Steps whose answer is typed: a number sent to them is their answer, not a list's line.
TYPED_KINDS = frozenset({Kind.TEXT, Kind.COUNT, Kind.PERCENT, Kind.DATE, Kind.PHONE, Kind.CHOICES})


def expects_typed(flow: Flow, state: State) -> bool:
    """Whether the question ``state`` is at expects a typed value rather than a pick."""
    if state.step not in {s.name for s in flow.steps}:
        return False  # summary, edit list, resume prompt: lists
    step = flow.step(state.step or "")
    if step.kind is Kind.COMMUNE:
        return not state.data.get("_candidates")
    return step.kind in TYPED_KINDS


def reprompt(flow: Flow, state: State, t: Translator) -> list[Outbound]:
    """The message that asks what ``state`` is waiting for, again."""
    answers: Data = state.data.get("answers", {})
    if state.step == SUMMARY:
        return [summary(flow, answers, t)]
    if state.step == EDIT_PICK:
        return [_edit_menu(flow, answers, t)]
    if state.step == RESUME:
        return [_resume_prompt(flow, t)]
    if state.step in {s.name for s in flow.steps}:
        return [prompt(flow, flow.step(state.step or ""), answers, t)]
    return []


# How to answer each kind of question, for "Trợ giúp" where a step has no help of its own.
HOW_TO_ANSWER: Mapping[Kind, str] = {
    Kind.TEXT: N_("Type your answer in a few words."),
    Kind.CHOICE: N_("Type the number of one option in the list, or its words."),
    Kind.CHOICES: N_(
        "Type the numbers of every option that applies, separated by commas (for example: "
        "1, 3), or 0 if none applies."
    ),
    Kind.YES_NO: N_("Type “có” or “không”."),
    Kind.COUNT: N_("Type a whole number in digits, for example: 12."),
    Kind.PERCENT: N_("Type a number from 0 to 100, for example: 80."),
    Kind.DATE: N_("Type a date as day/month/year, for example: 15/03/2026."),
    Kind.PHONE: N_("Type a Vietnamese phone number, for example: 0912345678."),
    Kind.COMMUNE: N_(
        "Type the name of the commune or ward, for example: Xốp or Sơn Hà Quảng Ngãi."
    ),
}


def help_for(step: Step, t: Translator) -> str:
    """What "Trợ giúp" says at ``step``: its own help, else how to answer its kind; then
    the controls."""
    how = t.gettext(step.help or HOW_TO_ANSWER[step.kind])
    skip = t.gettext("Type “Bỏ qua” to skip this question.") if step.optional else ""
    controls = t.gettext(
        "Type “Quay lại” to change the previous answer, “Hủy” to stop, “Menu” for the main menu."
    )
    return "\n".join(part for part in (how, skip, controls) if part)


def way_out(t: Translator) -> str:
    """The reminder of the controls, added to every complaint."""
    return t.gettext("(Type “Quay lại” to go back, “Hủy” to stop, “Trợ giúp” for help.)")


# --- rendering ---------------------------------------------------------------------------


def display_answer(step: Step, value: Any, data: Data, t: Translator) -> str:
    """How an answer is shown in summaries and confirmations."""
    if value is None:
        return t.gettext("(skipped)")
    if step.kind is Kind.CHOICE:
        labels = {c.value: t.gettext(c.label) for c in step.options(data)}
        return labels.get(value, str(value))
    if step.kind is Kind.CHOICES:
        labels = {c.value: t.gettext(c.label) for c in step.options(data)}
        return ", ".join(labels.get(v, str(v)) for v in value) or t.gettext("none")
    if step.kind is Kind.YES_NO:
        return t.gettext("Yes") if value else t.gettext("No")
    if step.kind is Kind.PERCENT:
        return f"{value}%"
    if step.kind is Kind.DATE:
        return date.fromisoformat(value).strftime("%d/%m/%Y")
    if step.kind is Kind.PHONE:
        number = phonenumbers.parse(value, "VN")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    if step.kind is Kind.COMMUNE:
        commune = commune_by_code(value)
        return commune.full_name if commune else str(value)
    return str(value)


def counted(flow: Flow, data: Data) -> list[str]:
    """The questions "Bước n/N" counts with the answers so far: follow-ups share the
    number of the question they follow, so the total stays the same from first to last."""
    names: list[str] = []
    for step in flow.applicable(data):
        if step.counted_as not in names:
            names.append(step.counted_as)
    return names


def _progress(flow: Flow, step: Step, data: Data, t: Translator) -> str:
    names = counted(flow, data)
    position = names.index(step.counted_as) + 1 if step.counted_as in names else 1
    return t.gettext("Step {current}/{total}").format(current=position, total=len(names))


def prompt(flow: Flow, step: Step, data: Data, t: Translator, lead: str = "") -> Outbound:
    """The message asking ``step``, with progress and the current answer when editing."""
    lines = [lead] if lead else []
    lines.append(f"{_progress(flow, step, data, t)} · {t.gettext(step.prompt)}")
    if step.name in data and data[step.name] is not None:
        current = display_answer(step, data[step.name], data, t)
        lines.append(t.gettext("Current answer: {answer}").format(answer=current))
    extra = step.detail(data, t) if step.detail is not None else None
    if extra:
        lines.append(extra)
    if step.optional:
        lines.append(t.gettext("Type “Bỏ qua” to skip this question."))
    text = "\n".join(lines)
    kept = step.keep(data) if step.keep is not None else None
    if kept is not None and step.kind is not Kind.CHOICE:
        # A typed question: a number typed is its answer, so "keep" is a word (and a button
        # where there are buttons), never a numbered line.
        shown = display_answer(step, kept, data, t)
        label = t.gettext("Keep: {answer}").format(answer=shown)
        hint = t.gettext("Type “Giữ” to keep {answer}.").format(answer=shown)
        option = Option(label, make(PayloadKind.CHOICE, step.name, KEEP))
        return Reply(f"{text}\n{hint}", ((option,),), listed=False)
    if step.kind is Kind.PHONE:
        return PhoneRequest(text, t.gettext("Send my phone number"))
    if step.kind is Kind.YES_NO:
        return Reply(
            text,
            ((_option(t, N_("Yes"), step.name, "yes"), _option(t, N_("No"), step.name, "no")),),
        )
    if step.kind is Kind.CHOICE:
        rows = tuple((_option(t, c.label, step.name, c.value),) for c in step.options(data))
        return Reply(text, rows)
    if step.kind is Kind.CHOICES:
        listed = [f"{n}. {t.gettext(c.label)}" for n, c in enumerate(step.options(data), 1)]
        hint = t.gettext(
            "Type the numbers that apply, separated by commas, e.g. 1, 3. Type 0 if none."
        )
        return Reply("\n".join([text, *listed, hint]))
    return Reply(text)


def _option(t: Translator, label: str, step: str, value: str) -> Option:
    return Option(t.gettext(label), make(PayloadKind.CHOICE, step, value))


# A seed's key naming what the flow is about ("Mat ong rung Xop (OCOP-51-2026-0002)"),
# shown with its opening and its summary: an officer may have two dossiers open at once.
SUBJECT = "_subject"


def _about(data: Data, line: str) -> str:
    """``line``, after the name of what the flow is about when its data has one."""
    subject = data.get(SUBJECT)
    return f"“{subject}” · {line}" if subject and line else line


def summary(flow: Flow, data: Data, t: Translator) -> Reply:
    """All answers, and the choice to save, change or cancel."""
    lines = [_about(data, t.gettext("Please check your answers:"))]
    for step in flow.applicable(data):
        label = t.gettext(step.label or step.prompt)
        lines.append(f"• {label}: {display_answer(step, data.get(step.name), data, t)}")
    lines.append(t.gettext("Is everything correct?"))
    return Reply(
        "\n".join(lines),
        (
            (Option(t.gettext("Save"), SAVE),),
            (Option(t.gettext("Change an answer"), EDIT),),
            (Option(t.gettext("Cancel"), CANCEL),),
        ),
    )


def _edit_menu(flow: Flow, data: Data, t: Translator) -> Reply:
    rows = tuple(
        (Option(t.gettext(step.label or step.prompt), make(PayloadKind.EDIT, step.name)),)
        for step in flow.applicable(data)
    )
    return Reply(t.gettext("Which answer do you want to change?"), rows)


# --- parsing one answer ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Ask:
    """Not an answer yet: ask again with this reply (e.g. a list of namesakes)."""

    reply: Outbound
    candidates: list[str]


def _text_of(content: Content) -> str | None:
    if isinstance(content, Text):
        return content.text
    if isinstance(content, FileReceived) and content.caption:
        return content.caption
    return None


def _has_words(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def parse_answer(step: Step, content: Content, data: Data, t: Translator) -> Any:
    """The value of ``content`` as an answer to ``step``; raises :class:`InvalidAnswerError`."""
    if isinstance(content, ChoicePicked):
        return _parse_payload(step, content.payload, data)
    if isinstance(content, ContactShared):
        if step.kind is not Kind.PHONE:
            raise InvalidAnswerError(
                N_("Thank you, but this question does not need a phone number.")
            )
        if not content.is_own:
            raise InvalidAnswerError(N_("Please share your own phone number, not someone else's."))
        return parse_phone(content.phone)
    if isinstance(content, FileReceived) and not content.caption:
        if content.kind is FileKind.STICKER:
            raise InvalidAnswerError(N_("Nice sticker! This question needs a typed answer."))
        raise InvalidAnswerError(
            N_("I cannot read a picture or file here. Please type your answer.")
        )
    if isinstance(content, Command):
        raise InvalidAnswerError(
            N_("Please finish or cancel this question before using another command.")
        )
    text = (_text_of(content) or "").strip()
    if not text:
        raise InvalidAnswerError(N_("I did not receive any text. Please type your answer."))
    if not _has_words(text):
        raise InvalidAnswerError(N_("Please answer with words or numbers."))
    return _parse_text(step, text, data, t)


def _parse_payload(step: Step, payload: str, data: Data) -> Any:
    picked = parse(payload)
    name, value = picked.part(0), picked.part(1)
    if picked.kind is not PayloadKind.CHOICE or name != step.name:
        raise InvalidAnswerError(
            N_("That choice belongs to an earlier question. Please answer this one.")
        )
    if value == KEEP and step.keep is not None and step.keep(data) is not None:
        return step.keep(data)
    if step.kind is Kind.YES_NO and value in ("yes", "no"):
        return value == "yes"
    if step.kind is Kind.CHOICE and value in {c.value for c in step.options(data)}:
        return value
    if step.kind is Kind.COMMUNE and value in data.get("_candidates", []):
        return value
    raise InvalidAnswerError(
        N_("That choice belongs to an earlier question. Please answer this one.")
    )


def _parse_text(step: Step, text: str, data: Data, t: Translator) -> Any:
    if step.keep is not None and fold(text) in KEEP_WORDS and step.keep(data) is not None:
        return step.keep(data)
    if len(text) > step.max_length:
        raise InvalidAnswerError(
            N_("That is too long: at most {limit} characters, please."), limit=step.max_length
        )
    match step.kind:
        case Kind.TEXT:
            return " ".join(text.split())
        case Kind.YES_NO:
            return parse_yes_no(text, step.meant)
        case Kind.COUNT:
            return parse_count(text)
        case Kind.PERCENT:
            return parse_percent(text)
        case Kind.DATE:
            return parse_date(text).isoformat()
        case Kind.PHONE:
            return parse_phone(text)
        case Kind.CHOICE:
            return _parse_choice(step, text, data, t)
        case Kind.CHOICES:
            return _parse_choices(step, text, data, t)
        case Kind.COMMUNE:
            return _parse_commune(step, text, data, t)


def _parse_choice(step: Step, text: str, data: Data, t: Translator) -> str:
    choices = step.options(data)
    labels = [(t.gettext(c.label), c.label, c.value, *c.aliases) for c in choices]
    result = match_option(text, labels)
    if isinstance(result, Matched):
        return choices[result.index].value
    if isinstance(result, Ambiguous):
        raise InvalidAnswerError(N_("Several options match. Please type the option's number."))
    raise InvalidAnswerError(N_("Please pick one of the options, or type its number."))


NONE_WORDS = frozenset({"0", "khong", "khong co", "chua co", "none", "no"})


def _parse_choices(step: Step, text: str, data: Data, t: Translator) -> list[str]:
    """Several options, by numbers or names separated by commas ("1, 3"); "0" for none."""
    if fold(text).strip(" .") in NONE_WORDS:
        return []
    choices = step.options(data)
    parts = [p for p in text.replace(";", ",").replace(" ", ",").split(",") if p.strip()]
    if not all(p.strip().isdigit() for p in parts):
        parts = [p for p in text.replace(";", ",").split(",") if p.strip()]
    picked: list[str] = []
    for part in parts:
        result = match_option(part, [(t.gettext(c.label), c.label, *c.aliases) for c in choices])
        if not isinstance(result, Matched):
            raise InvalidAnswerError(N_("Please type the numbers from the list, for example: 1, 3"))
        value = choices[result.index].value
        if value not in picked:
            picked.append(value)
    return [c.value for c in choices if c.value in picked]


def _parse_commune(step: Step, text: str, data: Data, t: Translator) -> str | _Ask:
    candidates = [c for c in (commune_by_code(code) for code in data.get("_candidates", [])) if c]
    if candidates:
        picked = match_option(text, [(c.full_name, c.name) for c in candidates])
        if isinstance(picked, Matched):
            return candidates[picked.index].code
    found = search_communes(text)
    if len(found) == 1 and named_exactly(text, found[0]):
        return found[0].code
    if len(found) == 1:  # only the first letters of a longer name: never a silent pick
        # "Sop": Xã Xốp (a slip of its whole name) or Xã Sốp Cộp (its first letters)?
        slips = [c for c in near_communes(text) if c.code != found[0].code]
        if slips:
            lead = t.gettext("Did you mean one of these communes?")
            return _commune_list(step, [*slips, *found], lead)
        return _commune_list(step, found, t.gettext("Did you mean this commune?"))
    if not found:
        old = search_old_communes(text)
        near = [] if old else near_communes(text)
        if near:  # neither a commune of today nor one of before 1/7/2025: a slip?
            return _commune_list(step, near, t.gettext("Did you mean one of these communes?"))
        return _old_commune_question(step, text, old, t)
    lines = [
        t.gettext("Several communes have that name. Which one is yours?"),
        t.gettext(
            "Not in the list? Type the name with the province, for example: Sơn Hà Quảng Ngãi"
        ),
    ]
    return _commune_list(step, found, "\n".join(lines))


def _commune_list(step: Step, found: list[CommuneRef], lead: str) -> _Ask:
    """Ask which of ``found`` (the first few) is meant."""
    shown = found[:MAX_LISTED_COMMUNES]
    rows = tuple((Option(c.full_name, make(PayloadKind.CHOICE, step.name, c.code)),) for c in shown)
    return _Ask(Reply(lead, rows), [c.code for c in shown])


def _old_commune_question(step: Step, text: str, old: list[OldCommune], t: Translator) -> _Ask:
    """A commune named as it was before 1/7/2025: offer the commune(s) it is part of now.

    Many people still say the name of their old commune; the merged one may have another
    name they do not know yet. The choice is theirs to confirm, since an old commune split
    between several new ones leaves only them knowing where their production is.
    ``old``: the units of before 1/7/2025 that ``text`` names.
    """
    now = list({c.code: c for unit in old for c in unit.becomes}.values())
    if not now:
        raise InvalidAnswerError(
            N_(
                "I could not find that commune. Please check the spelling, "
                "for example: Xốp or Sơn Hà Quảng Ngãi"
            )
        )
    if len(now) > MAX_LISTED_COMMUNES:
        raise InvalidAnswerError(
            N_(
                "Before 1/7/2025 several communes had that name. Please add the old district, "
                "for example: {example}"
            ),
            example=f"{old[0].name.split(' ', 1)[-1]}, {old[0].district}",
        )
    if len(old) == 1:
        intro = t.gettext("“{old}” is the commune's name before 1/7/2025.").format(
            old=old[0].full_name
        )
    else:
        intro = t.gettext("“{old}” is a commune name from before 1/7/2025.").format(old=text)
    question = (
        t.gettext("It is now part of this commune. Choose it to go on:")
        if len(now) == 1
        else t.gettext("That area is now in these communes. Which one is your production in?")
    )
    rows = tuple((Option(c.full_name, make(PayloadKind.CHOICE, step.name, c.code)),) for c in now)
    return _Ask(Reply(f"{intro}\n{question}", rows), [c.code for c in now])


# --- walking a flow ---------------------------------------------------------------------


def _next_step(flow: Flow, data: Data, after: str | None) -> Step | None:
    """The first applicable step after ``after`` (or the first) still without an answer
    when ``after`` is None; otherwise simply the next applicable step."""
    steps = flow.applicable(data)
    if after is None:
        return next((s for s in steps if s.name not in data), None)
    names = [s.name for s in steps]
    if after not in names:
        return next((s for s in steps if s.name not in data), None)
    index = names.index(after)
    return steps[index + 1] if index + 1 < len(steps) else None


def start(flow: Flow, state: State, t: Translator, now: datetime, seed: Data | None = None) -> Turn:
    """Begin ``flow``, or offer to resume its draft when one was left unfinished.

    ``seed`` holds what the flow is about (keys starting with "_", e.g. the dossier an
    officer assesses); they are not questions. A draft about something else is dropped
    rather than offered, so answers never leak from one dossier to another.
    """
    seed = dict(seed or {})
    draft = state.data.get("drafts", {}).get(flow.name)
    if draft and any(draft.get("answers", {}).get(k) != v for k, v in seed.items()):
        _drop_draft(state, flow.name)
        draft = None
    if draft:
        state.flow, state.step = flow.name, RESUME
        state.data = {
            **state.data,
            "answers": draft.get("answers", {}),
            "_at": draft.get("at_step"),
            "_touched": now.isoformat(),
        }
        return Turn([_resume_prompt(flow, t)], state)
    state.flow, state.step = flow.name, None
    state.data = {**state.data, "answers": seed, "_history": [], "_touched": now.isoformat()}
    first = _next_step(flow, seed, None)
    if first is None:  # pragma: no cover - flows always have steps
        raise ValueError(f"flow {flow.name} has no steps")
    state.step = first.name
    lead = t.gettext(flow.intro) if flow.intro else ""
    return Turn([prompt(flow, first, seed, t, _about(seed, lead))], state)


def continue_draft(
    flow: Flow, state: State, t: Translator, now: datetime, answers: Data | None = None
) -> Turn:
    """Go straight back into ``flow``'s draft, with ``answers`` added, at its first
    unanswered step (or its summary) — for a detour that must not cost the earlier answers.
    """
    draft = state.data.get("drafts", {}).get(flow.name, {})
    merged: Data = {**draft.get("answers", {}), **(answers or {})}
    _drop_draft(state, flow.name)
    history = [s.name for s in flow.applicable(merged) if s.name in merged]
    state.flow = flow.name
    state.data = {
        **state.data,
        "answers": merged,
        "_history": history,
        "_candidates": [],
        "_touched": now.isoformat(),
    }
    following = _next_step(flow, merged, None)
    if following is None:
        state.step = SUMMARY
        return Turn([summary(flow, merged, t)], state)
    state.step = following.name
    return Turn([prompt(flow, following, merged, t)], state)


def _resume_prompt(flow: Flow, t: Translator) -> Reply:
    text = t.gettext("You have an unfinished “{title}”. Continue where you left off?").format(
        title=t.gettext(flow.title)
    )
    return Reply(
        text,
        (
            (Option(t.gettext("Continue"), CONTINUE),),
            (Option(t.gettext("Start again"), RESTART),),
            (Option(t.gettext("Cancel"), CANCEL),),
        ),
    )


def _save_draft(state: State) -> None:
    if state.flow is None:
        return
    answers: Data = state.data.get("answers", {})
    if not any(not name.startswith("_") for name in answers):
        _drop_draft(state, state.flow)  # nothing answered yet: nothing to resume
        return
    drafts = dict(state.data.get("drafts", {}))
    drafts[state.flow] = {"answers": state.data.get("answers", {}), "at_step": state.step}
    state.data = {**state.data, "drafts": drafts}


def leave(state: State) -> None:
    """Leave the current flow, keeping its answers as a draft to resume later."""
    if state.step != RESUME:
        _save_draft(state)
    state.clear()


def _drop_draft(state: State, flow_name: str) -> None:
    drafts = {k: v for k, v in state.data.get("drafts", {}).items() if k != flow_name}
    state.data = {**state.data, "drafts": drafts}


async def advance(flow: Flow, state: State, content: Content, ctx: Any) -> Turn:
    """Handle one message inside ``flow``; ``ctx`` is passed to the completion action."""
    t: Translator = ctx.t
    answers: Data = dict(state.data.get("answers", {}))
    control = control_of(content)
    touched = state.data.get("_touched")
    state.data = {**state.data, "_touched": ctx.now.isoformat()}

    if control is Control.CANCEL:
        if state.step != RESUME:  # at the resume prompt the draft is still kept as it was
            _save_draft(state)
        state.clear()
        return Turn(
            [
                Reply(
                    t.gettext(
                        "Stopped. Your answers so far are kept: choose “{title}” again to continue."
                    ).format(title=t.gettext(flow.title))
                )
            ],
            state,
            done=True,
        )
    if state.step == RESUME:
        return _handle_resume(flow, state, content, t, answers)
    if (
        touched
        and control is None
        and ctx.now - datetime.fromisoformat(touched) > RESUME_AFTER
        and state.step not in (SUMMARY, EDIT_PICK)
    ):
        _save_draft(state)
        state.step = RESUME
        return Turn([_resume_prompt(flow, t)], state)
    if state.step == SUMMARY:
        return await _handle_summary(flow, state, content, ctx, answers)
    if state.step == EDIT_PICK:
        return _handle_edit_pick(flow, state, content, t, answers)

    step = flow.step(state.step or "")
    if control is Control.HELP:
        return Turn([Reply(help_for(step, t)), prompt(flow, step, answers, t)], state)
    if control is Control.BACK:
        return _go_back(flow, state, step, t, answers)
    if control is Control.SKIP:
        if step.optional:
            return await _accept(flow, state, step, None, ctx, answers, {})
        # Why it is needed is what its own help says first.
        needed = t.gettext("This question cannot be skipped: please answer it.")
        why = t.gettext(step.help) if step.help else ""
        told = "\n".join(part for part in (needed, why, way_out(t)) if part)
        return Turn([Reply(told), prompt(flow, step, answers, t)], state)

    also = _read_together(flow, step, content, answers)
    if also is not None:
        value = also.pop(step.name)
    else:
        try:
            value = parse_answer(
                step, content, {**answers, "_candidates": state.data.get("_candidates", [])}, t
            )
        except InvalidAnswerError as problem:
            text = t.gettext(problem.message).format(**problem.values)
            return Turn([Reply(f"{text}\n{way_out(t)}"), prompt(flow, step, answers, t)], state)
        if isinstance(value, _Ask):
            state.data = {**state.data, "_candidates": value.candidates}
            return Turn([value.reply], state)
    if step.check is not None:
        complaint = step.check(value, answers)
        if complaint:
            return Turn(
                [
                    Reply(f"{t.gettext(complaint).format_map(answers)}\n{way_out(t)}"),
                    prompt(flow, step, answers, t),
                ],
                state,
            )
    if step.stop_if is not None:
        farewell = step.stop_if(value, answers)
        if farewell:
            _drop_draft(state, flow.name)
            state.clear()
            return Turn([Reply(t.gettext(farewell))], state, done=True)
    if step.stamp:
        answers[f"{step.name}_at"] = ctx.now.isoformat()
    return await _accept(flow, state, step, value, ctx, answers, also or {})


def _read_together(flow: Flow, step: Step, content: Content, answers: Data) -> Data | None:
    """The answers ``content`` gives at once to ``step`` and to later questions (see
    :attr:`Step.together`), each later one only if its own question would take it."""
    if step.together is None or not isinstance(content, Text):
        return None
    found = step.together(content.text.strip(), answers)
    if not found or step.name not in found:
        return None
    kept: Data = {step.name: found[step.name]}
    for name, value in found.items():
        later = next((s for s in flow.steps if s.name == name and s is not step), None)
        if later is None or not isinstance(value, str) or len(value) > later.max_length:
            continue
        if later.check is None or later.check(value, {**answers, **kept}) is None:
            kept[name] = value
    return kept


async def _accept(
    flow: Flow, state: State, step: Step, value: Any, ctx: Any, answers: Data, also: Data
) -> Turn:
    t: Translator = ctx.t
    for name in step.resets:
        if answers.get(step.name) != value:
            answers.pop(name, None)
    answers[step.name] = value
    answers.update(also)
    history = [*state.data.get("_history", []), step.name, *also]
    editing = state.data.get("_editing", False)
    state.data = {**state.data, "answers": answers, "_history": history, "_candidates": []}
    replies: list[Outbound] = []
    if step.note is not None:
        note = step.note(value, answers)
        if note:
            replies.append(Reply(t.gettext(note)))
    if step.kind is Kind.COMMUNE:
        chosen = display_answer(step, value, answers, t)
        replies.append(Reply(t.gettext("Chosen: {commune}").format(commune=chosen)))
    following = _next_step(flow, answers, None if editing else step.name)
    while following is not None and following.name in also:  # answered by the same message
        following = _next_step(flow, answers, following.name)
    if following is not None:
        state.step = following.name
        asked = prompt(flow, following, answers, t)
        if step.kind is Kind.PHONE:  # the contact button has done its job: take it away
            asked = _removing_keyboard(asked)
        replies.append(asked)
        return Turn(replies, state)
    if not flow.confirm:
        completed, changes = _completed(await flow.complete(ctx, answers))
        replies.extend(completed)
        _drop_draft(state, flow.name)
        state.clear()
        return Turn(replies, state, done=True, changes=changes)
    state.step = SUMMARY
    state.data = {**state.data, "_editing": False}
    replies.append(summary(flow, answers, t))
    return Turn(replies, state)


def _removing_keyboard(reply: Outbound) -> Outbound:
    """A plain question as the message that also removes the phone keyboard (Telegram can
    remove it only with a message that brings no buttons of its own)."""
    if isinstance(reply, Reply) and not reply.choices:
        return RemoveKeyboard(reply.text)
    return reply


def _go_back(flow: Flow, state: State, step: Step, t: Translator, answers: Data) -> Turn:
    history = list(state.data.get("_history", []))
    applicable = {s.name for s in flow.applicable(answers)}
    while history and history[-1] not in applicable:
        history.pop()
    if not history:
        return Turn(
            [Reply(t.gettext("This is the first question.")), prompt(flow, step, answers, t)], state
        )
    previous = flow.step(history.pop())
    state.step = previous.name
    state.data = {**state.data, "_history": history, "_candidates": []}
    return Turn([prompt(flow, previous, answers, t)], state)


async def _handle_summary(
    flow: Flow, state: State, content: Content, ctx: Any, answers: Data
) -> Turn:
    t: Translator = ctx.t
    picked = pick(
        content,
        {
            SAVE: (N_("Save"), "luu", "dong y", "xac nhan", "ok", "dung", "dung roi", "chuan"),
            EDIT: (N_("Change an answer"), "sua", "thay doi"),
        },
        t,
    )
    if picked == SAVE:
        replies, changes = _completed(await flow.complete(ctx, answers))
        _drop_draft(state, flow.name)
        state.clear()
        return Turn(replies, state, done=True, changes=changes)
    if picked == EDIT:
        state.step = EDIT_PICK
        return Turn([_edit_menu(flow, answers, t)], state)
    control = control_of(content)
    if control is Control.BACK:
        history = list(state.data.get("_history", []))
        if history:
            state.step = history.pop()
            state.data = {**state.data, "_history": history}
            return Turn([prompt(flow, flow.step(state.step), answers, t)], state)
    if control is Control.HELP:  # the answers are just above: only what to type, and the list
        told = t.gettext(
            "Type “Lưu” to save these answers, “Sửa” to change one of them, or “Hủy” to stop "
            "(your answers are kept). You can also type an option's number."
        )
        return Turn([Reply(told, summary(flow, answers, t).choices)], state)
    return Turn(
        [
            Reply(t.gettext("Please choose “Save” or “Change an answer”.")),
            summary(flow, answers, t),
        ],
        state,
    )


def _handle_edit_pick(
    flow: Flow, state: State, content: Content, t: Translator, answers: Data
) -> Turn:
    steps = flow.applicable(answers)
    edit = parse(content.payload) if isinstance(content, ChoicePicked) else None
    if edit is not None and edit.kind is PayloadKind.EDIT:
        names = [s.name for s in steps]
        target = edit.part(0)
        index = names.index(target) if target in names else -1
    else:
        text = _text_of(content) or ""
        result = match_option(text, [(t.gettext(s.label or s.prompt),) for s in steps])
        index = result.index if isinstance(result, Matched) else -1
    if index < 0:
        control = control_of(content)
        if control is Control.BACK:
            state.step = SUMMARY
            return Turn([summary(flow, answers, t)], state)
        if control is Control.HELP:
            told = t.gettext(
                "Type the number or the name of the answer to change, or “Quay lại” to see "
                "your answers again."
            )
            return Turn([Reply(told, _edit_menu(flow, answers, t).choices)], state)
        return Turn(
            [
                Reply(t.gettext("Please pick the answer to change, or type its number.")),
                _edit_menu(flow, answers, t),
            ],
            state,
        )
    target_step = steps[index]
    state.step = target_step.name
    state.data = {**state.data, "_editing": True}
    return Turn([prompt(flow, target_step, answers, t)], state)


def _handle_resume(
    flow: Flow, state: State, content: Content, t: Translator, answers: Data
) -> Turn:
    picked = pick(
        content,
        {
            CONTINUE: (N_("Continue"), "tiep tuc", "tiep", "co"),
            RESTART: (N_("Start again"), "lam lai", "bat dau lai"),
        },
        t,
    )
    if picked == CONTINUE:
        at = state.data.get("_at")
        step = (
            flow.step(at) if at in {s.name for s in flow.steps} else _next_step(flow, answers, None)
        )
        _drop_draft(state, flow.name)
        if at == SUMMARY or step is None:
            state.step = SUMMARY
            return Turn([summary(flow, answers, t)], state)
        state.step = step.name
        state.data = {**state.data, "answers": answers}
        return Turn([prompt(flow, step, answers, t)], state)
    if picked == RESTART:
        _drop_draft(state, flow.name)
        seed = {k: v for k, v in answers.items() if k.startswith("_")}
        state.data = {k: v for k, v in state.data.items() if k != "answers"}
        state.flow = None
        return start(flow, state, t, datetime.fromisoformat(state.data["_touched"]), seed)
    return Turn(
        [Reply(t.gettext("Please choose “Continue” or “Start again”.")), _resume_prompt(flow, t)],
        state,
    )


def pick(content: Content, options: Mapping[str, tuple[str, ...]], t: Translator) -> str | None:
    """Which of a few fixed options a message picks (by button, number or word)."""
    if isinstance(content, ChoicePicked):
        return content.payload if content.payload in options else None
    text = _text_of(content)
    if text is None:
        return None
    keys = list(options)
    labels = [(t.gettext(words[0]), words[0], *words[1:]) for words in options.values()]
    result = match_option(text, labels)
    return keys[result.index] if isinstance(result, Matched) else None
