"""Push alerts against the Telegram and Zalo stand-ins: exactly the expected alerts day by day
over three years, quiet hours, the grace window, retries, blocked chats, round changes,
opt-outs, two dispatchers and a killed one."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.alerts.calendar import add_round, change_round
from bot.alerts.dispatch import Dispatcher, Pacer
from bot.alerts.service import run_pass
from bot.alerts.timing import AlertConfig
from bot.channels.telegram import TelegramChannel
from bot.channels.zalo import ZaloChannel
from bot.db.engine import create_engine, create_sessionmaker
from bot.db.models import (
    AlertOptOut,
    Certificate,
    ChannelAccount,
    Dossier,
    OfficerAssignment,
    OutboxMessage,
    Person,
    Product,
    Subject,
)
from bot.messages import Channel
from ocop_rules import add_months, certificate_expiry
from tests.conftest import is_postgres
from tests.standins import ZALO_TOKEN, TelegramStandIn, ZaloStandIn, serve
from tests.test_cli import run_cli

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
XOP, BA_TO = "23356", "21484"
WALK_START = date(2027, 1, 4)  # a Monday
FAST = AlertConfig(timezone=TZ)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A local wall-clock moment as an aware datetime."""
    return datetime.combine(day, time(hour, minute), TZ)


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


def dispatcher(
    sessionmaker: async_sessionmaker[AsyncSession],
    channel: TelegramChannel,
    clock: Clock,
    config: AlertConfig = FAST,
) -> Dispatcher:
    """A dispatcher that does not pace (pacing has its own test)."""
    return Dispatcher(
        sessionmaker,
        {Channel.TELEGRAM: channel},
        config,
        clock=clock,
        pacer=Pacer(rate=10_000, per_chat=0),
    )


async def person(
    session: AsyncSession, name: str, chat: str, channel: Channel = Channel.TELEGRAM
) -> Person:
    found = Person(full_name=name, language="vi", role="producer", consent_at=datetime.now(UTC))
    session.add(found)
    await session.flush()
    session.add(
        ChannelAccount(person_id=found.id, channel=channel.value, external_id=chat, chat_id=chat)
    )
    return found


async def producer_with_certificate(
    session: AsyncSession, number: int, commune: str, issued_on: date
) -> Certificate:
    owner = await person(session, f"Nguoi {number}", f"80{number:02d}")
    subject = Subject(
        owner_person_id=owner.id,
        subject_type="cooperative",
        name=f"HTX {number}",
        commune_code=commune,
    )
    session.add(subject)
    await session.flush()
    product = Product(subject_id=subject.id, name=f"San pham {number}", group_code="food")
    session.add(product)
    await session.flush()
    certificate = Certificate(
        product_id=product.id,
        stars=3 + number % 2,
        issuing_level="province",
        issuing_authority="UBND tỉnh Quảng Ngãi",
        issued_on=issued_on,
        expires_on=certificate_expiry(issued_on),
    )
    session.add(certificate)
    return certificate


async def waiting_dossier(
    session: AsyncSession, number: int, commune: str, since: datetime
) -> None:
    owner = await person(session, f"Cho {number}", f"90{number:02d}")
    subject = Subject(
        owner_person_id=owner.id,
        subject_type="cooperative",
        name=f"HTX cho {number}",
        commune_code=commune,
    )
    session.add(subject)
    await session.flush()
    product = Product(
        subject_id=subject.id,
        name=f"Y tuong {number}",
        group_code="food",
        subgroup_code="food.processed",
    )
    session.add(product)
    await session.flush()
    session.add(
        Dossier(
            product_id=product.id,
            kind="new",
            status="idea_registered",
            commune_code=commune,
            year=since.year,
            status_changed_at=since,
        )
    )


async def officer(session: AsyncSession, chat: str, commune: str) -> None:
    found = await person(session, "Can bo", chat)
    found.role = "officer"
    session.add(OfficerAssignment(person_id=found.id, commune_code=commune))


# --- the three-year walk ------------------------------------------------------------------


def kind_of(text: str) -> str:
    if "còn thiếu" in text:
        return "missing"
    if "giấy chứng nhận" in text.lower():
        return "cert"
    if "đã mở" in text:
        return "opening"
    if "còn thiếu" in text:
        return "missing"
    if "hạn nộp hồ sơ đợt" in text:
        return "deadline"
    if "chờ xã hơn 7 ngày" in text:
        return "digest"
    return "other"


def product_in(text: str) -> str:
    found = re.search(r"“(San pham \d+|Y tuong \d+)”", text)
    return found.group(1) if found else ""


