"""Imports are written at module top, where a reader (and import-linter) sees the graph.

The one exception is ``AppConfig.ready``: Django calls it once the registry is loaded, and it is
where a higher app registers its hooks in a lower one (docs/architecture.md).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("apps", "tenants", "workers", "cpts_platform")


def _function_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if function.name == "ready" and path.name == "apps.py":
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.Import | ast.ImportFrom):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_no_import_is_written_inside_a_function():
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = str(path.relative_to(ROOT))
            if "/migrations/" in relative:
                continue
            found.extend(_function_imports(path))
    assert found == []
