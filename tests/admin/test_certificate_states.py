"""One state per certificate, the same everywhere: with 14 expired and 3 in their
re-evaluation window among 610 certificates, the dashboard, the list (every page), the
officer's /xa, the CSV/XLSX exports and the API count and name them alike; a browser walks
the pages."""

from __future__ import annotations

import csv
import io
import os
import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from openpyxl import load_workbook
from playwright.async_api import async_playwright, expect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Certificate, Dossier, Product, Subject
from bot.engine import Engine
from tests.admin.conftest import PASSWORD, SON_HA, XOP, Seeded, api_token, login
from tests.admin.test_browser import ARTIFACTS, CHROMIUM
from tests.builders import Chat, Clock
from tests.journeys import invite_code

TOTAL, EXPIRED, WINDOW, IN_XOP = 610, 14, 3, 30
SLOW_MACHINE_MS = 30_000  # the pages answer in milliseconds; a loaded CI box may not
VI_EXPIRED = "hết hạn"
VI_WINDOW = "còn hiệu lực, đang trong thời hạn nộp hồ sơ đánh giá lại"
VI_VALID = "còn hiệu lực"


def local_today() -> date:
    """Today on the programme's clock, as the admin pages and the bot read it."""
    return datetime.now(UTC).astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).date()


async def seed_certificates(sessionmaker: async_sessionmaker[AsyncSession], today: date) -> None:
    """610 certificates of province 51: in Xốp 14 expired, 3 in their window and 13 valid;
    in Sơn Hà 580 valid."""
    async with sessionmaker() as session, session.begin():
        subjects = {
            commune: Subject(subject_type="cooperative", name=f"HTX {n}", commune_code=commune)
            for n, commune in enumerate((XOP, SON_HA))
        }
        session.add_all(subjects.values())
        await session.flush()
        for n in range(TOTAL):
            commune = XOP if n < IN_XOP else SON_HA
            if n < EXPIRED:
                expires = today - timedelta(days=n + 1)
            elif n < EXPIRED + WINDOW:
                expires = today + timedelta(days=150)
            else:
                expires = today + timedelta(days=400 + n)
            product = Product(
                subject_id=subjects[commune].id, name=f"SP {n:03d}", group_code="food"
            )
            session.add(product)
            await session.flush()
            session.add(
                Certificate(
                    product_id=product.id,
                    number=f"C-{n:03d}",
                    stars=3 + n % 2,
                    issuing_level="province",
                    issuing_authority="UBND tỉnh Quảng Ngãi",
                    issued_on=expires - timedelta(days=1096),
                    expires_on=expires,
                    status="valid",
                )
            )


def _state_counts(html: str) -> dict[str, int]:
    return {state: int(count) for state, count in re.findall(r'data-state="(\w+)">(\d+)<', html)}


async def test_dashboard_list_exports_api_and_xa_agree(
    admin_url: str,
    seeded: Seeded,
    sessionmaker: async_sessionmaker[AsyncSession],
    engine_: Engine,
    clock: Clock,
) -> None:
    today = local_today()
    await seed_certificates(sessionmaker, today)
    client = await login(admin_url, "tinh51")
    board = _state_counts((await client.get("/admin")).text)
    assert board["expired"] == EXPIRED
    assert board["window_open"] == WINDOW
    assert board["valid"] == TOTAL - EXPIRED - WINDOW
    assert sum(board.values()) == TOTAL

    seen: list[str] = []  # every page, by its "next" link: nothing stops at a limit
    url: str | None = "/admin/certificates"
    states: Counter[str] = Counter()
    while url is not None:
        page = (await client.get(url if url.startswith("/") else f"/admin/certificates{url}")).text
        seen.extend(re.findall(r'<tr data-certificate="(\d+)">', page))
        states.update(re.findall(r'<td class="state" data-state="(\w+)">', page))
        found = re.search(r'<a href="([^"]+)" rel="next">', page)
        url = found.group(1).replace("&amp;", "&") if found else None
    assert len(seen) == len(set(seen)) == TOTAL
    assert states == Counter(board)
    expired_page = (await client.get("/admin/certificates", params={"state": "expired"})).text
    assert expired_page.count('<td class="state" data-state="expired">') == EXPIRED

    rows = list(
        csv.reader(
            io.StringIO(
                (await client.get("/admin/export/certificates.csv")).content.decode("utf-8-sig")
            )
        )
    )
    column = rows[0].index("Tình trạng")
    assert Counter(row[column] for row in rows[1:]) == {
        VI_EXPIRED: EXPIRED,
        VI_WINDOW: WINDOW,
        VI_VALID: TOTAL - EXPIRED - WINDOW,
    }
    book = load_workbook(io.BytesIO((await client.get("/admin/export/certificates.xlsx")).content))
    sheet = list(book.active.iter_rows(values_only=True))
    column = list(sheet[0]).index("Tình trạng")
    assert Counter(row[column] for row in sheet[1:]) == {
        VI_EXPIRED: EXPIRED,
        VI_WINDOW: WINDOW,
        VI_VALID: TOTAL - EXPIRED - WINDOW,
    }
    await client.aclose()

    api = httpx.AsyncClient(
        base_url=f"{admin_url}/api/v1",
        headers={"Authorization": f"Bearer {await api_token(sessionmaker, 'tinh51')}"},
    )
    listed = (await api.get("/certificates", params={"state": "window_open"})).json()
    last = (await api.get("/certificates", params={"page": 13})).json()
    counted = (await api.get("/dashboard")).json()["certificates"]
    await api.aclose()
    assert listed["total"] == WINDOW
    assert {c["state"] for c in listed["items"]} == {"window_open"}
    assert (last["total"], len(last["items"])) == (TOTAL, TOTAL - 12 * 50)
    assert counted["expired"] == EXPIRED

    commune = await login(admin_url, "xaxop")  # the officer's commune, on the pages
    commune_board = _state_counts((await commune.get("/admin")).text)
    await commune.aclose()
    clock.now = datetime.now(UTC)
    officer = Chat(engine_, chat="officer-xop")
    await officer.say(f"canbo {await invite_code(sessionmaker, at=clock.now)}")
    overview = await officer.say("/xa")
    assert f"hết hạn: {EXPIRED}" in overview
    assert f"{VI_WINDOW}: {WINDOW}" in overview
    assert f"còn hiệu lực: {IN_XOP - EXPIRED - WINDOW}" in overview
    assert overview.count("(hết hạn)") == commune_board["expired"] == EXPIRED
    assert overview.count(f"({VI_WINDOW})") == commune_board["window_open"] == WINDOW


