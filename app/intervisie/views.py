"""Intervisie views: plan, RSVP, prepare the case, the live round, reflection, calendar, overview."""
from __future__ import annotations

import math
import random
import time
from datetime import datetime, timedelta

from flask import (
    Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template, request,
    stream_with_context, url_for,
)
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.exceptions import BadRequest, Conflict

from app import access, recognisable
from app.accounts import services as accounts
from app.accounts.loaders import TEAM
from app.extensions import db
from app.form_base import clean_text
from app.intervisie import calendar, live_fragment, live_round, methods, phases, services
from app.intervisie.loaders import ROUND, load_round
from app.intervisie.forms import CaseForm, NewPlanForm, PlanForm, ReflectionForm, TeamSettingsForm
from app.accounts.models import Team
from app.intervisie.models import Round
from app.live import DRAIN
from app.intervisie.notifications import announce, tell_case_removed
from app.models_base import utcnow
from app.rendering import block_response, page_or_block, wants_block
from app.timezone import AMSTERDAM
from app.web import reload_user

bp = Blueprint("intervisie", __name__, url_prefix="/intervisie")
# A plan that no longer applies: a round that started or was cancelled meanwhile is 409, any
# other refusal (an RSVP that is no answer) 400. Forms that show the message catch it themselves.
access.answer_with(bp, services.PlanError, lambda exc: Conflict() if exc.field == "round" else BadRequest())


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
    "presenter is facilitator": ("presenter", _l("De inbrenger kan niet ook gespreksleider zijn.")),
    "minutes": ("method", _l("Elke fase duurt 1 tot 180 minuten.")),
    "unknown method": ("method", _l("Kies een methode.")),
}
PLAN_MESSAGE_OTHER = ("title", _l("Dit klopt nog niet."))


def plan_from_form(form: PlanForm) -> services.Plan:
    starts = datetime.combine(form.date.data, form.time.data, tzinfo=AMSTERDAM)
    method = methods.get(form.method.data)
    minutes = [request.form.get(f"minutes_{i}", type=int) or m for i, m in enumerate(method.default_minutes())]
    participants = sorted(set(form.participants.data or []))
    return services.Plan(
        title=form.title.data, starts_at=starts, place=form.place.data or "", video_url=form.video_url.data or "",
        method_key=method.key, minutes=minutes, participant_ids=participants, facilitator_id=form.facilitator.data,
        presenter_id=form.presenter.data or None, repeat_weeks=form.repeat_weeks.data or 0,
        repeat_count=form.repeat_count.data or 1)


def apply_plan_error(form: PlanForm, exc: services.PlanError) -> None:
    field, message = PLAN_MESSAGES.get(exc.message, PLAN_MESSAGE_OTHER)
    getattr(form, field).errors = list(getattr(form, field).errors or []) + [str(message)]


def render_plan(team, form, rnd=None, warnings=(), status=200, minutes=None):
    method = methods.get(form.method.data) or methods.get(methods.DEFAULT)
    if minutes is None:
        minutes = rnd.minutes if rnd is not None and rnd.method_key == method.key else method.default_minutes()
    return render_template("intervisie/plan.html", team=team, form=form, rnd=rnd, method=method, minutes=minutes,
                           methods=methods.METHODS.values(), warnings=warnings,
                           templates=services.templates(db.session, team.id)), status


