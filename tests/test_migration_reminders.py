"""Migration 0009: expiry reminders pending under the old 180/90/30/7/0 schedule are dropped,
and the sweep plans existing certificates' reminders on the QĐ 26 schedule."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import JSON, DateTime, column, insert, select, table
from sqlalchemy.ext.asyncio import AsyncSession

from bot.alerts.sweep import sweep
from bot.alerts.timing import AlertConfig
from bot.db import schema
from bot.db.engine import create_engine, create_sessionmaker
from bot.db.models import AlertSweep, Certificate, OutboxMessage, Product, Subject
from ocop_rules import ALERT_SCHEDULE, certificate_expiry

TODAY = date(2027, 6, 1)
NOW = datetime(2027, 6, 1, 1, 0, tzinfo=UTC)  # 08:00 in Việt Nam


# The seed is written with the columns of revision 0007, not the models (which follow the
# newest schema): later revisions add columns these tables did not have then.
_AT = DateTime(timezone=True)
_PEOPLE = table("people", column("id"), column("full_name"), column("language"),
                column("role"), column("created_at", _AT))  # fmt: skip
_OUTBOX = table(
    "notification_outbox", column("dedupe_key"), column("recipient_person_id"), column("kind"),
    column("payload", JSON), column("due_at", _AT), column("state"), column("attempts"),
    column("created_at", _AT),
)  # fmt: skip


def _reminder(person: int, key: str, state: str, **payload: Any) -> dict[str, Any]:
    return _row(
        person,
        key,
        "cert_expiry",
        {"product": "Chè", "stars": 4, "expires_on": "2027-12-31", **payload},
        state,
    )


def _row(person: int, key: str, kind: str, payload: dict[str, Any], state: str) -> dict[str, Any]:
    return {
        "dedupe_key": key, "recipient_person_id": person, "kind": kind, "payload": payload,
        "due_at": NOW, "state": state, "attempts": 0, "created_at": NOW,
    }  # fmt: skip


async def _seed(session: AsyncSession) -> int:
    """A producer and an officer with reminders of the old schedule, in every state."""
    await session.execute(
        insert(_PEOPLE),
        [
            {
                "id": 1,
                "full_name": "Lò Văn Nam",
                "language": "vi",
                "role": "producer",
                "created_at": NOW,
            },
            {"id": 2, "full_name": "Hoa", "language": "vi", "role": "officer", "created_at": NOW},
        ],
    )
    producer, officer = 1, 2
    round_payload = {"round": "Đợt 1", "days_before": 30, "deadline": "2027-06-30"}
    await session.execute(
        insert(_OUTBOX),
        [
            _reminder(producer, "old-90", "pending", days_before=90),
            _reminder(producer, "old-30-legal", "pending", days_before=30, legal=True),
            _reminder(officer, "old-30-officer", "pending", days_before=30, audience="officer"),
            _reminder(producer, "old-7", "pending", days_before=7),
            _reminder(producer, "shared-180", "pending", days_before=180),
            _reminder(producer, "sent-30", "sent", days_before=30, legal=True),
            _row(producer, "round", "round_deadline", round_payload, "pending"),
        ],
    )
    return producer


async def test_pending_reminders_of_the_old_schedule_are_dropped_and_the_new_one_follows(
    blank_database_url: str,
) -> None:
    engine = create_engine(blank_database_url)
    sessionmaker = create_sessionmaker(engine)
    try:
        await schema.upgrade(engine, "0007")
        async with sessionmaker.begin() as session:
            producer = await _seed(session)
        await schema.upgrade(engine, "0009")
        async with sessionmaker() as session:
            kept = set(await session.scalars(select(OutboxMessage.dedupe_key)))
        assert kept == {"shared-180", "sent-30", "round"}
        await schema.upgrade(engine)  # the models below follow the newest schema

        # An existing certificate: its window's last week starts tomorrow (127 days before).
        expires = TODAY + timedelta(days=128)
        issued = date(expires.year - 3, expires.month, expires.day)
        assert certificate_expiry(issued) == expires
        async with sessionmaker.begin() as session:
            subject = Subject(
                owner_person_id=producer, subject_type="cooperative", name="HTX Chè",
                commune_code="23356",
            )  # fmt: skip
            session.add(subject)
            await session.flush()
            product = Product(subject_id=subject.id, name="Chè", group_code="food")
            session.add(product)
            await session.flush()
            session.add(
                Certificate(
                    product_id=product.id, number="1", stars=4, issuing_level="province",
                    issuing_authority="UBND tỉnh", issued_on=issued, expires_on=expires,
                )
            )  # fmt: skip
            session.add(AlertSweep(id=1, swept_through=TODAY, swept_at=NOW))
        config = AlertConfig()
        async with sessionmaker.begin() as session:
            await sweep(session, NOW + timedelta(days=1), config)
        async with sessionmaker() as session:
            planned = [
                row.payload["days_before"]
                for row in await session.scalars(
                    select(OutboxMessage).where(OutboxMessage.dedupe_key.like("cert_expiry:%"))
                )
            ]
        assert planned == [127]
        assert 127 in ALERT_SCHEDULE.certificate_expiry_days
    finally:
        await engine.dispose()
