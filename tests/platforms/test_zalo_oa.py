"""The Zalo Official Account channel through the real web app and the OA's stand-in: the
signature check, the same sign-up and idea registration with quick replies and the phone
shared from Zalo, redeliveries handled once, and Zalo's documented refusals (HTTP 200 with
``error != 0``: token errors renewed once, -230 outside the window, -32 quota)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import oa_inbox
from bot.channels import RetryLaterError
from bot.channels.zalo_oa import ZaloOAChannel, ZaloOAError, sign
from bot.db.models import (
    ChannelAccount,
    ConversationSession,
    OutboxMessage,
    Person,
    ProcessedEvent,
    Product,
    ZaloOAChat,
    ZaloOAInboxEvent,
)
from bot.messages import Option, PhoneRequest, Reply
from bot.oa_delivery import tracking_id
from bot.oa_tokens import SecretBox, TokenStore
from bot.settings import Settings
from bot.web import create_app, webhooks_first
from tests.admin.conftest import SECRET_KEY
from tests.builders import kept_evidence, png
from tests.standins import (
    OA_APP_ID,
    OA_APP_SECRET,
    OA_ID,
    OA_SECRET_KEY,
    TelegramStandIn,
    ZaloOAStandIn,
    ZaloStandIn,
    oa_event,
    oa_image,
    oa_settings,
    oa_submit_info,
    oa_text,
    replies_delivered,
    serve,
    zalo_text,
)
from tests.test_channels import EXPECTED, SCRIPT, post_zalo, stored
from tests.test_checklist import idea

PHONE_ANSWER = "0912345678"  # SCRIPT's typed phone: on the OA it is shared instead


@pytest.fixture
async def oa_api() -> AsyncIterator[tuple[ZaloOAStandIn, str]]:
    stand_in = ZaloOAStandIn()
    async with serve(stand_in.app()) as url:
        yield stand_in, url


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
        ocop_quiet_hours="00:00-00:00",
    )


async def inbox_handled(sessionmaker: async_sessionmaker[AsyncSession], within: float = 30) -> None:
    """Wait until every kept OA event was handled (the webhook answers before that)."""
    deadline = time.monotonic() + within
    query = select(func.count()).select_from(ZaloOAInboxEvent)
    while True:
        async with sessionmaker() as session:
            left = await session.scalar(query.where(ZaloOAInboxEvent.handled_at.is_(None)))
        if not left:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{left} OA events still unhandled after {within} s")
        await asyncio.sleep(0.01)


@pytest.fixture
async def client(
    app_url: str, sessionmaker: async_sessionmaker[AsyncSession]
) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose webhook answers return once their events are handled and replied to,
    so a test reads the replies as the person would see them."""

    async def wait(response: httpx.Response) -> None:
        if response.request.url.path.startswith("/webhooks/"):
            await inbox_handled(sessionmaker)
            await replies_delivered(sessionmaker, retries_too=False)

    hooks = {"response": [wait]}
    async with httpx.AsyncClient(base_url=app_url, timeout=30, event_hooks=hooks) as http:
        yield http


def token_store(
    sessionmaker: async_sessionmaker[AsyncSession],
    http: httpx.AsyncClient,
    url: str,
    clock: Callable[[], datetime] | None = None,
) -> TokenStore:
    """The OA's token store as the tests' settings make it: the stand-in's OAuth at ``url``,
    tokens sealed with the test key; ``clock`` when time must be set."""
    timed = {} if clock is None else {"clock": clock}
    return TokenStore(
        sessionmaker,
        http,
        SecretBox(SECRET_KEY.encode()),
        oa_id=OA_ID,
        app_id=OA_APP_ID,
        app_secret=OA_APP_SECRET,
        oauth_base_url=url,
        **timed,
    )


