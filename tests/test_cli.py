"""The ``ocop-bot`` command line, run as a real subprocess against a real database."""

from __future__ import annotations

import inspect
import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from bot.cli import COMMANDS, load
from tests.standins import free_port

REPO = Path(__file__).parents[1]


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m bot`` with a clean environment plus ``env``."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("OCOP_", "DATABASE_URL"))}
    base["PYTHONPATH"] = str(REPO)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        env={**base, **env},
        timeout=120,
        check=False,
    )


def run_python(code: str, *args: str) -> str:
    """What ``python -c code args`` prints, in a fresh process that imports this checkout."""
    result = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_version_and_help_list_only_working_commands() -> None:
    version = run_cli("version")
    assert version.returncode == 0
    assert version.stdout.startswith("ocop-bot ")
    helptext = run_cli("--help").stdout
    for name in ("version", "migrate", "doctor"):
        assert name in helptext


def test_nonsense_database_url_is_one_line_and_exit_2() -> None:
    result = run_cli("doctor", DATABASE_URL="nonsense")
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "DATABASE_URL" in lines[0]
    assert "Traceback" not in result.stderr


def test_migrate_builds_schema_once_and_doctor_follows(blank_database_url: str) -> None:
    before = run_cli("doctor", DATABASE_URL=blank_database_url)
    assert before.returncode == 1, before.stdout + before.stderr
    assert "ocop-bot migrate" in before.stdout

    first = run_cli("migrate", DATABASE_URL=blank_database_url)
    assert first.returncode == 0, first.stderr
    assert "upgraded" in first.stdout
    second = run_cli("migrate", DATABASE_URL=blank_database_url)
    assert second.returncode == 0, second.stderr
    assert "already current" in second.stdout

    after = run_cli("doctor", DATABASE_URL=blank_database_url)
    assert after.returncode == 0, after.stdout + after.stderr
    assert after.stdout.strip().endswith("healthy")


def test_doctor_masks_secrets(database_url: str) -> None:
    result = run_cli(
        "doctor",
        DATABASE_URL=database_url,
        TELEGRAM_BOT_TOKEN="123456:SECRET-TOKEN",
        ZALO_BOT_TOKEN="zalo:VERY-SECRET",
        TELEGRAM_API_BASE_URL=f"http://127.0.0.1:{free_port()}/bot",  # nothing listens
        ZALO_API_BASE_URL=f"http://127.0.0.1:{free_port()}",
    )
    assert "SECRET-TOKEN" not in result.stdout
    assert "VERY-SECRET" not in result.stdout
    assert "telegram: configured" in result.stdout
    assert "zalo: configured" in result.stdout


def test_doctor_reports_unreachable_database(tmp_path: Path) -> None:
    missing_dir = tmp_path / "no" / "such" / "dir" / "x.db"
    result = run_cli("doctor", DATABASE_URL=f"sqlite+aiosqlite:///{missing_dir}")
    assert result.returncode == 1
    assert "database unreachable" in result.stdout


def test_start_migrates_and_opens_the_console_chat_without_tokens(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    result = subprocess.run(
        [sys.executable, "-m", "bot", "start"],
        input="/start\nco\n",
        capture_output=True,
        text=True,
        env={**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(REPO)},
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Schema upgraded from empty" in result.stdout
    assert "trợ lý tự động" in result.stdout
    assert "Bước 2/5" in result.stdout


def test_the_terminal_chat_prompts_and_ends_at_once_on_ctrl_c(database_url: str) -> None:
    """At a terminal: a "> " prompt for each line, and Ctrl+C ends the chat without waiting
    for Enter (the line is read on a daemon thread, not one the exit waits for)."""
    controller, terminal = pty.openpty()
    base = {k: v for k, v in os.environ.items() if not k.startswith(("OCOP_", "DATABASE_URL"))}
    chat = subprocess.Popen(
        [sys.executable, "-m", "bot", "chat"],
        stdin=terminal,
        stdout=terminal,
        stderr=subprocess.DEVNULL,
        env={**base, "PYTHONPATH": str(REPO), "DATABASE_URL": database_url},
    )
    os.close(terminal)
    seen = b""
    try:
        deadline = time.monotonic() + 60
        while b"> " not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([controller], [], [], 1)
            if ready:
                seen += os.read(controller, 4096)
        assert b"> " in seen, seen
        started = time.monotonic()
        chat.send_signal(signal.SIGINT)  # what Ctrl+C sends
        assert chat.wait(timeout=10) == 0
        assert time.monotonic() - started < 5
    finally:
        if chat.poll() is None:
            chat.kill()
        os.close(controller)


def test_doctor_names_the_missing_zalo_oa_settings(database_url: str) -> None:
    half = run_cli(
        "doctor", DATABASE_URL=database_url, ZALO_OA_ID="1234567890123456789", ZALO_OA_APP_ID="42"
    )
    assert "zalo oa: incomplete (missing ZALO_OA_APP_SECRET, ZALO_OA_SECRET_KEY)" in half.stdout
    assert "problem: Zalo OA half configured" in half.stdout
    assert half.returncode == 1
    off = run_cli("doctor", DATABASE_URL=database_url)
    assert "zalo oa: not configured" in off.stdout


def test_the_program_keeps_what_its_imports_built_out_of_the_collector() -> None:
    """The collector walked every object the imports built once more as the process ended,
    about half a second of every command's exit; ``python -m bot`` as run here."""
    probe = (
        "import atexit, gc, runpy, sys\n"
        "atexit.register(lambda: print(gc.get_freeze_count(), len(gc.get_objects())))\n"
        "sys.argv = ['ocop-bot', 'version']\n"
        "runpy.run_module('bot', run_name='__main__')\n"
    )
    version, counts = run_python(probe).splitlines()
    assert version.startswith("ocop-bot ")
    frozen, collected = map(int, counts.split())
    assert frozen > 50_000  # the libraries' and ours
    assert frozen > 10 * collected  # what the collector still walks: the command's own


def test_every_command_runs_a_coroutine_of_its_module() -> None:
    for name, spec in COMMANDS.items():
        assert inspect.iscoroutinefunction(load(spec.target)), name


def test_a_command_imports_only_what_it_runs() -> None:
    """A command's module loaded in a fresh process: an officer invite or a calendar change
    does not pay for the web app, the channels or the spreadsheet importer, which cost a
    second or more of every command before it did anything."""
    probe = (
        "import sys\n"
        "from bot.cli import COMMANDS, load\n"
        "load(COMMANDS[sys.argv[1]].target)\n"
        "print(*sorted(m for m in sys.modules if m in sys.argv[2:]))\n"
    )
    heavy = ["bot.web", "bot.admin.importer", "bot.channels.telegram", "uvicorn"]

    def loaded(command: str) -> set[str]:
        return set(run_python(probe, command, *heavy).split())

    assert loaded("officer") == set()
    assert loaded("calendar") == set()
    assert loaded("admin") == {"bot.admin.importer"}
    assert loaded("alerts") == {"bot.channels.telegram"}  # it sends; it serves no page
    assert loaded("serve") == set(heavy)  # the web app has the admin pages, imports too
