"""The conversation engine: one inbound event in, one transaction, replies out.

For each event the engine, in order: takes the chat's in-process lock (events of one chat
run one at a time, lowest platform order first; different chats run concurrently); opens one
transaction; records the event id — an id seen before means a redelivery, which is
acknowledged and ignored — and loads the chat's session row, locked ``FOR UPDATE`` on
PostgreSQL so several processes also serialise per chat (one statement there), and with it
the sender's profile (read again on PostgreSQL when the statement waited for another
process's step of the chat, see :meth:`Engine._first_delivery`); runs the handlers; writes
whatever domain rows the handlers added and the replies, then the new state, last; commits.
Replies are sent only after the commit, so nothing is ever said about a step that was not
saved.

Order: an idle chat's first event waits a moment (:data:`bot.runtime.ORDER_SETTLE_SECONDS`)
so the events a platform posted with it are all read; then, just before its commit, a step
looks whether an earlier event of the same chat (lower :attr:`Inbound.order`) arrived
meanwhile — in this process (:meth:`KeyedLocks.earlier_waiting`) or, on PostgreSQL, in
another one (``chat_arrivals``: every event is written there as it arrives, committed
before its step saves, and deleted by the step that applies it, in the statement that saves
the step's session row and also looks for an earlier arrival). If so the step is rolled back and
runs again after the earlier one, so events that meet before either is committed are
applied in their platform's order, whichever process holds them. Only a chat whose events
really arrive together pays (a step run twice); an event that arrives after a later one
was committed is applied after it, as nothing can be undone. An arrival is written a round
trip or more after its event came, so while another process takes events of the same
channel (:mod:`bot.presence`) a step does not start sooner than
:data:`ORDER_WINDOW_SECONDS` after its own event came: an earlier event that reached the
other process about the same time has its arrival written by then, unless writing it took
that process longer than the window. A process alone on its channel does not wait.

Given :class:`DurableReplies` (``serve`` and ``poll``), the replies are also written in the
step's transaction, and sent after the commit by a sender that outlives a crash
(:mod:`bot.replies`); without it (the console, tests) they are handed to ``deliver``.
Either way the engine returns them.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from functools import cache
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import Executable, and_, bindparam, delete, event, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased, object_session

from bot.cleaning import clean_inbound
from bot.db.direct import Statements, self_contained, statements_for
from bot.db.engine import single_statement, write_connection, write_gate, write_transaction
from bot.db.models import (
    ChannelAccount,
    ChatArrival,
    ConversationSession,
    OutboxMessage,
    ProcessedEvent,
)
from bot.db.models import Document as StoredDocument
from bot.i18n import translator
from bot.links import LinkSigner
from bot.messages import Capabilities, Channel, Document, Inbound, Outbound, Reply
from bot.presence import Presence
from bot.render import coalesce, degrade
from bot.replies.outbox import first_reply_insert
from bot.store import SqlStore, profile_columns
from handlers import router
from handlers.conversation import State
from handlers.ports import HandlerContext

log = logging.getLogger(__name__)
Deliver = Callable[[list[Outbound]], Awaitable[None]]
NOTICE_QUEUED = "notice_queued"


class DurableReplies(Protocol):
    """Where a step's replies are kept, in the step's transaction, until they are sent."""

    async def record(
        self,
        statements: Statements,
        inbound: Inbound,
        replies: list[Outbound],
        *,
        address: str,
        now: datetime,
        joined: tuple[Executable, Mapping[str, Any]] | None = None,
    ) -> object | None:
        """Write ``replies`` of ``inbound``'s step with the step, to be sent to ``address``
        (the chat id as the platform gave it; ``inbound`` is cleaned); a token for
        :meth:`committed`. With ``joined`` (a statement from
        :func:`bot.replies.outbox.first_reply_insert` and its other parameters), the first
        reply is written by that statement, and None tells that it wrote nothing."""
        ...

    def committed(self, token: object) -> None:
        """The step that recorded ``token`` is committed: its replies may go."""
        ...

    def redelivered(self, inbound: Inbound) -> None:
        """``inbound`` came again after its step was committed: send what is still unsent."""
        ...


@event.listens_for(OutboxMessage, "after_insert")
def _mark_notice_queued(_mapper: Any, _connection: Any, target: OutboxMessage) -> None:
    """Flag the session that queued a notice, so only such a commit wakes the dispatcher
    (waking it after every message would add a transaction per message under load)."""
    session = object_session(target)
    if session is not None:
        session.info[NOTICE_QUEUED] = True


class KeyedLocks:
    """One lock per key whose waiters are let in by their order key, not their arrival.

    Events of one chat that are in flight together (a platform delivering over several
    connections, a user typing fast) reach the lock in whatever order their requests were
    read; each waits with the order its platform gave it (:attr:`Inbound.order`) and the
    lowest goes next, ties in arrival order. When a key is idle its first event waits
    until no other event of the key arrived for ``settle`` seconds (at most ten times that),
    so events posted together are all waiting by then; one read later still makes the
    holder step back if it comes before the holder's commit (:meth:`earlier_waiting`). A
    key's state is dropped when nobody holds or waits for it.
    """

    def __init__(self, settle: float = 0.0) -> None:
        self.settle = settle
        self._queues: dict[object, _Waiters] = {}
        self._arrivals = itertools.count()

    @asynccontextmanager
    async def hold(self, key: object, order: tuple[Any, ...] = ()) -> AsyncIterator[None]:
        """Hold the lock of ``key``, after every waiter with a lower ``order``."""
        loop = asyncio.get_running_loop()
        queue = self._queues.get(key)
        if queue is None:
            queue = self._queues[key] = _Waiters()
        future: asyncio.Future[None] = loop.create_future()
        heapq.heappush(queue.waiting, (order, next(self._arrivals), future))
        if not queue.held:
            if queue.timer is not None:  # settling: another event came, wait on
                queue.timer.cancel()
            else:
                queue.opening_until = loop.time() + 10 * self.settle
            at = min(loop.time() + self.settle, queue.opening_until)
            queue.timer = loop.call_at(at, self._grant, key)
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():  # let in, then cancelled
                self._release(key)
            raise  # a cancelled waiter is skipped when its turn comes
        try:
            yield
        finally:
            self._release(key)

    def earlier_waiting(self, key: object, order: tuple[Any, ...]) -> bool:
        """Whether an event with a lower ``order`` than the holder's waits for ``key``."""
        queue = self._queues.get(key)
        return queue is not None and any(
            waiting < order and not future.done() for waiting, _, future in queue.waiting
        )

    def _release(self, key: object) -> None:
        self._queues[key].held = False
        self._grant(key)

    def _grant(self, key: object) -> None:
        """Let the lowest waiting order in, or drop the idle key."""
        queue = self._queues.get(key)
        if queue is None or queue.held:
            return
        if queue.timer is not None:
            queue.timer.cancel()
            queue.timer = None
        while queue.waiting:
            _, _, future = heapq.heappop(queue.waiting)
            if not future.done():
                queue.held = True
                future.set_result(None)
                return
        del self._queues[key]

    def __len__(self) -> int:
        return len(self._queues)


