"""Announcements to a segment: "producers with a certificate in its re-evaluation window in
Xã Xốp" reaches exactly those people, once each, after quiet hours, not those who turned
announcements off, and is counted — sent from the admin page to the Zalo and Telegram
stand-ins."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import questions
from bot.admin.scope import Scope
from bot.alerts.dispatch import Dispatcher, Pacer
from bot.alerts.timing import AlertConfig
from bot.announcements import Audience, Segment, recipients
from bot.channels.telegram import TelegramChannel
from bot.channels.zalo import ZaloChannel
from bot.db.models import (
    AlertOptOut,
    Announcement,
    AuditEntry,
    Certificate,
    ChannelAccount,
    Dossier,
    OfficerAssignment,
    OutboxMessage,
    Person,
    Product,
    Subject,
)
from bot.messages import Channel
from ocop_rules import reevaluation_window
from tests.admin.conftest import SON_HA, XOP, Seeded, api_token, csrf, login
from tests.builders import Clock
from tests.standins import ZALO_TOKEN, TelegramStandIn, ZaloStandIn, serve

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
TEXT = "Hoi cho OCOP tinh ngay 20/12: dang ky gian hang tai xa."


async def producer(
    session: AsyncSession,
    name: str,
    chat: str,
    channel: Channel,
    commune: str,
    expiries: list[tuple[date, str]],
) -> int:
    """A producer with one product per certificate (its expiry and stored status)."""
    person = Person(full_name=name, language="vi", consent_at=datetime.now(UTC))
    session.add(person)
    await session.flush()
    session.add(
        ChannelAccount(person_id=person.id, channel=channel.value, external_id=chat, chat_id=chat)
    )
    subject = Subject(
        owner_person_id=person.id, subject_type="cooperative", name=f"HTX {name}",
        commune_code=commune,
    )  # fmt: skip
    session.add(subject)
    await session.flush()
    for number, (expires_on, status) in enumerate(expiries):
        product = Product(subject_id=subject.id, name=f"SP {name} {number}", group_code="food")
        session.add(product)
        await session.flush()
        session.add(
            Certificate(
                product_id=product.id,
                stars=4,
                issuing_level="province",
                issuing_authority="UBND tỉnh Quảng Ngãi",
                issued_on=expires_on - timedelta(days=3 * 365),
                expires_on=expires_on,
                status=status,
            )
        )
    return person.id


def local(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), TZ)


async def test_an_announcement_to_certificates_in_their_window_reaches_exactly_those_once(
    admin_url: str,
    seeded: Seeded,
    sessionmaker: async_sessionmaker[AsyncSession],
    telegram: tuple[TelegramStandIn, TelegramChannel],
) -> None:
    today = datetime.now(TZ).date()
    in_window = today + timedelta(days=150)
    window = reevaluation_window(in_window)
    assert window.opens <= today <= window.closes  # ocop_rules says this one is in it
    async with sessionmaker() as session, session.begin():
        on_zalo = await producer(session, "A", "z-a", Channel.ZALO, XOP, [(in_window, "valid")])
        on_telegram = await producer(
            session, "B", "8002", Channel.TELEGRAM, XOP,
            [(in_window, "valid"), (today + timedelta(days=170), "valid")],  # two: told once
        )  # fmt: skip
        opted_out = await producer(
            session, "C", "8003", Channel.TELEGRAM, XOP, [(in_window, "valid")]
        )
        session.add(AlertOptOut(person_id=opted_out, kind="announcement"))
        revoked = await producer(session, "D", "z-d", Channel.ZALO, XOP, [(in_window, "revoked")])
        later = await producer(
            session, "E", "z-e", Channel.ZALO, XOP, [(today + timedelta(days=400), "valid")]
        )
        elsewhere = await producer(
            session, "F", "z-f", Channel.ZALO, SON_HA, [(in_window, "valid")]
        )
        past_window = await producer(
            session, "G", "z-g", Channel.ZALO, XOP, [(today + timedelta(days=100), "valid")]
        )
        officer = Person(full_name="Can bo Xop", role="officer", language="vi")
        session.add(officer)
        await session.flush()
        session.add(OfficerAssignment(person_id=officer.id, commune_code=XOP))

    clerk = await login(admin_url, "tinh51")
    page = await clerk.get("/admin/announcements")
    form = {
        "csrf_token": csrf(page.text),
        "body": TEXT,
        "audience": "producers",
        "communes": XOP,
        "certificates": "window",
    }
    preview = await clerk.post("/admin/announcements", data={**form, "action": "preview"})
    assert preview.status_code == 200
    reach = re.sub(r"<[^>]+>", "", preview.text)
    assert "Thông báo tới 3 người" in reach, reach
    assert "Telegram 1" in reach
    assert "Zalo 1" in reach
    assert "1 người đã tắt thông báo" in reach
    async with sessionmaker() as session:
        assert await session.scalar(select(OutboxMessage.id)) is None  # a preview sends nothing

    sent = await clerk.post("/admin/announcements", data={**form, "action": "send"})
    assert sent.status_code == 303
    assert "3 người" in (await clerk.get(sent.headers["location"])).text
    async with sessionmaker() as session:
        rows = (await session.scalars(select(OutboxMessage))).all()
        audited = (await session.scalars(select(AuditEntry.action))).all()
    assert sorted(row.recipient_person_id for row in rows) == sorted(
        [on_zalo, on_telegram, opted_out]
    )
    assert not {revoked, later, elsewhere, past_window, officer.id} & {
        row.recipient_person_id for row in rows
    }
    assert "announcement.send" in audited

    tg_stand_in, tg_channel = telegram
    zalo = ZaloStandIn()
    async with serve(zalo.app()) as url, httpx.AsyncClient(timeout=10) as http:
        now = datetime.now(TZ)
        night = local(now.date() if now.hour < 23 else now.date() + timedelta(days=1), 23)
        clock = Clock(night)  # quiet hours, after the announcement was queued
        dispatcher = Dispatcher(
            sessionmaker,
            {Channel.TELEGRAM: tg_channel, Channel.ZALO: ZaloChannel(http, url, ZALO_TOKEN)},
            AlertConfig(timezone=TZ),
            clock=clock,
            pacer=Pacer(rate=10_000, per_chat=0),
        )
        assert (await dispatcher.run_once()).sent == 0
        assert zalo.texts() == []
        assert tg_stand_in.texts() == []
        clock.now = night + timedelta(hours=8)  # 07:00, the end of quiet hours
        report = await dispatcher.run_once()
        assert (report.sent, report.skipped) == (2, 1)
        clock.now += timedelta(hours=1)
        assert (await dispatcher.run_once()).handled == 0  # nothing twice
    assert len(zalo.texts("z-a")) == 1
    assert TEXT in zalo.texts("z-a")[0]
    assert "tỉnh Quảng Ngãi" in zalo.texts("z-a")[0]
    assert len(tg_stand_in.texts("8002")) == 1
    assert TEXT in tg_stand_in.texts("8002")[0]
    assert tg_stand_in.texts("8003") == []
    for chat in ("z-d", "z-e", "z-f", "z-g"):
        assert zalo.texts(chat) == []

    listed = re.sub(r"<[^>]+>", "", (await clerk.get("/admin/announcements")).text)
    assert "đã gửi: 2" in listed, listed
    assert "không gửi: 1" in listed, listed
    await clerk.aclose()


async def test_commune_staff_announce_only_to_their_commune(
    admin_url: str, seeded: Seeded, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with sessionmaker() as session, session.begin():
        mine = await producer(session, "X", "z-x", Channel.ZALO, XOP, [])
        await producer(session, "Y", "z-y", Channel.ZALO, SON_HA, [])
    clerk = await login(admin_url, "xaxop")
    page = await clerk.get("/admin/announcements")
    form = {"csrf_token": csrf(page.text), "body": TEXT, "communes": SON_HA, "action": "send"}
    assert (await clerk.post("/admin/announcements", data=form)).status_code == 303
    async with sessionmaker() as session:
        recipients = (await session.scalars(select(OutboxMessage.recipient_person_id))).all()
    assert sorted(recipients) == sorted([mine, seeded.owner])  # Sơn Hà is not theirs
    province = await login(admin_url, "tinh51")
    assert TEXT in (await province.get("/admin/announcements")).text  # the province sees it
    other = await login(admin_url, "hanoi")
    assert TEXT not in (await other.get("/admin/announcements")).text
    for client in (clerk, province, other):
        await client.aclose()


async def test_the_api_previews_sends_lists_and_answers(
    admin_url: str, seeded: Seeded, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    today = datetime.now(TZ).date()
    async with sessionmaker() as session, session.begin():
        await producer(
            session, "A", "z-a", Channel.ZALO, XOP, [(today + timedelta(days=150), "valid")]
        )
        await producer(
            session, "B", "z-b", Channel.ZALO, XOP, [(today + timedelta(days=30), "valid")]
        )
    token = await api_token(sessionmaker, "tinh51")
    async with httpx.AsyncClient(
        base_url=f"{admin_url}/api/v1", headers={"Authorization": f"Bearer {token}"}
    ) as api:
        segment = {"communes": [XOP], "certificates": "expiring", "expiring_days": 60}
        reach = (await api.post("/announcements/preview", json=segment)).json()
        assert reach == {"people": 1, "channels": {"zalo": 1}, "opted_out": 0, "unreachable": 0}
        outside = {"communes": ["00070"]}  # Hoàn Kiếm, Hà Nội
        assert (await api.post("/announcements/preview", json=outside)).status_code == 404
        sent = await api.post("/announcements", json={"body": TEXT, "segment": segment})
        assert sent.status_code == 201
        assert sent.json()["recipients"] == 1
        (listed,) = (await api.get("/announcements")).json()
        assert listed["states"] == {"pending": 1}

        async with sessionmaker() as session, session.begin():
            asked = await questions.ask(
                session, person_id=seeded.owner, body="Hoi gi?", now=datetime.now(UTC)
            )
        assert asked is not None
        (question,) = (await api.get("/questions")).json()
        assert question["body"] == "Hoi gi?"
        path = f"/questions/{asked.question_id}/answer"
        answered = await api.post(path, json={"answer": "Tra loi."})
        assert answered.json()["answer"] == "Tra loi."
        assert (await api.post(path, json={"answer": "Lan nua"})).status_code == 404


async def test_the_same_send_posted_twice_makes_one_announcement_and_one_message_each(
    admin_url: str, seeded: Seeded, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """A double click or a form sent again from the browser's history carries the form's
    one-time key, as an API call retried with its Idempotency-Key does: one announcement."""
    async with sessionmaker() as session, session.begin():
        other = await producer(session, "A", "z-a", Channel.ZALO, XOP, [])
    clerk = await login(admin_url, "tinh51")
    try:
        page = await clerk.get("/admin/announcements")
        key = re.search(r'name="submission_key" value="([^"]+)"', page.text)
        assert key is not None
        form = {
            "csrf_token": csrf(page.text),
            "submission_key": key.group(1),
            "body": TEXT,
            "communes": XOP,
        }
        preview = await clerk.post("/admin/announcements", data={**form, "action": "preview"})
        assert f'name="submission_key" value="{key.group(1)}"' in preview.text  # kept
        first = await clerk.post("/admin/announcements", data={**form, "action": "send"})
        again = await clerk.post("/admin/announcements", data={**form, "action": "send"})
        assert first.status_code == again.status_code == 303
        assert first.headers["location"] == again.headers["location"]  # the same announcement
        fresh = await clerk.get(first.headers["location"])
        assert key.group(1) not in fresh.text  # a new form: a new key
    finally:
        await clerk.aclose()
    token = await api_token(sessionmaker, "tinh51")
    async with httpx.AsyncClient(
        base_url=f"{admin_url}/api/v1", headers={"Authorization": f"Bearer {token}"}
    ) as api:
        call = {"body": "Tap huan ngay 5/1", "segment": {"communes": [XOP]}}
        retried = {"Idempotency-Key": "5b7e0c1e-retry"}
        sent = await api.post("/announcements", json=call, headers=retried)
        repeated = await api.post("/announcements", json=call, headers=retried)
        assert sent.status_code == repeated.status_code == 201
        assert repeated.json() == sent.json()
        assert repeated.json()["states"] == {"pending": 2}
        unkeyed = await api.post("/announcements", json=call)  # no key: a new announcement
        assert unkeyed.json()["id"] != sent.json()["id"]
        too_long = {"Idempotency-Key": "k" * 65}
        assert (await api.post("/announcements", json=call, headers=too_long)).status_code == 422
    async with sessionmaker() as session:
        made = (await session.scalars(select(Announcement).order_by(Announcement.id))).all()
        rows = (await session.execute(select(OutboxMessage.dedupe_key))).scalars().all()
        audited = (
            await session.scalars(
                select(AuditEntry.entity_id).where(AuditEntry.action == "announcement.send")
            )
        ).all()
    assert [a.body for a in made] == [TEXT, "Tap huan ngay 5/1", "Tap huan ngay 5/1"]
    assert len(rows) == len(set(rows)) == 3 * 2  # each person once per announcement
    assert sorted(audited) == sorted(str(a.id) for a in made)  # each send audited once
    assert sorted({int(key.split(":")[2]) for key in rows}) == sorted([other, seeded.owner])


async def segment_member(
    session: AsyncSession,
    name: str,
    commune: str,
    *,
    group: str = "food",
    product_set: int | None = None,
    stars: int | None = None,
    certificate: str = "valid",
    status: str = "in_preparation",
) -> int:
    """A producer with one product of ``group`` and ``product_set``, a certificate of
    ``stars`` (if any) and a dossier in ``status``."""
    person = Person(full_name=name, language="vi", consent_at=datetime.now(UTC))
    session.add(person)
    await session.flush()
    subject = Subject(
        owner_person_id=person.id, subject_type="household", name=f"Hộ {name}",
        commune_code=commune,
    )  # fmt: skip
    session.add(subject)
    await session.flush()
    product = Product(
        subject_id=subject.id, name=f"SP {name}", group_code=group, product_set=product_set
    )
    session.add(product)
    await session.flush()
    if stars is not None:
        session.add(
            Certificate(
                product_id=product.id,
                stars=stars,
                issuing_level="province",
                issuing_authority="UBND tỉnh Quảng Ngãi",
                issued_on=date(2025, 1, 10),
                expires_on=date(2028, 1, 10),
                status=certificate,
            )
        )
    session.add(
        Dossier(product_id=product.id, kind="new", status=status, commune_code=commune, year=2026)
    )
    return person.id


async def test_segments_by_group_set_stars_status_and_officers_reach_exactly_their_people(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with sessionmaker() as session, session.begin():
        honey = await segment_member(
            session, "Mật ong", XOP, product_set=4, stars=3, status="certified"
        )
        wine = await segment_member(
            session, "Rượu", XOP, group="drink", product_set=14, stars=4,
            status="submitted_to_commune",
        )  # fmt: skip
        tea = await segment_member(session, "Chè", SON_HA, group="drink", product_set=13)
        revoked = await segment_member(
            session, "Quế", SON_HA, group="herbal", stars=5, certificate="revoked"
        )
        hanoi = await segment_member(
            session, "Cốm", "00070", group="drink", product_set=14, stars=4,
            status="submitted_to_commune",
        )  # fmt: skip
        officers = {}
        for name, commune in (("Xốp", XOP), ("Sơn Hà", SON_HA), ("Hoàn Kiếm", "00070")):
            officer = Person(full_name=f"Cán bộ {name}", role="officer", language="vi")
            session.add(officer)
            await session.flush()
            session.add(OfficerAssignment(person_id=officer.id, commune_code=commune))
            officers[name] = officer.id
    province = Scope.parse("province:51")
    today = datetime.now(TZ).date()
    expected = {
        Segment(): [honey, wine, tea, revoked],
        Segment(group="drink"): [wine, tea],  # Hà Nội's drink is outside the province
        Segment(group="herbal"): [revoked],
        Segment(product_set=14): [wine],
        Segment(product_set=13, communes=(XOP,)): [],
        Segment(stars=4): [wine],
        Segment(stars=3): [honey],
        Segment(stars=5): [],  # the only 5-star certificate was revoked
        Segment(dossier_status="submitted_to_commune"): [wine],
        Segment(dossier_status="certified", group="drink"): [],
        Segment(audience=Audience.OFFICERS): [officers["Xốp"], officers["Sơn Hà"]],
        Segment(audience=Audience.OFFICERS, communes=(SON_HA,)): [officers["Sơn Hà"]],
    }
    async with sessionmaker() as session:
        for segment, people in expected.items():
            assert await recipients(session, province, segment, today) == sorted(people), segment
        commune = Scope.parse(f"commune:{XOP}")
        assert await recipients(session, commune, Segment(group="drink"), today) == [wine]
        assert await recipients(session, Scope.parse("province:01"), Segment(stars=4), today) == [
            hanoi
        ]
