"""Messages the bot cannot read: a voice message, or what Zalo withholds from bots.

Zalo sends ``message.unsupported.received`` instead of the content for protected accounts
(children, people with disabilities, people who cannot read): such a person may not be
able to type at all, so asking them to type would leave them with nothing. The answer says
plainly what the bot could not do and gives a person to reach: an officer of their commune
with a phone number, else the commune's People's Committee, else "your commune".

For a signed-up producer the message is also passed on as a question to the commune's
officers (or the province's staff when the commune has none on the bot, see
:mod:`handlers.questions`): the officer sees who wrote and their phone, and calls back.
"""

from __future__ import annotations

from bot.messages import FileKind, FileReceived, Outbound, Reply
from handlers.communes import commune_by_code
from handlers.ports import CommuneContacts, HandlerContext, OfficerContact, QuestionReceipt

UNREADABLE_KINDS = frozenset({FileKind.VOICE, FileKind.UNSUPPORTED})
VIETNAM = "+84"
# What the officer's inbox shows for a message the bot could not read (staff read Vietnamese).
UNREADABLE_BODY = {
    FileKind.VOICE: "(Tin nhắn thoại: bot không nghe được, xin gọi lại cho người hỏi.)",
    FileKind.UNSUPPORTED: "(Tin nhắn Zalo không chuyển cho bot, xin gọi lại cho người hỏi.)",
}


def _phone(e164: str) -> str:
    """+84912345678 → 0912 345 678, as people in Vietnam write and dial it."""
    if not e164.startswith(VIETNAM):
        return e164
    local = "0" + e164.removeprefix(VIETNAM)
    return f"{local[:4]} {local[4:7]} {local[7:]}".strip()


def _officer(officer: OfficerContact) -> str:
    phone = _phone(officer.phone_e164)
    return f"{officer.name}, {phone}" if officer.name else phone


def _who_helps(ctx: HandlerContext, contacts: CommuneContacts | None) -> str:
    t = ctx.t
    commune = commune_by_code(contacts.commune_code) if contacts else None
    if contacts is None or commune is None:
        return t.gettext(
            "For help in person, please contact the People's Committee of your commune (the "
            "one-stop desk): the officer in charge of OCOP there will help you."
        )
    if not contacts.officers:
        return t.gettext(
            "For help in person, please contact the People's Committee of {commune} (the "
            "one-stop desk): the officer in charge of OCOP there will help you."
        ).format(commune=commune.name)
    return t.gettext(
        "For help in person, please call the OCOP officer of {commune}: {who}."
    ).format(commune=commune.name, who="; ".join(_officer(o) for o in contacts.officers))


def _passed_on(ctx: HandlerContext, receipt: QuestionReceipt) -> str:
    t = ctx.t
    commune = commune_by_code(receipt.commune_code)
    if receipt.to_province:
        return t.gettext(
            "I have told the OCOP staff of {province} that you wrote; they will contact you."
        ).format(province=commune.province_label if commune else "")
    return t.gettext(
        "I have told the OCOP officer of {commune} that you wrote; they will contact you."
    ).format(commune=commune.name if commune else receipt.commune_code)


async def answer_unreadable(ctx: HandlerContext, content: FileReceived) -> list[Outbound]:
    """The honest answer to a voice message or withheld content, with a person to reach;
    a producer's message is passed on to whoever answers for their commune."""
    t = ctx.t
    if content.kind is FileKind.VOICE:
        what = t.gettext(
            "Sorry, I cannot listen to voice messages: I am an automated assistant and only "
            "read text."
        )
    else:
        what = t.gettext(
            "Sorry, Zalo did not pass this message on to me, so I cannot see what you sent. "
            "I am an automated assistant."
        )
    contacts = None
    lines = [what]
    if ctx.profile is not None:
        if ctx.profile.role != "officer":
            receipt = await ctx.store.ask_officer(
                ctx.profile.person_id, UNREADABLE_BODY[content.kind], None, unreadable=True
            )
            if receipt is not None:
                lines.append(_passed_on(ctx, receipt))
        contacts = await ctx.store.commune_contacts(ctx.profile.person_id)
    lines.append(_who_helps(ctx, contacts))
    return [Reply("\n".join(lines))]
