"""Buddies: schemes, explainable matching (pure, matching.py) and periodic rotation."""
from __future__ import annotations

from datetime import timedelta

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l

from app import hooks
from app.hooks import NotificationKind as Kind

KINDS = (
    Kind("buddy_new", _l("Nieuwe buddy"), _l("Wie je nieuwe buddy is, zodra de wissel bekend is."),
         ttl=timedelta(days=3)),
    Kind("buddy_meet", _l("Buddy wil afspreken"), _l("Je buddy stelt een eerste afspraak voor."),
         ttl=timedelta(days=3)),
    Kind("buddy_publish_tomorrow", _l("Buddy's wisselen morgen"),
         _l("Voor teamleiders: een dag voor een automatische wissel, zodat je het voorstel nog kunt bekijken."),
         ttl=timedelta(days=1)),
)


def today_card(session, person, now) -> dict | None:
    """My buddy, why, three first questions and one tap; for a lead without a buddy, their schemes."""
    from app.buddies import reasons, services
    groups = services.my_groups(session, person.id)
    pause = services.my_pause(session, person, now.astimezone(services.AMSTERDAM).date())
    managed = services.schemes_managed(session, person)
    if not groups and not pause and not managed:
        return None
    return {"groups": [{"mine": g, "why": reasons.explain(g.group.reasons, g.group.onboarding),
                        "questions": reasons.first_questions(g.group.id)} for g in groups],
            "pause": pause, "managed": managed,
            "can_ask_feedback": "feedback.ask" in current_app.view_functions}


def current_buddies(session, person_id: int) -> list[int]:
    from app.buddies import services
    return services.current_buddies(session, person_id)


def export(session, person):
    from app.buddies import services
    return services.export(session, person)


def erase(session, person) -> None:
    from app.buddies import services
    services.erase(session, person)


def init_app(app: Flask) -> None:
    from app.buddies import demo, notifications, views

    app.register_blueprint(views.bp)
    registry = hooks.of(app)
    for kind in KINDS:
        registry.add_kind(kind)
    registry.add_card(hooks.TodayCard("buddies", "buddies/_today_card.html", today_card, order=hooks.TODAY_PEOPLE))
    registry.add_job(hooks.Job("buddies-rotation", notifications.run_schedule,
                               interval=timedelta(minutes=10)))
    registry.add_export(hooks.ExportPart("buddies", _l("Buddy's"), export))
    registry.add_eraser(hooks.Eraser("buddies", erase))
    registry.add_demo(hooks.DemoPart("buddies", demo.fill))
    registry.provide("current_buddies", current_buddies)
    registry.add_profile_link(hooks.ProfileLink("buddies.index", _l("Je buddy's, ervaring en pauze"), order=20))