@pytest.fixture
async def granted(
    oa_api: tuple[ZaloOAStandIn, str], sessionmaker: async_sessionmaker[AsyncSession]
) -> tuple[str, str]:
    """The OA's first pair, stored as the admin's grant would store it."""
    stand_in, url = oa_api
    access, refresh = stand_in.grant("first")
    async with httpx.AsyncClient() as http:
        await token_store(sessionmaker, http, url).grant(
            access_token=access, refresh_token=refresh, expires_in="90000"
        )
    return access, refresh


async def post_oa(
    client: httpx.AsyncClient, body: dict[str, Any], *, secret: str | None = OA_SECRET_KEY
) -> httpx.Response:
    raw = json.dumps(body).encode()
    headers = {"content-type": "application/json"}
    if secret is not None:
        headers["X-ZEvent-Signature"] = sign(raw, app_id=OA_APP_ID, secret=secret)
    return await client.post("/webhooks/zalo-oa", content=raw, headers=headers)


async def count(sessionmaker: async_sessionmaker[AsyncSession], model: type[Any]) -> int:
    async with sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.parametrize(
    "signature",
    [None, "", "mac=" + "0" * 64, "wrong-secret", "other-body"],
)
async def test_a_missing_or_wrong_signature_is_refused_and_nothing_stored(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    granted: tuple[str, str],
    signature: str | None,
) -> None:
    body = oa_text("8001", "/start")
    raw = json.dumps(body).encode()
    headers = {"content-type": "application/json"}
    if signature == "wrong-secret":
        headers["X-ZEvent-Signature"] = sign(raw, app_id=OA_APP_ID, secret="not-the-key")
    elif signature == "other-body":
        other = json.dumps(oa_text("8001", "menu")).encode()
        headers["X-ZEvent-Signature"] = sign(other, app_id=OA_APP_ID, secret=OA_SECRET_KEY)
    elif signature is not None:
        headers["X-ZEvent-Signature"] = signature
    response = await client.post("/webhooks/zalo-oa", content=raw, headers=headers)
    assert response.status_code == 403
    assert await count(sessionmaker, ZaloOAInboxEvent) == 0
    assert await count(sessionmaker, ProcessedEvent) == 0
    assert await count(sessionmaker, ConversationSession) == 0


@pytest.mark.parametrize("secret", [OA_SECRET_KEY, OA_APP_SECRET])
async def test_a_signature_under_either_secret_is_accepted(
    client: httpx.AsyncClient,
    oa_api: tuple[ZaloOAStandIn, str],
    granted: tuple[str, str],
    secret: str,
) -> None:
    stand_in, _ = oa_api
    assert (await post_oa(client, oa_text("8002", "/start"), secret=secret)).status_code == 200
    assert "trợ lý tự động" in stand_in.texts("8002")[0]


async def sign_up_on_oa(client: httpx.AsyncClient, stand_in: ZaloOAStandIn, user: str) -> None:
    """Run SCRIPT's sign-up on the OA: the consent by quick reply, the phone shared."""
    for line in SCRIPT:
        sends = stand_in.sent(user)
        if line == PHONE_ANSWER:
            # the phone question came with Zalo's request card; the user shares it
            assert sends[-1].params["template_type"] == "request_user_info"
            body = oa_submit_info(user, "84912345678")
        elif line == "co":
            # the consent question offers quick replies: tap the first (its payload is sent)
            buttons = sends[-1].params["buttons"]
            assert buttons
            assert buttons[0][1] == "Có"
            body = oa_text(user, buttons[0][1])
        else:
            body = oa_text(user, line)
        assert (await post_oa(client, body)).status_code == 200


