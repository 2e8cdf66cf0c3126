"""The commune officer's journey: invite → queue → form check → four criteria → report,
plus the refusals (codes, other communes, reopening after submission) and the audit trail."""

from __future__ import annotations

import io
import logging
import re
from datetime import timedelta

import docx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.zalo import CAPABILITIES as ZALO
from bot.db.models import (
    AlertOptOut,
    AuditEntry,
    CommuneAssessment,
    CommuneCriterionAssessment,
    Document,
    Dossier,
    DossierItem,
    OfficerAssignment,
    OfficerInvite,
    OutboxMessage,
    Person,
    Product,
)
from bot.engine import Engine
from bot.i18n import translator
from bot.invites import create_invite
from bot.messages import Document as DocumentReply
from handlers.notices import render
from ocop_rules import CommuneCriterion, commune_guidance, requirement
from tests.builders import START, Chat, Clock, text_of
from tests.test_checklist import idea, walk
from tests.test_cli import run_cli

XOP = "23356"  # Xã Xốp, tỉnh Quảng Ngãi
OTHER_SIGN_UP = [
    "/start",
    "co",
    "Dinh Thi Mai",
    "0987654321",
    "ba to",
    "1",
    "1",
    "HTX Ba To",
]
# Answers of the criteria flow: keep the declared figures, conclude "đạt" everywhere.
CRITERIA = [
    "giu",  # commune share: keep 80
    "giu",  # province share: keep 100
    "Hop dong mua mat ong voi 12 ho",
    "dat",
    "bo qua",
    "giu",  # workers: keep 5
    "giu",  # local workers: keep 5
    "dat",
    "bo qua",
    "giu",  # idea origin: keep the declared one
    "dat",
    "bo qua",
    "1",  # own story with local know-how
    "Nuoi ong rung truyen thong",
    "dat",
    "Ho so tot",
    "01/03/2026",
    "Chu tich UBND xa, can bo nong nghiep, Hoi Nong dan",
]


@pytest.fixture
def engine(sessionmaker: async_sessionmaker[AsyncSession], clock: Clock) -> Engine:
    return Engine(sessionmaker, clock=clock)


@pytest.fixture
def producer(engine: Engine) -> Chat:
    return Chat(engine, chat="100")


@pytest.fixture
def officer(engine: Engine) -> Chat:
    return Chat(engine, chat="900")


async def new_code(
    sessionmaker: async_sessionmaker[AsyncSession], commune: str = XOP, at: object = START
) -> str:
    async with sessionmaker() as session, session.begin():
        _, code = await create_invite(session, commune, "Hoa", at)  # type: ignore[arg-type]
    return code


async def dossier_ids(sessionmaker: async_sessionmaker[AsyncSession]) -> list[int]:
    async with sessionmaker() as session:
        return list((await session.scalars(select(Dossier.id).order_by(Dossier.id))).all())


async def status(sessionmaker: async_sessionmaker[AsyncSession], dossier_id: int) -> str:
    async with sessionmaker() as session:
        return (await session.get_one(Dossier, dossier_id)).status


async def audit(sessionmaker: async_sessionmaker[AsyncSession], action: str) -> list[AuditEntry]:
    async with sessionmaker() as session:
        return list(
            (
                await session.scalars(
                    select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
                )
            ).all()
        )


async def form_check(officer: Chat, dossier_id: int, missing: frozenset[str] = frozenset()) -> str:
    """Walk the form check: "thieu" with a note for ``missing`` names, "du" for the rest."""
    reply = await officer.press(f"o:form:{dossier_id}")
    for _ in range(60):
        if "Hồ sơ còn thiếu giấy tờ" in reply or "Anh/chị xem lại thông tin" in reply:
            return reply
        if "Chủ thể cần sửa hoặc bổ sung gì?" in reply:
            reply = await officer.say("Bo sung ban chup ro hon")
            continue
        wanted = any(name in reply for name in missing)
        reply = await officer.say("thieu" if wanted else "du")
    raise AssertionError(reply)


async def accept_form(officer: Chat, dossier_id: int) -> str:
    """The form check walked with every paper present, and saved: the commune's receipt."""
    await form_check(officer, dossier_id)
    return await officer.say("luu")


