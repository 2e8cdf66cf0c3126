"""The dispatcher: claim one due outbox row, send it, record the outcome.

A claim is a short transaction that marks the row "sending" with a lease (on PostgreSQL
under ``FOR UPDATE SKIP LOCKED``, so several dispatchers never take the same row) and
counts the attempt; the message is sent outside any transaction; a second short transaction
completes the claim ("sent", a retry time, "failed" or "skipped"). If the process dies
between sending and completing, the lease runs out and the row is sent again: that one
message in flight is the only one that can be repeated, because rows are claimed one at a
time.

A row that cannot even be prepared (its payload does not render) fails like a send: the
attempt counts, the row waits its backoff while the rows behind it go out, and after the
last attempt it becomes a dead letter ("failed", with the reason and the time, listed on
the admin page). A message the platform refuses as such (Telegram's 400, a Zalo 4xx) is a
dead letter at once: sending it again would only be refused again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram.error import BadRequest

from bot.alerts.timing import AlertConfig
from bot.channels import ChatUnreachableError, RetryLaterError, Sender
from bot.channels.zalo import ZaloError
from bot.channels.zalo_oa import NO_ANSWER, ZaloOAError
from bot.db.engine import write_gate, write_transaction
from bot.db.models import (
    AlertOptOut,
    ChannelAccount,
    ConversationSession,
    OutboxMessage,
    Person,
)
from bot.db.vocab import OutboxState
from bot.i18n import translator
from bot.logs import chat_hash
from bot.messages import Channel, Outbound
from bot.oa_delivery import NEVER_WROTE, AlertRoutes, Leg, Route
from bot.render import degrade
from handlers.notices import URGENT_KINDS, render
from handlers.offers import options_of, push

log = logging.getLogger(__name__)
CLAIMABLE = (OutboxState.PENDING, OutboxState.SENDING)
REASON_LENGTH = 500  # of ``last_error``: enough for the exception, never a whole payload


def permanent(error: Exception) -> bool:
    """Whether the platform refused the message itself (a client error other than a rate
    limit): the same message would be refused again, so it is not retried."""
    if isinstance(error, BadRequest) or getattr(error, "permanent", False) is True:
        return True
    return isinstance(error, ZaloError) and 400 <= error.code < 500 and error.code != 429


def describe(error: BaseException) -> str:
    """An exception as a dead letter's reason: its type and message, bounded."""
    text = str(error)
    return (f"{type(error).__name__}: {text}" if text else type(error).__name__)[:REASON_LENGTH]


