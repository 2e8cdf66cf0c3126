"""Registering a product idea (phiếu đăng ký ý tưởng sản phẩm), one question at a time.

The questions follow ``ocop_rules.IDEA_FIELDS`` in order. The product's set (one of the 26
of QĐ 26/2026/QĐ-TTg) is asked in one message by words ("mật ong", "nước mắm", "rượu"):
the sets those words name (or, failing that, the product's name) come back as a short list
to confirm; the product's name is tried first, so the words are asked only when the name
says nothing. Only when nothing is found, or none of them fits, are the six groups offered
in plain words and then the group's sets by their official names. All of that counts as
one question in "Bước n/4".

Only what is needed to register is asked: the name, the set, new or on sale, one line of
description. The rest of the form's fields are asked where they are needed.
"""

from __future__ import annotations

from typing import Any

from bot.messages import Outbound, Reply
from handlers.conversation import Choice, Data, Flow, Kind, Step
from handlers.i18n import N_
from handlers.parsing import NO_WORDS, YES_WORDS
from handlers.ports import HandlerContext, NewIdea
from handlers.set_words import find_sets, group_named
from handlers.textmatch import accent_key, words_key
from ocop_rules import (
    IDEA_FIELDS,
    FieldType,
    IdeaOrigin,
    ProductGroup,
    product_set,
    product_sets_in,
)

GROUP_CHOICES: tuple[Choice, ...] = (
    Choice(
        ProductGroup.FOOD,
        N_("Food — honey, fish sauce, rice, dried fruit, tea…"),
        ("thuc pham", "an"),
    ),
    Choice(
        ProductGroup.DRINK,
        N_("Drinks — rice wine, juices, bottled drinks…"),
        ("do uong", "ruou", "nuoc"),
    ),
    Choice(
        ProductGroup.HERBAL,
        N_("Herbal — medicinal herbs, herbal tea, essential oils…"),
        ("duoc lieu", "thao duoc"),
    ),
    Choice(
        ProductGroup.HANDICRAFT,
        N_("Handicrafts — bamboo and rattan, pottery, brocade, woodwork…"),
        ("thu cong", "my nghe"),
    ),
    Choice(
        ProductGroup.ORNAMENTAL,
        N_("Ornamentals — flowers, bonsai, ornamental fish…"),
        ("sinh vat canh", "hoa", "cay canh"),
    ),
    Choice(
        ProductGroup.TOURISM,
        N_("Tourism — community tourism, homestays, eco-tourism…"),
        ("du lich", "homestay"),
    ),
)
ORIGIN_CHOICES: tuple[Choice, ...] = (
    Choice(IdeaOrigin.OWN_TRADITION, N_("Our own idea, keeping a local tradition or specialty")),
    Choice(IdeaOrigin.OWN_IDEA, N_("Our own new idea, not yet on the market")),
    Choice(IdeaOrigin.IMPROVED_COPY, N_("Based on an existing product, with our improvements")),
    Choice(IdeaOrigin.COPY_NEW_LABEL, N_("An existing product under our own label")),
)
# The last option of the list of sets found by words: none of them, choose by group.
OTHER_SET = "other"
OTHER_SET_CHOICE = Choice(
    OTHER_SET, N_("None of these — choose from the groups"), ("khac", "khong phai", "khong co")
)


def _set_choice(number: int) -> Choice:
    found = product_set(number)
    return Choice(str(number), found.name, (found.name_annex_i, *found.aliases))


def _found(data: Data) -> tuple[int, ...]:
    """The sets the typed words name, else those the product's name names, else those of
    the group the words name."""
    words = str(data.get("product_kind", ""))
    found = find_sets(words) or find_sets(str(data.get("product_name", "")))
    if found:
        return found
    group = group_named(words)
    return () if group is None else tuple(s.number for s in product_sets_in(group))


def _found_choices(data: Data) -> tuple[Choice, ...]:
    return (*(_set_choice(number) for number in _found(data)), OTHER_SET_CHOICE)


def _set_not_found(data: Data) -> bool:
    return bool(data.get("product_set", OTHER_SET) == OTHER_SET)


def _group_sets(data: Data) -> tuple[Choice, ...]:
    group = data.get("group")
    if group is None:
        return ()
    return tuple(_set_choice(s.number) for s in product_sets_in(ProductGroup(group)))


def _asks_set_in_group(data: Data) -> bool:
    return _set_not_found(data) and len(_group_sets(data)) > 1


def chosen_set(data: Data) -> int:
    """The set the answers name: confirmed from the words, or chosen in the group."""
    if not _set_not_found(data):
        return int(data["product_set"])
    if "set_in_group" in data:
        return int(data["set_in_group"])
    return int(_group_sets(data)[0].value)


