"""Feedback views: ask, answer, give unasked, reflect alone, close the loop, look back.

Every form post carries the phone's own id (`client_id`); a post whose id the server stored before
answers exactly as the first one did, so a retry or a replayed offline queue is harmless.
"""
from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from app import access, hooks, recognisable
from app.accounts import services as accounts
from app.accounts.loaders import TEAM
from app.extensions import db
from app.feedback import notifications, services
from app.feedback.loaders import EXCHANGE
from app.feedback.forms import AnswerForm, CloseForm, GiveForm, ReflectionForm, is_client_id
from app.feedback.models import OPEN, REQUEST
from app.models_base import utcnow

bp = Blueprint("feedback", __name__, url_prefix="/feedback")

KIND_LABELS = {
    "name": _l("een naam"), "birthdate": _l("een geboortedatum"), "bsn": _l("een BSN"),
    "address": _l("een adres"), "postcode": _l("een postcode"), "phone": _l("een telefoonnummer"),
    "email": _l("een e-mailadres"), "school": _l("een schoolnaam"),
}
LOOP_LABELS = {"rules": _l("Regels"), "insights": _l("Inzichten"), "principles": _l("Principes")}


def colleague_choices(form) -> None:
    form.colleague.choices = [(0, _("Kies een collega"))] + [
        (p.id, p.name) for p in services.colleagues(db.session, current_user)]


def check_colleague(form) -> bool:
    if form.colleague.data and services.is_colleague(db.session, current_user, form.colleague.data):
        return True
    form.colleague.errors = [*form.colleague.errors, _("Kies een collega uit je team.")]
    return False


def validated(form, *, colleague: bool = False) -> bool:
    """Validate a posted form; the colleague's error shows together with the others."""
    if not form.is_submitted():
        return False
    valid = form.validate()
    return (check_colleague(form) and valid) if colleague else valid


def already_sent(form) -> Response | None:
    """A client id the server stored before: answer as the first time (a redirect to the result)."""
    client_id = form.client_id.data
    submission = services.submission_of(db.session, client_id, current_user.id) if is_client_id(client_id) else None
    if submission is None:
        return None
    return sent(submission.exchange_id)


def sent(exchange_id: int | None, message=None) -> Response:
    flash(message or _("Verstuurd."), "success")
    if exchange_id and services.visible(db.session, current_user, exchange_id):
        return redirect(url_for(".exchange", exchange_id=exchange_id))
    return redirect(url_for(".index"))


def store(form, action, message) -> Response | None:
    """Claim the client id, run `action(submission) -> exchange`, commit. A parallel request with
    the same id loses at the primary key and answers as the winner did."""
    try:
        submission = services.claim_submission(db.session, form.client_id.data, current_user.id)
        exchange = action(submission)
        db.session.commit()
    except (services.Duplicate, IntegrityError):
        db.session.rollback()
        submission = services.submission_of(db.session, form.client_id.data, current_user.id)
        if submission is None:  # someone else's id, or a conflict that is not about the id
            form.client_id.errors = [_("Er ging iets mis met dit formulier. Vernieuw de pagina en verstuur opnieuw.")]
            return None
        return sent(submission.exchange_id, message)
    return sent(exchange.id, message)


def findings_of(form) -> list:
    """The recognisability check, unless the author confirmed with one tap."""
    if form.accept_risk.data:
        return []
    return recognisable.check(form.texts())


def render_form(template: str, form, status: int = 200, **context):
    return render_template(template, form=form, labels=KIND_LABELS, loops=LOOP_LABELS, **context), status


@bp.before_request
def outbox_follow():
    """outbox.js posts with fetch, which follows the success redirect itself: answer that GET
    with an empty 204 (it carries the X-Outbox header along), so the page's flash message stays
    for the page the phone opens next."""
    if request.method == "GET" and request.headers.get("X-Outbox") == "1":
        return Response(status=204)
    return None


# Overview ---------------------------------------------------------------------------------------

