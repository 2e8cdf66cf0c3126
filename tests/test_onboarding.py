"""Onboarding through the real engine and database, typed as a farmer would type."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import ChannelAccount, ConversationSession, Person, Subject
from bot.engine import Engine
from bot.messages import Command, FileKind, FileReceived, Text
from handlers.communes import communes_of_province
from tests.builders import Chat, Clock

XOP = "23356"


@pytest.fixture
def chat(engine_: Engine) -> Chat:
    return Chat(engine_)


async def _count(sessionmaker: async_sessionmaker[AsyncSession], model: type) -> int:
    async with sessionmaker() as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


async def test_farmer_without_diacritics_signs_up(
    chat: Chat, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    first = await chat.say("xin chao")
    assert "trợ lý tự động" in first
    assert "Bước 1/5" in first
    await chat.say("co", "Nguyen Van A", "0912 345 678")
    chosen = await chat.say("xa xop")
    assert "Đã chọn: Xã Xốp, tỉnh Quảng Ngãi" in chosen
    named = await chat.say("hop tac xa")
    assert "Bước 5/5" in named  # the organisation's name follows its kind, same number
    done = await chat.say("HTX Mat ong Xop")  # saved at the last answer, and repeated
    assert "Cảm ơn Nguyen Van A" in done
    assert "Xã Xốp, tỉnh Quảng Ngãi" in done
    assert "HTX Mat ong Xop" in done

    async with sessionmaker() as session:
        person = (await session.execute(select(Person))).scalar_one()
        account = (await session.execute(select(ChannelAccount))).scalar_one()
        subject = (await session.execute(select(Subject))).scalar_one()
        row = (await session.execute(select(ConversationSession))).scalar_one()
    assert person.full_name == "Nguyen Van A"
    assert person.phone_e164 == "+84912345678"
    assert person.consent_at is not None
    assert person.consent_version == "2"  # the wording that names the OA's template messages
    assert (account.channel, account.external_id, account.person_id) == (
        "console",
        "100",
        person.id,
    )
    assert subject.commune_code == XOP
    assert subject.subject_type == "cooperative"
    assert subject.name == "HTX Mat ong Xop"
    assert subject.business_registration_no is None
    assert row.flow is None
    assert "answers" not in row.data


async def test_refusing_consent_stores_nothing(
    chat: Chat, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await chat.say("/start")
    reply = await chat.say("khong")
    assert "chưa lưu gì" in reply
    assert await _count(sessionmaker, Person) == 0
    async with sessionmaker() as session:
        row = (await session.execute(select(ConversationSession))).scalar_one()
    assert row.flow is None
    assert "answers" not in row.data


async def test_namesake_communes_are_listed_and_picked_by_number(chat: Chat) -> None:
    await chat.say("/start", "co", "Lan", "0912345678")
    listing = await chat.say("son ha")
    assert "Có nhiều xã trùng tên" in listing
    assert "1. Xã Sơn Hà, tỉnh Quảng Ngãi" in listing
    assert "2. Xã Sơn Hạ, tỉnh Quảng Ngãi" in listing
    assert "Đã chọn: Xã Sơn Hạ, tỉnh Quảng Ngãi" in await chat.say("2")


async def test_an_old_commune_name_offers_the_commune_it_became(
    chat: Chat, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """People still say the commune they lived in before 1/7/2025."""
    await chat.say("/start", "co", "Lan", "0912345678")
    offer = await chat.say("duc hoa mo duc")
    assert "“Xã Đức Hòa, Huyện Mộ Đức” là tên xã trước ngày 1/7/2025." in offer
    assert "1. Xã Mộ Đức, tỉnh Quảng Ngãi" in offer
    assert "Đã chọn: Xã Mộ Đức, tỉnh Quảng Ngãi" in await chat.say("1")
    await chat.say("hop tac xa", "HTX Duc Hoa")
    async with sessionmaker() as session:
        subject = (await session.execute(select(Subject))).scalar_one()
    (mo_duc,) = [c for c in communes_of_province("51") if c.name == "Xã Mộ Đức"]
    assert subject.commune_code == mo_duc.code


async def test_an_old_commune_split_in_two_and_an_old_name_of_many_communes(chat: Chat) -> None:
    await chat.say("/start", "co", "Lan", "0912345678")
    split = await chat.say("Trà Bùi")
    assert "Nay vùng đó thuộc các xã dưới đây" in split
    assert "1. Xã Cà Đam, tỉnh Quảng Ngãi" in split
    assert "2. Xã Tây Trà Bồng, tỉnh Quảng Ngãi" in split
    many = await chat.say("trung hoa")
    assert "Trước 1/7/2025 có nhiều xã mang tên này" in many
    assert "Bước 4/" in many  # still the commune question, earlier answers kept
    assert "Đã chọn: Xã Tây Trà Bồng, tỉnh Quảng Ngãi" in await chat.say("tay tra bong")


async def test_unregistered_household_is_told_kindly_and_asked_nothing_more(
    chat: Chat, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await chat.say("/start", "co", "Lan", "0912345678", "xop")
    note = await chat.say("ho chua dang ky")
    assert "cần có giấy đăng ký kinh doanh" in note
    assert "Bước" not in note  # no name of its own, no licence number: signed up
    assert "Cảm ơn Lan" in note
    async with sessionmaker() as session:
        subject = (await session.execute(select(Subject))).scalar_one()
    assert (subject.subject_type, subject.name) == ("unregistered", "Lan")


async def test_invalid_phone_keeps_earlier_answers(chat: Chat) -> None:
    await chat.say("/start", "co", "Nguyen Van A")
    reply = await chat.say("12345")
    assert "Ví dụ: 0912345678" in reply or "ví dụ: 0912345678" in reply
    assert "Quay lại" in reply
    assert "Bước 3/5" in reply
    back = await chat.say("quay lai")
    assert "Câu trả lời hiện tại: Nguyen Van A" in back


@pytest.mark.parametrize("landline", ["028 3823 4567", "0236 3123 456"])
async def test_a_landline_is_refused_kindly_asking_for_the_mobile_used_for_zalo(
    chat: Chat, sessionmaker: async_sessionmaker[AsyncSession], landline: str
) -> None:
    """A landline gets no Zalo message, so the OA's notices could never reach it."""
    await chat.say("/start", "co", "Nguyen Van A")
    reply = await chat.say(landline)
    assert "Đây không phải số di động, anh/chị gõ giúp số di động đang dùng Zalo" in reply
    assert "Bước 3/5" in reply  # the same question again, the draft kept
    moved_on = await chat.say("0912 345 678")
    assert "Bước 4/5" in moved_on
    await chat.say("xa xop", "hop tac xa", "HTX Mat ong Xop")
    async with sessionmaker() as session:
        person = (await session.execute(select(Person))).scalar_one()
    assert (person.full_name, person.phone_e164) == ("Nguyen Van A", "+84912345678")