async def test_sign_up_and_idea_registration_run_on_the_oa_with_quick_replies(
    client: httpx.AsyncClient,
    oa_api: tuple[ZaloOAStandIn, str],
    sessionmaker: async_sessionmaker[AsyncSession],
    granted: tuple[str, str],
) -> None:
    stand_in, _ = oa_api
    user = "7345678901234567890"  # beyond 2**53: kept as text
    await sign_up_on_oa(client, stand_in, user)
    assert await stored(sessionmaker) == EXPECTED
    for line in idea("Mat ong rung Xop", "mat ong"):
        assert (await post_oa(client, oa_text(user, line))).status_code == 200
    async with sessionmaker() as session:
        product = await session.scalar(select(Product))
        account = await session.scalar(select(ChannelAccount))
    assert product is not None
    assert product.name == "Mat ong rung Xop"
    assert account is not None
    assert (account.channel, account.chat_id) == ("zalo_oa", user)
    calls = stand_in.sent(user)
    assert all(len(call.params["buttons"]) <= 5 for call in calls)
    assert any(call.params["buttons"] for call in calls)
    # a list longer than five options goes as numbered text, answered by its number
    assert any("6. " in call.params["text"] for call in calls)


async def test_a_photo_sent_to_the_oa_is_kept_as_bytes_with_its_checklist_item(
    client: httpx.AsyncClient,
    oa_api: tuple[ZaloOAStandIn, str],
    sessionmaker: async_sessionmaker[AsyncSession],
    granted: tuple[str, str],
) -> None:
    stand_in, url = oa_api
    user = "8013"
    await sign_up_on_oa(client, stand_in, user)
    for line in [*idea("Mat ong rung Xop", "mat ong"), "/hoso", "co"]:
        assert (await post_oa(client, oa_text(user, line))).status_code == 200
    photo = png(4, 3)
    stand_in.files["giay-phep.jpg"] = photo  # the CDN claims JPEG for everything
    assert (await post_oa(client, oa_image(user, f"{url}/cdn/giay-phep.jpg"))).status_code == 200
    assert "Đã nhận (1 tệp)" in stand_in.texts(user)[-1]
    await post_oa(client, oa_image(user, f"{url}/cdn/expired.jpg"))  # 404 by now
    assert "chưa tải được tệp" in stand_in.texts(user)[-1]
    ((evidence, item),) = await kept_evidence(sessionmaker)
    assert (evidence.channel, evidence.media_type, evidence.size_bytes) == (
        "zalo_oa",
        "image/png",  # read from the bytes, not the CDN's claim
        len(photo),
    )
    assert evidence.content == photo
    assert item.state == "have"


async def test_a_redelivered_event_is_handled_once(
    client: httpx.AsyncClient,
    oa_api: tuple[ZaloOAStandIn, str],
    sessionmaker: async_sessionmaker[AsyncSession],
    granted: tuple[str, str],
) -> None:
    stand_in, _ = oa_api
    body = oa_text("8003", "/start")
    assert (await post_oa(client, body)).status_code == 200
    sent = len(stand_in.sent("8003"))
    assert sent >= 1
    assert (await post_oa(client, body)).status_code == 200
    assert len(stand_in.sent("8003")) == sent
    assert await count(sessionmaker, ProcessedEvent) == 1
    assert await count(sessionmaker, ZaloOAInboxEvent) == 1  # kept once
    async with sessionmaker() as session:
        window = await session.scalar(select(ZaloOAChat))
    assert window is not None
    assert window.user_id == "8003"  # the follower's window opened when they wrote
    assert window.replies_since == sent  # and each free reply since is counted


@pytest.mark.parametrize(
    "event",
    [
        {"event_name": "user_send_sticker", "type": "sticker", "payload": {"id": "st1"}},
        {
            "event_name": "user_send_location",
            "type": "location",
            "payload": {"coordinates": {"latitude": "21.0", "longitude": "105.8"}},
        },
    ],
)
async def test_stickers_and_locations_get_a_kind_answer(
    client: httpx.AsyncClient,
    oa_api: tuple[ZaloOAStandIn, str],
    granted: tuple[str, str],
    event: dict[str, Any],
) -> None:
    stand_in, _ = oa_api
    message = {
        "msg_id": "991",
        "text": "",
        "attachments": [{"type": event["type"], "payload": event["payload"]}],
    }
    body = oa_event("8004", event["event_name"], message=message)
    assert (await post_oa(client, body)).status_code == 200
    assert stand_in.texts("8004")  # answered, not dropped


