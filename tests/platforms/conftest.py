"""The channel fixtures of ``tests/test_channels.py`` (stand-ins of both platforms and the
real web app on loopback), with the admin pages switched on in that same app."""

from __future__ import annotations

import pytest

from bot.settings import Settings
from tests.admin.conftest import SECRET_KEY
from tests.standins import TelegramStandIn, ZaloStandIn, platform_settings
from tests.test_channels import (  # noqa: F401 - fixtures, found by name
    app_url,
    client,
    telegram_api,
    zalo_api,
)


@pytest.fixture
def settings(
    database_url: str,
    telegram_api: tuple[TelegramStandIn, str],  # noqa: F811 - the imported fixture
    zalo_api: tuple[ZaloStandIn, str],  # noqa: F811 - the imported fixture
) -> Settings:
    return platform_settings(
        database_url,
        telegram_api[1],
        zalo_api[1],
        ocop_secret_key=SECRET_KEY,
        ocop_quiet_hours="00:00-00:00",
    )