@bp.get("/")
@access.signed_in
def index():
    colleague_id = request.args.get("colleague", type=int)
    counterparts = services.counterparts(db.session, current_user)
    if colleague_id not in {p.id for p in counterparts}:
        colleague_id = None
    timeline = services.mine(db.session, current_user, colleague_id)
    lead_teams = [t for t in accounts.teams_of(db.session, current_user)
                  if accounts.can_lead(db.session, current_user, t)]
    to_answer, to_close = services.open_for(db.session, current_user)
    return render_template(
        "feedback/index.html", to_answer=to_answer, to_close=to_close, timeline=timeline,
        counts=services.loop_counts(timeline, current_user.id), counterparts=counterparts,
        colleague_id=colleague_id, ideas=services.case_ideas(db.session, current_user.id),
        lead_teams=lead_teams, loops=LOOP_LABELS)


# Ask, reflect alone, give unasked -----------------------------------------------------------------

@bp.route("/vragen", methods=["GET", "POST"])
@access.signed_in
def ask():
    form = ReflectionForm()
    colleague_choices(form)
    if request.method == "GET":
        buddies = hooks.of().lookup("current_buddies")
        form.colleague.data = services.default_colleague(db.session, current_user, buddies) or 0
    elif (done := already_sent(form)) is not None:
        return done
    findings = []
    if validated(form, colleague=True) and not (findings := findings_of(form)):
        reflection = services.Reflection(form.title.data, form.rules.data, form.insights.data,
                                         form.principles.data, form.wish.data)

        def action(submission):
            exchange = services.ask(db.session, current_user, form.colleague.data, reflection, submission,
                                    expire_days=current_app.config["FEEDBACK_EXPIRE_DAYS"])
            notifications.requested(db.session, exchange)
            return exchange
        if (done := store(form, action, _("Je vraag is verstuurd."))) is not None:
            return done
    status = 422 if request.method == "POST" else 200
    return render_form("feedback/ask.html", form, status, findings=findings, solo=False)


@bp.route("/alleen", methods=["GET", "POST"])
@access.signed_in
def solo():
    form = ReflectionForm()
    del form.colleague
    if request.method == "POST" and (done := already_sent(form)) is not None:
        return done
    findings = []
    if validated(form) and not (findings := findings_of(form)):
        reflection = services.Reflection(form.title.data, form.rules.data, form.insights.data,
                                         form.principles.data, form.wish.data)
        if (done := store(form, lambda s: services.reflect_alone(db.session, current_user, reflection, s),
                          _("Je reflectie is bewaard."))) is not None:
            return done
    status = 422 if request.method == "POST" else 200
    return render_form("feedback/ask.html", form, status, findings=findings, solo=True)


@bp.route("/geven", methods=["GET", "POST"])
@access.signed_in
def give():
    form = GiveForm()
    colleague_choices(form)
    if request.method == "GET":
        form.colleague.data = request.args.get("to", 0, type=int)
    elif (done := already_sent(form)) is not None:
        return done
    findings = []
    if validated(form, colleague=True) and not (findings := findings_of(form)):
        answer = services.Answer(form.observed.data, form.other_reading.data, form.at_stake.data,
                                 form.top.data, form.tip.data)

        def action(submission):
            exchange = services.give_unasked(db.session, current_user, form.colleague.data, form.title.data,
                                             answer, submission)
            notifications.answered(db.session, exchange)
            return exchange
        if (done := store(form, action, _("Je feedback is verstuurd."))) is not None:
            return done
    status = 422 if request.method == "POST" else 200
    return render_form("feedback/give.html", form, status, findings=findings)


# One exchange ------------------------------------------------------------------------------------

def render_exchange(exchange, *, answer_form=None, close_form=None, findings=(), status=200):
    me = current_user.id
    if answer_form is None and exchange.giver_id == me and exchange.status == OPEN and exchange.kind == REQUEST:
        answer_form = AnswerForm()
    if close_form is None and services.can_close(exchange, current_user):
        close_form = CloseForm()
    names = {p.id: p.name for p in services.counterparts(db.session, current_user)}
    return render_template(
        "feedback/exchange.html", exchange=exchange, answer_form=answer_form, close_form=close_form,
        findings=findings, labels=KIND_LABELS, loops=LOOP_LABELS, names=names, me=me,
        actions=services.actions.of_source(db.session, "feedback", exchange.id)
        if exchange.subject_id == me else []), status


