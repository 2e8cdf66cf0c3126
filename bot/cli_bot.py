"""``ocop-bot start|serve|poll|chat|doctor|vacuum`` and the channels' setup: the commands
that run the bot, check it and look after its database.

Imported only when one of them runs (:mod:`bot.cli`): they need the web app, the channels
and the engine, which the other commands do without.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import threading
from datetime import UTC, datetime

import httpx
import uvicorn
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.error import InvalidToken, NetworkError, TelegramError

from bot import erasure
from bot.channel_checks import check_channels
from bot.channels.console import ConsoleChannel, inbound_from_line
from bot.channels.zalo import ZaloChannel, ZaloError
from bot.channels.zalo_oa import ZaloOAChannel, ZaloOAError
from bot.cli import EXIT_OK, EXIT_UNHEALTHY, CliError, cmd_migrate, open_database
from bot.db import schema
from bot.db.engine import create_engine
from bot.logs import configure as configure_logs
from bot.messages import Channel
from bot.oa_tokens import TokenError
from bot.polling import poll_telegram, poll_zalo
from bot.presence import present
from bot.replies.sender import sending
from bot.runtime import (
    HTTP_TIMEOUT,
    Runtime,
    build_engine,
    oa_tokens,
    open_channels,
    settle_heap,
    telegram_bot,
)
from bot.settings import Settings
from bot.web import ConfigurationError, create_app, webhooks_first


def _mask(secret: object | None) -> str:
    return "(not set)" if secret is None else "****"


async def cmd_vacuum(settings: Settings, _args: argparse.Namespace) -> int:
    """Clear erased personal data out of the database files (run after erasures)."""
    engine = create_engine(settings.database_url)
    try:
        tables = await erasure.reclaim(engine)
    finally:
        await engine.dispose()
    if tables:
        print(f"Rewrote {len(tables)} tables: {', '.join(tables)}.")
    else:
        print("SQLite: write-ahead log folded into the database file and emptied.")
    return EXIT_OK


OA_VARIABLES = ("ZALO_OA_ID", "ZALO_OA_APP_ID", "ZALO_OA_APP_SECRET", "ZALO_OA_SECRET_KEY")


def _oa_state(settings: Settings) -> str:
    """The OA channel's configuration in one phrase: on, off, or which variables are missing."""
    missing = settings.zalo_oa_missing
    if not missing:
        return "configured"
    if len(missing) == len(OA_VARIABLES):
        return "not configured"
    return f"incomplete (missing {', '.join(missing)})"


async def _oa_token_lines(settings: Settings, database: AsyncEngine, lines: list[str]) -> list[str]:
    """Add the OA token's state to ``lines``; return the problems it shows.

    The token is shown to Zalo (the OA's profile, as the grant page reads its name), since
    a token revoked or replaced before its expiry looks healthy in the database; a -216 or
    -220 renews it once, as every call does. A token Zalo refuses is the one problem told."""
    if settings.ocop_secret_key is None:
        return ["OCOP_SECRET_KEY is required to keep the Zalo OA tokens"]
    async with httpx.AsyncClient(timeout=HTTP_TIMEOUT) as http:
        sessionmaker = build_engine(database, settings).sessionmaker
        tokens = oa_tokens(settings, http, sessionmaker)
        if tokens is None or (state := await tokens.state()) is None:
            lines.append("zalo oa token: none granted")
            return ["Zalo OA has no token: grant access from the admin page"]
        channel = ZaloOAChannel(http, settings.zalo_oa_api_base_url, tokens)
        try:
            name = await channel.oa_name()
        except (ZaloOAError, TokenError) as error:
            lines.append(f"zalo oa token: refused ({error})")
            return [
                f"Zalo OA token refused by Zalo: {error}; grant access again from the admin page"
            ]
        state = await tokens.state() or state  # after a renewal the check may have made
    lines.append(f"zalo oa: {name or '(no name)'}")
    lines.append(f"zalo oa token: access valid until {state.access_expires_at:%Y-%m-%d %H:%M} UTC")
    problems = []
    if state.refresh_failing:
        when = f"{state.refresh_failed_at:%Y-%m-%d %H:%M} UTC"
        problems.append(f"Zalo OA token refresh failed at {when}: {state.refresh_error}")
    if state.access_expires_at <= datetime.now(UTC):
        problems.append("Zalo OA access token has expired")
    return problems


