"""What an option carries back when it is picked: one closed list of payload kinds.

A payload is ``<kind>:<part>:<part>…``, short enough for a Telegram button (64 bytes). The
same payload comes back whether the person pressed a button, typed the option's number or
typed its words (:mod:`handlers.offers` turns the last two into the first), so each
handler reads payloads only, in one place, through :func:`parse`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class PayloadKind(StrEnum):
    """Who reads a payload."""

    FEATURE = "m"  # m:<feature>: open a feature of the registry (menu, pushed notices)
    CHOICE = "c"  # c:<step>:<value>: the answer to a flow's choice step
    CONTROL = "ctl"  # ctl:<word>: a control word (huy, quay lai…) as an option
    SUMMARY = "s"  # s:save | s:edit: a flow's summary
    EDIT = "e"  # e:<step>: the answer to change, from a summary
    RESUME = "r"  # r:continue | r:restart: an unfinished flow
    CHECKLIST = "k"  # k:<item>:<answer> | k:pick:<dossier> | k:missing
    LINKING = "l"  # l:<answer>: recognising someone from their other app
    CLAIM = "p"  # p:<answer>: claiming a subject the province imported
    OFFICER = "o"  # o:<action>:<dossier>: an officer's move on a dossier
    TOGGLE = "t"  # t:<notice kind>: turn a kind of notice on or off
    SELF_ASSESSMENT = "a"  # a:ans:<criterion>:<answer> | a:set:<n> | a:pick:<dossier> | a:sum:…
    DOSSIER = "d"  # d:renew|upgrade:<certificate> | d:resend:<dossier>: a producer's move


@dataclass(frozen=True, slots=True)
class Payload:
    """A parsed payload: its kind and the parts after it."""

    kind: PayloadKind | None
    parts: tuple[str, ...]

    def part(self, index: int) -> str:
        """The part at ``index``, or "" when there is none."""
        return self.parts[index] if index < len(self.parts) else ""


_KINDS = {kind.value: kind for kind in PayloadKind}


def make(kind: PayloadKind, *parts: object) -> str:
    """The payload string of ``kind`` with ``parts`` ("o", "form", 12 → "o:form:12")."""
    return ":".join((kind.value, *(str(part) for part in parts)))


def parse(payload: str) -> Payload:
    """The kind and parts of ``payload``; an unknown kind gives ``kind=None``.

    The value of a choice may itself hold a colon, so a choice keeps everything after its
    step name as one part.
    """
    head, _, rest = payload.partition(":")
    kind = _KINDS.get(head)
    if kind is PayloadKind.CHOICE:
        step, _, value = rest.partition(":")
        return Payload(kind, (step, value))
    return Payload(kind, tuple(rest.split(":")) if rest else ())
