"""Announcements: a short message from province or commune staff to a segment of people.

A segment is chosen within the staff account's scope: producers (owners of subjects) of
some communes, narrowed by product group or set, by the stars of a valid certificate, by a
certificate in its re-evaluation window or expiring soon, or by a dossier in one status; or
the communes' officers. Before sending, staff see how many people it reaches and on which
channel — the channel the dispatcher will use, each person's latest reachable account — and
how many turned announcements off.

Sending writes one outbox row per person under the key ``announcement:<id>:<person>``: the
dispatcher then applies quiet hours, the "announcement" opt-out and its pacing, and the
unique key makes it exactly once per person. The delivery counts are those rows' states.

The same send submitted twice — a double click, a form sent again from the browser's
history, an API call retried after a timeout — carries the same one-time key (the form's
hidden ``submission_key``, the API's ``Idempotency-Key``); the key is stored unique per
author with the announcement, so the repeat finds the first announcement and sends nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.admin.scope import Scope, ScopeKind
from bot.audit import AuditAction
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
from bot.engine import NOTICE_QUEUED, insert_for
from ocop_rules import reevaluation_window

KIND = "announcement"
MAX_BODY = 1000  # one message on every channel (Zalo's limit is 2,000 characters)
EXPIRING_DAYS = 90
VALID = "valid"  # only certificates whose stored status is valid are reached
LIST_LIMIT = 100
SUBMISSION_KEY_LENGTH = 64
_CHUNK = 500


class Audience(StrEnum):
    """Who an announcement is for."""

    PRODUCERS = "producers"
    OFFICERS = "officers"


class CertificateFilter(StrEnum):
    """Which certificates a producer must hold to be reached."""

    WINDOW = "window"  # in its re-evaluation window today (QĐ 26, Điều 7.6.a)
    EXPIRING = "expiring"  # expiring within ``expiring_days``


class SegmentError(ValueError):
    """A segment that names something outside the scope or unknown."""


@dataclass(frozen=True, slots=True)
class Segment:
    """Who to reach; every field narrows (blank: any)."""

    audience: Audience = Audience.PRODUCERS
    communes: tuple[str, ...] = ()
    group: str | None = None
    product_set: int | None = None
    stars: int | None = None
    certificates: CertificateFilter | None = None
    expiring_days: int = EXPIRING_DAYS
    dossier_status: str | None = None

    def checked(self, scope: Scope) -> Segment:
        """This segment, refused when it names a commune outside ``scope``."""
        outside = [code for code in self.communes if not scope.includes_commune(code)]
        if outside:
            raise SegmentError(f"không thuộc phạm vi tài khoản: {', '.join(outside)}")
        if self.expiring_days < 1:
            raise SegmentError("số ngày phải lớn hơn 0")
        return self

    def as_json(self) -> dict[str, Any]:
        """The segment as stored with the announcement."""
        data = asdict(self)
        data["communes"] = list(self.communes)
        return {key: value for key, value in data.items() if value not in (None, [])}


@dataclass(frozen=True, slots=True)
class Reach:
    """Who a segment reaches: people in all, per channel, without a reachable account, and
    how many turned announcements off (counted in ``people``, sent nothing)."""

    people: int
    channels: dict[str, int] = field(default_factory=dict)
    unreachable: int = 0
    opted_out: int = 0

    @property
    def deliverable(self) -> int:
        """People the announcement can go to."""
        return sum(self.channels.values())


@dataclass(frozen=True, slots=True)
class SentAnnouncement:
    """One sent announcement with its delivery counts by outbox state."""

    id: int
    scope: str
    author: str
    body: str
    segment: dict[str, Any]
    recipients: int
    created_at: datetime
    states: dict[str, int]


def _window_bounds(today: date) -> tuple[date, date]:
    """The expiry days whose re-evaluation window contains ``today``: expiring between the
    window's closing and opening offsets from today (``ocop_rules.reevaluation_window``)."""
    window = reevaluation_window(today)  # for an expiry of today: opens/closes before it
    return today + (today - window.closes), today + (today - window.opens)


def _in_scope(scope: Scope, segment: Segment, column: Any) -> ColumnElement[bool]:
    condition = scope.covers_commune(column)
    if segment.communes:
        condition = condition & column.in_(list(segment.communes))
    return condition


def _producers(scope: Scope, segment: Segment, today: date) -> Select:  # type: ignore[type-arg]
    """The owners of the segment's subjects, once each."""
    products = select(Product.subject_id)
    narrowed = False
    if segment.group:
        products = products.where(Product.group_code == segment.group)
        narrowed = True
    if segment.product_set is not None:
        products = products.where(Product.product_set == segment.product_set)
        narrowed = True
    if segment.stars is not None or segment.certificates is not None:
        certificates = select(Certificate.product_id).where(Certificate.status == VALID)
        if segment.stars is not None:
            certificates = certificates.where(Certificate.stars == segment.stars)
        if segment.certificates is CertificateFilter.WINDOW:
            first, last = _window_bounds(today)
            certificates = certificates.where(Certificate.expires_on.between(first, last))
        elif segment.certificates is CertificateFilter.EXPIRING:
            last = today + timedelta(days=segment.expiring_days)
            certificates = certificates.where(Certificate.expires_on.between(today, last))
        products = products.where(Product.id.in_(certificates))
        narrowed = True
    if segment.dossier_status:
        products = products.where(
            Product.id.in_(
                select(Dossier.product_id).where(Dossier.status == segment.dossier_status)
            )
        )
        narrowed = True
    query = (
        select(Subject.owner_person_id)
        .where(Subject.owner_person_id.is_not(None))
        .where(_in_scope(scope, segment, Subject.commune_code))
    )
    if narrowed:
        query = query.where(Subject.id.in_(products))
    return query


