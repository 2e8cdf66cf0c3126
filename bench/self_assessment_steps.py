"""A self-assessment answer against an ordinary flow step: CPU per committed step, no HTTP.

Each chat signs up (the ordinary steps of ``bench/engine_steps.py``), registers the honey
idea, opens /tudanhgia and answers the honey sheet's criteria by number, each answer
committed as in production. The two kinds of step are timed in the same chats, one after
the other, so both see the same machine; the figure to watch is their ratio (the issue
asks for at most 2).

    python bench/self_assessment_steps.py            # 50 chats, SQLite
    python bench/self_assessment_steps.py --database-url postgresql+asyncpg://…/bench
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).parents[1]
sys.path.insert(0, str(REPO))

from bench.webhook_load import migrate  # noqa: E402
from bot.db.engine import create_engine  # noqa: E402
from bot.eventloop import event_loop_factory  # noqa: E402
from bot.runtime import build_engine, settle_heap  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from tests.builders import SIGN_UP, Chat, idea_script  # noqa: E402

ANSWERS = 31  # the honey sheet has 32 criteria; the last answer also scores the sheet
_chat_ids = itertools.count(22_345_000)


async def _chat(engine: Any) -> tuple[float, int, float, int]:
    """CPU and step count of one chat's sign-up, then of its self-assessment answers."""
    chat_id = next(_chat_ids)
    chat = Chat(engine, chat=str(chat_id))
    steps = [step.replace("0912345678", f"09{chat_id % 10**8:08d}") for step in SIGN_UP]
    began = time.process_time()
    await chat.say(*steps)
    ordinary = time.process_time() - began
    await chat.say("dang ky")
    await chat.answer(idea_script())
    await chat.say("tu danh gia", "mat ong")
    began = time.process_time()
    for _ in range(ANSWERS):
        await chat.say("1")
    answers = time.process_time() - began
    return ordinary, len(steps), answers, ANSWERS


async def run(database_url: str, chats: int, warmup: int) -> dict[str, float]:
    """Walk ``warmup`` chats unmeasured, then ``chats`` measured; return the figures."""
    database = create_engine(database_url)
    engine = build_engine(database, load_settings(database_url=database_url))
    settle_heap()
    try:
        for _ in range(warmup):
            await _chat(engine)
        totals = [0.0, 0, 0.0, 0]
        for _ in range(chats):
            for index, value in enumerate(await _chat(engine)):
                totals[index] += value
    finally:
        await database.dispose()
    ordinary = float(totals[0]) / max(int(totals[1]), 1)
    answer = float(totals[2]) / max(int(totals[3]), 1)
    return {
        "ordinary_cpu_ms_per_step": 1000 * ordinary,
        "answer_cpu_ms_per_step": 1000 * answer,
        "answer_vs_ordinary": answer / (ordinary or 1),
    }


def main() -> int:
    """Parse arguments, migrate a fresh database, run, print one line per figure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5, help="chats walked before measuring")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite+aiosqlite:///{folder}/engine.db"
        migrate(url)
        with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
            result = runner.run(run(url, args.chats, args.warmup))
    for key, value in result.items():
        print(f"{key}: {value:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
