"""Accounts views: setup, invites, passkey sign-in and registration, teams, profile."""
from __future__ import annotations

import json
import re
from datetime import timedelta

from flask import (
    Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template, request,
    session, url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from webauthn.helpers import bytes_to_base64url

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from werkzeug.exceptions import Forbidden, NotFound

from app import access, hooks
from app.accounts import audit, login_sessions, passkeys, privacy, services
from app.accounts.loaders import TEAM
from app.accounts.forms import InviteForm, JoinForm, ProfileForm, SetupForm, TeamForm
from app.accounts.models import LinkPurpose, Membership, Passkey, Person, Role, Team, new_user_handle
from app.devices import device_label
from app.extensions import db, limiter, login_manager
from app.rendering import page_or_block
from app.notify import services as notify_services

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
    cfg = current_app.config
    return login_sessions.SessionPolicy(idle=timedelta(days=cfg["SESSION_IDLE_DAYS"]),
                                        touch=timedelta(minutes=cfg["SESSION_TOUCH_MINUTES"]))


@login_manager.user_loader
def load_person(login_id: str):
    """Sessions carry "<person id>.<token>" and live as long as their PersonSession row."""
    person = login_sessions.resume(db.session, login_id, session_policy())
    if person is not None and person.login_session_touched:
        db.session.commit()  # the occasional last_seen_at; nothing else is pending this early
    return person


@bp.before_app_request
def _load_person_first():
    """Resolve the signed-in person before any view writes, so the loader's commit stands alone."""
    if request.endpoint != "static":
        current_user._get_current_object()


login_manager.login_view = "accounts.login"
login_manager.login_message = _l("Log in om verder te gaan.")
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"


def relying_party() -> passkeys.RelyingParty:
    cfg = current_app.config
    return passkeys.RelyingParty(cfg["WEBAUTHN_RP_ID"], cfg["WEBAUTHN_RP_NAME"], cfg["WEBAUTHN_ORIGIN"],
                                 cfg["CHALLENGE_SECONDS"])


def sign_in(person: Person, *, passkey_id: int | None = None) -> None:
    """A new session for a new sign-in: nothing from before survives (no session fixation).

    A server-side record is made for the device (and a session this browser had ends), then the
    audit log notes the sign-in; this commits.
    """
    if current_user.is_authenticated and current_user.login_session_id:
        login_sessions.end_session(db.session, current_user.id, current_user.login_session_id)
    record, token = login_sessions.start_session(db.session, person.id, label=device_label(),
                                                 passkey_id=passkey_id)
    audit.record_event(db.session, "sign_in", organisation_id=person.organisation_id, subject_id=person.id,
                       actor_id=person.id, device=record.label)
    db.session.commit()
    person.login_token, person.login_session_id = token, record.id
    session.clear()
    login_user(person, remember=True)
    session.permanent = True


def json_body() -> dict:
    """The JSON object posted, or {} for anything else (a list, a number, no JSON at all)."""
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


def credential_from_request() -> dict:
    credential = json_body().get("credential")
    if not isinstance(credential, dict):
        abort(400)
    return credential


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
    taken = json_error(_("Deze passkey is al in gebruik bij Leerkring. Log ermee in, of maak een nieuwe "
                         "passkey."), 400, reload=True)
    if db.session.scalar(select(Passkey.id).where(Passkey.credential_id == new.credential_id)):
        db.session.commit()
        return taken
    if link is not None:
        try:
            services.consume_link(db.session, link.id)
        except services.LinkUnusable:  # used by a parallel request since find_link looked
            db.session.rollback()
            return json_error(_("Deze link is niet meer geldig."), 410, reload=True)
    person = complete(pending, link)
    passkey = passkeys.person_for_new_credential(person, new, device_label())
    db.session.flush()
    audit.record_event(db.session, "passkey_added", organisation_id=person.organisation_id,
                       subject_id=person.id, actor_id=person.id, passkey=passkey.label)
    try:
        db.session.commit()
    except IntegrityError:
        # The same credential id registered by a racing request: nothing of this one is kept.
        db.session.rollback()
        return taken
    sign_in(person, passkey_id=passkey.id)
    return jsonify({"redirect": url_for("web.today")})


def _payload_handle(pending: passkeys.PendingCeremony) -> bytes | None:
    value = pending.payload.get("user_handle")
    return bytes.fromhex(value) if value else None


@bp.errorhandler(services.LinkUnusable)
def link_unusable_page(exc: services.LinkUnusable):
    """An unknown link is 404 (as if never made); a used or expired one 410, with a kind word."""
    status = 404 if exc.reason == "unknown" else 410
    return render_template("accounts/link_unusable.html", reason=exc.reason), status


# Setup ------------------------------------------------------------------------------------

@bp.route("/setup/<token>", methods=["GET", "POST"])
@access.token
@link_limit
def setup(token):
    link = services.find_link(db.session, token, LinkPurpose.SETUP)
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
@access.token
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
@access.token
@link_limit
def invite(token):
    link = services.find_link(db.session, token, LinkPurpose.INVITE)
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
@access.token
@auth_limit
def invite_verify(token):
    def complete(pending, link):
        person = services.accept_invite(db.session, link, person_name=pending.payload["person_name"])
        person.user_handle = _payload_handle(pending)
        team = link.team
        for lead_id in services.invite_recipients(db.session, link):  # in each lead's language
            notify_services.notify(
                db.session, lead_id, "invite_accepted",
                title=_l("%(name)s doet mee", name=person.name),
                body=_l("%(name)s heeft je uitnodiging voor %(team)s aangenomen.", name=person.name, team=team.name),
                url=url_for(".team", team_id=team.id))
        return person
    return finish_registration(LinkPurpose.INVITE, token, complete)


# Recovery ---------------------------------------------------------------------------------

@bp.route("/recover/<token>", methods=["GET", "POST"])
@access.token
@link_limit
def recover(token):
    """GET shows whose account this is and a button; only its POST makes a challenge."""
    link = services.find_link(db.session, token, LinkPurpose.RECOVERY)
    person = link.person
    if request.method == "GET":
        return render_template("accounts/recover.html", person=person)
    return start_registration(
        template_title=_("Nieuwe passkey voor %(name)s", name=person.name), user_handle=person.user_handle,
        user_name=person.name, display_name=person.name, verify_url=url_for(".recover_verify", token=token),
        person=person, link_id=link.id,
        intro=_("Je oude telefoon kan hierna niet meer inloggen totdat je opnieuw inlogt met een passkey "
                "die je nog hebt."),
    )


@bp.post("/recover/<token>/passkey")
@access.token
@auth_limit
def recover_verify(token):
    def complete(_pending, link):
        return services.recover(db.session, link)
    return finish_registration(LinkPurpose.RECOVERY, token, complete)


# Sign-in ----------------------------------------------------------------------------------

@bp.get("/login")
@access.public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("web.today"))
    return render_template("accounts/login.html", next=_safe_next(request.args.get("next")))