async def register_and_walk(producer: Chat) -> None:
    await producer.sign_up()
    await producer.register_idea("Mat ong rung Xop", "thuc pham")
    await walk(producer, answers={"awards": "chua"}, photos={"business_registration": 1})


async def officer_of_a_walked_dossier(
    producer: Chat, officer: Chat, sessionmaker: async_sessionmaker[AsyncSession]
) -> int:
    """The producer's honey dossier walked, the officer let in by an invite: its id."""
    await register_and_walk(producer)
    await officer.say(f"/canbo {await new_code(sessionmaker)}")
    (dossier_id,) = await dossier_ids(sessionmaker)
    return dossier_id


async def test_end_to_end_on_the_console(
    producer: Chat,
    officer: Chat,
    clock: Clock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await register_and_walk(producer)
    code = await new_code(sessionmaker)
    welcome = await officer.say(f"/canbo {code.lower()[:5]} {code.lower()[5:]}")
    assert "Anh/chị đã là cán bộ của Xã Xốp, tỉnh Quảng Ngãi" in welcome
    clock.advance(days=3)

    queue = await officer.say("/choduyet")
    assert "Mat ong rung Xop (OCOP-51-2026-" in queue
    assert "Lo Van Nam" in queue
    assert "chờ 3 ngày" in queue
    assert "giấy tờ đủ" in queue  # every item answered (one "chưa có")
    (dossier_id,) = await dossier_ids(sessionmaker)

    card = await officer.press(f"o:open:{dossier_id}")
    assert "Tình trạng: mới đăng ký ý tưởng" in card
    reply = await form_check(officer, dossier_id)
    assert "Anh/chị xem lại thông tin" in reply  # no paper missing: straight to the summary
    saved = await officer.say("luu")
    assert "Đã lưu kết quả kiểm tra hình thức" in saved
    assert await status(sessionmaker, dossier_id) == "submitted_to_commune"

    first = await officer.press(f"o:crit:{dossier_id}")
    assert "Chủ thể khai: 80 %" in first
    assert "Gõ “Giữ” để giữ nguyên 80%." in first  # a word on the console, not a numbered line
    for answer in CRITERIA[:3]:
        reply = await officer.say(answer)
    assert "Chỉ để tham khảo" in reply  # guidance shown with the conclusion, labelled
    for answer in CRITERIA[3:]:
        reply = await officer.say(answer)
    assert "Nguyên liệu từ trong xã: 80%" in reply  # the summary
    replies = await officer.send_text("luu")
    documents = [r for r in replies if isinstance(r, DocumentReply)]
    assert len(documents) == 1
    assert "Gửi đề nghị lên tỉnh" in officer.last_text

    text = "\n".join(
        [p.text for p in docx.Document(io.BytesIO(documents[0].content)).paragraphs]
        + [
            cell.text
            for table in docx.Document(io.BytesIO(documents[0].content)).tables
            for row in table.rows
            for cell in row.cells
        ]
    )
    for expected in (
        "Mẫu số 03",
        "Đánh giá một số nội dung của hồ sơ đăng ký tham gia đánh giá, phân hạng sản phẩm OCOP",
        "1. Tên chủ thể: HTX Mat ong Xop",
        "5. Sản phẩm đăng ký đánh giá: Mat ong rung Xop (bộ sản phẩm số 4: Mật ong, mật khác",
        "1. Về sử dụng nguyên liệu địa phương: Nguyên liệu từ xã: 80 %; từ tỉnh: 100 %; "
        "minh chứng đã xem: Hop dong mua mat ong",
        "2. Về sử dụng lao động địa phương: Lao động địa phương: 5/5 người",
        "Câu chuyện riêng, có trí tuệ, bí quyết địa phương",
        "Ngày họp: 01/03/2026",
        "Chu tich UBND xa, can bo nong nghiep, Hoi Nong dan",
        "đề nghị Ủy ban nhân dân tỉnh Quảng Ngãi đánh giá, phân hạng sản phẩm OCOP",
        "CHỦ TỊCH",
        # The proposal letter that goes with it.
        "V/v đề nghị đánh giá, phân hạng sản phẩm OCOP",
        "Kính gửi: Ủy ban nhân dân tỉnh Quảng Ngãi",
        "Căn cứ QĐ 26/2026/QĐ-TTg",
        "01 bộ hồ sơ giấy và 01 bộ hồ sơ điện tử",
        "Sản phẩm mẫu (05 sản phẩm)",
    ):
        assert expected in text, expected
    assert "Kết luận" not in text  # Mẫu 03 concludes nothing
    assert "chưa đủ điều kiện" not in text
    sections = docx.Document(io.BytesIO(documents[0].content)).sections
    assert len(sections) == 2  # the report, then the letter on a new page
    for section in sections:  # A4: 210 × 297 mm (Word keeps twips: within a tenth of a mm)
        assert section.page_width is not None
        assert section.page_height is not None
        assert (round(section.page_width.mm, 1), round(section.page_height.mm, 1)) == (210, 297)

    async with sessionmaker() as session:
        assessment = (await session.scalars(select(CommuneAssessment))).one()
        criteria = (await session.scalars(select(CommuneCriterionAssessment))).all()
        stored = await session.get_one(Document, assessment.report_document_id)
        notice = (
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == "commune_result")
            )
        ).one()
        producer_id = await session.scalar(
            select(Person.id).where(Person.full_name == "Lo Van Nam")
        )
    assert assessment.conclusion is None  # Mẫu 03 concludes nothing
    assert {c.criterion: c.conclusion for c in criteria} == {
        "local_origin": "met",
        "local_labour": "met",
        "idea_origin": "met",
        "local_identity": "met",
    }
    assert stored.dossier_id == dossier_id
    assert stored.content == documents[0].content
    assert notice.recipient_person_id == producer_id
    assert await status(sessionmaker, dossier_id) == "commune_assessed"

    submitted = await officer.press(f"o:submit:{dossier_id}")
    assert "Đã ghi nhận đề nghị gửi lên tỉnh" in submitted
    assert await status(sessionmaker, dossier_id) == "submitted_for_evaluation"
    refused = await officer.press(f"o:reopen:{dossier_id}")
    assert "không thể mở lại" in refused
    assert await status(sessionmaker, dossier_id) == "submitted_for_evaluation"
    assert len(await audit(sessionmaker, "commune.reopen_refused")) == 1
    entries = await audit(sessionmaker, "commune.assess")
    assert len(entries) == 1
    assert entries[0].actor_label == "Hoa"
    assert entries[0].after is not None
    assert entries[0].after["conclusion"] is None  # Mẫu 03 concludes nothing