async def cmd_doctor(settings: Settings, _args: argparse.Namespace) -> int:
    """Print a settings summary, check the database and each configured channel (``getMe``,
    ``getWebhookInfo``); exit 1 with the reasons, one line each, if unhealthy."""
    problems: list[str] = []
    database = settings.database_url.split("://", 1)[0]
    lines = [
        f"database: {database}",
        f"timezone: {settings.ocop_timezone}",
        f"locale: {settings.ocop_locale}",
        f"telegram: {'configured' if settings.telegram_configured else 'not configured'}",
        f"telegram token: {_mask(settings.telegram_bot_token)}",
        f"telegram webhook secret: {_mask(settings.telegram_webhook_secret)}",
        f"telegram proxy: {'set' if settings.telegram_proxy_url else '(not set)'}",
        f"zalo: {'configured' if settings.zalo_configured else 'not configured'}",
        f"zalo token: {_mask(settings.zalo_bot_token)}",
        f"zalo webhook secret: {_mask(settings.zalo_webhook_secret)}",
        f"zalo oa: {_oa_state(settings)}",
        f"zalo oa app secret: {_mask(settings.zalo_oa_app_secret)}",
        f"zalo oa signature key: {_mask(settings.zalo_oa_secret_key)}",
        f"public base url: {settings.public_base_url or '(not set)'}",
    ]
    if settings.zalo_oa_missing and len(settings.zalo_oa_missing) < len(OA_VARIABLES):
        problems.append(f"Zalo OA half configured: set {', '.join(settings.zalo_oa_missing)}")
    engine = create_engine(settings.database_url)
    try:
        state = await schema.schema_state(engine)
    except Exception as error:
        problems.append(f"database unreachable: {type(error).__name__}")
    else:
        lines.append(f"schema: {state.current or 'empty'} (expected {state.head})")
        if not state.is_current:
            problems.append("schema is not current: run `ocop-bot migrate`")
        if state.is_current and settings.zalo_oa_configured:
            problems += await _oa_token_lines(settings, engine, lines)
    finally:
        await engine.dispose()
    if (
        settings.telegram_configured
        and settings.public_base_url
        and not (settings.telegram_webhook_secret)
    ):
        problems.append("TELEGRAM_WEBHOOK_SECRET is required to serve Telegram webhooks")
    if settings.zalo_configured and settings.public_base_url and not settings.zalo_webhook_secret:
        problems.append("ZALO_WEBHOOK_SECRET is required to serve Zalo webhooks")
    channels = await check_channels(settings)
    lines += channels.lines
    problems += channels.problems
    for line in lines:
        print(line)
    for problem in problems:
        print(f"problem: {problem}")
    print("healthy" if not problems else "unhealthy")
    return EXIT_OK if not problems else EXIT_UNHEALTHY


PROMPT = "> "


def _lines_of_stdin() -> asyncio.Queue[str | None]:
    """Standard input, line by line, read on a daemon thread (None at its end).

    A daemon thread, not the loop's executor: Ctrl+C then ends the chat at once, where an
    executor thread blocked in ``readline`` would hold the exit until Enter was pressed.
    """
    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[str | None] = asyncio.Queue()

    def read() -> None:
        for line in sys.stdin:
            loop.call_soon_threadsafe(lines.put_nowait, line)
        loop.call_soon_threadsafe(lines.put_nowait, None)

    threading.Thread(target=read, name="console-input", daemon=True).start()
    return lines


async def _console(settings: Settings, user: str, name: str | None) -> int:
    database = await open_database(settings)
    try:
        engine = build_engine(database, settings)
        console = ConsoleChannel()
        interactive = sys.stdin.isatty()
        if interactive:
            print("Trợ lý OCOP — gõ “xin chào” để bắt đầu, Ctrl+D hoặc Ctrl+C để thoát.")
        lines = _lines_of_stdin()
        while True:
            if interactive:
                print(PROMPT, end="", flush=True)
            line = await lines.get()
            if line is None:
                return EXIT_OK
            inbound = inbound_from_line(line, user, name, engine.clock)
            for reply in await engine.handle(inbound, console.capabilities) or []:
                await console.send(user, reply)
    finally:
        await database.dispose()


async def cmd_chat(settings: Settings, args: argparse.Namespace) -> int:
    """Talk to the bot in this terminal (reads standard input line by line)."""
    return await _console(settings, args.user, args.name)


async def cmd_start(settings: Settings, args: argparse.Namespace) -> int:
    """Migrate, then run the bot the way the settings call for.

    With a channel token and PUBLIC_BASE_URL: serve the webhooks. With a token and no public
    address: long polling. With no token: the console chat.
    """
    await cmd_migrate(settings, args)
    if settings.telegram_configured or settings.zalo_configured:
        if settings.public_base_url:
            return await cmd_serve(settings, args)
        return await cmd_poll(settings, args)
    return await _console(settings, "console", None)


async def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    """Serve the webhooks and health checks over HTTP."""
    try:
        app = create_app(settings)
    except ConfigurationError as error:
        raise CliError(str(error)) from None
    await (await open_database(settings)).dispose()
    configure_logs(settings.ocop_log_level)
    server = uvicorn.Server(
        uvicorn.Config(
            webhooks_first(app),
            host=args.host,
            port=args.port,
            log_config=None,
            access_log=False,
            # The admin login decides whose X-Forwarded-For to believe (OCOP_TRUSTED_PROXIES);
            # uvicorn's own rewrite would believe any local peer.
            proxy_headers=False,
        )
    )
    settle_heap()
    await server.serve()
    return EXIT_OK


