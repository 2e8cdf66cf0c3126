"""Small flows about the person's own settings: the language of the conversation."""

from __future__ import annotations

from bot.messages import Reply
from handlers.conversation import Choice, Data, Done, Flow, Kind, Step
from handlers.i18n import N_
from handlers.ports import Changes, HandlerContext


async def _set_language(ctx: HandlerContext, data: Data) -> Done:
    language: str = data["language"]
    if ctx.profile is not None:
        await ctx.store.set_language(ctx.profile.person_id, language)
    said = ctx.translators(language).gettext("Done: I will speak English with you.")
    return Done([Reply(said)], Changes(language=language))


LANGUAGE = Flow(
    name="language",
    title=N_("Language"),
    steps=(
        Step(
            "language",
            N_("Which language do you prefer?"),
            Kind.CHOICE,
            (
                Choice("vi", N_("Tiếng Việt"), ("tieng viet", "vietnamese", "vn")),
                Choice("en", N_("English"), ("tieng anh", "anh")),
            ),
            label=N_("Language"),
            help=N_(
                "The language I write to you in; your forms stay in Vietnamese. "
                "Example: 1 for Tiếng Việt, 2 for English."
            ),
        ),
    ),
    complete=_set_language,
    confirm=False,
)
