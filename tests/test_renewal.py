"""Re-evaluation and upgrade dossiers (issue 20, item 1): opened from the window's reminder
by its number on Zalo and from /chungnhan, with the re-evaluation checklist of QĐ 26; the
filing window said with its dates, and outside it what applies instead; the certificate of
the renewal supersedes the one it renews."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import docx
import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.admin.accounts import Staff
from bot.admin.decisions import (
    Decision,
    issue_certificate,
    publish_result,
    save_council_scores,
)
from bot.admin.scope import Scope, ScopeKind
from bot.alerts.dispatch import Dispatcher, Pacer
from bot.alerts.service import run_pass
from bot.alerts.timing import AlertConfig
from bot.channels.zalo import CAPABILITIES as ZALO
from bot.channels.zalo import ZaloChannel
from bot.db.models import (
    Certificate,
    Commune,
    Dossier,
    DossierItem,
    OutboxMessage,
    Product,
)
from bot.engine import Engine
from bot.messages import Channel
from bot.messages import Document as DocumentReply
from ocop_rules import (
    DossierKind,
    Provider,
    add_months,
    certificate_expiry,
    dossier_requirements,
)
from tests.builders import Chat, Clock
from tests.journeys import invite_code, producer_with_idea
from tests.standins import ZALO_TOKEN, ZaloStandIn, serve
from tests.test_officer import CRITERIA, form_check

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
CHAT = "zalo-renewal"
EXPIRES = date(2027, 12, 31)  # the re-evaluation window: 04/07/2027 – 02/09/2027


def at(day: date, hour: int = 9) -> datetime:
    """A local morning as an aware datetime (after the 08:00 send time, outside quiet hours)."""
    return datetime.combine(day, time(hour), TZ).astimezone(UTC)


@pytest.fixture
async def zalo() -> AsyncIterator[tuple[ZaloStandIn, ZaloChannel]]:
    stand_in = ZaloStandIn()
    async with serve(stand_in.app()) as url, httpx.AsyncClient(timeout=5) as http:
        yield stand_in, ZaloChannel(http, url, ZALO_TOKEN)


@pytest.fixture
async def farmer(sessionmaker: async_sessionmaker[AsyncSession], clock: Clock) -> Chat:
    chat = Chat(
        Engine(sessionmaker, clock=clock), chat=CHAT, channel=Channel.ZALO, capabilities=ZALO
    )
    return await producer_with_idea(chat, "0912345678")


async def certify(
    sessionmaker: async_sessionmaker[AsyncSession], expires_on: date = EXPIRES, stars: int = 3
) -> int:
    """A valid certificate of the farmer's product, expiring ``expires_on``."""
    issued_on = add_months(expires_on, -36)
    assert certificate_expiry(issued_on) == expires_on
    async with sessionmaker.begin() as session:
        product = (await session.scalars(select(Product))).one()
        certificate = Certificate(
            product_id=product.id,
            number="12/GCN-OCOP",
            stars=stars,
            issuing_level="province",
            issuing_authority="UBND tỉnh Quảng Ngãi",
            decision_number="1234/QĐ-UBND",
            issued_on=issued_on,
            expires_on=expires_on,
            status="valid",
        )
        session.add(certificate)
        await session.flush()
        return certificate.id


def reevaluation_codes() -> list[str]:
    """The papers a producer is asked for a re-evaluation of the honey set (set 1)."""
    return [
        r.code
        for r in dossier_requirements(1, DossierKind.RE_EVALUATION, date(2027, 7, 4))
        if r.provider is Provider.SUBJECT
    ]


async def renewal_dossier(sessionmaker: async_sessionmaker[AsyncSession]) -> Dossier:
    async with sessionmaker() as session:
        return (
            await session.scalars(select(Dossier).where(Dossier.certificate_id.is_not(None)))
        ).one()


