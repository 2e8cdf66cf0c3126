"""/phieu: the idea form and cover sheet as DOCX; signed links where files cannot be sent."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import docx
import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.zalo import CAPABILITIES as ZALO
from bot.engine import Engine
from bot.links import LinkSigner
from bot.messages import Channel, Command, Document
from bot.settings import load_settings
from bot.web import create_app
from tests.builders import SIGN_UP, START, Chat, Clock
from tests.standins import ZALO_TOKEN, ZaloStandIn, after_webhooks, serve, zalo_text
from tests.test_checklist import idea, walk

SECRET = "a-secret-key-for-links"


def text_of_docx(content: bytes) -> str:
    document = docx.Document(io.BytesIO(content))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


@pytest.fixture
def chat(sessionmaker: async_sessionmaker[AsyncSession]) -> Chat:
    return Chat(Engine(sessionmaker, clock=Clock()))


async def test_idea_form_docx_holds_the_answers(chat: Chat) -> None:
    await chat.sign_up()
    await chat.register_idea("Mat ong rung Xop", "thuc pham")
    replies = await chat.send(Command("phieu"))
    documents = [r for r in replies if isinstance(r, Document)]
    assert [d.filename for d in documents] == ["phieu-y-tuong-OCOP-51-2026-0001.docx"]
    text = text_of_docx(documents[0].content)
    for expected in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "PHIẾU ĐĂNG KÝ Ý TƯỞNG SẢN PHẨM",
        "HTX Mat ong Xop",
        "Lo Van Nam",
        "0912 345 678",
        "Mat ong rung Xop",
        "80%",
        "Xã Xốp, tỉnh Quảng Ngãi",
        "ngày 02 tháng 03 năm 2026",
        "Hợp tác xã",
        "Kính gửi: Ủy ban nhân dân xã Xốp",  # the unit in lower case inside a sentence
        "Xốp, ngày 02 tháng 03 năm 2026",
    ):
        assert expected in text, expected
    assert "bỏ qua" not in text.lower()  # a skipped answer is a blank on paper
    for section in docx.Document(io.BytesIO(documents[0].content)).sections:
        assert (section.page_width.mm, section.page_height.mm) == pytest.approx((210, 297), abs=0.5)


async def test_cover_sheet_once_the_checklist_is_complete(chat: Chat) -> None:
    await chat.sign_up()
    await chat.register_idea("Gio may tre", "thu cong")
    await walk(chat, answers={"awards": "chua"}, photos={"business_registration": 2})
    replies = await chat.send(Command("phieu"))
    documents = {r.filename: r for r in replies if isinstance(r, Document)}
    cover = documents["danh-muc-ho-so-OCOP-51-2026-0001.docx"]
    text = text_of_docx(cover.content)
    assert "DANH MỤC HỒ SƠ SẢN PHẨM OCOP" in text
    assert "Giấy đăng ký kinh doanh (bản sao)" in text
    assert "Chưa có" in text  # awards
    assert "an toàn thực phẩm" not in text


async def test_zalo_gets_a_signed_link_that_downloads_the_form(
    database_url: str, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    stand_in = ZaloStandIn()
    async with serve(stand_in.app()) as zalo_url:
        settings = load_settings(
            database_url=database_url,
            zalo_bot_token=ZALO_TOKEN,
            zalo_webhook_secret="zalo-secret-1",
            zalo_api_base_url=zalo_url,
            ocop_secret_key=SECRET,
            public_base_url="https://ocop.example",
        )
        async with (
            serve(create_app(settings)) as app_url,
            httpx.AsyncClient(base_url=app_url, event_hooks=after_webhooks(sessionmaker)) as client,
        ):
            for line in [*SIGN_UP, *idea("Mat ong rung Xop", "thuc pham"), "/phieu"]:
                response = await client.post(
                    "/webhooks/zalo",
                    json=zalo_text("z-doc", line),
                    headers={"X-Bot-Api-Secret-Token": "zalo-secret-1"},
                )
                assert response.status_code == 200
            link = re.search(r"https://ocop\.example(/files/\S+)", stand_in.texts()[-1])
            assert link is not None
            download = await client.get(link.group(1))
            assert download.status_code == 200
            assert "attachment" in download.headers["content-disposition"]
            assert "Mat ong rung Xop" in text_of_docx(download.content)
            forged = link.group(1)[:-3] + "abc"
            assert (await client.get(forged)).status_code == 404
            assert (await client.get("/files/1.99999999999.x")).status_code == 404


async def test_without_a_link_key_zalo_is_told_where_to_get_a_copy(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    chat = Chat(Engine(sessionmaker, clock=Clock()), capabilities=ZALO, channel=Channel.ZALO)
    await chat.sign_up()
    await chat.register_idea("Mat ong rung Xop", "thuc pham")
    assert "UBND xã" in await chat.say("/phieu")


def test_links_expire_and_cannot_be_forged() -> None:
    signer = LinkSigner(SECRET.encode(), "https://ocop.example")
    token = signer.url(42, START).rsplit("/", 1)[1]
    assert signer.document_id(token, START) == 42
    assert signer.document_id(token, START + timedelta(days=8)) is None
    assert signer.document_id(token.replace("42.", "43.", 1), START) is None
    assert signer.document_id("nonsense", START) is None
    other = LinkSigner(b"another-secret-key-xx", "https://ocop.example")
    assert other.document_id(token, START) is None
