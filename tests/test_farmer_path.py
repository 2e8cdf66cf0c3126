"""What a farmer typing on a cheap phone actually sends: natural yes-words, "bỏ qua" where
an answer is needed, non-names, a number past the end of a list, "Hủy" at the resume
prompt, and a command in the middle of a question."""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Literal

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.telegram import CAPABILITIES as TELEGRAM
from bot.db.models import Dossier
from bot.engine import Engine
from bot.i18n import translator
from bot.messages import Reply
from bot.render import BUTTON_LABEL_MAX, degrade
from handlers.checklist import EXPLANATIONS
from handlers.conversation import SUMMARY, Flow, counted, prompt
from handlers.features import CONVERSATIONS
from handlers.ideas import IDEA
from handlers.onboarding import ONBOARDING
from ocop_rules import DossierKind, ProductGroup, Provider, dossier_requirements
from tests.builders import Chat, idea_script, sign_up_script
from tests.journeys import officer, producer_with_idea
from tests.test_zalo_journeys import number_of


@pytest.fixture
def chat(engine_: Engine) -> Chat:
    return Chat(engine_)


@pytest.mark.parametrize("agree", ["đồng ý", "dong y", "vâng", "được", "có ạ", "Dạ, có ạ!"])
async def test_the_natural_ways_of_saying_yes_give_consent(chat: Chat, agree: str) -> None:
    await chat.say("xin chao")
    assert await chat.where() == ("onboarding", "consent")
    await chat.say(agree)
    assert await chat.where() == ("onboarding", "full_name")


@pytest.mark.parametrize("typed", ["bo qua", "12345", "không có", "..."])
async def test_a_name_question_keeps_asking_for_a_name(chat: Chat, typed: str) -> None:
    await chat.say("xin chao", "co")
    reply = await chat.say(typed)
    assert await chat.where() == ("onboarding", "full_name")
    assert "Bước" in reply  # the question again, after one short sentence
    summary = await chat.answer(sign_up_script(), until="_summary")
    assert typed not in summary


async def test_skipping_a_needed_question_says_why_it_is_needed(chat: Chat) -> None:
    await chat.say("xin chao", "co")
    reply = await chat.say("bo qua")
    assert "không bỏ qua được" in reply
    assert "tên này in trên phiếu OCOP" in reply  # the reason, from the question's own help
    assert await chat.where() == ("onboarding", "full_name")


async def test_cancel_at_the_resume_prompt_keeps_the_answers(chat: Chat) -> None:
    await chat.sign_up()
    await chat.say("dang ky", "Mat ong rung")
    await chat.say("huy")
    assert "đang làm dở" in await chat.say("dang ky")
    await chat.say("huy")  # at the resume prompt
    assert "đang làm dở" in await chat.say("dang ky")  # still there
    resumed = await chat.say("tiep tuc")
    assert await chat.where() == ("idea", "product_set")
    assert "Bước" in resumed


async def test_a_number_past_the_end_of_a_commune_list_shows_the_list_again(chat: Chat) -> None:
    await chat.say("xin chao")
    await chat.answer(sign_up_script(), until="commune")
    listed = await chat.say("son ha")
    assert "1. " in listed
    count = sum(1 for line in listed.splitlines() if line[:1].isdigit() and ". " in line)
    again = await chat.say(str(count + 1))
    assert f"từ 1 đến {count}" in again
    assert await chat.where() == ("onboarding", "commune")
    await chat.say("1")
    assert await chat.where() == ("onboarding", "subject_type")


async def test_a_command_inside_the_checklist_answers_then_asks_again(chat: Chat) -> None:
    await chat.sign_up()
    await chat.register_idea("Mat ong rung", "thuc pham")
    question = await chat.say("/hoso")
    status = await chat.say("/trangthai")
    assert "Mat ong rung" in status
    assert status.endswith(question.split("\n\n")[-1])  # the paper's question again
    assert (await chat.where())[0] == "dossier"
    await chat.say("/dangky")  # a flow takes over; the checklist is saved as it goes
    assert await chat.where() == ("idea", "product_name")


async def test_help_says_how_to_answer_the_question_at_hand(chat: Chat) -> None:
    await chat.sign_up()
    await chat.say("dang ky")
    named = await chat.say("tro giup")
    assert "Ví dụ: Mật ong rừng Xốp" in named  # what it means, why, an example
    await chat.answer(idea_script(), until="is_new_product")
    new = await chat.say("tro giup")
    assert "hai mẫu phiếu khác nhau" in new
    assert named.splitlines()[0] != new.splitlines()[0]


@pytest.mark.parametrize("typed", ["huy", "Quay lại", "bo qua"])
async def test_a_control_word_after_a_screen_is_not_taken_for_nonsense(
    chat: Chat, typed: str
) -> None:
    """ "Hủy" or "Quay lại" after a screen (the status, a card) has nothing to undo: the
    menu, as for "Menu", not "Xin lỗi, mình chưa hiểu"."""
    await chat.sign_up()
    await chat.say("/trangthai")
    answered = await chat.say(typed)
    assert "chưa hiểu" not in answered
    assert "về trình đơn chính" in answered
    assert "Đăng ký ý tưởng sản phẩm" in answered


