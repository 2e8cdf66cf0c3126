"""How an alert reaches a person on Zalo months after they last wrote: the OA's messaging
window, and one delivery plan per alert.

Theory of operation. A Zalo OA may answer a follower for free only shortly after the
follower's last message (:data:`WINDOW`); the Bot Platform documents no window, but delivery
long after the last message is unconfirmed. So an alert goes, in this order:

- to a person who wrote on Zalo recently — the OA chat while its window is open, or the Bot
  Platform chat they wrote in within ``recent`` days — as a chat message;
- otherwise as the OA's approved template message (ZBS) by phone, when the alert's kind has a
  template, the person consented and their phone is a mobile number;
- then the Bot Platform chat, then Telegram.

The dispatcher tries the legs in turn and stops at the first that succeeds, so an alert is
delivered on a second route only when the first failed; the route taken is recorded with
the alert (``notification_outbox.route``).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

import phonenumbers
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import oa_templates
from bot.channels.zalo_oa import Template, ZaloOAChannel, ZaloOAError
from bot.db.engine import write_gate, write_transaction
from bot.db.models import (
    ChannelAccount,
    ConversationSession,
    OATemplateSend,
    OutboxMessage,
    Person,
    ZaloOAChat,
)
from bot.engine import insert_for
from bot.messages import Channel
from handlers.onboarding import CONSENT_VERSION


@dataclass(frozen=True, slots=True)
class MessagingWindow:
    """How long after a follower's last message the OA may answer for free, and how often."""

    length: timedelta
    replies: int
    source: str


# The figure later sources give differs (48 h free, up to 7 days billable): the stricter
# official one is kept.
WINDOW = MessagingWindow(
    length=timedelta(hours=48),
    replies=8,
    source="Zalo OA official article: 8 replies within 48 h of the user's last message",
)
RECENT_DAYS = 7
# The ``updated_at`` of a chat's session row made by a pushed notice before the person ever
# wrote there: long before any "recent" (the column is not nullable; no migration for it).
NEVER_WROTE = datetime(2000, 1, 1, tzinfo=UTC)


class Route(StrEnum):
    """How an alert went out."""

    OA_CHAT = "zalo_oa"  # a free OA message inside the follower's window
    ZALO_BOT = "zalo"  # the Zalo Bot Platform chat
    OA_TEMPLATE = "zalo_oa_template"  # the OA's approved template, by phone
    TELEGRAM = "telegram"
    CONSOLE = "console"


CHANNEL_ROUTES = {
    Channel.ZALO_OA: Route.OA_CHAT,
    Channel.ZALO: Route.ZALO_BOT,
    Channel.TELEGRAM: Route.TELEGRAM,
    Channel.CONSOLE: Route.CONSOLE,
}


@dataclass(frozen=True, slots=True)
class Leg:
    """One way to try: a chat of a channel, or the template to a phone."""

    route: Route
    address: str  # the chat id, or the phone as ``84…`` for a template
    template: Template | None = None  # the template a template leg sends


def in_window(chat: ZaloOAChat | None, now: datetime, window: MessagingWindow = WINDOW) -> bool:
    """Whether the OA may still answer this follower for free."""
    return (
        chat is not None
        and now - chat.last_inbound_at < window.length
        and chat.replies_since < window.replies
    )


async def record_inbound(
    sessionmaker: async_sessionmaker[AsyncSession], *, user_id: str, at: datetime, msg_id: str
) -> None:
    """The follower wrote: their window opens again, with no reply spent (a redelivery of
    the same message changes nothing)."""
    values = {"user_id": user_id, "last_inbound_at": at, "last_msg_id": msg_id, "replies_since": 0}
    async with write_transaction(sessionmaker, write_gate(sessionmaker.kw["bind"])) as session:
        statement = insert_for(session, ZaloOAChat).values(**values)
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["user_id"], set_=values, where=ZaloOAChat.last_msg_id != msg_id
            )
        )


async def record_reply(sessionmaker: async_sessionmaker[AsyncSession], user_id: str) -> None:
    """The OA sent the follower a free message: one reply of the window spent."""
    async with write_transaction(sessionmaker, write_gate(sessionmaker.kw["bind"])) as session:
        await session.execute(
            update(ZaloOAChat)
            .where(ZaloOAChat.user_id == user_id)
            .values(replies_since=ZaloOAChat.replies_since + 1)
        )


TRACKING_PREFIX = "ocop-"


def tracking_id(outbox_id: int) -> str:
    """The ``tracking_id`` a template carries, which its receipt echoes."""
    return f"{TRACKING_PREFIX}{outbox_id}"


async def record_receipt(
    sessionmaker: async_sessionmaker[AsyncSession], *, tracking: str | None, at: datetime
) -> bool:
    """Mark the alert a template receipt names as delivered; False when it names none."""
    if tracking is None or not tracking.startswith(TRACKING_PREFIX):
        return False
    number = tracking.removeprefix(TRACKING_PREFIX)
    if not number.isdigit():
        return False
    async with write_transaction(sessionmaker, write_gate(sessionmaker.kw["bind"])) as session:
        done = await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == int(number))
            .where(OutboxMessage.delivered_at.is_(None))
            .values(delivered_at=at)
        )
    return bool(getattr(done, "rowcount", 0))


def template_phone(e164: str | None) -> str | None:
    """The phone as a template wants it (``849…``), for a Vietnamese mobile number only:
    a landline has no Zalo account."""
    if not e164:
        return None
    try:
        number = phonenumbers.parse(e164, "VN")
    except phonenumbers.NumberParseException:
        return None
    mobile = phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE
    if number.country_code != 84 or not mobile:
        return None
    return f"84{number.national_number}"


