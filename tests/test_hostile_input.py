"""Bad input is contained at the edge, end to end through the real web app: hostile text in
a sign-up, malformed but authenticated webhook payloads, platform ids of any length, and
the exports and documents built from what was typed."""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import docx
import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.admin.accounts import create_staff, issue_token
from bot.admin.scope import Scope
from bot.cleaning import MAX_ID
from bot.db.models import ChannelAccount, ConversationSession, Person, Product, Subject
from bot.logs import JsonFormatter
from bot.settings import Settings
from bot.web import create_app, webhooks_first
from tests.standins import (
    TG_SECRET,
    ZALO_SECRET,
    TelegramStandIn,
    ZaloStandIn,
    after_webhooks,
    platform_settings,
    serve,
    telegram_text,
    zalo_text,
)
from tests.test_checklist import idea

FORMULA = '=HYPERLINK("http://x","y")'
# The formula with a control character and a NUL typed into it, as the black-box test sent it.
HOSTILE_PRODUCT = '=HYPER\x01LINK("http://x",\x00"y")'
HOSTILE_SUBJECT = "@HTX Mat\x00 ong\x01 Xop"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture
async def platforms() -> AsyncIterator[tuple[TelegramStandIn, str, ZaloStandIn, str]]:
    telegram, zalo = TelegramStandIn(), ZaloStandIn()
    async with serve(telegram.app()) as telegram_url, serve(zalo.app()) as zalo_url:
        yield telegram, telegram_url, zalo, zalo_url


@pytest.fixture
def settings(
    database_url: str, platforms: tuple[TelegramStandIn, str, ZaloStandIn, str]
) -> Settings:
    _, telegram_url, _, zalo_url = platforms
    return platform_settings(
        database_url,
        telegram_url,
        zalo_url,
        ocop_secret_key="k" * 32,
        ocop_alerts=False,
    )


