"""One round: its page, RSVP, the presenter's case, and the reflection afterwards."""
from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import access, recognisable
from app import actions as personal_actions
from app.extensions import db
from app.intervisie import methods, phases, services
from app.intervisie.forms import CaseForm, ReflectionForm
from app.intervisie.loaders import ROUND
from app.intervisie.models import Reflection
from app.intervisie.views import bp
from app.models_base import utcnow
from app.rendering import page_or_block, wants_block


# The round page, RSVP, the case ------------------------------------------------------------------

def attendance_context(acc: services.Access) -> dict:
    """Who comes, as the round page and its RSVP answer show it."""
    rnd = acc.round
    return dict(acc=acc, rnd=rnd, people=sorted(services.with_people(db.session, rnd), key=lambda p: (
        p.role != phases.FACILITATOR, p.role != phases.PRESENTER, p.person is None, p.name)),
        warn_size=not services.NORM_MIN <= len(rnd.participants) <= services.NORM_MAX)


def is_over(rnd, now) -> bool:
    """Finished, or so long past its start that it is not coming any more."""
    return rnd.status == phases.FINISHED or (rnd.status == phases.PLANNED and rnd.starts_at < now - timedelta(hours=4))


@bp.get("/rondes/<int:round_id>")
@access.rule(ROUND, "viewer")
def round_page(round_id):
    acc = access.loaded()
    now = utcnow()
    rnd = acc.round
    over = is_over(rnd, now) and not rnd.cancelled_at
    readable_from = services.case_readable_from(db.session, rnd)
    return render_template(
        "intervisie/round.html", method=methods.get(rnd.method_key),
        case=services.visible_case(db.session, acc, now),
        readable_from=readable_from if readable_from > now else None,
        actions=services.open_actions_before(db.session, rnd, current_user.id),
        over=over,
        summary=services.summary(db.session, rnd) if over and acc.me else None,
        reflected=bool(acc.me and db.session.get(Reflection, (rnd.id, current_user.id))),
        live_soon=rnd.status == phases.LIVE or (rnd.status == phases.PLANNED and not rnd.cancelled_at
                                                 and rnd.starts_at - now < timedelta(hours=2)),
        **attendance_context(acc),
    )


@bp.post("/rondes/<int:round_id>/rsvp")
@access.rule(ROUND, "participant")
def answer(round_id):
    acc = access.loaded()
    services.rsvp(db.session, acc.round, current_user.id, request.form.get("answer", ""))
    db.session.commit()
    acc = services.access(db.session, current_user, round_id)
    if request.form.get("from") == "today":  # the inline answer on Vandaag
        if wants_block():
            return render_template("intervisie/_rsvp_inline.html", rnd=acc.round, me=acc.me)
        return redirect(url_for("web.today"))
    if wants_block():  # the answer and the list of who comes change together
        return page_or_block("intervisie/round.html", "attendance", **attendance_context(acc))
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
    ideas = services.case_ideas(db.session, current_user.id)
    if request.method == "GET" and not form.help_question.data:
        chosen = next((i for i in ideas if str(i["id"]) == request.args.get("idea")), None)
        if chosen:  # one tap on a noted idea: it becomes the help question to work on
            form.help_question.data = chosen["text"]
    status = 422 if form.errors or findings else 200
    return render_template("intervisie/case.html", acc=acc, rnd=acc.round, form=form, findings=findings,
                           labels=recognisable.KIND_LABELS, ideas=ideas), status



# After the round ---------------------------------------------------------------------------------

@bp.route("/rondes/<int:round_id>/reflectie", methods=["GET", "POST"])
@access.rule(ROUND, "participant")
def reflect(round_id):
    acc = access.loaded()
    mine = services.reflection(db.session, round_id, current_user.id)
    form = ReflectionForm(obj=mine if request.method == "GET" else None)
    if request.method == "GET" and acc.role == phases.PRESENTER:  # reopened: the saved actions, editable
        form.action_1.data, form.action_2.data = services.action_texts(db.session, round_id, current_user.id)
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
    """Kept for links from before actions were shared: ticks off the shared personal action."""
    access.found(personal_actions.complete(db.session, action_id, current_user.id)
                 if services.valid_id(action_id) else None)
    db.session.commit()
    flash(_("Actie afgevinkt. Goed gedaan!"), "success")
    return redirect(url_for("web.today"))