def template_data(template: Template, facts: dict[str, Any]) -> dict[str, str]:
    """The template's parameters from the alert's facts (dates as dd/mm/yyyy); KeyError
    when a fact the template needs is missing."""
    data: dict[str, str] = {}
    for name, fact in template.params.items():
        value = facts[fact]
        if isinstance(value, str) and len(value) == 10 and value[4] == "-":
            with contextlib.suppress(ValueError):
                value = date.fromisoformat(value).strftime("%d/%m/%Y")
        data[name] = str(value)
    return data


@dataclass
class AlertRoutes:
    """Plans each alert's legs from the person's accounts and when they last wrote, and
    sends the template legs."""

    oa: ZaloOAChannel | None
    # ZALO_OA_TEMPLATES: the fallback for kinds the admin page maps no template to
    templates: dict[str, Template] = field(default_factory=dict)
    recent: timedelta = timedelta(days=RECENT_DAYS)
    window: MessagingWindow = WINDOW

    async def plan(
        self, session: AsyncSession, *, person_id: int, kind: str, now: datetime
    ) -> list[Leg]:
        """The legs to try for ``kind`` to ``person_id``, in order."""
        accounts = list(
            await session.scalars(
                select(ChannelAccount)
                .where(ChannelAccount.person_id == person_id)
                .where(ChannelAccount.reachable.is_(True))
                .order_by(ChannelAccount.id.desc())
            )
        )
        recent: list[Leg] = []
        later: list[Leg] = []
        for account in accounts:
            channel = Channel(account.channel)
            leg = Leg(CHANNEL_ROUTES[channel], account.chat_id)
            if channel is Channel.ZALO_OA:
                chat = await session.scalar(
                    select(ZaloOAChat).where(ZaloOAChat.user_id == account.chat_id)
                )
                if self.oa is not None and in_window(chat, now, self.window):
                    recent.insert(0, leg)
                continue  # outside its window a free OA message would be refused (-230)
            if channel is Channel.ZALO and await self._wrote_since(session, account, now):
                recent.append(leg)
            else:
                later.append(leg)
        if recent:
            return [*recent, *later]
        template = await self._template_leg(session, person_id, kind)
        order = {Route.ZALO_BOT: 0, Route.TELEGRAM: 1}
        return [*template, *sorted(later, key=lambda leg: order.get(leg.route, 2))]

    async def _wrote_since(
        self, session: AsyncSession, account: ChannelAccount, now: datetime
    ) -> bool:
        """Whether the person wrote in the chat within :attr:`recent`.

        The chat's session row's ``updated_at`` is set by the engine's step, that is by the
        person's own messages. The dispatcher, which keeps a pushed notice's options in the
        row (:func:`bot.alerts.dispatch._remember_offer`), leaves it as it was; the erasure
        moves it when it wipes the row, but deletes the person's accounts with it, so no
        plan reads those chats again."""
        last = await session.scalar(
            select(ConversationSession.updated_at)
            .where(ConversationSession.channel == account.channel)
            .where(ConversationSession.chat_id == account.chat_id)
        )
        return last is not None and now - last <= self.recent

    async def _template_leg(self, session: AsyncSession, person_id: int, kind: str) -> list[Leg]:
        """The template leg, when the kind has a template and the person may get it: not
        erased, a Vietnamese mobile number, and consent to the wording that names the OA's
        template messages (:data:`handlers.onboarding.CONSENT_VERSION`). A consent of an
        earlier version, or an officer's (given on an invite, naming no notices), is not
        enough: such a person gets the alert in a chat."""
        if self.oa is None:
            return []
        template = await oa_templates.template_for(session, kind) or self.templates.get(kind)
        if template is None:
            return []
        person = await session.get(Person, person_id)
        if (
            person is None
            or person.consent_at is None
            or person.consent_version != CONSENT_VERSION
            or person.erased_at is not None
        ):
            return []
        phone = template_phone(person.phone_e164)
        return [Leg(Route.OA_TEMPLATE, phone, template)] if phone else []

    async def send_template(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        leg: Leg,
        outbox_id: int,
        kind: str,
        facts: dict[str, Any],
        now: datetime,
    ) -> None:
        """Send the template ``leg`` plans for the alert, and record what Zalo answered
        (accepted with the quota it reports, or refused with its code) for the admin page;
        a refusal is raised on, for the next leg."""
        assert self.oa is not None  # noqa: S101 - a template leg is planned only with the OA
        assert leg.template is not None  # noqa: S101 - and always with its template
        template = leg.template
        data = template_data(template, facts)  # a missing fact is not Zalo's refusal
        record = OATemplateSend(
            outbox_id=outbox_id, kind=kind, template_id=template.template_id, at=now
        )
        try:
            sent = await self.oa.send_template(
                phone=leg.address,
                template_id=template.template_id,
                data=data,
                tracking_id=tracking_id(outbox_id),
            )
        except ZaloOAError as error:
            record.error_code = error.code
            await self._keep(sessionmaker, record)
            raise
        record.quota_daily, record.quota_left = sent.quota_daily, sent.quota_left
        await self._keep(sessionmaker, record)

    @staticmethod
    async def _keep(sessionmaker: async_sessionmaker[AsyncSession], record: OATemplateSend) -> None:
        async with write_transaction(sessionmaker, write_gate(sessionmaker.kw["bind"])) as session:
            session.add(record)