async def test_the_window_reminder_answered_by_its_number_opens_the_reevaluation_dossier(
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: Clock,
    farmer: Chat,
    zalo: tuple[ZaloStandIn, ZaloChannel],
) -> None:
    stand_in, channel = zalo
    certificate_id = await certify(sessionmaker)
    clock.now = at(date(2027, 7, 4))  # the window opens: 180 days before expiry
    sender = Dispatcher(
        sessionmaker, {Channel.ZALO: channel}, AlertConfig(), clock=clock, pacer=Pacer(1000, 0)
    )
    report = await run_pass(sender)  # the day's sweep, then the dispatch
    assert report.dispatch.sent == 1
    pushed = stand_in.texts(CHAT)[-1]
    assert "04/07/2027" in pushed
    assert "02/09/2027" in pushed
    assert "1. Mở hồ sơ đánh giá lại" in pushed

    reply = await farmer.say("1")

    assert "Hồ sơ đánh giá lại cho “Mat ong rung”" in reply
    assert "đánh dấu ô “Đánh giá lại”" in reply  # Mẫu 01, item 4, ticked for its kind
    assert await farmer.where() == ("dossier", "registration_form")
    dossier = await renewal_dossier(sessionmaker)
    assert (dossier.kind, dossier.status) == ("re_evaluation", "in_preparation")
    assert dossier.certificate_id == certificate_id
    async with sessionmaker() as session:
        asked = (
            await session.scalars(
                select(DossierItem.requirement_code)
                .where(DossierItem.dossier_id == dossier.id)
                .order_by(DossierItem.id)
            )
        ).all()
    assert list(asked) == reevaluation_codes()
    assert {"three_year_report", "dated_papers"} <= set(asked)
    assert "upgrade_changes" not in asked

    # The next papers are the re-evaluation's: Mẫu 02, then Mẫu 02 updated since recognition.
    await farmer.say("co", "xong")
    assert await farmer.where() == ("dossier", "subject_report")
    await farmer.say("co", "xong")
    assert await farmer.where() == ("dossier", "three_year_report")
    assert "công nghệ" in farmer.last_text
    assert "doanh thu" in farmer.last_text

    # Opened again from /chungnhan, the same dossier continues: never a second one.
    await farmer.say("menu")
    assert await farmer.where() == (None, None)
    certificates = await farmer.say("/chungnhan")
    assert "1. Tiếp tục hồ sơ đánh giá lại" in certificates
    await farmer.say("1")
    assert await farmer.where() == ("dossier", "three_year_report")
    async with sessionmaker() as session:
        renewals = (
            await session.scalars(select(Dossier).where(Dossier.certificate_id.is_not(None)))
        ).all()
    assert len(renewals) == 1


async def test_the_reminder_picked_by_its_words_in_the_middle_of_a_flow_opens_the_dossier(
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: Clock,
    farmer: Chat,
    zalo: tuple[ZaloStandIn, ZaloChannel],
) -> None:
    _, channel = zalo
    await certify(sessionmaker)
    clock.now = at(date(2027, 7, 4))
    await farmer.say("/dangky")  # another idea: its first question expects typed words
    flow, _ = await farmer.where()
    assert flow == "idea"
    sender = Dispatcher(
        sessionmaker, {Channel.ZALO: channel}, AlertConfig(), clock=clock, pacer=Pacer(1000, 0)
    )
    assert (await run_pass(sender)).dispatch.sent == 1
    reply = await farmer.say("mo ho so danh gia lai")  # the option's words, no diacritics
    assert "đánh dấu ô “Đánh giá lại”" in reply
    assert await farmer.where() == ("dossier", "registration_form")


