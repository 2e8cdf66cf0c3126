"""Channel adapters: each translates its platform to and from :mod:`bot.messages`.

Adapters never import handlers or each other; the CLI and the web app wire them to the
engine.
"""

from __future__ import annotations

from typing import Protocol

import httpx

from bot.messages import Capabilities, Outbound


class ChatUnreachableError(Exception):
    """The person blocked the bot or left; do not message this chat again."""


class RetryLaterError(Exception):
    """The platform could not take the message now (rate limit, network, 5xx): try again,
    not before ``retry_after`` seconds when the platform said so. ``rate_limited`` when it
    was a rate limit (429), which slows bulk sends too; ``away`` when no connection to the
    platform could be made at all (refused, no route, none in time), so that a message to
    any other chat on it would fail alike."""

    def __init__(
        self,
        reason: str,
        retry_after: float | None = None,
        *,
        rate_limited: bool = False,
        away: bool = False,
    ) -> None:
        super().__init__(reason)
        self.retry_after = retry_after
        self.rate_limited = rate_limited
        self.away = away


def no_connection(error: httpx.HTTPError) -> bool:
    """Whether ``error`` says no connection could be made at all (refused, no route, none
    in time): the platform is away, not slow to answer one message."""
    return isinstance(error, (httpx.ConnectError, httpx.ConnectTimeout))


class Sender(Protocol):
    """What the engine's caller needs from a channel to deliver replies."""

    capabilities: Capabilities

    async def send(self, chat_id: str, outbound: Outbound) -> None:
        """Deliver one (already degraded) message to ``chat_id``."""
        ...
