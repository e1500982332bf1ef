"""Intervisie: methods, rounds, the phase machine, live rounds and reflections."""
from __future__ import annotations

from datetime import timedelta

from flask import Flask, g
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


def seats(session, person, now):
    """The person's coming rounds with their seat, read once per Vandaag: both cards below use them."""
    from app.intervisie import services
    memo = g.setdefault("intervisie_seats", {})
    if (person.id, now) not in memo:
        memo[(person.id, now)] = services.upcoming_seats(session, person.id, now, limit=4)
    return memo[(person.id, now)]


def next_round(session, person, now):
    from app.intervisie import services
    return services.next_round(session, person.id, now, seats(session, person, now))


def next_card(session, person, now) -> dict | None:
    """The one round that needs this person now or soon, with their role and next step."""
    nxt = next_round(session, person, now)
    return {"next": nxt} if nxt else None


def upcoming_card(session, person, now) -> dict | None:
    """Later rounds (the next one leads in its own card when it is near)."""
    nxt = next_round(session, person, now)
    rounds = [r for r, _me, _ready in seats(session, person, now) if not nxt or r.id != nxt.round.id][:3]
    return {"upcoming": rounds} if rounds else None


def init_app(app: Flask) -> None:
    from app.intervisie import demo, notifications, privacy, services, views

    app.register_blueprint(views.bp)
    app.extensions["intervisie.stream_guard"] = views.live.new_stream_guard()
    registry = hooks.of(app)
    registry.add_nav(hooks.NavItem("intervisie.index", _l("Intervisie"), "circle", 20))
    for kind in KINDS:
        registry.add_kind(kind)
    registry.add_card(hooks.TodayCard("intervisie-next", "intervisie/_today_next.html", next_card, order=hooks.TODAY_NOW))
    registry.add_card(hooks.TodayCard("intervisie-upcoming", "intervisie/_today_rounds.html", upcoming_card,
                                      order=hooks.TODAY_LATER))
    registry.add_job(hooks.Job("intervisie-reminders", notifications.send_reminders, interval=timedelta(seconds=30)))
    registry.add_job(hooks.Job("intervisie-case-retention", privacy.logged("cases", services.purge_cases),
                               interval=timedelta(hours=1)))
    registry.add_job(hooks.Job("intervisie-plan-submissions", privacy.logged("plan_submissions", services.purge_submissions),
                               interval=timedelta(hours=1)))
    registry.add_demo(hooks.DemoPart("intervisie", demo.fill))
    for part in privacy.EXPORTS:
        registry.add_export(part)
    registry.add_eraser(hooks.Eraser("intervisie", privacy.erase))
    for rule in privacy.RETENTION:
        registry.add_retention(rule)
