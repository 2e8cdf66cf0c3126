"""A real browser (Playwright driving Debian's chromium) opens the commune's inbox, reads a
producer's question and answers it; the answer is queued to the producer. Screenshots are
kept in ``test-artifacts/``."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest
from playwright.async_api import async_playwright, expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import questions
from bot.db.models import ChannelAccount, OfficerQuestion, OutboxMessage
from tests.admin.conftest import PASSWORD, Seeded
from tests.admin.test_browser import ARTIFACTS, CHROMIUM

pytestmark = pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"),
    reason="chromium is not installed (CI installs it and never skips)",
)
QUESTION = "Xa co ho tro in tem nhan khong a?"


async def test_commune_clerk_answers_a_question_in_the_inbox(
    admin_url: str, seeded: Seeded, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    assert CHROMIUM is not None, "CI must install Debian's chromium"
    async with sessionmaker() as session, session.begin():
        session.add(
            ChannelAccount(
                person_id=seeded.owner, channel="zalo", external_id="z-nam", chat_id="z-nam"
            )
        )
        asked = await questions.ask(
            session, person_id=seeded.owner, body=QUESTION, now=datetime.now(UTC),
            dossier_id=seeded.xop,
        )  # fmt: skip
    assert asked is not None
    assert asked.routed_to is questions.RoutedTo.PROVINCE
    ARTIFACTS.mkdir(exist_ok=True)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = await browser.new_page(viewport={"width": 412, "height": 915})  # a phone
        await page.goto(f"{admin_url}/admin/inbox")
        await page.get_by_label("Tên đăng nhập").fill("xaxop")
        await page.get_by_label("Mật khẩu").fill(PASSWORD)
        await page.get_by_role("button", name="Đăng nhập").click()

        await expect(page.get_by_role("heading", name="Câu hỏi của người sản xuất")).to_be_visible()
        card = page.locator(f"#question-{asked.question_id}")
        await expect(card).to_contain_text(QUESTION)
        await expect(card).to_contain_text("Lò Văn Nam")
        await expect(card.get_by_role("link", name="Mật ong Xốp")).to_be_visible()
        await page.screenshot(path=ARTIFACTS / "inbox-01-question.png", full_page=True)
        await page.get_by_label(f"Trả lời câu hỏi #{asked.question_id}").fill(
            "Co, xa ho tro 50% chi phi."
        )
        await page.get_by_role("button", name=f"Gửi trả lời #{asked.question_id}").click()
        await expect(page.get_by_role("status")).to_contain_text("Đã gửi câu trả lời")
        await expect(card).to_contain_text("Đã trả lời")
        await expect(card).to_contain_text("Co, xa ho tro 50% chi phi.")
        await page.screenshot(path=ARTIFACTS / "inbox-02-answered.png", full_page=True)
        await browser.close()
    async with sessionmaker() as session:
        question = (await session.scalars(select(OfficerQuestion))).one()
        row = (await session.scalars(select(OutboxMessage))).one()
    assert question.answered_at is not None
    assert question.dossier_id == seeded.xop
    assert row.recipient_person_id == seeded.owner
    assert row.kind == "officer_answer"
    assert row.payload["answer"] == "Co, xa ho tro 50% chi phi."
