"""Seams between packages: notify imports no feature's views (issue 8)."""
from __future__ import annotations

import ast
import re
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


def test_views_publish_nothing_by_hand():
    """Live events go out after the commit (app/live.py); a view that published could publish a
    change that was rolled back, or forget to."""
    by_hand = re.compile(r'(broker|extensions\["live"\]|live)\s*\.\s*publish\(')
    publishers = [p.relative_to(APP).as_posix() for p in APP.rglob("views.py") if by_hand.search(p.read_text())]
    assert publishers == []


def test_the_live_channel_is_named_in_one_place():
    named = [p.relative_to(APP).as_posix() for p in python_files()
             if any(s.startswith("round:") for s in string_constants(p)) or 'f"round:' in p.read_text()]
    assert named == ["intervisie/services.py"]


def test_views_leave_page_or_block_to_the_helper():
    """app/rendering.py decides between a page and its htmx block; views do not read HX-Request."""
    by_hand = [p.relative_to(APP).as_posix() for p in APP.rglob("views.py")
               if "HX-Request" in p.read_text() or "render_block" in p.read_text()]
    assert by_hand == []


JS = APP / "static" / "js"
SHARED_HELPERS = ("csrfToken", "htmxEvent", "isIOS", "isStandalone", "sendJSON")


def test_one_javascript_module_holds_the_shared_helpers():
    import re
    app_js = (JS / "app.js").read_text()
    assert re.search(r"window\.Leerkring = Object\.freeze\(\{ ?" + ", ".join(SHARED_HELPERS), app_js)
    for path in sorted(JS.glob("*.js")):
        if path.name == "app.js":
            continue
        source = path.read_text()
        defined = [name for name in SHARED_HELPERS if re.search(rf"const {name} = ", source)]
        assert defined == [], f"{path.name} defines its own {defined}"
        assert "querySelector('meta[name=\"csrf-token\"]')" not in source
        assert "iphone|ipad" not in source
    for name in ("live.js", "push.js", "passkeys.js"):
        assert "window.Leerkring" in (JS / name).read_text()


def test_app_js_loads_before_every_page_script():
    """Deferred scripts run in document order; app.js sits in <head> before the head block."""
    base = (APP.parent / "templates" / "base.html").read_text()
    assert base.index("js/app.js") < base.index("{% block head %}")
    assert "defer" in base[base.index("js/app.js"):base.index("js/app.js") + 40]
    for template in (APP.parent / "templates").rglob("*.html"):
        text = template.read_text()
        if "js/live.js" in text or "js/push.js" in text or "js/passkeys.js" in text:
            assert 'extends "base.html"' in text and "defer" in text, template.name


def test_javascript_parses():
    import shutil
    import subprocess
    import pytest
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    for path in sorted(JS.glob("*.js")):
        subprocess.run([node, "--check", str(path)], check=True)
