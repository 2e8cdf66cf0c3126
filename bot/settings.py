"""Process settings, read once from the environment and an optional ``.env`` file.

Nothing is read at import time: call :func:`get_settings`. An invalid value raises
:class:`SettingsError` carrying one line that names the variable, which the CLI prints
before exiting with status 2 — operators see what to fix, not a traceback.
"""

from __future__ import annotations

import re
from datetime import timedelta
from functools import lru_cache
from typing import Annotated
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from bot.admin.addresses import Network, parse_networks
from bot.alerts.timing import AlertConfig, QuietHours
from bot.channels.zalo_oa import Template, parse_templates

SUPPORTED_LOCALES = ("vi", "en")
_TELEGRAM_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
# Friendly spellings an operator may paste, mapped to the async drivers we ship.
_DRIVER_ALIASES = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}


class SettingsError(Exception):
    """A setting is missing or wrong; ``str(error)`` is one line naming the variable."""


def normalise_database_url(raw: str) -> str:
    """Return ``raw`` with its driver replaced by the async one we use, or raise ValueError."""
    try:
        url: URL = make_url(raw)
    except ArgumentError:
        raise ValueError(
            "not a database URL; expected e.g. sqlite+aiosqlite:///./ocop.db "
            "or postgresql+asyncpg://user@host:5432/db"
        ) from None
    driver = _DRIVER_ALIASES.get(url.drivername)
    if driver is None:
        raise ValueError(f"unsupported database '{url.drivername}'; use SQLite or PostgreSQL")
    return url.set(drivername=driver).render_as_string(hide_password=False)


class Settings(BaseSettings):
    """Every variable the bot reads; ``.env.example`` lists them with their defaults."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    database_url: str = "sqlite+aiosqlite:///./ocop.db"
    ocop_timezone: str = "Asia/Ho_Chi_Minh"
    ocop_locale: str = "vi"
    telegram_bot_token: SecretStr | None = None
    telegram_webhook_secret: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_bot_username: str | None = None
    telegram_proxy_url: str | None = None
    zalo_bot_token: SecretStr | None = None
    zalo_webhook_secret: SecretStr | None = None
    zalo_api_base_url: str = "https://bot-api.zaloplatforms.com"
    # The province's Zalo Official Account (Open API v3): on when all four are set.
    zalo_oa_id: str | None = None
    zalo_oa_app_id: str | None = None
    zalo_oa_app_secret: SecretStr | None = None  # OAuth v4: the ``secret_key`` header
    zalo_oa_secret_key: SecretStr | None = None  # the webhook's X-ZEvent-Signature
    zalo_oa_api_base_url: str = "https://openapi.zalo.me"
    zalo_oa_oauth_base_url: str = "https://oauth.zaloapp.com"
    zalo_oa_template_base_url: str = "https://business.openapi.zalo.me"
    # Approved templates per alert kind (JSON); alerts past the messaging window use them.
    zalo_oa_templates: str = ""
    # A person who wrote on Zalo within these days gets alerts in the chat, not as a template.
    zalo_recent_days: Annotated[int, Field(ge=1, le=365)] = 7
    public_base_url: str | None = None
    ocop_secret_key: SecretStr | None = None
    ocop_alerts: bool = True
    ocop_quiet_hours: str = "21:00-07:00"
    ocop_alert_grace_days: Annotated[int, Field(ge=0, le=60)] = 2
    ocop_alert_rate: Annotated[float, Field(gt=0, le=30)] = 29.0
    ocop_trusted_proxies: str = ""
    ocop_log_level: Annotated[str, Field(pattern=r"^(DEBUG|INFO|WARNING|ERROR)$")] = "INFO"

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        return normalise_database_url(value)

    @field_validator("ocop_timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone '{value}'; e.g. Asia/Ho_Chi_Minh") from None
        return value

    @field_validator("ocop_locale")
    @classmethod
    def _locale(cls, value: str) -> str:
        if value not in SUPPORTED_LOCALES:
            raise ValueError(f"must be one of {', '.join(SUPPORTED_LOCALES)}")
        return value

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _telegram_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _TELEGRAM_SECRET.fullmatch(value.get_secret_value()):
            raise ValueError("must be 1–256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("zalo_webhook_secret")
    @classmethod
    def _zalo_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not 8 <= len(value.get_secret_value()) <= 256:
            raise ValueError("must be 8–256 characters long")
        return value

    @field_validator(
        "telegram_api_base_url",
        "zalo_api_base_url",
        "zalo_oa_api_base_url",
        "zalo_oa_oauth_base_url",
        "zalo_oa_template_base_url",
        "public_base_url",
    )
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/")

    @field_validator("telegram_proxy_url")
    @classmethod
    def _proxy_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an http(s) proxy URL, e.g. http://user:pass@proxy:3128")
        return value

    @field_validator("ocop_secret_key")
    @classmethod
    def _secret_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 16:
            raise ValueError("must be at least 16 characters long")
        return value

    @field_validator("zalo_oa_templates")
    @classmethod
    def _oa_templates(cls, value: str) -> str:
        parse_templates(value)
        return value

    @field_validator("ocop_quiet_hours")
    @classmethod
    def _quiet_hours(cls, value: str) -> str:
        QuietHours.parse(value)
        return value

    @field_validator("ocop_trusted_proxies")
    @classmethod
    def _trusted_proxies(cls, value: str) -> str:
        try:
            parse_networks(value)
        except ValueError:
            raise ValueError(
                "must be IP addresses or networks separated by commas, e.g. 127.0.0.1,10.0.0.0/8"
            ) from None
        return value

    @property
    def trusted_proxies(self) -> tuple[Network, ...]:
        """The reverse proxies whose ``X-Forwarded-For`` names the client's address."""
        return parse_networks(self.ocop_trusted_proxies)

    def alert_config(self) -> AlertConfig:
        """How alerts are timed and paced, from these settings."""
        return AlertConfig(
            timezone=self.timezone,
            quiet=QuietHours.parse(self.ocop_quiet_hours),
            grace=timedelta(days=self.ocop_alert_grace_days),
            send_rate=self.ocop_alert_rate,
        )

    @property
    def timezone(self) -> ZoneInfo:
        """The programme's local time zone (alerts, quiet hours, dates shown to users)."""
        return ZoneInfo(self.ocop_timezone)

    @property
    def telegram_configured(self) -> bool:
        """Whether a Telegram bot token is set."""
        return self.telegram_bot_token is not None

    @property
    def zalo_configured(self) -> bool:
        """Whether a Zalo Bot Platform token is set."""
        return self.zalo_bot_token is not None

    @property
    def zalo_oa_missing(self) -> tuple[str, ...]:
        """The Zalo OA variables still unset (all four when the OA is not used)."""
        values = {
            "ZALO_OA_ID": self.zalo_oa_id,
            "ZALO_OA_APP_ID": self.zalo_oa_app_id,
            "ZALO_OA_APP_SECRET": self.zalo_oa_app_secret,
            "ZALO_OA_SECRET_KEY": self.zalo_oa_secret_key,
        }
        return tuple(name for name, value in values.items() if not value)

    @property
    def oa_templates(self) -> dict[str, Template]:
        """The approved OA template of each alert kind that has one."""
        return parse_templates(self.zalo_oa_templates)

    @property
    def zalo_oa_configured(self) -> bool:
        """Whether the Zalo Official Account channel is on (every OA variable set)."""
        return not self.zalo_oa_missing


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning a validation failure into a one-line :class:`SettingsError`."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        first = error.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "settings"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise SettingsError(f"{name}: {message}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process settings, read on first use."""
    return load_settings()