def _name_names_a_set(data: Data) -> bool:
    return bool(find_sets(str(data.get("product_name", ""))))


NAME_STEP = "product_name"
# What people say that is not a product's name: greetings and thanks (with whatever follows:
# "cảm ơn em nhé"), and alone, the words of the bot's own lists ("Lưu", "Xong") sent once too
# often. Alone only, as "sữa", "cháo" and "chè" also begin products' names.
_NOT_NAMES_BEGINNING = ("xin chao", "chao ban", "chao em", "chao anh", "chao chi", "cam on")
_NOT_NAMES = frozenset({"chao", "hello", "hi", "thanks", "tam biet", "luu", "xong", "sua", "giu"})


# What opens the idea's form, typed again at its first question ("1" from the menu, then
# "dang ky"): not a name.
_OPENING_WORDS = frozenset({"dang ky", "dangky", "dang ky y tuong", "dang ky san pham", "y tuong"})

# Words of a sentence asking to register ("tôi muốn đăng ký sản phẩm mật ong"), not a name.
_ASKING = ("dang ky", "y tuong", "muon", "toi")
_GARLIC = accent_key("tỏi")  # "toi" written with its mark, however it is encoded


def could_be_a_product_name(text: str) -> bool:
    """Whether a message sent where a product's name is invited (right after sign-up, the
    menu also shown) is one, rather than a greeting, thanks, a yes or a request."""
    key = words_key(text)
    if sum(c.isalpha() for c in key) < 2 or key in YES_WORDS or key in NO_WORDS:
        return False
    if asks_to_register(text):
        return False
    if key in _NOT_NAMES:
        return False
    return not any(key == word or key.startswith(f"{word} ") for word in _NOT_NAMES_BEGINNING)


def asks_to_register(text: str) -> bool:
    """Whether the message says, in a sentence, that the person wants to register.

    "toi" is "tôi" (I) as often as "tỏi" (garlic): written with its mark, "Tỏi Lý Sơn" is a
    product's name, not a sentence about oneself."""
    words = f" {words_key(text)} "
    garlic = _GARLIC in accent_key(text)
    asking = tuple(word for word in _ASKING if not (garlic and word == "toi"))
    return any(f" {word} " in words for word in asking)


# The set's questions are one counted question: the words, the short list they find, and
# only when nothing fits, the group and its sets.
SET_QUESTION = "product_set"

STEPS: dict[str, Step] = {
    NAME_STEP: Step(
        NAME_STEP,
        N_("What is the product called? For example: Mật ong rừng Xốp"),
        label=N_("Product name"),
        max_length=150,
        resets=("product_kind", "product_set", "group", "set_in_group"),
        check=lambda value, _data: (
            N_("That is how to open this form, not the product's name.")
            if words_key(value) in _OPENING_WORDS
            else None
        ),
        help=N_(
            "The name you sell the product under, or plan to: it is printed on the "
            "registration form, and its words often tell me the product's kind. "
            "Example: Mật ong rừng Xốp."
        ),
    ),
    "product_kind": Step(
        "product_kind",
        N_(
            "What kind of product is it? A few words are enough, for example: mật ong, "
            "nước mắm, rượu, chè, giỏ mây tre, homestay"
        ),
        label=N_("Kind of product"),
        max_length=150,
        resets=("product_set", "group", "set_in_group"),
        when=lambda data: not _name_names_a_set(data),
        part_of=SET_QUESTION,
        help=N_(
            "Say in everyday words what the product is, so I can find which OCOP "
            "scoring sheet it follows. Example: mật ong, or rượu ngô."
        ),
    ),
    "product_set": Step(
        "product_set",
        N_("Which of these is it? (Each kind of product has its own OCOP scoring sheet.)"),
        Kind.CHOICE,
        _found_choices,
        label=N_("Product set"),
        when=lambda data: bool(_found(data)),
        resets=("group", "set_in_group"),
        help=N_(
            "OCOP scores each kind of product on its own sheet (26 sets). Pick the "
            "line that fits your product, for example 1; pick the last line if none does."
        ),
    ),
    "group": Step(
        "group",
        N_("Which group is the product in?"),
        Kind.CHOICE,
        GROUP_CHOICES,
        label=N_("Product group"),
        when=_set_not_found,
        resets=("set_in_group",),
        part_of=SET_QUESTION,
        help=N_(
            "OCOP has six groups of products; the group narrows down the scoring "
            "sheet. Honey is food, rice wine is a drink. Example: 1."
        ),
    ),
    "set_in_group": Step(
        "set_in_group",
        N_("Which of these fits best?"),
        Kind.CHOICE,
        _group_sets,
        label=N_("Product set"),
        when=_asks_set_in_group,
        part_of=SET_QUESTION,
        help=N_(
            "These are the official sets of the group you chose; each has its own "
            "scoring sheet. Pick the closest one by its number, for example: 2."
        ),
    ),
    "is_new_product": Step(
        "is_new_product",
        N_("Is it a new product, not yet on sale?"),
        Kind.YES_NO,
        label=N_("New product"),
        help=N_(
            "A new product and one already on sale are registered on different forms. "
            "Answer “có” if you do not sell it yet, “không” if you already do."
        ),
        # "chưa" answers the "chưa bán" of the question: not yet on sale, so new; "rồi",
        # already sold. The usual words read them the other way round.
        meant={
            **dict.fromkeys(("chua", "chua ban", "chua ban ra", "chua co ban", "moi"), True),
            **dict.fromkeys(("san pham moi", "chua ban ra thi truong", "chua ban lan nao"), True),
            **dict.fromkeys(("roi", "ban roi", "da ban", "da ban roi", "dang ban"), False),
            **dict.fromkeys(("co ban", "co ban roi", "da ban ra thi truong", "cu"), False),
        },
    ),
    "description": Step(
        "description",
        N_("Describe the product in one line: what it is, how it is made."),
        label=N_("Description"),
        max_length=300,
        help=N_(
            "One line for the commune officer who reads your registration: what the "
            "product is and how you make it. Example: mật ong hoa rừng, lấy từ đàn ong nuôi "
            "trong rừng."
        ),
    ),
}