async def test_follow_greets_and_unfollow_marks_the_chat_unreachable(
    client: httpx.AsyncClient,
    oa_api: tuple[ZaloOAStandIn, str],
    sessionmaker: async_sessionmaker[AsyncSession],
    granted: tuple[str, str],
) -> None:
    stand_in, _ = oa_api
    user = "8005"
    follow = oa_event(user, "follow", follower={"id": user}, oa_id=OA_ID, source="oa_profile")
    del follow["sender"]
    assert (await post_oa(client, follow)).status_code == 200
    assert "trợ lý tự động" in stand_in.texts(user)[0]
    for line in SCRIPT[1:]:
        await post_oa(client, oa_text(user, line))
    unfollow = {**follow, "event_name": "unfollow", "timestamp": str(int(follow["timestamp"]) + 1)}
    assert (await post_oa(client, unfollow)).status_code == 200
    async with sessionmaker() as session:
        account = await session.scalar(select(ChannelAccount).where(ChannelAccount.chat_id == user))
    assert account is not None
    assert account.reachable is False


async def test_token_errors_renew_the_token_once_and_send_again(
    oa_api: tuple[ZaloOAStandIn, str],
    sessionmaker: async_sessionmaker[AsyncSession],
    granted: tuple[str, str],
) -> None:
    stand_in, url = oa_api
    async with httpx.AsyncClient() as http:
        channel = ZaloOAChannel(http, url, token_store(sessionmaker, http, url))
        stand_in.token_errors = 1  # -216 once
        await channel.send("8006", Reply("Xin chào"))
        assert stand_in.texts("8006") == ["Xin chào"]
        assert stand_in.refreshes == ["refresh-first"]
        stand_in.token_errors = 2  # refused again after the renewal: one renewal only
        with pytest.raises(ZaloOAError) as raised:
            await channel.send("8006", Reply("Lần hai"))
        assert raised.value.code == -216
        assert stand_in.refreshes == ["refresh-first", "refresh-r1"]


async def test_an_expired_token_is_renewed_once_for_a_message_and_for_a_template(
    oa_api: tuple[ZaloOAStandIn, str],
    sessionmaker: async_sessionmaker[AsyncSession],
    granted: tuple[str, str],
) -> None:
    stand_in, url = oa_api
    first, _ = granted
    async with httpx.AsyncClient() as http:
        channel = ZaloOAChannel(
            http, url, token_store(sessionmaker, http, url), template_base_url=url
        )
        stand_in.expire(first)  # its 25 hours ran out early: -220
        await channel.send("8012", Reply("Xin chào"))
        assert stand_in.texts("8012") == ["Xin chào"]
        assert stand_in.refreshes == ["refresh-first"]
        assert first not in stand_in.live_access  # replaced by the refresh
        stand_in.expire("access-r1")  # the template API answers -220 as well
        sent = await channel.send_template(
            phone="84912345678", template_id="tpl-1", data={"ten": "Lan"}, tracking_id="ocop-1"
        )
        assert sent.quota_left is not None
        assert [t["template_id"] for t in stand_in.templates] == ["tpl-1"]
        assert stand_in.refreshes == ["refresh-first", "refresh-r1"]
        stand_in.token_errors = 2  # -216 from the template API, again after the renewal
        with pytest.raises(ZaloOAError) as raised:
            await channel.send_template(
                phone="84912345678", template_id="tpl-1", data={}, tracking_id="ocop-2"
            )
        assert raised.value.code == -216
        assert stand_in.refreshes == ["refresh-first", "refresh-r1", "refresh-r2"]  # once
    assert len(stand_in.templates) == 1