# A plain local path: "/" then visible ASCII that is allowed in a URL path or query, no backslash.
# No whitespace or control character: browsers strip tab, CR and LF, so "/\t/evil.example" is "//evil.example".
LOCAL_PATH = re.compile(r"/(?![/\\])[A-Za-z0-9\-._~!$&'()*+,;=:@%/?#]*")


def _safe_next(target) -> str | None:
    """Where to go after sign-in: only a path on this site, never another host or a scheme."""
    if isinstance(target, str) and len(target) <= 2000 and LOCAL_PATH.fullmatch(target):
        return target
    return None


def login_ceremony_key(mediation) -> str:
    """Passkey autofill and the sign-in button run side by side; each keeps its own challenge."""
    return f"{CEREMONY}:{'conditional' if mediation == 'conditional' else 'button'}"


@bp.post("/login/options")
@access.public
@options_limit
def login_options():
    mediation = json_body().get("mediation")
    options, handle = passkeys.authentication_options(db.session, relying_party())
    passkeys.purge_expired_challenges(db.session)
    session[login_ceremony_key(mediation)] = handle
    db.session.commit()
    return Response(options, mimetype="application/json")


@bp.post("/login/verify")
@access.public
@auth_limit
def login_verify():
    credential = credential_from_request()
    mediation = json_body().get("mediation")
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
    sign_in(person, passkey_id=passkey.id)
    target = _safe_next(json_body().get("next")) or url_for("web.today")
    return jsonify({"redirect": target})