async def test_three_years_day_by_day_give_exactly_the_expected_alerts(
    sessionmaker: async_sessionmaker[AsyncSession],
    telegram: tuple[TelegramStandIn, TelegramChannel],
) -> None:
    stand_in, channel = telegram
    end = add_months(WALK_START, 36)
    certificates: list[tuple[str, str, str, date]] = []  # chat, commune, product, expiry
    async with sessionmaker() as session, session.begin():
        await officer(session, "7001", XOP)
        for number in range(12):
            issued = add_months(WALK_START, -36 + number * 5) + timedelta(days=number * 3)
            commune = XOP if number % 3 else BA_TO
            cert = await producer_with_certificate(session, number, commune, issued)
            certificates.append((f"80{number:02d}", commune, f"San pham {number}", cert.expires_on))
        since = at(WALK_START, 9) - timedelta(days=10)
        for number in (1, 2):
            await waiting_dossier(session, number, XOP if number == 1 else BA_TO, since)
        round_ = await add_round(
            session,
            "51",
            "Đợt 1 năm 2027",
            {
                "opens_on": WALK_START + timedelta(days=100),
                "registration_deadline": WALK_START + timedelta(days=160),
            },
            datetime.now(UTC),
        )
        opens, deadline = round_.opens_on, round_.registration_deadline

    expected: Counter[tuple[str, date, str, str]] = Counter()
    for chat, _commune, product, expires in certificates:
        # Around the QĐ 26 filing window (180–120 days before) and on expiry; no officer
        # copy, since QĐ 26 keeps no written expiry notice.
        for days in (180, 150, 127, 120, 0):
            due = expires - timedelta(days=days)
            if WALK_START <= due <= end:
                expected[(chat, due, "cert", product)] += 1
    waiting = ["9001", "9002"]  # both producers wait in province 51; the officer serves Xốp
    for chat in [*waiting, "7001"]:
        expected[(chat, opens, "opening", "")] += 1
        for days in (7, 1):
            expected[(chat, deadline - timedelta(days=days), "deadline", "")] += 1
    for number, chat in ((1, "9001"), (2, "9002")):
        expected[(chat, deadline - timedelta(days=14), "missing", f"Y tuong {number}")] += 1
    day = WALK_START
    while day <= end:
        if day.weekday() == 0:
            expected[("7001", day, "digest", "")] += 1
        day += timedelta(days=1)

    clock = Clock(at(WALK_START, 6, 30))
    sender = dispatcher(sessionmaker, channel, clock)
    seen: Counter[tuple[str, date, str, str]] = Counter()
    quiet_sends = 0
    day = WALK_START
    while day <= end:
        for hour, minute in ((6, 30), (8, 0), (22, 30)):
            clock.now = at(day, hour, minute)
            before = len(stand_in.calls)
            await run_pass(sender)
            for call in stand_in.calls[before:]:
                text = str(call.params["text"])
                seen[(str(call.params["chat_id"]), day, kind_of(text), product_in(text))] += 1
                quiet_sends += hour != 8
        day += timedelta(days=1)
    assert quiet_sends == 0
    assert seen == expected
    assert max(seen.values()) == 1  # nothing twice


# --- quiet hours, grace window, opt-outs --------------------------------------------------


async def test_a_notice_queued_at_night_waits_for_the_morning(
    sessionmaker: async_sessionmaker[AsyncSession],
    telegram: tuple[TelegramStandIn, TelegramChannel],
) -> None:
    stand_in, channel = telegram
    night = at(WALK_START, 23, 10)
    async with sessionmaker() as session, session.begin():
        owner = await person(session, "Lan", "8100")
        session.add(
            OutboxMessage(
                dedupe_key="submitted_to_province:1",
                recipient_person_id=owner.id,
                kind="submitted_to_province",
                payload={"dossier_id": 1, "product": "Mat ong"},
                due_at=night,
            )
        )
    clock = Clock(night)
    sender = dispatcher(sessionmaker, channel, clock)
    assert (await run_pass(sender)).dispatch.sent == 0
    clock.now = at(WALK_START + timedelta(days=1), 6, 59)
    assert (await run_pass(sender)).dispatch.sent == 0
    clock.now = at(WALK_START + timedelta(days=1), 7, 0)
    assert (await run_pass(sender)).dispatch.sent == 1
    assert "đã đề nghị tỉnh đánh giá “Mat ong”" in stand_in.texts("8100")[0]