@bp.get("/<int:exchange_id>")
@access.rule(EXCHANGE, "party")
def exchange(exchange_id):
    return render_exchange(access.loaded())


@bp.post("/<int:exchange_id>/antwoord")
@access.rule(EXCHANGE, "answerer")
def answer(exchange_id):
    ex = access.loaded()
    form = AnswerForm()

    def action(submission):
        values = services.Answer(form.observed.data, form.other_reading.data, form.at_stake.data,
                                 form.top.data, form.tip.data)
        services.answer(db.session, ex, current_user, values, submission)
        notifications.answered(db.session, ex)
        return ex
    return exchange_step(ex, form, "answer_form", may=ex.status == OPEN, action=action,
                         refused=_("Deze vraag is al beantwoord of gesloten."),
                         done=_("Je feedback is verstuurd. Dank je!"))


@bp.post("/<int:exchange_id>/afronden")
@access.rule(EXCHANGE, "asker")
def close(exchange_id):
    ex = access.loaded()
    form = CloseForm()
    return exchange_step(
        ex, form, "close_form", may=services.can_close(ex, current_user),
        action=lambda submission: services.close(db.session, ex, current_user, form.takeaway.data,
                                                 form.action.data, submission),
        refused=_("Dit is al afgerond."), done=_("Afgerond. Je actie staat op Vandaag."))


def exchange_step(ex, form, form_name: str, *, may: bool, action, refused: str, done: str):
    """Answer or close an exchange: a form sent before (the outbox again) answers as it did; a
    step that is no longer possible, now or by the time it is stored, says so; anything else
    is checked (recognisable details too) and stored once, or shown again with its errors."""
    back = url_for(".exchange", exchange_id=ex.id)  # before any rollback expires `ex`
    if (sent := already_sent(form)) is not None:
        return sent
    if not may:
        flash(refused, "error")
        return redirect(back)
    findings = []
    if validated(form) and not (findings := findings_of(form)):
        try:
            if (stored := store(form, action, done)) is not None:
                return stored
        except services.NotOpen:
            db.session.rollback()
            flash(refused, "error")
            return redirect(back)
    return render_exchange(ex, findings=findings, status=422, **{form_name: form})


@bp.post("/<int:exchange_id>/intervisie")
@access.rule(EXCHANGE, "asker")
def to_intervisie(exchange_id):
    ex = access.loaded()
    services.to_intervisie(db.session, ex, current_user)
    db.session.commit()
    flash(_("Staat in je ideeën voor intervisie."), "success")
    return redirect(url_for(".exchange", exchange_id=ex.id))


@bp.post("/<int:exchange_id>/verwijderen")
@access.rule(EXCHANGE, "party")
def delete(exchange_id):
    ex = access.loaded()
    services.delete_contribution(db.session, ex, current_user.id)
    db.session.commit()
    flash(_("Wat jij schreef is verwijderd."), "success")
    return redirect(url_for(".index"))


@bp.post("/ideeen/<int:idea_id>/verwijderen")
@access.signed_in
def delete_idea(idea_id):
    # One's own idea; someone else's is 404, as an id never used.
    access.require(services.delete_case_idea(db.session, idea_id, current_user.id), knows=False)
    db.session.commit()
    flash(_("Idee verwijderd."), "success")
    return redirect(url_for(".index"))


# For team leads: counts, never content ------------------------------------------------------------

@bp.get("/teams/<int:team_id>")
@access.rule(TEAM, "lead")
def team_counts(team_id):
    team = access.loaded()
    return render_template("feedback/team.html", team=team,
                           counts=services.team_counts(db.session, team.id, utcnow()))


# Offline ------------------------------------------------------------------------------------------

@bp.get("/offline")
@access.public
def offline_shell():
    """The shell the service worker shows for a feedback page when there is no network: nothing
    personal, no CSRF token. outbox.js fills it from what the phone kept of that form."""
    response = Response(render_template("feedback/offline.html", anonymous=True))
    response.headers["Cache-Control"] = "no-cache"
    return response
