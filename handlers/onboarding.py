"""First contact: consent, then who the producer is (name, phone, commune, subject).

Consent comes first and nothing is written before the summary is confirmed; refusing ends
the conversation politely with nothing stored (Nghị định 13/2023/NĐ-CP on personal data).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.messages import Reply
from handlers.conversation import Choice, Data, Done, Flow, Kind, Step
from handlers.i18n import N_
from handlers.ports import Changes, HandlerContext, NewProducer
from handlers.textmatch import fold
from ocop_rules import Eligibility, ProductGroup, SubjectType, subject_eligibility

SUBJECT_CHOICES: tuple[Choice, ...] = (
    Choice(SubjectType.COOPERATIVE, N_("Cooperative (HTX)"), ("htx", "hop tac xa")),
    Choice(
        SubjectType.COOPERATIVE_GROUP, N_("Cooperative group (tổ hợp tác)"), ("tht", "to hop tac")
    ),
    Choice(SubjectType.ENTERPRISE, N_("Company or enterprise"), ("doanh nghiep", "cong ty", "dn")),
    Choice(SubjectType.FARM, N_("Farm (trang trại)"), ("trang trai",)),
    Choice(
        SubjectType.REGISTERED_HOUSEHOLD,
        N_("Household business with a business licence"),
        ("ho kinh doanh", "hkd"),
    ),
    Choice(
        SubjectType.UNREGISTERED,
        N_("Household without a business licence yet"),
        ("ho gia dinh", "chua dang ky"),
    ),
    Choice(
        SubjectType.TOURISM_ORGANISATION,
        N_("Association or tourism centre (tourism only)"),
        ("hoi", "hiep hoi"),
    ),
)


def _eligibility_note(value: Any, _data: Data) -> str | None:
    """Tell an unregistered household, kindly, what it needs before evaluation."""
    subject = SubjectType(value)
    answers = {subject_eligibility(subject, group) for group in ProductGroup}
    if answers == {Eligibility.NEEDS_BUSINESS_REGISTRATION}:
        return N_(
            "Good to know: you can register your product idea now. Before the product "
            "is evaluated, the household needs a business licence (đăng ký kinh doanh) "
            "— the commune office can help."
        )
    if Eligibility.NOT_FOR_GROUP in answers:
        return N_(
            "Good to know: associations and tourism centres take part with tourism products only."
        )
    return None


# Answers that say there is nothing, typed where a name is needed.
NOT_A_NAME = frozenset(
    {"khong", "khong co", "chua co", "chua", "ko", "none", "khong biet", "bo qua"}
)


def _a_name(value: Any, _data: Data) -> str | None:
    """A name has letters, and is not a "none" ("12345", "không có" are no names)."""
    text = str(value)
    if not any(ch.isalpha() for ch in text) or fold(text).strip(" .!") in NOT_A_NAME:
        return N_("Please type a name in letters, for example: Lò Văn Nam.")
    return None


def _refuse(value: Any, _data: Data) -> str | None:
    return (
        None
        if value
        else N_("All right, I have stored nothing. If you change your mind, type /start.")
    )


def _registered(data: Data) -> bool:
    return data.get("subject_type") != SubjectType.UNREGISTERED


async def _complete(ctx: HandlerContext, data: Data) -> Done:
    producer = NewProducer(
        full_name=data["full_name"],
        phone_e164=data["phone"],
        commune_code=data["commune"],
        subject_type=data["subject_type"],
        subject_name=data["subject_name"],
        business_registration_no=data.get("business_registration_no"),
        consent_at=datetime.fromisoformat(data["consent_at"]),
        language=ctx.language,
    )
    profile = await ctx.store.register_producer(
        producer,
        channel=ctx.channel,
        external_id=ctx.sender_id,
        chat_id=ctx.chat_id,
        display_name=ctx.sender_name,
    )
    thanks = ctx.t.gettext("Thank you, {name}! Your details are saved.")
    return Done([Reply(thanks.format(name=producer.full_name))], Changes(profile=profile))


ONBOARDING = Flow(
    name="onboarding",
    title=N_("Sign-up"),
    intro=N_(
        "Hello! I am Trợ lý OCOP, an automated assistant for the OCOP programme "
        "(Mỗi xã một sản phẩm). I help you register product ideas, prepare the dossier "
        "and follow your certificate."
    ),
    steps=(
        Step(
            "consent",
            N_(
                "To help you I need to keep your name, phone number, commune and your business "
                "details. Only you, your commune's OCOP officer and the evaluating level can see "
                "them, and you can delete them any time with /xoadulieu (Decree 13/2023/NĐ-CP). "
                "Do you agree?"
            ),
            Kind.YES_NO,
            label=N_("Agree to data use"),
            stop_if=_refuse,
            stamp=True,
        ),
        Step(
            "full_name",
            N_("What is your full name?"),
            label=N_("Full name"),
            max_length=100,
            check=_a_name,
        ),
        Step(
            "phone",
            N_("What is your phone number? Type it, for example: 0912345678"),
            Kind.PHONE,
            label=N_("Phone"),
        ),
        Step(
            "commune",
            N_("Which commune (xã, phường) is your production in? Type its name, for example: Xốp"),
            Kind.COMMUNE,
            label=N_("Commune"),
        ),
        Step(
            "subject_type",
            N_("What kind of producer are you?"),
            Kind.CHOICE,
            SUBJECT_CHOICES,
            label=N_("Type of producer"),
            note=_eligibility_note,
            help=N_(
                "A cooperative (HTX) or company has its own registration; a household "
                "business has a licence from the district or commune; choose "
                "“without a licence yet” if you have none."
            ),
        ),
        Step(
            "subject_name",
            N_(
                "What is the name of your cooperative, company or household? "
                "For example: HTX Mật ong Xốp"
            ),
            label=N_("Producer name"),
            max_length=150,
            check=_a_name,
        ),
        Step(
            "business_registration_no",
            N_("What is your business registration number?"),
            label=N_("Business registration number"),
            optional=True,
            when=_registered,
            max_length=40,
        ),
    ),
    complete=_complete,
)