# The form's fields asked at registration; the others are asked where they are needed: the
# product's facts (raw materials and their shares, workers, the idea's origin, the local
# story) once with the dossier (FACTS, below), the papers one by one in the checklist, the
# market and support in the self-assessment's criteria.
ASKED_AT_REGISTRATION = ("product_name", "product_set", "is_new_product", "description")
# Typed answers kept with the registration's besides its own: the product's facts, and the
# support wanted that registrations made before the shorter form may hold (erasure clears them).
EARLIER_TYPED_ANSWERS = frozenset({"raw_materials", "identity_story", "support_wanted"})

_TYPES = {
    FieldType.TEXT: Kind.TEXT,
    FieldType.CHOICE: Kind.CHOICE,
    FieldType.CHOICES: Kind.CHOICES,
    FieldType.PERCENT: Kind.PERCENT,
    FieldType.COUNT: Kind.COUNT,
    FieldType.YES_NO: Kind.YES_NO,
}


# The form's set is asked by words first, by group only as the fallback.
_ASKED_BY: dict[str, tuple[str, ...]] = {
    "product_set": ("product_kind", "product_set", "group", "set_in_group"),
}


def _steps() -> tuple[Step, ...]:
    """The steps of the fields asked at registration, in the order and with the
    optionality of ``ocop_rules.IDEA_FIELDS``."""
    steps = []
    for field in IDEA_FIELDS:
        if field.code not in ASKED_AT_REGISTRATION:
            continue
        step = STEPS[field.code]
        if _TYPES[field.type] is not step.kind:  # pragma: no cover - guarded by tests
            raise ValueError(f"{field.code}: kind differs from ocop_rules")
        for name in _ASKED_BY.get(field.code, (field.code,)):
            steps.append(Step(**{**_fields(STEPS[name]), "optional": not field.required}))
    return tuple(steps)


def _fields(step: Step) -> dict[str, Any]:
    return {name: getattr(step, name) for name in step.__dataclass_fields__}


async def _complete(ctx: HandlerContext, data: Data) -> list[Outbound]:
    assert ctx.profile is not None  # noqa: S101 - the router asks for sign-up first
    number = chosen_set(data)
    idea = NewIdea(
        product_name=data["product_name"],
        group=product_set(number).group.value,
        product_set=number,
        is_new_product=data["is_new_product"],
        description=data["description"],
        answers={k: v for k, v in data.items() if not k.startswith("_")},
    )
    receipt = await ctx.store.register_idea(ctx.profile.person_id, idea, ctx.now)
    lines = [
        ctx.t.gettext("Your product idea is registered. Its code is {code}.").format(
            code=receipt.code
        )
    ]
    if receipt.officers_notified:
        lines.append(ctx.t.gettext("I have told your commune's OCOP officer."))
    else:
        lines.append(
            ctx.t.gettext(
                "Your commune's OCOP officer will see it when they join "
                "Trợ lý OCOP; you can also bring the code to the commune "
                "office."
            )
        )
    return [Reply("\n".join(lines))]


IDEA = Flow(
    name="idea",
    title=N_("Register a product idea"),
    intro=N_("Let's register your product idea: four short questions."),
    steps=_steps(),
    complete=_complete,
)


