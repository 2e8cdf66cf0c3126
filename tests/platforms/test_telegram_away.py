"""Telegram out of reach when a process starts (it is blocked in Vietnam without a proxy):
the processes that serve Zalo start and serve it all the same — the poller and the alerts
worker, as the web app did already. Before, ``getMe`` failing stopped both at start-up,
and with them Zalo's updates and every alert."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Certificate, Product, Subject
from bot.messages import Channel
from ocop_rules import certificate_expiry
from tests.standins import (
    REPO,
    TELEGRAM_TOKEN,
    ZALO_TOKEN,
    ZaloStandIn,
    free_port,
    zalo_text,
)
from tests.test_alerts import person


def _environment(database_url: str, zalo_url: str) -> dict[str, str]:
    """Both platforms configured; Telegram's Bot API at a loopback port nobody listens on."""
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OCOP_", "DATABASE_URL", "TELEGRAM_", "ZALO_"))
    }
    return {
        **base,
        "PYTHONPATH": str(REPO),
        "DATABASE_URL": database_url,
        "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
        "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{free_port()}/bot",
        "ZALO_BOT_TOKEN": ZALO_TOKEN,
        "ZALO_API_BASE_URL": zalo_url,
    }


async def test_the_poller_answers_zalo_while_telegram_is_out_of_reach(
    database_url: str, zalo_api: tuple[ZaloStandIn, str]
) -> None:
    stand_in, url = zalo_api
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "poll",
        env=_environment(database_url, url),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await stand_in.updates.put(zalo_text("zl-601", "xin chao"))
        await stand_in.wait_for_text("trợ lý tự động", within=60)
    finally:
        process.terminate()
        _, err = await process.communicate()
    assert any("trợ lý tự động" in text for text in stand_in.texts("zl-601"))
    assert "Telegram Bot API unreachable at start-up" in err.decode()


async def test_alerts_reach_zalo_while_telegram_is_out_of_reach(
    database_url: str,
    sessionmaker: async_sessionmaker[AsyncSession],
    zalo_api: tuple[ZaloStandIn, str],
) -> None:
    stand_in, url = zalo_api
    issued_on = date(2024, 3, 1)
    async with sessionmaker.begin() as session:
        owner = await person(session, "Nguoi Zalo", "zl-602", Channel.ZALO)
        subject = Subject(
            owner_person_id=owner.id, subject_type="cooperative", name="HTX", commune_code="23356"
        )
        session.add(subject)
        await session.flush()
        product = Product(subject_id=subject.id, name="Mat ong rung", group_code="food")
        session.add(product)
        await session.flush()
        session.add(
            Certificate(
                product_id=product.id,
                stars=3,
                issuing_level="province",
                issuing_authority="UBND tỉnh Quảng Ngãi",
                issued_on=issued_on,
                expires_on=certificate_expiry(issued_on),
            )
        )
    opens = certificate_expiry(issued_on) - timedelta(days=180)  # the filing window opens
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "alerts",
        "run-once",
        "--now",
        f"{opens.isoformat()}T09:00+07:00",
        env=_environment(database_url, url),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, err.decode()
    assert out.decode().startswith("planned 1, sent 1"), out.decode()
    (alert,) = stand_in.texts("zl-602")
    assert "Mat ong rung" in alert
