"""The live round: the page, its changing state, the event stream and every move on it."""
from __future__ import annotations

import math
import random
import re
from datetime import datetime, timedelta

from flask import Response, abort, current_app, flash, redirect, request, stream_with_context, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from app import access
from app.accounts import login_sessions
from app.extensions import db
from app.form_base import clean_text
from app.intervisie import live_fragment, live_round, phases, services
from app.intervisie.loaders import ROUND, load_round
from app.intervisie.notifications import announce
from app.intervisie.views import bp
from app.models_base import utcnow
from app.live import DRAIN, GONE, StreamGuard
from app.rendering import block_response, page_or_block, wants_block

# Lines of an event's data: the server-sent events parser splits on each of these.
LINE_BREAK = re.compile(r"\r\n|\r|\n")
# A stream's last word when its person may no longer follow: the page reloads (`hx-sse:close`).
GONE_EVENT = "event: gone\ndata: gone\n\n"
UNDO_SHOWN = timedelta(seconds=8)  # how long "Ongedaan maken" stays on the facilitator's screen


# The live round ----------------------------------------------------------------------------------

def live_context(acc: services.Access, now: datetime, error: str | None = None,
                 undo_item: int | None = None, facts: live_fragment.RoundFacts | None = None) -> dict:
    lv = live_round.view(db.session, acc, now)
    facts = facts or live_fragment.RoundFacts(db.session, acc.round)
    choosing = lv.is_facilitator and lv.status == phases.PLANNED
    return dict(acc=acc, rnd=acc.round, lv=lv, error=error, ratings=live_round.RATING_LABELS, undo_item=undo_item,
                undo_until=now + UNDO_SHOWN,
                finish_undo_until=(acc.round.finished_at or now) + UNDO_SHOWN,
                ideas=services.case_ideas(db.session, acc.me.person_id) if live_fragment.chooses_idea(db.session, acc) else [],
                actions=facts.open_actions(acc.me.person_id) if lv.index <= 0 else [],
                case=services.visible_case(db.session, acc, now),
                start_from=services.can_start_from(acc.round) if choosing and now < services.can_start_from(acc.round) else None,
                participants=[p for p in acc.round.participants
                              if p.role != phases.FACILITATOR and p.person_id is not None] if choosing else [])


def render_live(acc: services.Access, *, status: int = 200, error: str | None = None, undo_item: int | None = None):
    """The live page, or to htmx its changing part (the `state` block). That block is the same for
    every phone of a role, so it is rendered once per round version (live_fragment) unless this
    answer carries something of its own: an error, or `undo_item`, the item the facilitator just
    hid, offered back for a few seconds ("Ongedaan maken")."""
    now = utcnow()
    version = acc.round.version
    if wants_block() and error is None and undo_item is None:
        response = block_response(live_fragment.state_html(db.session, acc, now,
                                                           lambda facts: live_context(acc, now, facts=facts)),
                                  status)
    else:
        response = page_or_block("intervisie/live.html", "state", status=status,
                                 **live_context(acc, now, error, undo_item))
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
    """Server-sent events: after each change, the new state itself (an unnamed message hx-sse
    swaps into the page) to a phone whose state is the shared one of its role; "changed" with the
    round's version to a phone with something of its own, which then fetches its state.

    Each open stream holds a server thread (a greenlet under gevent), so streams are capped per
    person and per process (beyond: 429, and hx-sse tries again later), and a stream ends ("gone")
    once its person signs out, loses the session or leaves the round: the process's stream guard
    checks all its streams together every heartbeat.
    """
    config = current_app.config
    heartbeat = config["LIVE_HEARTBEAT"]
    slot = current_app.extensions["live_streams"].open(
        current_user.id, per_person=config["LIVE_STREAMS_PER_PERSON"], per_process=config["LIVE_STREAMS_PER_PROCESS"])
    if slot is None:
        return streams_busy(heartbeat)
    channel = services.channel(round_id)
    shown = request.args.get("v")  # the version the page showed when it loaded, if it says
    facts = (current_user.login_session_id, round_id, current_user.id)
    person = current_user._get_current_object()
    generate_csrf()  # the session's token secret exists before the stream's messages fill it into forms
    broker, guard, app = current_app.extensions["live"], stream_guard(), current_app._get_current_object()
    db.session.remove()  # hold no database connection while the stream is open

    def events():
        with broker.subscribe(channel) as subscription:
            watched = guard.watch(subscription, facts, app)
            try:
                yield from stream_events(subscription, round_id, shown, heartbeat,
                                         lambda message: pushed_state(person, facts[0], round_id, message))
            finally:
                guard.forget(watched)

    response = Response(stream_with_context(events()), mimetype="text/event-stream")
    response.call_on_close(slot.close)  # also when the stream never started
    response.headers["Cache-Control"] = "no-cache, no-transform"
    response.headers["X-Accel-Buffering"] = "no"
    return response


