"""Webhook throughput: simulated chats walking a conversation through POST /webhooks/telegram.

A real ``ocop-bot serve`` process handles the webhooks against a local stand-in of the Bot
API (a real HTTP server on loopback, in this process). Each simulated chat has its own HTTP
connection, as Telegram keeps one per concurrent delivery, and sends its next message only
after the bot's replies to the previous one have arrived at the stand-in. Every step is
committed by the bot as in production.

Two runs, each after a warm-up that is not measured:

* **paced** — the chats together offer ``--rate`` updates a second (each chat one message
  every ``chats / rate`` seconds, later if its previous reply is still on its way). This is
  the target: at 200 chats, 40 connections and a Bot API 150 ms away, ≥ 600 updates/s on
  SQLite and ≥ 400 on PostgreSQL, webhook p99 ≤ 20 ms and reply p99 ≤ 300 ms.
* **saturated** — no pause between a reply and the next message: the most the bot can do.
  Here latency only tells how long the queue is: with no think time, Little's law makes the
  mean latency ``chats / throughput`` (200 chats at 500 updates/s wait 400 ms on average),
  so the latency target can only be met by a paced load.

The chats share at most ``--connections`` HTTP connections (Telegram's ``max_connections``
of a webhook is 40 by default). The bot answers a webhook once the step and its replies are
committed, and sends the replies afterwards (``bot/replies``), so two latencies are
reported: **webhook** (POST sent → its answer) and **reply** (POST sent → the bot's reply
at the stand-in, which takes ``--latency-ms`` to take a message, as Telegram's servers
do). A reply that never arrives is **lost**. Reports updates/s, both latencies'
percentiles, lost replies, errors, the server's CPU per update (and as a ratio to a fixed
reference loop, comparable across machines and hours), on PostgreSQL the database
processes' CPU per update too (measured the same way; on one machine they share its
cores with the server and this load), and peak RSS. ``--short`` runs a few
seconds for CI and fails on a lost reply or a webhook p99 not below the reply p99.

    python bench/webhook_load.py --chats 200 --seconds 20 --latency-ms 150
    python bench/webhook_load.py --database-url postgresql+asyncpg://postgres@127.0.0.1/test
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import gc
import itertools
import os
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import make_url

REPO = Path(__file__).parents[1]
sys.path.insert(0, str(REPO))

from bot.eventloop import event_loop_factory  # noqa: E402
from tests.standins import TelegramStandIn, free_port, serve, start_bot_server  # noqa: E402

SECRET = "bench-secret"
SCRIPT = [
    "/start",
    "co",
    "Nguyen Van A",
    "{phone}",  # each chat its own number, as each producer has
    "xop",
    "hop tac xa",
    "HTX Mat ong",
    "bo qua",
    "luu",
]
TARGET_RATES = {"sqlite": 600.0, "postgresql": 400.0}  # updates/s, per database
TARGET_WEBHOOK_P99_MS = 20.0
TARGET_REPLY_P99_MS = 300.0
REPLY_WAIT_SECONDS = 15.0  # a reply later than this counts as lost
# Fresh ids on every run, so a database kept from an earlier run (PostgreSQL) sees new
# events from new chats, not redeliveries it rightly ignores.
_RUN = int(time.time()) % 1_000_000
_update_ids = itertools.count(_RUN * 1_000_000)
_chat_ids = itertools.count(_RUN * 10_000)


def _update(chat: int, text: str) -> dict[str, Any]:
    uid = next(_update_ids)
    return {
        "update_id": uid,
        "message": {
            "message_id": uid,
            "date": int(time.time()),
            "chat": {"id": chat, "type": "private"},
            "from": {"id": chat, "is_bot": False, "first_name": "Bench"},
            "text": text,
        },
    }


def _peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def migrate(database_url: str) -> None:
    """Bring ``database_url`` to the current schema with ``ocop-bot migrate``."""
    env = {**os.environ, "DATABASE_URL": database_url, "PYTHONPATH": str(REPO)}
    import subprocess  # noqa: PLC0415 - only here, before the event loop starts

    subprocess.run(
        [sys.executable, "-m", "bot", "migrate"], env=env, check=True, capture_output=True
    )


@dataclass
class Load:
    """One run's shape and what it measured."""

    chats: int
    seconds: float
    warmup: float
    rate: float | None  # updates/s offered by all chats together; None: no pause
    latencies: list[float] = field(default_factory=list)  # of replies
    webhook: list[float] = field(default_factory=list)
    lost: int = 0
    connections: int = 40
    by_step: dict[int, list[float]] = field(default_factory=lambda: collections.defaultdict(list))
    errors: list[str] = field(default_factory=list)

    @property
    def interval(self) -> float:
        """Seconds between two messages of one chat (0 when saturating)."""
        return self.chats / self.rate if self.rate else 0.0