async def test_outside_the_window_the_bot_says_what_applies(
    sessionmaker: async_sessionmaker[AsyncSession], clock: Clock, farmer: Chat
) -> None:
    certificate_id = await certify(sessionmaker)
    clock.now = at(date(2027, 5, 1))
    early = await farmer.say("/chungnhan")
    assert "từ ngày 04/07/2027 đến ngày 02/09/2027" in early
    assert "trước ngày 04/07/2027 thì chưa nộp được" in early
    assert "Mở hồ sơ đánh giá lại" not in early
    # An old button (or a typed payload) before the window opens refuses, with the date.
    refused = await farmer.press(f"d:renew:{certificate_id}")
    assert "04/07/2027" in refused
    async with sessionmaker() as session:
        assert (
            await session.scalars(select(Dossier).where(Dossier.certificate_id.is_not(None)))
        ).first() is None

    clock.now = at(date(2027, 10, 1))
    late = await farmer.say("/chungnhan")
    assert "đã hết ngày 02/09/2027" in late
    assert "hết hiệu lực ngày 31/12/2027" in late
    assert "/dangky" in late

    clock.now = at(date(2028, 1, 2))
    expired = await farmer.say("/chungnhan")
    assert "Giấy chứng nhận này đã hết hạn." in expired
    assert "cần được đánh giá mới" in expired  # what to do next, not a dead end


async def test_an_upgrade_dossier_is_opened_from_chungnhan(
    sessionmaker: async_sessionmaker[AsyncSession], clock: Clock, farmer: Chat
) -> None:
    await certify(sessionmaker, stars=3)
    clock.now = at(date(2026, 12, 1))  # long before the window: an upgrade has none
    certificates = await farmer.say("/chungnhan")
    assert "1. Đăng ký nâng hạng sao" in certificates
    reply = await farmer.say("1")
    assert "đánh dấu ô “Nâng hạng”" in reply
    dossier = await renewal_dossier(sessionmaker)
    assert dossier.kind == DossierKind.UPGRADE
    async with sessionmaker() as session:
        codes = set(
            (
                await session.scalars(
                    select(DossierItem.requirement_code).where(DossierItem.dossier_id == dossier.id)
                )
            ).all()
        )
    assert "upgrade_changes" in codes
    assert "three_year_report" not in codes


async def test_the_expiry_day_message_no_longer_promises_the_stars(
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: Clock,
    farmer: Chat,
    zalo: tuple[ZaloStandIn, ZaloChannel],
) -> None:
    stand_in, channel = zalo
    await certify(sessionmaker)
    clock.now = at(EXPIRES)
    sender = Dispatcher(
        sessionmaker, {Channel.ZALO: channel}, AlertConfig(), clock=clock, pacer=Pacer(1000, 0)
    )
    await run_pass(sender)
    text = stand_in.texts(CHAT)[-1]
    assert "hết hạn hôm nay (31/12/2027)" in text
    assert "không còn hiệu lực từ ngày mai" in text
    assert "đợt tới" not in text
    assert "/dangky" in text


