"""The passkey ceremonies: registration (shared by the setup, invite and recovery links and by
adding a passkey on the profile) and sign-in, with sign-out beside it."""
from __future__ import annotations

import json
import re

from flask import Response, abort, current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app import access
from app.accounts import audit, login_sessions, passkeys, services
from app.accounts.models import LinkPurpose, Passkey, Person
from app.accounts.views import CEREMONY, auth_limit, bp, options_limit
from app.devices import device_label
from app.extensions import db


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



# Sign-in ----------------------------------------------------------------------------------

@bp.get("/inloggen")
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


@bp.post("/inloggen/opties")
@access.public
@options_limit
def login_options():
    mediation = json_body().get("mediation")
    options, handle = passkeys.authentication_options(db.session, relying_party())
    passkeys.purge_expired_challenges(db.session)
    session[login_ceremony_key(mediation)] = handle
    db.session.commit()
    return Response(options, mimetype="application/json")


@bp.post("/inloggen/controle")
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


@bp.post("/uitloggen")
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
