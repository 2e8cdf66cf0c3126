"""Alerts: the daily sweep over many certificates, and dispatch against a rate-limited API.

1. Seeds ``--certificates`` certificates (issue dates spread evenly over the last six years,
   so some expired, most valid), then times one daily sweep (the watermark at yesterday, as
   in production) and reports the alerts it found. The target is under 2 s for 1,000,000
   certificates on PostgreSQL.
2. Queues ``--alerts`` alerts for as many Telegram chats and dispatches them through the real
   python-telegram-bot code to a local Bot API stand-in that answers 429 above 30 messages
   per second. Reports the achieved rate (target ≥ 28 msg/s), the 429s received and the
   duplicates (target 0).

    python bench/alerts.py                       # 1,000,000 certificates, 10,000 alerts
    python bench/alerts.py --database-url postgresql+asyncpg://postgres@127.0.0.1/test
    python bench/alerts.py --short               # for CI: 20,000 and 150
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

REPO = Path(__file__).parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import delete, func, insert, select  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncEngine  # noqa: E402

from bot.alerts.dispatch import Dispatcher  # noqa: E402
from bot.alerts.sweep import sweep  # noqa: E402
from bot.alerts.timing import AlertConfig, QuietHours  # noqa: E402
from bot.channels.telegram import TelegramChannel, make_bot  # noqa: E402
from bot.db import schema  # noqa: E402
from bot.db.engine import create_engine, create_sessionmaker  # noqa: E402
from bot.db.models import (  # noqa: E402
    AlertSweep,
    Certificate,
    ChannelAccount,
    OutboxMessage,
    Person,
    Product,
    Subject,
)
from bot.messages import Channel  # noqa: E402
from ocop_rules import certificate_expiry  # noqa: E402
from tests.standins import TELEGRAM_TOKEN, TelegramStandIn, serve  # noqa: E402

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
CHUNK = 20_000
PEOPLE = 10_000


async def _bulk(database: AsyncEngine, table: Any, rows: list[dict[str, Any]]) -> None:
    async with database.begin() as connection:
        for start in range(0, len(rows), CHUNK):
            await connection.execute(insert(table), rows[start : start + CHUNK])


async def seed(database: AsyncEngine, certificates: int, today: date) -> None:
    """People with Telegram accounts, their subjects, and one certificate per product."""
    now = datetime.now(UTC)
    await _bulk(
        database,
        Person.__table__,
        [
            {"id": n, "full_name": f"P{n}", "language": "vi", "role": "producer", "created_at": now}
            for n in range(1, PEOPLE + 1)
        ],
    )
    await _bulk(
        database,
        ChannelAccount.__table__,
        [
            {
                "person_id": n,
                "channel": "telegram",
                "external_id": str(n),
                "chat_id": str(n),
                "reachable": True,
                "created_at": now,
            }
            for n in range(1, PEOPLE + 1)
        ],
    )
    await _bulk(
        database,
        Subject.__table__,
        [
            {
                "id": n,
                "owner_person_id": n,
                "subject_type": "cooperative",
                "name": f"HTX {n}",
                "commune_code": "23356",
                "created_at": now,
            }
            for n in range(1, PEOPLE + 1)
        ],
    )
    rng = random.Random(7)
    span = 6 * 365
    products, certs = [], []
    for n in range(1, certificates + 1):
        products.append(
            {
                "id": n,
                "subject_id": 1 + n % PEOPLE,
                "name": f"San pham {n}",
                "group_code": "food",
                "papers_held": [],
                "idea_answers": {},
                "created_at": now,
            }
        )
        issued = today - timedelta(days=rng.randrange(span))
        certs.append(
            {
                "product_id": n,
                "stars": 3 + n % 3,
                "issuing_level": "province",
                "issuing_authority": "UBND tỉnh",
                "issued_on": issued,
                "expires_on": certificate_expiry(issued),
                "status": "valid",
                "created_at": now,
            }
        )
        if len(products) == CHUNK:
            await _bulk(database, Product.__table__, products)
            await _bulk(database, Certificate.__table__, certs)
            products, certs = [], []
    if products:
        await _bulk(database, Product.__table__, products)
        await _bulk(database, Certificate.__table__, certs)


async def time_sweep(database: AsyncEngine, today: date) -> dict[str, float]:
    """One daily sweep with the watermark at yesterday."""
    sessions = create_sessionmaker(database)
    now = datetime.combine(today, datetime.min.time(), TZ).replace(hour=6)
    config = AlertConfig(timezone=TZ)
    async with sessions() as session, session.begin():
        session.add(AlertSweep(id=1, swept_through=today - timedelta(days=1), swept_at=now))
    started = time.perf_counter()
    async with sessions() as session, session.begin():
        report = await sweep(session, now, config)
    elapsed = time.perf_counter() - started
    started = time.perf_counter()
    async with sessions() as session, session.begin():
        again = await sweep(session, now, config)
    repeat = time.perf_counter() - started
    async with sessions() as session, session.begin():
        await session.execute(delete(OutboxMessage))
    return {
        "sweep_s": elapsed,
        "alerts_found": float(report.planned),
        "repeat_sweep_s": repeat,
        "repeat_found": float(again.planned),
    }


async def time_dispatch(database: AsyncEngine, alerts: int) -> dict[str, float]:
    """Dispatch ``alerts`` queued alerts (one per chat) to a stand-in capped at 30 msg/s."""
    now = datetime.now(UTC)
    sessions = create_sessionmaker(database)
    people = list(range(1, min(alerts, PEOPLE) + 1))
    rows = [
        {
            "dedupe_key": f"bench:{n}",
            "recipient_person_id": people[n % len(people)],
            "kind": "submitted_to_province",
            "payload": {"dossier_id": n, "product": f"SP {n}"},
            "due_at": now - timedelta(minutes=1),
            "state": "pending",
            "attempts": 0,
            "created_at": now,
        }
        for n in range(alerts)
    ]
    await _bulk(database, OutboxMessage.__table__, rows)
    stand_in = TelegramStandIn(max_per_second=30)
    async with serve(stand_in.app()) as url:
        bot = make_bot(TELEGRAM_TOKEN, f"{url}/bot")
        await bot.initialize()
        try:
            quiet_free = AlertConfig(timezone=TZ, quiet=QuietHours.parse("00:00-00:00"))
            dispatcher = Dispatcher(sessions, {Channel.TELEGRAM: TelegramChannel(bot)}, quiet_free)
            started = time.perf_counter()
            report = await dispatcher.run_once()
            elapsed = time.perf_counter() - started
        finally:
            await bot.shutdown()
    delivered = Counter(str(c.params.get("text")) for c in stand_in.sent())
    async with sessions() as session:
        unsent = await session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.state != "sent")
        )
    return {
        "dispatched": float(report.sent),
        "dispatch_msg_per_s": report.sent / elapsed,
        "http_429_received": float(stand_in.too_many),
        "duplicates": float(sum(count - 1 for count in delivered.values() if count > 1)),
        "not_sent": float(unsent or 0),
    }


async def run(database_url: str, certificates: int, alerts: int) -> dict[str, float]:
    """Seed, sweep, dispatch; return the measurements."""
    database = create_engine(database_url)
    try:
        await schema.upgrade(database)
        today = datetime.now(TZ).date()
        started = time.perf_counter()
        await seed(database, certificates, today)
        result = {"certificates": float(certificates), "seed_s": time.perf_counter() - started}
        result.update(await time_sweep(database, today))
        result.update(await time_dispatch(database, alerts))
        return result
    finally:
        await database.dispose()


def main() -> int:
    """Parse arguments, run, print one line per measurement with its ratio to the target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--certificates", type=int, default=1_000_000)
    parser.add_argument("--alerts", type=int, default=10_000)
    parser.add_argument(
        "--database-url", default=None, help="an EMPTY database (default: a fresh SQLite file)"
    )
    parser.add_argument("--short", action="store_true", help="small sizes, for CI")
    args = parser.parse_args()
    if args.short:
        args.certificates, args.alerts = 20_000, 150
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite+aiosqlite:///{folder}/alerts-bench.db"
        result = asyncio.run(run(url, args.certificates, args.alerts))
    targets = {"sweep_s": ("≤", 2.0), "dispatch_msg_per_s": ("≥", 28.0), "duplicates": ("≤", 0.0)}
    for key, value in result.items():
        extra = ""
        if key in targets:
            sign, target = targets[key]
            ratio = f", ratio {value / target:.2f}" if target else ""
            extra = f"  (target {sign} {target:g}{ratio})"
        print(f"{key}: {value:.3f}{extra}")
    return 1 if result["duplicates"] or result["not_sent"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
