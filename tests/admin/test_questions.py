"""“Hỏi cán bộ xã”: a producer's question on Zalo reaches the commune officer on Telegram and
the admin inbox; the answer, from the bot or the admin page, reaches the producer on Zalo; a
commune without an officer on the bot sends it to the province; a voice note is passed on;
an unanswered question shows in the officer's weekly digest."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import audit, questions
from bot.admin.scope import Scope
from bot.alerts.dispatch import Dispatcher, Pacer
from bot.alerts.service import run_pass
from bot.alerts.timing import AlertConfig
from bot.channels.telegram import TelegramChannel
from bot.channels.zalo import CAPABILITIES as ZALO
from bot.channels.zalo import ZaloChannel
from bot.db.models import OfficerQuestion, OutboxMessage
from bot.engine import Engine
from bot.messages import Channel as Ch
from bot.messages import FileKind, FileReceived
from tests.admin.conftest import SON_HA, XOP, Seeded, csrf, login
from tests.builders import Chat, Clock, idea_script
from tests.journeys import invite_code, signed_up
from tests.standins import ZALO_TOKEN, TelegramStandIn, ZaloStandIn, serve

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
QUESTION = "Xa co ho tro in tem nhan khong a?"


@dataclass
class Bot:
    """The engine, both chat platforms' stand-ins and a dispatcher sending to them."""

    engine: Engine
    clock: Clock
    zalo: ZaloStandIn
    telegram: TelegramStandIn
    dispatcher: Dispatcher

    def producer(self, chat: str = "zalo-nam") -> Chat:
        return Chat(self.engine, chat=chat, channel=Ch.ZALO, capabilities=ZALO)

    def officer(self, chat: str = "7001") -> Chat:
        return Chat(self.engine, chat=chat, channel=Ch.TELEGRAM)


@pytest.fixture
async def bot(
    sessionmaker: async_sessionmaker[AsyncSession],
    telegram: tuple[TelegramStandIn, TelegramChannel],
) -> AsyncIterator[Bot]:
    stand_in, channel = telegram
    zalo = ZaloStandIn()
    async with serve(zalo.app()) as url, httpx.AsyncClient(timeout=10) as http:
        clock = Clock(datetime.now(TZ).replace(hour=10).astimezone(ZoneInfo("UTC")))
        dispatcher = Dispatcher(
            sessionmaker,
            {Ch.TELEGRAM: channel, Ch.ZALO: ZaloChannel(http, url, ZALO_TOKEN)},
            AlertConfig(timezone=TZ),
            clock=clock,
            pacer=Pacer(rate=10_000, per_chat=0),
        )
        yield Bot(Engine(sessionmaker, clock=clock), clock, zalo, stand_in, dispatcher)


async def officer_of_xop(bot: Bot, sessionmaker: async_sessionmaker[AsyncSession]) -> Chat:
    officer = bot.officer()
    await officer.say(f"/canbo {await invite_code(sessionmaker, at=bot.clock.now)}")
    assert "cán bộ" in officer.last_text
    return officer


async def test_a_question_on_zalo_reaches_the_officer_on_telegram_and_the_inbox_and_back(
    bot: Bot,
    sessionmaker: async_sessionmaker[AsyncSession],
    admin_url: str,
    seeded: Seeded,
) -> None:
    officer = await officer_of_xop(bot, sessionmaker)
    farmer = await signed_up(bot.producer(), "0912345678")
    menu = await farmer.say("menu")
    assert "Hỏi cán bộ xã" in menu
    number = next(
        line.split(".")[0] for line in menu.splitlines() if line.endswith("Hỏi cán bộ xã")
    )
    asked = await farmer.say(number)  # by its number, as on Zalo
    assert "câu hỏi" in asked.lower()
    told = await farmer.say(QUESTION)
    assert "cán bộ OCOP của Xã Xốp" in told, told

    await bot.dispatcher.run_once()
    (to_officer,) = bot.telegram.texts("7001")[-1:]
    assert QUESTION in to_officer
    assert "Lo Van Nam" in to_officer

    clerk = await login(admin_url, "xaxop")
    inbox = await clerk.get("/admin/inbox")
    assert QUESTION in inbox.text
    assert "Lo Van Nam" in inbox.text
    other = await login(admin_url, "hanoi")
    assert QUESTION not in (await other.get("/admin/inbox")).text

    shown = await officer.say("/traloi")
    assert QUESTION in shown  # the only question waiting: shown, and its answer asked
    done = await officer.say("Co, xa ho tro 50% chi phi in tem.")
    assert "đã được gửi" in done, done
    await bot.dispatcher.run_once()
    answer = bot.zalo.texts("zalo-nam")[-1]
    assert "Co, xa ho tro 50% chi phi in tem." in answer
    assert QUESTION in answer

    inbox = await clerk.get("/admin/inbox")
    assert "Đã trả lời" in inbox.text
    again = await officer.say("/traloi")
    assert "Không có câu hỏi nào" in again
    await clerk.aclose()
    await other.aclose()

    # The answer from the bot is in the audit, once, for the commune and its province.
    async with sessionmaker() as session:
        question = (await session.scalars(select(OfficerQuestion))).one()
        found = {
            scope: [
                line.sentence
                for line in await audit.search_audit(
                    session, Scope.parse(scope), audit.AuditQuery(action="question."), timezone=TZ
                )
            ]
            for scope in (f"commune:{XOP}", "province:51", "province:01")
        }
    said = f"{question.answered_by} trả lời câu hỏi số {question.id} của chủ thể."
    assert question.answered_by
    assert found == {f"commune:{XOP}": [said], "province:51": [said], "province:01": []}


