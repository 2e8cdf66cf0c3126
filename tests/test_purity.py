"""``ocop_rules`` imports nothing outside the standard library (belt and braces beside
the import-linter contract, which can only list forbidden packages)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

RULES = Path(__file__).parents[1] / "ocop_rules"


def _imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_ocop_rules_uses_only_the_standard_library() -> None:
    files = sorted(RULES.glob("*.py"))
    assert files
    for path in files:
        outside = _imported_roots(path) - set(sys.stdlib_module_names) - {"ocop_rules"}
        assert not outside, f"{path.name} imports {sorted(outside)}"


def test_ocop_rules_reads_no_clock() -> None:
    for path in RULES.glob("*.py"):
        source = path.read_text()
        for forbidden in ("date.today", "datetime.now", "time.time", "utcnow"):
            assert forbidden not in source, f"{path.name} reads the clock ({forbidden})"
