"""One choice mechanism: every option the bot offers is reached by its number, its words or
its button alike — in the menu, in screens, in flows, and under pushed notices."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.engine import Engine
from bot.messages import Capabilities, ChoicePicked
from handlers.features import BY_NAME, FEATURES, Audience
from handlers.payloads import parse
from tests.builders import Chat, Clock
from tests.journeys import (
    comparable,
    last_options,
    new_chat,
    officer,
    producer_with_idea,
)

# Buttons on, so the test can read what each reply offers; a typed number or label then
# answers exactly the list a Zalo user sees numbered in the same order.
SEEING = Capabilities(buttons=True, contact_request=False, documents=True, max_text=4096)
FALLBACKS = (
    "chưa hiểu",
    "thuộc tin nhắn cũ",
    "thuộc câu hỏi trước",
    "gõ một số từ 1 đến",
    "gõ 1 để chọn",
    "chọn một trong các câu trả lời",
)
_phones = (f"09{n:08d}" for n in itertools.count(10000001))


@pytest.fixture
def engine(sessionmaker: async_sessionmaker[AsyncSession], clock: Clock) -> Engine:
    return Engine(sessionmaker, clock=clock)


def _chat(engine: Engine, name: str) -> Chat:
    return new_chat(engine, name, capabilities=SEEING)


async def _reached(chat: Chat, way: str, number: int, label: str, payload: str) -> str:
    if way == "number":
        await chat.say(str(number))
    elif way == "label":
        await chat.say(label)
    else:
        await chat.send(ChoicePicked(payload))
    return comparable(chat.last_text)


def _assert_not_fallback(text: str, what: str) -> None:
    for words in FALLBACKS:
        assert words not in text.lower(), f"{what} fell back: {text}"


async def _check_every_option(
    make: Callable[[], Awaitable[Chat]], path: list[str], depth: int
) -> int:
    """Open ``path`` (typed lines) on a fresh person, then check every option of the last
    reply by number, by label and by button on three fresh, identical people; recurse into
    each option's own options down to ``depth``. Returns how many options were checked."""
    reference = await make()
    for line in path:
        await reference.say(line)
    options = last_options(reference.last)
    checked = 0
    for number, (label, payload) in enumerate(options, start=1):
        seen: dict[str, str] = {}
        for way in ("button", "number", "label"):
            chat = await make()
            for line in path:
                await chat.say(line)
            seen[way] = await _reached(chat, way, number, label, payload)
        what = f"{' > '.join(path)} > {number}. {label}"
        _assert_not_fallback(seen["button"], what)
        assert seen["number"] == seen["button"], what
        assert seen["label"] == seen["button"], what
        checked += 1
        if depth > 1:
            checked += await _check_every_option(make, [*path, str(number)], depth - 1)
    return checked


async def test_every_option_of_every_feature_is_reached_by_number_label_and_button(
    engine: Engine, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """Walk the registry from the menu, as an officer and as a producer: every option of
    the menu and of each feature's first reply leads where its button leads."""
    ids = itertools.count()
    await producer_with_idea(_chat(engine, "first-producer"), next(_phones))

    async def new_officer() -> Chat:
        return await officer(_chat(engine, f"officer-{next(ids)}"), sessionmaker)

    checked = await _check_every_option(new_officer, ["menu"], depth=2)
    # menu > queue > the dossier's card: its actions (form check…)
    checked += await _check_every_option(new_officer, ["menu", "1", "1"], depth=1)
    clerk = await new_officer()
    await clerk.say("menu")
    listed = {parse(p).part(0) for _, p in last_options(clerk.last)}
    assert {f.name for f in FEATURES if f.audience is Audience.OFFICER} <= listed

    async def new_producer() -> Chat:
        n = next(ids)
        return await producer_with_idea(
            _chat(engine, f"producer-{n}"), next(_phones), f"HTX Mat ong #{n}"
        )

    checked += await _check_every_option(new_producer, ["menu"], depth=2)
    producer = await new_producer()
    await producer.say("menu")
    listed = {parse(p).part(0) for _, p in last_options(producer.last)}
    assert {f.name for f in FEATURES if f.audience is Audience.PRODUCER} <= listed
    assert checked >= 20


async def test_a_number_outside_the_list_shows_the_list_again(engine: Engine) -> None:
    chat = await producer_with_idea(_chat(engine, "p"), next(_phones))
    await chat.say("menu")
    menu = last_options(chat.last)
    await chat.say(str(len(menu) + 1))
    assert f"từ 1 đến {len(menu)}" in chat.last_text
    assert last_options(chat.last) == menu
    await chat.say("2")  # the list still answers
    _assert_not_fallback(chat.last_text, "2 after an out-of-range number")


async def test_a_menu_label_typed_in_full_or_in_part_opens_it(engine: Engine) -> None:
    chat = await producer_with_idea(_chat(engine, "p"), next(_phones))
    await chat.say("menu")
    await chat.say("Dang ky y tuong san pham")  # the label, without diacritics
    assert "Tên sản phẩm" in chat.last_text or "tên" in chat.last_text.lower()
    flow, _ = await chat.where()
    assert flow == BY_NAME["idea"].name
    await chat.say("menu")
    await chat.say("giay chung nhan")  # the feature's own words
    assert "chứng nhận" in chat.last_text.lower()