@bp.route("/teams/<int:team_id>/plan", methods=["GET", "POST"])
@access.rule(TEAM, "lead")
def plan(team_id):
    team = access.loaded()
    form = NewPlanForm()
    fill_choices(form, team.id)
    if request.method == "GET":
        template_id = request.args.get("sjabloon", type=int)
        form.facilitator.data = current_user.id
        form.participants.data = [c[0] for c in form.participants.choices][:8]
        tomorrow = utcnow() + timedelta(days=7)
        form.date.data, form.time.data = tomorrow.date(), datetime.strptime("14:00", "%H:%M").time()
        template = next((t for t in services.templates(db.session, team.id) if t.id == template_id), None)
        if template:
            form.method.data = template.method_key
            return render_plan(team, form, minutes=template.minutes)
        return render_plan(team, form)
    if request.form.get("preview"):  # the method changed: show its phases, keep everything typed
        return render_plan(team, form)
    if not form.validate_on_submit():
        return render_plan(team, form, status=422)
    plan_data = plan_from_form(form)
    try:
        warnings = services.validate_plan(db.session, team.id, plan_data, utcnow())
    except services.PlanError as exc:
        apply_plan_error(form, exc)
        return render_plan(team, form, status=422)
    if warnings and not request.form.get("confirm_size"):
        return render_plan(team, form, warnings=warnings, status=422)
    first = services.claim_submission(db.session, form.submission.data, team.id)
    if first is not None:  # this form was submitted already: show what that made, plan nothing
        db.session.rollback()
        flash(_("Deze ronde was al gepland."), "info")
        return redirect(url_for(".round_page", round_id=first) if first else url_for(".index"))
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
    if request.form.get("preview") or not form.validate_on_submit():
        return render_plan(team, form, rnd=rnd, status=200 if request.form.get("preview") else 422)
    plan_data = plan_from_form(form)
    try:
        services.validate_plan(db.session, team.id, plan_data, utcnow())
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


# The round page, RSVP, the case ------------------------------------------------------------------

@bp.get("/rondes/<int:round_id>")
@access.rule(ROUND, "viewer")
def round_page(round_id):
    acc = access.loaded()
    now = utcnow()
    rnd = acc.round
    return render_template(
        "intervisie/round.html", acc=acc, rnd=rnd, method=methods.get(rnd.method_key),
        case=services.visible_case(db.session, acc, now),
        readable_from=services.case_readable_from(db.session, rnd),
        actions=services.open_actions_before(db.session, rnd, current_user.id),
        people=sorted(rnd.participants, key=lambda p: (p.role != phases.FACILITATOR, p.role != phases.PRESENTER,
                                                        p.person is None, p.name)),
        warn_size=not services.NORM_MIN <= len(rnd.participants) <= services.NORM_MAX,
        live_soon=rnd.status == phases.LIVE or (rnd.status == phases.PLANNED and not rnd.cancelled_at
                                                 and rnd.starts_at - now < timedelta(hours=2)),
    )


@bp.post("/rondes/<int:round_id>/rsvp")
@access.rule(ROUND, "participant")
def answer(round_id):
    acc = access.loaded()
    services.rsvp(db.session, acc.round, current_user.id, request.form.get("antwoord", ""))
    db.session.commit()
    if wants_block():
        return page_or_block("intervisie/round.html", "rsvp", acc=services.access(db.session, current_user, round_id),
                             rnd=acc.round)
    return redirect(url_for(".round_page", round_id=round_id))


@bp.route("/rondes/<int:round_id>/casus", methods=["GET", "POST"])
@access.rule(ROUND, "presenter")
def case(round_id):
    acc = access.loaded()
    if acc.round.case_deleted_at:
        abort(404)  # past its retention: the case is gone
    existing = services.own_case(db.session, acc.round, current_user.id)
    recognisable.warm_up()
    form = CaseForm(obj=existing if request.method == "GET" else None)
    findings = []
    if form.validate_on_submit():
        findings = recognisable.check(f"{form.help_question.data}\n{form.case_text.data}")
        if not findings or form.accept_risk.data:
            services.save_case(db.session, acc.round, current_user.id, form.help_question.data, form.case_text.data)
            db.session.commit()
            flash(_("Je casus is bewaard."), "success")
            return redirect(url_for(".round_page", round_id=round_id))
    status = 422 if form.errors or findings else 200
    return render_template("intervisie/case.html", acc=acc, rnd=acc.round, form=form, findings=findings,
                           labels=recognisable.KIND_LABELS), status


# The live round ----------------------------------------------------------------------------------

