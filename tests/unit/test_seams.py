"""Seams between packages: notify imports no feature's views (issue 8)."""
from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"


def imported_modules(package: Path) -> set[str]:
    found = set()
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                found.add(node.module)
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
    return found


def test_notify_imports_no_feature_views():
    views = {m for m in imported_modules(APP / "notify") if m.endswith(".views") and not m.startswith("app.notify")}
    assert views == set()