# --- the product's facts, asked with the dossier ------------------------------------------
# What the commune assesses (QĐ 26/2026/QĐ-TTg, Điều 7.2.b: local raw material, local labour,
# the idea's origin, local identity) is declared once, when the dossier is prepared (/hoso),
# not at registration; the officer's guidance, the province's page and the self-assessment
# read it from the product.

FACTS_FLOW = "facts"


def _province_share_at_least_commune(value: Any, data: Data) -> str | None:
    if value is not None and value < data.get("raw_material_commune_pct", 0):
        return N_(
            "The share from the province includes the commune's share, so it cannot be "
            "smaller. Please check it."
        )
    return None


def _local_at_most_total(value: Any, data: Data) -> str | None:
    if value > data.get("workers_total", 0):
        return N_(
            "Local workers cannot be more than all workers ({workers_total}). Please check it."
        )
    return None


FACT_STEPS: tuple[Step, ...] = (
    Step(
        "raw_materials",
        N_("What are the main raw materials, and where do they come from?"),
        label=N_("Raw materials"),
        max_length=1000,
        help=N_(
            "The commune checks that the product uses local raw materials. Name the main "
            "ones and where you get them. Example: mật ong từ 40 đàn ong nuôi ở bản Xốp."
        ),
    ),
    Step(
        "raw_material_commune_pct",
        N_(
            "About what share of the raw materials comes from your commune? Type a number from "
            "0 to 100, for example: 80"
        ),
        Kind.PERCENT,
        label=N_("Raw materials from the commune"),
        help=N_(
            "Out of all the raw materials, the part grown or bought inside your commune; "
            "a larger share earns more points for local origin. Type a number from 0 to "
            "100, for example: 80."
        ),
    ),
    Step(
        "raw_material_province_pct",
        N_("And what share comes from your province (the commune included)? For example: 100"),
        Kind.PERCENT,
        label=N_("Raw materials from the province"),
        check=_province_share_at_least_commune,
        optional=True,
        help=N_(
            "The part from anywhere in your province, your commune's part included, so it "
            "is at least the commune's share. Type a number from 0 to 100, for example: 100."
        ),
    ),
    Step(
        "workers_total",
        N_("How many people work on the product in all?"),
        Kind.COUNT,
        label=N_("Workers"),
        help=N_(
            "Everyone who works on the product, family members included; with the next "
            "answer it shows how much local labour the product uses. Example: 12."
        ),
    ),
    Step(
        "workers_local",
        N_("How many of them live in your commune?"),
        Kind.COUNT,
        label=N_("Local workers"),
        check=_local_at_most_total,
        help=N_(
            "Of the people who work on the product, those who live in your commune: the "
            "commune scores local labour from it. Type a whole number, for example: 10."
        ),
    ),
    Step(
        "idea_origin",
        N_("Where did the idea come from?"),
        Kind.CHOICE,
        ORIGIN_CHOICES,
        label=N_("Origin of the idea"),
        help=N_(
            "The commune scores whose idea the product is: a local tradition or your own "
            "idea earns more than a copy. Pick the closest line, for example: 1."
        ),
    ),
    Step(
        "identity_story",
        N_("Is there a local story, custom or know-how behind the product? Tell it briefly."),
        label=N_("Local story"),
        max_length=1000,
        optional=True,
        help=N_(
            "A story, custom or skill of your place that the product carries; the commune "
            "scores local identity from it. Example: người Xơ Đăng lấy mật ong rừng từ xưa."
        ),
    ),
)


async def _declare(ctx: HandlerContext, data: Data) -> list[Outbound]:
    assert ctx.profile is not None  # noqa: S101 - the router asks for sign-up first
    facts = {step.name: data.get(step.name) for step in FACT_STEPS}
    await ctx.store.declare_facts(
        ctx.profile.person_id, dossier_id=int(data["_dossier"]), facts=facts
    )
    text = ctx.t.gettext("Saved. Now the papers: type /hoso to go through them one by one.")
    return [Reply(text)]


FACTS = Flow(
    name=FACTS_FLOW,
    title=N_("Dossier checklist"),
    intro=N_(
        "Before the papers, seven short questions about the product, asked only once: the "
        "commune assesses these four things (raw material, labour, idea, local identity)."
    ),
    steps=FACT_STEPS,
    complete=_declare,
)


def facts_declared(answers: Data) -> bool:
    """Whether the product's facts were declared (at an earlier registration, or with the
    dossier): then they are never asked again."""
    return all(answers.get(step.name) is not None for step in FACT_STEPS if not step.optional)


def form_steps(answers: Data) -> list[Step]:
    """The questions the printed registration form shows: the registration's, then the
    product's facts once declared (each with its own label, blank when unanswered)."""
    steps = IDEA.applicable(answers)
    if any(answers.get(step.name) is not None for step in FACT_STEPS):
        steps += FACTS.applicable(answers)
    return steps
