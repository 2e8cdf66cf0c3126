"""Admin fixtures: a real web app on loopback with its own database, staff accounts and
dossiers seeded through the ORM (the producer and officer journeys are tested elsewhere)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.admin.accounts import create_staff, issue_token
from bot.admin.scope import Scope
from bot.db.models import Dossier, Person, Product, Subject
from bot.settings import Settings, load_settings
from bot.web import create_app
from tests.standins import serve

XOP = "23356"  # Xã Xốp, tỉnh Quảng Ngãi
SON_HA = "21289"  # Xã Sơn Hà, same province
HOAN_KIEM = "00070"  # Phường Hoàn Kiếm, Hà Nội
PASSWORD = "mat-khau-dai-2026"
# A published council decision, as the publish forms and the API take it.
DECISION = {
    "decision_number": "15/QĐ-UBND",
    "decision_date": "2026-11-15",
    "signer": "Phó Chủ tịch Nguyễn Văn An",
}
SECRET_KEY = "k" * 32


@dataclass
class Seeded:
    """Ids of what the tests act on."""

    xop: int
    son_ha: int
    ha_noi: int
    owner: int


async def seed_dossier(
    session: AsyncSession,
    commune: str,
    product: str,
    status: str = "submitted_for_evaluation",
    owner: int | None = None,
) -> int:
    """A subject, its product and a dossier in ``status``."""
    subject = Subject(
        owner_person_id=owner, subject_type="cooperative", name=f"HTX {product}",
        commune_code=commune,
    )  # fmt: skip
    session.add(subject)
    await session.flush()
    item = Product(subject_id=subject.id, name=product, group_code="food")
    session.add(item)
    await session.flush()
    dossier = Dossier(
        product_id=item.id, kind="new", status=status, commune_code=commune, year=2026
    )
    session.add(dossier)
    await session.flush()
    return dossier.id


@pytest.fixture
async def seeded(sessionmaker: async_sessionmaker[AsyncSession]) -> Seeded:
    now = datetime.now(UTC)
    async with sessionmaker() as session, session.begin():
        owner = Person(full_name="Lò Văn Nam", consent_at=now, language="vi")
        session.add(owner)
        await session.flush()
        ids = Seeded(
            xop=await seed_dossier(session, XOP, "Mật ong Xốp", owner=owner.id),
            son_ha=await seed_dossier(session, SON_HA, "Chè Sơn Hà"),
            ha_noi=await seed_dossier(session, HOAN_KIEM, "Bánh cốm Hà Nội"),
            owner=owner.id,
        )
        for username, scope in (
            ("tinh51", "province:51"),
            ("xaxop", f"commune:{XOP}"),
            ("hanoi", "province:01"),
            ("bo", "central"),
        ):
            await create_staff(session, username, PASSWORD, Scope.parse(scope), now)
    return ids


@pytest.fixture
def admin_settings(database_url: str) -> Settings:
    return load_settings(database_url=database_url, ocop_secret_key=SECRET_KEY)


@pytest.fixture
async def admin_url(admin_settings: Settings, seeded: Seeded) -> AsyncIterator[str]:
    async with serve(create_app(admin_settings)) as url:
        yield url


async def login(url: str, username: str, password: str = PASSWORD) -> httpx.AsyncClient:
    """A browser-like client signed in as ``username``."""
    client = httpx.AsyncClient(base_url=url, timeout=30)
    page = await client.get("/admin/login")
    response = await client.post(
        "/admin/login",
        data={"username": username, "password": password, "csrf_token": csrf(page.text)},
    )
    assert response.status_code == 303, response.text
    return client


def csrf(html: str) -> str:
    """The CSRF token of the first form on a page."""
    marker = 'name="csrf_token" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


async def api_token(sessionmaker: async_sessionmaker[AsyncSession], username: str) -> str:
    async with sessionmaker() as session, session.begin():
        return await issue_token(session, username, datetime.now(UTC))
