"""Feedback along the three loops (rules, insights, principles) between colleagues, and alone."""
from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask_babel import lazy_gettext as _l

from app import hooks
from app.hooks import NotificationKind as Kind

KINDS = (
    Kind("feedback_request", _l("Feedbackvraag"), _l("Een collega vraagt je om feedback op een moment uit het werk."),
         ttl=timedelta(days=3), optional=False),
    Kind("feedback_answered", _l("Feedback voor jou"), _l("Een collega heeft je feedback gegeven."),
         ttl=timedelta(days=3)),
    Kind("feedback_reminder", _l("Herinnering aan een feedbackvraag"),
         _l("Eén keer, als een vraag om feedback nog open staat."), ttl=timedelta(days=1), urgency="low"),
    Kind("feedback_expired", _l("Feedbackvraag gesloten"),
         _l("Als niemand op je vraag om feedback antwoordde, hoor je dat."), ttl=timedelta(days=2), urgency="low"),
)


def requests_card(session, person, _now) -> dict | None:
    from app.feedback import services
    to_answer, to_close = services.open_for(session, person)
    return {"to_answer": to_answer, "to_close": to_close} if to_answer or to_close else None


def init_app(app: Flask) -> None:
    from app.feedback import demo, notifications, services, views

    app.register_blueprint(views.bp)
    registry = hooks.of(app)
    registry.add_nav(hooks.NavItem("feedback.index", _l("Feedback"), "feedback", 40))
    for kind in KINDS:
        registry.add_kind(kind)
    registry.add_card(hooks.TodayCard("feedback-open", "feedback/_today.html", requests_card, order=hooks.TODAY_ANSWER))
    registry.add_job(hooks.Job("feedback-reminders", notifications.remind,
                               interval=timedelta(minutes=5)))
    registry.add_job(hooks.Job("feedback-expiry", notifications.expire,
                               interval=timedelta(minutes=15)))
    registry.add_export(hooks.ExportPart("feedback", _l("Feedback"), services.export_person))
    registry.add_eraser(hooks.Eraser("feedback", services.erase_person))
    # Intervisie offers these when its person prepares a case, without importing feedback.
    registry.provide("case_ideas", lambda session, person_id: [
        {"id": idea.id, "text": idea.text} for idea in services.case_ideas(session, person_id)])
    registry.add_demo(hooks.DemoPart("feedback", demo.fill))
    # The service worker shows this shell for feedback pages when the phone is offline.
    app.extensions.setdefault("offline_shells", {})["/feedback/"] = "/feedback/offline"
