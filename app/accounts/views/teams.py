"""Teams: the team page, invites, recovery links for members, a new team."""
from __future__ import annotations

from flask import abort, current_app, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app import access
from app.accounts import services
from app.accounts.forms import InviteForm, TeamForm
from app.accounts.loaders import TEAM
from app.accounts.models import Membership, Person, Role
from app.accounts.views import auth_limit, bp
from app.extensions import db
from app.notify import services as notify_services
from app.rendering import page_or_block


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


@bp.post("/teams/<int:team_id>/uitnodigingen")
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


@bp.post("/teams/<int:team_id>/leden/<int:person_id>/herstellink")
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


@bp.route("/teams/nieuw", methods=["GET", "POST"])
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

