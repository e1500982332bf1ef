"""Leerkring: learning from colleagues during the work. The application factory."""
from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from flask import Flask, request
from flask_login import current_user
from sqlalchemy import event
from werkzeug.routing import IntegerConverter

from app import assets, config, ops, security
from app.safe_json import SafeJSONProvider
from app.extensions import babel, compress, csrf, db, limiter, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent


def select_locale() -> str:
    """The person's own setting first, then the browser, then Dutch."""
    if current_user and current_user.is_authenticated and current_user.locale:
        return current_user.locale
    return request.accept_languages.best_match(("nl", "en"), default="nl") if request else "nl"


class DatabaseId(IntegerConverter):
    """`<int:...>` in URLs, bounded to what an INTEGER column holds, so a huge number is a 404."""

    def __init__(self, url_map, **kwargs):
        super().__init__(url_map, min=1, max=2**31 - 1, **kwargs)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets readers carry on while one process writes; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


CORE = ("accounts", "notify")


def features() -> list:
    """Every feature package under app/ (a package with an init_app that is not a core seam), in
    name order: adding a feature is adding a folder, nothing in the shell changes."""
    found = []
    for module in pkgutil.iter_modules(__path__):
        if module.ispkg and module.name not in CORE:
            package = importlib.import_module(f"{__name__}.{module.name}")
            if hasattr(package, "init_app"):
                found.append(package)
    return found


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: configuration, extensions, blueprints and commands."""
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        instance_relative_config=True,
        static_folder=None,
        template_folder=str(ROOT / "templates"),
    )
    app.static_folder = str(Path(__file__).parent / "static")
    app.json = SafeJSONProvider(app)  # a malformed JSON body reads as none, never a 500
    app.url_map.converters["int"] = DatabaseId
    app.config.from_mapping(config.load(app.instance_path))
    if test_config:
        app.config.update(test_config)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(Path(__file__).parent / "translations"))
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", config.engine_options(app.config["SQLALCHEMY_DATABASE_URI"]))
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # The embedded database's folder. Otherwise instance/ is made only when a generated key is
        # written into it, so a setup that gives everything in the environment writes nothing there.
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    if app.config.get("PROXY_FIX"):
        from werkzeug.middleware.proxy_fix import ProxyFix
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)

    db.init_app(app)
    ops.init_app(app)  # first: its request timer and id wrap everything the others do
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    # Flask-Limiter's one module-level Limiter keeps the first key prefix it was given; an app
    # names its own (tests build many apps in one process, each with its own prefix).
    limiter._key_prefix = app.config.get("RATELIMIT_KEY_PREFIX", "")
    limiter.init_app(app)
    compress.init_app(app)
    security.init_app(app)
    assets.init_app(app)

    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _sqlite_pragmas)

    from app import accounts, hooks, live, notify, reads, web
    from app.cli import register_commands

    # The shell and the two core seams first, then each feature; every one registers itself
    # into the hooks (navigation, notification kinds, jobs, Vandaag cards, export, deletion).
    hooks.init_app(app)
    reads.init_app(app)  # before accounts: a page that only reads opens no transaction
    live.init_app(app)  # live events, published after each commit
    web.init_app(app)
    accounts.init_app(app)
    notify.init_app(app)
    for feature in features():
        feature.init_app(app)
    register_commands(app)
    return app
