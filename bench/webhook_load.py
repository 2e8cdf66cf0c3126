"""Webhook throughput: simulated chats walking a conversation through POST /webhooks/telegram.

A real ``ocop-bot serve`` process handles the webhooks against a local stand-in of the Bot
API (a real HTTP server on loopback, in this process). Each simulated chat sends its next
message only after the bot's replies to the previous one have arrived at the stand-in.
Every step is committed by the bot as in production.

Reports updates/s, latency percentiles (webhook POST sent → the bot's last reply to it
arriving at the stand-in), errors and the server's peak RSS. ``--short`` runs a few seconds
for CI.

    python bench/webhook_load.py --chats 200 --seconds 20
    python bench/webhook_load.py --database-url postgresql+asyncpg://postgres@127.0.0.1/test
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).parents[1]
sys.path.insert(0, str(REPO))

from tests.standins import TelegramStandIn, free_port, serve, start_bot_server  # noqa: E402

SECRET = "bench-secret"
SCRIPT = [
    "/start",
    "co",
    "Nguyen Van A",
    "0912345678",
    "xop",
    "hop tac xa",
    "HTX Mat ong",
    "bo qua",
    "luu",
]
_update_ids = itertools.count(1)


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


def _migrate(database_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": database_url, "PYTHONPATH": str(REPO)}
    import subprocess  # noqa: PLC0415 - only here, before the event loop starts

    subprocess.run(
        [sys.executable, "-m", "bot", "migrate"], env=env, check=True, capture_output=True
    )


async def _chat(
    http: httpx.AsyncClient,
    url: str,
    stand_in: TelegramStandIn,
    chat: int,
    deadline: float,
    latencies: list[float],
    errors: list[str],
) -> None:
    step = 0
    while time.monotonic() < deadline:
        text = SCRIPT[step] if step < len(SCRIPT) else "menu"
        step += 1
        before = len(stand_in.sent(str(chat)))
        started = time.monotonic()
        try:
            response = await http.post(
                url, json=_update(chat, text), headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
            )
        except httpx.HTTPError as error:
            errors.append(type(error).__name__)
            continue
        replies = stand_in.sent(str(chat))[before:]
        if response.status_code != 200 or not replies:
            errors.append(f"status {response.status_code}, {len(replies)} replies")
            continue
        latencies.append(replies[-1].at - started)


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def run(chats: int, seconds: float, database_url: str) -> dict[str, float | str]:
    """Run the load and return the measurements."""
    stand_in = TelegramStandIn()
    async with serve(stand_in.app()) as api_url:
        port = free_port()
        process = await start_bot_server(
            database_url, api_url, SECRET, port, OCOP_LOG_LEVEL="WARNING"
        )
        latencies: list[float] = []
        errors: list[str] = []
        limits = httpx.Limits(max_connections=chats, max_keepalive_connections=chats)
        try:
            async with httpx.AsyncClient(limits=limits, timeout=60) as http:
                url = f"http://127.0.0.1:{port}/webhooks/telegram"
                started = time.monotonic()
                deadline = started + seconds
                await asyncio.gather(
                    *(
                        _chat(http, url, stand_in, 10_000 + n, deadline, latencies, errors)
                        for n in range(chats)
                    )
                )
                elapsed = time.monotonic() - started
            rss = _peak_rss_mib(process.pid)
        finally:
            process.send_signal(signal.SIGTERM)
            await process.wait()
    return {
        "chats": chats,
        "updates": len(latencies),
        "updates_per_s": len(latencies) / elapsed,
        "p50_ms": 1000 * statistics.median(latencies) if latencies else float("nan"),
        "p90_ms": 1000 * _percentile(latencies, 0.90) if latencies else float("nan"),
        "p99_ms": 1000 * _percentile(latencies, 0.99) if latencies else float("nan"),
        "errors": len(errors),
        "error_kinds": ", ".join(sorted(set(errors))[:5]) or "none",
        "server_peak_rss_mib": rss,
    }


def main() -> int:
    """Parse arguments, run, print one line per measurement; exit 1 on any error."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    parser.add_argument("--short", action="store_true", help="a few seconds, for CI")
    args = parser.parse_args()
    if args.short:
        args.chats, args.seconds = min(args.chats, 20), 3.0
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite+aiosqlite:///{folder}/bench.db"
        _migrate(url)
        result = asyncio.run(run(args.chats, args.seconds, url))
    target = {"updates_per_s": 500.0, "p99_ms": 100.0}
    for key, value in result.items():
        extra = ""
        if key == "updates_per_s":
            extra = f"  (target ≥ {target[key]:.0f}: ratio {value / target[key]:.2f})"
        elif key == "p99_ms":
            extra = f"  (target ≤ {target[key]:.0f}: ratio {value / target[key]:.2f})"
        print(f"{key}: {value:.1f}{extra}" if isinstance(value, float) else f"{key}: {value}")
    return 1 if result["errors"] or not result["updates"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