@dataclass(slots=True)
class _Waiters:
    """A key's waiters, lowest order first; whether one holds it; while it is idle, the
    timer that lets the first waiter in and the latest moment it may run."""

    waiting: list[tuple[tuple[Any, ...], int, asyncio.Future[None]]] = field(default_factory=list)
    held: bool = False
    timer: asyncio.TimerHandle | None = None
    opening_until: float = 0.0


def _retrieve(future: asyncio.Future[None]) -> None:
    """Take ``future``'s error as seen: the step that would have awaited it failed first,
    and reported its own."""
    if not future.cancelled():
        future.exception()


class EarlierEventError(Exception):
    """An earlier event of the chat arrived before this step committed: roll it back and
    run it again after that one. ``elsewhere``: the earlier event is another process's."""

    def __init__(self, *, elsewhere: bool) -> None:
        super().__init__("an earlier event of the chat goes first")
        self.elsewhere = elsewhere


# An arrival older than this is taken as left by a process that died before applying it
# (its platform redelivers the event): later events of the chat stop waiting for it.
ARRIVAL_STALE = timedelta(seconds=5)
# While another conversation process is present, a step waits until this long after its
# event came before it runs: the time another process may take to write the arrival of an
# earlier event of the chat that it received about the same moment (bot.presence).
ORDER_WINDOW_SECONDS = 0.02
# Waits between two tries of a step whose chat has an earlier event in another process.
_RETRY_FIRST, _RETRY_MOST = 0.002, 0.05


