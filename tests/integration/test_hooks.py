"""The seams: features register themselves; the shell, accounts and notify import no feature."""
from __future__ import annotations

import ast
from datetime import timedelta
from pathlib import Path

import pytest

from app import features, hooks
from app.notify.worker import Worker

APP = Path(__file__).resolve().parents[2] / "app"
FEATURE_NAMES = {p.__name__.rsplit(".", 1)[-1] for p in features()}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def test_features_are_discovered_from_their_folders():
    assert "intervisie" in FEATURE_NAMES
    assert not {"accounts", "notify"} & FEATURE_NAMES


@pytest.mark.parametrize("path", sorted(
    [APP / "__init__.py", APP / "web.py", APP / "hooks.py", *(APP / "accounts").glob("*.py"),
     *(APP / "notify").glob("*.py")]), ids=lambda p: str(p.relative_to(APP)))
def test_shell_accounts_and_notify_import_no_feature(path):
    for module in imported_modules(path):
        parts = module.split(".")
        assert not (parts[0] == "app" and len(parts) > 1 and parts[1] in FEATURE_NAMES), \
            f"{path.name} imports the feature module {module}"


def test_every_feature_registers_navigation_kinds_and_cards(app):
    registry = hooks.of(app)
    endpoints = [item.endpoint for item in registry.nav]
    assert endpoints == ["web.today", "intervisie.index", "feedback.index", "notify.inbox", "accounts.profile"]
    assert {"test", "invite_accepted", "round_planned", "round_started"} <= set(registry.kinds)
    # Vandaag: the next thing to do first (a near round, a request to answer, the buddy, actions),
    # then the rest; the hints the browser shows after loading (notifications, the home screen)
    # come last, so that their appearing moves nothing already on screen.
    keys = [c.key for c in registry.cards]
    assert keys[:4] == ["intervisie-next", "feedback-open", "buddies", "personal-actions"]
    assert keys[-2:] == ["push-invite", "install-hint"]
    assert {"intervisie-reminders", "intervisie-case-retention"} <= {j.name for j in registry.jobs}


def test_a_kind_registered_twice_is_refused(app):
    registry = hooks.of(app)
    with pytest.raises(ValueError):
        registry.add_kind(registry.kinds["test"])


def test_worker_runs_each_job_at_its_own_interval_and_survives_a_failing_one(app):
    from app.models_base import utcnow
    runs = []
    registry = hooks.of(app)
    registry.jobs[:] = [
        hooks.Job("often", lambda s, now: runs.append("often"), timedelta(seconds=30)),
        hooks.Job("broken", lambda s, now: 1 / 0, timedelta(seconds=30)),
        hooks.Job("daily", lambda s, now: runs.append("daily"), timedelta(days=1)),
    ]
    worker = Worker(app)
    start = utcnow()
    with app.app_context():
        for seconds in (0, 10, 31, 62):
            worker.run_jobs(start + timedelta(seconds=seconds))
    assert runs == ["often", "daily", "often", "often"]
    worker.pool.shutdown()
