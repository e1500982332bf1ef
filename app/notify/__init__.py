"""Notifications: push subscriptions, outbox, worker, inbox, preferences."""
from __future__ import annotations

from datetime import timedelta

from flask import Flask, g
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app import hooks
from app.extensions import db


class UnreadCount:
    """Counted only when a template shows it: fragments (live rounds) never pay for it. A page
    that only reads has it from the sign-in's query already (`known`)."""

    def __init__(self, person_id, known: int | None = None):
        self.person_id, self._value = person_id, known

    def value(self) -> int:
        from app.notify import services
        if self._value is None:
            self._value = services.unread_count(db.session, self.person_id) if self.person_id else 0
        return self._value

    def __bool__(self):
        return self.value() > 0

    def __str__(self):
        return str(self.value())


def push_invite_card(_session, _person, _now) -> dict:
    # Always rendered hidden; app.js shows it only where push is possible and not yet decided.
    return {}


def init_app(app: Flask) -> None:
    from app.notify import kinds, privacy, push, services, views

    vapid = push.load_vapid(app.instance_path, app.config.get("VAPID_PRIVATE_KEY"))
    app.extensions["vapid_public_key"] = push.application_server_key(vapid)
    app.extensions["push_sender"] = push.Sender(vapid, app.config["VAPID_SUBJECT"],
                                                timeout=app.config.get("PUSH_TIMEOUT", 10))
    app.register_blueprint(views.bp)
    registry = hooks.of(app)
    registry.add_nav(hooks.NavItem("notify.inbox", _l("Meldingen"), "bell", 80))
    registry.add_kind(kinds.TEST)
    registry.add_card(hooks.TodayCard("push-invite", "notify/_today_card.html", push_invite_card,
                                      order=hooks.TODAY_DEVICE))
    for part in privacy.EXPORTS:
        registry.add_export(part)
    registry.add_eraser(hooks.Eraser("notify", privacy.erase))
    # Claims skip expired notifications, so marking their pushes failed can wait a minute; once per
    # tick it was a quarter of the worker's database time.
    registry.add_job(hooks.Job("notify-expiry", services.expire_stale, interval=timedelta(minutes=1)))
    registry.add_job(hooks.Job("notify-retention", privacy.retention_job(app.config),
                               interval=timedelta(hours=app.config["RETENTION_INTERVAL_HOURS"])))
    for rule in privacy.RETENTION:
        registry.add_retention(rule)

    # The badge is on every page: the sign-in's query counts it along (one query less per page).
    registry.add_sign_in_column(hooks.SignInColumn("unread", services.unread_column))

    @app.context_processor
    def unread():
        if not (current_user and current_user.is_authenticated):
            return {"unread_count": UnreadCount(None)}
        # Counted at sign-in, before the view ran: only a GET (app/reads.py) cannot have changed it
        # since; a POST that marks notifications read and renders asks again.
        known = getattr(current_user, "sign_in_values", {}).get("unread") if g.get("reads_only") else None
        return {"unread_count": UnreadCount(current_user.id, known)}

    if app.config.get("NOTIFY_WORKER") == "thread":
        from app.notify.worker import start_thread
        app.extensions["notify_worker_stop"] = start_thread(app)
