"""The calendar of rounds on the admin pages: add, change (alerts re-planned), remove."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.alerts.sweep import sweep
from bot.alerts.timing import AlertConfig
from bot.db.models import AuditEntry, Dossier, EvaluationRound, OutboxMessage
from tests.admin.conftest import XOP, Seeded, csrf, login, seed_dossier

TODAY = datetime.now(UTC).date()


def _form(token: str, name: str, opens: date, deadline: date, **more: str) -> dict[str, str]:
    return {
        "csrf_token": token,
        "name": name,
        "opens_on": opens.isoformat(),
        "registration_deadline": deadline.isoformat(),
        **more,
    }


async def _round_alerts(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, str]:
    async with sessionmaker() as session:
        rows = await session.execute(
            select(OutboxMessage.dedupe_key, OutboxMessage.state).where(
                OutboxMessage.kind == "round_opening"
            )
        )
        return {row.dedupe_key: row.state for row in rows}


async def test_a_round_is_added_changed_with_its_alerts_replanned_then_removed(
    admin_url: str, seeded: Seeded, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with sessionmaker() as session, session.begin():  # a producer waiting for a round
        await seed_dossier(session, XOP, "Chè Xốp", status="idea_registered", owner=seeded.owner)
    client = await login(admin_url, "tinh51")
    try:
        token = csrf((await client.get("/admin/rounds")).text)
        added = await client.post(
            "/admin/rounds",
            data=_form(token, "Đợt 1 năm 2027", TODAY, TODAY + timedelta(days=30),
                       council_from=(TODAY + timedelta(days=40)).isoformat(),
                       council_to=(TODAY + timedelta(days=42)).isoformat()),
            follow_redirects=True,
        )  # fmt: skip
        assert "Đã thêm đợt “Đợt 1 năm 2027”" in added.text
        async with sessionmaker() as session:
            found = await session.scalar(select(EvaluationRound))
        assert found is not None
        assert found.council_to == TODAY + timedelta(days=42)
        assert f'href="/admin/rounds/{found.id}"' in added.text
        async with sessionmaker() as session, session.begin():
            await sweep(session, datetime.now(UTC), AlertConfig())
        planned = await _round_alerts(sessionmaker)
        assert list(planned.values()) == ["pending"]

        edit = await client.get(f"/admin/rounds/{found.id}")
        assert f'value="{(TODAY + timedelta(days=30)).isoformat()}"' in edit.text
        wrong = await client.post(
            f"/admin/rounds/{found.id}",
            data=_form(token, "Đợt 1 năm 2027", TODAY, TODAY - timedelta(days=1)),
            follow_redirects=True,
        )
        assert "Ngày mở đợt phải trước hạn nộp hồ sơ." in wrong.text
        moved = await client.post(
            f"/admin/rounds/{found.id}",
            data=_form(token, "Đợt 1 năm 2027 (dời)", TODAY + timedelta(days=1),
                       TODAY + timedelta(days=45)),
            follow_redirects=True,
        )  # fmt: skip
        assert "Đã sửa đợt “Đợt 1 năm 2027 (dời)”. 1 tin nhắc theo ngày cũ đã hủy" in moved.text
        assert list((await _round_alerts(sessionmaker)).values()) == ["cancelled"]
        async with sessionmaker() as session, session.begin():
            await sweep(session, datetime.now(UTC) + timedelta(days=1), AlertConfig())
        replanned = await _round_alerts(sessionmaker)
        assert sorted(replanned.values()) == ["cancelled", "pending"]  # the new date, once

        unconfirmed = await client.post(
            f"/admin/rounds/{found.id}/remove", data={"csrf_token": token}, follow_redirects=True
        )
        assert "Hãy đánh dấu ô xác nhận" in unconfirmed.text
        removed = await client.post(
            f"/admin/rounds/{found.id}/remove",
            data={"csrf_token": token, "confirm": "yes"},
            follow_redirects=True,
        )
        assert "Đã xóa đợt đánh giá" in removed.text
        assert "Chưa có đợt đánh giá nào." in removed.text
    finally:
        await client.aclose()
    assert list((await _round_alerts(sessionmaker)).values()) == ["cancelled", "cancelled"]
    async with sessionmaker() as session:
        actions = list(
            await session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.entity_type == "evaluation_round")
                .where(AuditEntry.actor_label.like("%tinh51%"))
                .order_by(AuditEntry.id)
            )
        )
    assert actions == ["round.add", "round.change", "round.remove"]


async def test_rounds_of_another_province_and_commune_accounts_cannot_be_touched(
    admin_url: str, seeded: Seeded, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with sessionmaker() as session, session.begin():
        hanoi = EvaluationRound(
            province_code="01", name="Đợt Hà Nội", version=1, created_at=datetime.now(UTC),
            opens_on=TODAY, registration_deadline=TODAY + timedelta(days=30),
        )  # fmt: skip
        session.add(hanoi)
        await session.flush()
        round_id = hanoi.id
    for username in ("tinh51", "xaxop"):
        client = await login(admin_url, username)
        try:
            token = csrf((await client.get("/admin/rounds")).text)
            assert (await client.get(f"/admin/rounds/{round_id}")).status_code == 404
            changed = await client.post(
                f"/admin/rounds/{round_id}",
                data=_form(token, "Đổi", TODAY, TODAY + timedelta(days=60)),
            )
            removed = await client.post(
                f"/admin/rounds/{round_id}/remove",
                data={"csrf_token": token, "confirm": "yes"},
            )
            for refused in (changed, removed):
                assert refused.status_code == 303
                assert "error=" in refused.headers["location"]
        finally:
            await client.aclose()
    async with sessionmaker() as session:
        kept = await session.get(EvaluationRound, round_id)
    assert kept is not None
    assert (kept.name, kept.version) == ("Đợt Hà Nội", 1)


async def test_a_round_with_dossiers_is_not_removed(
    admin_url: str, seeded: Seeded, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    client = await login(admin_url, "tinh51")
    try:
        token = csrf((await client.get("/admin/rounds")).text)
        await client.post("/admin/rounds", data=_form(token, "Đợt 2", TODAY, TODAY))
        async with sessionmaker() as session, session.begin():
            found = await session.scalar(select(EvaluationRound))
            assert found is not None
            dossier_id = await seed_dossier(session, XOP, "Quế Xốp", owner=seeded.owner)
            dossier = await session.get(Dossier, dossier_id)
            assert dossier is not None
            dossier.round_id = found.id
        refused = await client.post(
            f"/admin/rounds/{found.id}/remove",
            data={"csrf_token": token, "confirm": "yes"},
            follow_redirects=True,
        )
        assert "Đợt “Đợt 2” đã có 1 hồ sơ nên không xóa được" in refused.text
    finally:
        await client.aclose()
    async with sessionmaker() as session:
        assert await session.get(EvaluationRound, found.id) is not None