def stream_events(subscription, round_id: int, shown: str | None, heartbeat: float, state):
    # Read after subscribing, so a change in between is either in this version or heard next.
    version = services.current_version(db.session, round_id)
    db.session.remove()
    yield "retry: 1000\n\n"
    # A phone that reconnects catches up at once: it hears the current version and fetches the
    # state, unless it still shows that very version (it just loaded the page), so a crowd
    # opening a round costs no second fetch each. `retry` again inside the event, where hx-sse
    # reads it: back to a quick reconnect.
    kind = "current" if shown == str(version) else "changed"
    yield f"event: {kind}\nid: {version}\nretry: 1000\ndata: {version}\n\n"
    # Phones join a round together; their pings fall anywhere in the first interval, then each
    # varies a little, so a round's streams do not wake in step.
    beat = heartbeat * random.uniform(0.1, 1.0)
    while True:
        message = subscription.get(timeout=beat)
        beat = heartbeat * random.uniform(0.9, 1.1)
        if message == DRAIN:  # this process stops: reconnect (to another) in 0.5-3 s
            yield f"retry: {random.randint(500, 3000)}\n\n"
            return
        if message == GONE:  # signed out, session ended, or no longer in the round
            yield GONE_EVENT
            return
        if not message:
            yield ": ping\n\n"
            continue
        pushed = state(message)
        if pushed is GONE:
            yield GONE_EVENT
            return
        if pushed is None:  # this phone's state is its own: it fetches it
            yield f"event: changed\nid: {message}\ndata: {message}\n\n"
        else:
            version, html = pushed
            yield f"id: {version}\n" + "".join(f"data: {line}\n" for line in LINE_BREAK.split(html)) + "\n"


def pushed_state(person, session_id: int, round_id: int, message: str):
    """What a stream sends its phone after a change: (version, the state's HTML) when the phone
    shares its role's render, None when its state is its own (it fetches that), GONE when it may
    no longer follow. Checked per change, as a fetch would: the sign-in session still lives and
    the person still has a seat. All streams of the round in this process share one check and
    one load of the round (`live_fragment.plan`); the phone makes no request."""
    mine = (session_id, person.id)
    try:
        streams = {(sid, pid) for sid, rid, pid in stream_guard().facts() if rid == round_id} | {mine}
        verdicts = live_fragment.caches().plans.get_or_render(
            (round_id, message), lambda: push_plan(round_id, streams), alone=lambda: push_plan(round_id, {mine}))
        if mine not in verdicts:  # this stream opened after the plan was made
            verdicts = push_plan(round_id, {mine})
        verdict = verdicts[mine]
        if verdict is None:
            return GONE
        if verdict == live_fragment.OWN:
            return None
        now = utcnow()

        def context() -> dict:
            acc = services.access(db.session, person, round_id)
            if acc is None or acc.me is None:
                raise LookupError("no longer in the round")
            return live_context(acc, now)
        try:
            return verdict[1], live_fragment.filled(db.session, verdict, now, context)
        except LookupError:
            return GONE
    finally:
        db.session.remove()


