"""The person's rights over their data (Nghị định 13/2023/NĐ-CP): see it, and delete it.

``/dulieucuatoi`` lists what is stored; ``/xoadulieu`` asks once for confirmation, then
deletes the personal data and channel accounts. Records the programme must keep (a
product's dossier and certificate) stay, anonymised — and the reply says so.
"""

from __future__ import annotations

from bot.messages import Outbound, Reply
from handlers.communes import commune_by_code
from handlers.conversation import Data, Done, Flow, Kind, State, Step
from handlers.i18n import N_
from handlers.ports import Changes, HandlerContext
from ocop_rules import SUBJECT_TYPE_NAMES_VI, SubjectType


async def _erase(ctx: HandlerContext, data: Data) -> list[Outbound] | Done:
    if not data["confirm"] or ctx.profile is None:
        return [Reply(ctx.t.gettext("All right, nothing was deleted."))]
    kept = await ctx.store.erase_person(ctx.profile.person_id)
    lines = [ctx.t.gettext("Your name, phone number and chat accounts have been deleted.")]
    if kept:
        lines.append(
            ctx.t.gettext(
                "The programme must keep the records of {count} product(s) for the evaluation; "
                "they are kept without your name or phone number."
            ).format(count=kept)
        )
    lines.append(ctx.t.gettext("Thank you for using Trợ lý OCOP. Type /start to begin again."))
    return Done([Reply("\n".join(lines))], Changes(signed_out=True))


ERASE = Flow(
    name="erase",
    title=N_("Delete my data"),
    steps=(
        Step(
            "confirm",
            N_(
                "This deletes your name, phone number and chat accounts from Trợ lý OCOP. "
                "It cannot be undone. Delete now?"
            ),
            Kind.YES_NO,
            label=N_("Delete my data"),
            help=N_(
                "Answering “có” deletes your name, phone number and chat accounts for good, "
                "as the law on personal data allows; your products stay, without your name. "
                "Answer “không” to keep everything."
            ),
        ),
    ),
    complete=_erase,
    confirm=False,
)


def wipe(state: State) -> None:
    """Forget everything the chat's state held, drafts included."""
    state.flow, state.step, state.data = None, None, {}


async def my_data(ctx: HandlerContext) -> list[Outbound]:
    """What is stored about the person behind this chat."""
    t = ctx.t
    if ctx.profile is None:
        return [Reply(t.gettext("I have no personal data stored for this chat."))]
    stored = await ctx.store.personal_data(ctx.profile.person_id)
    lines = [
        t.gettext("This is what Trợ lý OCOP stores about you:"),
        t.gettext("Name: {name}").format(name=stored.full_name or "—"),
        t.gettext("Phone: {phone}").format(phone=stored.phone_e164 or "—"),
        t.gettext("Language: {language}").format(language=stored.language),
        t.gettext("Consent given: {date}").format(
            date=stored.consent_at.strftime("%d/%m/%Y") if stored.consent_at else "—"
        ),
        t.gettext("Chat accounts: {accounts}").format(accounts=", ".join(stored.accounts)),
    ]
    for subject in stored.subjects:
        commune = commune_by_code(subject.commune_code)
        kind = SUBJECT_TYPE_NAMES_VI.get(SubjectType(subject.subject_type), subject.subject_type)
        lines.append(
            t.gettext("Producer: {name} ({kind}), {commune}").format(
                name=subject.name, kind=kind, commune=commune.full_name if commune else "—"
            )
        )
    lines.append(t.gettext("To delete it, type /xoadulieu."))
    return [Reply("\n".join(lines))]
