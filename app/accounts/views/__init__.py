"""Accounts views, one blueprint split by purpose: ceremony (the passkey machinery, sign-in and
sign-out), links (setup, invite and recovery links, each ending in a passkey registration),
teams, profile (name, language, passkeys, sessions, Mijn gegevens, deletion) and security_log
(one's own security events and the organisation's log). Endpoint names are the blueprint's
(`accounts.login`, ...), whichever module holds the view."""
from __future__ import annotations

from flask import Blueprint, current_app, g, render_template, request, session
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.exceptions import Forbidden, NotFound

from app import access, hooks, reads
from app.accounts import login_sessions, services
from app.extensions import db, limiter, login_manager

bp = Blueprint("accounts", __name__)
access.answer_with(bp, services.NotAllowed, lambda _exc: Forbidden())
access.answer_with(bp, services.Unknown, lambda _exc: NotFound())

CEREMONY = "webauthn_ceremony"
auth_limit = limiter.limit(lambda: current_app.config["RATELIMIT_AUTH"], methods=["POST"])
# Opening an invite, setup or recovery link is guessing at a token: limited per address as well.
link_limit = limiter.limit(lambda: current_app.config["RATELIMIT_AUTH"], methods=["GET", "POST"])
# The sign-in page asks for options on every load (passkey autofill), so this one is looser.
options_limit = limiter.limit(lambda: current_app.config["RATELIMIT_PASSKEY_OPTIONS"], methods=["POST"])


def session_policy() -> login_sessions.SessionPolicy:
    return login_sessions.policy(current_app.config)


@login_manager.user_loader
def load_person(login_id: str):
    """Sessions carry "<person id>.<token>" and live as long as their PersonSession row."""
    person = login_sessions.resume(db.session, login_id, session_policy(), columns=sign_in_columns())
    if person is not None and person.login_session_touched:
        with reads.standalone_write():  # also in a GET, which has no transaction (app/reads.py)
            db.session.commit()  # the occasional last_seen_at; nothing else is pending this early
        session.modified = True  # the cookie's 30 days restart with it (SESSION_REFRESH_EACH_REQUEST)
    return person


def sign_in_columns() -> tuple:
    """What the sign-in reads along for the page (the unread badge): only for a whole page that
    only reads (app/reads.py). A fragment (a live round's state, polled) shows no navigation, and
    any other request counts again."""
    if g.get("reads_only") and "HX-Request" not in request.headers:
        return hooks.of().sign_in_columns
    return ()


@bp.before_app_request
def _load_person_first():
    """Resolve the signed-in person before any view writes, so the loader's commit stands alone."""
    if request.endpoint != "static":
        current_user._get_current_object()


login_manager.login_view = "accounts.login"
login_manager.login_message = _l("Log in om verder te gaan.")
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"


@bp.errorhandler(services.LinkUnusable)
def link_unusable_page(exc: services.LinkUnusable):
    """An unknown link is 404 (as if never made); a used or expired one 410, with a kind word."""
    status = 404 if exc.reason == "unknown" else 410
    return render_template("accounts/link_unusable.html", reason=exc.reason), status


from app.accounts.views import ceremony, links, profile, security_log, teams  # noqa: E402,F401  (registers the views)