@pytest.fixture
async def client(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> AsyncIterator[httpx.AsyncClient]:
    hooks = after_webhooks(sessionmaker)  # answered once the replies are sent
    async with (
        serve(webhooks_first(create_app(settings))) as url,  # as ocop-bot serve runs it
        httpx.AsyncClient(base_url=url, timeout=60, event_hooks=hooks) as http,
    ):
        yield http


JSON = {"Content-Type": "application/json"}


def _bytes(body: Any) -> bytes:
    """``body`` as JSON (escaped, so a lone surrogate goes out as ``\\ud800``)."""
    return body if isinstance(body, bytes) else json.dumps(body).encode()


async def post_telegram(client: httpx.AsyncClient, body: Any) -> httpx.Response:
    headers = {"X-Telegram-Bot-Api-Secret-Token": TG_SECRET, **JSON}
    return await client.post("/webhooks/telegram", content=_bytes(body), headers=headers)


async def post_zalo(client: httpx.AsyncClient, body: Any) -> httpx.Response:
    headers = {"X-Bot-Api-Secret-Token": ZALO_SECRET, **JSON}
    return await client.post("/webhooks/zalo", content=_bytes(body), headers=headers)


def sign_up(subject: str, phone: str = "0912345678") -> list[str]:
    """The producer's sign-up in Xã Xốp with ``subject`` as the cooperative's name."""
    return ["/start", "co", "Lo Van Nam", phone, "xa xop", "hop tac xa", subject, "bo qua",
            "luu"]  # fmt: skip


async def province_token(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, str]:
    """The API header of a fresh Quảng Ngãi province account (Xã Xốp lies in it)."""
    now = datetime.now(UTC)
    async with sessionmaker() as session, session.begin():
        await create_staff(session, "tinh51", "mat-khau-dai-2026", Scope.parse("province:51"), now)
        token = await issue_token(session, "tinh51", now)
    return {"Authorization": f"Bearer {token}"}


async def test_a_formula_named_product_with_control_characters_signs_up_prints_and_exports_inert(
    client: httpx.AsyncClient,
    platforms: tuple[TelegramStandIn, str, ZaloStandIn, str],
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    telegram = platforms[0]
    script = [*sign_up(HOSTILE_SUBJECT), *idea(HOSTILE_PRODUCT, "mat ong"), "/phieu"]
    for line in script:
        response = await post_telegram(client, telegram_text("611", line))
        assert response.status_code == 200, line
    async with sessionmaker() as session:
        product = (await session.execute(select(Product))).scalar_one()
        subject = (await session.execute(select(Subject))).scalar_one()
    assert product.name == FORMULA  # stored cleaned: no \x01, no NUL
    assert subject.name == "@HTX Mat ong Xop"

    documents = [c for c in telegram.calls if c.method == "sendDocument"]
    assert len(documents) == 1  # /phieu worked
    form = docx.Document(io.BytesIO(documents[0].params["document"]))
    printed = "\n".join(
        cell.text for table in form.tables for row in table.rows for cell in row.cells
    )
    assert FORMULA in printed

    headers = await province_token(sessionmaker)
    csv_export = await client.get("/api/v1/exports/dossiers.csv", headers=headers)
    xlsx_export = await client.get("/api/v1/exports/dossiers.xlsx", headers=headers)
    assert (csv_export.status_code, xlsx_export.status_code) == (200, 200)

    rows = list(csv.reader(io.StringIO(csv_export.content.decode("utf-8-sig"))))
    assert [row[1] for row in rows[1:]] == [f"'{FORMULA}"]
    assert [row[3] for row in rows[1:]] == ["'@HTX Mat ong Xop"]
    assert not [cell for row in rows for cell in row if cell.startswith(FORMULA_STARTS)]

    sheet = load_workbook(io.BytesIO(xlsx_export.content)).worksheets[0]
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert [cell.coordinate for cell in cells if cell.data_type == "f"] == []
    assert not [
        c.value for c in cells if isinstance(c.value, str) and c.value.startswith(FORMULA_STARTS)
    ]
    assert f"'{FORMULA}" in [cell.value for cell in cells]


def _nested(depth: int) -> bytes:
    return b'{"update_id": 1, "message": ' + b"[" * depth + b"]" * depth + b"}"


def _telegram(**message: Any) -> dict[str, Any]:
    """A Telegram update whose message fields are replaced by ``message`` (None deletes)."""
    update = telegram_text("612", "xin chao", update_id=900_000 + len(json.dumps(message)))
    for key, value in message.items():
        if value is None:
            update["message"].pop(key, None)
        else:
            update["message"][key] = value
    return update


def _zalo(**message: Any) -> dict[str, Any]:
    """A Zalo event whose message fields are replaced by ``message`` (None deletes)."""
    event = zalo_text("z-612", "xin chao")
    for key, value in message.items():
        if value is None:
            event["message"].pop(key, None)
        else:
            event["message"][key] = value
    return event


MALFORMED_TELEGRAM: dict[str, Any] = {
    "a list": [1, 2, 3],
    "a string": "update",
    "nested 100,000 deep": _nested(100_000),
    "update_id a word": {"update_id": "x", "message": {"text": "hi"}},
    "message a string": {"update_id": 3, "message": "hi"},
    "no chat": _telegram(chat=None),
    "chat without id": _telegram(chat={"type": "private"}),
    "chat id an object": _telegram(chat={"id": {"a": 1}, "type": "private"}),
    "date 10**30": _telegram(date=10**30),
    "date -10**20": _telegram(date=-(10**20)),
    "date a word": _telegram(date="yesterday"),
    "text an object": _telegram(text={"a": [1, 2]}),
    "text a number": _telegram(text=12345),
    "from a list": _telegram(**{"from": [1, 2]}),
    "photo a string": _telegram(text=None, photo="big"),
    "photo of numbers": _telegram(text=None, photo=[1, 2, 3]),
    "contact phone an object": _telegram(text=None, contact={"phone_number": {"x": 1}}),
    "callback without message": {
        "update_id": 5,
        "callback_query": {"id": "c", "from": {"id": 612, "is_bot": False, "first_name": "L"}},
    },
    "a lone surrogate and NUL": _telegram(text="\ud800abc\x00"),
    "update_id 10**40": {**telegram_text("612", "x"), "update_id": 10**40},
}
MALFORMED_ZALO: dict[str, Any] = {
    "a list": [{"event_name": "message.text.received"}],
    "event name a number": {"event_name": 5, "message": {}},
    "message a list": {"event_name": "message.text.received", "message": []},
    "no ids": _zalo(chat=None, **{"from": None}),
    "date 1e30": _zalo(date=1e30),
    "date a word": _zalo(date="hôm qua"),
    "text an object": _zalo(text={"a": 1}),
    "from a string": _zalo(**{"from": "someone"}),
    "chat a list": _zalo(chat=[1]),
    "message_id an object": _zalo(message_id={"id": 1}),
    "display name an object": _zalo(**{"from": {"id": "z-612", "display_name": {"a": 1}}}),
    "nested result": {"ok": True, "result": {"result": {"result": []}}},
    "nested 100,000 deep": _nested(100_000),
    "caption an object": {
        "event_name": "message.image.received",
        "message": {**_zalo()["message"], "photo_url": "http://x/p.jpg", "caption": {"a": 1}},
    },
}


async def test_thirty_malformed_authenticated_payloads_are_acknowledged_and_logged(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    assert len(MALFORMED_TELEGRAM) + len(MALFORMED_ZALO) >= 30
    answers: dict[str, int] = {}
    with caplog.at_level(logging.INFO):
        for name, body in MALFORMED_TELEGRAM.items():
            answers[f"telegram: {name}"] = (await post_telegram(client, body)).status_code
        for name, body in MALFORMED_ZALO.items():
            answers[f"zalo: {name}"] = (await post_zalo(client, body)).status_code
    assert {name: status for name, status in answers.items() if status != 200} == {}
    failures = [r for r in caplog.records if r.name == "bot.web" and r.exc_info]
    assert failures, "the payloads that broke the parsing are logged with their exception"
    logged = json.loads(JsonFormatter().format(failures[0]))
    assert logged["traceback"].startswith("Traceback (most recent call last):")
    assert 'File "' in logged["traceback"]
    # and the bot still works afterwards
    assert (await post_telegram(client, telegram_text("613", "/start"))).status_code == 200


async def test_zalo_ids_of_any_length_are_kept(
    client: httpx.AsyncClient,
    platforms: tuple[TelegramStandIn, str, ZaloStandIn, str],
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    zalo = platforms[2]
    long_id = "z" + "7" * 120  # longer than the 64 characters the columns once had
    huge_id = "h" + "8" * 5000  # longer than any index entry may be
    for chat, phone in ((long_id, "0912345678"), (huge_id, "0987654321")):
        for number, line in enumerate(sign_up("HTX Mat ong Xop", phone)):
            event = zalo_text(chat, line)
            event["message"]["message_id"] = f"{chat}-{number}"  # event ids as long as chats
            assert (await post_zalo(client, event)).status_code == 200
    async with sessionmaker() as session:
        accounts = (await session.scalars(select(ChannelAccount))).all()
        people = (await session.scalars(select(Person))).all()
        sessions = (await session.scalars(select(ConversationSession))).all()
    kept = sorted((a.external_id for a in accounts), key=len)
    assert kept[0] == long_id
    assert kept[1].startswith(huge_id[:100])
    assert len(kept[1]) == MAX_ID
    assert len(people) == 2
    assert {s.step for s in sessions} == {None}  # both sign-ups went to the end
    assert zalo.texts(huge_id)  # and the replies went to the id the platform gave