async def _chat(
    slot: int,
    url: str,
    stand_in: TelegramStandIn,
    load: Load,
    started: float,
    http: aiohttp.ClientSession,
) -> None:
    """One of the ``load.chats`` concurrent chats: a producer who walks the whole sign-up,
    then, at once, the next new producer in the same place, until the run ends.

    Slot ``slot`` first sends ``slot % len(SCRIPT)`` "menu" messages (someone looking
    around before starting), so at any moment the chats are spread evenly over the steps
    of the conversation, as real users are, instead of all saving their sign-up in the
    same instant. Every measured update is a step of the conversation.
    """
    measure_from, deadline = started + load.warmup, started + load.warmup + load.seconds
    # Spread the chats' first messages over one interval so the offered load is even.
    next_send = started + load.interval * slot / load.chats
    looking_around = ((-1, "menu") for _ in range(slot % len(SCRIPT)))
    messages = itertools.chain(looking_around, itertools.cycle(enumerate(SCRIPT)))
    chat = next(_chat_ids)
    for step, template in messages:
        await asyncio.sleep(max(0.0, next_send - time.monotonic()))
        sent_at = time.monotonic()
        if sent_at >= deadline:
            return
        next_send = max(next_send + load.interval, sent_at)
        if step == 0:
            chat = next(_chat_ids)  # a new producer starts from the beginning
        text = template.format(phone=f"09{chat % 10**8:08d}")
        before = len(stand_in.sent(str(chat)))
        try:
            async with http.post(
                url,
                json=_update(chat, text),
                headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
            ) as response:
                status = response.status
                await response.read()
            answered_at = time.monotonic()
        except (aiohttp.ClientError, TimeoutError) as error:
            load.errors.append(type(error).__name__)
            continue
        if status != 200:
            load.errors.append(f"status {status}")
            continue
        arrived = await stand_in.wait_for_sends(str(chat), before + 1, REPLY_WAIT_SECONDS)
        if not arrived:
            load.lost += 1
        elif sent_at >= measure_from:
            reply_at = stand_in.sent(str(chat))[before].at
            load.webhook.append(answered_at - sent_at)
            load.latencies.append(reply_at - sent_at)
            load.by_step[step].append(reply_at - sent_at)


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _database_cpu_seconds(database: str) -> float:
    """User + system CPU time so far of the PostgreSQL processes serving ``database``.

    On a machine of two cores the database's processes take about as much CPU as the bot
    server: reporting only the server's left the ceiling unexplained. A backend that ends
    within the window takes its last figures with it; the bot's pool keeps its
    connections open through a run, so that is rare.
    """
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            if command.startswith("postgres: ") and f" {database} " in command:
                total += _cpu_seconds(int(entry.name))
        except (OSError, ValueError):
            continue  # gone meanwhile
    return total


def reference_loop_seconds() -> float:
    """Seconds this machine takes for a fixed pure-Python loop, best of three.

    Shared machines run at very different speeds from one hour to the next; dividing the
    bot's CPU time per update by this gives a figure that can be compared across runs.
    """
    best = float("inf")
    for _ in range(3):
        began = time.perf_counter()
        sum(range(10_000_000))
        best = min(best, time.perf_counter() - began)
    return best