async def test_a_reevaluation_from_the_zalo_reminder_goes_through_commune_and_province_to_4_stars(
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: Clock,
    farmer: Chat,
    zalo: tuple[ZaloStandIn, ZaloChannel],
) -> None:
    """Issue 20, acceptance 1 as one path, no status set by hand: a certificate expiring
    31/12/2027; on 4/7/2027 the window reminder reaches the producer on Zalo, who answers
    its number and walks the re-evaluation checklist; the commune checks the form, assesses
    the four items and proposes it; the province publishes 4★ and issues the certificate,
    which supersedes the old one and runs 36 months from its decision."""
    stand_in, channel = zalo
    old_id = await certify(sessionmaker)
    clock.now = at(date(2027, 7, 4))
    sender = Dispatcher(
        sessionmaker, {Channel.ZALO: channel}, AlertConfig(), clock=clock, pacer=Pacer(1000, 0)
    )
    assert (await run_pass(sender)).dispatch.sent == 1
    assert "1. Mở hồ sơ đánh giá lại" in stand_in.texts(CHAT)[-1]

    reply = await farmer.say("1")
    assert "Hồ sơ đánh giá lại cho “Mat ong rung”" in reply
    dossier = await renewal_dossier(sessionmaker)
    assert (dossier.kind, dossier.certificate_id) == ("re_evaluation", old_id)
    for _ in range(40):  # the producer answers every paper: "có", then done
        if "đi hết các mục" in reply:
            break
        await farmer.say("co")
        reply = await farmer.say("xong")
    assert "Không còn thiếu giấy tờ bắt buộc nào" in reply
    async with sessionmaker() as session:
        answered = (
            await session.execute(
                select(DossierItem.requirement_code, DossierItem.state)
                .where(DossierItem.dossier_id == dossier.id)
                .order_by(DossierItem.id)
            )
        ).all()
    assert [code for code, _ in answered] == reevaluation_codes()
    assert {state for _, state in answered} == {"have"}

    # The commune: the dossier waits in its queue as a re-evaluation, with its own card.
    clock.now = at(date(2027, 7, 8))
    officer = Chat(farmer.engine, chat="officer-renewal")
    await officer.say(f"/canbo {await invite_code(sessionmaker, at=clock.now)}")
    queue = await officer.say("/choduyet")
    assert "Mat ong rung — đánh giá lại (" in queue
    card = await officer.press(f"o:open:{dossier.id}")
    assert "Hồ sơ “Mat ong rung”" in card
    assert " — đánh giá lại" in card.splitlines()[0]
    assert "Giấy tờ: chủ thể đã trả lời 20/20 mục" in card
    assert "Anh/chị xem lại thông tin" in await form_check(officer, dossier.id)
    assert "Đã lưu kết quả kiểm tra hình thức" in await officer.say("luu")
    await officer.press(f"o:crit:{dossier.id}")
    await officer.say(*CRITERIA[:-2], "08/07/2027", CRITERIA[-1], "luu")
    assert "Gửi đề nghị lên tỉnh" in officer.last_text
    assert "Đã ghi nhận đề nghị gửi lên tỉnh" in await officer.press(f"o:submit:{dossier.id}")
    async with sessionmaker() as session:
        proposed = await session.get_one(Dossier, dossier.id)
        province = (await session.get_one(Commune, dossier.commune_code)).province_code
    assert proposed.status == "submitted_for_evaluation"

    # The province: a draft corrected once, 4★ published, the certificate issued.
    decided = date(2027, 10, 15)
    clock.now = at(decided)
    staff = Staff(1, "clerk", Scope(ScopeKind.PROVINCE, province))
    for scores in ((79, 81), (80, 81)):
        async with sessionmaker.begin() as session:
            await save_council_scores(
                session,
                staff,
                dossier.id,
                [(f"Thành viên {n}", Decimal(s)) for n, s in enumerate(scores, 1)],
                decided,
                clock.now,
            )
    async with sessionmaker.begin() as session:
        routing = await publish_result(
            session,
            staff,
            dossier.id,
            Decision("2345/QĐ-UBND", decided, "Phó Chủ tịch"),
            decided,
            clock.now,
        )
    assert routing.stars == 4
    async with sessionmaker.begin() as session:
        new = await issue_certificate(
            session, staff, dossier.id, "88/GCN-OCOP", "2345/QĐ-UBND", decided, decided, clock.now
        )
        new_id = new.id
    async with sessionmaker() as session:
        old = await session.get_one(Certificate, old_id)
        issued = await session.get_one(Certificate, new_id)
        certified = await session.get_one(Dossier, dossier.id)
        notices = (
            await session.scalars(
                select(OutboxMessage.kind).where(OutboxMessage.kind == "certificate_issued")
            )
        ).all()
    assert (old.status, old.superseded_by_id) == ("superseded", new_id)
    assert (issued.stars, issued.status, issued.dossier_id) == (4, "valid", dossier.id)
    assert issued.expires_on == certificate_expiry(decided) == date(2030, 10, 15)
    assert certified.status == "certified"
    assert len(notices) == 1
    shown = await farmer.say("/chungnhan")
    assert "đã được thay bằng giấy mới" in shown
    assert "★★★★" in shown