@dataclass(slots=True)
class DispatchReport:
    """What one pass of the dispatcher did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0

    @property
    def handled(self) -> int:
        """Rows taken out of the due queue."""
        return self.sent + self.retried + self.failed + self.skipped


@dataclass(frozen=True, slots=True)
class _Claim:
    id: int
    kind: str
    payload: dict[str, Any]
    due_at: datetime
    attempts: int
    person: int
    language: str
    channel: str | None
    chat_id: str | None
    opted_out: bool


@dataclass
class Pacer:
    """Keeps sends under an overall rate and one message per interval per chat."""

    rate: float
    per_chat: float
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    _next: float = 0.0
    _chats: dict[str, float] = field(default_factory=dict)

    def hold(self, seconds: float) -> None:
        """Send nothing for ``seconds``: the platform answered a rate limit (replies to
        people who wrote go on; bulk sends are the ones to slow down)."""
        self._next = max(self._next, self.clock() + seconds)

    def free_at(self) -> float:
        """When the overall budget next allows a send (on :attr:`clock`)."""
        return self._next

    async def wait(self, chat: str) -> None:
        """Sleep until sending to ``chat`` keeps both limits."""
        now = self.clock()
        at = max(now, self._next, self._chats.get(chat, 0.0))
        self._next = at + 1 / self.rate
        self._chats[chat] = at + self.per_chat
        if len(self._chats) > 10_000:
            self._chats = {k: v for k, v in self._chats.items() if v > now}
        if at > now:
            await self.sleep(at - now)


# Each platform's budget for bulk sends, in messages per second. Telegram documents about 30
# per second per bot for bulk sends and about 1 per second per chat (its Bots FAQ); the Zalo
# Bot Platform and the Zalo OA publish no number (a 429, or the OA's -32, means "back off"), so
# they get a conservative 5 per second each, template messages (the OA's other endpoint)
# their own 5. Keys are the first part of a pacing key: a channel, or "template".
ZALO_SEND_RATE = 5.0
TEMPLATE_LANE = "template"
# After a look for rows of the free channels found none, how long (seconds) the dispatcher
# waits for the busy ones without looking again: that look passes over the busy channels'
# backlog, so it is done at most this often for the same busy set, not before every send.
RECHECK_OTHERS = 1.0


@dataclass
class ChannelPacers:
    """One :class:`Pacer` per channel, so a backlog on one platform never slows the others.

    A key is ``"<channel>:<chat>"``; its channel picks the lane, and a channel without a lane
    of its own shares ``default``. The dispatcher asks which lanes are :meth:`busy` and claims
    only rows for the others meanwhile; a platform's rate limit (``hold``) pauses every lane,
    as it did with one budget."""

    default: Pacer
    lanes: dict[str, Pacer] = field(default_factory=dict)
    _others_idle: dict[frozenset[str], float] = field(default_factory=dict)

    @classmethod
    def for_config(
        cls,
        config: AlertConfig,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> ChannelPacers:
        """The documented (or conservative) rate of each platform, one message per
        ``config.per_chat_interval`` to a chat; Telegram's rate is ``config.send_rate``."""
        rates = {
            Channel.TELEGRAM.value: config.send_rate,
            Channel.ZALO.value: ZALO_SEND_RATE,
            Channel.ZALO_OA.value: ZALO_SEND_RATE,
            TEMPLATE_LANE: ZALO_SEND_RATE,
        }
        lanes = {
            lane: Pacer(rate, config.per_chat_interval, clock=clock, sleep=sleep)
            for lane, rate in rates.items()
        }
        default = Pacer(config.send_rate, config.per_chat_interval, clock=clock, sleep=sleep)
        return cls(default, lanes)

    def lane(self, key: str) -> Pacer:
        """The pacer of the channel ``key`` starts with."""
        return self.lanes.get(key.partition(":")[0], self.default)

    def hold(self, seconds: float) -> None:
        """Send nothing on any channel for ``seconds`` (see :meth:`Pacer.hold`)."""
        for pacer in (self.default, *self.lanes.values()):
            pacer.hold(seconds)

    async def wait(self, key: str) -> None:
        """Sleep until sending by ``key`` keeps its channel's limits."""
        await self.lane(key).wait(key)

    def busy(self) -> frozenset[str]:
        """The channels whose own budget allows no send right now."""
        return frozenset(
            channel
            for channel, pacer in self.lanes.items()
            if channel != TEMPLATE_LANE and pacer.free_at() > pacer.clock()
        )

    def others_idle(self, busy: frozenset[str]) -> bool:
        """Whether a recent look found nothing due for the channels not in ``busy``."""
        return self._others_idle.get(busy, float("-inf")) > self.default.clock()

    def note_others_idle(self, busy: frozenset[str]) -> None:
        """Nothing is due for the channels not in ``busy``: do not look again for a while."""
        self._others_idle[busy] = self.default.clock() + RECHECK_OTHERS

    async def until_free(self) -> None:
        """Sleep until the first busy channel may send again."""
        busy = [self.lanes[channel] for channel in self.busy()]
        if busy:
            first = min(busy, key=Pacer.free_at)
            await first.sleep(max(first.free_at() - first.clock(), 0.0))