def dialect_insert(dialect: str, model: type[object]) -> Any:
    """A dialect-specific INSERT that supports ``ON CONFLICT`` (both dialects spell it alike;
    their Insert classes share no typed base, hence ``Any``)."""
    return (pg_insert if dialect == "postgresql" else sqlite_insert)(model)


def insert_for(session: AsyncSession, model: type[object]) -> Any:
    """:func:`dialect_insert` for the session's database."""
    return dialect_insert(session.get_bind().dialect.name, model)


@dataclass
class Engine:
    """Runs handlers for inbound events; one per process, shared by every channel."""

    sessionmaker: async_sessionmaker[AsyncSession]
    default_locale: str = "vi"
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    locks: KeyedLocks = field(default_factory=KeyedLocks)  # settle: see build_engine
    timezone: tzinfo = field(default=ZoneInfo("Asia/Ho_Chi_Minh"))
    links: LinkSigner | None = None
    after_commit: Callable[[], None] | None = None  # when a step queued a notice: wake alerts
    presence: Presence | None = None  # the other conversation processes (PostgreSQL)
    order_window: float = ORDER_WINDOW_SECONDS
    gate: AbstractAsyncContextManager[Any] = field(init=False)
    database: AsyncEngine = field(init=False)

    shared: bool = field(init=False)  # other processes may hold events of a chat
    _arrivals: list[tuple[dict[str, Any], asyncio.Future[None]]] = field(
        init=False, default_factory=list
    )
    _writer: asyncio.Future[None] | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.database = self.sessionmaker.kw["bind"]
        self.gate = write_gate(self.database)
        self.shared = self.database.dialect.name == "postgresql"

    async def handle(
        self,
        inbound: Inbound,
        capabilities: Capabilities,
        deliver: Deliver | None = None,
        durable: DurableReplies | None = None,
    ) -> list[Outbound] | None:
        """Handle ``inbound`` and return the replies fitted to ``capabilities``.

        ``deliver``, when given, is awaited with the replies after the commit and while the
        chat is still locked, so replies of consecutive messages never overtake each other.
        ``durable``, when given, keeps the replies with the step and sends them after the
        commit, in the chat's order. None when the event is a redelivery that was already
        handled.
        """
        received = asyncio.get_running_loop().time()
        address = inbound.chat_id  # replies go to the id the platform gave
        inbound = clean_inbound(inbound)  # the one place platform text is cleaned
        # Told to other processes while it waits here and while its step runs, once: the
        # arrival stays until the step that applies it.
        announced = asyncio.ensure_future(self._announce(inbound)) if self.shared else None
        if announced is not None:  # a step that fails before its save does not await it
            announced.add_done_callback(_retrieve)
        pause = _RETRY_FIRST
        while True:
            try:
                return await self._step(
                    inbound, address, capabilities, deliver, durable, announced, received
                )
            except EarlierEventError as earlier:
                if earlier.elsewhere:  # in this process it waits in the lock already
                    await asyncio.sleep(pause)
                    pause = min(2 * pause, _RETRY_MOST)

    async def _step(
        self,
        inbound: Inbound,
        address: str,
        capabilities: Capabilities,
        deliver: Deliver | None,
        durable: DurableReplies | None,
        announced: asyncio.Future[None] | None,
        received: float,
    ) -> list[Outbound] | None:
        """One try of :meth:`handle` under the chat's lock; :class:`EarlierEventError`
        (rolled back) when an earlier event of the chat must go first. ``received``: when
        the event came, on the loop's clock.

        The event takes its place in this process's queue of the chat at once (nothing is
        awaited before). Its arrival is being written meanwhile, and is awaited only by the
        statement that deletes it, the save: the write's round trip, and the wait for its
        batch, no longer stand between the event and its step."""
        key = (inbound.channel, inbound.chat_id)
        async with self.locks.hold(key, inbound.order):
            if self.presence is not None and inbound.channel in self.presence.shared:
                # Out of the write gate: no connection is held while it waits.
                await asyncio.sleep(
                    received + self.order_window - asyncio.get_running_loop().time()
                )
                if self.locks.earlier_waiting(key, inbound.order):  # read meanwhile
                    raise EarlierEventError(elsewhere=False)
            async with write_connection(self.database, self.gate) as connection:
                # Bound to the connection, the session joins its transaction; made only
                # for an event that uses the ORM.
                orm: list[AsyncSession] = []

                def session() -> AsyncSession:
                    if not orm:
                        orm.append(AsyncSession(bind=connection, expire_on_commit=False))
                    return orm[0]

                statements = await statements_for(connection)
                hot = hot_statements(connection.dialect.name)
                now = self.clock()
                row = await self._first_delivery(statements, hot, inbound, now)
                if row is None:
                    await self._redelivered(statements, hot, inbound, durable, announced)
                    return None
                store = SqlStore(session, now, self.timezone, connection, statements)
                if self.shared and row.seen_version != row.version:
                    # Another process's step of the chat committed after this statement
                    # began, and may have changed who the sender is: read it anew.
                    profile = await store.profile_for(inbound.channel, inbound.sender_id)
                else:
                    profile = await store.known_profile(inbound.channel, inbound.sender_id, row)
                language = row.language or (profile.language if profile else self.default_locale)
                ctx = HandlerContext(
                    t=translator(language),
                    now=now,
                    channel=inbound.channel,
                    chat_id=inbound.chat_id,
                    sender_id=inbound.sender_id,
                    sender_name=inbound.sender_name,
                    profile=profile,
                    store=store,
                    language=language,
                    translators=translator,
                    timezone=self.timezone,
                )
                state = State(row.flow, row.step, dict(row.data or {}))
                turn = await router.handle(ctx, state, inbound.content)
                ctx = ctx.after(turn.changes)
                outgoing = await self._documents_as_links(session, turn.replies, capabilities, ctx)
                if orm and orm[0].in_transaction():
                    await orm[0].flush()  # what the handlers added through the ORM
                    await orm[0].close()  # leaves the connection's transaction to commit
                replies = coalesce(
                    [part for reply in outgoing for part in degrade(reply, capabilities, ctx.t)],
                    capabilities,
                )
                saved = {
                    "row_id": row.id,
                    "flow": turn.state.flow,
                    "step": turn.state.step,
                    "data": turn.state.data,
                    "language": ctx.language,
                    "person_id": ctx.profile.person_id if ctx.profile else None,
                    "version": row.version + 1,
                    "updated_at": ctx.now,
                }
                # The save deletes the event's arrival: it must be there by now.
                if announced is not None:
                    await announced
                # On PostgreSQL the save and the first reply are one statement: the
                # reply's INSERT was a round trip of its own on every step.
                joined = None
                if self.shared and durable is not None and replies:
                    joined = (hot.save_in_order_and_reply, self._in_order(inbound, saved, now))
                if durable is not None:
                    token = await durable.record(
                        statements, inbound, replies, address=address, now=now, joined=joined
                    )
                    if token is None:  # the save found an earlier event waiting
                        raise EarlierEventError(elsewhere=True)
                await self._save(statements, hot, inbound, saved, now, stored=joined is not None)
            if durable is not None:
                durable.committed(token)
            if self.after_commit is not None and orm and orm[0].info.get(NOTICE_QUEUED):
                self.after_commit()
            if deliver is not None:
                await deliver(replies)
            return replies

    async def _redelivered(
        self,
        statements: Statements,
        hot: HotStatements,
        inbound: Inbound,
        durable: DurableReplies | None,
        announced: asyncio.Future[None] | None,
    ) -> None:
        """``inbound`` came again after its step was committed: its arrival, written again,
        goes (once written: see :meth:`_save`), and what is unsent of its replies too."""
        if announced is not None:
            await announced
        if self.shared:
            await statements.rows(
                hot.applied, {"channel": inbound.channel.value, "event_id": inbound.event_id}
            )
        if durable is not None:
            durable.redelivered(inbound)

    async def _documents_as_links(
        self,
        session: Callable[[], AsyncSession],
        replies: list[Outbound],
        capabilities: Capabilities,
        ctx: HandlerContext,
    ) -> list[Outbound]:
        """Keep documents the channel cannot send, and send a signed link instead."""
        if capabilities.documents:
            return replies
        result: list[Outbound] = []
        for reply in replies:
            if not isinstance(reply, Document):
                result.append(reply)
                continue
            if self.links is None:
                result.append(
                    Reply(
                        ctx.t.gettext(
                            "I cannot send files on this channel yet. Please ask the commune "
                            "office for a printed copy."
                        )
                    )
                )
                continue
            stored = StoredDocument(
                owner_person_id=ctx.profile.person_id if ctx.profile else None,
                kind="chat",
                filename=reply.filename,
                media_type=reply.media_type,
                content=reply.content,
                created_at=ctx.now,
            )
            session().add(stored)
            await session().flush()
            result.append(
                Reply(
                    ctx.t.gettext(
                        "Your document “{name}” is ready. Open this link to download it (valid for "
                        "7 days): {url}"
                    ).format(name=reply.filename, url=self.links.url(stored.id, ctx.now))
                )
            )
        return result

    async def _announce(self, inbound: Inbound) -> None:
        """Record, committed, that this process holds ``inbound`` of its chat (see the
        module's text); a redelivery finds its row there already. Arrivals are written
        together, several events in one statement, so that telling the others is quick
        even when many events came at once."""
        at, key = inbound.order
        future = asyncio.get_running_loop().create_future()
        self._arrivals.append(
            (
                {
                    "channel": inbound.channel.value,
                    "chat_id": inbound.chat_id,
                    "event_id": inbound.event_id,
                    "order_at": at,
                    "order_key": key,
                    "arrived_at": self.clock(),
                },
                future,
            )
        )
        if self._writer is None or self._writer.done():
            self._writer = asyncio.ensure_future(self._write_arrivals())
        await future

    async def _write_arrivals(self) -> None:
        """Write every waiting arrival, batch after batch, until none is left."""
        while self._arrivals:
            batch, self._arrivals = self._arrivals, []
            try:
                # One statement, in autocommit: its own BEGIN and COMMIT were two more round
                # trips (its rows are independent of each other anyway). Not at the write
                # gate: steps hold it while they wait for their arrival. A lone arrival, the
                # most common, goes the built-once way.
                async with single_statement(self.database, nullcontext()) as connection:
                    announce = hot_statements(connection.dialect.name).announce
                    if len(batch) == 1:
                        await (await statements_for(connection)).rows(announce, batch[0][0])
                    else:
                        await connection.execute(announce, [params for params, _ in batch])
            except Exception as error:  # each waiting event gets it
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)
                continue
            for _, future in batch:
                if not future.done():
                    future.set_result(None)

    async def _save(
        self,
        statements: Statements,
        hot: HotStatements,
        inbound: Inbound,
        saved: dict[str, Any],
        now: datetime,
        *,
        stored: bool = False,
    ) -> None:
        """Store the chat's new session row, the step's last statement (unless ``stored``
        already, with the first reply); raise :class:`EarlierEventError` (the step is then
        rolled back) when an earlier event of the chat is waiting, here or (PostgreSQL) in
        another process.

        On PostgreSQL one statement does three things: it deletes this event's arrival,
        looks for an earlier arrival of the chat, and saves the row only when there is
        none — a step's order check costs no round trip of its own."""
        if not self.shared:
            await statements.rows(hot.save_session, saved)
        elif not stored and not await statements.rows(
            hot.save_in_order, self._in_order(inbound, saved, now)
        ):
            raise EarlierEventError(elsewhere=True)
        # Last, nearest the commit: an earlier event of this process read meanwhile.
        if self.locks.earlier_waiting((inbound.channel, inbound.chat_id), inbound.order):
            raise EarlierEventError(elsewhere=False)

    @staticmethod
    def _in_order(inbound: Inbound, saved: dict[str, Any], now: datetime) -> dict[str, Any]:
        """The parameters of the save that keeps the chat's order (PostgreSQL)."""
        at, key = inbound.order
        return {
            **saved,
            "arrival_channel": inbound.channel.value,
            "arrival_chat": inbound.chat_id,
            "arrival_event": inbound.event_id,
            "since": now - ARRIVAL_STALE,
            "before_at": at,
            "same_at": at,
            "before_key": key,
        }

    async def mark_unreachable(self, channel: Channel, chat_id: str) -> None:
        """Record that a chat blocked the bot; alerts skip unreachable accounts."""
        async with write_transaction(self.sessionmaker, self.gate) as session:
            await session.execute(
                update(ChannelAccount)
                .where(ChannelAccount.channel == channel.value)
                .where(ChannelAccount.chat_id == chat_id)
                .values(reachable=False, unreachable_since=self.clock())
            )

    async def _first_delivery(
        self, statements: Statements, hot: HotStatements, inbound: Inbound, now: datetime
    ) -> Any:
        """Record the event as handled and return the chat's session row, created when
        missing, with the sender's profile (:func:`bot.store.profile_columns`); None when
        the event was recorded before (a redelivery).

        The session row comes from one statement: its no-op ``ON CONFLICT DO UPDATE``
        makes the database return the existing row and, on PostgreSQL, lock it until
        commit — the cross-process per-chat lock. On PostgreSQL the same statement also
        records the event (a CTE), one round trip for both; elsewhere that is a statement
        of its own, first.

        The profile's subqueries see the database as it was when the statement began. On
        SQLite nothing else writes meanwhile (the transaction holds the write lock). On
        PostgreSQL the statement may have waited for another process's step of the same
        chat to commit, which can change who the sender is (a sign-up, an erasure); the row
        then also returns the session's version as the statement saw it
        (``seen_version``), which differs from the version returned, and the engine reads
        the profile again.
        """
        session: dict[str, Any] = {
            "channel": inbound.channel.value,
            "chat_id": inbound.chat_id,
            "data": {},
            "version": 0,
            "updated_at": now,
            "profile_channel": inbound.channel.value,
            "profile_external_id": inbound.sender_id,
        }
        event: dict[str, Any] = {"event_id": inbound.event_id, "processed_at": now}
        if self.shared:
            (row,) = await statements.rows(
                hot.first_delivery_and_session,
                {
                    **session,
                    **event,
                    "event_channel": inbound.channel.value,
                    "seen_channel": inbound.channel.value,
                    "seen_chat": inbound.chat_id,
                },
            )
            first = row.first_delivery is not None
        else:
            event["channel"] = inbound.channel.value
            first = bool(await statements.rows(hot.first_delivery, event))
            if first:
                (row,) = await statements.rows(hot.session_row, session)
        if not first:
            log.info("duplicate event ignored", extra={"event_id": inbound.event_id})
            return None
        return row


