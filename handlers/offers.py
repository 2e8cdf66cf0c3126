"""One choice mechanism for every reply that offers options.

Zalo and the console have no buttons: there a list of options is written "1. …, 2. …" and
the person types a number or the option's words. So that a typed answer reaches exactly
what a Telegram button would, the options of the last message a chat was sent are kept
with the chat's state (:func:`remember`), and a typed message is turned into the payload it
picks before any handler sees it (:func:`resolve`). Handlers then read payloads only.

Which list a typed number answers:

- when the current question expects a typed answer (a count, a percent, a year, a phone, a
  name…), the number is that answer;
- otherwise it answers the most recent list sent to the chat — the last message of the last
  turn, or a notice pushed since;
- a number out of range gets one short sentence and the same list again, never a silent
  wrong pick.

Words (any case, with or without diacritics, a unique prefix) pick from the most recent
list. A list pushed with a notice is also kept for some days and answered by its words at
any time — in the middle of a question only by the whole label, so that a typed answer is
never mistaken for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.messages import ChoicePicked, Content, Option, Outbound, Reply, Text
from handlers.i18n import Translator
from handlers.textmatch import fold, words_key

OFFER = "_offer"  # the options of the last message sent: {"labels": […], "payloads": […]}
PUSHED = "_pushed"  # lists pushed with notices: [{"labels", "payloads", "at"}], newest last
KEEP_PUSHED = 5
PUSHED_FOR = timedelta(days=30)
# "2", "2.", "số 2", "so 2", "#2", "2)": what people type to pick the second line.
_NUMBER = re.compile(r"(?:so|#)?\s*(\d{1,3})\s*[.)]?")

Data = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Picked:
    """What a typed message became: the content to handle, and whether it picked an option
    of a pushed notice (the flow in progress then shows its question again)."""

    content: Content
    from_notice: bool = False


@dataclass(frozen=True, slots=True)
class Again:
    """A number outside the list: say so and show the list again."""

    reply: Reply


def options_of(reply: Outbound) -> tuple[Option, ...]:
    """The options of ``reply`` in the order they are numbered."""
    if not isinstance(reply, Reply):
        return ()
    return tuple(option for row in reply.choices for option in row)


def _as_offer(options: tuple[Option, ...]) -> Data:
    return {"labels": [o.label for o in options], "payloads": [o.payload for o in options]}


def remember(data: Data, replies: list[Outbound]) -> Data:
    """``data`` with the list of the last reply as the chat's current offer (or none, when
    the last reply offers nothing: a number typed then answers a question, not a list)."""
    last = replies[-1] if replies else None
    options = options_of(last) if isinstance(last, Reply) and last.listed else ()
    if not options:
        return {k: v for k, v in data.items() if k != OFFER} if OFFER in data else data
    return {**data, OFFER: _as_offer(options)}


def push(data: Data, reply: Outbound, now: datetime) -> Data:
    """``data`` after a notice with options was pushed to the chat: its list is the most
    recent one, and is kept to be answered by its words later."""
    options = options_of(reply)
    if not options:
        return data
    offer = _as_offer(options)
    kept = [
        p
        for p in data.get(PUSHED, [])
        if now - datetime.fromisoformat(p["at"]) <= PUSHED_FOR
        and p["payloads"] != offer["payloads"]
    ]
    pushed = [*kept, {**offer, "at": now.isoformat()}][-KEEP_PUSHED:]
    return {**data, OFFER: {**offer, "pushed": True}, PUSHED: pushed}


MIN_PREFIX = 3


def match_label(text: str, labels: list[str]) -> int | None:
    """The one label ``text`` names: the whole label, or its first words (at least
    :data:`MIN_PREFIX` letters, so "co" never picks "Còn thiếu gì?"); any case or accent.

    Anything looser — aliases, a word inside a label — is left to the handler of the
    question, which knows its own words.
    """
    key = words_key(text)
    if not key:
        return None
    folded = [words_key(label) for label in labels]
    exact = [i for i, label in enumerate(folded) if label == key]
    if exact:
        return exact[0] if len(exact) == 1 else None
    if len(key) < MIN_PREFIX:
        return None
    hits = [i for i, label in enumerate(folded) if label.startswith(f"{key} ")]
    return hits[0] if len(hits) == 1 else None


def typed_number(text: str) -> int | None:
    """The number a message picks ("2", "2.", "số 2"), or None."""
    match = _NUMBER.fullmatch(fold(text))
    return int(match.group(1)) if match else None


def _current(data: Data) -> tuple[list[str], list[str], bool] | None:
    offer = data.get(OFFER)
    if not offer or not offer.get("payloads"):
        return None
    return list(offer["labels"]), list(offer["payloads"]), bool(offer.get("pushed"))


def _again(labels: list[str], payloads: list[str], t: Translator) -> Again:
    if len(labels) == 1:
        lead = t.gettext("Please type 1 to choose it, or “Menu” for the main menu.")
    else:
        lead = t.gettext(
            "Please type a number from 1 to {count}, or “Menu” for the main menu."
        ).format(count=len(labels))
    options = tuple(
        (Option(label, payload),) for label, payload in zip(labels, payloads, strict=True)
    )
    return Again(Reply(lead, options))


def _pushed_pick(data: Data, text: str, now: datetime, *, whole_label: bool) -> str | None:
    key = fold(text).strip(" .!")
    for pushed in reversed(data.get(PUSHED, [])):
        if now - datetime.fromisoformat(pushed["at"]) > PUSHED_FOR:
            continue
        labels = pushed["labels"]
        if whole_label:
            hits = [i for i, label in enumerate(labels) if fold(label) == key]
            if len(hits) == 1:
                return str(pushed["payloads"][hits[0]])
            continue
        index = match_label(text, labels)
        if index is not None:
            return str(pushed["payloads"][index])
    return None


def resolve(
    data: Data, content: Content, t: Translator, now: datetime, *, typed_answer: bool
) -> Picked | Again:
    """What ``content`` means given the lists sent to the chat.

    ``typed_answer``: the current question expects a typed value (a number is then its
    answer, and only a whole label of a pushed notice is taken as picking it).
    A control word ("Hủy", "Menu"…) is left for the handlers by the caller.
    """
    if not isinstance(content, Text):
        return Picked(content)
    text = content.text.strip()
    number = typed_number(text)
    current = _current(data)
    if number is not None:
        if typed_answer or current is None:
            return Picked(content)
        labels, payloads, pushed_list = current
        if 1 <= number <= len(payloads):
            return Picked(ChoicePicked(payloads[number - 1]), pushed_list)
        return _again(labels, payloads, t)
    if current is not None and not typed_answer:
        labels, payloads, pushed_list = current
        index = match_label(text, labels)
        if index is not None:
            return Picked(ChoicePicked(payloads[index]), pushed_list)
    pushed = _pushed_pick(data, text, now, whole_label=typed_answer)
    if pushed is not None:
        return Picked(ChoicePicked(pushed), from_notice=True)
    return Picked(content)
