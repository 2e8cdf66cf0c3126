"""A dossier the commune returned (issue 20, item 5): the officer's reason per item reaches
the producer in chat and on /trangthai; the producer answers a returned item again — even
one answered before — and sends the dossier back; the officer sees old → new in the queue,
on the dossier's card and in the notice."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import DossierItem, OutboxMessage
from bot.engine import Engine
from bot.i18n import translator
from bot.messages import FileKind, FileReceived
from handlers.notices import render
from tests.builders import Chat, Clock, text_of
from tests.test_checklist import walk
from tests.test_officer import dossier_ids, new_code, status

FOOD_SAFETY = "Giấy chứng nhận cơ sở đủ điều kiện sản xuất"
NOTE = "Chua co giay ATTP, xin o Phong Nong nghiep"


async def returned(
    producer: Chat, officer: Chat, sessionmaker: async_sessionmaker[AsyncSession]
) -> int:
    """A honey dossier walked with no food-safety certificate yet, returned for it."""
    await producer.sign_up()
    await producer.register_idea("Mat ong rung Xop", "thuc pham")
    await walk(
        producer,
        answers={"food_safety_certificate": "chua", "awards": "chua"},
        photos={"business_registration": 1},
    )
    await officer.say(f"/canbo {await new_code(sessionmaker)}")
    (dossier_id,) = await dossier_ids(sessionmaker)
    await officer.press(f"o:form:{dossier_id}")
    reply = officer.last_text
    for _ in range(60):  # "thieu" with a note for the food-safety paper, "du" for the rest
        if "Hồ sơ còn thiếu giấy tờ" in reply:
            break
        if "Chủ thể cần sửa hoặc bổ sung gì?" in reply:
            reply = await officer.say(NOTE)
            continue
        reply = await officer.say("thieu" if FOOD_SAFETY in reply else "du")
    await officer.say("tra lai", "luu")
    assert await status(sessionmaker, dossier_id) == "in_preparation"
    return dossier_id


async def test_a_returned_item_changed_by_the_producer_reaches_the_officer_with_the_change(
    sessionmaker: async_sessionmaker[AsyncSession], clock: Clock
) -> None:
    engine = Engine(sessionmaker, clock=clock)
    producer, officer = Chat(engine, chat="100"), Chat(engine, chat="900")
    dossier_id = await returned(producer, officer, sessionmaker)

    # The reason per item, on /trangthai (the notice carries it too: tested with the officer).
    screen = await producer.say("/trangthai")
    assert "Xã đã trả hồ sơ. Những điểm cần bổ sung:" in screen
    assert f"{FOOD_SAFETY}" in screen
    assert NOTE in screen

    # /hoso asks the returned paper again, with the officer's reason, though it was answered.
    clock.advance(days=3)
    asked = await producer.say("/hoso")
    assert await producer.where() == ("dossier", "food_safety_certificate")
    assert f"Xã trả lại giấy tờ này: {NOTE}" in asked
    await producer.say("co")
    await producer.send(FileReceived(FileKind.PHOTO, "photo-attp", "image/jpeg", 150_000))
    done = await producer.say("xong")
    assert "Gửi lại hồ sơ cho xã ngay bây giờ?" in done
    assert "1. Gửi lại hồ sơ cho xã" in done
    async with sessionmaker() as session:
        item = (
            await session.scalars(
                select(DossierItem)
                .where(DossierItem.dossier_id == dossier_id)
                .where(DossierItem.requirement_code == "food_safety_certificate")
            )
        ).one()
    assert (item.before_return, item.state) == ("missing", "have")

    sent = await producer.say("1")  # typed, as on Zalo
    assert "Đã gửi" in sent
    assert await producer.where() == (None, None)

    # The officer's queue shows what changed since the return, old → new.
    queue = await officer.say("/choduyet")
    assert "Chủ thể đã sửa từ khi xã trả hồ sơ:" in queue
    assert f"{FOOD_SAFETY}" in queue
    assert "chưa có → đã có" in queue
    card = await officer.press(f"o:open:{dossier_id}")
    assert "chưa có → đã có" in card
    async with sessionmaker() as session:
        notice = (
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == "dossier_resent")
            )
        ).one()
    assert notice.payload["changed"] == [["food_safety_certificate", "missing", "have"]]
    (shown,) = render(notice.kind, notice.payload, translator("vi"), "vi")
    assert "chưa có → đã có" in text_of(shown)

    # The officer's next check starts the count again: no stale change is shown.
    await officer.press(f"o:form:{dossier_id}")
    reply = officer.last_text
    for _ in range(60):
        if "Hồ sơ còn thiếu giấy tờ" in reply or "Anh/chị xem lại thông tin" in reply:
            break
        reply = await officer.say("du")
    await officer.say("luu")
    assert "chưa có → đã có" not in await officer.say("/choduyet")


async def test_a_dossier_not_returned_cannot_be_sent_back(
    sessionmaker: async_sessionmaker[AsyncSession], clock: Clock
) -> None:
    engine = Engine(sessionmaker, clock=clock)
    producer = Chat(engine, chat="100")
    await producer.sign_up()
    await producer.register_idea("Mat ong rung Xop", "thuc pham")
    (dossier_id,) = await dossier_ids(sessionmaker)
    assert "không ở trạng thái chờ gửi lại" in await producer.press(f"d:resend:{dossier_id}")
    async with sessionmaker() as session:
        kinds = (await session.scalars(select(OutboxMessage.kind))).all()
    assert "dossier_resent" not in kinds