@dataclass(frozen=True, slots=True)
class HotStatements:
    """The statements every event runs, for one dialect.

    They are built once and take their values as execution parameters, so each event
    skips building and hashing a statement: on a local SQLite file that was most of the
    engine's own time.
    """

    first_delivery: Any
    session_row: Any
    first_delivery_and_session: Any  # both in one (PostgreSQL)
    save_session: Any
    announce: Any  # the rest: order across processes (PostgreSQL)
    applied: Any
    save_in_order: Any
    save_in_order_and_reply: Any  # and the step's first reply, in the same statement


# What a step saves of the chat's session row.
_SAVED = ("person_id", "flow", "step", "data", "language", "version", "updated_at")


@cache
def hot_statements(dialect: str) -> HotStatements:
    """The hot path's statements for ``dialect`` (``ON CONFLICT`` is spelled per dialect)."""
    sessions = ConversationSession
    arrival = ChatArrival
    # This event's arrival, deleted by the statement that saves its step.
    own_arrival = (
        delete(arrival)
        .where(arrival.channel == bindparam("arrival_channel"))
        .where(arrival.event_id == bindparam("arrival_event"))
        .cte("applied")
    )
    # An earlier event of the chat, waiting in some process (not one left by a dead one).
    earlier = (
        select(arrival.id)
        .where(arrival.channel == bindparam("arrival_channel"))
        .where(arrival.chat_id == bindparam("arrival_chat"))
        .where(arrival.arrived_at > bindparam("since"))
        .where(
            or_(
                arrival.order_at < bindparam("before_at"),
                and_(
                    arrival.order_at == bindparam("same_at"),
                    arrival.order_key < bindparam("before_key"),
                ),
            )
        )
    )
    first_delivery = (
        dialect_insert(dialect, ProcessedEvent)
        .on_conflict_do_nothing(index_elements=["channel", "event_id"])
        .returning(ProcessedEvent.id)
    )
    # The same, inside the session row's statement, whose "channel" is the session's.
    recorded = (
        dialect_insert(dialect, ProcessedEvent)
        .values(
            channel=bindparam("event_channel"),
            event_id=bindparam("event_id"),
            processed_at=bindparam("processed_at"),
        )
        .on_conflict_do_nothing(index_elements=["channel", "event_id"])
        .returning(ProcessedEvent.id)
        .cte("first_delivery")
    )
    profile, profile_read = profile_columns()
    columns = sessions.__table__.c
    session_row = (
        dialect_insert(dialect, sessions)
        .on_conflict_do_update(
            index_elements=["channel", "chat_id"], set_={"version": sessions.version}
        )
        .add_cte(profile)
    )
    session_columns = (
        sessions.id,
        sessions.flow,
        sessions.step,
        sessions.data,
        sessions.language,
        sessions.version,
    )
    # The session's version as the statement's snapshot has it (0 when it had no row).
    seen = aliased(sessions)
    seen_version = func.coalesce(
        select(seen.version)
        .where(seen.channel == bindparam("seen_channel"))
        .where(seen.chat_id == bindparam("seen_chat"))
        .scalar_subquery(),
        0,
    ).label("seen_version")
    save_session = update(sessions).where(sessions.id == bindparam("row_id"))
    # Saved only when no earlier event of the chat waits (PostgreSQL).
    in_order = save_session.where(~earlier.exists())
    saved_values = {name: bindparam(name, type_=columns[name].type) for name in _SAVED}
    return HotStatements(
        first_delivery=first_delivery,
        session_row=session_row.returning(*session_columns, *profile_read),
        first_delivery_and_session=session_row.add_cte(recorded).returning(
            *session_columns,
            *profile_read,
            seen_version,
            select(recorded.c.id).scalar_subquery().label("first_delivery"),
        ),
        save_session=save_session,
        announce=dialect_insert(dialect, ChatArrival).on_conflict_do_nothing(
            index_elements=["channel", "event_id"]
        ),
        applied=delete(ChatArrival)
        .where(ChatArrival.channel == bindparam("channel"))
        .where(ChatArrival.event_id == bindparam("event_id")),
        save_in_order=in_order.add_cte(own_arrival).returning(sessions.id),
        save_in_order_and_reply=self_contained(
            first_reply_insert(
                in_order.values(saved_values).returning(sessions.id).cte("saved")
            ).add_cte(own_arrival)
        ),
    )