async def test_an_item_needing_more_evidence_still_lets_the_commune_propose_and_reopen(
    producer: Chat, officer: Chat, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    dossier_id = await officer_of_a_walked_dossier(producer, officer, sessionmaker)
    await accept_form(officer, dossier_id)
    await officer.press(f"o:crit:{dossier_id}")
    answers = ["70", *CRITERIA[1:]]
    answers[3] = "can bo sung"  # raw material needs more evidence
    await officer.say(*answers, "luu")
    assert "Gửi đề nghị lên tỉnh" in officer.last_text  # QĐ 26: the report always proposes
    assert "chưa đủ điều kiện" not in officer.last_text

    reopened = await officer.press(f"o:reopen:{dossier_id}")
    assert "Đã mở lại đánh giá" in reopened
    assert await status(sessionmaker, dossier_id) == "submitted_to_commune"
    (entry,) = await audit(sessionmaker, "commune.reopen")
    assert entry.before == {"conclusion": None, "reopened_count": 0}
    assert entry.after == {"reopened_count": 1, "status": "submitted_to_commune"}

    again = await officer.press(f"o:crit:{dossier_id}")
    assert (
        "Gõ “Giữ” để giữ nguyên 70%." in again
    )  # the commune's own earlier figure, not the declared 80
    await officer.say(*CRITERIA, "luu")
    assert "Gửi đề nghị lên tỉnh" in officer.last_text
    async with sessionmaker() as session:
        assessment = (await session.scalars(select(CommuneAssessment))).one()
        reports = await session.scalar(
            select(func.count()).select_from(Document).where(Document.kind == "commune_report")
        )
    assert (assessment.conclusion, assessment.reopened_count, reports) == (None, 1, 2)
    assert len(await audit(sessionmaker, "commune.assess")) == 2


async def test_stopping_the_assessment_names_the_option_that_resumes_it(
    producer: Chat, officer: Chat, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    dossier_id = await officer_of_a_walked_dossier(producer, officer, sessionmaker)
    await accept_form(officer, dossier_id)
    assert "Đánh giá 4 tiêu chí" in await officer.press(f"o:open:{dossier_id}")  # the option
    await officer.press(f"o:crit:{dossier_id}")
    assert "chọn lại “Đánh giá 4 tiêu chí” để làm tiếp" in await officer.say("huy")


async def test_the_form_check_and_the_assessment_name_their_dossier(
    producer: Chat, officer: Chat, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """An officer with two dossiers open from two reminders could not tell which one a
    flow was about: neither its first question nor its summary named the product."""
    dossier_id = await officer_of_a_walked_dossier(producer, officer, sessionmaker)
    async with sessionmaker() as session:
        dossier = await session.get_one(Dossier, dossier_id)
        product = await session.get_one(Product, dossier.product_id)
    named = f"“Mat ong rung Xop ({product.registration_code})” · "
    assert (await officer.press(f"o:form:{dossier_id}")).startswith(named)
    assert named in await form_check(officer, dossier_id)  # its summary
    await officer.say("luu")
    assert (await officer.press(f"o:crit:{dossier_id}")).startswith(named)


async def test_send_back_tells_the_producer_what_to_fix(
    producer: Chat, officer: Chat, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    dossier_id = await officer_of_a_walked_dossier(producer, officer, sessionmaker)
    reply = await form_check(officer, dossier_id, missing={"Giấy đăng ký kinh doanh"})
    assert "Hồ sơ còn thiếu giấy tờ" in reply
    await officer.say("tra lai", "luu")
    assert "Đã trả hồ sơ" in officer.last_text
    assert await status(sessionmaker, dossier_id) == "in_preparation"
    async with sessionmaker() as session:
        notice = (await session.scalars(select(OutboxMessage))).one()
        item = (
            await session.scalars(
                select(DossierItem).where(DossierItem.requirement_code == "business_registration")
            )
        ).one()
    assert notice.kind == "dossier_returned"
    assert notice.payload["fixes"] == [["business_registration", "Bo sung ban chup ro hon"]]
    told = text_of(render(notice.kind, notice.payload, translator("vi"), "vi")[0])
    assert told.splitlines() == [  # what the producer reads: the paper, and the officer's note
        "UBND xã đề nghị anh/chị bổ sung hồ sơ “Mat ong rung Xop”:",
        f"• {requirement('business_registration').name_vi}: Bo sung ban chup ro hon",
    ]
    assert (item.officer_check, item.officer_note) == ("missing", "Bo sung ban chup ro hon")
    # Still the commune's: back in the queue, and the criteria wait for a complete form.
    assert "Mat ong rung Xop" in await officer.say("/choduyet")


@pytest.mark.parametrize("typed", ["/canbo {code}", "/start {code}", "can bo {code}"])
async def test_the_code_works_as_command_deep_link_or_plain_words(
    officer: Chat, sessionmaker: async_sessionmaker[AsyncSession], typed: str
) -> None:
    code = await new_code(sessionmaker)
    assert "Chào mừng anh/chị" in await officer.say(typed.format(code=code))
    async with sessionmaker() as session:
        assignment = (await session.scalars(select(OfficerAssignment))).one()
        person = await session.get_one(Person, assignment.person_id)
    assert (assignment.commune_code, person.role, person.full_name) == (XOP, "officer", "Hoa")


@pytest.mark.parametrize("answered", [(), ("dong y",), ("dong y", "Nguyen Thi Hoa")])
async def test_an_officer_who_greeted_first_is_let_in_by_the_code_typed_in_the_sign_up(
    engine: Engine, sessionmaker: async_sessionmaker[AsyncSession], answered: tuple[str, ...]
) -> None:
    """ "xin chào" opens the producer's sign-up; the invite typed there, as Zalo users type
    it, is the invite, not an answer (it was saved as the officer's full name)."""
    officer = Chat(engine, chat="900", capabilities=ZALO)
    code = await new_code(sessionmaker)
    await officer.say("xin chao", *answered)
    spaced = f"{code[:5].lower()} {code[5:].lower()}"
    assert "Chào mừng anh/chị" in await officer.say(f"canbo {spaced}")
    async with sessionmaker() as session:
        assignment = (await session.scalars(select(OfficerAssignment))).one()
        person = await session.get_one(Person, assignment.person_id)
    assert (assignment.commune_code, person.role, person.full_name) == (XOP, "officer", "Hoa")
    assert await officer.where() == (None, None)


async def test_a_name_that_starts_with_can_bo_is_still_a_name_in_the_sign_up(
    engine: Engine,
) -> None:
    producer = Chat(engine, chat="901", capabilities=ZALO)
    await producer.say("xin chao", "dong y")
    assert "Bước 3/5" in await producer.say("Can Bo Anh Tuan")  # not an invite's shape
    assert "Mã mời" not in producer.last_text


async def test_expired_reused_revoked_and_guessed_codes_are_refused(
    engine: Engine,
    officer: Chat,
    clock: Clock,
    sessionmaker: async_sessionmaker[AsyncSession],
    database_url: str,
) -> None:
    expired = await new_code(sessionmaker, at=START - timedelta(days=8))
    assert "Mã mời đã hết hạn" in await officer.say(f"/canbo {expired}")

    used = await new_code(sessionmaker)
    assert "Chào mừng" in await Chat(engine, chat="901").say(f"/canbo {used}")
    assert "Mã mời này đã được dùng rồi" in await officer.say(f"/canbo {used}")

    revoked = await new_code(sessionmaker)
    result = run_cli("officer", "revoke", revoked, DATABASE_URL=database_url)
    assert result.returncode == 0, result.stderr
    assert "Mã mời này đã bị hủy" in await officer.say(f"/canbo {revoked}")

    # Three refusals so far; two more wrong codes reach the limit of five in an hour.
    good = await new_code(sessionmaker)
    for guess in ("AAAAAAAAAA", "BBBBBBBBBB"):
        assert "Mã mời không đúng" in await officer.say(f"/canbo {guess}")
    sixth = await officer.say(f"/canbo {good}")
    assert "nhập sai quá nhiều lần" in sixth
    async with sessionmaker() as session:
        invite = (
            await session.scalars(select(OfficerInvite).where(OfficerInvite.used_at.is_(None)))
        ).all()
        assignments = await session.scalar(select(func.count()).select_from(OfficerAssignment))
    assert good
    assert len(invite) == 3
    assert assignments == 1
    clock.advance(minutes=61)
    assert "Chào mừng" in await officer.say(f"/canbo {good}")


async def test_another_communes_dossier_is_refused_by_id_replay_and_code(
    engine: Engine,
    officer: Chat,
    sessionmaker: async_sessionmaker[AsyncSession],
    caplog: pytest.LogCaptureFixture,
) -> None:
    elsewhere = Chat(engine, chat="200")
    await elsewhere.say(*OTHER_SIGN_UP, *idea("Que Ba To", "thuc pham"))
    await officer.say(f"/canbo {await new_code(sessionmaker)}")
    (dossier_id,) = await dossier_ids(sessionmaker)
    async with sessionmaker() as session:
        code = (await session.get_one(Dossier, dossier_id)).product_id
    assert "Không có hồ sơ nào đang chờ xã" in await officer.say("/choduyet")

    caplog.set_level(logging.WARNING)
    for action in ("open", "form", "crit", "submit", "reopen", "report"):
        reply = await officer.press(f"o:{action}:{dossier_id}")
        assert "không thuộc xã của anh/chị" in reply, action
    typed = await officer.say(f"OCOP-51-2026-{code:04d}")
    assert "không thuộc xã của anh/chị" in typed
    assert await status(sessionmaker, dossier_id) == "idea_registered"
    async with sessionmaker() as session:
        assessments = await session.scalar(select(func.count()).select_from(CommuneAssessment))
    assert assessments == 0
    denied = await audit(sessionmaker, "officer.denied")
    assert [e.after["action"] for e in denied if e.after] == [
        "open",
        "form",
        "crit",
        "submit",
        "reopen",
        "report",
        "open_code",
    ]
    assert sum("outside their communes" in r.getMessage() for r in caplog.records) == 7


async def test_a_code_typed_short_opens_the_card_and_a_mistyped_one_is_no_intrusion(
    producer: Chat,
    officer: Chat,
    sessionmaker: async_sessionmaker[AsyncSession],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """ "OCOP-51-2026-2" for the officer's own "…-0002" was refused as another commune's,
    and every typo left an "officer.denied" audit line and a warning."""
    dossier_id = await officer_of_a_walked_dossier(producer, officer, sessionmaker)
    async with sessionmaker() as session:
        dossier = await session.get_one(Dossier, dossier_id)
        product = await session.get_one(Product, dossier.product_id)
    assert product.registration_code is not None
    _, province, year, number = product.registration_code.split("-")
    card = await officer.say(f"ocop-{province}-{year}-{int(number)}")
    assert product.name in card
    caplog.set_level(logging.WARNING)
    typo = await officer.say(f"OCOP-{province}-{int(year) - 1}-{number}")
    assert "Không có hồ sơ nào mang mã" in typo
    assert "không thuộc xã" not in typo
    assert await audit(sessionmaker, "officer.denied") == []
    assert not [r for r in caplog.records if "outside their communes" in r.getMessage()]


async def test_a_producer_cannot_use_officer_buttons(
    producer: Chat, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await producer.sign_up()
    await producer.register_idea("Mat ong rung Xop", "thuc pham")
    (dossier_id,) = await dossier_ids(sessionmaker)
    assert "dành cho cán bộ xã" in await producer.press(f"o:form:{dossier_id}")
    assert "dành cho cán bộ xã" in await producer.say("/choduyet")
    assert await status(sessionmaker, dossier_id) == "idea_registered"


async def test_officer_menu_and_commune_overview(
    producer: Chat, officer: Chat, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await producer.sign_up()
    await producer.register_idea("Mat ong rung Xop", "thuc pham")
    await officer.say(f"/canbo {await new_code(sessionmaker)}")
    menu = await officer.say("menu")
    assert "Hồ sơ chờ xã xử lý" in menu
    assert "Đăng ký ý tưởng sản phẩm" not in menu  # an officer-only account
    assert "tài khoản cán bộ xã" in await officer.say("/dangky")
    overview = await officer.say("/xa")
    assert re.search(
        r"HTX Mat ong Xop: Mat ong rung Xop \(OCOP-51-2026-\d{4}\) — mới đăng ký", overview
    )


def test_cli_invite_list_and_revoke(database_url: str) -> None:
    created = run_cli(
        "officer",
        "invite",
        "--commune",
        "xop",
        "--name",
        "Hoa",
        DATABASE_URL=database_url,
        TELEGRAM_BOT_USERNAME="TroLyOcopBot",
    )
    assert created.returncode == 0, created.stderr
    code = re.search(r"Code: ([A-Z0-9]{10})", created.stdout)
    assert code is not None
    assert f"https://t.me/TroLyOcopBot?start={code.group(1)}" in created.stdout
    assert "Xã Xốp, tỉnh Quảng Ngãi" in created.stdout
    # Zalo first: what to type there comes before anything about Telegram.
    zalo_line = created.stdout.index(
        f"On Zalo the officer opens the chat with the bot and types: canbo {code.group(1)}"
    )
    assert zalo_line < created.stdout.index("Telegram")
    listed = run_cli("officer", "list", DATABASE_URL=database_url)
    assert "open" in listed.stdout
    assert "Hoa" in listed.stdout
    revoked = run_cli("officer", "revoke", code.group(1), DATABASE_URL=database_url)
    assert "revoked" in revoked.stdout
    assert "revoked" in run_cli("officer", "list", DATABASE_URL=database_url).stdout
    # Typed with accents, "Quảng Sơn" would pick Lâm Đồng's over Thái Nguyên's "Quang Sơn".
    namesake = run_cli("officer", "invite", "--commune", "Quảng Sơn", DATABASE_URL=database_url)
    assert namesake.returncode == 2
    assert "Quang Sơn, tỉnh Thái Nguyên" in namesake.stderr
    ambiguous = run_cli("officer", "invite", "--commune", "son ha", DATABASE_URL=database_url)
    assert ambiguous.returncode == 2
    assert ambiguous.stderr.count("\n") == 1
    assert "several communes" in ambiguous.stderr


async def test_notice_settings_turn_every_kind_off(
    producer: Chat, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await producer.sign_up()
    screen = await producer.say("/thongbao")
    assert "Nhắc giấy chứng nhận sắp hết hạn: bật" in screen
    assert "không tắt được" not in screen  # no legal notice is forced through under QĐ 26
    assert "148" not in screen
    toggled = await producer.press("t:cert_expiry")
    assert "Đã lưu." in toggled
    assert "Nhắc giấy chứng nhận sắp hết hạn: tắt" in toggled
    async with sessionmaker() as session:
        kinds = (await session.scalars(select(AlertOptOut.kind))).all()
    assert kinds == ["cert_expiry"]
    assert "Nhắc giấy chứng nhận sắp hết hạn: bật" in await producer.press("t:cert_expiry")
    assert "Nhắc giấy chứng nhận sắp hết hạn: bật" in await producer.press("t:no_such_kind")


async def test_the_assessment_shows_the_sets_own_options_and_any_findings_lead_to_the_province(
    producer: Chat, officer: Chat, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await register_and_walk(producer)  # a honey product: set 4
    await officer.say(f"/canbo {await new_code(sessionmaker)}")
    (dossier_id,) = await dossier_ids(sessionmaker)
    await accept_form(officer, dossier_id)
    await officer.press(f"o:crit:{dossier_id}")
    shown = await officer.say(*CRITERIA[:3])  # the raw-material facts, then its conclusion
    guidance = commune_guidance(
        CommuneCriterion.LOCAL_ORIGIN, {"commune_pct": 80, "province_pct": 100}, 4
    )
    assert guidance is not None
    # Marked as the officer's guidance: the province's council scores, the commune does not.
    assert "Chỉ để tham khảo — hội đồng cấp tỉnh chấm điểm, xã không chấm:" in shown
    assert f"tiêu chí {guidance.criterion_code} trong phiếu chấm của bộ sản phẩm" in shown
    # 80 % of the raw material from the commune decides the option it meets on set 4's sheet.
    assert guidance.points == 3
    assert f"Theo thực tế đã ghi nhận: {guidance.points} điểm." in shown
    for option in guidance.options:
        assert f"• {option.label}: {option.points}" in shown
    answers = [a if a != "dat" else "can bo sung" for a in CRITERIA[3:]]  # nothing "Đạt"
    await officer.say(*answers, "luu")
    submitted = await officer.press(f"o:submit:{dossier_id}")
    assert "Đã ghi nhận đề nghị gửi lên tỉnh" in submitted
    assert await status(sessionmaker, dossier_id) == "submitted_for_evaluation"


async def received_on(sessionmaker: async_sessionmaker[AsyncSession], dossier_id: int) -> object:
    async with sessionmaker() as session:
        return (await session.get_one(Dossier, dossier_id)).submitted_at


async def test_the_communes_receipt_is_the_first_accepted_form_check_and_never_moves(
    producer: Chat, officer: Chat, clock: Clock, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """The 15 working days of QĐ 26, Điều 7.2 (and the officer's day-10 and day-14
    reminders) run from the commune's receipt: a returned form check does not start them,
    the first accepted one does, and the proposal to the province does not move it."""
    dossier_id = await officer_of_a_walked_dossier(producer, officer, sessionmaker)
    await form_check(officer, dossier_id, missing={"Giấy đăng ký kinh doanh"})
    await officer.say("tra lai", "luu")
    assert await received_on(sessionmaker, dossier_id) is None

    clock.advance(days=2)
    accepted_at = clock.now
    await accept_form(officer, dossier_id)
    assert await status(sessionmaker, dossier_id) == "submitted_to_commune"
    assert await received_on(sessionmaker, dossier_id) == accepted_at

    clock.advance(days=5)
    await officer.press(f"o:crit:{dossier_id}")
    await officer.say(*CRITERIA, "luu")
    await officer.press(f"o:submit:{dossier_id}")
    assert await status(sessionmaker, dossier_id) == "submitted_for_evaluation"
    assert await received_on(sessionmaker, dossier_id) == accepted_at


def test_cli_invite_takes_a_namesake_commune_with_its_province(database_url: str) -> None:
    """Typed with its province, the namesake "Quảng Sơn" (refused alone: Thái Nguyên has a
    "Quang Sơn") gets its invite for Lâm Đồng's commune."""
    created = run_cli(
        "officer", "invite", "--commune", "Quảng Sơn, Lâm Đồng", DATABASE_URL=database_url
    )
    assert created.returncode == 0, created.stderr
    assert "Xã Quảng Sơn, tỉnh Lâm Đồng" in created.stdout
    assert "Thái Nguyên" not in created.stdout
