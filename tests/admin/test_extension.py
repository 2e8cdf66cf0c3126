"""The Điều 12.3 extension (issue 20): a certificate whose re-evaluation window opened before
QĐ 26 took effect (22/05/2026) may still file late, and then stays valid until the province
decides, at most 180 days after expiry — recorded when the dossier is opened, shown on
/chungnhan, the admin list and the API, ended when the re-evaluation closes without a
certificate. A window that opened under QĐ 26 gets no extension."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.admin.accounts import Staff
from bot.admin.decisions import Decision, publish_result, save_council_scores
from bot.admin.scope import Scope, ScopeKind
from bot.channels.zalo import CAPABILITIES as ZALO
from bot.db.models import Certificate, ChannelAccount, Dossier, Product, Subject
from bot.engine import Engine
from bot.messages import Channel
from bot.settings import Settings
from bot.web import create_app
from ocop_rules import DossierKind, add_months, certificate_expiry
from tests.admin.conftest import Seeded, api_token, login
from tests.builders import Chat, Clock
from tests.journeys import producer_with_idea
from tests.standins import serve

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
ISSUED = date(2023, 1, 15)  # expires 15/01/2026; its window opened 19/07/2025, before QĐ 26
LIMIT = date(2026, 7, 14)  # 180 days after expiry (Điều 12.3)
VI_EXTENDED = "được gia hạn đến khi có quyết định đánh giá lại"


def at(day: date, hour: int = 9) -> datetime:
    """A local morning as an aware datetime."""
    return datetime.combine(day, time(hour), TZ).astimezone(UTC)


async def farmer(sessionmaker: async_sessionmaker[AsyncSession], clock: Clock) -> Chat:
    chat = Chat(
        Engine(sessionmaker, clock=clock), chat="zalo-ext", channel=Channel.ZALO, capabilities=ZALO
    )
    return await producer_with_idea(chat, "0912345678")


async def certify(sessionmaker: async_sessionmaker[AsyncSession], issued_on: date) -> int:
    """A valid certificate of the chat producer's product, issued ``issued_on``."""
    async with sessionmaker.begin() as session:
        owner = await session.scalar(
            select(ChannelAccount.person_id).where(ChannelAccount.external_id == "zalo-ext")
        )
        product = (
            await session.scalars(
                select(Product)
                .join(Subject, Subject.id == Product.subject_id)
                .where(Subject.owner_person_id == owner)
            )
        ).one()
        certificate = Certificate(
            product_id=product.id, number="7/GCN-OCOP", stars=3, issuing_level="province",
            issuing_authority="UBND tỉnh Quảng Ngãi", decision_number="77/QĐ-UBND",
            issued_on=issued_on, expires_on=certificate_expiry(issued_on), status="valid",
        )  # fmt: skip
        session.add(certificate)
        await session.flush()
        return certificate.id


async def stored(
    sessionmaker: async_sessionmaker[AsyncSession], certificate_id: int
) -> date | None:
    """The certificate's recorded Điều 12.3 extension."""
    async with sessionmaker() as session:
        return (await session.get_one(Certificate, certificate_id)).extended_until


async def test_a_late_filing_under_the_transition_is_extended_everywhere_until_decided(
    admin_settings: Settings, seeded: Seeded, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    clock = Clock(at(date(2025, 12, 1)))  # after the window closed (17/09/2025), before expiry
    chat = await farmer(sessionmaker, clock)
    certificate_id = await certify(sessionmaker, ISSUED)
    offered = await chat.say("/chungnhan")
    assert "Mở hồ sơ đánh giá lại" in offered
    assert "14/07/2026" in offered  # the limit, said before filing
    await chat.press(f"d:renew:{certificate_id}")
    assert await stored(sessionmaker, certificate_id) == LIMIT

    clock.now = at(date(2026, 2, 10))  # past expiry, the province has not decided yet
    shown = await chat.say("/chungnhan")
    assert VI_EXTENDED in shown
    assert "chậm nhất đến 14/07/2026 (QĐ 26/2026/QĐ-TTg, Điều 12.3)" in shown

    app = create_app(admin_settings)
    async with serve(app) as url:
        app.state.admin.clock = clock
        clerk = await login(url, "tinh51")
        page = (await clerk.get("/admin/certificates", params={"state": "extended"})).text
        await clerk.aclose()
        rows = re.findall(r'<tr data-certificate="(\d+)">', page)
        assert rows == [str(certificate_id)]
        assert "chậm nhất 14/07/2026" in re.sub(r"<[^>]+>", "", page)
        api = httpx.AsyncClient(
            base_url=f"{url}/api/v1",
            headers={"Authorization": f"Bearer {await api_token(sessionmaker, 'tinh51')}"},
        )
        listed = (await api.get("/certificates", params={"state": "extended"})).json()
        await api.aclose()
    assert [(c["id"], c["state"], c["extended_until"]) for c in listed["items"]] == [
        (certificate_id, "extended", "2026-07-14")
    ]

    # The province publishes a result under 3★: the dossier closes, the extension ends.
    async with sessionmaker.begin() as session:
        dossier = (
            await session.scalars(select(Dossier).where(Dossier.certificate_id == certificate_id))
        ).one()
        assert dossier.kind == DossierKind.RE_EVALUATION
        dossier.status = "submitted_for_evaluation"
        dossier_id = dossier.id
    decided = date(2026, 3, 2)
    clock.now = at(decided)
    staff = Staff(1, "clerk", Scope(ScopeKind.PROVINCE, "51"))
    async with sessionmaker.begin() as session:
        scores = [("Thành viên 1", Decimal(45)), ("Thành viên 2", Decimal(47))]
        await save_council_scores(session, staff, dossier_id, scores, decided, clock.now)
        decision = Decision("31/QĐ-UBND", decided, "Phó Chủ tịch")
        await publish_result(session, staff, dossier_id, decision, decided, clock.now)
    assert await stored(sessionmaker, certificate_id) == date(2026, 3, 1)
    after = await chat.say("/chungnhan")
    assert VI_EXTENDED not in after
    assert "Giấy chứng nhận này đã hết hạn." in after


async def test_a_window_opened_under_qd26_gets_no_extension(
    seeded: Seeded, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    issued = date(2024, 12, 1)  # expires 01/12/2027; window 04/06/2027 – 03/08/2027
    assert add_months(certificate_expiry(issued), -36) == issued
    clock = Clock(at(date(2027, 10, 1)))  # after its window
    chat = await farmer(sessionmaker, clock)
    certificate_id = await certify(sessionmaker, issued)
    refused = await chat.press(f"d:renew:{certificate_id}")
    assert "đã hết ngày 03/08/2027" in refused
    assert await stored(sessionmaker, certificate_id) is None
    async with sessionmaker() as session:
        assert (
            await session.scalars(select(Dossier).where(Dossier.certificate_id == certificate_id))
        ).first() is None

    clock.now = at(date(2027, 7, 1))  # inside its window: a re-evaluation, no extension
    await chat.press(f"d:renew:{certificate_id}")
    assert await stored(sessionmaker, certificate_id) is None
    clock.now = at(date(2027, 12, 2))
    assert "Giấy chứng nhận này đã hết hạn." in await chat.say("/chungnhan")