async def test_no_interaction_for_7_days_and_quota_are_told_apart(
    oa_api: tuple[ZaloOAStandIn, str],
    sessionmaker: async_sessionmaker[AsyncSession],
    granted: tuple[str, str],
) -> None:
    stand_in, url = oa_api
    async with httpx.AsyncClient() as http:
        channel = ZaloOAChannel(http, url, token_store(sessionmaker, http, url))
        stand_in.silent_users.add("8007")
        with pytest.raises(ZaloOAError) as raised:
            await channel.send("8007", Reply("Nhắc hạn"))
        assert raised.value.outside_window
        assert raised.value.permanent  # sending it again as a free message cannot help
        stand_in.quota_left = 0
        with pytest.raises(RetryLaterError) as limited:
            await channel.send("8008", Reply("Nhắc hạn"))
        assert limited.value.rate_limited
    assert stand_in.texts() == []


async def test_choices_become_quick_replies_up_to_five_and_the_phone_a_request_card(
    oa_api: tuple[ZaloOAStandIn, str],
    sessionmaker: async_sessionmaker[AsyncSession],
    granted: tuple[str, str],
) -> None:
    stand_in, url = oa_api
    async with httpx.AsyncClient() as http:
        channel = ZaloOAChannel(http, url, token_store(sessionmaker, http, url))
        options = tuple(Option(f"Lựa chọn {n}", f"p{n}") for n in range(1, 4))
        await channel.send("8009", Reply("Chọn một", (options,)))
        await channel.send("8009", PhoneRequest("Số điện thoại của anh/chị?", "Gửi số"))
    first, question, card = stand_in.sent("8009")
    assert first.params["buttons"] == [(o.label, o.label) for o in options]
    assert question.params["text"] == "Số điện thoại của anh/chị?"
    assert card.params["template_type"] == "request_user_info"


async def test_the_phone_question_spends_two_replies_of_the_window(
    client: httpx.AsyncClient,
    oa_api: tuple[ZaloOAStandIn, str],
    sessionmaker: async_sessionmaker[AsyncSession],
    granted: tuple[str, str],
) -> None:
    """Zalo counts the messages the OA sends in the window: the phone question is its text
    and the request card, two messages."""
    stand_in, _ = oa_api
    user = "8014"
    for line in SCRIPT[: SCRIPT.index(PHONE_ANSWER) - 1]:  # up to the name
        await post_oa(client, oa_text(user, line if line != "co" else "Có"))
    before = len(stand_in.sent(user))
    await post_oa(client, oa_text(user, SCRIPT[SCRIPT.index(PHONE_ANSWER) - 1]))  # the name
    turn = stand_in.sent(user)[before:]
    assert [call.params["template_type"] for call in turn] == [None, "request_user_info"]
    async with sessionmaker() as session:
        window = await session.scalar(select(ZaloOAChat).where(ZaloOAChat.user_id == user))
    assert window is not None
    assert window.replies_since == 2  # since the name, the last message the user sent


async def test_a_template_receipt_marks_its_alert_delivered(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    granted: tuple[str, str],
) -> None:
    now = datetime.now(UTC)
    async with sessionmaker() as session, session.begin():
        person = Person(full_name="Lan", language="vi", consent_at=now)
        session.add(person)
        await session.flush()
        alert = OutboxMessage(
            dedupe_key="cert_expiry:c1:v1:x",
            recipient_person_id=person.id,
            kind="cert_expiry",
            payload={},
            due_at=now,
            state="sent",
            route="zalo_oa_template",
        )
        session.add(alert)
    message = {"msg_id": "zbs1", "tracking_id": tracking_id(alert.id), "delivery_time": "1"}
    receipt = oa_event("8010", "user_received_message", message=message)
    receipt["sender"], receipt["recipient"] = {"id": OA_ID}, {"id": "8010"}
    assert (await post_oa(client, receipt)).status_code == 200
    async with sessionmaker() as session:
        stored_alert = await session.get(OutboxMessage, alert.id)
    assert stored_alert is not None
    assert stored_alert.delivered_at is not None


