"""Telegram (webhook and polling) and Zalo (webhook and polling) end to end, with the real
python-telegram-bot and httpx code talking to local HTTP stand-ins of both platforms."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import docx
import httpx
import pytest
from fastapi import Request
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import undefer

from bot.channels.console import CAPABILITIES as CONSOLE
from bot.channels.telegram import TelegramChannel, make_bot
from bot.channels.zalo import ZaloChannel
from bot.db.engine import create_sessionmaker
from bot.db.models import (
    ChannelAccount,
    ConversationSession,
    Dossier,
    EvidenceFile,
    Person,
    ProcessedEvent,
    Product,
    ReplyRow,
    Subject,
)
from bot.engine import Engine
from bot.messages import Channel
from bot.polling import poll_telegram, poll_zalo
from bot.render import BUTTON_LABEL_MAX
from bot.runtime import Runtime
from bot.settings import Settings, load_settings
from bot.web import ConfigurationError, create_app, webhooks_first
from tests.builders import Chat, Clock, png
from tests.standins import (
    TG_SECRET,
    ZALO_SECRET,
    ZALO_TOKEN,
    TelegramStandIn,
    ZaloStandIn,
    after_webhooks,
    platform_settings,
    replies_delivered,
    serve,
    telegram_callback,
    telegram_contact,
    telegram_text,
    zalo_text,
)
from tests.test_checklist import idea
from tests.test_officer import CRITERIA, new_code

SCRIPT = [
    "/start",
    "co",
    "Nguyen Van A",
    "0912345678",
    "xa xop",
    "hop tac xa",
    "HTX Mat ong Xop",
]
EXPECTED = ("Nguyen Van A", "+84912345678", "23356", "cooperative", "HTX Mat ong Xop")


async def stored(sessionmaker: async_sessionmaker[AsyncSession]) -> tuple[Any, ...]:
    """The one registered producer, as the tuple compared across channels."""
    async with sessionmaker() as session:
        person = (await session.execute(select(Person))).scalar_one()
        subject = (await session.execute(select(Subject))).scalar_one()
    return (
        person.full_name,
        person.phone_e164,
        subject.commune_code,
        subject.subject_type,
        subject.name,
    )


@pytest.fixture
async def telegram_api() -> AsyncIterator[tuple[TelegramStandIn, str]]:
    stand_in = TelegramStandIn()
    async with serve(stand_in.app()) as url:
        yield stand_in, url


@pytest.fixture
async def zalo_api() -> AsyncIterator[tuple[ZaloStandIn, str]]:
    stand_in = ZaloStandIn()
    async with serve(stand_in.app()) as url:
        yield stand_in, url


@pytest.fixture
def settings(
    database_url: str,
    telegram_api: tuple[TelegramStandIn, str],
    zalo_api: tuple[ZaloStandIn, str],
) -> Settings:
    return platform_settings(
        database_url,
        telegram_api[1],
        zalo_api[1],
        ocop_quiet_hours="00:00-00:00",  # the in-process alert loop sends at any hour here
    )


@pytest.fixture
async def app_url(settings: Settings) -> AsyncIterator[str]:
    async with serve(webhooks_first(create_app(settings))) as url:  # as ocop-bot serve runs it
        yield url


@pytest.fixture
async def client(
    app_url: str, sessionmaker: async_sessionmaker[AsyncSession]
) -> AsyncIterator[httpx.AsyncClient]:
    hooks = after_webhooks(sessionmaker)
    async with httpx.AsyncClient(base_url=app_url, timeout=30, event_hooks=hooks) as http:
        yield http


async def post_telegram(
    client: httpx.AsyncClient, update: dict[str, Any], secret: str | None = TG_SECRET
) -> httpx.Response:
    headers = {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret}
    return await client.post("/webhooks/telegram", json=update, headers=headers)


async def post_zalo(
    client: httpx.AsyncClient, body: dict[str, Any], secret: str | None = ZALO_SECRET
) -> httpx.Response:
    headers = {} if secret is None else {"X-Bot-Api-Secret-Token": secret}
    return await client.post("/webhooks/zalo", json=body, headers=headers)


async def test_console_gives_the_reference_result(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await Chat(Engine(sessionmaker, clock=Clock()), capabilities=CONSOLE).say(*SCRIPT)
    assert await stored(sessionmaker) == EXPECTED


async def test_telegram_webhook_gives_the_same_result(
    client: httpx.AsyncClient,
    telegram_api: tuple[TelegramStandIn, str],
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    stand_in, _ = telegram_api
    for line in SCRIPT:
        response = await post_telegram(client, telegram_text("501", line))
        assert response.status_code == 200
    assert await stored(sessionmaker) == EXPECTED
    texts = stand_in.texts("501")
    assert any("Cảm ơn Nguyen Van A" in text for text in texts)
    async with sessionmaker() as session:
        account = (await session.execute(select(ChannelAccount))).scalar_one()
    assert (account.channel, account.external_id, account.chat_id) == ("telegram", "501", "501")


async def test_telegram_polling_gives_the_same_result(
    settings: Settings,
    telegram_api: tuple[TelegramStandIn, str],
    sessionmaker: async_sessionmaker[AsyncSession],
    engine: Any,
) -> None:
    stand_in, _ = telegram_api
    assert settings.telegram_bot_token is not None
    bot = make_bot(settings.telegram_bot_token.get_secret_value(), settings.telegram_api_base_url)
    await bot.initialize()
    channel = TelegramChannel(bot)
    runtime = Runtime(Engine(create_sessionmaker(engine)), {Channel.TELEGRAM: channel})
    stop = asyncio.Event()
    poller = asyncio.create_task(poll_telegram(channel, runtime, poll_seconds=1, stop=stop))
    for line in SCRIPT:
        await stand_in.updates.put(telegram_text("502", line))
    await stand_in.wait_for_text("Cảm ơn Nguyen Van A")
    stop.set()
    await poller
    await bot.shutdown()
    assert await stored(sessionmaker) == EXPECTED
    assert any(c.method == "deleteWebhook" for c in stand_in.calls)


@pytest.mark.parametrize("wrapped", [False, True])
async def test_zalo_webhook_gives_the_same_result(
    client: httpx.AsyncClient,
    zalo_api: tuple[ZaloStandIn, str],
    sessionmaker: async_sessionmaker[AsyncSession],
    wrapped: bool,
) -> None:
    stand_in, _ = zalo_api
    for line in SCRIPT:
        assert (
            await post_zalo(client, zalo_text("z-77", line, wrapped=wrapped))
        ).status_code == 200
    assert await stored(sessionmaker) == EXPECTED
    texts = stand_in.texts("z-77")
    assert "trợ lý tự động" in texts[0]
    assert all(len(text) <= 2000 for text in texts)
    assert any("1. Có" in text for text in texts)  # numbered choices, no buttons


async def test_zalo_polling_gives_the_same_result(
    settings: Settings,
    zalo_api: tuple[ZaloStandIn, str],
    sessionmaker: async_sessionmaker[AsyncSession],
    engine: Any,
) -> None:
    stand_in, _ = zalo_api
    async with httpx.AsyncClient() as http:
        channel = ZaloChannel(http, settings.zalo_api_base_url, ZALO_TOKEN)
        runtime = Runtime(Engine(create_sessionmaker(engine)), {Channel.ZALO: channel})
        stop = asyncio.Event()
        poller = asyncio.create_task(poll_zalo(channel, runtime, poll_seconds=1, stop=stop))
        for line in SCRIPT:
            await stand_in.updates.put(zalo_text("z-78", line))
        await stand_in.wait_for_text("Cảm ơn Nguyen Van A")
        stop.set()
        await poller
    assert await stored(sessionmaker) == EXPECTED


@pytest.mark.parametrize("secret", [None, "wrong", TG_SECRET + "x", ""])
async def test_telegram_webhook_refuses_a_missing_or_wrong_secret(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession], secret: str | None
) -> None:
    response = await post_telegram(client, telegram_text("503", "/start"), secret=secret)
    assert response.status_code == 403
    async with sessionmaker() as session:
        assert (
            await session.execute(select(func.count()).select_from(ProcessedEvent))
        ).scalar() == 0
        assert (
            await session.execute(select(func.count()).select_from(ConversationSession))
        ).scalar() == 0


@pytest.mark.parametrize("secret", [None, "wrong-secret"])
async def test_zalo_webhook_refuses_a_missing_or_wrong_secret(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession], secret: str | None
) -> None:
    response = await post_zalo(client, zalo_text("z-1", "/start"), secret=secret)
    assert response.status_code == 403
    async with sessionmaker() as session:
        assert (
            await session.execute(select(func.count()).select_from(ProcessedEvent))
        ).scalar() == 0


async def test_the_same_update_posted_twice_is_handled_once(
    client: httpx.AsyncClient, telegram_api: tuple[TelegramStandIn, str]
) -> None:
    stand_in, _ = telegram_api
    update = telegram_text("504", "/start", update_id=424242)
    assert (await post_telegram(client, update)).status_code == 200
    sent = len(stand_in.sent("504"))
    assert sent >= 1
    assert (await post_telegram(client, update)).status_code == 200
    assert len(stand_in.sent("504")) == sent


async def test_zalo_redelivery_is_handled_once(
    client: httpx.AsyncClient, zalo_api: tuple[ZaloStandIn, str]
) -> None:
    stand_in, _ = zalo_api
    body = zalo_text("z-5", "/start")
    await post_zalo(client, body)
    sent = len(stand_in.sent("z-5"))
    await post_zalo(client, body)
    assert len(stand_in.sent("z-5")) == sent


async def test_buttons_contact_and_callbacks_on_telegram(
    client: httpx.AsyncClient,
    telegram_api: tuple[TelegramStandIn, str],
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    stand_in, _ = telegram_api
    await post_telegram(client, telegram_text("505", "/start"))
    consent = stand_in.sent("505")[-1]
    markup = consent.params["reply_markup"]
    payloads = [b["callback_data"] for row in markup["inline_keyboard"] for b in row]
    assert payloads == ["c:consent:yes", "c:consent:no"]
    assert all(len(p.encode()) <= 64 for p in payloads)

    await post_telegram(client, telegram_callback("505", "c:consent:yes"))
    assert any(c.method == "answerCallbackQuery" for c in stand_in.calls)
    await post_telegram(client, telegram_text("505", "Lo Thi Lan"))
    phone_prompt = stand_in.sent("505")[-1]
    keyboard = phone_prompt.params["reply_markup"]
    assert keyboard["keyboard"][0][0]["request_contact"] is True

    await post_telegram(client, telegram_contact("505", "+84987654321", owner="999"))
    # The refusal and the question asked again arrive as one message, with the button.
    assert "của chính mình" in stand_in.texts("505")[-1]
    assert stand_in.sent("505")[-1].params["reply_markup"]["keyboard"][0][0]["request_contact"]
    await post_telegram(client, telegram_contact("505", "+84987654321", owner="505"))
    assert "Bước 4/5" in stand_in.texts("505")[-1]
    # The next question takes the contact keyboard away.
    assert stand_in.sent("505")[-1].params["reply_markup"] == {"remove_keyboard": True}
    await post_telegram(client, telegram_callback("505", "c:consent:no"))  # an old button
    assert "câu hỏi trước" in stand_in.texts("505")[-1]
    for line in ["xop", "1", "HTX B", "bo qua"]:
        await post_telegram(client, telegram_text("505", line))
    await post_telegram(client, telegram_callback("505", "s:save"))
    async with sessionmaker() as session:
        person = (await session.execute(select(Person))).scalar_one()
    assert person.phone_e164 == "+84987654321"


async def test_a_blocked_telegram_chat_is_marked_unreachable(
    client: httpx.AsyncClient,
    telegram_api: tuple[TelegramStandIn, str],
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    stand_in, _ = telegram_api
    for line in SCRIPT:
        await post_telegram(client, telegram_text("506", line))
    stand_in.blocked_chats.add("506")
    response = await post_telegram(client, telegram_text("506", "menu"))
    assert response.status_code == 200
    async with sessionmaker() as session:
        account = (await session.execute(select(ChannelAccount))).scalar_one()
    assert account.reachable is False
    assert account.unreachable_since is not None


async def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"


async def test_unreadable_payloads_are_acknowledged(client: httpx.AsyncClient) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}
    response = await client.post("/webhooks/telegram", content=b"not json", headers=headers)
    assert response.status_code == 200
    assert (
        await post_telegram(client, {"update_id": 5, "edited_message": None})
    ).status_code == 200
    assert (
        await post_zalo(client, {"event_name": "message.unsupported.received"})
    ).status_code == 200


def test_webhooks_need_their_secret(database_url: str) -> None:
    with pytest.raises(ConfigurationError, match="TELEGRAM_WEBHOOK_SECRET"):
        create_app(load_settings(database_url=database_url, telegram_bot_token="1:x"))
    with pytest.raises(ConfigurationError, match="ZALO_WEBHOOK_SECRET"):
        create_app(load_settings(database_url=database_url, zalo_bot_token="1:x"))


def telegram_photo(chat: str, file_id: str) -> dict[str, Any]:
    """A Telegram update carrying a photo."""
    update = telegram_text(chat, "")
    del update["message"]["text"]
    update["message"]["photo"] = [
        {
            "file_id": f"{file_id}-small",
            "file_unique_id": f"{file_id}s",
            "width": 90,
            "height": 90,
            "file_size": 1200,
        },
        {
            "file_id": file_id,
            "file_unique_id": f"{file_id}u",
            "width": 1280,
            "height": 960,
            "file_size": 180_000,
        },
    ]
    return update


async def test_idea_and_checklist_with_photos_through_telegram(
    client: httpx.AsyncClient,
    telegram_api: tuple[TelegramStandIn, str],
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    stand_in, _ = telegram_api
    for line in [*SCRIPT, *idea("Mat ong rung Xop", "mat ong"), "/hoso", "co"]:
        assert (await post_telegram(client, telegram_text("507", line))).status_code == 200
    photos = {"AgAD-photo-1": png(3, 2), "AgAD-photo-2": png(2, 3)}
    stand_in.files.update(photos)
    for file_id in photos:
        await post_telegram(client, telegram_photo("507", file_id))
    assert "Đã nhận (2 tệp)" in stand_in.texts("507")[-1]
    async with sessionmaker() as session:
        product = (await session.execute(select(Product))).scalar_one()
        query = select(EvidenceFile).options(undefer(EvidenceFile.content))
        files = (await session.execute(query)).scalars().all()
        kept = [(f.channel, f.file_ref, f.media_type, f.size_bytes, f.content) for f in files]
    assert (product.group_code, product.raw_material_commune_pct) == ("food", 80)
    assert kept == [
        ("telegram", file_id, "image/png", len(data), data) for file_id, data in photos.items()
    ]


async def test_a_failed_reply_still_acknowledges_keeps_the_step_and_goes_out_later(
    app_url: str,
    telegram_api: tuple[TelegramStandIn, str],
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    stand_in, _ = telegram_api
    stand_in.failing_chats.add("508")
    async with httpx.AsyncClient(base_url=app_url, timeout=30) as plain:  # no waiting
        response = await post_telegram(plain, telegram_text("508", "/start"))
    assert response.status_code == 200
    async with sessionmaker() as session:
        row = (await session.execute(select(ConversationSession))).scalar_one()
    assert (row.flow, row.step) == ("onboarding", "consent")
    for _ in range(500):  # the 500 is recorded on the kept reply, which waits its backoff
        async with sessionmaker() as session:
            kept = (await session.scalars(select(ReplyRow))).one()
        if kept.attempts:
            break
        await asyncio.sleep(0.01)
    assert (kept.state, kept.attempts) == ("sending", 1)
    assert "NetworkError" in (kept.last_error or "")
    stand_in.failing_chats.clear()
    await replies_delivered(sessionmaker)
    assert len(stand_in.texts("508")) == 1  # the failed tries delivered nothing


async def test_phieu_sends_a_document_through_telegram(
    client: httpx.AsyncClient, telegram_api: tuple[TelegramStandIn, str]
) -> None:
    stand_in, _ = telegram_api
    for line in [*SCRIPT, *idea("Mat ong rung Xop", "mat ong"), "/phieu"]:
        assert (await post_telegram(client, telegram_text("509", line))).status_code == 200
    documents = [c for c in stand_in.calls if c.method == "sendDocument"]
    assert len(documents) == 1
    assert documents[0].params["chat_id"] == "509"
    assert documents[0].params["caption"] == "Phiếu đăng ký ý tưởng sản phẩm"


async def test_officer_journey_through_telegram(
    client: httpx.AsyncClient,
    telegram_api: tuple[TelegramStandIn, str],
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    stand_in, _ = telegram_api
    for line in [*SCRIPT, *idea("Mat ong rung Xop", "mat ong")]:
        assert (await post_telegram(client, telegram_text("601", line))).status_code == 200
    code = await new_code(sessionmaker, at=datetime.now(UTC))
    await post_telegram(client, telegram_text("602", f"/start {code}"))  # the t.me deep link
    assert "Anh/chị đã là cán bộ của Xã Xốp" in stand_in.texts("602")[-1]
    await post_telegram(client, telegram_text("602", "/choduyet"))
    dossier_payload = _first_button(stand_in, "602")
    assert dossier_payload.startswith("o:open:")
    dossier_id = dossier_payload.removeprefix("o:open:")

    await post_telegram(client, telegram_callback("602", f"o:form:{dossier_id}"))
    for _ in range(40):
        if "Anh/chị xem lại thông tin" in stand_in.texts("602")[-1]:
            break
        await post_telegram(client, telegram_callback("602", _first_button(stand_in, "602")))
    await post_telegram(client, telegram_text("602", "luu"))
    assert "Đã lưu kết quả kiểm tra hình thức" in stand_in.texts("602")[-1]

    await post_telegram(client, telegram_callback("602", f"o:crit:{dossier_id}"))
    yesterday = (datetime.now(UTC) - timedelta(days=1)).strftime("%d/%m/%Y")
    for line in [*CRITERIA[:-2], yesterday, CRITERIA[-1], "luu"]:
        assert (await post_telegram(client, telegram_text("602", line))).status_code == 200
    (document,) = [c for c in stand_in.sent("602") if c.method == "sendDocument"]
    assert document.params["caption"] == "Báo cáo đánh giá của UBND xã"
    report = docx.Document(io.BytesIO(document.params["document"]))
    paragraphs = [paragraph.text for paragraph in report.paragraphs]  # Mẫu 03, part II
    assert (
        "Nguyên liệu từ xã: 80 %; từ tỉnh: 100 %; minh chứng đã xem: Hop dong mua mat ong"
        in " ".join(paragraphs)
    )
    async with sessionmaker() as session:
        dossier = await session.get_one(Dossier, int(dossier_id))
    assert dossier.status == "commune_assessed"
    # The producer is told by the alert loop running inside the web app, woken at once.
    await stand_in.wait_for_text("UBND xã đã đánh giá “Mat ong rung Xop”.")
    assert any("Tiếp theo, xã sẽ đề nghị tỉnh" in text for text in stand_in.texts("601"))


def _first_button(stand_in: TelegramStandIn, chat: str) -> str:
    """The payload of the first inline button of the last message to ``chat``."""
    markup = stand_in.sent(chat)[-1].params["reply_markup"]
    return str(markup["inline_keyboard"][0][0]["callback_data"])


async def test_coming_back_on_zalo_is_confirmed_by_a_code_sent_to_telegram(
    client: httpx.AsyncClient,
    telegram_api: tuple[TelegramStandIn, str],
    zalo_api: tuple[ZaloStandIn, str],
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    telegram, _ = telegram_api
    zalo, _ = zalo_api
    for line in SCRIPT:
        await post_telegram(client, telegram_text("701", line))
    for line in ["/start", "co", "Nguyen Van A", "0912345678"]:
        await post_zalo(client, zalo_text("z-701", line))
    assert "Số điện thoại này đã đăng ký trên Telegram" in zalo.texts("z-701")[-1]
    await post_zalo(client, zalo_text("z-701", "1"))
    # The alert loop inside the web app, woken by the conversation, sends the code at once.
    await telegram.wait_for_text("Mã xác nhận Trợ lý OCOP")
    (notice,) = [text for text in telegram.texts("701") if "Mã xác nhận" in text]
    code = notice.split(" là ")[1][:6]
    assert code.isdigit()
    await post_zalo(client, zalo_text("z-701", code))
    welcome, menu = zalo.texts("z-701")[-1].split("\n\n", 1)  # one message, two paragraphs
    assert "Chào mừng Nguyen Van A quay lại" in welcome
    assert "Anh/chị muốn làm gì" in menu
    async with sessionmaker() as session:
        people = (await session.scalars(select(Person.id))).all()
        channels = (
            await session.scalars(select(ChannelAccount.channel).order_by(ChannelAccount.id))
        ).all()
    assert len(people) == 1
    assert channels == ["telegram", "zalo"]


async def test_serve_answers_the_webhooks_before_the_middleware_stack(settings: Settings) -> None:
    app = create_app(settings)
    through_middleware: list[str] = []

    @app.middleware("http")
    async def record(request: Request, call_next: Any) -> Any:
        through_middleware.append(request.url.path)
        return await call_next(request)

    async with serve(webhooks_first(app)) as url, httpx.AsyncClient(base_url=url) as http:
        assert (await post_telegram(http, {"update_id": 1}, secret="wrong")).status_code == 403
        assert (await post_zalo(http, {}, secret="wrong")).status_code == 403
        assert (await http.get("/healthz")).status_code == 200
        assert (await http.get("/webhooks/telegram")).status_code == 405  # only POSTs skip
    assert through_middleware == ["/healthz", "/webhooks/telegram"]


async def test_every_button_of_sign_up_idea_and_checklist_fits_a_phone(
    client: httpx.AsyncClient, telegram_api: tuple[TelegramStandIn, str]
) -> None:
    stand_in, _ = telegram_api
    for line in [*SCRIPT, *idea("Mat ong rung Xop", "mat ong"), "/hoso", "menu"]:
        assert (await post_telegram(client, telegram_text("708", line))).status_code == 200
    labels = [
        button["text"]
        for call in stand_in.sent("708")
        for row in (call.params.get("reply_markup") or {}).get("inline_keyboard", [])
        for button in row
    ]
    assert len(labels) > 20
    assert max(len(label) for label in labels) <= BUTTON_LABEL_MAX, labels


async def test_a_typed_phone_number_takes_the_contact_keyboard_away(
    client: httpx.AsyncClient, telegram_api: tuple[TelegramStandIn, str]
) -> None:
    stand_in, _ = telegram_api
    for line in ["/start", "co", "Lo Thi Lan"]:
        await post_telegram(client, telegram_text("506", line))
    assert stand_in.sent("506")[-1].params["reply_markup"]["keyboard"][0][0]["request_contact"]
    await post_telegram(client, telegram_text("506", "0987 654 321"))
    assert "xã, phường" in stand_in.texts("506")[-1]
    assert stand_in.sent("506")[-1].params["reply_markup"] == {"remove_keyboard": True}