async def test_a_completed_reevaluation_prints_its_cover_sheet_with_the_kind_ticked(
    sessionmaker: async_sessionmaker[AsyncSession], clock: Clock
) -> None:
    # On the console, which sends files (the Zalo stand-in's account cannot).
    farmer = await producer_with_idea(Chat(Engine(sessionmaker, clock=clock)), "0912345678")
    certificate_id = await certify(sessionmaker)
    clock.now = at(date(2027, 7, 20))
    reply = await farmer.press(f"d:renew:{certificate_id}")
    for _ in range(40):  # every paper: "có", then done
        if "đi hết các mục" in reply:
            break
        await farmer.say("co")
        reply = await farmer.say("xong")
    assert "đi hết các mục" in reply
    sent = [r for r in await farmer.send_text("/phieu") if isinstance(r, DocumentReply)]
    # The first dossier prints its idea form; the re-evaluation registers no idea.
    assert [d.filename.split("-")[0:3] for d in sent] == [
        ["phieu", "y", "tuong"],
        ["danh", "muc", "ho"],
    ]
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(sent[1].content)).paragraphs)
    assert "Lần đăng ký đánh giá: Đánh giá lại" in text
    cells = [
        cell.text
        for row in docx.Document(io.BytesIO(sent[1].content)).tables[0].rows
        for cell in row.cells
    ]
    assert any("đánh dấu ô “Đánh giá lại”" in cell for cell in cells)
    assert any("giấy tờ pháp lý có thời hạn" in cell for cell in cells)


async def test_certificates_of_one_day_are_listed_in_the_order_they_were_recorded(
    sessionmaker: async_sessionmaker[AsyncSession], clock: Clock, farmer: Chat
) -> None:
    """Two certificates issued the same day: the list, and so the numbers typed at it, keep
    one order however the database happens to hold the rows. Here the later-recorded one
    (the honey's, number 2) is written first, so the table's own order is not the list's."""
    issued_on = add_months(EXPIRES, -36)
    async with sessionmaker.begin() as session:
        honey = (await session.scalars(select(Product))).one()
        tea = Product(subject_id=honey.subject_id, name="Tra shan tuyet", group_code="food")
        session.add(tea)
        await session.flush()
        for certificate_id, product in ((2, honey), (1, tea)):
            session.add(
                Certificate(
                    id=certificate_id,
                    product_id=product.id,
                    number=f"{certificate_id}/GCN-OCOP",
                    stars=3,
                    issuing_level="province",
                    issuing_authority="UBND tỉnh Quảng Ngãi",
                    issued_on=issued_on,
                    expires_on=EXPIRES,
                    status="valid",
                )
            )
            await session.flush()
    clock.now = at(date(2027, 7, 4))
    shown = await farmer.say("/chungnhan")
    assert "1. Mở hồ sơ đánh giá lại — Tra shan tuyet" in shown
    assert "3. Mở hồ sơ đánh giá lại — Mat ong rung" in shown
    assert await farmer.say("/chungnhan") == shown


async def test_with_two_certificates_every_option_is_numbered_in_one_list(
    sessionmaker: async_sessionmaker[AsyncSession], clock: Clock, farmer: Chat
) -> None:
    await certify(sessionmaker)
    async with sessionmaker.begin() as session:
        honey = (await session.scalars(select(Product))).one()
        tea = Product(subject_id=honey.subject_id, name="Tra shan tuyet", group_code="food")
        session.add(tea)
        await session.flush()
        session.add(
            Certificate(
                product_id=tea.id,
                number="13/GCN-OCOP",
                stars=5,
                issuing_level="central",
                issuing_authority="Bộ Nông nghiệp và Môi trường",
                issued_on=add_months(EXPIRES, -36),
                expires_on=EXPIRES,
                status="valid",
            )
        )
    clock.now = at(date(2027, 7, 4))
    shown = await farmer.say("/chungnhan")
    assert "1. Mở hồ sơ đánh giá lại — Mat ong rung" in shown
    assert "2. Đăng ký nâng hạng sao — Mat ong rung" in shown
    assert "3. Mở hồ sơ đánh giá lại — Tra shan tuyet" in shown
    assert "nâng hạng sao — Tra shan tuyet" not in shown  # 5★ has no higher star
    reply = await farmer.say("3")
    assert "“Tra shan tuyet”" in reply
    tea_dossier = await renewal_dossier(sessionmaker)
    assert tea_dossier.kind == DossierKind.RE_EVALUATION
