"""The self-assessment (/tudanhgia): the set's scoring sheet walked one criterion at a time,
the result with the gap to each star level, Mẫu 02, the officer's card, resuming later."""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal

import docx
import pytest
from docx.shared import Mm
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.telegram import CAPABILITIES as TELEGRAM
from bot.channels.zalo import CAPABILITIES as ZALO
from bot.db.models import OutboxMessage, SelfAssessment
from bot.engine import Engine
from bot.messages import Channel, Document
from handlers.self_assessment import suggestion
from handlers.self_score import SKIPPED, assess
from handlers.sheet_questions import plain_sets, question, questions
from ocop_rules import PRODUCT_SETS, DossierKind, SheetPart, dossier_requirements
from tests.builders import Chat, Clock
from tests.journeys import last_options, officer, producer_with_idea

_ANSWER = re.compile(r"^(\d+)\. .*\((\d+(?:\.\d+)?) điểm\)$")
HONEY = 4


def answers_listed(text: str) -> dict[int, Decimal]:
    """The numbered answers of a criterion's question and their points."""
    found = {}
    for line in text.splitlines():
        match = _ANSWER.match(line.strip())
        if match:
            found[int(match.group(1))] = Decimal(match.group(2))
    return found


def criterion_asked(text: str) -> str:
    """The code of the criterion the reply asks ("Tiêu chí 12/32 · phần B · 4.1")."""
    match = re.search(r"Tiêu chí \d+/\d+ · phần [ABC] · ([\d.]+)", text)
    assert match, text
    return match.group(1)


@pytest.fixture
def engine_clock(sessionmaker: async_sessionmaker[AsyncSession]) -> tuple[Engine, Clock]:
    clock = Clock()
    return Engine(sessionmaker, clock=clock), clock


async def honey_producer(engine: Engine, chat: str = "500", *, zalo: bool = True) -> Chat:
    """A honey producer (on Zalo unless told) who registered the honey idea and opened
    /tudanhgia, with the honey set chosen by its words."""
    producer = (
        Chat(engine, chat=chat, channel=Channel.ZALO, capabilities=ZALO)
        if zalo
        else Chat(engine, chat=chat)
    )
    await producer_with_idea(producer, "0912345678")
    reply = await producer.say("tu danh gia")
    assert "bảng điểm" in reply.lower() or "bộ sản phẩm" in reply.lower(), reply
    await producer.say("mat ong")
    return producer


async def walk(producer: Chat, pick: dict[str, str] | None = None, *, until: int = 999) -> str:
    """Answer every criterion by number: the best answer, or "lowest"/"skip" where
    ``pick`` says so; stop after ``until`` criteria."""
    pick = pick or {}
    reply = producer.last_text
    for _ in range(until):
        if "Tiêu chí " not in reply:
            return reply
        code = criterion_asked(reply)
        listed = answers_listed(reply)
        choice = pick.get(code, "best")
        if choice == "skip":
            reply = await producer.say("bo qua")
            continue
        chooser = min if choice == "lowest" else max
        number = chooser(listed, key=lambda n: (listed[n], -n if chooser is max else n))
        reply = await producer.say(str(number))
    return reply


async def test_walking_honey_by_numbers_on_zalo_with_the_best_answers_scores_100_in_5_stars(
    engine_clock: tuple[Engine, Clock],
) -> None:
    producer = await honey_producer(engine_clock[0])
    assert "Tiêu chí 1/32" in producer.last_text
    result = await walk(producer)
    assert "100/100" in result, result
    assert "phần A: 40 · phần B: 25 · phần C: 35" in result
    assert "5 sao" in result
    assert "Đã đạt mọi yêu cầu tối thiểu" in result
    assert "chưa trả lời" not in result.lower()


async def test_the_lowest_answer_of_a_criterion_marked_for_3_stars_is_listed_with_its_paper(
    engine_clock: tuple[Engine, Clock],
) -> None:
    producer = await honey_producer(engine_clock[0])
    # 2.2 (packaging): its "***" mark is on the third answer; the first scores 0.
    result = await walk(producer, {"2.2": "lowest"})
    assert "97/100" in result, result
    gap = result.split("Chưa đạt yêu cầu tối thiểu của hạng 3 sao")[1]
    assert "2.2" in gap.splitlines()[1]
    assert "Mã số mã vạch, tem truy xuất nguồn gốc" in gap.splitlines()[1]
    # What would raise the score first is that unmet minimum.
    raises = result.split("Điều giúp tăng điểm nhiều nhất:")[1].splitlines()
    assert raises[1].startswith("1. 2.2"), raises
    assert "“Bao bì đẹp, có thiết kế riêng” (+2 điểm)" in raises[1]


