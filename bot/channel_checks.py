"""``ocop-bot doctor``'s look at each configured channel: is the token good, where do
updates go.

Each channel is asked ``getMe`` (a wrong or reset token fails here, before any user
writes) and ``getWebhookInfo``. Every finding is one line in our own words: neither the
platforms' error texts nor URLs are printed, since both can carry the token.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx
from telegram.error import InvalidToken, TelegramError

from bot.channels.zalo import NO_ANSWER, ZaloChannel, ZaloCode, ZaloError
from bot.runtime import telegram_bot
from bot.settings import Settings

CHECK_TIMEOUT = httpx.Timeout(15.0, connect=10.0)
TELEGRAM_BLOCKED_HINT = (
    "; from Vietnam Telegram is reached only through a proxy: set TELEGRAM_PROXY_URL or HTTPS_PROXY"
)


@dataclass
class ChannelReport:
    """What the checks found: lines to show, and problems that make the doctor fail."""

    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _webhook_line(channel: str, url: str) -> str:
    return f"{channel} webhook: {url or '(none: updates by long polling)'}"


async def check_telegram(settings: Settings, report: ChannelReport) -> None:
    """``getMe`` and ``getWebhookInfo`` on Telegram, through the configured proxy."""
    bot = telegram_bot(settings)
    if bot is None:
        return
    try:
        await bot.initialize()  # calls getMe
        info = await bot.get_webhook_info()
    except InvalidToken:
        report.problems.append("TELEGRAM_BOT_TOKEN was refused by Telegram (getMe: unauthorized)")
    except TelegramError as error:
        hint = "" if settings.telegram_proxy_url else TELEGRAM_BLOCKED_HINT
        report.problems.append(f"telegram unreachable ({type(error).__name__}){hint}")
    else:
        report.lines.append(f"telegram bot: @{bot.bot.username}")
        report.lines.append(_webhook_line("telegram", info.url))
    finally:
        await bot.shutdown()


async def check_zalo(settings: Settings, report: ChannelReport) -> None:
    """``getMe`` and ``getWebhookInfo`` on the Zalo Bot Platform."""
    if settings.zalo_bot_token is None:
        return
    async with httpx.AsyncClient(timeout=CHECK_TIMEOUT) as http:
        zalo = ZaloChannel(
            http, settings.zalo_api_base_url, settings.zalo_bot_token.get_secret_value()
        )
        try:
            me = await zalo.call("getMe", {})
            info = await zalo.call("getWebhookInfo", {})
        except ZaloError as error:
            if error.code == ZaloCode.UNAUTHORIZED:
                report.problems.append("ZALO_BOT_TOKEN was refused by Zalo (getMe: unauthorized)")
            elif error.code == NO_ANSWER:
                report.problems.append(f"zalo unreachable ({error.description})")
            else:
                report.problems.append(f"zalo getMe failed with Zalo's code {error.code}")
            return
    name = me.get("account_name") or me.get("display_name") if isinstance(me, dict) else None
    report.lines.append(f"zalo bot: {name or 'ok'}")
    url = info.get("url", "") if isinstance(info, dict) else ""
    report.lines.append(_webhook_line("zalo", str(url or "")))


async def check_channels(settings: Settings) -> ChannelReport:
    """Both channels' checks (each only when its token is set)."""
    report = ChannelReport()
    await check_telegram(settings, report)
    await check_zalo(settings, report)
    return report