async def test_a_question_about_a_dossier_is_kept_with_it(
    bot: Bot, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await officer_of_xop(bot, sessionmaker)
    farmer = await signed_up(bot.producer(), "0912345678")
    await farmer.say("/dangky")
    await farmer.answer(idea_script())
    listed = await farmer.say("hoi can bo")
    assert "1. Mat ong rung" in listed, listed
    await farmer.say("1")
    await farmer.say(QUESTION)
    async with sessionmaker() as session:
        question = (await session.scalars(select(OfficerQuestion))).one()
    assert question.dossier_id is not None
    assert question.routed_to == "commune"


async def test_a_commune_without_an_officer_sends_the_question_to_the_province_inbox(
    bot: Bot,
    sessionmaker: async_sessionmaker[AsyncSession],
    admin_url: str,
    seeded: Seeded,
) -> None:
    farmer = await signed_up(bot.producer(), "0912345678")
    await farmer.say("hoi can bo")
    told = await farmer.say(QUESTION)
    assert "chưa có cán bộ OCOP" in told, told
    assert "tỉnh Quảng Ngãi" in told, told

    clerk = await login(admin_url, "tinh51")
    inbox = await clerk.get("/admin/inbox")
    assert QUESTION in inbox.text
    assert "tỉnh trả lời" in inbox.text
    async with sessionmaker() as session:
        question = (await session.scalars(select(OfficerQuestion))).one()
    bad = await clerk.post(
        f"/admin/inbox/{question.id}/answer", data={"answer": "x", "csrf_token": "wrong"}
    )
    assert bad.status_code == 403
    sent = await clerk.post(
        f"/admin/inbox/{question.id}/answer",
        data={"answer": "Tinh se goi lai cho anh.", "csrf_token": csrf(inbox.text)},
    )
    assert sent.status_code == 303
    bot.clock.now += timedelta(days=1)  # the admin page answers on the real clock
    await bot.dispatcher.run_once()
    answer = bot.zalo.texts("zalo-nam")[-1]
    assert "Tinh se goi lai cho anh." in answer
    assert "tỉnh Quảng Ngãi" in answer
    await clerk.aclose()


async def test_a_voice_note_is_passed_on_once_to_the_officer(
    bot: Bot, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await officer_of_xop(bot, sessionmaker)
    farmer = await signed_up(bot.producer(), "0912345678")
    for _ in range(2):
        await farmer.send(FileReceived(FileKind.UNSUPPORTED, "withheld"))
    assert "đã báo cho cán bộ OCOP của Xã Xốp" in farmer.last_text, farmer.last_text
    await bot.dispatcher.run_once()
    relayed = bot.telegram.texts("7001")[-1]
    assert "Lo Van Nam" in relayed
    assert "gọi lại" in relayed
    async with sessionmaker() as session:
        assert len((await session.scalars(select(OfficerQuestion))).all()) == 1


async def test_an_unanswered_question_shows_in_the_officers_weekly_digest(
    bot: Bot, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    tuesday = date(2027, 3, 2)
    bot.clock.now = datetime.combine(tuesday, time(10), TZ)
    await officer_of_xop(bot, sessionmaker)
    farmer = await signed_up(bot.producer(), "0912345678")
    await farmer.say("hoi can bo")
    await farmer.say(QUESTION)
    await bot.dispatcher.run_once()
    bot.clock.now = datetime.combine(date(2027, 3, 8), time(8), TZ)  # the next Monday
    await run_pass(bot.dispatcher)
    digest = bot.telegram.texts("7001")[-1]
    assert "quá 2 ngày làm việc" in digest, digest
    assert "Lo Van Nam" in digest, digest


async def test_erasing_the_producer_erases_their_questions(
    bot: Bot, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await officer_of_xop(bot, sessionmaker)
    farmer = await signed_up(bot.producer(), "0912345678")
    await farmer.say("hoi can bo")
    await farmer.say(QUESTION)
    await farmer.say("/xoadulieu")
    await farmer.say("co")
    async with sessionmaker() as session:
        assert (await session.scalars(select(OfficerQuestion))).all() == []
        queued = (await session.scalars(select(OutboxMessage.kind))).all()
    assert "officer_question" not in queued


async def test_an_officer_picks_one_of_several_questions_by_its_number(
    bot: Bot, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    officer = await officer_of_xop(bot, sessionmaker)
    first = await signed_up(bot.producer("zalo-1"), "0912345678")
    second = await signed_up(bot.producer("zalo-2"), "0987654321", None)
    for farmer, text in ((first, "Cau hoi mot"), (second, "Cau hoi hai")):
        await farmer.say("hoi can bo")
        await farmer.say(text)
    listed = await officer.say("tra loi")
    assert "Cau hoi mot" in listed
    assert "Cau hoi hai" in listed
    number = next(
        line.split(".")[0] for line in listed.splitlines() if line.endswith("Cau hoi hai")
    )
    await officer.say(number)
    await officer.say("Da tra loi cau hai.")
    await bot.dispatcher.run_once()
    assert any("Da tra loi cau hai." in text for text in bot.zalo.texts("zalo-2"))
    assert not any("Da tra loi cau hai." in text for text in bot.zalo.texts("zalo-1"))


@pytest.mark.parametrize(
    ("asked_on", "today", "late"),
    [
        (date(2027, 3, 1), date(2027, 3, 3), False),  # Monday → its 2nd working day
        (date(2027, 3, 1), date(2027, 3, 4), True),
        (date(2027, 3, 5), date(2027, 3, 9), False),  # Friday: the weekend does not count
        (date(2027, 3, 5), date(2027, 3, 10), True),
    ],
)
def test_a_question_is_late_after_two_working_days(asked_on: date, today: date, late: bool) -> None:
    assert questions.overdue(asked_on, today) is late


async def test_an_officer_answers_in_one_line_on_zalo(
    bot: Bot, sessionmaker: async_sessionmaker[AsyncSession], seeded: Seeded
) -> None:
    officer = Chat(bot.engine, chat="zalo-officer", channel=Ch.ZALO, capabilities=ZALO)
    await officer.say(f"/canbo {await invite_code(sessionmaker, at=bot.clock.now)}")
    assert "cán bộ" in officer.last_text
    farmer = await signed_up(bot.producer(), "0912345678")
    await farmer.say("hoi can bo")
    await farmer.say(QUESTION)
    async with sessionmaker() as session, session.begin():
        mine = (await session.scalars(select(OfficerQuestion))).one()
        elsewhere = OfficerQuestion(
            commune_code=SON_HA, province_code="51", routed_to="province", body="Hoi o Son Ha"
        )
        session.add(elsewhere)
    await bot.dispatcher.run_once()
    sent_before = len(bot.zalo.texts("zalo-nam"))

    refused = await officer.say(f"/traloi {elsewhere.id} Da, xa se goi lai.")
    assert f"Câu hỏi #{elsewhere.id} không nằm trong các câu hỏi của xã" in refused, refused
    asked = await officer.say(f"/traloi {mine.id}")  # the number alone: its answer is asked
    assert QUESTION in asked
    assert "gõ câu trả lời" in asked, asked
    # The one line also works in the middle of that question.
    done = await officer.say(f"/traloi {mine.id} Dạ, anh mang bản sao đến xã nhé")
    assert "đã được gửi" in done, done
    await bot.dispatcher.run_once()
    received = bot.zalo.texts("zalo-nam")[sent_before:]
    assert len(received) == 1
    assert "Dạ, anh mang bản sao đến xã nhé" in received[0]
    assert QUESTION in received[0]
    async with sessionmaker() as session:
        other = await session.get_one(OfficerQuestion, elsewhere.id)
    assert other.answer is None
    again = await officer.say(f"/traloi {mine.id} Lần nữa")
    assert f"Câu hỏi #{mine.id} không nằm" in again  # answered already: no second answer
    # Without arguments, /traloi keeps its two steps.
    assert "Không có câu hỏi nào" in await officer.say("/traloi")


async def test_the_dossier_page_links_to_the_questions_about_it(
    bot: Bot, sessionmaker: async_sessionmaker[AsyncSession], admin_url: str, seeded: Seeded
) -> None:
    await officer_of_xop(bot, sessionmaker)
    farmer = await signed_up(bot.producer(), "0912345678")
    await farmer.say("/dangky")
    await farmer.answer(idea_script())
    await farmer.say("hoi can bo")
    await farmer.say("1")  # about the honey dossier
    await farmer.say(QUESTION)
    async with sessionmaker() as session:
        question = (await session.scalars(select(OfficerQuestion))).one()
    assert question.dossier_id is not None
    clerk = await login(admin_url, "xaxop")
    page = (await clerk.get(f"/admin/dossiers/{question.dossier_id}")).text
    link = f'href="/admin/inbox?dossier={question.dossier_id}"'
    assert link in page
    listed = (await clerk.get("/admin/inbox", params={"dossier": question.dossier_id})).text
    assert QUESTION in listed
    elsewhere = (await clerk.get(f"/admin/dossiers/{seeded.xop}")).text
    assert f'href="/admin/inbox?dossier={seeded.xop}"' in elsewhere
    assert QUESTION not in (await clerk.get(f"/admin/inbox?dossier={seeded.xop}")).text
    await clerk.aclose()