# After no connection to a platform could be made (RetryLaterError.away: a timeout or an
# error of one message is not that), its rows are left for this many seconds before one
# is tried again, twice as long each time it is still away, up to the most. Rows go out
# one after another, and from Vietnam a try on a blocked Telegram can cost a whole connect
# timeout: tried row after row, it held every Zalo alert behind it.
AWAY_FIRST, AWAY_MOST = 30.0, 600.0


@dataclass
class Dispatcher:
    """Sends due outbox rows through the configured channels."""

    sessionmaker: async_sessionmaker[AsyncSession]
    senders: dict[Channel, Sender]
    config: AlertConfig = field(default_factory=AlertConfig)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    # One budget for every channel (a Pacer), or one per channel; None: each platform's rate.
    pacer: Pacer | ChannelPacers | None = None
    # The delivery plan across routes (bot.oa_delivery); None: the person's latest account.
    routes: AlertRoutes | None = None

    # channel → (until when its rows are left, for how long they were left last)
    _away: dict[str, tuple[float, float]] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self.gate = write_gate(self.sessionmaker.kw["bind"])
        if self.pacer is None:
            self.pacer = ChannelPacers.for_config(self.config)
        self.pacers = (
            self.pacer if isinstance(self.pacer, ChannelPacers) else ChannelPacers(self.pacer)
        )
        self._postgres = self.sessionmaker.kw["bind"].dialect.name == "postgresql"

    async def run_once(self, limit: int | None = None) -> DispatchReport:
        """Send what is due now, until nothing is due (or ``limit`` rows were handled)."""
        report = DispatchReport()
        while limit is None or report.handled < limit:
            now = self.clock()
            quiet = self.config.quiet.contains(now, self.config.timezone)
            busy = self.pacers.busy()
            if busy and self.pacers.others_idle(busy):
                await self.pacers.until_free()
                continue
            # A channel that is away is passed over, not waited for: its rows wait their
            # turn in a later pass.
            claim = await self._claim(now, urgent_only=quiet, busy=busy | self._away_now())
            if claim is None:
                if not busy:
                    break
                self.pacers.note_others_idle(busy)
                await self.pacers.until_free()  # rows may wait for a busy channel
                continue
            await self._deliver(claim, report)
        return report

    async def _claim(
        self, now: datetime, *, urgent_only: bool, busy: frozenset[str] = frozenset()
    ) -> _Claim | None:
        """Take the oldest due row; in quiet hours only a kind someone is waiting for; none
        whose recipient is reached on a ``busy`` channel (it waits for its channel's budget
        while the others' rows go out)."""
        due = func.coalesce(OutboxMessage.next_attempt_at, OutboxMessage.due_at)
        query = (
            select(OutboxMessage)
            .where(OutboxMessage.state.in_(CLAIMABLE))
            .where(due <= now)
            .order_by(OutboxMessage.due_at, OutboxMessage.id)
            .limit(1)
        )
        if urgent_only:
            query = query.where(OutboxMessage.kind.in_(URGENT_KINDS))
        if busy:
            reached_on = (
                select(ChannelAccount.channel)
                .where(ChannelAccount.person_id == OutboxMessage.recipient_person_id)
                .where(ChannelAccount.reachable.is_(True))
                .order_by(ChannelAccount.id.desc())
                .limit(1)
                .correlate(OutboxMessage)
                .scalar_subquery()
            )
            query = query.where(or_(reached_on.is_(None), reached_on.not_in(sorted(busy))))
        if self._postgres:
            query = query.with_for_update(skip_locked=True)
        async with write_transaction(self.sessionmaker, self.gate) as session:
            row = await session.scalar(query)
            if row is None:
                return None
            person = await session.get(Person, row.recipient_person_id)
            account = await session.scalar(
                select(ChannelAccount)
                .where(ChannelAccount.person_id == row.recipient_person_id)
                .where(ChannelAccount.reachable.is_(True))
                .order_by(ChannelAccount.id.desc())
                .limit(1)
            )
            opted_out = await session.scalar(
                select(AlertOptOut.id)
                .where(AlertOptOut.person_id == row.recipient_person_id)
                .where(AlertOptOut.kind == row.kind)
            )
            row.state = OutboxState.SENDING
            row.attempts += 1
            row.next_attempt_at = now + self.config.lease
            return _Claim(
                row.id,
                row.kind,
                dict(row.payload),
                row.due_at,
                row.attempts,
                row.recipient_person_id,
                person.language if person else "vi",
                account.channel if account else None,
                account.chat_id if account else None,
                opted_out is not None,
            )

    def _skip_reason(self, claim: _Claim, now: datetime) -> str | None:
        must_send = bool(claim.payload.get("must_send"))
        if claim.opted_out and not claim.payload.get("legal"):
            return "opted out"
        if claim.channel is None or claim.chat_id is None:
            return "no reachable account"
        if Channel(claim.channel) not in self.senders:
            return f"channel {claim.channel} not configured"
        if now - claim.due_at > self.config.grace and not must_send:
            return "too late"
        expires = claim.payload.get("expires_at")
        if expires is not None and now > datetime.fromisoformat(expires):
            return "expired"
        return None

    def _messages(self, claim: _Claim, sender: Sender) -> tuple[list[Outbound], Outbound | None]:
        """The row's messages, rendered in the recipient's language for the channel, and the
        message whose options the chat is to remember (None when it offers none)."""
        t = translator(claim.language)
        rendered = render(claim.kind, claim.payload, t, claim.language)
        offered = rendered[-1] if rendered and options_of(rendered[-1]) else None
        parts = [part for message in rendered for part in degrade(message, sender.capabilities, t)]
        return parts, offered

    async def _deliver(self, claim: _Claim, report: DispatchReport) -> None:
        if claim.attempts > self.config.max_attempts:  # its lease ran out too often
            await self._dead(claim, report, "no outcome recorded after the last attempt")
            return
        if self.routes is not None:  # the one routing point: a plan of legs across routes
            async with self.sessionmaker() as session:
                legs = await self.routes.plan(
                    session, person_id=claim.person, kind=claim.kind, now=self.clock()
                )
            if legs:
                await self._deliver_planned(claim, report, legs)
                return
        try:
            reason = self._skip_reason(claim, self.clock())
            if reason is None:
                channel, chat = Channel(claim.channel or ""), claim.chat_id or ""
                sender = self.senders[channel]
                messages, offered = self._messages(claim, sender)
        except Exception as error:  # its payload, or a renderer's bug: this row only
            log.warning(
                "alert not rendered",
                exc_info=True,
                extra={"outbox_id": claim.id, "kind": claim.kind},
            )
            await self._retry(claim, report, f"not rendered: {describe(error)}", None)
            return
        if reason is not None:
            report.skipped += 1
            await self._complete(claim, OutboxState.SKIPPED, reason)
            return
        try:
            for message in messages:
                await self.pacers.wait(f"{channel.value}:{chat}")
                await sender.send(chat, message)
        except ChatUnreachableError:
            report.skipped += 1
            log.info("alert recipient blocked the bot", extra={"chat": chat_hash(chat)})
            await self._complete(claim, OutboxState.SKIPPED, "blocked", unreachable=(channel, chat))
            return
        except RetryLaterError as error:
            self._answered(channel.value, error)
            await self._retry(claim, report, str(error), error.retry_after)
            return
        except Exception as error:
            if permanent(error):
                await self._dead(claim, report, f"refused: {describe(error)}")
                return
            # a bug or an unexpected answer: retry, then fail
            log.warning("alert not sent", exc_info=True, extra={"kind": claim.kind})
            await self._retry(claim, report, type(error).__name__, None)
            return
        self._answered(channel.value)
        report.sent += 1
        await self._complete(claim, OutboxState.SENT, None, offered=offered, route=channel.value)

    def _away_now(self) -> frozenset[str]:
        """The channels whose rows are left for now (see :data:`AWAY_FIRST`)."""
        now = self.pacers.default.clock()
        return frozenset(channel for channel, (until, _) in self._away.items() if until > now)

    def _answered(self, channel: str, error: RetryLaterError | None = None) -> None:
        """Note how ``channel``'s platform answered a send: away (see :data:`AWAY_FIRST`),
        or there again."""
        if error is None or not error.away:
            self._away.pop(channel, None)
            return
        pause = AWAY_FIRST
        if channel in self._away:  # still away since the last try
            pause = min(2 * self._away[channel][1], AWAY_MOST)
        self._away[channel] = (self.pacers.default.clock() + pause, pause)
        log.warning("platform away; its alerts wait %.0f s", pause, extra={"channel": channel})

    async def _deliver_planned(
        self, claim: _Claim, report: DispatchReport, legs: list[Leg]
    ) -> None:
        """Try ``legs`` in turn; the first that succeeds is the route recorded, so a second
        route is used only when the one before it failed."""
        first = _on_leg(claim, legs[0])
        reason = self._skip_reason(first, self.clock())
        if reason is not None:
            report.skipped += 1
            await self._complete(claim, OutboxState.SKIPPED, reason)
            return
        for number, leg in enumerate(legs, start=1):
            on_leg = _on_leg(claim, leg)
            try:
                offered = await self._send_leg(on_leg, leg)
            except Exception as error:
                if number < len(legs) and not _maybe_delivered(error):
                    log.info(
                        "alert route failed; trying the next",
                        extra={"outbox_id": claim.id, "route": leg.route.value},
                    )
                    continue
                await self._failed_leg(on_leg, report, error)
                return
            if on_leg.channel is not None:
                self._answered(on_leg.channel)
            report.sent += 1
            await self._complete(on_leg, OutboxState.SENT, None, offered=offered, route=leg.route)
            return

    async def _send_leg(self, claim: _Claim, leg: Leg) -> Outbound | None:
        """Send the alert by ``leg``; the message whose options the chat keeps, if any."""
        if leg.route is Route.OA_TEMPLATE:
            assert self.routes is not None  # noqa: S101 - a template leg is planned by it
            await self.pacers.wait(f"{TEMPLATE_LANE}:{leg.address}")
            await self.routes.send_template(
                self.sessionmaker,
                leg=leg,
                outbox_id=claim.id,
                kind=claim.kind,
                facts=claim.payload,
                now=self.clock(),
            )
            return None
        sender = self.senders[Channel(leg.route.value)]
        messages, offered = self._messages(claim, sender)
        for message in messages:
            await self.pacers.wait(f"{leg.route.value}:{leg.address}")
            await sender.send(leg.address, message)
        return offered

    async def _failed_leg(self, claim: _Claim, report: DispatchReport, error: Exception) -> None:
        """The last leg failed: blocked, later, or refused — as a single route would."""
        if isinstance(error, ChatUnreachableError) and claim.channel and claim.chat_id:
            report.skipped += 1
            unreachable = (Channel(claim.channel), claim.chat_id)
            await self._complete(claim, OutboxState.SKIPPED, "blocked", unreachable=unreachable)
        elif isinstance(error, RetryLaterError):
            if claim.channel is not None:
                self._answered(claim.channel, error)
            await self._retry(claim, report, str(error), error.retry_after)
        elif permanent(error):
            await self._dead(claim, report, f"refused: {describe(error)}")
        else:
            log.warning("alert not sent", exc_info=error, extra={"kind": claim.kind})
            await self._retry(claim, report, describe(error), None)

    async def _retry(
        self, claim: _Claim, report: DispatchReport, error: str, retry_after: float | None
    ) -> None:
        if claim.attempts >= self.config.max_attempts:
            await self._dead(claim, report, error)
            return
        wait = self.config.backoff(claim.attempts)
        if retry_after is not None:
            wait = max(wait, timedelta(seconds=retry_after))
        report.retried += 1
        await self._complete(claim, OutboxState.PENDING, error, retry_at=self.clock() + wait)

    async def _dead(self, claim: _Claim, report: DispatchReport, reason: str) -> None:
        """Give the row up: a dead letter with its reason, for the admin page."""
        report.failed += 1
        log.warning(  # the reason may quote the payload: it stays in the row, not the log
            "alert failed; kept as a dead letter", extra={"outbox_id": claim.id, "kind": claim.kind}
        )
        await self._complete(claim, OutboxState.FAILED, reason)

    async def _complete(
        self,
        claim: _Claim,
        state: OutboxState,
        error: str | None,
        *,
        retry_at: datetime | None = None,
        unreachable: tuple[Channel, str] | None = None,
        offered: Outbound | None = None,
        route: str | None = None,
    ) -> None:
        now = self.clock()
        values: dict[str, Any] = {"state": state, "last_error": error, "next_attempt_at": retry_at}
        if state is OutboxState.SENT:
            values["sent_at"] = now
            values["route"] = route
        elif state is OutboxState.FAILED:
            values["failed_at"] = now
        if state is not OutboxState.PENDING and claim.kind in URGENT_KINDS:
            values["payload"] = {}  # a one-time code is not kept once it is out (or moot)
        async with write_transaction(self.sessionmaker, self.gate) as session:
            await session.execute(
                update(OutboxMessage).where(OutboxMessage.id == claim.id).values(**values)
            )
            if offered is not None:
                await _remember_offer(session, claim, offered, now)
            if unreachable is not None:
                await session.execute(
                    update(ChannelAccount)
                    .where(ChannelAccount.channel == unreachable[0].value)
                    .where(ChannelAccount.chat_id == unreachable[1])
                    .values(reachable=False, unreachable_since=now)
                )


