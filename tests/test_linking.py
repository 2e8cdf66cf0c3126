"""A producer who signed up on Telegram comes back on Zalo with the same phone number: they
are recognised only after typing the one-time code sent to their Telegram account."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.alerts.dispatch import Dispatcher, DispatchReport, Pacer
from bot.alerts.timing import AlertConfig
from bot.channels.telegram import CAPABILITIES as TELEGRAM
from bot.channels.telegram import TelegramChannel
from bot.channels.zalo import CAPABILITIES as ZALO
from bot.db.models import AuditEntry, ChannelAccount, ConversationSession, OutboxMessage, Person
from bot.engine import Engine
from bot.messages import Channel
from tests.builders import Chat, Clock
from tests.standins import TelegramStandIn

# Onboarding on Zalo up to the phone number already known from Telegram.
UP_TO_PHONE = ["/start", "co", "Lo Van Nam", "0912 345 678"]
COMMUNE_STEP = "Bước 4/5 · Cơ sở sản xuất của anh/chị ở xã, phường nào?"
OFFER = "Số điện thoại này đã đăng ký trên Telegram"
TZ = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
async def on_telegram(engine_: Engine) -> Chat:
    """Lo Van Nam, signed up on Telegram, with one product idea."""
    chat = Chat(engine_, chat="7001", capabilities=TELEGRAM, channel=Channel.TELEGRAM)
    await chat.sign_up()
    await chat.register_idea("Mat ong rung Xop", "mat ong")
    assert "OCOP-51-" in "\n".join(chat.transcript)
    return chat


@pytest.fixture
def on_zalo(engine_: Engine) -> Chat:
    return Chat(engine_, chat="z-7001", capabilities=ZALO, channel=Channel.ZALO)


async def link_rows(sessionmaker: async_sessionmaker[AsyncSession]) -> list[OutboxMessage]:
    async with sessionmaker() as session:
        found = await session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.kind == "link_code")
            .order_by(OutboxMessage.id)
        )
        return list(found.all())


async def newest_code(sessionmaker: async_sessionmaker[AsyncSession]) -> str:
    code: str = (await link_rows(sessionmaker))[-1].payload["code"]
    return code


async def dispatch_at(
    sessionmaker: async_sessionmaker[AsyncSession], channel: TelegramChannel, moment: datetime
) -> DispatchReport:
    """One dispatcher pass with the clock at ``moment``, unpaced."""
    dispatcher = Dispatcher(
        sessionmaker,
        {Channel.TELEGRAM: channel},
        AlertConfig(timezone=TZ),
        clock=lambda: moment,
        pacer=Pacer(rate=10_000, per_chat=0),
    )
    return await dispatcher.run_once()


async def zalo_accounts(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    async with sessionmaker() as session:
        return int(
            await session.scalar(
                select(func.count())
                .select_from(ChannelAccount)
                .where(ChannelAccount.channel == "zalo")
            )
            or 0
        )


async def test_the_right_code_links_the_zalo_account_to_the_telegram_person(
    on_telegram: Chat, on_zalo: Chat, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    offer = await on_zalo.say(*UP_TO_PHONE)
    assert OFFER in offer
    assert "1. Có, gửi mã cho tôi" in offer  # numbered on Zalo
    sent = await on_zalo.say("1")
    assert "Mình đã gửi một mã 6 chữ số vào tài khoản Telegram" in sent
    async with sessionmaker() as session:
        telegram_person = await session.scalar(select(Person.id))
    (row,) = await link_rows(sessionmaker)
    assert row.recipient_person_id == telegram_person
    assert row.payload["channel"] == "zalo"
    code = row.payload["code"]
    assert len(code) == 6
    assert code.isdigit()

    wrong = "111111" if code != "111111" else "222222"
    assert "Mã chưa đúng" in await on_zalo.say(wrong)
    welcome = await on_zalo.say(f"{code[:3]} {code[3:]}")  # spaces are forgiven
    assert "Chào mừng Lo Van Nam quay lại" in welcome
    assert "Anh/chị muốn làm gì" in welcome  # the menu follows

    async with sessionmaker() as session:
        people = (await session.scalars(select(Person))).all()
        accounts = (
            await session.execute(
                select(ChannelAccount.channel, ChannelAccount.person_id).order_by(ChannelAccount.id)
            )
        ).all()
        audit = (await session.scalars(select(AuditEntry.action))).all()
        state = await session.scalar(
            select(ConversationSession).where(ConversationSession.chat_id == "z-7001")
        )
    assert len(people) == 1
    assert [tuple(r) for r in accounts] == [("telegram", people[0].id), ("zalo", people[0].id)]
    assert "account.linked" in audit
    assert state is not None
    assert state.flow is None
    assert "drafts" not in state.data
    assert "link" not in state.data
    status = await on_zalo.say("/trangthai")
    assert "Mat ong rung Xop" in status  # the product registered on Telegram shows on Zalo


async def test_no_goes_on_signing_up_with_the_answers_kept_and_is_not_asked_again(
    on_telegram: Chat, on_zalo: Chat, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await on_zalo.say(*UP_TO_PHONE)
    assert COMMUNE_STEP in await on_zalo.say("khong")
    back = await on_zalo.say("quay lai")
    assert "Bước 3/5" in back
    assert "Câu trả lời hiện tại: 0912 345 678" in back
    assert COMMUNE_STEP in await on_zalo.say("0912345678")  # no second offer for that number
    done = await on_zalo.say("xa xop", "hop tac xa", "HTX Moi")
    assert "Cảm ơn Lo Van Nam" in done
    assert "0912 345 678" in done
    async with sessionmaker() as session:
        phones = (await session.scalars(select(Person.phone_e164))).all()
    assert phones == ["+84912345678", "+84912345678"]  # two people, as asked
    assert await link_rows(sessionmaker) == []


async def test_an_expired_code_goes_on_signing_up(
    on_telegram: Chat, on_zalo: Chat, clock: Clock, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await on_zalo.say(*UP_TO_PHONE, "co")
    code = await newest_code(sessionmaker)
    clock.advance(minutes=11)
    reply = await on_zalo.say(code)
    assert "Mã đã hết hạn" in reply
    assert COMMUNE_STEP in reply
    assert await zalo_accounts(sessionmaker) == 0


async def test_five_wrong_codes_end_the_attempt(
    on_telegram: Chat, on_zalo: Chat, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await on_zalo.say(*UP_TO_PHONE, "co")
    code = await newest_code(sessionmaker)
    wrong = "111111" if code != "111111" else "222222"
    for _ in range(4):
        assert "Mã chưa đúng" in await on_zalo.say(wrong)
    last = await on_zalo.say(wrong)
    assert "Mã sai quá nhiều lần" in last
    assert COMMUNE_STEP in last
    await on_zalo.say(code)  # now only a commune name: never a link
    assert await zalo_accounts(sessionmaker) == 0


async def test_at_most_three_codes_an_hour_go_to_one_person(
    on_telegram: Chat, on_zalo: Chat, clock: Clock, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await on_zalo.say(*UP_TO_PHONE)
    for _ in range(3):
        assert "Mình đã gửi một mã" in await on_zalo.say("co")
        assert COMMUNE_STEP in await on_zalo.say("huy")  # cancel: keeps signing up
        assert OFFER in await on_zalo.say("quay lai", "0912345678")
    refused = await on_zalo.say("co")
    assert "Mình đã gửi quá nhiều mã" in refused
    assert COMMUNE_STEP in refused
    assert len(await link_rows(sessionmaker)) == 3
    clock.advance(hours=1, minutes=1)
    assert OFFER in await on_zalo.say("quay lai", "0912345678")
    assert "Mình đã gửi một mã" in await on_zalo.say("co")


async def test_help_back_and_bad_input_while_linking(
    on_telegram: Chat, on_zalo: Chat, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await on_zalo.say(*UP_TO_PHONE)
    helped = await on_zalo.say("tro giup")
    assert "chọn “Có” để mình gửi mã sang đó" in helped
    assert "1. Có, gửi mã cho tôi" in helped
    confused = await on_zalo.say("😀")
    assert "Anh/chị chọn một trong các câu trả lời dưới đây" in confused
    assert OFFER in confused
    back = await on_zalo.say("quay lai")
    assert "Bước 3/5" in back
    assert "Câu trả lời hiện tại" not in back
    await on_zalo.say("0912345678", "co")
    assert "Gõ 6 chữ số ấy vào đây" in await on_zalo.say("tro giup")
    assert "Mã chưa đúng" in await on_zalo.say("mot hai ba")
    code = await newest_code(sessionmaker)
    assert "Chào mừng Lo Van Nam quay lại" in await on_zalo.say(code)  # earlier typos cost nothing


async def test_an_unknown_number_signs_up_as_before(
    on_telegram: Chat, on_zalo: Chat, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    reply = await on_zalo.say("/start", "co", "Lo Thi Lan", "0987654321")
    assert COMMUNE_STEP in reply
    assert OFFER not in reply


async def test_the_code_goes_out_at_once_even_at_night_and_is_then_forgotten(
    on_telegram: Chat,
    on_zalo: Chat,
    clock: Clock,
    sessionmaker: async_sessionmaker[AsyncSession],
    telegram: tuple[TelegramStandIn, TelegramChannel],
) -> None:
    stand_in, channel = telegram
    night = datetime.combine(clock.now.date(), time(23, 30), TZ)
    clock.now = night
    await on_zalo.say(*UP_TO_PHONE, "co")
    code = await newest_code(sessionmaker)
    async with sessionmaker() as session, session.begin():
        # an ordinary notice due at the same moment, to compare
        person_id = await session.scalar(select(Person.id))
        assert person_id is not None
        session.add(
            OutboxMessage(
                dedupe_key="submitted_to_province:1",
                recipient_person_id=person_id,
                kind="submitted_to_province",
                payload={"dossier_id": 1, "product": "Mat ong"},
                due_at=night,
            )
        )
    report = await dispatch_at(sessionmaker, channel, night)
    assert report.sent == 1
    (text,) = stand_in.texts("7001")[-1:]
    assert f"Mã xác nhận Trợ lý OCOP của anh/chị là {code}" in text
    assert "đăng nhập trên Zalo" in text
    (row,) = await link_rows(sessionmaker)
    assert row.state == "sent"
    assert row.payload == {}  # the code is not kept once sent
    async with sessionmaker() as session:
        waiting = await session.scalar(
            select(OutboxMessage.state).where(OutboxMessage.kind == "submitted_to_province")
        )
    assert waiting == "pending"  # ordinary notices still wait for the morning


async def test_a_code_not_sent_in_time_is_skipped(
    on_telegram: Chat,
    on_zalo: Chat,
    clock: Clock,
    sessionmaker: async_sessionmaker[AsyncSession],
    telegram: tuple[TelegramStandIn, TelegramChannel],
) -> None:
    stand_in, channel = telegram
    await on_zalo.say(*UP_TO_PHONE, "co")
    later = clock.now + timedelta(minutes=11)
    report = await dispatch_at(sessionmaker, channel, later)
    assert (report.sent, report.skipped) == (0, 1)
    (row,) = await link_rows(sessionmaker)
    assert (row.state, row.last_error, row.payload) == ("skipped", "expired", {})
    assert not any("Mã xác nhận" in text for text in stand_in.texts("7001"))


async def test_only_a_step_that_queues_a_notice_wakes_the_dispatcher(
    on_telegram: Chat, on_zalo: Chat, engine_: Engine
) -> None:
    wakes: list[str] = []
    engine_.after_commit = lambda: wakes.append(on_zalo.last_text)
    await on_zalo.say(*UP_TO_PHONE, "tro giup")
    assert wakes == []  # four steps and a help: nothing queued, no extra transaction
    await on_zalo.say("co")
    assert len(wakes) == 1  # the code was queued