@bp.post("/logout")
@access.public
def logout():
    if current_user.is_authenticated:
        end_own_session("sign_out")
        db.session.commit()
    session.clear()
    logout_user()  # after clear(): it leaves the note that removes the remember-me cookie
    flash(_("Je bent uitgelogd."), "info")
    return redirect(url_for(".login"))


# Teams ------------------------------------------------------------------------------------

def end_own_session(kind: str) -> None:
    """End the session this request runs in (sign-out), with its audit event."""
    person = current_user._get_current_object()
    if person.login_session_id:
        login_sessions.end_session(db.session, person.id, person.login_session_id)
    audit.record_event(db.session, kind, organisation_id=person.organisation_id, subject_id=person.id,
                       actor_id=person.id)


def render_team(team, invite_form=None, issued=None, status=200):
    can_lead = services.can_lead(db.session, current_user, team)
    members = sorted(team.memberships, key=lambda m: (m.role != Role.LEAD, m.person.name.lower()))
    recoverable = {m.person_id for m in members
                   if services.may_issue_recovery(db.session, current_user, m.person)}
    context = dict(team=team, members=members, can_lead=can_lead, recoverable=recoverable,
                   invite_form=invite_form or InviteForm(), issued=issued,
                   pending=services.pending_invites(db.session, team) if can_lead else [])
    if invite_form is not None:  # an invite was made or refused: htmx swaps only the panel
        return page_or_block("accounts/team.html", "invite_panel", status=status, **context)
    return render_template("accounts/team.html", **context), status


@bp.get("/teams/<int:team_id>")
@access.rule(TEAM, "member")
def team(team_id):
    return render_team(access.loaded())


@bp.post("/teams/<int:team_id>/invites")
@access.rule(TEAM, "lead")
@auth_limit
def create_invite(team_id):
    team = access.loaded()
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
@access.rule(TEAM, "member")
@auth_limit
def issue_recovery(team_id, person_id):
    """Anyone who sees the team knows its members; who may issue the link is the service's rule
    (its NotAllowed answers 403)."""
    team = access.loaded()
    person = db.session.get(Person, person_id)
    if person is None or db.session.get(Membership, (person_id, team.id)) is None:
        abort(404)  # someone the viewer cannot see in this team
    issuer = current_user._get_current_object()
    issued = services.issue_recovery(db.session, person=person, issued_by=issuer,
                                     hours=current_app.config["RECOVERY_HOURS"])
    if person.is_admin:
        # An admin's account is the keys to the organisation: its owner hears of this at once.
        notify_services.notify(
            db.session, person.id, "security",
            title=_l("Herstellink voor je account"),
            body=_l("%(name)s heeft een herstellink voor je account gemaakt. Had je daar niet om gevraagd? "
                    "Neem dan meteen contact op met %(name)s.", name=issuer.name),
            url=url_for(".security"))
    db.session.commit()
    url = f"{current_app.config['APP_URL']}{url_for('.recover', token=issued.token)}"
    return render_template("accounts/recovery_link.html", team=team, person=person, url=url,
                           hours=current_app.config["RECOVERY_HOURS"])


