"""The event loop every entry point runs on (the program, the benchmarks)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


def event_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's event loop where it is installed (every platform but Windows), else None
    for asyncio's own.

    uvloop runs the same coroutines with its sockets, timers and callbacks in C; uvicorn,
    aiohttp and asyncpg all support it. A process of many short webhooks spends a good
    part of its time in exactly that machinery.
    """
    try:
        import uvloop  # noqa: PLC0415 - optional by platform
    except ImportError:
        return None
    return uvloop.new_event_loop