def live_context(acc: services.Access, now: datetime, error: str | None = None) -> dict:
    lv = live_round.view(db.session, acc, now)
    choosing = lv.is_facilitator and lv.status == phases.PLANNED
    return dict(acc=acc, rnd=acc.round, lv=lv, error=error, ratings=live_round.RATING_LABELS,
                actions=services.open_actions_before(db.session, acc.round, acc.me.person_id) if lv.index <= 0 else [],
                case=services.visible_case(db.session, acc, now),
                start_from=services.can_start_from(acc.round) if choosing and now < services.can_start_from(acc.round) else None,
                participants=[p for p in acc.round.participants
                              if p.role != phases.FACILITATOR and p.person_id is not None] if choosing else [])


def render_live(acc: services.Access, *, status: int = 200, error: str | None = None):
    """The live page, or to htmx its changing part (the `state` block). That block is the same for
    every phone of a role, so it is rendered once per round version (live_fragment)."""
    now = utcnow()
    version = acc.round.version
    if wants_block() and error is None:
        response = block_response(live_fragment.state_html(db.session, acc, now, lambda: live_context(acc, now)), status)
    else:
        response = page_or_block("intervisie/live.html", "state", status=status, **live_context(acc, now, error))
    response.headers["X-Round-Version"] = str(version)
    return response


@bp.get("/rondes/<int:round_id>/live")
@access.rule(ROUND, "participant")
def live(round_id):
    acc = access.loaded()
    if acc.round.cancelled_at:
        return redirect(url_for(".round_page", round_id=round_id))
    return render_live(acc)


@bp.get("/rondes/<int:round_id>/live/stand")
@access.rule(ROUND, "participant")
def live_state(round_id):
    """The part of the live page that changes; a version that is still current answers 304."""
    acc = access.loaded()
    if request.args.get("v") == str(acc.round.version) and request.headers.get("X-Poll"):
        return Response(status=304)
    return render_live(acc)


@bp.get("/rondes/<int:round_id>/live/stream")
@access.rule(ROUND, "participant")
def live_stream(round_id):
    """Server-sent events: "changed" with the round's version. Phones then fetch the state.

    Each open stream holds a server thread, so streams are capped per person and per process
    (beyond: 429, and hx-sse tries again later), and a stream ends ("gone") as soon as its
    person signs out, loses the session or leaves the round.
    """
    acc = access.loaded()
    config = current_app.config
    heartbeat = config["LIVE_HEARTBEAT"]
    slot = current_app.extensions["live_streams"].open(
        current_user.id, per_person=config["LIVE_STREAMS_PER_PERSON"], per_process=config["LIVE_STREAMS_PER_PROCESS"])
    if slot is None:
        return streams_busy(heartbeat)
    channel = services.channel(round_id)
    version = acc.round.version
    person_id = current_user.id
    broker = current_app.extensions["live"]
    db.session.remove()  # hold no database connection while the stream is open

    def events():
        with broker.subscribe(channel) as subscription:
            yield "retry: 1000\n\n"
            # A phone that reconnects catches up at once: it always hears the current version.
            # `retry` again inside the event, where hx-sse reads it: back to a quick reconnect.
            yield f"event: changed\nid: {version}\nretry: 1000\ndata: {version}\n\n"
            check_at = time.monotonic() + heartbeat
            while True:
                message = subscription.get(timeout=heartbeat)
                if message == DRAIN:  # this process stops: reconnect (to another) in 0.5-3 s
                    yield f"retry: {random.randint(500, 3000)}\n\n"
                    return
                if time.monotonic() >= check_at:
                    if not may_follow(round_id, person_id):
                        yield "event: gone\ndata: gone\n\n"
                        return
                    check_at = time.monotonic() + heartbeat
                yield f"event: changed\nid: {message}\ndata: {message}\n\n" if message else ": ping\n\n"

    response = Response(stream_with_context(events()), mimetype="text/event-stream")
    response.call_on_close(slot.close)  # also when the stream never started
    response.headers["Cache-Control"] = "no-cache, no-transform"
    response.headers["X-Accel-Buffering"] = "no"
    return response


def may_follow(round_id: int, person_id: int) -> bool:
    """Whether an open stream may go on: its session still signs the same person in (through
    Flask-Login's user loader, so a sign-out or revoked session counts) and they still take part."""
    try:
        person = reload_user()
        return (person is not None and person.id == person_id
                and services.participant(db.session, round_id, person_id) is not None)
    finally:
        db.session.remove()  # no database connection held between checks


