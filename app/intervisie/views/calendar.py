"""Calendars: a round's .ics, the private feed and its settings."""
from __future__ import annotations

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import access
from app.extensions import db
from app.intervisie import calendar
from app.intervisie.loaders import ROUND
from app.intervisie.views import bp


# Calendar and the lead's overview ----------------------------------------------------------------

@bp.get("/rondes/<int:round_id>.ics")
@access.rule(ROUND, "viewer")
def round_ics(round_id):
    acc = access.loaded()
    body = calendar.feed([acc.round], current_app.config["APP_URL"], name=acc.round.title)
    return Response(body, mimetype="text/calendar",
                    headers={"Content-Disposition": f'attachment; filename="intervisie-{round_id}.ics"',
                             "Cache-Control": "no-store"})


@bp.route("/agenda", methods=["GET", "POST"])
@access.signed_in
def calendar_settings():
    url = None
    if request.method == "POST":
        token = calendar.new_feed(db.session, current_user.id)
        db.session.commit()
        url = f"{current_app.config['APP_URL']}{url_for('.calendar_feed', token=token)}"
    return render_template("intervisie/agenda.html", url=url,
                           has_feed=calendar.has_feed(db.session, current_user.id))


@bp.post("/agenda/intrekken")
@access.signed_in
def calendar_revoke():
    calendar.revoke(db.session, current_user.id)
    db.session.commit()
    flash(_("Je agendalink werkt niet meer."), "info")
    return redirect(url_for(".calendar_settings"))


@bp.get("/agenda/<token>.ics")
@access.token
def calendar_feed(token):
    """The private feed: no sign-in (calendar apps cannot), the unguessable token is the key."""
    person_id = access.found(calendar.person_for(db.session, token))
    rounds = calendar.rounds_for(db.session, person_id)
    # private: the URL is the key, so no shared cache may keep (and hand out) what it answers.
    return Response(calendar.feed(rounds, current_app.config["APP_URL"], name="Leerkring"),
                    mimetype="text/calendar", headers={"Cache-Control": "private, no-store"})