def _officers(scope: Scope, segment: Segment) -> Select:  # type: ignore[type-arg]
    return select(OfficerAssignment.person_id).where(
        _in_scope(scope, segment, OfficerAssignment.commune_code)
    )


async def recipients(
    session: AsyncSession, scope: Scope, segment: Segment, today: date
) -> list[int]:
    """The people the segment reaches (not erased), each once, in id order."""
    people = (
        _officers(scope, segment)
        if segment.audience is Audience.OFFICERS
        else _producers(scope, segment, today)
    )
    found = await session.scalars(
        select(Person.id)
        .where(Person.id.in_(people))
        .where(Person.erased_at.is_(None))
        .order_by(Person.id)
    )
    return list(found.all())


async def reach(session: AsyncSession, scope: Scope, segment: Segment, today: date) -> Reach:
    """How many people the segment reaches, and on which channel each would get it."""
    people = await recipients(session, scope, segment, today)
    if not people:
        return Reach(0)
    latest = (
        select(ChannelAccount.person_id, func.max(ChannelAccount.id).label("account"))
        .where(ChannelAccount.reachable.is_(True))
        .where(ChannelAccount.person_id.in_(people))
        .group_by(ChannelAccount.person_id)
        .subquery()
    )
    channel_of: dict[int, str] = dict(
        (
            await session.execute(
                select(latest.c.person_id, ChannelAccount.channel).join(
                    ChannelAccount, ChannelAccount.id == latest.c.account
                )
            )
        ).all()
    )
    off = set(
        (
            await session.scalars(
                select(AlertOptOut.person_id)
                .where(AlertOptOut.kind == KIND)
                .where(AlertOptOut.person_id.in_(people))
            )
        ).all()
    )
    channels = Counter(
        channel_of[person] for person in people if person in channel_of and person not in off
    )
    return Reach(
        len(people),
        dict(sorted(channels.items())),
        sum(1 for person in people if person not in channel_of),
        len(off),
    )


def _submitted(author: str, key: str) -> Select[Announcement]:
    """The announcement ``author`` already sent with the one-time ``key``."""
    return (
        select(Announcement)
        .where(Announcement.author == author)
        .where(Announcement.submission_key == key)
    )


async def send(
    session: AsyncSession,
    *,
    scope: Scope,
    author: str,
    body: str,
    segment: Segment,
    now: datetime,
    today: date,
    submission_key: str | None = None,
) -> Announcement:
    """Record the announcement and queue it once to each person of the segment (audited).

    A ``submission_key`` the author already sent with returns that announcement and sends
    nothing again."""
    key = submission_key or None
    if key is not None:
        earlier = await session.scalar(_submitted(author, key))
        if earlier is not None:
            return earlier
    people = await recipients(session, scope, segment, today)
    added = await session.scalar(
        insert_for(session, Announcement)
        .values(
            scope=str(scope),
            province_code=scope.province_code,
            author=author,
            body=body,
            segment=segment.as_json(),
            recipients=len(people),
            created_at=now,
            submission_key=key,
        )
        .on_conflict_do_nothing(index_elements=["author", "submission_key"])
        .returning(Announcement.id)
    )
    if added is None:
        # Only a key conflicts: a request with the same key committed in the meantime.
        return (await session.scalars(_submitted(author, str(key)))).one()
    row = await session.get_one(Announcement, added)
    payload = {"announcement_id": row.id, "body": body, "sender": scope.label}
    rows = [
        {
            "dedupe_key": f"{KIND}:{row.id}:{person}",
            "recipient_person_id": person,
            "kind": KIND,
            "payload": payload,
            "due_at": now,
            "state": "pending",
            "attempts": 0,
            "created_at": now,
        }
        for person in people
    ]
    for start in range(0, len(rows), _CHUNK):
        await session.execute(insert(OutboxMessage), rows[start : start + _CHUNK])
    if rows:
        session.info[NOTICE_QUEUED] = True  # wake the dispatcher once committed
    session.add(
        AuditEntry(
            actor_label=author,
            action=AuditAction.ANNOUNCEMENT_SEND,
            entity_type="announcement",
            entity_id=str(row.id),
            after={"segment": row.segment, "recipients": len(people), "body": body},
            at=now,
        )
    )
    await session.flush()
    return row


async def delivery(session: AsyncSession, announcement_id: int) -> dict[str, int]:
    """How many of the announcement's outbox rows are in each state."""
    counts = await session.execute(
        select(OutboxMessage.state, func.count())
        .where(OutboxMessage.dedupe_key.like(f"{KIND}:{announcement_id}:%"))
        .group_by(OutboxMessage.state)
    )
    return {state: int(count) for state, count in counts.all()}


def _visible(scope: Scope) -> ColumnElement[bool]:
    """A commune sees its own announcements; a province, its own and its communes'."""
    if scope.kind is ScopeKind.COMMUNE:
        return Announcement.scope == str(scope)
    return Announcement.province_code == scope.code


async def sent(
    session: AsyncSession, scope: Scope, *, limit: int = LIST_LIMIT
) -> list[SentAnnouncement]:
    """The scope's announcements, newest first, with their delivery counts."""
    rows = (
        await session.scalars(
            select(Announcement)
            .where(_visible(scope))
            .order_by(Announcement.created_at.desc(), Announcement.id.desc())
            .limit(limit)
        )
    ).all()
    found: list[SentAnnouncement] = []
    for row in rows:
        found.append(
            SentAnnouncement(
                row.id,
                row.scope,
                row.author,
                row.body,
                dict(row.segment),
                row.recipients,
                row.created_at,
                await delivery(session, row.id),
            )
        )
    return found