def streams_busy(heartbeat: float) -> Response:
    """429 as an event stream: hx-sse takes over any event stream, reads `retry` and tries again
    that much later (then backs off further while the cap holds)."""
    wait = max(1, math.ceil(heartbeat))
    message = _("Leerkring staat op te veel schermen tegelijk open. Dit scherm werkt zo vanzelf weer bij.")
    response = Response(f"retry: {wait * 1000}\nevent: busy\ndata: {message}\n\n", status=429,
                        mimetype="text/event-stream")
    response.headers["Retry-After"] = str(wait)
    response.headers["Cache-Control"] = "no-store"
    return response


def live_action(round_id, operation):
    """Run one change on the live round; a phase that moved meanwhile is a gentle message.

    Who may press it is the view's access rule; what the phase allows is the phase machine's,
    answered here by redrawing the live state with a message.
    """
    acc = access.loaded()
    error = None
    status = 200
    try:
        operation(acc)
        db.session.commit()  # publishes the round's new version to its phones (app.live)
    except phases.PhaseConflict:
        db.session.rollback()
        error, status = _("De ronde was al verder. Je ziet nu de actuele fase."), 409
    except live_round.TooEarly as exc:
        db.session.rollback()
        error, status = _("Je kunt de ronde starten vanaf %(when)s.", when=when(exc.starts_from)), 403
    except phases.NotAllowed:
        db.session.rollback()
        error, status = _("Dat kan nu niet in deze fase."), 403
    except ValueError:
        db.session.rollback()
        error, status = _("Dat klopt niet helemaal. Probeer het opnieuw."), 400
    if error:
        acc = load_round(round_id, "participant")  # the round as it is now, after the rollback
    if wants_block():
        return render_live(acc, status=status, error=error)
    if error:
        flash(error, "error")
    return redirect(url_for(".live", round_id=round_id))


def when(moment: datetime) -> str:
    return format_datetime(moment, "EEE d MMM, HH:mm")


def form_int(name: str) -> int | None:
    """A whole number from the form within what the database holds; anything else is None."""
    value = request.form.get(name, type=int)
    return value if value is not None and abs(value) <= services.MAX_ID else None


def expected() -> int:
    value = form_int("fase")
    if value is None:
        abort(400)
    return value


@bp.post("/rondes/<int:round_id>/live/start")
@access.rule(ROUND, "facilitator")
def live_start(round_id):
    presenter = form_int("inbrenger")
    return live_action(round_id, lambda acc: live_round.start(db.session, acc, utcnow(), presenter)
                       or announce(db.session, acc.round, "round_started", exclude=current_user.id))


@bp.post("/rondes/<int:round_id>/live/volgende")
@access.rule(ROUND, "facilitator")
def live_next(round_id):
    return live_action(round_id, lambda acc: live_round.move(db.session, acc, "next", expected(), utcnow()))


@bp.post("/rondes/<int:round_id>/live/terug")
@access.rule(ROUND, "facilitator")
def live_back(round_id):
    return live_action(round_id, lambda acc: live_round.move(db.session, acc, "back", expected(), utcnow()))


@bp.post("/rondes/<int:round_id>/live/verleng")
@access.rule(ROUND, "facilitator")
def live_extend(round_id):
    minutes = request.form.get("minuten", type=int) or 0
    return live_action(round_id, lambda acc: live_round.extend(db.session, acc, expected(), minutes, utcnow()))


@bp.post("/rondes/<int:round_id>/live/toon")
@access.rule(ROUND, "facilitator")
def live_reveal(round_id):
    return live_action(round_id, lambda acc: live_round.reveal(db.session, acc, expected(), utcnow()))


@bp.post("/rondes/<int:round_id>/live/bijdragen")
@access.rule(ROUND, "participant")
def live_post(round_id):
    text = clean_text(request.form.get("tekst") or "").strip()
    if not text:
        acc = access.loaded()
        if wants_block():
            return render_live(acc, status=422, error=_("Typ eerst je vraag of advies."))
        return redirect(url_for(".live", round_id=round_id))
    return live_action(round_id, lambda acc: live_round.post(db.session, acc, text, expected(), utcnow()))