def push_plan(round_id: int, streams: set[tuple[int, int]]) -> dict:
    """The plan for these streams of a round after a change (see `live_fragment.plan`)."""
    return live_fragment.plan(db.session, round_id, streams, signed_in({sid for sid, _ in streams}), utcnow())


def signed_in(session_ids) -> set[int]:
    """Which of these sign-in sessions still live: one query for any number of streams."""
    return login_sessions.live_ids(db.session, session_ids, login_sessions.policy(current_app.config))


def stream_guard() -> StreamGuard:
    """This process's guard over the live round streams (`new_stream_guard`, made with the app)."""
    return current_app.extensions["intervisie.stream_guard"]


def new_stream_guard() -> StreamGuard:
    return StreamGuard(check=may_follow, interval=lambda: current_app.config["LIVE_HEARTBEAT"])


def may_follow(facts: list[tuple[int, int, int]]) -> set[tuple[int, int, int]]:
    """Which streams may go on: their sign-in session still lives and their person still takes
    part in the round. Two queries for all of a process's streams."""
    try:
        live = signed_in({session_id for session_id, _, _ in facts})
        seated = services.still_taking_part(db.session, {(round_id, person_id) for _, round_id, person_id in facts})
        return {f for f in facts if f[0] in live and f[1:] in seated}
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


def live_action(round_id, operation, undo_item: int | None = None):
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
    except live_round.ChoosePresenter:
        db.session.rollback()
        error, status = _("Kies eerst wie inbrengt."), 422
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
        return render_live(acc, status=status, error=error, undo_item=None if error else undo_item)
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
    value = form_int("phase")
    if value is None:
        abort(400)
    return value


@bp.post("/rondes/<int:round_id>/live/start")
@access.rule(ROUND, "facilitator")
def live_start(round_id):
    presenter = form_int("presenter")
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
    minutes = request.form.get("minutes", type=int) or 0
    return live_action(round_id, lambda acc: live_round.extend(db.session, acc, expected(), minutes, utcnow()))


@bp.post("/rondes/<int:round_id>/live/toon")
@access.rule(ROUND, "facilitator")
def live_reveal(round_id):
    return live_action(round_id, lambda acc: live_round.reveal(db.session, acc, expected(), utcnow()))


@bp.post("/rondes/<int:round_id>/live/bijdragen")
@access.rule(ROUND, "participant")
def live_post(round_id):
    text = clean_text(request.form.get("text") or "").strip()
    if not text:
        acc = access.loaded()
        if wants_block():
            return render_live(acc, status=422, error=_("Typ eerst je vraag of advies."))
        return redirect(url_for(".live", round_id=round_id))
    return live_action(round_id, lambda acc: live_round.post(db.session, acc, text, expected(), utcnow()))


@bp.post("/rondes/<int:round_id>/live/bijdragen/<int:item_id>/waardeer")
@access.rule(ROUND, "presenter")
def live_rate(round_id, item_id):
    rating = request.form.get("rating") or None
    return live_action(round_id, lambda acc: live_round.rate(db.session, acc, item_id, rating))


@bp.post("/rondes/<int:round_id>/live/bijdragen/<int:item_id>/helpt")
@access.rule(ROUND, "presenter")
def live_helpful(round_id, item_id):
    helpful = request.form.get("helpful") == "1"
    return live_action(round_id, lambda acc: live_round.mark_helpful(db.session, acc, item_id, helpful))


@bp.post("/rondes/<int:round_id>/live/bijdragen/<int:item_id>/verberg")
@access.rule(ROUND, "facilitator")
def live_hide(round_id, item_id):
    """Hide an item for everyone but its author; `hidden=0` shows it again (the undo)."""
    hidden = request.form.get("hidden", "1") != "0"
    return live_action(round_id, lambda acc: live_round.hide(db.session, acc, item_id, hidden),
                       undo_item=item_id if hidden else None)


