"""The README opens with the two commands, and CI runs the same test command."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).parents[1]


def _first_block() -> list[str]:
    text = (REPO / "README.md").read_text()
    start = text.index("```sh\n") + len("```sh\n")
    return text[start : text.index("```", start)].strip().splitlines()


def test_readme_opens_with_exactly_two_commands() -> None:
    readme = (REPO / "README.md").read_text()
    assert readme.index("```sh") < readme.index("## ")
    commands = _first_block()
    assert len(commands) == 2
    install_and_start, install_and_test = commands
    assert install_and_start.endswith("ocop-bot start")
    assert "pytest" in install_and_test


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    test_command = _first_block()[1]
    ci_lines = (REPO / ".ci" / "run").read_text().splitlines()
    # "|| exit 1" only makes a failure inside the && chain stop the script.
    assert f"{test_command} || exit 1" in ci_lines


def test_procfile_migrates_on_release() -> None:
    assert "release: ocop-bot migrate" in (REPO / "Procfile").read_text().splitlines()