async def test_a_skipped_criterion_scores_0_and_is_listed_as_not_answered(
    engine_clock: tuple[Engine, Clock],
) -> None:
    producer = await honey_producer(engine_clock[0])
    result = await walk(producer, {"1.2": "skip"})
    assert "98/100" in result, result
    assert "Chưa trả lời (tính 0 điểm): 1.2" in result


@pytest.mark.parametrize("number", [s.number for s in PRODUCT_SETS])
def test_every_set_scores_100_with_its_best_answers_and_0_unanswered(number: int) -> None:
    best = {
        q.code: max(range(len(q.answers)), key=lambda i: q.answers[i].points)
        for q in questions(number)
    }
    result = assess(number, best)
    assert result.score.total == 100
    assert dict(result.score.parts) == {SheetPart.A: 40, SheetPart.B: 25, SheetPart.C: 35}
    assert result.score.stars == 5
    assert not any(result.unmet.values())
    assert result.unanswered == ()
    assert result.raises == ()
    skipped = assess(number, dict.fromkeys(best, SKIPPED))
    assert skipped.score.total == 0
    assert [q.code for q in skipped.unanswered] == list(best)


def test_tourism_has_three_minimum_marks_and_sub_criteria_are_asked_one_by_one() -> None:
    tourism = questions(26)
    marked = [a for q in tourism for a in q.answers if a.min_stars]
    assert len(marked) == 3
    nothing = assess(26, {})
    assert [q.code for q in nothing.unmet[3]] == ["3.5"]
    assert [q.code for q in nothing.unmet[4]] == ["3.4"]  # 3.5 is listed once, at 3 stars
    assert nothing.unmet[5] == ()
    assert nothing.aim == 3
    assert [r.question.code for r in nothing.raises[:2]] == ["3.5"] or nothing.raises[
        0
    ].unmet_minimum
    assert any(q.code.count(".") == 2 for q in questions(11))  # 6.1.1 and the like