def _maybe_delivered(error: Exception) -> bool:
    """Whether a failed send may have gone out all the same (no answer, a server error):
    then the next route would risk saying it twice, so the same route is tried later."""
    if isinstance(error, RetryLaterError):
        return not error.rate_limited
    return isinstance(error, ZaloOAError) and error.code == NO_ANSWER


def _on_leg(claim: _Claim, leg: Leg) -> _Claim:
    """The claim as addressed by ``leg`` (a template goes through the OA's sender)."""
    channel = Channel.ZALO_OA.value if leg.route is Route.OA_TEMPLATE else leg.route.value
    return replace(claim, channel=channel, chat_id=leg.address)


async def _remember_offer(
    session: AsyncSession, claim: _Claim, offered: Outbound, now: datetime
) -> None:
    """Keep the options of a sent notice with the chat, in the transaction that records it
    sent: a typed number then answers it while it is the latest list, and its words days
    later (handlers.offers). The row lock orders this with the chat's own messages.

    The row's ``updated_at`` is left as it was: only the person's own messages move it
    (the engine's step), and the delivery plan reads it as when they last wrote
    (:meth:`bot.oa_delivery.AlertRoutes.plan`); a notice we pushed is not their message."""
    channel, chat = claim.channel or "", claim.chat_id or ""
    row = await session.scalar(
        select(ConversationSession)
        .where(ConversationSession.channel == channel)
        .where(ConversationSession.chat_id == chat)
        .with_for_update()
    )
    if row is None:  # the person never wrote in this chat
        data = push({}, offered, now)
        session.add(
            ConversationSession(channel=channel, chat_id=chat, data=data, updated_at=NEVER_WROTE)
        )
        return
    row.data = push(dict(row.data or {}), offered, now)
    row.version += 1
    row.updated_at = ConversationSession.updated_at  # SET updated_at = updated_at: kept


async def status_counts(session: AsyncSession) -> list[tuple[str, str, int]]:
    """Outbox rows by kind and state, for ``ocop-bot alerts status``."""
    rows = await session.execute(
        select(OutboxMessage.kind, OutboxMessage.state, func.count())
        .group_by(OutboxMessage.kind, OutboxMessage.state)
        .order_by(OutboxMessage.kind, OutboxMessage.state)
    )
    return [(kind, state, int(count)) for kind, state, count in rows]
