"""A dossier the commune sent back: the officer's reason per item, the producer's changes,
and sending it back to the commune.

When the officer's form check returns a dossier (QĐ 26, Điều 7.2: the commune guides the
producer to complete it), each flagged item keeps the officer's check ("missing") and note.
The producer sees those reasons in the notice, on /trangthai and when the checklist asks the
item again; every flagged item can be answered again, even one answered before. The store
keeps the answer an item had when it was returned, at its first change, so the officer sees
old → new in the queue and on the dossier's card. "Send back" tells the commune's officers.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.messages import Option, Outbound, Reply
from handlers.assessment import MISSING, STATE_LABELS
from handlers.conversation import State, Turn
from handlers.i18n import Translator
from handlers.payloads import PayloadKind, make
from handlers.ports import DossierView, HandlerContext, ItemView
from ocop_rules import DossierStatus, requirement

RESEND = "resend"  # d:resend:<dossier>: send the completed dossier back to the commune


def is_returned(dossier: DossierView, items: Iterable[ItemView]) -> bool:
    """Whether the commune sent the dossier back and it is with the producer again."""
    return dossier.status == DossierStatus.IN_PREPARATION and any(
        item.officer_check == MISSING for item in items
    )


def next_returned(items: list[ItemView], after: str | None = None) -> str | None:
    """The next item the commune flagged that the producer has not changed yet, after
    ``after`` in checklist order (``after`` itself is never asked twice in a row)."""
    codes = [i.code for i in items]
    start = codes.index(after) + 1 if after in codes else 0
    ordered = items[start:] + items[:start]
    return next(
        (
            i.code
            for i in ordered
            if i.officer_check == MISSING and i.before_return is None and i.code != after
        ),
        None,
    )


def all_changed(items: Iterable[ItemView]) -> bool:
    """Whether every flagged item has been answered again."""
    return all(i.before_return is not None for i in items if i.officer_check == MISSING)


def _answer(t: Translator, state: str) -> str:
    return t.gettext(STATE_LABELS.get(state, STATE_LABELS["pending"]))


def note_line(t: Translator, item: ItemView) -> str | None:
    """The officer's reason for returning ``item``, as the checklist shows it above the
    question; None for an item the commune did not flag."""
    if item.officer_check != MISSING:
        return None
    if item.officer_note:
        return t.gettext("The commune returned this paper: {note}").format(note=item.officer_note)
    return t.gettext("The commune returned this paper: it is missing or needs fixing.")


def reason_lines(t: Translator, items: Iterable[ItemView]) -> list[str]:
    """One line per flagged item: its name, the officer's reason, and the change made."""
    lines = []
    for item in items:
        if item.officer_check != MISSING:
            continue
        line = f"• {requirement(item.code).name_vi}"
        if item.officer_note:
            line += f": {item.officer_note}"
        if item.before_return is not None:
            line += " — " + t.gettext("changed: {old} → {new}").format(
                old=_answer(t, item.before_return), new=_answer(t, item.state)
            )
        lines.append(line)
    return lines


def change_lines(t: Translator, changed: Iterable[tuple[str, str, str]]) -> list[str]:
    """What the producer changed since the return, for the officer: name, old → new."""
    return [
        "  ↳ "
        + t.gettext("{paper}: {old} → {new}").format(
            paper=requirement(code).name_vi, old=_answer(t, old), new=_answer(t, new)
        )
        for code, old, new in changed
    ]


def resend_option(t: Translator, dossier_id: int) -> Option:
    """The option that sends the completed dossier back to the commune."""
    return Option(
        t.gettext("Send the dossier back to the commune"),
        make(PayloadKind.DOSSIER, RESEND, dossier_id),
    )


def resend_offer(t: Translator, dossier_id: int) -> Reply:
    """The question at the end of the returned items: send it back now?"""
    return Reply(
        t.gettext(
            "You have answered every paper the commune returned. Send the dossier back to the "
            "commune now? The officer will see what you changed."
        ),
        ((resend_option(t, dossier_id),),),
    )


async def resend(ctx: HandlerContext, state: State, dossier_id: int) -> Turn:
    """Tell the commune's officers that the returned dossier is completed."""
    assert ctx.profile is not None  # noqa: S101 - the router asks for sign-up first
    t = ctx.t
    told = await ctx.store.resend_dossier(ctx.profile.person_id, dossier_id)
    state.flow = state.step = None
    replies: list[Outbound]
    if told is None:
        replies = [Reply(t.gettext("This dossier is not waiting to be sent back."))]
    elif told == 0:
        replies = [
            Reply(
                t.gettext(
                    "Saved. No commune officer uses the bot yet: please bring the papers to the "
                    "commune office (UBND xã)."
                )
            )
        ]
    else:
        replies = [
            Reply(
                t.gettext(
                    "Sent. The commune officer has been told what you changed and will check "
                    "the dossier again."
                )
            )
        ]
    return Turn(replies, state, done=True)
