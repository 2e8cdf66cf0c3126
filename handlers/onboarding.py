"""First contact: consent, then who the producer is (name, phone, commune, subject).

Consent comes first and nothing is written before the last answer; refusing ends the
conversation politely with nothing stored (Nghị định 13/2023/NĐ-CP on personal data). Only
what is needed now is asked — who, phone, commune, kind of producer (and an organisation's
name); the business registration number is asked with its paper in the dossier checklist.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.messages import Reply
from handlers.conversation import Choice, Data, Done, Flow, Kind, Step, display_answer
from handlers.i18n import N_
from handlers.ports import Changes, HandlerContext, NewProducer
from handlers.textmatch import fold, words_key
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


# The version of the consent question's wording, kept with each person's consent. "2" names
# the province's Official Account and its template messages to the phone; a consent of an
# earlier version never covered those, so no template is sent on it.
CONSENT_VERSION = "2"

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


# A household is known by its owner's name; an organisation has a name of its own.
HOUSEHOLDS = frozenset({SubjectType.REGISTERED_HOUSEHOLD, SubjectType.UNREGISTERED})


def _named_apart(data: Data) -> bool:
    return data.get("subject_type") not in HOUSEHOLDS


# Short forms people write in front of an organisation's name, printed in capitals.
ABBREVIATIONS = frozenset({"htx", "tht", "dn"})
# An organisation's kind is said in at most this many words ("to hop tac", "doanh nghiep").
KIND_WORDS = 3


def _kind_of(key: str) -> SubjectType | None:
    """The organisation kind that ``key`` (folded words) names: its number in the list or
    one of its words ("1", "htx", "cong ty"); None for a household or anything else."""
    kind: SubjectType | None
    if key.isdigit():
        number = int(key)
        if not 1 <= number <= len(SUBJECT_CHOICES):
            return None
        kind = SubjectType(SUBJECT_CHOICES[number - 1].value)
    else:
        named = (c for c in SUBJECT_CHOICES if key in {c.value, *c.aliases})
        kind = next((SubjectType(c.value) for c in named), None)
    return None if kind is None or kind in HOUSEHOLDS else kind


def _kind_and_name(text: str, _data: Data) -> Data | None:
    """The kind of producer and the organisation's name typed in one message: "htx mat ong
    Xop" or "1 HTX Mật ong Xốp" — so a cooperative or company needs no extra message.

    The name is kept as typed (the kind's words included, "htx" in capitals), except a
    leading list number. Words after the kind that are no name ("htx 123", "cong ty khong
    co") give the kind only, and the name is asked."""
    words = text.split()
    for count in range(min(KIND_WORDS, len(words) - 1), 0, -1):
        head = words_key(" ".join(words[:count]))
        kind = _kind_of(head)
        if kind is None:
            continue
        # "1 HTX Mật ong Xốp": the number is dropped, the rest is the name as typed.
        named = words[count:] if head.isdigit() else words
        if fold(named[0]) in ABBREVIATIONS:
            named = [named[0].upper(), *named[1:]]
        # The words that name it past its kind: "htx 123", "cong ty khong co" name nothing.
        own = named[1:] if head.isdigit() and fold(named[0]) in ABBREVIATIONS else words[count:]
        if not own or _a_name(" ".join(own), _data) is not None:
            return {"subject_type": kind.value}
        return {"subject_type": kind.value, "subject_name": " ".join(named)}
    return None


async def _complete(ctx: HandlerContext, data: Data) -> Done:
    # The business registration number is asked with the registration paper, in the
    # dossier checklist, where it is needed — not at sign-up.
    producer = NewProducer(
        full_name=data["full_name"],
        phone_e164=data["phone"],
        commune_code=data["commune"],
        subject_type=data["subject_type"],
        subject_name=data.get("subject_name") or data["full_name"],
        business_registration_no=None,
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
    t = ctx.t
    saved = [
        display_answer(ONBOARDING.step(name), data[name], data, t)
        for name in ("full_name", "phone", "commune", "subject_type", "subject_name")
        if data.get(name) is not None
    ]
    thanks = t.gettext("Thank you, {name}! Your details are saved: {details}.").format(
        name=producer.full_name, details=" · ".join(saved)
    )
    return Done([Reply(thanks)], Changes(profile=profile))


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
                "Reminders may also come as Zalo messages from the province's Official Account, "
                "including template messages sent to your phone number. Do you agree?"
            ),
            Kind.YES_NO,
            label=N_("Agree to data use"),
            stop_if=_refuse,
            stamp=True,
            help=N_(
                "I ask before keeping anything about you, as the law on personal data "
                "requires. Agreeing lets me keep your name, phone and commune for your OCOP "
                "papers; you can delete them later with /xoadulieu. Answer: “đồng ý” or “không”."
            ),
        ),
        Step(
            "full_name",
            N_("What is your full name?"),
            label=N_("Full name"),
            max_length=100,
            check=_a_name,
            help=N_(
                "Your full name as on your ID card: it is printed on your OCOP forms and "
                "the commune officer uses it to find you. Example: Lò Văn Nam."
            ),
        ),
        Step(
            "phone",
            N_("What is your phone number? Type it, for example: 0912345678"),
            Kind.PHONE,
            label=N_("Phone"),
            help=N_(
                "The phone number the commune officer can call you on about your product; "
                "it is printed on your forms. Type the ten digits, for example: 0912345678."
            ),
        ),
        Step(
            "commune",
            N_("Which commune (xã, phường) is your production in? Type its name, for example: Xốp"),
            Kind.COMMUNE,
            label=N_("Commune"),
            help=N_(
                "The commune or ward where you produce, by its name since 1/7/2025: its "
                "OCOP officer receives your product. An old name works too. Example: Xốp, "
                "or Sơn Hà Quảng Ngãi."
            ),
        ),
        Step(
            "subject_type",
            N_(
                "What kind of producer are you? A cooperative, group or company can type its "
                "name with it, for example: HTX Mật ong Xốp"
            ),
            Kind.CHOICE,
            SUBJECT_CHOICES,
            label=N_("Type of producer"),
            note=_eligibility_note,
            together=_kind_and_name,
            help=N_(
                "A cooperative (HTX) or company has its own registration; a household "
                "business has a licence from the district or commune; choose "
                "“without a licence yet” if you have none. I ask because it decides which "
                "papers your dossier needs. Example: 5 — or, for a cooperative, its name "
                "with it: htx Mật ong Xốp."
            ),
        ),
        Step(
            "subject_name",
            N_(
                "What is the name of your cooperative, company or group? "
                "For example: HTX Mật ong Xốp"
            ),
            label=N_("Producer name"),
            max_length=150,
            check=_a_name,
            when=_named_apart,
            part_of="subject_type",
            help=N_(
                "The name written on your registration paper: it is the name the product "
                "is evaluated under. Example: HTX Mật ong Xốp."
            ),
        ),
    ),
    # One question a message and nothing more: the answers are saved after the last one,
    # and the reply repeats them (consent was asked first).
    confirm=False,
    complete=_complete,
)
