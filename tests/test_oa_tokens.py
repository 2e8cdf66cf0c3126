"""The Zalo OA's token pair: sealed at rest, refreshed under a row lock so that two
processes never spend the single-use refresh token twice, and a failed refresh that leaves
the old pair usable and shows in ``ocop-bot doctor``."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.engine import create_engine, create_sessionmaker
from bot.db.models import ZaloOAToken
from bot.oa_tokens import SealError, SecretBox, TokenError
from tests.admin.conftest import SECRET_KEY
from tests.builders import Clock
from tests.platforms.test_zalo_oa import token_store
from tests.standins import (
    OA_APP_ID,
    OA_APP_SECRET,
    OA_BAD_REFRESH,
    OA_ID,
    OA_NAME,
    REPO,
    ZaloOAStandIn,
    serve,
)
from tests.test_cli import run_cli

START = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
async def oauth() -> AsyncIterator[tuple[ZaloOAStandIn, str]]:
    stand_in = ZaloOAStandIn()
    async with serve(stand_in.app()) as url:
        yield stand_in, url


async def granted(
    stand_in: ZaloOAStandIn, sessionmaker: async_sessionmaker[AsyncSession], url: str, at: Clock
) -> str:
    access, refresh = stand_in.grant("first")
    async with httpx.AsyncClient() as http:
        await token_store(sessionmaker, http, url, at).grant(
            access_token=access, refresh_token=refresh, expires_in="90000"
        )
    return access


def test_sealed_values_open_only_under_their_key_and_unaltered() -> None:
    box = SecretBox(SECRET_KEY.encode())
    sealed = box.seal("access-token-ẞ")
    assert "access-token" not in sealed
    assert box.seal("access-token-ẞ") != sealed  # a fresh nonce each time
    assert box.open(sealed) == "access-token-ẞ"
    tampered = sealed[:-6] + ("A" if sealed[-6] != "A" else "B") + sealed[-5:]
    with pytest.raises(SealError):
        box.open(tampered)
    with pytest.raises(SealError):
        SecretBox(b"another-key-of-32-characters....").open(sealed)


async def test_tokens_are_stored_sealed(
    oauth: tuple[ZaloOAStandIn, str], sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    stand_in, url = oauth
    access = await granted(stand_in, sessionmaker, url, Clock(START))
    async with sessionmaker() as session:
        row = await session.scalar(select(ZaloOAToken))
    assert row is not None
    assert access not in row.access_token
    assert "refresh-first" not in row.refresh_token


async def test_two_processes_refreshing_at_once_spend_the_refresh_token_once(
    oauth: tuple[ZaloOAStandIn, str],
    database_url: str,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    stand_in, url = oauth
    await granted(stand_in, sessionmaker, url, Clock(START))
    stand_in.refresh_latency = 0.3  # both are waiting on Zalo at the same moment
    late = Clock(START + timedelta(hours=24, minutes=50))  # inside the refresh margin
    engines = [create_engine(database_url), create_engine(database_url)]  # two pools
    try:
        async with httpx.AsyncClient() as first, httpx.AsyncClient() as second:
            stores = [
                token_store(create_sessionmaker(engine), http, url, late)
                for engine, http in zip(engines, (first, second), strict=True)
            ]
            tokens = await asyncio.gather(*(s.current() for s in stores))
    finally:
        for engine in engines:
            await engine.dispose()
    assert stand_in.refreshes == ["refresh-first"]  # spent once
    assert stand_in.refused_refreshes == 0
    assert tokens == ["access-r1", "access-r1"]
    async with sessionmaker() as session:
        row = await session.scalar(select(ZaloOAToken))
    assert row is not None
    box = SecretBox(SECRET_KEY.encode())
    assert (box.open(row.access_token), box.open(row.refresh_token)) == ("access-r1", "refresh-r1")
    assert row.access_expires_at == late() + timedelta(seconds=90000)


async def test_two_doctor_processes_due_to_refresh_at_once_spend_the_refresh_token_once(
    oauth: tuple[ZaloOAStandIn, str],
    database_url: str,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """The same race with two operating-system processes: two ``ocop-bot doctor`` runs
    started together, each with its own interpreter and connections, both finding the token
    inside its refresh margin while Zalo takes 3 s over the first refresh."""
    stand_in, url = oauth
    # granted 24 h 50 min ago for 25 h: 10 minutes left, inside the 30-minute margin
    ago = Clock(datetime.now(UTC) - timedelta(hours=24, minutes=50))
    await granted(stand_in, sessionmaker, url, ago)
    stand_in.refresh_latency = 3.0  # the second process starts while the first waits on Zalo
    results = await asyncio.gather(doctor(database_url, url), doctor(database_url, url))
    for result in results:
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"zalo oa: {OA_NAME}" in result.stdout
    assert stand_in.refreshes == ["refresh-first"]  # spent once, by one of the two
    assert stand_in.refused_refreshes == 0
    async with sessionmaker() as session:
        row = await session.scalar(select(ZaloOAToken))
    assert row is not None
    assert SecretBox(SECRET_KEY.encode()).open(row.refresh_token) == "refresh-r1"


async def test_a_token_refused_by_zalo_is_renewed_once_for_both_callers(
    oauth: tuple[ZaloOAStandIn, str], sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    stand_in, url = oauth
    stale = await granted(stand_in, sessionmaker, url, Clock(START))
    async with httpx.AsyncClient() as http:
        tokens = token_store(sessionmaker, http, url, Clock(START + timedelta(hours=1)))
        assert await tokens.renewed(stale) == "access-r1"
        assert await tokens.renewed(stale) == "access-r1"  # a late caller takes the new one
    assert stand_in.refreshes == ["refresh-first"]


async def test_a_failed_refresh_keeps_the_old_pair_and_doctor_reports_it(
    oauth: tuple[ZaloOAStandIn, str],
    database_url: str,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    stand_in, url = oauth
    now = datetime.now(UTC).replace(microsecond=0)
    old = await granted(stand_in, sessionmaker, url, Clock(now))
    stand_in.fail_refresh = True
    async with httpx.AsyncClient() as http:
        soon = Clock(now + timedelta(hours=24, minutes=50))  # refresh due, old still valid
        tokens = token_store(sessionmaker, http, url, soon)
        assert await tokens.current() == old  # still usable until it expires
        with pytest.raises(TokenError):
            await tokens.renewed(old)
    async with sessionmaker() as session:
        row = await session.scalar(select(ZaloOAToken))
    assert row is not None
    box = SecretBox(SECRET_KEY.encode())
    assert (box.open(row.access_token), box.open(row.refresh_token)) == (old, "refresh-first")
    assert row.refresh_error is not None
    assert "refused" in row.refresh_error
    result = await doctor(database_url, url)
    assert "zalo oa: configured" in result.stdout
    assert f"zalo oa: {OA_NAME}" in result.stdout  # Zalo still takes the old token
    assert "zalo oa token: access valid until" in result.stdout
    assert "problem: Zalo OA token refresh failed at" in result.stdout
    assert OA_APP_SECRET not in result.stdout
    assert result.returncode == 1


async def doctor(database_url: str, url: str) -> subprocess.CompletedProcess[str]:
    """``ocop-bot doctor`` with the OA pointed at its stand-in at ``url`` (run in a thread,
    so the stand-in in this event loop answers it)."""
    return await asyncio.to_thread(
        run_cli,
        "doctor",
        DATABASE_URL=database_url,
        OCOP_SECRET_KEY=SECRET_KEY,
        ZALO_OA_ID=OA_ID,
        ZALO_OA_APP_ID=OA_APP_ID,
        ZALO_OA_APP_SECRET=OA_APP_SECRET,
        ZALO_OA_SECRET_KEY="oa-webhook-secret-key",
        ZALO_OA_API_BASE_URL=url,
        ZALO_OA_OAUTH_BASE_URL=url,
    )


async def test_doctor_shows_the_token_to_zalo_and_renews_an_expired_one_once(
    oauth: tuple[ZaloOAStandIn, str],
    database_url: str,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    stand_in, url = oauth
    access = await granted(stand_in, sessionmaker, url, Clock(datetime.now(UTC)))
    stand_in.expire(access)  # Zalo answers -220 although the stored date is ahead
    result = await doctor(database_url, url)
    assert f"zalo oa: {OA_NAME}" in result.stdout, result.stdout + result.stderr
    assert "problem:" not in result.stdout
    assert result.returncode == 0
    assert stand_in.refreshes == ["refresh-first"]  # renewed once, and kept
    async with sessionmaker() as session:
        row = await session.scalar(select(ZaloOAToken))
    assert row is not None
    assert SecretBox(SECRET_KEY.encode()).open(row.access_token) == "access-r1"


async def test_doctor_reports_a_token_zalo_refuses_in_one_line(
    oauth: tuple[ZaloOAStandIn, str],
    database_url: str,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    stand_in, url = oauth
    access = await granted(stand_in, sessionmaker, url, Clock(datetime.now(UTC)))
    del stand_in.live_access[access]  # revoked at Zalo: -216, though not expired here
    stand_in.fail_refresh = True  # and the renewal is refused too
    result = await doctor(database_url, url)
    problems = [line for line in result.stdout.splitlines() if line.startswith("problem:")]
    assert problems == [
        "problem: Zalo OA token refused by Zalo: refresh refused: "
        f"{OA_BAD_REFRESH} Invalid refresh token; grant access again from the admin page"
    ]
    assert result.returncode == 1
    assert stand_in.refused_refreshes == 1  # renewed once, not more


async def test_doctor_says_when_no_oa_token_was_granted(database_url: str) -> None:
    result = run_cli(
        "doctor",
        DATABASE_URL=database_url,
        OCOP_SECRET_KEY=SECRET_KEY,
        ZALO_OA_ID=OA_ID,
        ZALO_OA_APP_ID=OA_APP_ID,
        ZALO_OA_APP_SECRET=OA_APP_SECRET,
        ZALO_OA_SECRET_KEY="oa-webhook-secret-key",
    )
    assert "zalo oa token: none granted" in result.stdout
    assert result.returncode == 1


def grant_from_stdin(env: dict[str, str], lines: str) -> subprocess.CompletedProcess[str]:
    """``ocop-bot zalo-oa grant`` with ``lines`` on its standard input."""
    return subprocess.run(
        [sys.executable, "-m", "bot", "zalo-oa", "grant"],
        input=lines,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


async def test_an_operator_keeps_the_first_pair_from_standard_input(
    database_url: str, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OCOP_", "DATABASE_URL"))}
    env.update(
        PYTHONPATH=str(REPO),
        DATABASE_URL=database_url,
        OCOP_SECRET_KEY=SECRET_KEY,
        ZALO_OA_ID=OA_ID,
        ZALO_OA_APP_ID=OA_APP_ID,
        ZALO_OA_APP_SECRET=OA_APP_SECRET,
        ZALO_OA_SECRET_KEY="oa-webhook-secret-key",
    )
    result = grant_from_stdin(env, "access-from-console\nrefresh-from-console\n90000\n")
    assert result.returncode == 0, result.stderr
    assert "access-from-console" not in result.stdout
    async with sessionmaker() as session:
        row = await session.scalar(select(ZaloOAToken))
    assert row is not None
    box = SecretBox(SECRET_KEY.encode())
    assert box.open(row.access_token) == "access-from-console"
    assert box.open(row.refresh_token) == "refresh-from-console"