async def test_mau_02_is_a4_with_each_answer_and_the_officer_card_shows_the_same_total(
    engine_clock: tuple[Engine, Clock], sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    engine, _ = engine_clock
    producer = await honey_producer(engine, zalo=False)  # the console receives files
    result = await walk(producer, {"4.1": "lowest"})
    assert "96/100" in result, result
    replies = await producer.send_text(
        next(line.split(".")[0] for line in result.splitlines() if "Mẫu 02" in line)
    )
    documents = [r for r in replies if isinstance(r, Document)]
    assert documents, producer.last_text
    form = docx.Document(io.BytesIO(documents[0].content))
    section = form.sections[0]
    assert abs(section.page_width - Mm(210)) < Mm(1)
    assert abs(section.page_height - Mm(297)) < Mm(1)
    rows = {row.cells[0].text: row for row in form.tables[0].rows[1:]}
    assert len(rows) == len(questions(HONEY))
    assert rows["4.1"].cells[2].text == "Thị trường trong địa bàn cấp xã"
    assert rows["4.1"].cells[3].text == "1"
    assert rows["1.1"].cells[3].text == "3"
    assert "Tổng điểm tự đánh giá: 96/100" in "\n".join(p.text for p in form.paragraphs)

    commune = await officer(Chat(engine, chat="900"), sessionmaker)
    card = await commune.say("/choduyet")
    code = re.search(r"OCOP-\d+-\d{4}-\d+", card)
    assert code, card
    card = await commune.say(code.group(0))
    assert "Chủ thể tự đánh giá (bộ 4): 96/100, 5 sao." in card, card
    assert "4.1: 1" in card


async def test_a_producer_who_left_after_10_criteria_resumes_at_the_11th_two_days_later(
    engine_clock: tuple[Engine, Clock], sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    engine, clock = engine_clock
    producer = await honey_producer(engine)
    await walk(producer, until=10)
    assert "Tiêu chí 11/32" in producer.last_text
    await producer.say("menu")
    clock.advance(days=2)
    reply = await producer.say("/tudanhgia")
    assert "Tiêu chí 11/32" in reply, reply
    assert "đã trả lời 10/32" in reply
    async with sessionmaker() as session:
        run = await session.scalar(select(SelfAssessment))
    assert run is not None
    assert len(run.answers) == 10


async def test_a_rerun_is_a_new_version_and_keeps_the_old_answers(
    engine_clock: tuple[Engine, Clock], sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    producer = await honey_producer(engine_clock[0])
    result = await walk(producer, {"4.1": "lowest"})
    again = next(line.split(".")[0] for line in result.splitlines() if "Làm lại" in line)
    await producer.say(again)
    result = await walk(producer)
    assert "100/100" in result
    assert "Lần tự đánh giá trước: 96 điểm" in result
    async with sessionmaker() as session:
        runs = list(await session.scalars(select(SelfAssessment).order_by(SelfAssessment.version)))
    assert [r.version for r in runs] == [1, 2]
    assert runs[0].answers["4.1"] == 0
    assert runs[0].total == 96


async def test_an_answer_changed_from_the_summary_changes_the_total(
    engine_clock: tuple[Engine, Clock],
) -> None:
    producer = await honey_producer(engine_clock[0])
    result = await walk(producer, {"4.1": "lowest"})
    change = next(line.split(".")[0] for line in result.splitlines() if "Sửa" in line)
    await producer.say(change)
    reply = await producer.say("4.1")
    assert criterion_asked(reply) == "4.1"
    listed = answers_listed(reply)
    result = await producer.say(str(max(listed, key=lambda n: listed[n])))
    assert "100/100" in result, result


async def test_back_and_help_at_which_criterion_to_change_are_not_taken_for_a_number(
    engine_clock: tuple[Engine, Clock],
) -> None:
    """ "Quay lại" and "Trợ giúp" after "Sửa" were read as criteria ("Bảng điểm không có
    tiêu chí quay lai")."""
    producer = await honey_producer(engine_clock[0])
    result = await walk(producer, {"4.1": "lowest"})
    change = next(line.split(".")[0] for line in result.splitlines() if "Sửa" in line)
    await producer.say(change)
    helped = await producer.say("tro giup")
    assert "không có tiêu chí" not in helped
    assert "“Quay lại” để xem lại kết quả" in helped
    back = await producer.say("quay lai")
    assert "không có tiêu chí" not in back
    assert back.splitlines()[0] == result.splitlines()[0]  # the result again
    await producer.say(change)
    assert criterion_asked(await producer.say("4.1")) == "4.1"


async def test_the_idea_registration_suggests_the_local_share_answers(
    engine_clock: tuple[Engine, Clock],
) -> None:
    producer = await honey_producer(engine_clock[0])
    # The honey idea: 80 % of raw material from the commune; 5 of 5 workers local.
    assert "gợi ý là số 3" in producer.last_text, producer.last_text


async def test_a_producer_resumes_on_zalo_where_they_left_on_telegram_once_linked(
    engine_clock: tuple[Engine, Clock], sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    engine, clock = engine_clock
    telegram = Chat(engine, chat="7001", capabilities=TELEGRAM, channel=Channel.TELEGRAM)
    await telegram.sign_up()
    await telegram.register_idea("Mat ong rung Xop", "thuc pham")
    await telegram.say("/tudanhgia")
    await telegram.say("mat ong")
    for _ in range(10):
        first = last_options(telegram.last)[0]
        await telegram.press(first[1])
    assert "Tiêu chí 11/32" in telegram.last_text

    clock.advance(days=2)
    zalo = Chat(engine, chat="z-7001", capabilities=ZALO, channel=Channel.ZALO)
    await zalo.say("/start", "co", "Lo Van Nam", "0912 345 678")
    await zalo.say("1")  # yes, send me the code on Telegram
    async with sessionmaker() as session:
        row = await session.scalar(
            select(OutboxMessage)
            .where(OutboxMessage.kind == "link_code")
            .order_by(OutboxMessage.id.desc())
        )
    assert row is not None
    assert "quay lại" in await zalo.say(row.payload["code"])
    reply = await zalo.say("tu danh gia")
    assert "Tiêu chí 11/32" in reply, reply
    assert "đã trả lời 10/32" in reply


async def test_on_telegram_long_answers_are_written_in_the_message_and_buttons_carry_numbers(
    engine_clock: tuple[Engine, Clock],
) -> None:
    telegram = Chat(engine_clock[0], chat="7002", capabilities=TELEGRAM, channel=Channel.TELEGRAM)
    await telegram.sign_up()
    await telegram.register_idea("Mat ong rung Xop", "thuc pham")
    await telegram.say("/tudanhgia")
    reply = await telegram.say("mat ong")
    assert "1. Dưới một nửa nuôi, trồng trong xã (1 điểm)" in reply
    labels = [label for label, _ in last_options(telegram.last)]
    assert labels == ["1", "2", "3", "Bỏ qua"]


async def test_help_shows_the_official_wording_marks_and_paper_then_asks_again(
    engine_clock: tuple[Engine, Clock],
) -> None:
    producer = await honey_producer(engine_clock[0])
    reply = await producer.say("tro giup")
    assert "Bảng điểm bộ 4, tiêu chí 1.1 (nguyên văn):" in reply
    assert "Sản phẩm được nuôi/trồng trên địa bàn cấp xã từ 75% đến 100% — 3 điểm" in reply
    assert "Giấy tờ chứng minh: Nguồn gốc nguyên liệu" in reply
    assert criterion_asked(reply) == "1.1"


def test_every_criterion_of_every_set_is_proved_by_a_paper_its_dossier_asks_for() -> None:
    for product_set in PRODUCT_SETS:
        asked = {
            r.code
            for r in dossier_requirements(product_set.number, DossierKind.NEW, date(2026, 6, 1))
        }
        for q in questions(product_set.number):
            assert q.evidence in asked, (product_set.number, q.code, q.evidence)


def test_honey_is_worded_plainly_throughout_and_other_sets_fall_back_to_the_sheet() -> None:
    assert HONEY in plain_sets()
    (place,) = [q for q in questions(26) if q.official.startswith("Vị trí")]
    assert place.text == "Vị trí"  # no plain wording written: the sheet's own
    assert not place.plain
    (labour,) = [q for q in questions(26) if q.official.startswith("Sử dụng lao động")]
    assert labour.text == "Bao nhiêu phần người lao động của cơ sở là người trong xã?"


@pytest.mark.parametrize(
    ("code", "known", "suggested"),
    [
        ("1.1", {"commune_pct": 80}, 2),  # 75–100 % from the commune
        ("1.1", {"commune_pct": 60}, 1),
        ("1.1", {"commune_pct": 10}, 0),  # "dưới 50%"
        ("3.3", {"local_pct": 100.0}, 2),
        ("3.3", {"local_pct": 20.0}, None),  # below the sheet's lowest step (25 %)
        ("3.1", {"subject_type": "cooperative"}, 2),
        ("3.1", {"subject_type": "registered_household"}, 0),
        ("3.1", {"subject_type": "enterprise"}, None),  # company or joint-stock: not known
        ("3.5", {"papers": ["trademark"]}, 0),
        ("3.5", {"papers": []}, None),
        ("9", {"papers": ["quality_declaration"]}, 0),
        ("10", {"papers": ["food_safety_certificate"]}, 0),
        ("5.1", {"story": True}, 1),
        ("5.1", {"story": False}, None),
        ("4.1", {"commune_pct": 80, "papers": ["trademark"], "story": True}, None),
    ],
)
def test_what_the_idea_registration_says_suggests_an_answer(
    code: str, known: dict[str, object], suggested: int | None
) -> None:
    assert suggestion(question(HONEY, code), known) == suggested


async def test_once_the_set_is_known_the_status_screen_offers_the_self_assessment(
    engine_clock: tuple[Engine, Clock],
) -> None:
    producer = Chat(engine_clock[0], chat="501", channel=Channel.ZALO, capabilities=ZALO)
    await producer_with_idea(producer, "0912345678")  # the idea's set is asked at registration
    status = await producer.say("/trangthai")
    assert "1. Tự đánh giá theo bảng điểm" in status
    assert "Tiêu chí 1/32" in await producer.say("1")


def test_what_raises_the_score_most_puts_the_next_stars_missing_minimums_first() -> None:
    best = {q.code: len(q.answers) - 1 for q in questions(HONEY)}
    answers = {**best, "8": 1, "7": 1, "4.3": 0, "1.2": 0}
    result = assess(HONEY, answers)
    assert result.score.total == 87
    assert result.score.stars == 4
    assert result.aim == 4  # 8 (uniqueness) misses its "****" mark
    assert [(r.question.code, r.gain, r.unmet_minimum) for r in result.raises] == [
        ("8", 2, True),
        ("7", 2, False),
        ("1.2", 1, False),
    ]
    assert result.raises[0].to == 2  # the marked answer itself
