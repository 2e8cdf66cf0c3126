"""A real browser (Playwright driving Debian's chromium) logs in, enters council scores,
sees the stars and issues a certificate; screenshots are kept in ``test-artifacts/``."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from playwright.async_api import async_playwright, expect

from tests.admin.conftest import PASSWORD, Seeded

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"),
    reason="chromium is not installed (CI installs it and never skips)",
)


async def test_clerk_scores_a_dossier_and_issues_its_certificate(
    admin_url: str, seeded: Seeded
) -> None:
    assert CHROMIUM is not None, "CI must install Debian's chromium"
    ARTIFACTS.mkdir(exist_ok=True)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = await browser.new_page(viewport={"width": 412, "height": 915})  # a phone
        await page.goto(f"{admin_url}/admin/dossiers/{seeded.xop}")
        await expect(page.get_by_role("heading", name="Đăng nhập trang quản trị")).to_be_visible()
        await page.get_by_label("Tên đăng nhập").fill("tinh51")
        await page.get_by_label("Mật khẩu").fill(PASSWORD)
        await page.screenshot(path=ARTIFACTS / "01-login.png", full_page=True)
        await page.get_by_role("button", name="Đăng nhập").click()

        await expect(page.get_by_role("heading", name="Mật ong Xốp")).to_be_visible()
        for n, (member, score) in enumerate(
            (("Ông A", "91"), ("Bà B", "88,5"), ("Ông C", "90")), 1
        ):
            await page.get_by_label(f"Thành viên {n}", exact=True).fill(member)
            await page.get_by_label(f"Điểm {n}", exact=True).fill(score)
        await page.screenshot(path=ARTIFACTS / "02-scores.png", full_page=True)
        await page.get_by_role("button", name="Lưu điểm").click()
        await expect(page.locator("#average")).to_have_text("89.83")
        await expect(page.locator("#stars")).to_have_text("4 sao")
        await expect(page.locator("#routing")).to_have_count(0)  # a draft until published
        publish = page.locator("#publish")
        await publish.get_by_label("Số quyết định").fill("15/QĐ-UBND")
        await publish.get_by_label("Ngày quyết định").fill("2026-11-15")
        await publish.get_by_label("Người ký").fill("Phó Chủ tịch Nguyễn Văn An")
        await page.get_by_role("button", name="Công bố kết quả").click()
        await expect(page.locator("#routing")).to_contain_text("UBND tỉnh")
        await page.screenshot(path=ARTIFACTS / "03-result.png", full_page=True)

        await page.get_by_label("Số giấy chứng nhận").fill("51-2026-101")
        await page.get_by_label("Số quyết định").fill("2025/QĐ-UBND")
        await page.get_by_label("Ngày quyết định").fill("2026-11-20")
        await page.get_by_role("button", name="Cấp giấy chứng nhận 4 sao").click()
        await expect(page.get_by_role("status")).to_contain_text(
            "Đã cấp giấy chứng nhận 51-2026-101"
        )
        await expect(page.locator(".certificate .expires")).to_have_text("20/11/2029")
        await expect(page.locator("#status")).to_have_text("đã được công nhận")
        await page.screenshot(path=ARTIFACTS / "04-certificate.png", full_page=True)
        await browser.close()
    assert (ARTIFACTS / "04-certificate.png").stat().st_size > 0
