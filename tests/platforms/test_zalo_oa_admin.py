"""The Zalo OA's admin pages through the real web app and the OA's stand-in: province staff
map an alert kind to an approved template (Zalo's limits checked on save, CSRF as every
form), the alerts then go out as that template and the page counts them with the quota
Zalo reported; the first grant runs OAuth v4 with PKCE and shows the token and the OA's
name."""

from __future__ import annotations

import html
import os
import re
import shutil
from collections.abc import AsyncIterator
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.async_api import async_playwright, expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import oa_templates
from bot.alerts.dispatch import Dispatcher, Pacer
from bot.channels.zalo import ZaloChannel
from bot.channels.zalo_oa import Template, ZaloOAChannel
from bot.db.models import OATemplate, OATemplateSend, OutboxMessage, ZaloOAToken
from bot.messages import Channel
from bot.oa_delivery import AlertRoutes, Route, record_receipt, tracking_id
from bot.oa_tokens import SecretBox, TokenError
from bot.settings import Settings
from tests.admin.conftest import PASSWORD, SECRET_KEY, Seeded, csrf, login, seeded
from tests.admin.test_audit import found_in_audit
from tests.admin.test_browser import ARTIFACTS
from tests.platforms.test_zalo_oa import oa_api, token_store
from tests.standins import (
    OA_APP_ID,
    OA_DAILY_QUOTA,
    OA_NAME,
    ZALO_TOKEN,
    TelegramStandIn,
    ZaloOAStandIn,
    ZaloStandIn,
    oa_settings,
)
from tests.test_alerts import FAST, Clock
from tests.test_oa_delivery import NOW, farmer, reminder

__all__ = ["oa_api", "seeded"]  # fixtures, found by name

TITLE = "Nhắc đánh giá lại <ten_san_pham>"
PARAGRAPH = "Giấy chứng nhận <hang_sao> sao hết hạn ngày <ngay_het_han>."
PARAMS = "ten_san_pham = product\nhang_sao = stars\nngay_het_han = expires_on"
EXPECTED_PARAMS = {"ten_san_pham": "product", "hang_sao": "stars", "ngay_het_han": "expires_on"}
GOOD = {
    "kind": "cert_expiry",
    "template_id": "301299",
    "title": TITLE,
    "paragraph1": PARAGRAPH,
    "params": PARAMS,
}


@pytest.fixture
def settings(
    database_url: str,
    telegram_api: tuple[TelegramStandIn, str],
    zalo_api: tuple[ZaloStandIn, str],
    oa_api: tuple[ZaloOAStandIn, str],
) -> Settings:
    return oa_settings(
        database_url,
        telegram_api[1],
        zalo_api[1],
        oa_api[1],
        ocop_secret_key=SECRET_KEY,
        ocop_alerts=False,  # the test runs the dispatcher itself
    )


@pytest.fixture
async def clerk(app_url: str, seeded: Seeded) -> AsyncIterator[httpx.AsyncClient]:
    """Province staff (tỉnh 51), signed in."""
    client = await login(app_url, "tinh51")
    try:
        yield client
    finally:
        await client.aclose()


async def post_form(client: httpx.AsyncClient, path: str, data: dict[str, str]) -> httpx.Response:
    page = await client.get("/admin/zalo-oa")
    return await client.post(path, data={**data, "csrf_token": csrf(page.text)})


async def mapped(sessionmaker: async_sessionmaker[AsyncSession]) -> list[OATemplate]:
    async with sessionmaker() as session:
        return list(await session.scalars(select(OATemplate)))


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"title": "Nhắc <a>"}, "Tiêu đề cần từ 9 đến 65"),
        ({"title": "x" * 66}, "Tiêu đề cần từ 9 đến 65"),
        (
            {
                "title": "Tin <a> <b> <c> <d> <e>",
                "params": "a = product\nb = stars\nc = stars\nd = stars\ne = stars",
            },
            "Tiêu đề có tối đa 4 tham số",
        ),
        ({"paragraph2": "Ngắn"}, "Đoạn 2 cần từ 9 đến 400"),
        ({"paragraph2": "y" * 401}, "Đoạn 2 cần từ 9 đến 400"),
        (
            {f"paragraph{n}": "Đoạn văn đủ dài." for n in range(2, 6)},
            "Tối đa 4 đoạn (đang có 5)",
        ),
        (
            {
                "paragraph2": " ".join(f"<p{n}>" for n in range(8)),
                "params": PARAMS + "".join(f"\np{n} = product" for n in range(8)),
            },
            "Mẫu có tối đa 10 tham số (đang có 11)",
        ),
        ({"params": "ten_san_pham = product"}, "Chưa nói dữ kiện nào điền vào: <hang_sao>"),
        ({"params": PARAMS + "\nthua = product"}, "không có trong tiêu đề hay đoạn nào: thua"),
        ({"params": "ten_san_pham product"}, "cần dạng tham_so = du_kien"),
        ({"template_id": "301 299"}, "Mã mẫu (template_id) là chữ và số"),
        ({"kind": "link_code"}, "Loại thông báo không có trong danh sách"),
    ],
)
async def test_a_template_beyond_zalos_limits_is_refused_and_nothing_kept(
    clerk: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    change: dict[str, str],
    complaint: str,
) -> None:
    response = await post_form(clerk, "/admin/zalo-oa/templates", {**GOOD, **change})
    assert response.status_code == 303
    page = await clerk.get(response.headers["location"])
    assert complaint in html.unescape(page.text)
    assert await mapped(sessionmaker) == []


