"""Allow ``python -m bot`` as a synonym of the ``ocop-bot`` console script."""

from bot.cli import run

run()