async def test_a_renewing_dossier_revocation_and_supersession_are_states_too(
    admin_url: str, seeded: Seeded, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    today = local_today()
    async with sessionmaker() as session, session.begin():
        subject = Subject(subject_type="cooperative", name="HTX Ba", commune_code=XOP)
        session.add(subject)
        await session.flush()
        product = Product(subject_id=subject.id, name="Trà Ba", group_code="food")
        session.add(product)
        await session.flush()

        def certificate(expires: date, **facts: object) -> Certificate:
            return Certificate(
                product_id=product.id, stars=4, issuing_level="province",
                issuing_authority="UBND tỉnh Quảng Ngãi", issued_on=expires - timedelta(days=1096),
                expires_on=expires, **facts,
            )  # fmt: skip

        renewing = certificate(today + timedelta(days=150), status="valid")
        extended = certificate(
            today - timedelta(days=10), status="valid", extended_until=today + timedelta(days=30)
        )
        revoked = certificate(today + timedelta(days=500), status="revoked")
        superseded = certificate(today + timedelta(days=20), status="superseded")
        session.add_all([renewing, extended, revoked, superseded])
        await session.flush()
        session.add(
            Dossier(
                product_id=product.id, kind="re_evaluation", status="submitted_to_commune",
                commune_code=XOP, year=today.year, certificate_id=renewing.id,
            )
        )  # fmt: skip
    client = await login(admin_url, "tinh51")
    board = _state_counts((await client.get("/admin")).text)
    await client.aclose()
    assert {k: v for k, v in board.items() if v} == {
        "in_re_evaluation": 1,
        "extended": 1,
        "revoked": 1,
        "superseded": 1,
    }


@pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"),
    reason="chromium is not installed (CI installs it and never skips)",
)
async def test_a_browser_reads_the_same_counts_on_the_dashboard_and_every_list_page(
    admin_url: str, seeded: Seeded, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    assert CHROMIUM is not None, "CI must install Debian's chromium"
    await seed_certificates(sessionmaker, local_today())
    ARTIFACTS.mkdir(exist_ok=True)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = await browser.new_page(viewport={"width": 412, "height": 915})
        page.set_default_timeout(SLOW_MACHINE_MS)
        await page.goto(f"{admin_url}/admin")
        await page.get_by_label("Tên đăng nhập").fill("tinh51")
        await page.get_by_label("Mật khẩu").fill(PASSWORD)
        await page.get_by_role("button", name="Đăng nhập").click()
        states = page.locator("#certificate-states")
        await expect(states.locator('[data-state="expired"]')).to_have_text(
            str(EXPIRED), timeout=SLOW_MACHINE_MS
        )
        await expect(states.locator('[data-state="window_open"]')).to_have_text(
            str(WINDOW), timeout=SLOW_MACHINE_MS
        )
        await expect(states.locator("#certificate-total")).to_have_text(
            str(TOTAL), timeout=SLOW_MACHINE_MS
        )
        await page.screenshot(path=ARTIFACTS / "states-01-dashboard.png", full_page=True)

        await states.get_by_role("link", name="hết hạn", exact=True).click()
        await expect(page.locator("tr[data-certificate]")).to_have_count(
            EXPIRED, timeout=SLOW_MACHINE_MS
        )
        await expect(page.locator("#certificate-total")).to_contain_text(
            f"{EXPIRED} giấy", timeout=SLOW_MACHINE_MS
        )
        await page.screenshot(path=ARTIFACTS / "states-02-expired.png", full_page=True)

        await page.goto(f"{admin_url}/admin/certificates")
        await expect(page.locator("#certificate-total")).to_contain_text(
            f"{TOTAL} giấy", timeout=SLOW_MACHINE_MS
        )
        rows, number, pages = 0, 1, -(-TOTAL // 50)
        while True:
            await expect(page.locator("#certificate-total")).to_contain_text(
                f"trang {number}/{pages}", timeout=SLOW_MACHINE_MS
            )
            await page.wait_for_load_state()
            expected = min(50, TOTAL - (number - 1) * 50)  # every page full but the last
            await expect(page.locator("tr[data-certificate]")).to_have_count(
                expected, timeout=SLOW_MACHINE_MS
            )
            rows += await page.locator("tr[data-certificate]").count()
            following = page.get_by_role("link", name="Trang sau →")
            if await following.count() == 0:
                break
            await following.click()
            number += 1
        await page.screenshot(path=ARTIFACTS / "states-03-last-page.png", full_page=True)
        await browser.close()
    assert rows == TOTAL
