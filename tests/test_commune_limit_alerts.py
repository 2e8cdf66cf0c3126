"""The commune officer's reminders on the 10th and 14th of the commune's 15 working days
(QĐ 26/2026/QĐ-TTg, Điều 7.2), counted from the dossier's submission to the commune: on the
right working days around public holidays, once each, at 08:00, with the steps left as a
numbered list a Zalo officer answers by number."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.alerts.dispatch import Dispatcher, Pacer
from bot.alerts.service import run_pass
from bot.channels.zalo import ZaloChannel
from bot.db.models import ChannelAccount, Dossier, OutboxMessage
from bot.messages import Channel
from ocop_rules import commune_deadline, working_day
from tests.standins import ZALO_TOKEN, ZaloStandIn, serve
from tests.test_alerts import FAST, TZ, XOP, Clock, at, officer, waiting_dossier

# Friday 28/8/2026: Monday 31/8 is working day 1, then 1/9 and 2/9 (Quốc khánh) are off.
SUBMITTED = date(2026, 8, 28)
DAY_10, DAY_14 = date(2026, 9, 15), date(2026, 9, 21)
DEADLINE = date(2026, 9, 22)
OFFICER_CHAT = "zalo-officer"


def test_reminder_days_skip_the_weekend_and_the_national_day() -> None:
    assert SUBMITTED.weekday() == 4
    assert (working_day(SUBMITTED, 10), working_day(SUBMITTED, 14)) == (DAY_10, DAY_14)
    assert commune_deadline(SUBMITTED) == DEADLINE


async def submitted_dossier(session: AsyncSession, moment: datetime) -> int:
    await waiting_dossier(session, 1, XOP, moment)
    await session.flush()
    dossier = (await session.scalars(select(Dossier))).one()
    dossier.status, dossier.submitted_at = "submitted_to_commune", moment
    return dossier.id


async def test_officers_get_day_10_and_day_14_once_each_as_a_numbered_list_on_zalo(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    stand_in = ZaloStandIn()
    async with sessionmaker() as session, session.begin():
        await officer(session, OFFICER_CHAT, XOP)
        await session.flush()
        account = (
            await session.scalars(
                select(ChannelAccount).where(ChannelAccount.chat_id == OFFICER_CHAT)
            )
        ).one()
        account.channel = "zalo"
        # Submitted late on Friday evening, local time: the receipt day is that Friday.
        dossier_id = await submitted_dossier(session, at(SUBMITTED, 22, 30))
    async with serve(stand_in.app()) as url, httpx.AsyncClient(timeout=5) as http:
        clock = Clock(at(SUBMITTED, 8))
        sender = Dispatcher(
            sessionmaker,
            {Channel.ZALO: ZaloChannel(http, url, ZALO_TOKEN)},
            FAST,
            clock=clock,
            pacer=Pacer(1000, 0),
        )
        sent_on: dict[date, list[str]] = {}
        day = SUBMITTED
        while day <= DEADLINE + timedelta(days=3):
            # Three passes a day (night, morning, afternoon): nothing goes out twice.
            for hour in (3, 8, 15):
                clock.now = at(day, hour)
                await run_pass(sender)
                texts = [t for t in stand_in.texts(OFFICER_CHAT) if "Ngày làm việc thứ" in t]
                fresh = texts[sum(len(v) for v in sent_on.values()) :]
                if fresh:
                    assert hour >= 8  # never before the morning
                    sent_on.setdefault(day, []).extend(fresh)
            day += timedelta(days=1)
    assert sorted(sent_on) == [DAY_10, DAY_14]
    assert [len(v) for v in sent_on.values()] == [1, 1]
    first, second = sent_on[DAY_10][0], sent_on[DAY_14][0]
    assert first.startswith("Ngày làm việc thứ 10/15")
    assert "28/08/2026" in first
    assert second.startswith("Ngày làm việc thứ 14/15")
    assert "chậm nhất ngày 22/09/2026" in first
    assert "Điều 7.2" in first
    # The steps are a numbered list on Zalo (no buttons there).
    assert re.search(r"^1\. .+\n2\. .+\n3\. ", first, re.MULTILINE), first
    async with sessionmaker() as session:
        rows = (
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == "commune_limit")
            )
        ).all()
    assert len(rows) == 2
    assert {r.payload["working_day"] for r in rows} == {10, 14}
    assert all(r.payload["dossier_id"] == dossier_id for r in rows)
    assert {r.due_at.astimezone(TZ).time() for r in rows} == {time(8, 0)}


async def test_a_dossier_already_proposed_to_the_province_gets_no_reminder(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with sessionmaker() as session, session.begin():
        await officer(session, "9999", XOP)
        await submitted_dossier(session, at(SUBMITTED, 9))
        dossier = (await session.scalars(select(Dossier))).one()
        dossier.status = "submitted_for_evaluation"
    stand_in = ZaloStandIn()
    async with serve(stand_in.app()) as url, httpx.AsyncClient(timeout=5) as http:
        clock = Clock(at(DAY_10, 9))
        sender = Dispatcher(
            sessionmaker,
            {Channel.ZALO: ZaloChannel(http, url, ZALO_TOKEN)},
            FAST,
            clock=clock,
            pacer=Pacer(1000, 0),
        )
        report = await run_pass(sender)
    assert report.sweep.planned == 0
