"""The shell around the features: Vandaag, the PWA files, navigation, errors, template helpers."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from flask import Blueprint, Flask, Response, current_app, redirect, render_template, request, url_for
from flask_babel import format_datetime, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from jinja2_fragments.flask import render_block

from app import access, hooks
from app.extensions import db
from app.models_base import utcnow

bp = Blueprint("web", __name__)


@bp.get("/")
@access.signed_in
def today():
    """Vandaag: every feature's cards, in their order; a card with nothing to say is left out."""
    now = utcnow()
    cards = []
    for card in hooks.of().cards:
        data = card.load(db.session, current_user, now)
        if data is not None:
            cards.append((card, data))
    return render_template("today.html", cards=cards)


@bp.get("/offline")
@access.public
def offline():
    # Cached by the service worker; holds nothing personal (no user, no CSRF token).
    response = Response(render_template("offline.html", anonymous=True))
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/manifest.webmanifest")
@access.public
def manifest():
    asset_url = current_app.jinja_env.globals["asset_url"]
    data = {
        "id": "/",
        "name": "Leerkring",
        "short_name": "Leerkring",
        "description": str(_l("Leer van je collega's tijdens je werk: intervisie, feedback en buddies.")),
        "lang": str(get_locale() or "nl"),
        "start_url": "/?source=app",  # read by nothing; an old install's ?bron=app is ignored too
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "theme_color": "#0b6e69",
        "background_color": "#f6f4ef",
        "categories": ["education", "productivity"],
        "icons": [
            {"src": asset_url("icons/icon-192.png"), "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": asset_url("icons/icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any"},
            {"src": asset_url("icons/maskable-512.png"), "sizes": "512x512", "type": "image/png",
             "purpose": "maskable"},
        ],
    }
    response = Response(json.dumps(data, ensure_ascii=False), mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "no-cache"
    return response


def service_worker_source(app: Flask) -> bytes:
    """sw.js with the list of files to precache and a version that changes with any of them.

    Because the version is part of the script, a deploy that changes any asset changes sw.js
    byte for byte, which is what makes the browser install the new worker.
    """
    assets = app.extensions["assets"]
    # Offline shells: a feature's page without anything personal, shown for its addresses when
    # there is no network (path prefix -> shell URL); see docs/architecture.md, "Feedback".
    shells = dict(sorted(app.extensions.get("offline_shells", {}).items()))
    precache = sorted(assets.all_urls()) + ["/offline"] + sorted(shells.values())
    body = (Path(app.static_folder) / "sw.js").read_bytes()
    version = hashlib.sha256(body + json.dumps(precache).encode()).hexdigest()[:12]
    header = (f"const VERSION = {json.dumps(version)};\nconst PRECACHE = {json.dumps(precache)};\n"
              f"const SHELLS = {json.dumps(shells)};\n")
    return header.encode() + body


@bp.get("/sw.js")
@access.public
def service_worker():
    response = Response(service_worker_source(current_app), mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.get("/robots.txt")
@access.public
def robots():
    return Response("User-agent: *\nDisallow: /\n", mimetype="text/plain")


def nl_datetime(value, fmt="EEE d MMM, HH:mm"):
    """Dates as people in the Netherlands write them (di 3 dec, 14:30), in Europe/Amsterdam."""
    return format_datetime(value, fmt) if value else ""


def error_page(status: int, title, message):
    """The friendly error page; to htmx, a small fragment for the page's error region.

    htmx 4 swaps error responses like any other, into whatever asked (a live state, a form). A
    whole document there would nest a page in the page, and even a fragment would wipe what the
    person was doing, so the fragment goes to #request-error (base.html) and the rest stays.
    """
    context = dict(status=status, title=title, message=message)
    if not request.headers.get("HX-Request"):
        response = Response(render_template("error.html", **context), status)
    else:
        response = Response(render_block("error.html", "fragment", **context), status)
        response.headers["HX-Retarget"] = "#request-error"
        response.headers["HX-Reswap"] = "innerHTML"
    response.vary.add("HX-Request")
    return response


def init_app(app: Flask) -> None:
    from app import actions, legacy_urls

    app.register_blueprint(bp)
    legacy_urls.init_app(app)  # old English addresses kept in mails and bookmarks, sent on (301)
    actions.init_app(app)  # personal actions on Vandaag, shared by the features
    registry = hooks.of(app)
    registry.add_nav(hooks.NavItem("web.today", _l("Vandaag"), "home", 10))
    registry.add_card(hooks.TodayCard("install-hint", "_partials/install_hint.html", lambda *_: {},
                                      order=hooks.TODAY_DEVICE + 1))
    app.jinja_env.filters["datetime"] = nl_datetime
    app.jinja_env.globals["now"] = utcnow
    app.jinja_env.add_extension("jinja2.ext.do")

    @app.context_processor
    def template_globals():
        return {"nav_items": registry.nav, "locale": str(get_locale() or "nl")}

    @app.errorhandler(404)
    def not_found(_error):
        return error_page(404, _l("Niet gevonden"),
                          _l("Deze pagina bestaat niet, of je hebt er geen toegang toe."))

    @app.errorhandler(403)
    def forbidden(_error):
        return error_page(403, _l("Geen toegang"),
                          _l("Dit kan alleen met een andere rol, bijvoorbeeld als teamleider. Vraag het je "
                             "teamleider als je denkt dat dit niet klopt."))

    @app.errorhandler(409)
    def conflict(_error):
        return error_page(409, _l("Dat kan nu niet meer"),
                          _l("Dit is intussen veranderd, bijvoorbeeld omdat de ronde al begonnen of afgelast "
                             "is. Vernieuw de pagina en kijk opnieuw."))

    @app.errorhandler(413)
    def too_large(_error):
        return error_page(413, _l("Dat is te groot"),
                          _l("Wat je stuurde is te groot om te bewaren. Maak het korter en probeer het opnieuw."))

    @app.errorhandler(405)
    def method_not_allowed(_error):
        return error_page(405, _l("Dat kan hier niet"), _l("Deze actie werkt niet op deze pagina."))

    @app.errorhandler(CSRFError)
    def csrf_failed(_error):
        return error_page(400, _l("Probeer het nog eens"),
                          _l("Je sessie was verlopen of de pagina was te oud. Ga terug, vernieuw de pagina "
                             "en probeer het opnieuw."))

    @app.errorhandler(400)
    def bad_request(_error):
        return error_page(400, _l("Dat ging niet goed"), _l("Het verzoek klopte niet. Probeer het opnieuw."))

    @app.errorhandler(429)
    def too_many(_error):
        return error_page(429, _l("Even rustig aan"),
                          _l("Je hebt dit te vaak geprobeerd. Wacht een minuut en probeer het dan opnieuw."))

    @app.errorhandler(500)
    def server_error(_error):
        db.session.rollback()
        return error_page(500, _l("Er ging iets mis"),
                          _l("Er ging aan onze kant iets mis. Probeer het over een paar minuten opnieuw."))
