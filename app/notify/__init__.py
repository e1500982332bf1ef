"""Notifications: push subscriptions, outbox, worker, inbox, preferences."""
from __future__ import annotations

import os

from flask import Flask
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.extensions import db
from app.web import NavItem, register_nav


def vapid_subject(app_url: str) -> str:
    """Apple refuses a VAPID subject that is not a real https: or mailto: address."""
    return os.environ.get("VAPID_SUBJECT") or (app_url if app_url.startswith("https://")
                                               else "mailto:beheer@leerkring.nl")


def init_app(app: Flask) -> None:
    from app.notify import push, services, views

    vapid = push.load_vapid(app.instance_path, app.config.get("VAPID_PRIVATE_KEY"))
    app.extensions["vapid_public_key"] = push.application_server_key(vapid)
    app.extensions["push_sender"] = push.Sender(vapid, vapid_subject(app.config["APP_URL"]),
                                                timeout=app.config.get("PUSH_TIMEOUT", 10))
    app.extensions.setdefault("notify_schedulers", [])
    app.register_blueprint(views.bp)
    register_nav(app, NavItem("notify.inbox", _l("Meldingen"), "bell", 80))

    class UnreadCount:
        """Counted only when a template shows it: fragments (live rounds) never pay for it."""

        def __init__(self, person_id):
            self.person_id, self._value = person_id, None

        def value(self) -> int:
            if self._value is None:
                self._value = services.unread_count(db.session, self.person_id) if self.person_id else 0
            return self._value

        def __bool__(self):
            return self.value() > 0

        def __str__(self):
            return str(self.value())

    @app.context_processor
    def unread():
        authenticated = current_user and current_user.is_authenticated
        return {"unread_count": UnreadCount(current_user.id if authenticated else None)}

    if app.config.get("NOTIFY_WORKER") == "thread":
        from app.notify.worker import start_thread
        app.extensions["notify_worker_stop"] = start_thread(app)