async def test_after_downtime_late_window_reminders_are_skipped_but_expiry_day_is_sent(
    sessionmaker: async_sessionmaker[AsyncSession],
    telegram: tuple[TelegramStandIn, TelegramChannel],
) -> None:
    stand_in, channel = telegram
    issued = add_months(WALK_START + timedelta(days=130), -36)
    async with sessionmaker() as session, session.begin():
        # Expires 130 days after the walk starts: the window's one-week reminder (127 days
        # before) falls on day 3, its last day (120) on day 10.
        await producer_with_certificate(session, 1, XOP, issued)
        await officer(session, "7001", XOP)
    expires = certificate_expiry(issued)
    clock = Clock(at(WALK_START, 8))
    sender = dispatcher(sessionmaker, channel, clock)
    await run_pass(sender)  # the first sweep: nothing due today
    clock.now = at(WALK_START + timedelta(days=13), 8)  # down from day 1 until day 13
    report = await run_pass(sender)
    assert report.sweep.planned == 2
    assert stand_in.texts("8001") == []
    assert stand_in.texts("7001") == []  # no officer copy: no expiry notice under QĐ 26
    async with sessionmaker() as session:
        states = {
            row.payload["days_before"]: row.state
            for row in (await session.scalars(select(OutboxMessage))).all()
        }
    assert states == {127: "skipped", 120: "skipped"}  # past the 2-day grace
    clock.now = at(expires + timedelta(days=3), 8)  # down again over the expiry day
    await run_pass(sender)
    texts = stand_in.texts("8001")
    assert len(texts) == 1
    assert "Thông báo chính thức" not in texts[0]
    await run_pass(sender)
    assert len(stand_in.texts("8001")) == 1  # nothing twice


async def test_opting_out_silences_every_expiry_reminder(
    sessionmaker: async_sessionmaker[AsyncSession],
    telegram: tuple[TelegramStandIn, TelegramChannel],
) -> None:
    stand_in, channel = telegram
    issued = add_months(WALK_START + timedelta(days=90), -36)
    async with sessionmaker() as session, session.begin():
        cert = await producer_with_certificate(session, 1, XOP, issued)
        owner = (await session.scalars(select(Person))).one()
        session.add(AlertOptOut(person_id=owner.id, kind="cert_expiry"))
    clock = Clock(at(WALK_START, 8))
    sender = dispatcher(sessionmaker, channel, clock)
    day = WALK_START
    while day <= cert.expires_on:
        clock.now = at(day, 8)
        await run_pass(sender)
        day += timedelta(days=1)
    assert stand_in.texts("8001") == []  # no legal notice left to override the choice


# --- failures -------------------------------------------------------------------------------


async def pending_to(
    sessionmaker: async_sessionmaker[AsyncSession], chats: list[str], due: datetime
) -> None:
    async with sessionmaker() as session, session.begin():
        for chat in chats:
            owner = await person(session, f"P{chat}", chat)
            session.add(
                OutboxMessage(
                    dedupe_key=f"submitted_to_province:{chat}",
                    recipient_person_id=owner.id,
                    kind="submitted_to_province",
                    payload={"dossier_id": int(chat), "product": f"SP {chat}"},
                    due_at=due,
                )
            )


async def states(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, tuple[str, int]]:
    async with sessionmaker() as session:
        rows = (await session.scalars(select(OutboxMessage))).all()
        names = {
            a.person_id: a.chat_id for a in (await session.scalars(select(ChannelAccount))).all()
        }
    return {names[r.recipient_person_id]: (r.state, r.attempts) for r in rows}


