"""A photo sent as evidence on Zalo and on Telegram is kept as bytes with its checklist item
and shown on the admin dossier page: a real browser (Playwright driving Debian's chromium)
sees both pictures; another commune's account cannot open them."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from playwright.async_api import async_playwright, expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.admin.accounts import create_staff
from bot.admin.scope import Scope
from bot.db.models import Dossier, EvidenceFile, Product
from tests.admin.conftest import PASSWORD, login
from tests.admin.test_browser import ARTIFACTS, CHROMIUM
from tests.builders import png
from tests.standins import TelegramStandIn, ZaloStandIn, telegram_text, zalo_image, zalo_text
from tests.test_channels import SCRIPT, post_telegram, post_zalo, telegram_photo
from tests.test_checklist import idea

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")


async def dossier_of(sessionmaker: async_sessionmaker[AsyncSession], product: str) -> int:
    async with sessionmaker() as session:
        found = await session.scalar(
            select(Dossier.id).join(Product).where(Product.name == product)
        )
    assert found is not None
    return found


async def test_photos_sent_on_zalo_and_telegram_show_on_the_dossier_page(
    app_url: str,
    client: httpx.AsyncClient,
    zalo_api: tuple[ZaloStandIn, str],
    telegram_api: tuple[TelegramStandIn, str],
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    zalo, zalo_url = zalo_api
    telegram, _ = telegram_api
    for line in [*SCRIPT, *idea("Mat ong Xop", "mat ong"), "/hoso", "co"]:
        await post_zalo(client, zalo_text("z-901", line))
    zalo.files["z.jpg"] = png(40, 30, (30, 140, 60))
    await post_zalo(client, zalo_image("z-901", f"{zalo_url}/cdn/z.jpg"))
    assert "Đã nhận (1 tệp)" in zalo.texts("z-901")[-1]
    other = [{"0912345678": "0987654321"}.get(line, line) for line in SCRIPT]  # someone else
    for line in [*other, *idea("Mat ong Son Ha", "mat ong"), "/hoso", "co"]:
        await post_telegram(client, telegram_text("902", line))
    telegram.files["AgAD-tg"] = png(30, 40, (40, 60, 200))
    await post_telegram(client, telegram_photo("902", "AgAD-tg"))
    assert "Đã nhận (1 tệp)" in telegram.texts("902")[-1]

    async with sessionmaker() as session, session.begin():
        now = datetime.now(UTC)
        await create_staff(session, "tinh51", PASSWORD, Scope.parse("province:51"), now)
        await create_staff(session, "hanoi", PASSWORD, Scope.parse("province:01"), now)
        files = (await session.scalars(select(EvidenceFile.id).order_by(EvidenceFile.id))).all()
    assert len(files) == 2

    ARTIFACTS.mkdir(exist_ok=True)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = await browser.new_page(viewport={"width": 412, "height": 915})
        await page.goto(f"{app_url}/admin/login")
        await page.get_by_label("Tên đăng nhập").fill("tinh51")
        await page.get_by_label("Mật khẩu").fill(PASSWORD)
        await page.get_by_role("button", name="Đăng nhập").click()
        for product, size in (("Mat ong Xop", (40, 30)), ("Mat ong Son Ha", (30, 40))):
            await page.goto(f"{app_url}/admin/dossiers/{await dossier_of(sessionmaker, product)}")
            photo = page.get_by_role("img", name="Ảnh minh chứng")
            await expect(photo).to_be_visible()
            shown = await photo.evaluate(
                "img => [img.complete, img.naturalWidth, img.naturalHeight]"
            )
            assert shown == [True, *size]
            await page.screenshot(
                path=ARTIFACTS / f"evidence-{product.split()[-1].lower()}.png", full_page=True
            )
        await browser.close()

    outsider = await login(app_url, "hanoi")
    try:
        for file_id in files:
            assert (await outsider.get(f"/admin/evidence/{file_id}")).status_code == 404
    finally:
        await outsider.aclose()
    insider = await login(app_url, "tinh51")
    try:
        opened = await insider.get(f"/admin/evidence/{files[0]}")
    finally:
        await insider.aclose()
    assert opened.status_code == 200
    assert opened.content == zalo.files["z.jpg"]
    assert opened.headers["content-type"] == "image/png"
    assert opened.headers["x-content-type-options"] == "nosniff"