async def test_only_province_staff_with_the_forms_token_map_templates(
    app_url: str, clerk: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    forged = await clerk.post("/admin/zalo-oa/templates", data={**GOOD, "csrf_token": "x"})
    assert forged.status_code == 403
    commune = await login(app_url, "xaxop")
    try:
        assert (await commune.get("/admin/zalo-oa")).status_code == 403
        page = await commune.get("/admin/rounds")
        refused = await commune.post(
            "/admin/zalo-oa/templates", data={**GOOD, "csrf_token": csrf(page.text)}
        )
        assert refused.status_code == 303
        told = await commune.get(refused.headers["location"])
        assert "Chỉ cán bộ cấp tỉnh quản lý Zalo OA" in told.text
    finally:
        await commune.aclose()
    assert await mapped(sessionmaker) == []


async def dispatch_reminders(
    sessionmaker: async_sessionmaker[AsyncSession], oa: ZaloOAStandIn, oa_url: str, bot_url: str
) -> list[OutboxMessage]:
    """Run the alert dispatcher with no ZALO_OA_TEMPLATES setting: the page's mapping only."""
    access, refresh = oa.grant("first")
    async with httpx.AsyncClient() as http:
        tokens = token_store(sessionmaker, http, oa_url, Clock(NOW))
        await tokens.grant(access_token=access, refresh_token=refresh, expires_in="90000")
        channel = ZaloOAChannel(http, oa_url, tokens, template_base_url=oa_url)
        senders = {Channel.ZALO_OA: channel, Channel.ZALO: ZaloChannel(http, bot_url, ZALO_TOKEN)}
        dispatcher = Dispatcher(
            sessionmaker,
            senders,  # type: ignore[arg-type]
            FAST,
            clock=Clock(NOW),
            pacer=Pacer(rate=10_000, per_chat=0),
            routes=AlertRoutes(channel, {}),
        )
        await dispatcher.run_once()
    async with sessionmaker() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def test_a_mapped_template_carries_the_alerts_and_the_page_counts_them_with_the_quota(
    clerk: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    oa_api: tuple[ZaloOAStandIn, str],
    zalo_api: tuple[ZaloStandIn, str],
) -> None:
    oa, oa_url = oa_api
    saved = await post_form(clerk, "/admin/zalo-oa/templates", GOOD)
    assert "notice=" in saved.headers["location"]
    (row,) = await mapped(sessionmaker)
    assert (row.kind, row.template_id, row.title) == ("cert_expiry", "301299", TITLE)
    assert row.params == EXPECTED_PARAMS
    assert row.updated_by

    oa.template_refusals["84912000002"] = -124  # this phone has no Zalo account
    async with sessionmaker() as session, session.begin():
        for number, chat in ((1, "z-1"), (2, "z-2"), (3, "z-3")):
            person = await farmer(
                session, accounts={Channel.ZALO: chat}, phone=f"+8491200000{number}"
            )
            await reminder(session, person)
    first, refused, third = await dispatch_reminders(sessionmaker, oa, oa_url, zalo_api[1])
    assert [r.route for r in (first, refused, third)] == [
        Route.OA_TEMPLATE,
        Route.ZALO_BOT,  # the refused template fell back to the chat
        Route.OA_TEMPLATE,
    ]
    assert [t["template_id"] for t in oa.templates] == ["301299", "301299"]
    assert oa.templates[0]["template_data"]["ngay_het_han"] == "29/07/2027"
    assert await record_receipt(sessionmaker, tracking=tracking_id(first.id), at=NOW)

    page = await clerk.get("/admin/zalo-oa")
    cells = re.search(
        r'data-kind="cert_expiry">.*?class="sent">(\d+)<.*?class="delivered">(\d+)<'
        r'.*?class="failed">(\d+)<',
        page.text,
        re.S,
    )
    assert cells is not None
    assert cells.groups() == ("2", "1", "1")
    quota = re.search(r'id="quota">(\d+)</strong> / (\d+)', page.text)
    assert quota is not None
    assert quota.groups() == (str(OA_DAILY_QUOTA - 2), str(OA_DAILY_QUOTA))
    async with sessionmaker() as session:
        codes = [s.error_code for s in await session.scalars(select(OATemplateSend))]
    assert sorted(codes, key=str) == sorted([None, -124, None], key=str)

    removed = await post_form(clerk, "/admin/zalo-oa/templates/cert_expiry/remove", {})
    assert "notice=" in removed.headers["location"]
    assert await mapped(sessionmaker) == []


async def test_the_first_grant_runs_oauth_with_pkce_and_shows_the_token_and_the_oas_name(
    clerk: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    oa_api: tuple[ZaloOAStandIn, str],
) -> None:
    oa, oa_url = oa_api
    before = await clerk.get("/admin/zalo-oa")
    assert "OA chưa được cấp quyền" in before.text
    start = await clerk.post("/admin/zalo-oa/grant", data={"csrf_token": csrf(before.text)})
    assert start.status_code == 303
    consent = urlsplit(start.headers["location"])
    query = parse_qs(consent.query)
    assert f"{consent.scheme}://{consent.netloc}{consent.path}" == f"{oa_url}/v4/oa/permission"
    assert query["app_id"] == [OA_APP_ID]
    assert query["redirect_uri"][0].endswith("/admin/zalo-oa/callback")
    assert len(query["code_challenge"][0]) == 43  # S256, base64url without padding

    # Zalo's consent page sends the browser back with a code and the state.
    async with httpx.AsyncClient() as browser:
        back = await browser.get(start.headers["location"])
    assert back.status_code == 302
    callback = urlsplit(back.headers["location"])
    returned = parse_qs(callback.query)
    assert returned["state"] == query["state"]

    # A callback with another state is refused, and spends nothing.
    forged = callback.query.replace(returned["state"][0], "forged-state")
    refused = await clerk.get(f"{callback.path}?{forged}")
    assert refused.status_code == 400
    assert "không hợp lệ" in refused.text
    assert oa.exchanged == []

    granted = await clerk.get(f"{callback.path}?{callback.query}")
    assert granted.status_code == 200, granted.text
    assert OA_NAME in granted.text
    assert oa.exchanged == returned["code"]
    async with sessionmaker() as session:
        token = await session.scalar(select(ZaloOAToken))
    assert token is not None
    assert token.oa_name == OA_NAME
    assert "access-g1" not in token.access_token  # sealed
    box = SecretBox(SECRET_KEY.encode())
    assert box.open(token.access_token) == "access-g1"
    assert box.open(token.refresh_token) == "refresh-g1"
    assert token.access_expires_at - token.refreshed_at == timedelta(seconds=90000)

    # The cookie served once: the same callback again is refused.
    again = await clerk.get(f"{callback.path}?{callback.query}")
    assert again.status_code == 400

    page = await clerk.get("/admin/zalo-oa")
    assert OA_NAME in page.text
    assert "Cấp quyền lại" in page.text
    assert "Lỗi gần nhất</dt><dd>Không có" in page.text

    # A refresh Zalo refuses is shown with its reason; the pair stays as it was.
    oa.fail_refresh = True
    later = token.refreshed_at + timedelta(hours=25)
    async with httpx.AsyncClient() as http:
        store = token_store(sessionmaker, http, oa_url, lambda: later)
        with pytest.raises(TokenError):
            await store.current()
    page = await clerk.get("/admin/zalo-oa")
    assert "refresh refused: -14014 Invalid refresh token" in page.text


async def test_a_code_without_its_verifier_is_refused_by_the_stand_in(
    oa_api: tuple[ZaloOAStandIn, str], sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    oa, url = oa_api
    oa.codes["code-x"] = "a-challenge-of-another-verifier"
    async with httpx.AsyncClient() as http:
        store = token_store(sessionmaker, http, url)
        with pytest.raises(TokenError, match="grant refused"):
            await store.exchange(code="code-x", verifier="not-the-verifier")
    assert await store.state() is None


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"),
    reason="chromium is not installed (CI installs it and never skips)",
)
async def test_in_a_browser_the_clerk_grants_the_oa_and_maps_a_template(
    app_url: str, seeded: Seeded, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    assert CHROMIUM is not None, "CI must install Debian's chromium"
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = await browser.new_page(viewport={"width": 412, "height": 915})  # a phone
        await page.goto(f"{app_url}/admin/zalo-oa")
        await page.get_by_label("Tên đăng nhập").fill("tinh51")
        await page.get_by_label("Mật khẩu").fill(PASSWORD)
        await page.get_by_role("button", name="Đăng nhập").click()
        await page.get_by_role("button", name="Cấp quyền cho OA").click()
        # Zalo's consent page (the stand-in) sends the browser back to the callback.
        await expect(page.get_by_role("status")).to_contain_text(OA_NAME)
        await page.get_by_role("link", name="Về trang Zalo OA").click()
        await expect(page.locator("#token")).to_contain_text(OA_NAME)

        form = page.locator("form[action='/admin/zalo-oa/templates']")
        await form.get_by_label("Loại thông báo").select_option("cert_expiry")
        await form.get_by_label("Mã mẫu").fill(GOOD["template_id"])
        await form.get_by_label("Tiêu đề").fill(TITLE)
        await form.get_by_label("Đoạn 1").fill(PARAGRAPH)
        await form.get_by_label("Tham số, mỗi dòng").fill(PARAMS)
        await form.get_by_role("button", name="Lưu mẫu").click()
        await expect(page.get_by_role("status")).to_contain_text("Đã lưu mẫu 301299")
        await expect(page.locator("tr[data-kind='cert_expiry']")).to_contain_text("301299")
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=ARTIFACTS / "zalo-oa.png", full_page=True)
        await browser.close()
    (row,) = await mapped(sessionmaker)
    assert row.template_id == "301299"


async def test_the_pages_template_wins_over_the_setting_which_stays_a_fallback(
    sessionmaker: async_sessionmaker[AsyncSession], oa_api: tuple[ZaloOAStandIn, str]
) -> None:
    setting = {
        "cert_expiry": Template("tpl-setting", {"ten_san_pham": "product"}),
        "round_opening": Template("tpl-round", {"dot": "round_name"}),
    }
    async with sessionmaker() as session, session.begin():
        person = await farmer(session, accounts={Channel.ZALO: "z-9"})
        form = oa_templates.TemplateForm(
            "cert_expiry", "301299", TITLE, (PARAGRAPH,), dict(EXPECTED_PARAMS)
        )
        assert oa_templates.check(form) == []
        await oa_templates.save(session, form, actor="tinh51", now=NOW)
    async with httpx.AsyncClient() as http:
        store = token_store(sessionmaker, http, oa_api[1])
        routes = AlertRoutes(ZaloOAChannel(http, oa_api[1], store), setting)
        async with sessionmaker() as session:
            expiry = await routes.plan(session, person_id=person.id, kind="cert_expiry", now=NOW)
            opening = await routes.plan(session, person_id=person.id, kind="round_opening", now=NOW)
    assert expiry[0].route == Route.OA_TEMPLATE
    assert expiry[0].template == Template("301299", EXPECTED_PARAMS)
    assert opening[0].template == setting["round_opening"]


async def test_the_oa_settings_are_found_in_the_audit_once_in_words(
    app_url: str, clerk: httpx.AsyncClient, oa_api: tuple[ZaloOAStandIn, str]
) -> None:
    """A template mapped, a template removed and the OA granted are the province's staff
    actions: each is found once in /admin/audit, said in words, by the province alone."""
    assert (
        "notice=" in (await post_form(clerk, "/admin/zalo-oa/templates", GOOD)).headers["location"]
    )
    await post_form(clerk, "/admin/zalo-oa/templates/cert_expiry/remove", {})
    start = await post_form(clerk, "/admin/zalo-oa/grant", {})
    async with httpx.AsyncClient() as browser:
        back = await browser.get(start.headers["location"])  # Zalo's consent page
    callback = urlsplit(back.headers["location"])
    assert (await clerk.get(f"{callback.path}?{callback.query}")).status_code == 200

    found = await found_in_audit(clerk, action="oa.")
    assert found == [  # newest first
        f"Cán bộ tinh51 cấp quyền cho Zalo OA “{OA_NAME}” gửi tin.",
        "Cán bộ tinh51 bỏ mẫu Zalo OA của tin “Nhắc giấy chứng nhận sắp hết hạn”; tin này "
        "nay gửi qua chat.",
        "Cán bộ tinh51 chọn mẫu Zalo OA số 301299 cho tin “Nhắc giấy chứng nhận sắp hết hạn”.",
    ]
    other = await login(app_url, "hanoi")
    try:
        assert await found_in_audit(other, action="oa.") == []
    finally:
        await other.aclose()