async def test_429_500_and_403_are_retried_backed_off_or_stopped(
    sessionmaker: async_sessionmaker[AsyncSession],
    telegram: tuple[TelegramStandIn, TelegramChannel],
    database_url: str,
) -> None:
    stand_in, channel = telegram
    start = at(WALK_START, 9)
    await pending_to(sessionmaker, ["8201", "8202", "8203", "8204"], start)
    stand_in.rate_limited_chats["8201"] = 1  # 429, retry_after 3 s (not retried in PTB)
    stand_in.failing_chats.add("8202")  # 500 every time
    stand_in.blocked_chats.add("8203")  # 403
    clock = Clock(start)
    sender = dispatcher(sessionmaker, channel, clock)
    report = (await run_pass(sender)).dispatch
    assert (report.sent, report.retried, report.skipped) == (1, 2, 1)
    assert (await states(sessionmaker))["8201"] == ("pending", 1)
    clock.now = start + timedelta(seconds=2)  # before retry_after: nothing is retried
    assert (await run_pass(sender)).dispatch.handled == 0
    clock.now = start + timedelta(seconds=10)
    await run_pass(sender)
    async with sessionmaker() as session:
        errors = [r.last_error for r in (await session.scalars(select(OutboxMessage))).all()]
    assert (await states(sessionmaker))["8201"] == ("sent", 2), errors
    for _ in range(6):  # backoff 10 s, 20 s, 40 s, 80 s: then failed after 5 attempts
        clock.now += timedelta(minutes=5)
        await run_pass(sender)
    final = await states(sessionmaker)
    assert final["8202"] == ("failed", 5)
    assert final["8203"][0] == "skipped"
    assert final["8204"] == ("sent", 1)
    async with sessionmaker() as session:
        account = (
            await session.scalars(select(ChannelAccount).where(ChannelAccount.chat_id == "8203"))
        ).one()
        assert account.reachable is False
        owner = account.person_id
        session.add(
            OutboxMessage(
                dedupe_key="later",
                recipient_person_id=owner,
                kind="submitted_to_province",
                payload={"dossier_id": 9, "product": "Later"},
                due_at=clock.now,
            )
        )
        await session.commit()
    calls = len(stand_in.calls)
    await run_pass(sender)
    assert len(stand_in.calls) == calls  # a blocked account gets nothing more
    status = run_cli("alerts", "status", DATABASE_URL=database_url)
    assert "submitted_to_province\tfailed\t1" in status.stdout