@bp.post("/rondes/<int:round_id>/live/bijdragen/<int:item_id>/waardeer")
@access.rule(ROUND, "presenter")
def live_rate(round_id, item_id):
    rating = request.form.get("waardering") or None
    return live_action(round_id, lambda acc: live_round.rate(db.session, acc, item_id, rating))


@bp.post("/rondes/<int:round_id>/live/bijdragen/<int:item_id>/helpt")
@access.rule(ROUND, "presenter")
def live_helpful(round_id, item_id):
    helpful = request.form.get("helpt") == "1"
    return live_action(round_id, lambda acc: live_round.mark_helpful(db.session, acc, item_id, helpful))


@bp.post("/rondes/<int:round_id>/live/bijdragen/<int:item_id>/verberg")
@access.rule(ROUND, "facilitator")
def live_hide(round_id, item_id):
    return live_action(round_id, lambda acc: live_round.hide(db.session, acc, item_id))


# After the round ---------------------------------------------------------------------------------

@bp.route("/rondes/<int:round_id>/reflectie", methods=["GET", "POST"])
@access.rule(ROUND, "participant")
def reflect(round_id):
    acc = access.loaded()
    mine = services.reflection(db.session, round_id, current_user.id)
    form = ReflectionForm(obj=mine if request.method == "GET" else None)
    if form.validate_on_submit():
        services.save_reflection(
            db.session, acc, takeaway=form.takeaway.data if acc.role == phases.PRESENTER else None,
            learning_point=form.learning_point.data or "", score=form.score.data, comment=form.comment.data or "",
            actions=[form.action_1.data or "", form.action_2.data or ""] if acc.role == phases.PRESENTER else [])
        db.session.commit()
        flash(_("Dank je. Je reflectie is bewaard."), "success")
        return redirect(url_for(".round_page", round_id=round_id))
    return render_template("intervisie/reflection.html", acc=acc, rnd=acc.round, form=form), 422 if form.errors else 200


@bp.post("/acties/<int:action_id>/klaar")
@access.signed_in
def action_done(action_id):
    access.found(services.complete_action(db.session, action_id, current_user.id))
    db.session.commit()
    flash(_("Actie afgevinkt. Goed gedaan!"), "success")
    return redirect(url_for("web.today"))


# Calendar and the lead's overview ----------------------------------------------------------------

@bp.get("/rondes/<int:round_id>.ics")
@access.rule(ROUND, "viewer")
def round_ics(round_id):
    acc = access.loaded()
    body = calendar.feed([acc.round], current_app.config["APP_URL"], name=acc.round.title)
    return Response(body, mimetype="text/calendar",
                    headers={"Content-Disposition": f'attachment; filename="intervisie-{round_id}.ics"',
                             "Cache-Control": "no-store"})


@bp.route("/agenda", methods=["GET", "POST"])
@access.signed_in
def calendar_settings():
    url = None
    if request.method == "POST":
        token = calendar.new_feed(db.session, current_user.id)
        db.session.commit()
        url = f"{current_app.config['APP_URL']}{url_for('.calendar_feed', token=token)}"
    return render_template("intervisie/agenda.html", url=url,
                           has_feed=calendar.has_feed(db.session, current_user.id))


@bp.post("/agenda/intrekken")
@access.signed_in
def calendar_revoke():
    calendar.revoke(db.session, current_user.id)
    db.session.commit()
    flash(_("Je agendalink werkt niet meer."), "info")
    return redirect(url_for(".calendar_settings"))


@bp.get("/agenda/<token>.ics")
@access.token
def calendar_feed(token):
    """The private feed: no sign-in (calendar apps cannot), the unguessable token is the key."""
    person_id = access.found(calendar.person_for(db.session, token))
    rounds = calendar.rounds_for(db.session, person_id)
    # private: the URL is the key, so no shared cache may keep (and hand out) what it answers.
    return Response(calendar.feed(rounds, current_app.config["APP_URL"], name="Leerkring"),
                    mimetype="text/calendar", headers={"Cache-Control": "private, no-store"})


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
