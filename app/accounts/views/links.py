"""The links a person opens once: organisation setup, an invite, a recovery link. Each shows a
form or a confirmation, then runs the passkey registration ceremony."""
from __future__ import annotations

from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app import access
from app.accounts import services
from app.accounts.forms import JoinForm, SetupForm
from app.accounts.models import LinkPurpose, new_user_handle
from app.accounts.views import auth_limit, bp, link_limit
from app.accounts.views.ceremony import _payload_handle, finish_registration, start_registration
from app.extensions import db
from app.notify import services as notify_services


# Setup ------------------------------------------------------------------------------------

@bp.route("/inrichten/<token>", methods=["GET", "POST"])
@access.token
@link_limit
def setup(token):
    link = services.find_link(db.session, token, LinkPurpose.SETUP)
    form = SetupForm()
    if not form.validate_on_submit():
        return render_template("accounts/setup.html", form=form), 422 if form.is_submitted() else 200
    return register_newcomer(link, form.person_name.data, url_for(".setup_verify", token=token),
                             organisation_name=form.organisation_name.data, team_name=form.team_name.data)


def register_newcomer(link, person_name: str, verify_url: str, **details):
    """The passkey page for someone who has no account yet (a setup or an invite link): a new
    user handle, and what they typed kept with the ceremony until the passkey is made."""
    handle = new_user_handle()
    return start_registration(
        template_title=_("Maak je passkey"), user_handle=handle, user_name=person_name, display_name=person_name,
        verify_url=verify_url, link_id=link.id,
        payload={**details, "person_name": person_name, "user_handle": handle.hex()},
        intro=_("Met een passkey log je in met je vingerafdruk, gezicht of pincode van je telefoon. "
                "Geen wachtwoord nodig."),
    )


@bp.post("/inrichten/<token>/passkey")
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

@bp.route("/uitnodiging/<token>", methods=["GET", "POST"])
@access.token
@link_limit
def invite(token):
    link = services.find_link(db.session, token, LinkPurpose.INVITE)
    form = JoinForm()
    if not form.validate_on_submit():
        return (render_template("accounts/join.html", form=form, link=link),
                422 if form.is_submitted() else 200)
    return register_newcomer(link, form.person_name.data, url_for(".invite_verify", token=token))


@bp.post("/uitnodiging/<token>/passkey")
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

@bp.route("/herstel/<token>", methods=["GET", "POST"])
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


@bp.post("/herstel/<token>/passkey")
@access.token
@auth_limit
def recover_verify(token):
    def complete(_pending, link):
        return services.recover(db.session, link)
    return finish_registration(LinkPurpose.RECOVERY, token, complete)

