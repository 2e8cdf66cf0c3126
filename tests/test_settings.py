"""Settings: defaults, normalisation, and one-line errors naming the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import (
    Settings,
    SettingsError,
    get_settings,
    load_settings,
    normalise_database_url,
)


def test_defaults_are_the_embedded_ones() -> None:
    settings = load_settings()
    assert settings.database_url == "sqlite+aiosqlite:///./ocop.db"
    assert settings.ocop_timezone == "Asia/Ho_Chi_Minh"
    assert settings.ocop_locale == "vi"
    assert settings.telegram_api_base_url == "https://api.telegram.org/bot"
    assert settings.zalo_api_base_url == "https://bot-api.zaloplatforms.com"
    assert not settings.telegram_configured
    assert not settings.zalo_configured
    assert str(settings.timezone) == "Asia/Ho_Chi_Minh"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("sqlite:///x.db", "sqlite+aiosqlite:///x.db"),
        ("postgres://u:p@h:5432/d", "postgresql+asyncpg://u:p@h:5432/d"),
        ("postgresql://u@h/d", "postgresql+asyncpg://u@h/d"),
        ("postgresql+asyncpg://u@h/d", "postgresql+asyncpg://u@h/d"),
    ],
)
def test_database_url_is_normalised_to_async_drivers(raw: str, expected: str) -> None:
    assert normalise_database_url(raw) == expected


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DATABASE_URL", "nonsense"),
        ("DATABASE_URL", "mysql://root@localhost/x"),
        ("OCOP_TIMEZONE", "Mars/Olympus"),
        ("OCOP_LOCALE", "fr"),
        ("TELEGRAM_WEBHOOK_SECRET", "has spaces"),
        ("ZALO_WEBHOOK_SECRET", "short"),
        ("PUBLIC_BASE_URL", "example.org"),
        ("TELEGRAM_API_BASE_URL", "ftp://x"),
    ],
)
def test_invalid_value_gives_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith(f"{variable}: ")
    assert "\n" not in message


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("OCOP_LOCALE=en\nTELEGRAM_BOT_TOKEN=123:abc\n")
    settings = get_settings()
    assert settings.ocop_locale == "en"
    assert settings.telegram_configured
    assert settings.telegram_bot_token is not None
    assert settings.telegram_bot_token.get_secret_value() == "123:abc"
    assert "123:abc" not in repr(settings)


def test_env_example_lists_every_setting() -> None:
    example = (Path(__file__).parents[1] / ".env.example").read_text()
    names = {line.split("=", 1)[0].lstrip("# ") for line in example.splitlines() if "=" in line}
    assert {field.upper() for field in Settings.model_fields} <= names