async def test_help_after_sign_up_names_the_commands(chat: Chat) -> None:
    await chat.sign_up()
    helped = await chat.say("tro giup")
    for command in (
        "/dangky",
        "/hoso",
        "/trangthai",
        "/chungnhan",
        "/phieu",
        "/thongbao",
        "/xoadulieu",
    ):
        assert command in helped
    assert "/choduyet" not in helped  # officers' commands only for officers


async def test_the_first_letters_of_a_longer_name_are_never_taken_silently(chat: Chat) -> None:
    await chat.say("xin chao")
    await chat.answer(sign_up_script(), until="commune")
    asked = await chat.say("Sop")
    # Xốp, one letter off, or Sốp Cộp, by its first letters? Asked, never chosen.
    assert "1. Xã Xốp, tỉnh Quảng Ngãi" in asked
    assert "2. Xã Sốp Cộp, tỉnh Sơn La" in asked
    assert await chat.where() == ("onboarding", "commune")
    await chat.say("1")
    assert await chat.where() == ("onboarding", "subject_type")


@pytest.mark.parametrize(
    ("typed", "chosen"),
    [
        ("xa xop quang ngai", "Xã Xốp, tỉnh Quảng Ngãi"),
        ("Xop, Quang Ngai", "Xã Xốp, tỉnh Quảng Ngãi"),
        ("xa xop", "Xã Xốp, tỉnh Quảng Ngãi"),
    ],
)
async def test_a_commune_typed_with_its_province_and_no_accents_is_chosen(
    chat: Chat, typed: str, chosen: str
) -> None:
    await chat.say("xin chao")
    await chat.answer(sign_up_script(), until="commune")
    reply = await chat.say(typed)
    assert f"Đã chọn: {chosen}" in reply
    assert await chat.where() == ("onboarding", "subject_type")


async def test_a_commune_name_with_a_slip_finds_the_commune(chat: Chat) -> None:
    await chat.say("xin chao")
    await chat.answer(sign_up_script(), until="commune")
    asked = await chat.say("Xopp")
    assert "1. Xã Xốp, tỉnh Quảng Ngãi" in asked
    await chat.say("1")
    summary = await chat.answer(sign_up_script(), until="_summary")
    assert "Xã Xốp, tỉnh Quảng Ngãi" in summary


# Every flow of the registry, the commune officer's included.
FLOWS = [row.flow for row in CONVERSATIONS.values() if row.flow is not None]


def test_the_registry_flows_are_all_covered() -> None:
    names = {flow.name for flow in FLOWS}
    assert {"onboarding", "idea", "facts", "language", "erase", "formcheck", "assess"} <= names


@pytest.mark.parametrize("flow", FLOWS, ids=lambda flow: flow.name)
def test_every_question_of_every_flow_has_its_own_help(flow: Flow) -> None:
    helps = [step.help for step in flow.steps]
    assert all(helps), [step.name for step in flow.steps if not step.help]
    vi = translator("vi")
    for step in flow.steps:
        shown = vi.gettext(step.help or "")
        assert shown != step.help, step.name  # written in Vietnamese too
        assert any(w in shown for w in ("Ví dụ", "ví dụ", "trả lời", "Trả lời")), step.name


def test_no_two_questions_share_a_help_text() -> None:
    helps = [step.help for flow in FLOWS for step in flow.steps]
    assert len(set(helps)) == len(helps)


