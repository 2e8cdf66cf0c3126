"""Admin sessions end at logout; wrong passwords slow one (account, address) down, in the
database, without locking the account; forwarded addresses count only from our proxies;
every response carries the security headers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from ipaddress import ip_network

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.admin import logins
from bot.admin.addresses import client_address
from bot.admin.sessions import SESSION_COOKIE
from bot.db.engine import create_engine, create_sessionmaker
from bot.settings import Settings, SettingsError, load_settings
from bot.web import create_app
from tests.admin.conftest import PASSWORD, SECRET_KEY, Seeded, csrf, login
from tests.standins import serve

ATTACKER = "203.0.113.5"
CLERK = "198.51.100.7"


@pytest.fixture(autouse=True)
def _uvicorn_believes_no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test server is uvicorn with its defaults, which would rewrite the peer from
    X-Forwarded-For itself (``ocop-bot serve`` turns that off); here the app must decide."""
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "192.0.2.250")


@pytest.fixture
def proxied_settings(database_url: str) -> Settings:
    return load_settings(
        database_url=database_url, ocop_secret_key=SECRET_KEY, ocop_trusted_proxies="127.0.0.1"
    )


@pytest.fixture
async def proxied_url(proxied_settings: Settings, seeded: Seeded) -> AsyncIterator[str]:
    async with serve(create_app(proxied_settings)) as url:
        yield url


async def _try(client: httpx.AsyncClient, password: str, address: str | None) -> httpx.Response:
    token = csrf((await client.get("/admin/login")).text)
    headers = {"X-Forwarded-For": address} if address else {}
    return await client.post(
        "/admin/login",
        data={"username": "tinh51", "password": password, "csrf_token": token},
        headers=headers,
    )


async def test_a_session_cookie_stops_working_at_logout(admin_url: str) -> None:
    browser = await login(admin_url, "tinh51")
    cookie = browser.cookies[SESSION_COOKIE]
    assert (await browser.get("/admin")).status_code == 200
    page = await browser.get("/admin")
    await browser.post("/admin/logout", data={"csrf_token": csrf(page.text)})
    await browser.aclose()
    async with httpx.AsyncClient(base_url=admin_url, cookies={SESSION_COOKIE: cookie}) as copy:
        after = await copy.get("/admin")
        schema = await copy.get("/api/v1/openapi.json")
    assert after.status_code == 303
    assert after.headers["location"].startswith("/admin/login")
    assert schema.status_code == 401


async def test_the_right_password_from_a_new_address_logs_in_after_5_failures_from_another(
    proxied_url: str,
) -> None:
    async with httpx.AsyncClient(base_url=proxied_url) as attacker:
        wrong = [(await _try(attacker, f"sai{n}", ATTACKER)).status_code for n in range(5)]
        held = await _try(attacker, PASSWORD, ATTACKER)
    assert wrong == [401] * 5
    assert held.status_code == 429  # this pair waits, even with the right password
    assert int(held.headers["retry-after"]) >= 1
    assert "thử lại sau" in held.text
    async with httpx.AsyncClient(base_url=proxied_url) as clerk:
        right = await _try(clerk, PASSWORD, CLERK)
    assert right.status_code == 303
    assert SESSION_COOKIE in right.cookies


async def test_the_count_survives_a_restart_of_the_web_app(
    proxied_settings: Settings, seeded: Seeded
) -> None:
    async with serve(create_app(proxied_settings)) as url, httpx.AsyncClient(base_url=url) as c:
        for n in range(5):
            assert (await _try(c, f"sai{n}", ATTACKER)).status_code == 401
    async with serve(create_app(proxied_settings)) as url, httpx.AsyncClient(base_url=url) as c:
        held = await _try(c, PASSWORD + "x", ATTACKER)
        if held.status_code == 429:  # the restart took less than the wait
            await asyncio.sleep(float(held.headers["retry-after"]))
            held = await _try(c, PASSWORD + "x", ATTACKER)
        assert held.status_code == 401  # the sixth wrong password, counted as such
        again = await _try(c, PASSWORD, ATTACKER)
        assert again.status_code == 429
        assert int(again.headers["retry-after"]) == 2  # longer than after the fifth


