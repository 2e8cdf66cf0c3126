"""The reply sender: each chat's replies, in order, from the rows its steps committed.

**Recording.** A step writes its replies to ``reply_outbox`` in its own transaction
(:meth:`ReplySender.record`, through the engine's built-once statements; the first reply's
INSERT also looks at what of the chat waits, and on PostgreSQL saves the step too:
:mod:`bot.replies.outbox`). When nothing of the chat is waiting but what this process is
sending, the rows are written already leased
to this process (``sending`` until ``next_attempt_at``) and, once the step is committed,
queued in memory: no claim transaction stands between a commit and its reply. Otherwise
(rows left by a crash, or sent by another process) they are written ``pending``, and the
scan hands the chat to one process once its earlier rows are gone or their lease ran out;
while another process still sends a chat's earlier rows, the scans come quickly
(:data:`HANDOFF_SECONDS`), so a chat whose events a balancer sent to two processes waits
only for its own earlier replies.

**Sending.** One task per chat with replies to send sends them one at a time, in ``id``
order, and deletes each row once the platform took it before sending the next: a process
killed at any moment leaves each chat at most its one message in flight to be said again.
The deletes of all chats go in one statement per batch. Leases are renewed while held
(:data:`LEASE` / 3), so a live process keeps its chats and a dead one's are taken over by
the next scan after :data:`LEASE`.

**Failures.** A rate limit (429) waits its ``retry_after`` for that chat alone, and tells
the bulk sender (``on_rate_limited``) to slow down first; network failures, timeouts and
5xx back off (:data:`BACKOFF`) up to :data:`MAX_ATTEMPTS`; a message the platform refuses
as such, or a chat that blocked the bot, is recorded as ``failed`` with its reason.
Replies have their own budget (``rate``), apart from the alerts' pacer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ARRAY, Executable, Integer, any_, bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.alerts.dispatch import Pacer, describe, permanent
from bot.alerts.service import alerts_running
from bot.channels import ChatUnreachableError, RetryLaterError, Sender
from bot.db.direct import Statements, statements_for
from bot.db.engine import single_statement, write_connection, write_gate
from bot.db.models import ChannelAccount, ReplyRow
from bot.db.vocab import ReplyState
from bot.logs import chat_hash
from bot.messages import Channel, Inbound, Outbound
from bot.replies.codec import decode, encode
from bot.replies.outbox import FIRST_REPLY, NEXT_REPLY
from bot.runtime import Runtime
from bot.settings import Settings

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=6)
BACKOFF = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0)  # seconds before attempt 2, 3, …
MAX_ATTEMPTS = 8
SCAN_SECONDS = 1.0
# After a scan met a chat whose earlier replies another process is sending, the next scans
# come this soon, then twice as late each time, up to SCAN_SECONDS.
HANDOFF_SECONDS = 0.02
SCAN_BATCH = 200  # chats looked at per scan
ChatKey = tuple[str, str]  # (channel, chat id)


@dataclass(slots=True)
class _Item:
    id: int
    address: str  # the chat id as the platform gave it
    message: Outbound
    attempts: int = 0


@dataclass(frozen=True, slots=True)
class _Recorded:
    key: ChatKey
    items: tuple[_Item, ...]
    leased: bool


@dataclass
class ReplySender:
    """Sends the rows of ``reply_outbox`` through ``senders`` (see the module's text)."""

    database: AsyncEngine
    senders: dict[Channel, Sender]
    clock: Callable[[], datetime]
    rate: float | None = None  # replies a second over all chats; None: no cap of ours
    on_rate_limited: Callable[[float], None] | None = None  # a 429's wait, for bulk sends
    lease: timedelta = LEASE
    _chats: dict[ChatKey, deque[_Item]] = field(default_factory=dict)
    _workers: dict[ChatKey, asyncio.Task[None]] = field(default_factory=dict)
    _finished: list[tuple[int, asyncio.Future[None]]] = field(default_factory=list)
    _flush: asyncio.Event = field(default_factory=asyncio.Event)
    _scan: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.gate = write_gate(self.database)
        self._pacer = Pacer(self.rate, 0.0) if self.rate else None

    # -- in the step's transaction -------------------------------------------------------

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
        """Write ``replies`` with the step; leased to this process when nothing of the chat
        waits elsewhere (see the module's text).

        ``joined`` is a statement that writes the first reply together with a write of the
        caller's (:func:`bot.replies.outbox.first_reply_insert`), and that write's
        parameters; when it writes no reply, nothing is written and the answer is None."""
        key = (inbound.channel.value, inbound.chat_id)
        if not replies:
            if joined is not None:
                raise ValueError("a joined statement needs a reply to write")
            return _Recorded(key, (), leased=True)
        sending, until = ReplyState.SENDING.value, now + self.lease
        items: list[_Item] = []
        for reply in replies:
            kind, body, content = encode(reply)
            given = {
                "channel": key[0],
                "chat_id": key[1],
                "address": address,
                "event_id": inbound.event_id,
                "kind": kind.value,
                "body": body,
                "content": content,
                "attempts": 0,
                "last_error": None,
                "created_at": now,
                "failed_at": None,
            }
            if not items:  # the first decides, for the step's every reply
                free = sending if key in self._chats else ReplyState.FAILED.value
                statement, theirs = joined if joined is not None else (FIRST_REPLY, {})
                written = await statements.rows(
                    statement,
                    {
                        **theirs,
                        **given,
                        "failed": ReplyState.FAILED.value,
                        "free": free,
                        "pending": ReplyState.PENDING.value,
                        "sending": sending,
                        "now": now,
                        "until": until,
                    },
                )
                if not written:
                    return None
                (row,) = written
                leased = row.state == ReplyState.SENDING
                state, at = (sending, until) if leased else (ReplyState.PENDING.value, now)
            else:
                (row,) = await statements.rows(
                    NEXT_REPLY, {**given, "state": state, "next_attempt_at": at}
                )
            items.append(_Item(row.id, address, reply))
        return _Recorded(key, tuple(items), leased)

    def committed(self, token: object) -> None:
        """Queue the replies of a committed step, or have the scan look at its chat."""
        assert isinstance(token, _Recorded)  # noqa: S101 - what record() returned
        if not token.items:
            return
        if token.leased:
            self._queue(token.key, token.items)
        else:
            self._scan.set()

    def redelivered(self, inbound: Inbound) -> None:
        """A redelivered event: its replies, if any are unsent, go at the next scan."""
        self._scan.set()

    # -- sending ---------------------------------------------------------------------------

    def _queue(self, key: ChatKey, items: tuple[_Item, ...]) -> None:
        queue = self._chats.get(key)
        if queue is None:
            queue = self._chats[key] = deque()
        queue.extend(items)
        if key not in self._workers:
            self._workers[key] = asyncio.create_task(self._work(key))

    async def _work(self, key: ChatKey) -> None:
        """Send the chat's queue, one message after the other, until it is empty."""
        queue = self._chats[key]
        try:
            while queue:
                item = queue[0]
                if await self._send(key, item) and queue and queue[0] is item:
                    queue.popleft()
        except Exception:
            log.exception("reply sender stopped for a chat", extra={"chat": chat_hash(key[1])})
        finally:
            # No await between the last look at the queue and here: a step committed
            # meanwhile found the queue, and its items were sent above. After an error,
            # what is left is no longer renewed and goes again once its lease runs out.
            self._workers.pop(key, None)
            if self._chats.get(key) is queue:
                del self._chats[key]

    async def _send(self, key: ChatKey, item: _Item) -> bool:
        """One attempt at ``item``; True when the row is done with (sent or failed)."""
        channel, chat = Channel(key[0]), item.address
        sender = self.senders.get(channel)
        if sender is None:
            await self._fail([item.id], f"channel {channel.value} not configured")
            return True
        if self._pacer is not None:
            await self._pacer.wait("")
        try:
            await sender.send(chat, item.message)
        except ChatUnreachableError:
            log.info("chat unreachable", extra={"channel": key[0], "chat": chat_hash(chat)})
            queue = self._chats.get(key, deque())
            ids = [queued.id for queued in queue]
            queue.clear()
            await self._fail(ids or [item.id], "blocked", unreachable=key)
            return True
        except RetryLaterError as error:
            return await self._retry(key, item, str(error), error.retry_after, error.rate_limited)
        except Exception as error:
            if permanent(error):
                await self._fail([item.id], f"refused: {describe(error)}")
                return True
            log.warning("reply not sent", exc_info=True, extra={"chat": chat_hash(chat)})
            return await self._retry(key, item, describe(error), None, rate_limited=False)
        await self._sent(item.id)
        return True

    async def _retry(
        self,
        key: ChatKey,
        item: _Item,
        reason: str,
        retry_after: float | None,
        rate_limited: bool,
    ) -> bool:
        item.attempts += 1
        if item.attempts >= MAX_ATTEMPTS:
            await self._fail([item.id], reason)
            return True
        wait = retry_after if retry_after is not None else BACKOFF[item.attempts - 1]
        if rate_limited and self.on_rate_limited is not None:
            self.on_rate_limited(wait)  # bulk slows first; this chat waits its own wait
        now = self.clock()
        async with write_connection(self.database, self.gate) as connection:
            await connection.execute(
                update(ReplyRow)
                .where(ReplyRow.id == item.id)
                .values(
                    attempts=item.attempts,
                    last_error=reason[:500],
                    next_attempt_at=now + timedelta(seconds=wait) + self.lease,
                )
            )
        log.info("reply to be tried again", extra={"chat": chat_hash(key[1]), "wait": wait})
        await asyncio.sleep(wait)
        return False

    async def _sent(self, row_id: int) -> None:
        """Delete the row (batched with other chats'), and return once that is committed."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._finished.append((row_id, future))
        self._flush.set()
        await future

    async def _fail(self, ids: list[int], reason: str, unreachable: ChatKey | None = None) -> None:
        now = self.clock()
        async with write_connection(self.database, self.gate) as connection:
            await connection.execute(
                update(ReplyRow)
                .where(ReplyRow.id.in_(ids))
                .values(state=ReplyState.FAILED.value, last_error=reason[:500], failed_at=now)
            )
            if unreachable is not None:
                await connection.execute(
                    update(ChannelAccount)
                    .where(ChannelAccount.channel == unreachable[0])
                    .where(ChannelAccount.chat_id == unreachable[1])
                    .values(reachable=False, unreachable_since=now)
                )
        log.warning("reply given up", extra={"reason": reason[:80], "rows": len(ids)})

    # -- background loops -------------------------------------------------------------------

    async def flush_forever(self, stop: asyncio.Event) -> None:
        """Delete the rows sent, one statement per batch (:func:`single_statement`), until
        ``stop``."""
        while not (stop.is_set() and not self._finished):
            if not self._finished:
                await _either(self._flush, stop, None)
                self._flush.clear()
                continue
            batch, self._finished = self._finished, []
            try:
                async with single_statement(self.database, self.gate) as connection:
                    await _delete_sent(connection, [row for row, _ in batch])
            except Exception:
                log.warning("sent replies not recorded; trying again", exc_info=True)
                self._finished = batch + self._finished
                await asyncio.sleep(0.5)
                continue
            for _, future in batch:
                if not future.done():
                    future.set_result(None)

    async def scan_forever(self, stop: asyncio.Event, period: float = SCAN_SECONDS) -> None:
        """Renew this process's leases, and take over chats whose rows nobody holds.

        A chat whose next reply was written here while another process still sends its
        earlier ones (its events went to both, as a balancer of several processes does)
        is looked at again soon (:data:`HANDOFF_SECONDS`, doubling), not a whole period
        later: that process deletes its rows a moment after the platform took them."""
        soon: float | None = None
        loop = asyncio.get_running_loop()
        renewed = -period
        while not stop.is_set():
            try:
                if loop.time() - renewed >= period:  # not at each of the quick scans
                    await self.renew()
                    renewed = loop.time()
                _, held_elsewhere = await self._scan_chats()
            except Exception:
                log.exception("reply scan failed; trying again")
                held_elsewhere = 0
            if held_elsewhere:
                soon = HANDOFF_SECONDS if soon is None else min(2 * soon, period)
            else:
                soon = None
            self._scan.clear()
            await _either(self._scan, stop, period if soon is None else soon)

    async def renew(self) -> None:
        """Extend the lease of every row this process holds."""
        ids = [item.id for queue in self._chats.values() for item in queue]
        if not ids:
            return
        until = self.clock() + self.lease
        async with write_connection(self.database, self.gate) as connection:
            await connection.execute(
                update(ReplyRow)
                .where(ReplyRow.id.in_(ids))
                .where(ReplyRow.state == ReplyState.SENDING.value)
                .values(next_attempt_at=until)
            )

    async def scan(self) -> int:
        """Claim the chats with unsent rows that are due and held by nobody; how many."""
        claimed, _ = await self._scan_chats()
        return claimed

    async def _scan_chats(self) -> tuple[int, int]:
        """:meth:`scan`; how many chats it claimed, and how many it left because another
        process still holds earlier rows of theirs."""
        now = self.clock()
        async with self.database.connect() as connection:
            due = await connection.execute(
                select(ReplyRow.channel, ReplyRow.chat_id)
                .where(ReplyRow.state != ReplyState.FAILED.value)
                .where(ReplyRow.next_attempt_at <= now)
                .group_by(ReplyRow.channel, ReplyRow.chat_id)
                .limit(SCAN_BATCH)
            )
            keys = [(channel, chat) for channel, chat in due if (channel, chat) not in self._chats]
        claimed = held = 0
        for key in keys:
            items = await self._claim(key, now)
            if items is None:
                held += 1
            elif items:
                self._queue(key, items)
                claimed += 1
        return claimed, held

    async def _claim(self, key: ChatKey, now: datetime) -> tuple[_Item, ...] | None:
        """Lease all of a chat's unsent rows, unless a live lease holds any of them (None)."""
        query = (
            select(ReplyRow)
            .where(ReplyRow.channel == key[0])
            .where(ReplyRow.chat_id == key[1])
            .where(ReplyRow.state != ReplyState.FAILED.value)
            .order_by(ReplyRow.id)
        )
        if self.database.dialect.name == "postgresql":
            query = query.with_for_update()
        async with write_connection(self.database, self.gate) as connection:
            rows = (await connection.execute(query)).all()
            if not rows or key in self._chats:
                return ()
            if any(row.next_attempt_at > now for row in rows if row.state == ReplyState.SENDING):
                return None  # another process is sending this chat's replies
            await connection.execute(
                update(ReplyRow)
                .where(ReplyRow.id.in_([row.id for row in rows]))
                .values(state=ReplyState.SENDING.value, next_attempt_at=now + self.lease)
            )
        return tuple(
            _Item(row.id, row.address, decode(row.kind, row.body, row.content), row.attempts)
            for row in rows
        )

    def abandon(self) -> None:
        """Stop sending; rows not sent go again once their lease runs out."""
        for worker in list(self._workers.values()):
            worker.cancel()

    async def idle(self) -> None:
        """Wait until this process has nothing left to send (tests and shutdown)."""
        while self._workers:
            await asyncio.gather(*self._workers.values(), return_exceptions=True)


# The rows sent, on PostgreSQL: one statement built once, the ids as one array. With
# ``IN``, each batch size was a statement of its own for SQLAlchemy to build and look up.
_DELETE_SENT = delete(ReplyRow).where(ReplyRow.id == any_(bindparam("ids", type_=ARRAY(Integer))))


async def _delete_sent(connection: AsyncConnection, ids: list[int]) -> None:
    """Delete the rows ``ids`` (sent) on ``connection``."""
    if connection.dialect.name == "postgresql":
        await (await statements_for(connection)).rows(_DELETE_SENT, {"ids": ids})
    else:
        await connection.execute(delete(ReplyRow).where(ReplyRow.id.in_(ids)))


async def _either(event: asyncio.Event, stop: asyncio.Event, seconds: float | None) -> None:
    """Return once ``event`` or ``stop`` is set, or after ``seconds``."""
    waiters = [asyncio.create_task(event.wait()), asyncio.create_task(stop.wait())]
    with contextlib.suppress(TimeoutError):
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    for waiter in waiters:
        waiter.cancel()


@contextlib.asynccontextmanager
async def replies_running(
    runtime: Runtime, *, rate: float | None = None, grace: float = 5.0
) -> AsyncIterator[ReplySender | None]:
    """Send ``runtime``'s replies from the outbox while the block runs; on leaving, give
    what is queued ``grace`` seconds to go (what is left goes after the next start)."""
    if not runtime.senders:
        yield None
        return
    sender = ReplySender(runtime.engine.database, runtime.senders, runtime.engine.clock, rate)
    stop = asyncio.Event()
    loops = [
        asyncio.create_task(sender.flush_forever(stop)),
        asyncio.create_task(sender.scan_forever(stop, SCAN_SECONDS)),
    ]
    runtime.replies = sender
    try:
        yield sender
    finally:
        runtime.replies = None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(sender.idle(), grace)
        sender.abandon()
        stop.set()
        await asyncio.gather(*loops, return_exceptions=True)


@contextlib.asynccontextmanager
async def sending(runtime: Runtime, settings: Settings) -> AsyncIterator[None]:
    """The replies' sender and the alerts' dispatcher at work beside ``runtime``'s channels
    while the block runs (``serve`` and ``poll``): a rate limit met by a reply holds the
    dispatcher's bulk sends first."""
    async with (
        replies_running(runtime) as replies,
        alerts_running(runtime, settings.alert_config(), enabled=settings.ocop_alerts) as bulk,
    ):
        if replies is not None and bulk is not None and bulk.pacer is not None:
            replies.on_rate_limited = bulk.pacer.hold
        yield
