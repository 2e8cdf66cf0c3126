"""The conversation engine alone: CPU and SQL statements per committed step, no HTTP.

Chats walk the sign-up conversation (nine steps and a "menu") through ``Engine.handle`` on
a fresh database, one step after another, each step committed with its replies as in
production (written to ``reply_outbox``, not sent). Reports the
statements per step by kind, the CPU per step, and that CPU as a ratio to a fixed
pure-Python loop (``sum(range(10**6))``, ``reference_ms``) timed after each chat, so runs
on machines of different speed (or on one shared machine at different hours) compare. The
webhook benchmark measures the whole server; this one isolates the engine's share, the part
our own code decides most of.

On a busy shared machine even the ratio moves by a tenth; counting instructions does not.
Run the script twice under callgrind, with ``--chats 2`` and ``--chats 20``, and divide the
difference of the two totals by the 180 steps between them:

    PYTHONHASHSEED=0 valgrind --tool=callgrind --callgrind-out-file=/dev/null \\
        python bench/engine_steps.py --chats 20 --warmup 5 --reference-loop 0

    python bench/engine_steps.py                 # 200 chats, 2,000 steps, SQLite
    python bench/engine_steps.py --database-url postgresql+asyncpg://postgres@127.0.0.1/test
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import itertools
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import event  # noqa: E402

from bench.webhook_load import migrate  # noqa: E402
from bot.db import direct as db_direct  # noqa: E402
from bot.db.engine import create_engine  # noqa: E402
from bot.db.sqlite_inline import InlineConnection  # noqa: E402
from bot.eventloop import event_loop_factory  # noqa: E402
from bot.replies.sender import ReplySender  # noqa: E402
from bot.runtime import build_engine, settle_heap  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from tests.builders import SIGN_UP, Chat, RecordOnly  # noqa: E402

STEPS = [*SIGN_UP, "menu"]
_chat_ids = itertools.count(12_345_000)


async def _walk(
    engine: Any, kept: ReplySender, chats: int, reference_loop: int
) -> tuple[float, float]:
    """CPU seconds of the chats' steps, and of the reference loops run between them.

    Timing the reference between the chats, rather than once before or after, makes both
    figures see the same machine: on a shared one its speed changes from minute to minute.
    """
    spent = reference = 0.0
    for _ in range(chats):
        began = time.process_time()
        chat = next(_chat_ids)
        # Each chat its own phone: with one number for all, every sign-up after the first
        # became an account-linking request, and the saving step was not measured at all.
        steps = [step.replace("0912345678", f"09{chat % 10**8:08d}") for step in STEPS]
        await Chat(engine, chat=str(chat), durable=kept).say(*steps)
        middle = time.process_time()
        sum(range(reference_loop))
        spent, reference = spent + middle - began, reference + time.process_time() - middle
    return spent, reference


async def run(
    database_url: str, chats: int, warmup: int, reference_loop: int = 1_000_000
) -> dict[str, Any]:
    """Walk ``warmup`` chats unmeasured, then ``chats`` measured; return the figures."""
    database = create_engine(database_url)
    engine = build_engine(database, load_settings(database_url=database_url))
    statements: collections.Counter[str] = collections.Counter()

    @event.listens_for(database.sync_engine, "before_cursor_execute")
    def count(*args: Any) -> None:
        statements[args[2].split(None, 1)[0].upper()] += 1

    @event.listens_for(database.sync_engine, "begin")
    def count_begin(connection: Any) -> None:
        if connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
            return  # a logical begin only: nothing is sent
        statements["BEGIN"] += 1  # sent on the driver's cursor (SQLite) or by asyncpg

    # Statements run directly on the driver (bot.db.direct) pass no SQLAlchemy event.
    direct, cursor = InlineConnection.fetch_all, db_direct._cursor_rows

    async def count_direct(self: InlineConnection, sql: str, parameters: Any) -> Any:
        statements[sql.split(None, 1)[0].upper()] += 1
        return await direct(self, sql, parameters)

    async def count_cursor(adapter: Any, prepared: Any, values: Any) -> Any:
        statements[prepared.sql.split(None, 1)[0].upper()] += 1
        return await cursor(adapter, prepared, values)

    InlineConnection.fetch_all = count_direct  # type: ignore[method-assign]
    db_direct._cursor_rows = count_cursor

    settle_heap()
    try:
        kept = RecordOnly(database, {}, engine.clock)
        await _walk(engine, kept, warmup, 0)
        statements.clear()
        cpu, reference = await _walk(engine, kept, chats, reference_loop)
    finally:
        InlineConnection.fetch_all = direct  # type: ignore[method-assign]
        db_direct._cursor_rows = cursor
        await database.dispose()
    steps = chats * len(STEPS)
    return {
        "steps": steps,
        "cpu_ms_per_step": 1000 * cpu / max(steps, 1),
        "reference_ms": 1000 * reference / max(chats, 1),
        "cpu_per_step_vs_reference": cpu / max(steps, 1) / (reference / max(chats, 1) or 1),
        "statements_per_step": round(sum(statements.values()) / max(steps, 1), 2),
        "by_kind": {k: round(v / max(steps, 1), 2) for k, v in sorted(statements.items())},
    }


def main() -> int:
    """Parse arguments, migrate a fresh database, run, print one line per figure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20, help="chats walked before measuring")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    parser.add_argument(
        "--reference-loop", type=int, default=1_000_000, help="iterations; 0 under callgrind"
    )
    parser.add_argument("--short", action="store_true", help="a few seconds, for CI")
    args = parser.parse_args()
    if args.short:
        args.chats, args.warmup = 20, 5
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite+aiosqlite:///{folder}/engine.db"
        migrate(url)
        with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
            result = runner.run(run(url, args.chats, args.warmup, args.reference_loop))
    for key, value in result.items():
        print(f"{key}: {value:.3f}" if isinstance(value, float) else f"{key}: {value}")
    return 0 if result["steps"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
