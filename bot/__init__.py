"""Trợ lý OCOP: everything with I/O — settings, database, engine, channels, web app, CLI.

Nothing here builds engines, clients or settings at import time; the CLI and the web app
assemble the pieces inside their own entry points.
"""

__version__ = "0.1.0"