async def _cpu_in_window(read: Callable[[], float], load: Load, started: float) -> float:
    """CPU seconds, as ``read`` tells them, spent during the measured window of ``load``."""
    await asyncio.sleep(max(0.0, started + load.warmup - time.monotonic()))
    before = read()
    await asyncio.sleep(load.seconds)
    return read() - before


@contextlib.contextmanager
def _collector_still() -> Iterator[None]:
    """Keep this process's garbage collector from running while it measures.

    This process plays Telegram: the chats and the stand-in, whose call log grows by
    thousands of objects a second. Its own full collections stopped it for 70-170 ms at
    a time, and every reply in flight then looked that much slower (the bot server's
    collector is left as in production). What it makes in a run is freed afterwards.
    """
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()


async def _run(
    url: str, stand_in: TelegramStandIn, load: Load, pid: int, database: str | None
) -> dict[str, float | str]:
    with _collector_still():
        return await _measure(url, stand_in, load, pid, database)


async def _measure(
    url: str, stand_in: TelegramStandIn, load: Load, pid: int, database: str | None
) -> dict[str, float | str]:
    started = time.monotonic()
    cpu = asyncio.create_task(_cpu_in_window(partial(_cpu_seconds, pid), load, started))
    # PostgreSQL's processes (SQLite works inside the server's).
    database_cpu = (
        asyncio.create_task(_cpu_in_window(partial(_database_cpu_seconds, database), load, started))
        if database
        else None
    )
    # This process: the chats and the stand-in.
    own_cpu = asyncio.create_task(_cpu_in_window(time.process_time, load, started))
    # aiohttp rather than httpx because the client shares this process (and one of the
    # machine's two cores) with the stand-in, and httpx's CPU per request would make the
    # benchmark measure itself. All chats share the platform's connections.
    connector = aiohttp.TCPConnector(limit=load.connections, force_close=False)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        await asyncio.gather(
            *(_chat(slot, url, stand_in, load, started, http) for slot in range(load.chats))
        )
    server_cpu, generator_cpu = await cpu, await own_cpu
    latencies = load.latencies
    updates = max(1, len(latencies))
    database_ms: dict[str, float] = {}
    if database_cpu is not None:
        database_ms["database_cpu_ms_per_update"] = 1000 * await database_cpu / updates
    ms = [1000 * value for value in latencies] or [float("nan")]
    webhook_ms = [1000 * value for value in load.webhook] or [float("nan")]
    step_p99 = {step: 1000 * _percentile(values, 0.99) for step, values in load.by_step.items()}
    slowest = max(step_p99, key=step_p99.__getitem__, default=None)
    return {
        "chats": load.chats,
        "offered_per_s": load.rate or "as fast as replies come",
        "updates": len(latencies),
        "updates_per_s": len(latencies) / load.seconds,
        "webhook_p50_ms": statistics.median(webhook_ms),
        "webhook_p99_ms": _percentile(webhook_ms, 0.99),
        "reply_p50_ms": statistics.median(ms),
        "reply_p90_ms": _percentile(ms, 0.90),
        "reply_p99_ms": _percentile(ms, 0.99),
        "lost_replies": load.lost,
        "slowest_step": "none"
        if slowest is None
        else f"{SCRIPT[slowest] if slowest >= 0 else 'menu'!r}, p99 {step_p99[slowest]:.1f} ms",
        "server_cpu_ms_per_update": 1000 * server_cpu / updates,
        **database_ms,
        "load_generator_cpu_ms_per_update": 1000 * generator_cpu / updates,
        "errors": len(load.errors),
        "error_kinds": ", ".join(sorted(set(load.errors))[:5]) or "none",
    }