@bp.route("/teams/new", methods=["GET", "POST"])
@access.admin
def new_team():
    form = TeamForm()
    if form.validate_on_submit():
        try:
            team = services.create_team(db.session, current_user.organisation, form.team_name.data,
                                        current_user)
        except services.NameTaken:
            form.team_name.errors.append(_("Er is al een team met deze naam."))
        else:
            db.session.commit()
            return redirect(url_for(".team", team_id=team.id))
    return render_template("accounts/new_team.html", form=form), 422 if form.errors else 200


# Profile ----------------------------------------------------------------------------------

@bp.route("/profile", methods=["GET", "POST"])
@access.signed_in
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
    devices = login_sessions.sessions_of(db.session, current_user.id, session_policy())
    return (render_template("accounts/profile.html", form=form, devices=devices,
                            profile_links=hooks.of().profile_links,
                            this_session=current_user.login_session_id),
            422 if form.errors else 200)


@bp.post("/profile/passkeys/new")
@access.signed_in
def add_passkey():
    return start_registration(
        template_title=_("Nog een passkey"), user_handle=current_user.user_handle,
        user_name=current_user.name, display_name=current_user.name,
        verify_url=url_for(".add_passkey_verify"), person=current_user, payload={},
        intro=_("Maak een passkey op een ander apparaat, bijvoorbeeld je tweede telefoon, zodat je altijd "
                "kunt inloggen."),
    )


@bp.post("/profile/passkeys/verify")
@access.signed_in
def add_passkey_verify():
    person = current_user._get_current_object()
    return finish_registration(None, None, lambda _pending, _link: person, person_id=person.id)


@bp.post("/profile/passkeys/<int:passkey_id>/remove")
@access.signed_in
def remove_passkey(passkey_id):
    try:
        services.remove_passkey(db.session, current_user, passkey_id,
                                keep_session_id=current_user.login_session_id)
    except services.LastPasskey:
        flash(_("Dit is je enige passkey. Maak eerst een nieuwe voordat je deze verwijdert."), "error")
        return redirect(url_for(".profile"))
    db.session.commit()
    flash(_("Passkey verwijderd."), "success")
    return redirect(url_for(".profile"))


def record_export(person, fmt: str) -> None:
    audit.record_event(db.session, "data_exported", organisation_id=person.organisation_id, subject_id=person.id,
                       actor_id=person.id, format=fmt)
    db.session.commit()


@bp.get("/profile/export")
@access.signed_in
def export():
    """Mijn gegevens as JSON: every feature's share (hooks.ExportPart), by its key."""
    person = current_user._get_current_object()
    body = privacy.export_json(privacy.export_person(db.session, person, hooks.of().exports))
    record_export(person, "json")
    # Everything about a person: no browser or proxy may keep a copy.
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": 'attachment; filename="leerkring-mijn-gegevens.json"',
                             "Cache-Control": "no-store"})


@bp.get("/profile/gegevens")
@access.signed_in
def my_data():
    """Mijn gegevens to read: the same data as the download, each part under its title."""
    person = current_user._get_current_object()
    parts = hooks.of().exports
    sections = privacy.sections(privacy.export_person(db.session, person, parts), parts)
    record_export(person, "html")
    response = Response(render_template("accounts/my_data.html", sections=sections))
    response.headers["Cache-Control"] = "no-store"
    return response


LAST_ADMIN = _l("Je bent de laatste beheerder van je organisatie. Maak eerst een collega beheerder; daarna kun "
                "je je account verwijderen.")


@bp.route("/profile/delete", methods=["GET", "POST"])
@access.signed_in
def delete_account():
    person = current_user._get_current_object()
    try:
        privacy.check_deletable(db.session, person)
    except privacy.LastAdmin:
        return render_template("accounts/delete.html", blocked=LAST_ADMIN), 409 if request.method == "POST" else 200
    if request.method == "POST":
        privacy.delete_person(db.session, person, hooks.of().erasers)
        db.session.commit()
        session.clear()
        logout_user()
        flash(_("Je account en je gegevens zijn verwijderd."), "info")
        return redirect(url_for(".login"))
    return render_template("accounts/delete.html", blocked=None)


