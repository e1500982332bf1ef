"""Planning: the intervisie home, plan a round, change or cancel it, and the lead's team overview."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app import access
from app.accounts import services as accounts
from app.accounts.loaders import TEAM
from app.accounts.models import Team
from app.extensions import db
from app.intervisie import methods, phases, services
from app.intervisie.forms import NewPlanForm, PlanForm, TeamSettingsForm
from app.intervisie.loaders import ROUND
from app.intervisie.notifications import announce, tell_case_removed
from app.intervisie.views import bp
from app.models_base import utcnow
from app.timezone import AMSTERDAM


# Overview for everyone ----------------------------------------------------------------------------

@bp.get("/")
@access.signed_in
def index():
    now = utcnow()
    lead_teams = [t for t in accounts.teams_of(db.session, current_user)
                  if accounts.can_lead(db.session, current_user, t)]
    return render_template("intervisie/index.html", upcoming=services.upcoming(db.session, current_user.id, now),
                           past=services.past(db.session, current_user.id, now), lead_teams=lead_teams)


# Planning --------------------------------------------------------------------------------------

def fill_choices(form: PlanForm, team_id: int) -> None:
    members = services.team_members(db.session, team_id)
    form.participants.choices = [(p.id, p.name) for p in members]
    form.facilitator.choices = [(p.id, p.name) for p in members]
    form.presenter.choices = [(0, _("De groep kiest aan het begin"))] + [(p.id, p.name) for p in members]


# Lazy, so pybabel extracts them and each is translated when shown.
PLAN_MESSAGES = {
    "past": ("date", _l("Kies een moment in de toekomst.")),
    "too far": ("date", _l("Kies een datum binnen twee jaar.")),
    "repeats too far": ("repeat_count", _l("De laatste herhaling valt dan over meer dan twee jaar. Kies minder keer.")),
    "not in team": ("participants", _l("Kies deelnemers uit dit team.")),
    "too few": ("participants", _l("Kies minstens één deelnemer naast de gespreksleider.")),
    "presenter is facilitator": ("presenter", _l("De inbrenger kan niet ook gespreksleider zijn.")),
    "minutes": ("method", _l("Elke fase duurt 1 tot 180 minuten.")),
    "unknown method": ("method", _l("Kies een methode.")),
}
PLAN_MESSAGE_OTHER = ("title", _l("Dit klopt nog niet."))
MINUTES_MESSAGE = _l("Kies 1 tot 180 minuten.")


def typed_minutes(method: methods.Method) -> list[str] | None:
    """The phase minutes as typed, if the form showed them for this method; None otherwise.

    The form names the method its minute fields were drawn for (`minutes_for`). When the lead
    picked another method since, the typed minutes belong to the old one and are dropped: the
    new method's own defaults apply (and are shown).
    """
    if request.method != "POST" or request.form.get("minutes_for") != method.key:
        return None
    return [(request.form.get(f"minutes_{i}") or "").strip() or str(m)
            for i, m in enumerate(method.default_minutes())]


def read_minutes(method: methods.Method) -> tuple[list[int], dict[int, str]]:
    """The phase minutes to save, and an error per phase whose minutes are no whole 1 to 180."""
    typed = typed_minutes(method)
    if typed is None:
        return method.default_minutes(), {}
    minutes, errors = [], {}
    for i, raw in enumerate(typed):
        value = int(raw) if raw.isdigit() and len(raw) <= 4 else None
        if value is None or not 1 <= value <= 180:
            errors[i] = str(MINUTES_MESSAGE)
        minutes.append(value or 0)
    return minutes, errors


def plan_from_form(form: PlanForm, minutes: list[int]) -> services.Plan:
    starts = datetime.combine(form.date.data, form.time.data, tzinfo=AMSTERDAM)
    method = methods.get(form.method.data)
    participants = sorted(set(form.participants.data or []))
    return services.Plan(
        title=form.title.data, starts_at=starts, place=form.place.data or "", video_url=form.video_url.data or "",
        method_key=method.key, minutes=minutes, participant_ids=participants, facilitator_id=form.facilitator.data,
        presenter_id=form.presenter.data or None, repeat_weeks=form.repeat_weeks.data or 0,
        repeat_count=form.repeat_count.data or 1)


def apply_plan_error(form: PlanForm, exc: services.PlanError) -> None:
    field, message = PLAN_MESSAGES.get(exc.message, PLAN_MESSAGE_OTHER)
    getattr(form, field).errors = list(getattr(form, field).errors or []) + [str(message)]


def unconfirmed(warnings: list[str]) -> list[str]:
    """The warnings the lead has not confirmed yet (each has its own checkbox)."""
    return [w for w in warnings if not request.form.get(f"confirm_{w}")]


def default_day(now: datetime):
    """A week from now, moved on to a working day: intervision is work."""
    day = (now.astimezone(AMSTERDAM) + timedelta(days=7)).date()
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def render_plan(team, form, rnd=None, warnings=(), status=200, minutes=None, minute_errors=None):
    method = methods.get(form.method.data) or methods.get(methods.DEFAULT)
    if minutes is None:
        minutes = typed_minutes(method)
    if minutes is None:
        minutes = rnd.minutes if rnd is not None and rnd.method_key == method.key else method.default_minutes()
    total = sum(int(m) for m in minutes if str(m).isdigit() and len(str(m)) <= 4)
    more_errors = any(getattr(form, name).errors for name in (
        "title", "place", "video_url", "method", "participants", "facilitator", "repeat_weeks", "repeat_count",
        "save_template"))
    return render_template("intervisie/plan.html", team=team, form=form, rnd=rnd, method=method, minutes=minutes,
                           total=total, minute_errors=minute_errors or {}, more_open=bool(more_errors or minute_errors),
                           methods=methods.METHODS.values(), warnings=warnings,
                           templates=services.templates(db.session, team.id)), status


@bp.route("/teams/<int:team_id>/plan", methods=["GET", "POST"])
@access.rule(TEAM, "lead")
def plan(team_id):
    team = access.loaded()
    form = NewPlanForm()
    fill_choices(form, team.id)
    if request.method == "GET":
        template_id = request.args.get("template", type=int)
        form.facilitator.data = current_user.id
        form.participants.data = [c[0] for c in form.participants.choices][:8]
        form.date.data, form.time.data = default_day(utcnow()), datetime.strptime("14:00", "%H:%M").time()
        template = next((t for t in services.templates(db.session, team.id) if t.id == template_id), None)
        if template:
            form.method.data = template.method_key
            return render_plan(team, form, minutes=template.minutes)
        return render_plan(team, form)
    if request.form.get("preview"):  # the method changed: show its phases, keep everything typed
        return render_plan(team, form)
    valid = form.validate_on_submit()
    method = methods.get(form.method.data) or methods.get(methods.DEFAULT)
    minutes, minute_errors = read_minutes(method)
    if not valid or minute_errors:
        return render_plan(team, form, status=422, minute_errors=minute_errors)
    plan_data = plan_from_form(form, minutes)
    try:
        warnings = services.validate_plan(db.session, team.id, plan_data, utcnow())
    except services.PlanError as exc:
        apply_plan_error(form, exc)
        return render_plan(team, form, status=422)
    # The one-time id first: a resent form finds its round (which would otherwise clash with it).
    first = services.claim_submission(db.session, form.submission.data, team.id)
    if first is not None:  # this form was submitted already: show what that made, plan nothing
        db.session.rollback()
        flash(_("Deze ronde was al gepland."), "info")
        return redirect(url_for(".round_page", round_id=first) if first else url_for(".index"))
    if unconfirmed(warnings):
        db.session.rollback()  # frees the id again: the confirmed form is the same submission
        return render_plan(team, form, warnings=warnings, status=422)
    rounds = services.plan_rounds(db.session, team.id, plan_data, current_user)
    services.record_submission(db.session, form.submission.data, rounds[0].id)
    if form.save_template.data:
        services.save_template(db.session, team.id, form.save_template.data, plan_data.method_key, plan_data.minutes)
    for rnd in rounds[:1]:
        announce(db.session, rnd, "round_planned", exclude=current_user.id)
    db.session.commit()
    flash(_("Ronde gepland.") if len(rounds) == 1 else _("%(num)d rondes gepland.", num=len(rounds)), "success")
    return redirect(url_for(".round_page", round_id=rounds[0].id))


@bp.route("/rondes/<int:round_id>/wijzig", methods=["GET", "POST"])
@access.rule(ROUND, "planning")
def edit(round_id):
    rnd = access.loaded().round
    team = db.session.get(Team, rnd.team_id)
    if rnd.status != phases.PLANNED or rnd.cancelled_at:
        abort(409)
    form = PlanForm(obj=None)
    fill_choices(form, team.id)
    if request.method == "GET":
        local = rnd.starts_at.astimezone(AMSTERDAM)
        form.title.data, form.date.data, form.time.data = rnd.title, local.date(), local.time().replace(second=0)
        form.place.data, form.video_url.data, form.method.data = rnd.place, rnd.video_url, rnd.method_key
        form.participants.data = [p.person_id for p in rnd.participants]
        form.facilitator.data = next((p.person_id for p in rnd.participants if p.role == phases.FACILITATOR), None)
        form.presenter.data = next((p.person_id for p in rnd.participants if p.role == phases.PRESENTER), 0)
        return render_plan(team, form, rnd=rnd)
    if request.form.get("preview"):
        return render_plan(team, form, rnd=rnd)
    valid = form.validate_on_submit()
    method = methods.get(form.method.data) or methods.get(methods.DEFAULT)
    minutes, minute_errors = read_minutes(method)
    if not valid or minute_errors:
        return render_plan(team, form, rnd=rnd, status=422, minute_errors=minute_errors)
    plan_data = plan_from_form(form, minutes)
    try:
        warnings = services.validate_plan(db.session, team.id, plan_data, utcnow(), round_id=rnd.id)
        if unconfirmed([w for w in warnings if w == "clash"]):
            return render_plan(team, form, rnd=rnd, warnings=warnings, status=422)
        change = services.update_round(db.session, rnd, plan_data)
    except services.PlanError as exc:
        apply_plan_error(form, exc)
        return render_plan(team, form, rnd=rnd, status=422)
    announce(db.session, rnd, "round_changed", exclude=current_user.id, only_new=change.new_people)
    if change.case_removed_for and change.case_removed_for != current_user.id:
        tell_case_removed(db.session, rnd, change.case_removed_for)
    db.session.commit()
    flash(_("Wijziging opgeslagen."), "success")
    return redirect(url_for(".round_page", round_id=rnd.id))


@bp.post("/rondes/<int:round_id>/afgelasten")
@access.rule(ROUND, "planning")
def cancel(round_id):
    acc = access.loaded()
    services.cancel_round(db.session, acc.round)
    announce(db.session, acc.round, "round_cancelled", exclude=current_user.id)
    db.session.commit()
    flash(_("De ronde is afgelast. De deelnemers krijgen bericht."), "info")
    return redirect(url_for(".index"))


@bp.route("/teams/<int:team_id>/overzicht", methods=["GET", "POST"])
@access.rule(TEAM, "lead")
def team_overview(team_id):
    team = access.loaded()
    form = TeamSettingsForm(obj=services.settings(db.session, team.id) if request.method == "GET" else None)
    if form.validate_on_submit():
        services.save_settings(db.session, team.id, form.case_retention_days.data, form.case_preview_hours.data)
        db.session.commit()
        flash(_("Opgeslagen."), "success")
        return redirect(url_for(".team_overview", team_id=team.id))
    data = services.overview(db.session, team.id, utcnow())
    return render_template("intervisie/overview.html", team=team, data=data, form=form,
                           templates=services.templates(db.session, team.id),
                           method_names={k: m.name for k, m in methods.METHODS.items()}), 422 if form.errors else 200
