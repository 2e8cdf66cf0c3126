"""A step returns what it changed (the person, the language) and changes nothing it is
handed: the context is read-only, and the engine applies the turn's changes."""

from __future__ import annotations

import dataclasses
from typing import Any, cast

import pytest

from bot.i18n import translator
from bot.messages import Channel, Text
from handlers import conversation
from handlers.conversation import State
from handlers.ports import Changes, HandlerContext, Profile, Store
from handlers.settings_flows import LANGUAGE
from tests.builders import START


def _context(profile: Profile | None = None) -> HandlerContext:
    return HandlerContext(
        t=translator("vi"),
        now=START,
        channel=Channel.CONSOLE,
        chat_id="1",
        sender_id="1",
        sender_name=None,
        profile=profile,
        store=cast(Store, None),  # the language flow of a guest stores nothing
        language="vi",
        translators=translator,
    )


async def test_choosing_a_language_returns_it_and_leaves_the_context_alone() -> None:
    ctx = _context()
    state = conversation.start(LANGUAGE, State(), ctx.t, ctx.now).state
    turn = await conversation.advance(LANGUAGE, state, Text("English"), ctx)
    assert turn.done
    assert turn.changes == Changes(language="en")
    assert ctx.language == "vi"
    assert "English" in turn.replies[0].text  # type: ignore[union-attr]
    after = ctx.after(turn.changes)
    assert (after.language, after.t.gettext("Yes")) == ("en", "Yes")


def test_the_context_cannot_be_changed_in_place() -> None:
    ctx: Any = _context()
    with pytest.raises(dataclasses.FrozenInstanceError):
        ctx.profile = Profile(1, "Lan", "producer", "vi")


def test_an_erasure_leaves_nobody_behind_the_chat() -> None:
    ctx = _context(Profile(1, "Lan", "producer", "vi"))
    assert ctx.after(Changes(signed_out=True)).profile is None
    assert ctx.after(Changes()) is ctx
    newcomer = Profile(2, "Nam", "officer", "vi")
    assert ctx.after(Changes(profile=newcomer)).profile == newcomer
