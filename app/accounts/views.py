"""Accounts views: setup, invites, passkey sign-in and registration, teams, profile."""
from __future__ import annotations

import json

from flask import (
    Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template, request,
    session, url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from jinja2_fragments.flask import render_block
from webauthn.helpers import bytes_to_base64url

from app import hooks
from app.accounts import passkeys, services
from app.accounts.forms import InviteForm, JoinForm, ProfileForm, SetupForm, TeamForm
from app.accounts.models import LinkPurpose, Membership, Person, Role, new_user_handle
from app.devices import device_label
from app.extensions import db, limiter, login_manager
from app.notify import services as notify_services

bp = Blueprint("accounts", __name__)

CEREMONY = "webauthn_ceremony"
auth_limit = limiter.limit(lambda: current_app.config["RATELIMIT_AUTH"], methods=["POST"])
# The sign-in page asks for options on every load (passkey autofill), so this one is looser.
options_limit = limiter.limit("30 per minute", methods=["POST"])


@login_manager.user_loader
def load_person(session_id: str):
    """Sessions carry "id.epoch"; a bumped epoch (recovery, removed passkey) ends them."""
    person_id, _sep, epoch = session_id.partition(".")
    if not (person_id.isdigit() and epoch.isdigit()):
        return None
    person = db.session.get(Person, int(person_id))
    if person is None or person.session_epoch != int(epoch):
        return None
    return person


login_manager.login_view = "accounts.login"
login_manager.login_message = _l("Log in om verder te gaan.")
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"


def relying_party() -> passkeys.RelyingParty:
    cfg = current_app.config
    return passkeys.RelyingParty(cfg["WEBAUTHN_RP_ID"], cfg["WEBAUTHN_RP_NAME"], cfg["WEBAUTHN_ORIGIN"],
                                 cfg["CHALLENGE_SECONDS"])


def sign_in(person: Person) -> None:
    """A new session for a new sign-in: nothing from before survives (no session fixation)."""
    session.clear()
    login_user(person, remember=True)
    session.permanent = True


def credential_from_request() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not isinstance(data.get("credential"), dict):
        abort(400)
    return data["credential"]


def json_error(message: str, status: int = 400, **extra) -> Response:
    return jsonify({"error": message, **extra}), status


# Registration ceremonies ------------------------------------------------------------------

def start_registration(*, template_title, user_handle: bytes, user_name: str, display_name: str,
                       verify_url: str, person: Person | None = None, link_id=None, payload=None,
                       intro=None):
    """Create the challenge and render the one-button passkey step."""
    options, handle = passkeys.registration_options(
        db.session, relying_party(), user_handle=user_handle, user_name=user_name,
        display_name=display_name, existing=person.passkeys if person else [],
        person_id=person.id if person else None, link_id=link_id, payload=payload,
    )
    session[CEREMONY] = handle
    db.session.commit()
    return render_template("accounts/passkey_step.html", title=template_title, options=json.loads(options),
                           verify_url=verify_url, intro=intro)


def renew_registration(pending: passkeys.PendingCeremony, person: Person | None, user_handle: bytes,
                       user_name: str) -> str:
    """A fresh challenge after a failed try, so one more tap can succeed."""
    options, handle = passkeys.registration_options(
        db.session, relying_party(), user_handle=user_handle, user_name=user_name,
        display_name=user_name, existing=person.passkeys if person else [],
        person_id=pending.person_id, link_id=pending.link_id, payload=pending.payload,
    )
    session[CEREMONY] = handle
    return json.loads(options)


def finish_registration(link_purpose: LinkPurpose | None, token: str | None, complete,
                        person_id: int | None = None):
    """Verify the new credential, then let `complete(pending, link)` create or find the person.

    `person_id` is set when a signed-in person adds a passkey: the ceremony must be theirs.
    """
    try:
        pending = passkeys.take_challenge(db.session, session.pop(CEREMONY, None), "register")
        if person_id is not None and pending.person_id != person_id:
            raise passkeys.PasskeyError("ceremony of another person")
    except passkeys.PasskeyError:
        db.session.commit()
        return json_error(_("Deze stap is verlopen. Vernieuw de pagina en probeer het opnieuw."), 400,
                          reload=True)
    link = None
    if link_purpose is not None:
        try:
            link = services.find_link(db.session, token, link_purpose)
        except services.LinkUnusable:
            db.session.commit()
            return json_error(_("Deze link is niet meer geldig."), 410, reload=True)
        if pending.link_id != link.id:
            db.session.commit()
            return json_error(_("Deze stap hoort bij een andere link."), 400, reload=True)
    credential = credential_from_request()
    try:
        new = passkeys.verify_registration(relying_party(), pending, credential)
    except passkeys.PasskeyError as exc:
        current_app.logger.info("passkey registration refused: %s", exc)
        user_handle = _payload_handle(pending)
        person = db.session.get(Person, pending.person_id) if pending.person_id else None
        name = person.name if person else pending.payload.get("person_name", "")
        options = renew_registration(pending, person, user_handle or person.user_handle, name)
        db.session.commit()
        return json_error(_("Je passkey kon niet worden gecontroleerd. Probeer het nog eens."), 400,
                          options=options)
    if link is not None:
        services.consume_link(db.session, link.id)
    person = complete(pending, link)
    passkeys.person_for_new_credential(person, new, device_label())
    db.session.commit()
    sign_in(person)
    return jsonify({"redirect": url_for("web.today")})


def _payload_handle(pending: passkeys.PendingCeremony) -> bytes | None:
    value = pending.payload.get("user_handle")
    return bytes.fromhex(value) if value else None


def link_unusable_page(reason: str):
    status = 404 if reason == "unknown" else 410
    return render_template("accounts/link_unusable.html", reason=reason), status


# Setup ------------------------------------------------------------------------------------

@bp.route("/setup/<token>", methods=["GET", "POST"])
@auth_limit
def setup(token):
    try:
        link = services.find_link(db.session, token, LinkPurpose.SETUP)
    except services.LinkUnusable as exc:
        return link_unusable_page(exc.reason)
    form = SetupForm()
    if not form.validate_on_submit():
        return render_template("accounts/setup.html", form=form), 422 if form.is_submitted() else 200
    handle = new_user_handle()
    payload = {"organisation_name": form.organisation_name.data, "team_name": form.team_name.data,
               "person_name": form.person_name.data, "user_handle": handle.hex()}
    return start_registration(
        template_title=_("Maak je passkey"), user_handle=handle, user_name=form.person_name.data,
        display_name=form.person_name.data, verify_url=url_for(".setup_verify", token=token),
        link_id=link.id, payload=payload,
        intro=_("Met een passkey log je in met je vingerafdruk, gezicht of pincode van je telefoon. "
                "Geen wachtwoord nodig."),
    )


@bp.post("/setup/<token>/passkey")
@auth_limit
def setup_verify(token):
    def complete(pending, _link):
        person = services.create_organisation(
            db.session, organisation_name=pending.payload["organisation_name"],
            team_name=pending.payload["team_name"], person_name=pending.payload["person_name"])
        person.user_handle = _payload_handle(pending)
        return person
    return finish_registration(LinkPurpose.SETUP, token, complete)


# Invites ----------------------------------------------------------------------------------

@bp.route("/invite/<token>", methods=["GET", "POST"])
@auth_limit
def invite(token):
    try:
        link = services.find_link(db.session, token, LinkPurpose.INVITE)
    except services.LinkUnusable as exc:
        return link_unusable_page(exc.reason)
    form = JoinForm()
    if not form.validate_on_submit():
        return (render_template("accounts/join.html", form=form, link=link),
                422 if form.is_submitted() else 200)
    handle = new_user_handle()
    payload = {"person_name": form.person_name.data, "user_handle": handle.hex()}
    return start_registration(
        template_title=_("Maak je passkey"), user_handle=handle, user_name=form.person_name.data,
        display_name=form.person_name.data, verify_url=url_for(".invite_verify", token=token),
        link_id=link.id, payload=payload,
        intro=_("Met een passkey log je in met je vingerafdruk, gezicht of pincode van je telefoon. "
                "Geen wachtwoord nodig."),
    )


@bp.post("/invite/<token>/passkey")
@auth_limit
def invite_verify(token):
    def complete(pending, link):
        person = services.accept_invite(db.session, link, person_name=pending.payload["person_name"])
        person.user_handle = _payload_handle(pending)
        team = link.team
        for lead_id in services.invite_recipients(db.session, link):
            notify_services.notify(
                db.session, lead_id, "invite_accepted",
                title=_("%(name)s doet mee", name=person.name),
                body=_("%(name)s heeft je uitnodiging voor %(team)s aangenomen.", name=person.name, team=team.name),
                url=url_for(".team", team_id=team.id))
        return person
    return finish_registration(LinkPurpose.INVITE, token, complete)


# Recovery ---------------------------------------------------------------------------------

@bp.route("/recover/<token>", methods=["GET", "POST"])
@auth_limit
def recover(token):
    try:
        link = services.find_link(db.session, token, LinkPurpose.RECOVERY)
    except services.LinkUnusable as exc:
        return link_unusable_page(exc.reason)
    person = link.person
    return start_registration(
        template_title=_("Nieuwe passkey voor %(name)s", name=person.name), user_handle=person.user_handle,
        user_name=person.name, display_name=person.name, verify_url=url_for(".recover_verify", token=token),
        person=person, link_id=link.id,
        intro=_("Je oude telefoon kan hierna niet meer inloggen totdat je opnieuw inlogt met een passkey "
                "die je nog hebt."),
    )


@bp.post("/recover/<token>/passkey")
@auth_limit
def recover_verify(token):
    def complete(_pending, link):
        return services.recover(db.session, link)
    return finish_registration(LinkPurpose.RECOVERY, token, complete)


# Sign-in ----------------------------------------------------------------------------------

@bp.get("/login")
def login():
    if current_user.is_authenticated:
        return redirect(url_for("web.today"))
    return render_template("accounts/login.html", next=_safe_next(request.args.get("next")))


def _safe_next(target: str | None) -> str | None:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


def login_ceremony_key(mediation) -> str:
    """Passkey autofill and the sign-in button run side by side; each keeps its own challenge."""
    return f"{CEREMONY}:{'conditional' if mediation == 'conditional' else 'button'}"


@bp.post("/login/options")
@options_limit
def login_options():
    mediation = (request.get_json(silent=True) or {}).get("mediation")
    options, handle = passkeys.authentication_options(db.session, relying_party())
    passkeys.purge_expired_challenges(db.session)
    session[login_ceremony_key(mediation)] = handle
    db.session.commit()
    return Response(options, mimetype="application/json")


@bp.post("/login/verify")
@auth_limit
def login_verify():
    credential = credential_from_request()
    mediation = request.get_json(silent=True).get("mediation")
    try:
        pending = passkeys.take_challenge(db.session, session.pop(login_ceremony_key(mediation), None), "login")
        passkey = passkeys.verify_authentication(db.session, relying_party(), pending, credential)
    except passkeys.PasskeyError as exc:
        current_app.logger.info("passkey sign-in refused: %s", exc)
        db.session.commit()
        return json_error(_("Inloggen is niet gelukt. Gebruik een passkey die je voor Leerkring hebt "
                            "gemaakt, of vraag je teamleider om een herstellink."), 400)
    person = passkey.person
    db.session.commit()
    sign_in(person)
    target = _safe_next((request.get_json(silent=True) or {}).get("next")) or url_for("web.today")
    return jsonify({"redirect": target})


@bp.post("/logout")
def logout():
    session.clear()
    logout_user()  # after clear(): it leaves the note that removes the remember-me cookie
    flash(_("Je bent uitgelogd."), "info")
    return redirect(url_for(".login"))


# Teams ------------------------------------------------------------------------------------

def visible_team(team_id: int):
    team = services.team_for(db.session, current_user, team_id)
    if team is None:
        abort(404)
    return team


def render_team(team, invite_form=None, issued=None, status=200):
    can_lead = services.can_lead(db.session, current_user, team)
    members = sorted(team.memberships, key=lambda m: (m.role != Role.LEAD, m.person.name.lower()))
    context = dict(team=team, members=members, can_lead=can_lead,
                   invite_form=invite_form or InviteForm(), issued=issued,
                   pending=services.pending_invites(db.session, team) if can_lead else [])
    if request.headers.get("HX-Request") and invite_form is not None:
        return render_block("accounts/team.html", "invite_panel", **context), status
    return render_template("accounts/team.html", **context), status


@bp.get("/teams/<int:team_id>")
@login_required
def team(team_id):
    return render_team(visible_team(team_id))


@bp.post("/teams/<int:team_id>/invites")
@login_required
@auth_limit
def create_invite(team_id):
    team = visible_team(team_id)
    if not services.can_lead(db.session, current_user, team):
        abort(404 if services.membership(db.session, current_user, team.id) is None else 403)
    form = InviteForm()
    if not form.validate_on_submit():
        return render_team(team, invite_form=form, status=422)
    issued = services.issue_invite(db.session, team=team, role=form.role.data, make_admin=False,
                                   email=form.email.data, created_by=current_user,
                                   days=current_app.config["INVITE_DAYS"])
    db.session.commit()
    url = f"{current_app.config['APP_URL']}{url_for('.invite', token=issued.token)}"
    return render_team(team, invite_form=InviteForm(formdata=None), issued=url)


@bp.post("/teams/<int:team_id>/members/<int:person_id>/recovery")
@login_required
@auth_limit
def issue_recovery(team_id, person_id):
    team = visible_team(team_id)
    person = db.session.get(Person, person_id)
    if person is None or db.session.get(Membership, (person_id, team.id)) is None:
        abort(404)
    try:
        issued = services.issue_recovery(db.session, person=person, issued_by=current_user,
                                         hours=current_app.config["RECOVERY_HOURS"])
    except services.NotAllowed:
        abort(403)
    db.session.commit()
    url = f"{current_app.config['APP_URL']}{url_for('.recover', token=issued.token)}"
    return render_template("accounts/recovery_link.html", team=team, person=person, url=url,
                           hours=current_app.config["RECOVERY_HOURS"])


@bp.route("/teams/new", methods=["GET", "POST"])
@login_required
def new_team():
    if not current_user.is_admin:
        abort(404)
    form = TeamForm()
    if form.validate_on_submit():
        if services.team_name_taken(db.session, current_user.organisation_id, form.team_name.data):
            form.team_name.errors.append(_("Er is al een team met deze naam."))
        else:
            team = services.create_team(db.session, current_user.organisation, form.team_name.data,
                                        current_user)
            db.session.commit()
            return redirect(url_for(".team", team_id=team.id))
    return render_template("accounts/new_team.html", form=form), 422 if form.errors else 200


# Profile ----------------------------------------------------------------------------------

@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm()
    if request.method == "GET":
        form.person_name.data = current_user.name
        form.locale.data = current_user.locale or ""
    elif form.validate_on_submit():
        current_user.name = form.person_name.data
        current_user.locale = form.locale.data or None
        db.session.commit()
        flash(_("Opgeslagen."), "success")
        return redirect(url_for(".profile"))
    return (render_template("accounts/profile.html", form=form),
            422 if form.errors else 200)


@bp.post("/profile/passkeys/new")
@login_required
def add_passkey():
    return start_registration(
        template_title=_("Nog een passkey"), user_handle=current_user.user_handle,
        user_name=current_user.name, display_name=current_user.name,
        verify_url=url_for(".add_passkey_verify"), person=current_user, payload={},
        intro=_("Maak een passkey op een ander apparaat, bijvoorbeeld je tweede telefoon, zodat je altijd "
                "kunt inloggen."),
    )


@bp.post("/profile/passkeys/verify")
@login_required
def add_passkey_verify():
    person = current_user._get_current_object()
    return finish_registration(None, None, lambda _pending, _link: person, person_id=person.id)


@bp.post("/profile/passkeys/<int:passkey_id>/remove")
@login_required
def remove_passkey(passkey_id):
    try:
        services.remove_passkey(db.session, current_user, passkey_id)
    except services.NotAllowed:
        abort(404)
    except services.LastPasskey:
        flash(_("Dit is je enige passkey. Maak eerst een nieuwe voordat je deze verwijdert."), "error")
        return redirect(url_for(".profile"))
    db.session.commit()
    flash(_("Passkey verwijderd."), "success")
    return redirect(url_for(".profile"))


@bp.get("/profile/export")
@login_required
def export():
    data = services.export_person(db.session, current_user, hooks.of().exports)
    body = json.dumps(data, ensure_ascii=False, indent=2)
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": 'attachment; filename="leerkring-mijn-gegevens.json"'})


@bp.route("/profile/delete", methods=["GET", "POST"])
@login_required
def delete_account():
    if request.method == "POST":
        services.delete_person(db.session, current_user._get_current_object(), hooks.of().erasers)
        db.session.commit()
        session.clear()
        logout_user()
        flash(_("Je account en je gegevens zijn verwijderd."), "info")
        return redirect(url_for(".login"))
    return render_template("accounts/delete.html")