async def test_go_back_before_the_last_answer_changes_an_earlier_one(
    chat: Chat, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await chat.say("/start", "co", "Nguyen Van A", "0912345678", "xop", "1")
    for _ in range(4):
        prompt = await chat.say("quay lai")
    assert "Câu trả lời hiện tại: Nguyen Van A" in prompt
    await chat.say("Nguyễn Văn Bình", "0912345678", "xop", "1", "HTX A")
    async with sessionmaker() as session:
        person = (await session.execute(select(Person))).scalar_one()
    assert person.full_name == "Nguyễn Văn Bình"


async def test_cancel_then_resume_days_later(chat: Chat, clock: Clock) -> None:
    await chat.say("/start", "co", "Nguyen Van A")
    stopped = await chat.say("huy")
    assert "Đã dừng" in stopped
    clock.advance(days=3)
    offer = await chat.say("/start")
    assert "đang làm dở" in offer
    resumed = await chat.say("tiep tuc")
    assert "Bước 3/5" in resumed
    await chat.say("0912345678")
    done = await chat.say("xop", "1", "HTX A")
    assert "Cảm ơn Nguyen Van A" in done


async def test_a_long_pause_offers_to_resume(chat: Chat, clock: Clock) -> None:
    await chat.say("/start", "co", "Nguyen Van A")
    clock.advance(hours=13)
    offer = await chat.say("0912345678")
    assert "đang làm dở" in offer
    restarted = await chat.say("lam lai")
    assert "Bước 1/5" in restarted


BAD_INPUTS = [
    Text(""),
    Text("   "),
    Text("x" * 5000),
    Text("😀😀😀"),
    FileReceived(FileKind.STICKER, "sticker-1"),
    FileReceived(FileKind.PHOTO, "photo-1", "image/jpeg", 12345),
    Command("dangky"),
]


@pytest.mark.parametrize("steps_done", range(6))
async def test_bad_input_at_every_step_is_answered_and_changes_nothing(
    chat: Chat,
    sessionmaker: async_sessionmaker[AsyncSession],
    steps_done: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    answers = ["co", "Nguyen Van A", "0912345678", "xop", "1", "HTX A"]
    counter = f"Bước {min(steps_done + 1, 5)}/5"  # the name shares its kind's number
    await chat.say("/start", *answers[:steps_done])
    async with sessionmaker() as session:
        before = (await session.execute(select(ConversationSession))).scalar_one()
        step, data = before.step, dict(before.data)
    stale = f"c:not_this_step:{steps_done}"
    for content in [*BAD_INPUTS, None]:
        if content is None:
            reply = await chat.press(stale)
        else:
            await chat.send(content)
            reply = chat.last_text
        assert reply, content
        first_sentence = reply.splitlines()[0]
        assert len(first_sentence) < 200
        assert counter in reply
        async with sessionmaker() as session:
            row = (await session.execute(select(ConversationSession))).scalar_one()
        assert row.step == step
        assert row.data.get("answers") == data.get("answers")
    assert await _count(sessionmaker, Person) == 0
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]


async def test_help_at_a_step(chat: Chat) -> None:
    await chat.say("/start", "co", "Lan", "0912345678", "xop")
    reply = await chat.say("tro giup")
    assert "Hợp tác xã hay doanh nghiệp" in reply
    assert "Bước 5/5" in reply


async def test_language_switch_to_english(chat: Chat) -> None:
    await chat.say("/start", "co", "Lan", "0912345678", "xop", "1", "HTX A")
    await chat.say("/ngonngu")
    done = await chat.say("english")
    assert "I will speak English" in done
    assert "What would you like to do?" in await chat.say("menu")


async def test_the_consent_question_names_the_oa_and_its_template_messages(chat: Chat) -> None:
    # Consent must cover the Official Account's notices before any template is sent
    # (bot.oa_delivery sends one only to a person who agreed).
    first = await chat.say("xin chao")
    assert "tin nhắn Zalo từ Official Account (OA) của tỉnh" in first
    assert "tin nhắn mẫu gửi tới số điện thoại" in first


@pytest.mark.parametrize(
    ("typed", "kind", "name"),
    [
        ("htx mat ong Xop", "cooperative", "HTX mat ong Xop"),
        ("1 HTX Mật ong Xốp", "cooperative", "HTX Mật ong Xốp"),
        ("hop tac xa Mat ong Xop", "cooperative", "hop tac xa Mat ong Xop"),
        ("to hop tac Che Xop", "cooperative_group", "to hop tac Che Xop"),
        ("cong ty TNHH Minh Phat", "enterprise", "cong ty TNHH Minh Phat"),
        ("dn Minh Phat", "enterprise", "DN Minh Phat"),
        ("3 Cong ty Minh Phat", "enterprise", "Cong ty Minh Phat"),
    ],
)
async def test_an_organisation_typed_with_its_name_is_signed_up_in_that_message(
    chat: Chat,
    sessionmaker: async_sessionmaker[AsyncSession],
    typed: str,
    kind: str,
    name: str,
) -> None:
    await chat.say("xin chao", "co", "Nguyen Van A", "0912345678", "xa xop")
    asked = await chat.say(typed)
    assert "Cảm ơn Nguyen Van A" in asked
    assert name in asked
    async with sessionmaker() as session:
        subject = (await session.execute(select(Subject))).scalar_one()
    assert (subject.subject_type, subject.name) == (kind, name)


@pytest.mark.parametrize("typed", ["htx 12345", "cong ty khong co"])
async def test_a_kind_typed_with_no_name_asks_the_name(chat: Chat, typed: str) -> None:
    await chat.say("xin chao", "co", "Nguyen Van A", "0912345678", "xa xop")
    await chat.say(typed)
    assert await chat.where() == ("onboarding", "subject_name")
    done = await chat.say("HTX Mat ong Xop")
    assert "HTX Mat ong Xop" in done


@pytest.mark.parametrize("typed", ["ho kinh doanh Lo Thi Lan", "5 Lo Thi Lan"])
async def test_a_household_with_words_after_its_kind_is_asked_again(chat: Chat, typed: str) -> None:
    await chat.say("xin chao", "co", "Nguyen Van A", "0912345678", "xa xop")
    await chat.say(typed)
    assert await chat.where() == ("onboarding", "subject_type")