async def test_an_oa_follower_is_linked_by_the_phone_they_share_and_a_code(
    client: httpx.AsyncClient,
    zalo_api: tuple[ZaloStandIn, str],
    oa_api: tuple[ZaloOAStandIn, str],
    sessionmaker: async_sessionmaker[AsyncSession],
    granted: tuple[str, str],
) -> None:
    zalo, _ = zalo_api
    oa, _ = oa_api
    for line in SCRIPT:  # signed up on the Zalo Bot Platform first
        await post_zalo(client, zalo_text("z-801", line))
    user = "8011"
    for line in ["/start", "co", "Nguyen Van B"]:  # not the same name: the phone decides
        await post_oa(client, oa_text(user, line))
    await post_oa(client, oa_submit_info(user, "84912345678"))
    assert "Số điện thoại này đã đăng ký trên Zalo" in oa.texts(user)[-1]
    await post_oa(client, oa_text(user, "1"))
    await zalo.wait_for_text("Mã xác nhận Trợ lý OCOP")
    (notice,) = [text for text in zalo.texts("z-801") if "Mã xác nhận" in text]
    code = notice.split(" là ")[1][:6]
    await post_oa(client, oa_text(user, code))
    assert "Chào mừng Nguyen Van A quay lại" in oa.texts(user)[-1]
    async with sessionmaker() as session:
        people = (await session.scalars(select(Person.id))).all()
        accounts = (
            await session.execute(
                select(ChannelAccount.channel, ChannelAccount.person_id).order_by(ChannelAccount.id)
            )
        ).all()
    assert len(people) == 1
    assert [channel for channel, _ in accounts] == ["zalo", "zalo_oa"]
    assert {person for _, person in accounts} == {people[0]}


async def test_an_event_left_unhandled_is_handled_by_the_sweep(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    now = datetime.now(UTC)
    stale, fresh = oa_text("8020", "/start"), oa_text("8021", "/start")
    for body, at in ((stale, now - timedelta(minutes=2)), (fresh, now)):
        event_id = f"msg:{body['message']['msg_id']}"
        assert await oa_inbox.keep(sessionmaker, event_id=event_id, body=body, at=at)
        assert not await oa_inbox.keep(sessionmaker, event_id=event_id, body=body, at=at)
    seen: list[dict[str, Any]] = []

    async def handle(body: dict[str, Any]) -> bool:
        seen.append(body)
        return True

    assert await oa_inbox.handle_pending(sessionmaker, handle, now) == 1
    assert seen == [stale]  # the fresh one is still being handled by its webhook
    assert await oa_inbox.handle_pending(sessionmaker, handle, now) == 0  # marked handled


async def test_an_event_left_behind_by_a_process_is_answered_by_the_web_apps_sweep(
    settings: Settings,
    oa_api: tuple[ZaloOAStandIn, str],
    sessionmaker: async_sessionmaker[AsyncSession],
    granted: tuple[str, str],
) -> None:
    """A process kept the event and died before handling it; the next web app's sweep
    handles it through the real path: the person gets the reply, the event is marked."""
    stand_in, _ = oa_api
    body = oa_text("8022", "/start")
    event_id = f"msg:{body['message']['msg_id']}"
    left_at = datetime.now(UTC) - oa_inbox.STALE_AFTER - timedelta(seconds=30)
    assert await oa_inbox.keep(sessionmaker, event_id=event_id, body=body, at=left_at)
    assert stand_in.texts("8022") == []
    async with serve(webhooks_first(create_app(settings))):
        await inbox_handled(sessionmaker)
        await replies_delivered(sessionmaker, retries_too=False)
    assert "trợ lý tự động" in stand_in.texts("8022")[0]
    async with sessionmaker() as session:
        kept = await session.scalar(select(ZaloOAInboxEvent))
        window = await session.scalar(select(ZaloOAChat))
    assert kept is not None
    assert kept.handled_at is not None
    assert window is not None
    assert window.user_id == "8022"  # the window opened by the sweep's handling too
    assert await count(sessionmaker, ProcessedEvent) == 1