async def test_the_commune_officer_gets_help_written_for_the_question_at_hand(
    engine_: Engine, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await producer_with_idea(Chat(engine_, chat="producer"), "0912345678")
    clerk = await officer(Chat(engine_, chat="officer"), sessionmaker)
    async with sessionmaker() as session:
        dossier_id = await session.scalar(select(Dossier.id))

    await clerk.press(f"o:form:{dossier_id}")
    assert await clerk.where() == ("formcheck", "fc_registration_form")
    form = await clerk.say("tro giup")
    assert "phiếu đăng ký (Mẫu 01)" in form
    await clerk.say("du")
    papers = {form.splitlines()[0]}
    for _ in range(40):  # every paper's help is its own, then "đủ"
        _, step = await clerk.where()
        if step == "_summary":
            break
        helped = await clerk.say("tro giup")
        assert helped.splitlines()[0] not in papers, step
        papers.add(helped.splitlines()[0])
        await clerk.say("du")
    await clerk.say("luu")

    await clerk.press(f"o:crit:{dossier_id}")
    assert await clerk.where() == ("assess", "origin_commune_pct")
    share = await clerk.say("tro giup")
    assert "nguyên liệu" in share
    assert "ví dụ: 70" in share  # what the commune verifies, and how to type it
    await clerk.say("70")
    province = await clerk.say("tro giup")
    assert "ví dụ: 90" in province
    assert await clerk.where() == ("assess", "origin_province_pct")


@pytest.mark.parametrize("flow", FLOWS, ids=lambda flow: flow.name)
def test_every_button_of_every_flow_fits_a_telegram_phone(flow: Flow) -> None:
    vi = translator("vi")
    samples: list[dict[str, object]] = [
        {},
        {"product_name": "Mat ong rung"},
        {"product_name": "Gio may tre"},
        {"product_name": "Ruou ngo"},
        *({"product_set": "other", "group": group.value} for group in ProductGroup),
    ]
    for step in flow.steps:
        for data in samples:
            if not step.applies(data) and data:
                continue
            asked = prompt(flow, step, data, vi)
            for sent in degrade(asked, TELEGRAM, vi):
                if isinstance(sent, Reply):
                    labels = [option.label for row in sent.choices for option in row]
                    assert all(len(label) <= BUTTON_LABEL_MAX for label in labels), labels


def test_every_paper_of_the_checklist_has_its_own_explanation() -> None:
    explained = list(EXPLANATIONS.values())
    assert len(set(explained)) == len(explained)
    for kind in DossierKind:
        for item in dossier_requirements(1, kind, date(2026, 6, 1)):
            assert item.provider is Provider.COMMUNE or item.code in EXPLANATIONS, item.code


@pytest.mark.parametrize("flow", [ONBOARDING, IDEA], ids=lambda flow: flow.name)
def test_the_step_counter_has_one_total_whatever_the_answers(flow: Flow) -> None:
    totals = {
        len(counted(flow, answers))
        for answers in (
            {},
            {"subject_type": "unregistered"},
            {"subject_type": "cooperative"},
            {"product_name": "Mat ong rung"},
            {"product_name": "San pham Xop", "product_kind": "dac san"},
            {"product_name": "San pham Xop", "product_kind": "ruou", "product_set": "other"},
        )
    }
    assert totals == {5 if flow is ONBOARDING else 4}


# --- the product's name, invited by the menu that ends sign-up ----------------------------


async def test_a_product_name_typed_right_after_sign_up_starts_its_registration(
    chat: Chat,
) -> None:
    signed = await chat.sign_up()
    assert "gõ luôn tên sản phẩm" in signed
    asked = await chat.say("Mat ong rung Xop")
    assert await chat.where() == ("idea", "product_set")
    assert "Bước 2/4" in asked


@pytest.mark.parametrize("form", ["NFC", "NFD"])  # as phone keyboards send it
async def test_garlic_typed_right_after_sign_up_is_a_name_not_a_sentence_about_oneself(
    chat: Chat, form: Literal["NFC", "NFD"]
) -> None:
    """ "Tỏi Lý Sơn" folds to "toi ly son", and "toi" ("tôi") made it a sentence asking to
    register: the form opened at the name question, and the name had to be typed again."""
    await chat.sign_up()
    typed = unicodedata.normalize(form, "Tỏi Lý Sơn")
    await chat.say(typed)
    assert await chat.where() != ("idea", "product_name")
    assert (await chat.where())[0] == "idea"
    summary = await chat.answer({**idea_script(), "product_name": "-"}, until=SUMMARY)
    assert unicodedata.normalize("NFC", typed) in summary  # kept in the usual, composed form


@pytest.mark.parametrize("name", ["Sua bo tuoi Xop", "Chao au tau", "Che"])
async def test_a_name_beginning_like_a_list_word_or_a_greeting_is_still_a_name(
    chat: Chat, name: str
) -> None:
    await chat.sign_up()
    await chat.say(name)
    assert (await chat.where())[0] == "idea"


@pytest.mark.parametrize("typed", ["cam on", "Cảm ơn em nhé", "ok", "vang", "xin chao", "?"])
async def test_thanks_or_a_yes_right_after_sign_up_is_not_taken_for_a_product_name(
    chat: Chat, typed: str
) -> None:
    await chat.sign_up()
    await chat.say(typed)
    assert await chat.where() == (None, None)


async def test_only_the_first_message_after_sign_up_can_be_the_product_name(chat: Chat) -> None:
    await chat.sign_up()
    await chat.say("tro giup")
    await chat.say("Mat ong rung Xop")
    assert await chat.where() == (None, None)  # not understood: the menu, no registration


async def test_the_menu_after_sign_up_still_opens_the_idea_by_its_number(chat: Chat) -> None:
    signed = await chat.sign_up()
    await chat.say(number_of(signed, "Đăng ký ý tưởng"))
    assert await chat.where() == ("idea", "product_name")


async def test_a_sentence_asking_to_register_right_after_sign_up_asks_the_name(
    chat: Chat,
) -> None:
    await chat.sign_up()
    await chat.say("toi muon dang ky san pham mat ong")
    assert await chat.where() == ("idea", "product_name")  # the sentence is not the name


@pytest.mark.parametrize("typed", ["bo qua", "luu", "quay lai", "huy"])
async def test_a_control_word_right_after_sign_up_is_not_taken_for_a_product_name(
    chat: Chat, typed: str
) -> None:
    await chat.sign_up()
    await chat.say(typed)
    assert await chat.where() == (None, None)
