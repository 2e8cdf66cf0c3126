"""Long polling, for development or servers without a public address.

On both platforms a webhook and ``getUpdates`` are exclusive, so the webhook is removed
first (``deleteWebhook``). Telegram: ``getUpdates`` with an offset; PTB waits for its
answer the poll's ``timeout`` longer than its read timeout. Zalo: ``getUpdates`` returns
one update per call and answers 408 when there is none; its client waits
:data:`READ_MARGIN` seconds longer than the poll, or every quiet poll would end as a client
timeout. Each update goes through the same :class:`~bot.runtime.Runtime` as the webhooks.
"""

from __future__ import annotations

import asyncio
import logging

from telegram.error import InvalidToken, TelegramError

from bot.channels.telegram import TelegramChannel
from bot.channels.telegram import to_inbound as telegram_inbound
from bot.channels.zalo import ZaloChannel, ZaloCode, ZaloError
from bot.channels.zalo import to_inbound as zalo_inbound
from bot.runtime import Runtime

log = logging.getLogger(__name__)
POLL_TIMEOUT = 30
READ_MARGIN = 10.0
RETRY_PAUSE = 3.0
MAX_RETRY_PAUSE = 60.0  # between two tries of Telegram's first calls, once it stays away


async def poll_telegram(
    channel: TelegramChannel,
    runtime: Runtime,
    *,
    poll_seconds: int = POLL_TIMEOUT,
    stop: asyncio.Event | None = None,
) -> None:
    """Fetch and handle Telegram updates until ``stop`` is set.

    A Bot API out of reach (Telegram is blocked in Vietnam) is waited for, from the first
    call on, and the Zalo poller beside this one goes on meanwhile. A token Telegram
    refuses ends this poller only, with one error in the log."""
    stop = stop or asyncio.Event()
    offset: int | None = None
    if not await _telegram_ready(channel, stop):
        return
    while not stop.is_set():
        try:
            updates = await channel.bot.get_updates(offset=offset, timeout=poll_seconds)
        except InvalidToken:
            log.error("telegram refused the token; Telegram is not polled")
            return
        except TelegramError:  # network, or a webhook set again meanwhile (409 Conflict)
            log.warning("telegram getUpdates failed", extra={"channel": "telegram"})
            await asyncio.sleep(RETRY_PAUSE)
            continue
        for update in updates:
            offset = update.update_id + 1
            inbound = telegram_inbound(update, runtime.engine.clock())
            if inbound is not None:
                await runtime.process(inbound)
                await channel.acknowledge(update)


async def _telegram_ready(channel: TelegramChannel, stop: asyncio.Event) -> bool:
    """Make the bot's first calls (``getMe`` again if it failed at start-up, then
    ``deleteWebhook``), waiting longer between tries while Telegram stays out of reach;
    False when the token is refused or ``stop`` is set first."""
    pause = RETRY_PAUSE
    while not stop.is_set():
        try:
            await channel.bot.initialize()  # nothing to do when start-up reached Telegram
            await channel.bot.delete_webhook()
        except InvalidToken:
            log.error("telegram refused the token; Telegram is not polled")
            return False
        except TelegramError:
            log.warning(
                "telegram unreachable; polling starts once it answers",
                extra={"channel": "telegram"},
            )
            await asyncio.sleep(pause)
            pause = min(2 * pause, MAX_RETRY_PAUSE)
            continue
        return True
    return False


async def poll_zalo(
    channel: ZaloChannel,
    runtime: Runtime,
    *,
    poll_seconds: int = POLL_TIMEOUT,
    stop: asyncio.Event | None = None,
) -> None:
    """Fetch and handle Zalo updates (one per call) until ``stop`` is set."""
    stop = stop or asyncio.Event()
    webhook_removed = False
    while not stop.is_set():
        try:
            if not webhook_removed:
                await channel.call("deleteWebhook", {})
                webhook_removed = True
            body = await channel.call(
                "getUpdates",
                {"timeout": str(poll_seconds)},
                read_timeout=poll_seconds + READ_MARGIN,
            )
        except ZaloError as error:
            if error.code != ZaloCode.NO_UPDATE:
                log.warning(
                    "zalo getUpdates failed", extra={"channel": "zalo", "status": error.code}
                )
                await asyncio.sleep(RETRY_PAUSE)
            continue
        inbound = zalo_inbound(body, runtime.engine.clock()) if isinstance(body, dict) else None
        if inbound is not None:
            await runtime.process(inbound)