async def run(
    chats: int,
    seconds: float,
    warmup: float,
    rate: float,
    database_url: str,
    *,
    latency: float = 0.0,
    connections: int = 40,
) -> dict[str, dict[str, float | str]]:
    """Start the bot server, run the paced and the saturated load; return both reports."""
    stand_in = TelegramStandIn(latency=latency)
    async with serve(stand_in.app()) as api_url:
        port = free_port()
        process = await start_bot_server(
            database_url, api_url, SECRET, port, OCOP_LOG_LEVEL="WARNING"
        )
        url = f"http://127.0.0.1:{port}/webhooks/telegram"
        try:
            paced_load = Load(chats, seconds, warmup, rate, connections=connections)
            database = make_url(database_url).database if "postgres" in database_url else None
            paced = await _run(url, stand_in, paced_load, process.pid, database)
            full_load = Load(chats, seconds, warmup, None, connections=connections)
            saturated = await _run(url, stand_in, full_load, process.pid, database)
            rss = _peak_rss_mib(process.pid)
        finally:
            process.send_signal(signal.SIGTERM)
            await process.wait()
    return {"paced": paced, "saturated": saturated | {"server_peak_rss_mib": rss}}


def _report(name: str, result: dict[str, float | str], target_rate: float) -> None:
    print(f"== {name}")
    for key, value in result.items():
        extra = ""
        if name == "paced" and key == "updates_per_s":
            extra = f"  (target ≥ {target_rate:.0f}: ratio {float(value) / target_rate:.2f})"
        elif key == "webhook_p99_ms":
            target = TARGET_WEBHOOK_P99_MS
            extra = f"  (target ≤ {target:.0f}: ratio {float(value) / target:.2f})"
        elif key == "reply_p99_ms":
            target = TARGET_REPLY_P99_MS
            extra = f"  (target ≤ {target:.0f}: ratio {float(value) / target:.2f})"
        elif name == "saturated" and key == "updates_per_s":
            extra = f"  (capacity; ratio to the target rate {float(value) / target_rate:.2f})"
        shown = value
        if isinstance(value, float):
            shown = f"{value:.4f}" if value < 1 else f"{value:.1f}"
        print(f"{key}: {shown}{extra}")


def main() -> int:
    """Parse arguments, run, print one line per measurement; exit 1 on any error."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=20.0, help="measured, per run")
    parser.add_argument("--warmup", type=float, default=3.0, help="not measured, per run")
    parser.add_argument(
        "--rate", type=float, default=None, help="paced run, updates/s (default: the target)"
    )
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    parser.add_argument(
        "--latency-ms", type=float, default=0.0, help="how long the stand-in takes per send"
    )
    parser.add_argument("--connections", type=int, default=40, help="webhook connections")
    parser.add_argument("--short", action="store_true", help="a few seconds, for CI")
    args = parser.parse_args()
    kind = "postgresql" if (args.database_url or "").startswith("postgres") else "sqlite"
    target_rate = TARGET_RATES[kind]
    if args.rate is None:
        args.rate = target_rate
    if args.short:
        args.chats, args.seconds, args.warmup = min(args.chats, 20), 3.0, 1.0
        args.rate = min(args.rate, 100.0)
    reference = reference_loop_seconds()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite+aiosqlite:///{folder}/bench.db"
        migrate(url)
        with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
            results = runner.run(
                run(
                    args.chats,
                    args.seconds,
                    args.warmup,
                    args.rate,
                    url,
                    latency=args.latency_ms / 1000,
                    connections=args.connections,
                )
            )
    reference = min(reference, reference_loop_seconds())
    print(f"reference_loop_ms: {1000 * reference:.0f}  (sum(range(10**7)), best of six)")
    for name, result in results.items():
        per_update = float(result["server_cpu_ms_per_update"])
        result["server_cpu_per_update_vs_reference_loop"] = per_update / (1000 * reference)
        if "database_cpu_ms_per_update" in result:
            database = float(result["database_cpu_ms_per_update"])
            result["database_cpu_per_update_vs_reference_loop"] = database / (1000 * reference)
        _report(name, result, target_rate)
    failed = any(
        result["errors"]
        or not result["updates"]
        or result["lost_replies"]
        or not float(result["webhook_p99_ms"]) < float(result["reply_p99_ms"])
        for result in results.values()
    )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
