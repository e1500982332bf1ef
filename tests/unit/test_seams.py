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


def python_files():
    return sorted(APP.rglob("*.py"))


def string_constants(path: Path) -> list[str]:
    return [node.value for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.Constant) and isinstance(node.value, str)]


def calls_to(path: Path, name: str) -> int:
    count = 0
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            count += called == name
    return count


def test_configuration_is_read_only_in_config():
    readers = [p.relative_to(APP).as_posix() for p in python_files()
               if p.name != "config.py" and ("os.environ" in p.read_text() or "getenv(" in p.read_text())]
    assert readers == []


def test_rate_limits_are_settings():
    """A literal limit in a view cannot be tuned without a deploy; config.py holds them all."""
    literal = [p.relative_to(APP).as_posix() for p in python_files() if p.name != "config.py"
               and any(("per minute" in s or "per hour" in s or "per day" in s) for s in string_constants(p))]
    assert literal == []


def test_one_time_zone():
    elsewhere = [p.relative_to(APP).as_posix() for p in python_files() if p.name != "timezone.py"
                 and ("Europe/Amsterdam" in string_constants(p) or calls_to(p, "ZoneInfo"))]
    assert elsewhere == []


def test_one_token_hasher():
    """Tokens are hashed in app/tokens.py only (links, sessions and calendar feeds alike)."""
    hashers = []
    for path in python_files():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and "hash" in node.name and path.name != "tokens.py":
                hashers.append(f"{path.relative_to(APP).as_posix()}:{node.name}")
    assert hashers == []
    users = {p.relative_to(APP).as_posix() for p in python_files() if "import hashlib" in p.read_text()}
    assert users <= {"tokens.py", "assets.py", "web.py"}  # the last two hash file contents


def test_token_hash_is_stable():
    from app.tokens import hash_token, new_token
    assert hash_token("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert len(new_token()) >= 32 and new_token() != new_token()
