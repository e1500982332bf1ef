"""Intervisie: methods, rounds, the phase machine, live rounds and reflections."""
from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from app.web import NavItem, register_nav


def init_app(app: Flask) -> None:
    from app import live
    from app.intervisie import notifications, views

    app.extensions["live"] = live.broker_for(app.config.get("REDIS_URL"))
    app.extensions["live_streams"] = live.StreamLimits()
    app.register_blueprint(views.bp)
    register_nav(app, NavItem("intervisie.index", _l("Intervisie"), "circle", 20))
    app.extensions.setdefault("notify_schedulers", []).append(notifications.scheduler(app))
