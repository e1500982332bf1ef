"""Buddy views: my buddies and settings; the lead's schemes, preview (lock, veto), publish, spread."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from app import access, reads
from app.accounts.models import Person
from app.buddies import notifications, reasons, services
from app.buddies.forms import ExcludeForm, ExperienceForm, OnboardingForm, PauseForm, SchemeForm
from app.buddies.loaders import SCHEME
from app.extensions import db
from app.models_base import utcnow
from app.timezone import AMSTERDAM

bp = Blueprint("buddies", __name__, url_prefix="/buddies")


def today():
    return utcnow().astimezone(AMSTERDAM).date()


def form_error(form, exc: services.BuddyError, fallback: str) -> None:
    field = getattr(form, exc.field, None) or getattr(form, fallback)
    field.errors = list(field.errors or []) + [_(exc.message)]


# My buddies ------------------------------------------------------------------------------------

def render_mine(pause_form=None, experience_form=None, exclude_form=None, status=200):
    me = current_user
    pause_form = pause_form or PauseForm(prefix="pause")
    experience_form = experience_form or ExperienceForm(prefix="exp", years=me.experience_years)
    exclude_form = exclude_form or ExcludeForm(prefix="excl")
    excluded = services.my_exclusions(db.session, me)
    # By id: Person == Person goes through Flask-Login's get_id, which only a signed-in person has.
    excluded_ids = {p.id for p in excluded}
    exclude_form.colleague.choices = [(p.id, p.name) for p in services.org_colleagues(db.session, me)
                                      if p.id not in excluded_ids]
    return render_template(
        "buddies/index.html", current=services.my_groups(db.session, me.id),
        past=services.my_groups(db.session, me.id, current_only=False),
        pause=services.my_pause(db.session, me, today()), excluded=excluded, pause_form=pause_form,
        experience_form=experience_form, exclude_form=exclude_form,
        schemes=services.schemes_managed(db.session, me), can_create=bool(services.led_teams(db.session, me)),
        explain=reasons.explain), status


@bp.get("/")
@access.signed_in
def index():
    return render_mine()


@bp.post("/ervaring")
@access.signed_in
def experience():
    form = ExperienceForm(prefix="exp")
    if not form.validate_on_submit():
        return render_mine(experience_form=form, status=422)
    services.set_experience(db.session, current_user, form.years.data)
    db.session.commit()
    flash(_("Je ervaring is bewaard."), "success")
    return redirect(url_for(".index"))


@bp.post("/pauze")
@access.signed_in
def pause():
    form = PauseForm(prefix="pause")
    if not form.validate_on_submit():
        return render_mine(pause_form=form, status=422)
    try:
        services.set_pause(db.session, current_user, form.reason.data, form.until.data, today())
    except services.BuddyError as exc:
        form_error(form, exc, "until")
        return render_mine(pause_form=form, status=422)
    db.session.commit()
    flash(_("Je pauzeert tot en met %(day)s.", day=form.until.data.strftime("%d-%m-%Y")), "success")
    return redirect(url_for(".index"))


@bp.post("/pauze/stop")
@access.signed_in
def end_pause():
    services.end_pause(db.session, current_user)
    db.session.commit()
    flash(_("Welkom terug: je doet weer mee."), "success")
    return redirect(url_for(".index"))


@bp.post("/uitsluiten")
@access.signed_in
def exclude():
    form = ExcludeForm(prefix="excl")
    form.colleague.choices = [(p.id, p.name) for p in services.org_colleagues(db.session, current_user)]
    if not form.validate_on_submit():
        return render_mine(exclude_form=form, status=422)
    try:
        services.exclude(db.session, current_user, form.colleague.data)
    except services.BuddyError as exc:
        form_error(form, exc, "colleague")
        return render_mine(exclude_form=form, status=422)
    db.session.commit()
    flash(_("Bewaard. Niemand ziet wie je hebt uitgesloten."), "success")
    return redirect(url_for(".index"))


@bp.post("/uitsluiten/<int:person_id>/opheffen")
@access.signed_in
def unexclude(person_id):
    services.unexclude(db.session, current_user, person_id)
    db.session.commit()
    return redirect(url_for(".index"))


@bp.post("/groep/<int:group_id>/afspraak")
@access.signed_in
def propose_meeting(group_id):
    # One's own group in a current rotation; any other is 404, as an id never used.
    mine = access.found(next((g for g in services.my_groups(db.session, current_user.id)
                              if g.group.id == group_id), None))
    notifications.propose_meeting(db.session, current_user, group_id, [b.id for b in mine.buddies], utcnow())
    db.session.commit()
    flash(_("Verstuurd: je buddy hoort dat je wilt afspreken."), "success")
    return redirect(request.form.get("back") == "today" and url_for("web.today") or url_for(".index"))


# Schemes (leads and admins) --------------------------------------------------------------------

def fill_teams(form: SchemeForm) -> None:
    form.teams.choices = [(t.id, t.name) for t in services.led_teams(db.session, current_user)]


def settings_from(form: SchemeForm) -> services.Settings:
    return services.Settings(
        name=form.name.data, team_ids=form.teams.data or [], org_wide=bool(form.org_wide.data),
        every_weeks=form.every_weeks.data, weekday=form.weekday.data, mix=form.mix.data,
        cross_team=form.cross_team.data, window=form.window.data, auto_publish=bool(form.auto_publish.data),
        first_on=form.first_on.data)


@bp.route("/schemas/nieuw", methods=["GET", "POST"])
@access.signed_in
def new_scheme():
    # Everyone knows buddy schemes exist; making one needs a team to lead (403 without).
    access.require(bool(services.led_teams(db.session, current_user)))
    form = SchemeForm()
    fill_teams(form)
    if request.method == "GET":
        form.teams.data = [c[0] for c in form.teams.choices][:1]
        return render_template("buddies/scheme_form.html", form=form, scheme=None)
    if not form.validate_on_submit():
        return render_template("buddies/scheme_form.html", form=form, scheme=None), 422
    try:
        scheme = services.create_scheme(db.session, current_user, settings_from(form), today())
    except services.BuddyError as exc:
        form_error(form, exc, "teams")
        return render_template("buddies/scheme_form.html", form=form, scheme=None), 422
    services.compute(db.session, scheme)
    db.session.commit()
    flash(_("Schema gemaakt. Bekijk het eerste voorstel."), "success")
    return redirect(url_for(".preview", scheme_id=scheme.id))


@bp.route("/schemas/<int:scheme_id>/instellingen", methods=["GET", "POST"])
@access.rule(SCHEME, "lead")
def edit_scheme(scheme_id):
    scheme = access.loaded()
    form = SchemeForm(obj=scheme if request.method == "GET" else None)
    fill_teams(form)
    if request.method == "GET":
        form.teams.data = [t.team_id for t in scheme.teams]
        form.first_on.data = scheme.next_on
        return render_template("buddies/scheme_form.html", form=form, scheme=scheme)
    if not form.validate_on_submit():
        return render_template("buddies/scheme_form.html", form=form, scheme=scheme), 422
    settings = settings_from(form)
    # The pool of a scheme stays as it was made; only its rhythm and weights change here.
    services.apply_settings(scheme, services.Settings(**{**settings.__dict__, "org_wide": scheme.org_wide}), today())
    if services.draft(db.session, scheme):
        services.compute(db.session, scheme)
    db.session.commit()
    flash(_("Instellingen bewaard."), "success")
    return redirect(url_for(".scheme", scheme_id=scheme.id))


@bp.get("/schemas/<int:scheme_id>")
@access.rule(SCHEME, "lead")
def scheme(scheme_id):
    scheme = access.loaded()
    members = services.pool(db.session, scheme, today())
    form = OnboardingForm(prefix="onb")
    choices = [(p.id, p.name) for p in sorted(members.people.values(), key=lambda p: p.name)]
    form.newcomer.choices = form.buddy.choices = choices
    return render_onboarding(scheme, members, form)


def render_onboarding(scheme, members, form, status=200, experience: ExperienceForm | None = None,
                      experience_of: int | None = None):
    """The scheme page; `experience` is a refused experience form of person `experience_of`,
    shown with its error and what was typed."""
    onboardings = services.onboarding_pairs(db.session, scheme)
    people = {p.id: p for p in db.session.query(Person).filter(
        Person.id.in_([x for o in onboardings for x in (o.newcomer_id, o.buddy_id)]))}
    return render_template("buddies/scheme.html", scheme=scheme, members=members,
                           rotations=services.rotations(db.session, scheme),
                           spread=services.spread(db.session, scheme), draft=services.draft(db.session, scheme),
                           onboardings=onboardings, people=people, form=form, experience=experience,
                           experience_of=experience_of), status


@bp.post("/schemas/<int:scheme_id>/inwerkbuddy")
@access.rule(SCHEME, "lead")
def set_onboarding(scheme_id):
    scheme = access.loaded()
    members = services.pool(db.session, scheme, today())
    form = OnboardingForm(prefix="onb")
    form.newcomer.choices = form.buddy.choices = [(p.id, p.name) for p in members.people.values()]
    if not form.validate_on_submit():
        return render_onboarding(scheme, members, form, 422)
    try:
        services.set_onboarding(db.session, scheme, form.newcomer.data, form.buddy.data)
    except services.BuddyError as exc:
        form_error(form, exc, "buddy")
        return render_onboarding(scheme, members, form, 422)
    if services.draft(db.session, scheme):
        services.compute(db.session, scheme)
    db.session.commit()
    flash(_("Inwerkbuddy bewaard. Dit koppel blijft staan tot je het loslaat."), "success")
    return redirect(url_for(".scheme", scheme_id=scheme.id))


@bp.post("/schemas/<int:scheme_id>/inwerkbuddy/<int:onboarding_id>/loslaten")
@access.rule(SCHEME, "lead")
def release_onboarding(scheme_id, onboarding_id):
    scheme = access.loaded()
    access.require(services.release_onboarding(db.session, scheme, onboarding_id, utcnow()), knows=False)
    if services.draft(db.session, scheme):
        services.compute(db.session, scheme)
    db.session.commit()
    flash(_("Losgelaten: vanaf de volgende wissel doet dit koppel gewoon mee."), "success")
    return redirect(url_for(".scheme", scheme_id=scheme.id))


# Preview, lock, veto, publish ------------------------------------------------------------------

@bp.get("/schemas/<int:scheme_id>/voorstel")
@access.rule(SCHEME, "lead")
@reads.writes  # no draft yet (after a publish): the proposal is made on opening it
def preview(scheme_id):
    scheme = access.loaded()
    rotation = services.draft(db.session, scheme) or make_draft(scheme)
    members = services.pool(db.session, scheme, rotation.starts_on)
    unmatched = [members.people[p] for p in rotation.unmatched if p in members.people]
    return render_template("buddies/preview.html", scheme=scheme, rotation=rotation, unmatched=unmatched,
                           excluded_pairs=members.excluded_pairs, paused=len(members.paused),
                           explain=reasons.explain)


def make_draft(scheme):
    """The next proposal, made on opening it. Two leads who open it at once both find none; the
    second one's insert then meets the unique (scheme, number) and shows the first one's."""
    try:
        rotation = services.compute(db.session, scheme)
        db.session.commit()
        return rotation
    except IntegrityError:
        db.session.rollback()
        return access.found(services.draft(db.session, scheme))


@bp.post("/schemas/<int:scheme_id>/voorstel/opnieuw")
@access.rule(SCHEME, "lead")
def recompute(scheme_id):
    scheme = access.loaded()
    services.compute(db.session, scheme, fresh=True)
    db.session.commit()
    return redirect(url_for(".preview", scheme_id=scheme.id))


def draft_group(scheme, group_id):
    """A group of this scheme's draft; any other id is 404."""
    return access.found(services.group_in_draft(db.session, scheme, group_id))