async def cmd_poll(settings: Settings, _args: argparse.Namespace) -> int:
    """Fetch updates by long polling (Telegram, and Zalo when configured)."""
    if not (settings.telegram_configured or settings.zalo_configured):
        raise CliError("set TELEGRAM_BOT_TOKEN or ZALO_BOT_TOKEN to poll a channel")
    configure_logs(settings.ocop_log_level)
    database = await open_database(settings)
    engine = build_engine(database, settings)
    runtime = Runtime(engine)
    try:
        async with open_channels(settings, engine.sessionmaker, engine.clock) as channels:
            # The OA has no polling (webhooks only); while polling it still carries alerts.
            runtime.use(channels)
            tasks, polled = [], []
            if channels.telegram is not None:
                tasks.append(poll_telegram(channels.telegram, runtime))
                polled.append(Channel.TELEGRAM)
            if channels.zalo is not None:
                tasks.append(poll_zalo(channels.zalo, runtime))
                polled.append(Channel.ZALO)
            settle_heap()
            async with present(engine.presence, polled), sending(runtime, settings):
                await asyncio.gather(*tasks)
    finally:
        await database.dispose()
    return EXIT_OK


async def cmd_telegram_set_webhook(settings: Settings, _args: argparse.Namespace) -> int:
    """Register PUBLIC_BASE_URL/webhooks/telegram with Telegram, with the secret."""
    bot = telegram_bot(settings)
    if bot is None or settings.public_base_url is None:
        raise CliError("set TELEGRAM_BOT_TOKEN and PUBLIC_BASE_URL first")
    if settings.telegram_webhook_secret is None:
        raise CliError("TELEGRAM_WEBHOOK_SECRET is required to serve Telegram webhooks")
    try:
        async with bot:
            await bot.set_webhook(
                f"{settings.public_base_url}/webhooks/telegram",
                secret_token=settings.telegram_webhook_secret.get_secret_value(),
                allowed_updates=["message", "callback_query"],
            )
    except InvalidToken:  # its text quotes the token
        raise CliError("TELEGRAM_BOT_TOKEN was refused by Telegram") from None
    except NetworkError as error:
        raise CliError(
            f"Telegram's Bot API is out of reach ({type(error).__name__}); from Vietnam, set "
            "TELEGRAM_PROXY_URL or HTTPS_PROXY, or TELEGRAM_API_BASE_URL"
        ) from None
    except TelegramError as error:
        raise CliError(f"Telegram refused the webhook: {error}") from None
    print("Telegram webhook set.")
    return EXIT_OK


async def cmd_zalo_set_webhook(settings: Settings, _args: argparse.Namespace) -> int:
    """Register PUBLIC_BASE_URL/webhooks/zalo with Zalo, with the secret."""
    if settings.zalo_bot_token is None or settings.public_base_url is None:
        raise CliError("set ZALO_BOT_TOKEN and PUBLIC_BASE_URL first")
    if settings.zalo_webhook_secret is None:
        raise CliError("ZALO_WEBHOOK_SECRET is required to serve Zalo webhooks")
    async with httpx.AsyncClient(timeout=HTTP_TIMEOUT) as http:
        zalo = ZaloChannel(
            http, settings.zalo_api_base_url, settings.zalo_bot_token.get_secret_value()
        )
        try:
            await zalo.call(
                "setWebhook",
                {
                    "url": f"{settings.public_base_url}/webhooks/zalo",
                    "secret_token": settings.zalo_webhook_secret.get_secret_value(),
                },
            )
        except ZaloError as error:
            raise CliError(str(error)) from None
    print("Zalo webhook set.")
    return EXIT_OK


async def cmd_zalo_oa_grant(settings: Settings, _args: argparse.Namespace) -> int:
    """Keep the OA's first token pair, read from standard input (never from arguments,
    which shell histories and process lists show): the access token, the refresh token and
    optionally the access token's lifetime in seconds, one a line, as Zalo's API explorer
    gives them."""
    if not settings.zalo_oa_configured:
        raise CliError(f"set {', '.join(settings.zalo_oa_missing)} first")
    lines = [line.strip() for line in sys.stdin.read().splitlines() if line.strip()]
    if len(lines) not in (2, 3) or (len(lines) == 3 and not lines[2].isdigit()):
        raise CliError("give the access token, the refresh token and its lifetime, one a line")
    database = await open_database(settings)
    try:
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT) as http:
            tokens = oa_tokens(settings, http, build_engine(database, settings).sessionmaker)
            if tokens is None:
                raise CliError("OCOP_SECRET_KEY is required to keep the Zalo OA tokens")
            lifetime = lines[2] if len(lines) == 3 else "90000"
            await tokens.grant(access_token=lines[0], refresh_token=lines[1], expires_in=lifetime)
    finally:
        await database.dispose()
    print("Zalo OA tokens kept.")
    return EXIT_OK
