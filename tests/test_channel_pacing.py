"""Per-channel rates for alerts and announcements (issue 23, item 4): each platform has its own
budget, so a large Zalo backlog queued first does not hold back Telegram announcements, which
go out at Telegram's documented rate (about 30 a second, one a second per chat); a 429 for
one chat still slows only that chat; a platform no connection can be made to (Telegram
blocked) is tried once, and the others' alerts go meanwhile. Time is injected: the pacers
sleep on a fake clock."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram.error import NetworkError

from bot.alerts.dispatch import ZALO_SEND_RATE, ChannelPacers, Dispatcher
from bot.alerts.timing import AlertConfig
from bot.channels import Capabilities, RetryLaterError, Sender
from bot.channels.telegram import TelegramChannel, make_bot
from bot.channels.zalo import ZaloChannel
from bot.db.models import ChannelAccount, OutboxMessage, Person
from bot.messages import Channel, Outbound, Reply
from tests.standins import (
    TELEGRAM_TOKEN,
    ZALO_TOKEN,
    TelegramStandIn,
    ZaloStandIn,
    free_port,
    serve,
)

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
MORNING = datetime.combine(date(2027, 3, 8), time(9), TZ).astimezone(UTC)
CONFIG = AlertConfig(timezone=TZ)  # Telegram at 29 a second, one a second per chat
ZALO_BACKLOG, TELEGRAM_PEOPLE = 60, 30
EPSILON = 1e-9


@dataclass
class FakeTime:
    """A monotonic clock that moves only when a pacer sleeps."""

    now: float = 1000.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


@dataclass
class Timed:
    """A channel that notes the fake moment of every send before passing it on."""

    inner: Sender
    clock: FakeTime
    log: list[tuple[str, float]] = field(default_factory=list)
    capabilities: Capabilities = field(init=False)

    def __post_init__(self) -> None:
        self.capabilities = self.inner.capabilities

    async def send(self, chat_id: str, outbound: Outbound) -> None:
        self.log.append((chat_id, self.clock.now))
        await self.inner.send(chat_id, outbound)


async def announce(
    sessionmaker: async_sessionmaker[AsyncSession],
    chats: list[str],
    channel: Channel,
    due: datetime,
    copies: int = 1,
) -> None:
    """One person per chat on ``channel``, each with ``copies`` announcements due at ``due``."""
    async with sessionmaker.begin() as session:
        for chat in chats:
            person = Person(full_name=chat, language="vi", consent_at=MORNING)
            session.add(person)
            await session.flush()
            session.add(
                ChannelAccount(
                    person_id=person.id, channel=channel.value, external_id=chat, chat_id=chat
                )
            )
            for copy in range(copies):
                session.add(
                    OutboxMessage(
                        dedupe_key=f"announcement:{chat}:{copy}",
                        recipient_person_id=person.id,
                        kind="announcement",
                        payload={"sender": "UBND tỉnh Quảng Ngãi", "body": f"Hội chợ {copy}"},
                        due_at=due,
                    )
                )


def gaps(times: list[float]) -> list[float]:
    """The time between one send and the next."""
    return [b - a for a, b in itertools.pairwise(times)]


async def test_a_zalo_backlog_does_not_slow_telegram_announcements(
    sessionmaker: async_sessionmaker[AsyncSession],
    telegram: tuple[TelegramStandIn, TelegramChannel],
) -> None:
    tg_stand_in, tg_channel = telegram
    zalo_chats = [f"z{n:03d}" for n in range(ZALO_BACKLOG)]
    tg_chats = [str(7000 + n) for n in range(TELEGRAM_PEOPLE)]
    # The Zalo backlog is older: it would be claimed first.
    await announce(sessionmaker, zalo_chats, Channel.ZALO, MORNING - timedelta(minutes=5))
    await announce(sessionmaker, tg_chats, Channel.TELEGRAM, MORNING)
    await announce(sessionmaker, ["7777"], Channel.TELEGRAM, MORNING, copies=2)
    tg_stand_in.rate_limited_chats["7005"] = 1  # a 429 for one Telegram chat
    fake = FakeTime()
    zalo_stand_in = ZaloStandIn()
    async with serve(zalo_stand_in.app()) as url, httpx.AsyncClient(timeout=10) as http:
        zalo = Timed(ZaloChannel(http, url, ZALO_TOKEN), fake)
        tg = Timed(tg_channel, fake)
        dispatcher = Dispatcher(
            sessionmaker,
            {Channel.ZALO: zalo, Channel.TELEGRAM: tg},
            CONFIG,
            clock=lambda: MORNING,
            pacer=ChannelPacers.for_config(CONFIG, clock=fake, sleep=fake.sleep),
        )
        report = await dispatcher.run_once()
    start = 1000.0
    assert (report.sent, report.retried) == (ZALO_BACKLOG + TELEGRAM_PEOPLE - 1 + 2, 1)
    assert len(zalo_stand_in.texts()) == ZALO_BACKLOG

    # Telegram: every announcement out within a second and a bit, at Telegram's rate, while
    # the Zalo backlog takes its own (slower) time.
    tg_times = [moment for chat, moment in tg.log if chat != "7777"]
    assert len(tg_times) == TELEGRAM_PEOPLE  # 7005 was tried once and put back for later
    assert min(gaps(tg_times)) >= 1 / CONFIG.send_rate - EPSILON
    assert tg_times[-1] - start <= TELEGRAM_PEOPLE / CONFIG.send_rate + 0.2
    zalo_times = [moment for _, moment in zalo.log]
    assert min(gaps(zalo_times)) >= 1 / ZALO_SEND_RATE - EPSILON
    assert zalo_times[-1] - start >= (ZALO_BACKLOG - 1) / ZALO_SEND_RATE - EPSILON
    assert tg_times[-1] < zalo_times[10]  # not queued behind the Zalo backlog

    # One chat still gets at most one message a second.
    twice = [moment for chat, moment in tg.log if chat == "7777"]
    assert len(twice) == 2
    assert twice[1] - twice[0] >= CONFIG.per_chat_interval - EPSILON
    assert twice[1] - twice[0] <= CONFIG.per_chat_interval + 1 / CONFIG.send_rate + EPSILON
    assert len(tg_stand_in.texts("7005")) == 0


async def test_one_busy_channel_is_not_searched_past_before_every_send(
    sessionmaker: async_sessionmaker[AsyncSession],
    telegram: tuple[TelegramStandIn, TelegramChannel],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, tg_channel = telegram
    chats = [str(7100 + n) for n in range(58)]  # two seconds at Telegram's rate
    await announce(sessionmaker, chats, Channel.TELEGRAM, MORNING)
    fake = FakeTime()
    dispatcher = Dispatcher(
        sessionmaker,
        {Channel.TELEGRAM: Timed(tg_channel, fake)},
        CONFIG,
        clock=lambda: MORNING,
        pacer=ChannelPacers.for_config(CONFIG, clock=fake, sleep=fake.sleep),
    )
    claim = dispatcher._claim
    passing_over: list[frozenset[str]] = []

    async def counted(now: datetime, *, urgent_only: bool, busy: frozenset[str]) -> object:
        if busy:
            passing_over.append(busy)
        return await claim(now, urgent_only=urgent_only, busy=busy)

    monkeypatch.setattr(dispatcher, "_claim", counted)
    assert (await dispatcher.run_once()).sent == len(chats)
    # A look past the Telegram backlog for other channels' rows: about once a second.
    assert len(passing_over) <= 4, len(passing_over)


async def test_telegram_out_of_reach_is_tried_once_and_zalo_alerts_go_meanwhile(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """From Vietnam a blocked Telegram fails every send, each after its connect timeout;
    tried row after row, it held the Zalo rows behind it. The first failure leaves the
    Telegram rows for a while (30 s, then 60…), the Zalo ones go out in the same pass, and
    Telegram is tried again once that while is over."""
    tg_chats = [str(7200 + n) for n in range(10)]
    zalo_chats = [f"z{n:03d}" for n in range(5)]
    # The Telegram rows are older: they would be claimed first.
    await announce(sessionmaker, tg_chats, Channel.TELEGRAM, MORNING - timedelta(minutes=5))
    await announce(sessionmaker, zalo_chats, Channel.ZALO, MORNING)
    fake = FakeTime()
    bot = make_bot(TELEGRAM_TOKEN, f"http://127.0.0.1:{free_port()}/bot")  # nobody listens
    with pytest.raises(NetworkError):
        await bot.initialize()
    zalo_stand_in = ZaloStandIn()
    try:
        async with serve(zalo_stand_in.app()) as url, httpx.AsyncClient(timeout=10) as http:
            tg = Timed(TelegramChannel(bot), fake)
            dispatcher = Dispatcher(
                sessionmaker,
                {Channel.ZALO: ZaloChannel(http, url, ZALO_TOKEN), Channel.TELEGRAM: tg},
                CONFIG,
                clock=lambda: MORNING + timedelta(hours=1),  # every row due, retries too
                pacer=ChannelPacers.for_config(CONFIG, clock=fake, sleep=fake.sleep),
            )
            report = await dispatcher.run_once()
            assert len(tg.log) == 1  # one try, not one a row
            assert (report.sent, report.retried) == (len(zalo_chats), 1)
            assert len(zalo_stand_in.texts()) == len(zalo_chats)
            assert (await dispatcher.run_once()).handled == 0  # still left for now
            fake.now += 30
            again = await dispatcher.run_once()
            assert (len(tg.log), again.retried) == (2, 1)  # tried again, still away
            fake.now += 30  # the second while is twice as long
            assert (await dispatcher.run_once()).handled == 0
    finally:
        await bot.shutdown()


async def test_a_zalo_that_cannot_be_reached_is_away_and_a_slow_answer_is_not() -> None:
    stand_in = ZaloStandIn()
    stand_in.slow_chats["z1"] = 1.0
    dead = f"http://127.0.0.1:{free_port()}"
    async with serve(stand_in.app()) as url, httpx.AsyncClient(timeout=0.3) as http:
        with pytest.raises(RetryLaterError) as nobody:
            await ZaloChannel(http, dead, ZALO_TOKEN).send("z1", Reply("…"))
        with pytest.raises(RetryLaterError) as slow:
            await ZaloChannel(http, url, ZALO_TOKEN).send("z1", Reply("…"))
    assert (nobody.value.away, slow.value.away) == (True, False)