@bp.post("/schemas/<int:scheme_id>/groepen/<int:group_id>/vastzetten")
@access.rule(SCHEME, "lead")
def lock(scheme_id, group_id):
    scheme = access.loaded()
    services.toggle_lock(db.session, draft_group(scheme, group_id))
    db.session.commit()
    return redirect(url_for(".preview", scheme_id=scheme.id) + f"#groep-{group_id}")


@bp.post("/schemas/<int:scheme_id>/groepen/<int:group_id>/afwijzen")
@access.rule(SCHEME, "lead")
def veto(scheme_id, group_id):
    scheme = access.loaded()
    group = draft_group(scheme, group_id)
    if group.onboarding:
        abort(409)
    services.veto(db.session, scheme, group)
    db.session.commit()
    flash(_("Afgewezen. Het voorstel is opnieuw berekend; vastgezette koppels bleven staan."), "success")
    return redirect(url_for(".preview", scheme_id=scheme.id))


@bp.post("/schemas/<int:scheme_id>/bekendmaken")
@access.rule(SCHEME, "lead")
def publish(scheme_id):
    scheme = access.loaded()
    rotation = services.draft(db.session, scheme)
    if rotation is None:
        abort(409)
    now = utcnow()
    if services.publish(db.session, scheme, rotation, now):
        notifications.announce_rotation(db.session, scheme, rotation, now)
    db.session.commit()
    flash(_("Bekendgemaakt. Iedereen ziet zijn buddy op Vandaag."), "success")
    return redirect(url_for(".scheme", scheme_id=scheme.id))


@bp.post("/schemas/<int:scheme_id>/ervaring/<int:person_id>")
@access.rule(SCHEME, "lead")
def lead_experience(scheme_id, person_id):
    """The lead sets a colleague's years of experience (for someone who has not filled it in)."""
    scheme = access.loaded()
    members = services.pool(db.session, scheme, today())
    person = access.found(members.people.get(person_id))
    form = ExperienceForm(prefix=f"exp{person_id}")
    if not form.validate_on_submit():
        onboarding = OnboardingForm(prefix="onb")
        onboarding.newcomer.choices = onboarding.buddy.choices = [
            (p.id, p.name) for p in sorted(members.people.values(), key=lambda p: p.name)]
        return render_onboarding(scheme, members, onboarding, 422, experience=form, experience_of=person_id)
    services.set_experience(db.session, person, form.years.data)
    db.session.commit()
    flash(_("Ervaring van %(name)s bewaard.", name=person.name), "success")
    return redirect(url_for(".scheme", scheme_id=scheme.id))


