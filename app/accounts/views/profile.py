"""The profile: name and language, passkeys, signed-in devices, Mijn gegevens, deleting the
account, and the privacy page."""
from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, logout_user

from app import access, hooks, reads
from app.accounts import audit, login_sessions, privacy, services
from app.accounts.forms import ProfileForm
from app.accounts.views import bp, session_policy
from app.accounts.views.ceremony import finish_registration, logout, start_registration
from app.extensions import db


# Profile ----------------------------------------------------------------------------------

@bp.route("/profiel", methods=["GET", "POST"])
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


@bp.post("/profiel/passkeys/nieuw")
@access.signed_in
def add_passkey():
    return start_registration(
        template_title=_("Nog een passkey"), user_handle=current_user.user_handle,
        user_name=current_user.name, display_name=current_user.name,
        verify_url=url_for(".add_passkey_verify"), person=current_user, payload={},
        intro=_("Maak een passkey op een ander apparaat, bijvoorbeeld je tweede telefoon, zodat je altijd "
                "kunt inloggen."),
    )


@bp.post("/profiel/passkeys/controle")
@access.signed_in
def add_passkey_verify():
    person = current_user._get_current_object()
    return finish_registration(None, None, lambda _pending, _link: person, person_id=person.id)


@bp.post("/profiel/passkeys/<int:passkey_id>/verwijder")
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


@bp.get("/profiel/download")
@access.signed_in
@reads.writes  # writes its line in the security log
def export():
    """Mijn gegevens as JSON: every feature's share (hooks.ExportPart), by its key."""
    person = current_user._get_current_object()
    body = privacy.export_json(privacy.export_person(db.session, person, hooks.of().exports))
    record_export(person, "json")
    # Everything about a person: no browser or proxy may keep a copy.
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": 'attachment; filename="leerkring-mijn-gegevens.json"',
                             "Cache-Control": "no-store"})


@bp.get("/profiel/gegevens")
@access.signed_in
@reads.writes  # writes its line in the security log
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


@bp.route("/profiel/verwijder", methods=["GET", "POST"])
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

@bp.post("/profiel/sessies/<int:session_id>/uitloggen")
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


@bp.post("/profiel/sessies/overal-uitloggen")
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