@bp.get("/privacy")
@access.public
def privacy_page():
    """What Leerkring keeps, who sees it and how long: built from the settings the code uses."""
    config = current_app.config
    rules = [(rule.what, rule.who, rule.period(config)) for rule in hooks.of().retention]
    return render_template("accounts/privacy.html", rules=rules, parts=hooks.of().exports,
                           anonymous=not current_user.is_authenticated)


# Sessions and the security log ------------------------------------------------------------

@bp.post("/profile/sessions/<int:session_id>/end")
@access.signed_in
def end_device_session(session_id):
    """Sign out one device from the list on the profile (this one too, which signs out here)."""
    person = current_user._get_current_object()
    if session_id == person.login_session_id:
        return logout()
    if not login_sessions.end_session(db.session, person.id, session_id):
        abort(404)
    audit.record_event(db.session, "sessions_ended", organisation_id=person.organisation_id, subject_id=person.id,
                       actor_id=person.id, count=1, reason="device")
    db.session.commit()
    flash(_("Dat apparaat is uitgelogd."), "success")
    return redirect(url_for(".profile"))


@bp.post("/profile/sessions/end-all")
@access.signed_in
def end_all_sessions():
    """"Log overal uit": every device of this person, this one included."""
    person = current_user._get_current_object()
    ended = login_sessions.end_sessions(db.session, person.id)
    audit.record_event(db.session, "sessions_ended", organisation_id=person.organisation_id, subject_id=person.id,
                       actor_id=person.id, count=ended, reason="everywhere")
    db.session.commit()
    session.clear()
    logout_user()
    flash(_("Je bent op al je apparaten uitgelogd."), "info")
    return redirect(url_for(".login"))


ROLE_LABELS = {Role.MEMBER: _l("Teamlid"), Role.LEAD: _l("Teamleider")}
LOG_PAGE_SIZE = 100


def event_rows(events, organisation_id: int) -> list[dict]:
    """Events as the log pages show them: names and labels, never ids or content."""
    teams = dict(db.session.execute(select(Team.id, Team.name).where(Team.organisation_id == organisation_id)).all())
    rows = []
    for event in events:
        detail = event.detail or {}
        facts = []
        if detail.get("team_id") in teams:
            facts.append(teams[detail["team_id"]])
        if detail.get("role") in ROLE_LABELS:
            facts.append(str(ROLE_LABELS[detail["role"]]))
        if detail.get("admin") is True:
            facts.append(_("beheerder"))
        facts += [detail[key] for key in ("device", "passkey") if isinstance(detail.get(key), str)]
        if isinstance(detail.get("count"), int):
            facts.append(ngettext("%(num)d apparaat", "%(num)d apparaten", detail["count"]))
        rows.append({"when": event.created_at, "label": audit.label(event.kind),
                     "actor": event.actor.name if event.actor else None,
                     "subject": event.subject.name if event.subject else None, "facts": facts})
    return rows


@bp.get("/profile/security")
@access.signed_in
def security():
    """Beveiliging: the events about one's own account."""
    person = current_user._get_current_object()
    rows = event_rows(audit.events_about(db.session, person.id), person.organisation_id)
    return render_template("accounts/security.html", rows=rows)


@bp.get("/admin/audit-log")
@access.admin
def audit_log():
    """The organisation's security log, for its admins only (404 for anyone else)."""
    before = request.args.get("before", type=int)
    if before is not None and not 0 < before < 2**31:
        before = None
    events = audit.organisation_log(db.session, current_user.organisation_id, before_id=before,
                                    limit=LOG_PAGE_SIZE)
    older = events[-1].id if len(events) == LOG_PAGE_SIZE else None
    return render_template("accounts/audit_log.html", rows=event_rows(events, current_user.organisation_id),
                           older=older)

