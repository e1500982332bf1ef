"""Intervisie: methods, rounds, the phase machine, live rounds and reflections."""
from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask_babel import lazy_gettext as _l

from app import hooks
from app.hooks import NotificationKind as Kind

KINDS = (
    Kind("round_planned", _l("Nieuwe intervisie"), _l("Je bent uitgenodigd voor een intervisieronde."),
         ttl=timedelta(days=3)),
    Kind("round_changed", _l("Intervisie gewijzigd"), _l("Een ronde waar je aan meedoet is verplaatst of aangepast."),
         ttl=timedelta(days=2)),
    Kind("round_cancelled", _l("Intervisie afgelast"), _l("Een ronde waar je aan meedoet gaat niet door."),
         ttl=timedelta(days=2), urgency="high"),
    Kind("round_reminder", _l("Herinnering"), _l("Een herinnering op de ochtend van de ronde en een uur vooraf."),
         ttl=timedelta(hours=12)),
    Kind("round_started", _l("De ronde begint"), _l("De gespreksleider is begonnen: één tik en je doet mee."),
         ttl=timedelta(hours=2), urgency="high"),
    Kind("case_removed", _l("Casus verwijderd"),
         _l("Je bent niet meer de inbrenger van een ronde; je voorbereide casus is daarom verwijderd."),
         ttl=timedelta(days=2), optional=False),
    Kind("open_action", _l("Open actie"), _l("Voor de volgende ronde: de actie die je jezelf gaf."),
         ttl=timedelta(days=2), urgency="low"),
)


def upcoming_card(session, person, now) -> dict | None:
    from app.intervisie import services
    rounds = services.upcoming(session, person.id, now, limit=3)
    return {"upcoming": rounds} if rounds else None


def actions_card(session, person, _now) -> dict | None:
    from app.intervisie import services
    actions = services.my_open_actions(session, person.id)
    return {"actions": actions} if actions else None


def init_app(app: Flask) -> None:
    from app import live
    from app.intervisie import demo, notifications, services, views

    app.extensions["live"] = live.broker_for(app.config.get("REDIS_URL"), app.config.get("LIVE_CHANNEL_PREFIX", live.PREFIX))
    app.extensions["live_streams"] = live.StreamLimits()
    app.register_blueprint(views.bp)
    registry = hooks.of(app)
    registry.add_nav(hooks.NavItem("intervisie.index", _l("Intervisie"), "circle", 20))
    for kind in KINDS:
        registry.add_kind(kind)
    registry.add_card(hooks.TodayCard("intervisie-upcoming", "intervisie/_today_rounds.html", upcoming_card, order=20))
    registry.add_card(hooks.TodayCard("intervisie-actions", "intervisie/_today_actions.html", actions_card, order=30))
    registry.add_job(hooks.Job("intervisie-reminders", notifications.in_request_context(app, notifications.send_reminders),
                               interval=timedelta(seconds=30)))
    registry.add_job(hooks.Job("intervisie-case-retention", services.purge_cases, interval=timedelta(hours=1)))
    registry.add_job(hooks.Job("intervisie-plan-submissions", services.purge_submissions, interval=timedelta(hours=1)))
    registry.add_demo(hooks.DemoPart("intervisie", demo.fill))