async def test_zalo_timeouts_are_retried(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    stand_in = ZaloStandIn()
    async with serve(stand_in.app()) as url, httpx.AsyncClient(timeout=0.3) as http:
        zalo = ZaloChannel(http, url, ZALO_TOKEN)
        start = at(WALK_START, 9)
        await pending_to(sessionmaker, ["8501"], start)
        async with sessionmaker() as session, session.begin():
            account = (await session.scalars(select(ChannelAccount))).one()
            account.channel = "zalo"
        stand_in.slow_chats["8501"] = 1.0
        clock = Clock(start)
        sender = Dispatcher(
            sessionmaker, {Channel.ZALO: zalo}, FAST, clock=clock, pacer=Pacer(1000, 0)
        )
        assert (await run_pass(sender)).dispatch.retried == 1
        del stand_in.slow_chats["8501"]
        clock.now = start + timedelta(seconds=15)
        assert (await run_pass(sender)).dispatch.sent == 1


# --- several dispatchers, a killed one -------------------------------------------------------


@pytest.mark.skipif(not is_postgres(), reason="one dispatcher on SQLite; SKIP LOCKED is PostgreSQL")
async def test_two_dispatchers_deliver_every_alert_exactly_once(
    database_url: str,
    sessionmaker: async_sessionmaker[AsyncSession],
    telegram: tuple[TelegramStandIn, TelegramChannel],
) -> None:
    stand_in, channel = telegram
    start = at(WALK_START, 9)
    chats = [str(9000 + n) for n in range(300)]
    await pending_to(sessionmaker, chats, start)
    engines: list[AsyncEngine] = [create_engine(database_url) for _ in range(2)]
    try:
        reports = await asyncio.gather(
            *(
                Dispatcher(
                    create_sessionmaker(engine),
                    {Channel.TELEGRAM: channel},
                    FAST,
                    clock=lambda: start,
                    pacer=Pacer(10_000, 0),
                ).run_once()
                for engine in engines
            )
        )
    finally:
        for engine in engines:
            await engine.dispose()
    assert sum(r.sent for r in reports) == 300
    assert all(r.sent > 0 for r in reports)  # both really worked
    delivered = Counter(str(c.params["chat_id"]) for c in stand_in.sent())
    assert delivered == Counter(chats)


async def test_a_killed_dispatcher_repeats_at_most_the_message_in_flight(
    sessionmaker: async_sessionmaker[AsyncSession],
    telegram: tuple[TelegramStandIn, TelegramChannel],
) -> None:
    stand_in, channel = telegram
    start = at(WALK_START, 9)
    chats = [str(8300 + n) for n in range(10)]
    await pending_to(sessionmaker, chats, start)
    stand_in.slow_chats["8304"] = 30.0  # the fifth message hangs: kill the dispatcher then
    clock = Clock(start)
    first = asyncio.create_task(dispatcher(sessionmaker, channel, clock).run_once())
    await stand_in.wait_for_text("SP 8304")
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    del stand_in.slow_chats["8304"]
    clock.now = start + FAST.lease + timedelta(seconds=1)  # the dead one's lease ran out
    await dispatcher(sessionmaker, channel, clock).run_once()
    delivered = Counter(str(c.params["chat_id"]) for c in stand_in.sent())
    assert set(delivered) == set(chats)  # nothing lost
    assert [chat for chat, count in delivered.items() if count > 1] == ["8304"]
    assert delivered["8304"] == 2  # the message in flight at the kill, and only it


async def test_pacing_keeps_under_the_platform_rate(
    sessionmaker: async_sessionmaker[AsyncSession],
    telegram: tuple[TelegramStandIn, TelegramChannel],
) -> None:
    stand_in, channel = telegram
    stand_in.max_per_second = 30
    start = at(WALK_START, 9)
    chats = [str(8400 + n) for n in range(60)]
    await pending_to(sessionmaker, chats, start)
    sender = Dispatcher(
        sessionmaker, {Channel.TELEGRAM: channel}, replace(FAST, send_rate=29), clock=lambda: start
    )
    report = await sender.run_once()
    assert report.sent == 60
    assert stand_in.too_many == 0
    times = sorted(c.at for c in stand_in.sent())
    assert times[-1] - times[0] >= 59 / 29 - 0.05


# --- the calendar ---------------------------------------------------------------------------


async def test_changing_a_rounds_dates_replans_without_stale_or_double_alerts(
    sessionmaker: async_sessionmaker[AsyncSession],
    telegram: tuple[TelegramStandIn, TelegramChannel],
) -> None:
    stand_in, channel = telegram
    async with sessionmaker() as session, session.begin():
        await waiting_dossier(session, 1, XOP, at(WALK_START, 9))
        found = await add_round(
            session,
            "51",
            "Đợt 1",
            {"opens_on": WALK_START, "registration_deadline": WALK_START + timedelta(days=10)},
            datetime.now(UTC),
        )
        round_id = found.id
    clock = Clock(at(WALK_START, 8))
    sender = dispatcher(sessionmaker, channel, clock)
    await run_pass(sender)
    assert [kind_of(t) for t in stand_in.texts("9001")] == ["opening"]
    # Day 2 (deadline − 8): the 7-day reminder is due tomorrow. Move the deadline by a week.
    clock.now = at(WALK_START + timedelta(days=2), 8)
    await run_pass(sender)
    async with sessionmaker() as session, session.begin():
        await change_round(
            session, round_id, {"registration_deadline": WALK_START + timedelta(days=17)}, clock.now
        )
    day = WALK_START + timedelta(days=3)
    while day <= WALK_START + timedelta(days=20):
        clock.now = at(day, 8)
        await run_pass(sender)
        day += timedelta(days=1)
    sent = [(kind_of(t), t) for t in stand_in.texts("9001")]
    deadlines = [t for kind, t in sent if kind == "deadline"]
    assert len(deadlines) == 2
    assert all("là ngày 21/01/2027" in t for t in deadlines)  # only the new date, once each


def test_calendar_and_alerts_commands(database_url: str) -> None:
    added = run_cli(
        "calendar",
        "add",
        "--province",
        "51",
        "--name",
        "Dot 1",
        "--opens",
        "2027-03-01",
        "--deadline",
        "12/04/2027",
        DATABASE_URL=database_url,
    )
    assert added.returncode == 0, added.stderr
    listed = run_cli("calendar", "list", DATABASE_URL=database_url)
    assert "Dot 1" in listed.stdout
    assert "deadline 2027-04-12" in listed.stdout
    no_such = ["--name", "Dot X", "--opens", "2027-03-01", "--deadline", "2027-04-12"]
    refused = run_cli(
        "calendar", "add", "--province", "58", *no_such, DATABASE_URL=database_url
    )  # Ninh Thuận's code before the provinces merged on 1/7/2025
    assert refused.returncode == 2
    assert "Không có tỉnh, thành phố mã 58" in refused.stderr
    bad = run_cli("calendar", "change", "1", "--deadline", "2027-02-01", DATABASE_URL=database_url)
    assert bad.returncode == 2
    assert "Ngày mở đợt phải trước hạn nộp hồ sơ." in bad.stderr
    changed = run_cli(
        "calendar", "change", "1", "--deadline", "2027-04-20", DATABASE_URL=database_url
    )
    assert "version 2" in changed.stdout
    once = run_cli(
        "alerts", "run-once", "--now", "2027-03-01T08:00+07:00", DATABASE_URL=database_url
    )
    assert once.returncode == 0, once.stderr
    assert once.stdout.startswith("planned 0, sent 0")
    assert run_cli("calendar", "remove", "1", DATABASE_URL=database_url).returncode == 0
    assert "Dot 1" not in run_cli("calendar", "list", DATABASE_URL=database_url).stdout