async def test_forwarded_addresses_count_only_from_a_trusted_proxy(admin_url: str) -> None:
    async with httpx.AsyncClient(base_url=admin_url) as client:
        for n in range(5):  # a new made-up address each time: all are the one peer
            assert (await _try(client, f"sai{n}", f"192.0.2.{n + 1}")).status_code == 401
        assert (await _try(client, PASSWORD, CLERK)).status_code == 429


async def test_waits_grow_per_account_and_address_and_hold_across_processes(
    database_url: str, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    other_process = create_engine(database_url)
    elsewhere = create_sessionmaker(other_process)
    now = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    answers: list[int | None] = []
    try:
        for attempt in range(14):
            # Alternate between two "processes": the count is the database's.
            maker = sessionmaker if attempt % 2 else elsewhere
            async with maker() as session, session.begin():
                wait = await logins.begin_attempt(
                    session, username="tinh51", address=ATTACKER, now=now
                )
            answers.append(None if wait is None else int(wait.total_seconds()))
            now += wait or timedelta(0)
        async with sessionmaker() as session, session.begin():
            other_pair = await logins.begin_attempt(
                session, username="tinh51", address=CLERK, now=now
            )
    finally:
        await other_process.dispose()
    # Five tries at once; then each wrong one doubles the wait; nothing ever locks.
    assert answers == [None] * 5 + [1, None, 2, None, 4, None, 8, None, 16]
    assert other_pair is None
    assert logins.delay_after(100) == logins.MAX_DELAY


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("127.0.0.1", None, "127.0.0.1"),
        ("127.0.0.1", "203.0.113.5", "203.0.113.5"),
        ("198.51.100.9", "203.0.113.5", "198.51.100.9"),  # not our proxy: header ignored
        ("127.0.0.1", "1.1.1.1, 203.0.113.5", "203.0.113.5"),  # the client's own claim ignored
        ("127.0.0.1", "203.0.113.5, 10.0.0.2", "203.0.113.5"),  # through two of our proxies
        ("127.0.0.1", "junk, 203.0.113.5", "203.0.113.5"),
        ("127.0.0.1", "203.0.113.5, junk", "127.0.0.1"),
        (None, None, "unknown"),
    ],
)
def test_which_forwarded_address_is_believed(
    peer: str | None, forwarded: str | None, expected: str
) -> None:
    proxies = (ip_network("127.0.0.1"), ip_network("10.0.0.0/8"))
    assert client_address(peer, forwarded, proxies) == expected


def test_trusted_proxies_setting_is_checked() -> None:
    assert load_settings(ocop_trusted_proxies="127.0.0.1, 10.0.0.0/8").trusted_proxies == (
        ip_network("127.0.0.1"),
        ip_network("10.0.0.0/8"),
    )
    with pytest.raises(SettingsError, match="OCOP_TRUSTED_PROXIES"):
        load_settings(ocop_trusted_proxies="proxy.local")


SECURITY_HEADERS = {
    "content-security-policy": "frame-ancestors 'none'",
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "cache-control": "no-store",
}


async def test_admin_pages_and_api_responses_carry_the_security_headers(admin_url: str) -> None:
    browser = await login(admin_url, "tinh51")
    responses = [
        await browser.get("/admin/login"),
        await browser.get("/admin"),
        await browser.get("/admin/dossiers"),
        await browser.get("/api/v1/dossiers"),  # 401 without a token
        await browser.get("/api/v1/openapi.json"),
    ]
    await browser.aclose()
    for response in responses:
        for name, value in SECURITY_HEADERS.items():
            assert value in response.headers.get(name, ""), (response.url, name)
        assert "strict-transport-security" not in response.headers  # plain http here


async def test_hsts_is_sent_when_the_public_address_is_https(
    database_url: str, seeded: Seeded
) -> None:
    settings = load_settings(
        database_url=database_url,
        ocop_secret_key=SECRET_KEY,
        public_base_url="https://ocop.example.vn",
    )
    async with serve(create_app(settings)) as url, httpx.AsyncClient(base_url=url) as client:
        responses = [await client.get("/admin/login"), await client.get("/api/v1/dossiers")]
    for response in responses:
        assert "max-age=" in response.headers["strict-transport-security"]
        assert response.headers["x-content-type-options"] == "nosniff"
