"""What the fuzz, injection and concurrency tests share: a small world of people and rounds, every
endpoint that takes input (from app.url_map), hostile inputs as hypothesis strategies, and the
checks every answer must pass (no 500, a clear message, nothing stored half).
"""
from __future__ import annotations

import functools
import io
import json
import re
import secrets
import uuid
from dataclasses import dataclass, field, replace
from datetime import date

from hypothesis import strategies as st
from sqlalchemy import func, select

from app import legacy_urls
from app.accounts import services as accounts
from app import actions
from app.accounts.models import Membership, Organisation, Person, Team
from app.buddies import services as buddies
from app.extensions import db
from app.actions import PersonalAction
from app.feedback import services as feedback
from app.intervisie.models import Contribution
from app.models_base import utcnow
from app.notify.models import PushSubscription
from conftest import own_session, sign_in_as
from test_intervisie import planned_round, post, startable

# Endpoints without input of their own (pages, files, the event stream): nothing to fuzz but ids,
# which the access and integrity tests cover. Every other route must have a spec below.
NO_INPUT = {"static", "web.today", "web.offline", "web.manifest", "web.service_worker", "web.robots",
            "intervisie.index", "intervisie.round_page", "intervisie.round_ics", "intervisie.live",
            "intervisie.live_stream", "intervisie.calendar_feed", "notify.inbox", "notify.open_item",
            "accounts.team", "accounts.export", "accounts.security", "accounts.my_data", "accounts.privacy_page",
            "ops.healthz", "ops.readyz", "feedback.exchange", "feedback.team_counts", "feedback.offline_shell",
            "buddies.index", "buddies.scheme", "buddies.preview"}
# The old English addresses only redirect, query string and all, to a page fuzzed under its own name.
NO_INPUT |= {"legacy." + endpoint.split(".", 1)[1] for endpoint in legacy_urls.MOVED.values()}


@dataclass
class World:
    """One team in use: a planned round, a live one with a question in it, links and a device."""
    team: object
    team_id: int
    people: dict
    planned: int = 0
    live: int = 0
    item: int = 0
    action: int = 0
    invite: str = ""
    recovery: str = ""
    subscription: int = 0
    extra: dict = field(default_factory=dict)


def add_person(app, team, role="member", name=None, admin=False) -> Person:
    with app.app_context(), own_session() as session:
        person = Person(name=name or f"Collega {secrets.token_hex(3)}", organisation_id=team.organisation_id,
                        is_admin=admin)
        session.add(person)
        session.add(Membership(person=person, team_id=team.id, role=role))
        session.commit()
        return person


def signed_in(app, person):
    client = app.test_client()
    sign_in_as(client, person)
    return client


def build_world(app) -> World:
    """Wijkteam Noord: a lead (also admin), five colleagues, a planned round (Sanne presents), a
    second planned round to cancel, and a live "roddel" round in its question phase with a question."""
    with app.app_context(), own_session() as session:
        team = Team(name="Wijkteam Noord", organisation=Organisation(name="Jeugdzorg Test"))
        session.add(team)
        session.commit()
    people = {"lead": add_person(app, team, role="lead", name="Marieke de Vries", admin=True)}
    for key, name in [("sanne", "Sanne Bakker"), ("daan", "Daan Visser"), ("fatima", "Fatima Ouali"),
                      ("joris", "Joris Hendriks"), ("youssef", "Youssef El Amrani")]:
        people[key] = add_person(app, team, name=name)
    world = World(team, team.id, people)
    lead = signed_in(app, people["lead"])
    world.planned = planned_round(app, lead, team.id, people)
    world.extra["doomed"] = planned_round(app, lead, team.id, people, time="15:30")  # another slot
    world.live = planned_round(app, lead, team.id, people, method="roddel", time="17:00")
    startable(app, world.live)
    assert post(lead, f"/intervisie/rondes/{world.live}/live/start").status_code == 200
    assert post(lead, f"/intervisie/rondes/{world.live}/live/volgende", {"phase": 0}).status_code == 200
    daan = signed_in(app, people["daan"])
    assert post(daan, f"/intervisie/rondes/{world.live}/live/bijdragen",
                {"phase": 1, "text": "Wat heb je al geprobeerd?"}).status_code == 200
    with app.app_context():
        world.item = db.session.scalar(select(Contribution.id))
        action = PersonalAction(source="intervisie", source_id=world.planned, owner_id=people["lead"].id, text="Bel de voogd")
        sub = PushSubscription(person_id=people["lead"].id, endpoint="https://fcm.googleapis.com/fcm/send/x",
                               p256dh="BNc", auth="abc", label="Telefoon")
        db.session.add_all([action, sub])
        lead_row = db.session.get(Person, people["lead"].id)
        team_row = db.session.get(Team, team.id)
        world.invite = accounts.issue_invite(db.session, team=team_row, role="member", make_admin=False,
                                             email=None, created_by=lead_row, days=7).token
        world.recovery = accounts.issue_recovery(db.session, person=db.session.get(Person, people["daan"].id),
                                                 issued_by=lead_row, hours=24).token
        db.session.commit()
        world.action, world.subscription = action.id, sub.id
    build_feedback(app, world)
    build_buddies(app, world)
    return world


def build_feedback(app, world: World) -> None:
    """Sanne asked the lead (open, for the lead to answer); the lead asked Daan, who answered (for
    the lead to close the loop on); a solo reflection of the lead's to delete; an idea; an action."""
    people = world.people
    with app.app_context():
        lead, sanne, daan = (db.session.get(Person, people[k].id) for k in ("lead", "sanne", "daan"))

        def claim(person):
            return feedback.claim_submission(db.session, str(uuid.uuid4()), person.id)
        reflection = feedback.Reflection("Huisbezoek dinsdag", rules="Ik volgde de opzet.")
        open_request = feedback.ask(db.session, sanne, lead.id, reflection, claim(sanne), expire_days=14)
        answered = feedback.ask(db.session, lead, daan.id, reflection, claim(lead), expire_days=14)
        feedback.answer(db.session, answered, daan, feedback.Answer(top="Rustig gebleven."), claim(daan))
        doomed = feedback.reflect_alone(db.session, lead, reflection, claim(lead))
        idea = feedback.to_intervisie(db.session, answered, lead)
        own = actions.add(db.session, lead.id, "Drie open vragen stellen", source="feedback", source_id=answered.id)
        db.session.commit()
        world.extra.update(open_request=open_request.id, answered=answered.id, doomed_exchange=doomed.id,
                           idea=idea.id, personal_action=own.id)


def build_buddies(app, world: World) -> None:
    """A scheme for the team with one published rotation (Sanne is in a current group), an
    onboarding pair, and a draft for the next rotation with a group that is not the pair."""
    people = world.people
    with app.app_context():
        lead = db.session.get(Person, people["lead"].id)
        today = date.today()
        scheme = buddies.create_scheme(db.session, lead, buddies.Settings("Buddy's Noord", [world.team_id]), today)
        first = buddies.compute(db.session, scheme)
        buddies.publish(db.session, scheme, first, utcnow())
        sanne_group = next(g.id for g in first.groups if people["sanne"].id in g.member_ids)
        pair = buddies.set_onboarding(db.session, scheme, people["joris"].id, people["youssef"].id)
        draft = buddies.compute(db.session, scheme)
        group = next(g.id for g in draft.groups if not g.onboarding)
        db.session.commit()
        world.extra.update(scheme=scheme.id, sanne_group=sanne_group, onboarding=pair.id, draft_group=group)


@dataclass(frozen=True)
class Spec:
    """One endpoint as a client uses it: who, which fields, form or JSON, and how to reach it."""
    endpoint: str
    method: str
    path: str  # formatted with the world's fields
    fields: tuple[str, ...] = ()
    actor: str | None = "lead"  # None: anonymous
    json: bool = False
    query: bool = False  # GET with query parameters
    htmx: bool = False
    fresh_actor: bool = False  # the request may end the actor (delete, sign out everywhere)


PLAN_FIELDS = ("title", "date", "time", "place", "video_url", "method", "participants", "facilitator",
               "presenter", "repeat_weeks", "repeat_count", "save_template", "minutes_0", "minutes_1",
               "confirm_size", "preview")

FEEDBACK_FIELDS = ("client_id", "accept_risk")
REFLECTION_FIELDS = ("title", "rules", "insights", "principles", "wish")
ANSWER_FIELDS = ("observed", "other_reading", "at_stake", "top", "tip")
SCHEME_FIELDS = ("name", "teams", "org_wide", "every_weeks", "weekday", "first_on", "mix", "cross_team", "window",
                 "auto_publish")

SPECS = [
    Spec("accounts.setup", "POST", "/inrichten/{setup}", ("organisation_name", "team_name", "person_name"), actor=None),
    Spec("accounts.setup_verify", "POST", "/inrichten/{setup}/passkey", ("credential",), actor=None, json=True),
    Spec("accounts.invite", "POST", "/uitnodiging/{invite}", ("person_name",), actor=None),
    Spec("accounts.invite_verify", "POST", "/uitnodiging/{invite}/passkey", ("credential",), actor=None, json=True),
    Spec("accounts.recover", "POST", "/herstel/{recovery}", (), actor=None),
    Spec("accounts.recover_verify", "POST", "/herstel/{recovery}/passkey", ("credential",), actor=None, json=True),
    Spec("accounts.login", "GET", "/inloggen", ("next",), actor=None, query=True),
    Spec("accounts.login_options", "POST", "/inloggen/opties", ("mediation",), actor=None, json=True),
    Spec("accounts.login_verify", "POST", "/inloggen/controle", ("credential", "mediation", "next"), actor=None,
         json=True),
    Spec("accounts.logout", "POST", "/uitloggen", (), fresh_actor=True),
    Spec("accounts.create_invite", "POST", "/teams/{team_id}/uitnodigingen", ("email", "role")),
    Spec("accounts.issue_recovery", "POST", "/teams/{team_id}/leden/{daan}/herstellink", ()),
    Spec("accounts.new_team", "POST", "/teams/nieuw", ("team_name",)),
    Spec("accounts.profile", "POST", "/profiel", ("person_name", "locale")),
    Spec("accounts.add_passkey", "POST", "/profiel/passkeys/nieuw", ()),
    Spec("accounts.add_passkey_verify", "POST", "/profiel/passkeys/controle", ("credential",), json=True),
    Spec("accounts.remove_passkey", "POST", "/profiel/passkeys/1/verwijder", ()),
    Spec("accounts.delete_account", "POST", "/profiel/verwijder", (), fresh_actor=True),
    Spec("accounts.end_device_session", "POST", "/profiel/sessies/1/uitloggen", (), fresh_actor=True),
    Spec("accounts.end_all_sessions", "POST", "/profiel/sessies/overal-uitloggen", (), fresh_actor=True),
    Spec("accounts.audit_log", "GET", "/beheer/logboek", ("before",), query=True),
    Spec("intervisie.plan", "POST", "/intervisie/teams/{team_id}/plan", PLAN_FIELDS + ("submission",)),
    Spec("intervisie.plan", "GET", "/intervisie/teams/{team_id}/plan", ("template",), query=True),
    Spec("intervisie.edit", "POST", "/intervisie/rondes/{planned}/wijzig", PLAN_FIELDS),
    Spec("intervisie.cancel", "POST", "/intervisie/rondes/{doomed}/afgelasten", ()),
    Spec("intervisie.answer", "POST", "/intervisie/rondes/{planned}/rsvp", ("answer",), actor="daan", htmx=True),
    Spec("intervisie.case", "POST", "/intervisie/rondes/{planned}/casus", ("help_question", "case_text", "accept_risk"),
         actor="sanne"),
    Spec("intervisie.live_state", "GET", "/intervisie/rondes/{live}/live/stand", ("v",), actor="daan", query=True),
    Spec("intervisie.live_start", "POST", "/intervisie/rondes/{planned}/live/start", ("presenter",), htmx=True),
    Spec("intervisie.live_post", "POST", "/intervisie/rondes/{live}/live/bijdragen", ("phase", "text"), actor="daan",
         htmx=True),
    Spec("intervisie.live_rate", "POST", "/intervisie/rondes/{live}/live/bijdragen/{item}/waardeer", ("rating",),
         actor="sanne", htmx=True),
    Spec("intervisie.live_helpful", "POST", "/intervisie/rondes/{live}/live/bijdragen/{item}/helpt", ("helpful",),
         actor="sanne", htmx=True),
    Spec("intervisie.live_hide", "POST", "/intervisie/rondes/{live}/live/bijdragen/{item}/verberg", (), htmx=True),
    Spec("intervisie.live_next", "POST", "/intervisie/rondes/{live}/live/volgende", ("phase",), htmx=True),
    Spec("intervisie.live_back", "POST", "/intervisie/rondes/{live}/live/terug", ("phase",), htmx=True),
    Spec("intervisie.live_extend", "POST", "/intervisie/rondes/{live}/live/verleng", ("phase", "minutes"), htmx=True),
    Spec("intervisie.live_reveal", "POST", "/intervisie/rondes/{live}/live/toon", ("phase",), htmx=True),
    Spec("intervisie.reflect", "POST", "/intervisie/rondes/{planned}/reflectie",
         ("takeaway", "action_1", "action_2", "learning_point", "score", "comment"), actor="sanne"),
    Spec("intervisie.action_done", "POST", "/intervisie/acties/{action}/klaar", ()),
    Spec("intervisie.calendar_settings", "POST", "/intervisie/agenda", ()),
    Spec("intervisie.calendar_revoke", "POST", "/intervisie/agenda/intrekken", ()),
    Spec("intervisie.team_overview", "POST", "/intervisie/teams/{team_id}/overzicht",
         ("case_retention_days", "case_preview_hours")),
    Spec("notify.read_all", "POST", "/meldingen/gelezen", ()),
    Spec("notify.settings", "POST", "/meldingen/instellingen",
         ("quiet_enabled", "quiet_evening", "quiet_morning", "quiet_weekends", "kind")),
    Spec("notify.send_test", "POST", "/meldingen/test", ()),
    Spec("notify.subscribe", "POST", "/push/abonnementen", ("endpoint", "keys", "expirationTime"), json=True),
    Spec("notify.unsubscribe", "DELETE", "/push/abonnementen", ("endpoint",), json=True),
    Spec("notify.remove_device", "POST", "/meldingen/apparaten/{subscription}/verwijder", ()),
    Spec("actions.done", "POST", "/acties/{personal_action}/gedaan", ()),
    # Feedback: every form carries the phone's client id (a valid one is among the NASTY values).
    Spec("feedback.index", "GET", "/feedback/", ("collega",), query=True),
    Spec("feedback.ask", "GET", "/feedback/vragen", ("x",), query=True),
    Spec("feedback.ask", "POST", "/feedback/vragen", FEEDBACK_FIELDS + REFLECTION_FIELDS + ("colleague",)),
    Spec("feedback.solo", "POST", "/feedback/alleen", FEEDBACK_FIELDS + REFLECTION_FIELDS),
    Spec("feedback.give", "GET", "/feedback/geven", ("to",), query=True),
    Spec("feedback.give", "POST", "/feedback/geven", FEEDBACK_FIELDS + ANSWER_FIELDS + ("colleague", "title")),
    Spec("feedback.answer", "POST", "/feedback/{open_request}/antwoord", FEEDBACK_FIELDS + ANSWER_FIELDS),
    Spec("feedback.close", "POST", "/feedback/{answered}/afronden", FEEDBACK_FIELDS + ("takeaway", "action")),
    Spec("feedback.to_intervisie", "POST", "/feedback/{answered}/intervisie", ()),
    Spec("feedback.delete_idea", "POST", "/feedback/ideeen/{idea}/verwijderen", ()),
    Spec("feedback.delete", "POST", "/feedback/{doomed_exchange}/verwijderen", ()),
    # Buddies: the person's own settings, then the lead's scheme (publish last: it ends the draft).
    Spec("buddies.experience", "POST", "/buddies/ervaring", ("exp-years",), actor="daan"),
    Spec("buddies.pause", "POST", "/buddies/pauze", ("pause-reason", "pause-until"), actor="daan"),
    Spec("buddies.end_pause", "POST", "/buddies/pauze/stop", (), actor="daan"),
    Spec("buddies.exclude", "POST", "/buddies/uitsluiten", ("excl-colleague",), actor="daan"),
    Spec("buddies.unexclude", "POST", "/buddies/uitsluiten/{sanne}/opheffen", (), actor="daan"),
    Spec("buddies.propose_meeting", "POST", "/buddies/groep/{sanne_group}/afspraak", ("back",), actor="sanne"),
    Spec("buddies.new_scheme", "POST", "/buddies/schemas/nieuw", SCHEME_FIELDS),
    Spec("buddies.edit_scheme", "POST", "/buddies/schemas/{scheme}/instellingen", SCHEME_FIELDS),
    Spec("buddies.lead_experience", "POST", "/buddies/schemas/{scheme}/ervaring/{daan}", ("exp{daan}-years",)),
    Spec("buddies.set_onboarding", "POST", "/buddies/schemas/{scheme}/inwerkbuddy", ("onb-newcomer", "onb-buddy")),
    Spec("buddies.release_onboarding", "POST", "/buddies/schemas/{scheme}/inwerkbuddy/{onboarding}/loslaten", ()),
    Spec("buddies.lock", "POST", "/buddies/schemas/{scheme}/groepen/{draft_group}/vastzetten", ()),
    Spec("buddies.veto", "POST", "/buddies/schemas/{scheme}/groepen/{draft_group}/afwijzen", ()),
    Spec("buddies.recompute", "POST", "/buddies/schemas/{scheme}/voorstel/opnieuw", ()),
    Spec("buddies.publish", "POST", "/buddies/schemas/{scheme}/bekendmaken", ()),
]


def values_of(world: World) -> dict:
    return {"team_id": world.team_id, "planned": world.planned, "live": world.live, "item": world.item,
            "action": world.action, "invite": world.invite, "recovery": world.recovery,
            "subscription": world.subscription, "daan": world.people["daan"].id,
            "sanne": world.people["sanne"].id, **world.extra}


def path_of(spec: Spec, world: World) -> str:
    return spec.path.format(**values_of(world))


def resolved(spec: Spec, world: World) -> Spec:
    """The spec with its field names filled in (a form prefixed with a person's id)."""
    return replace(spec, fields=tuple(f.format(**values_of(world)) for f in spec.fields))


# Hostile inputs --------------------------------------------------------------------------------

NASTY = [
    "", " ", "\x00", "a\x00b", "\r\nX-Evil: 1", "\u2028", "\x1b[31m", "\ufeff", "\u202e", "🙂" * 3,
    str(2**70), str(-2**70), "-1", "0", "1e9", "NaN", "Infinity", "1.5", "0x10", "null", "true", "[]", "{}",
    "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "{{7*7}}", "javascript:alert(1)",
    "9999-12-31", "0000-00-00", "25:61", "24:00", "2024-02-30", "yes", "no", "maybe", "koud", "warm", "1", "y",
    "member", "lead", "nl", "en", "https://fcm.googleapis.com/fcm/send/\x00", "' OR 1=1 --", "%00", "../../etc",
    "0f0e0d0c-0b0a-4908-8706-050403020100", "2", "3", "leave", "sick", "2030-01-07",
]
LONG = [121, 201, 501, 1001, 2001, 5001, 70_000]

texts = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=40),
    st.builds(lambda n, c: c * n, st.sampled_from(LONG), st.sampled_from(["x", "é", "\x00", "🙂", "<"])),
)


@dataclass(frozen=True)
class FilePart:
    name: str = "x.txt"
    content: bytes = b"not text"


field_values = st.one_of(
    texts,
    st.lists(texts, min_size=2, max_size=3),  # a repeated form key
    st.just(FilePart()),
    st.just(FilePart("", b"")),  # an empty file input
)

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-2**70, max_value=2**70),
                         st.floats(allow_nan=False, allow_infinity=False), texts)
json_values = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)), max_leaves=6)


@dataclass(frozen=True)
class Body:
    kind: str  # form, multipart, json, raw, huge, none
    data: object = None
    csrf: bool = True


@functools.cache  # one strategy per spec: building and validating it anew per example cost a third of the run
def bodies(spec: Spec):
    """Every way to send something to the endpoint, for its own field names and a stranger one."""
    names = list(spec.fields) + ["csrf_token_x"]
    form = st.dictionaries(st.sampled_from(names), field_values, max_size=len(names))
    as_json_object = st.dictionaries(st.one_of(st.sampled_from(names), st.text(max_size=6)), json_values,
                                     max_size=len(names))
    return st.one_of(
        st.builds(Body, st.just("form"), form),
        st.builds(Body, st.just("multipart"), form),
        st.builds(Body, st.just("json"), st.one_of(as_json_object, json_values)),
        st.builds(Body, st.just("raw"), st.sampled_from([
            b"%FF%FE=%ED%A0%80", b"\xff\xfe\x00", b"a=%ED%A0%80&a=%C0%AF", b"=&=&&==", b"a" * 300_000,
            b"{\"endpoint\": \"\\ud800\"}", b"{" * 5000, b"[" * 100_000])),
        st.builds(Body, st.just("huge"), st.sampled_from(list(spec.fields) or ["x"])),
        st.builds(Body, st.just("none")),
        st.builds(Body, st.just("form"), form, csrf=st.just(False)),
    )


@functools.cache
def query_values(spec: Spec):
    return st.dictionaries(st.sampled_from(["next", "before", "template", "v", "x", *spec.fields]),
                           st.one_of(texts, st.lists(texts, min_size=2, max_size=3)), max_size=3)


def send(client, spec: Spec, path: str, body: Body, token: str):
    """One request as an attacker's script would make it; the CSRF token is valid unless dropped."""
    headers = {"X-CSRFToken": token} if body.csrf else {}
    if spec.htmx:
        headers["HX-Request"] = "true"
    kwargs: dict = {"headers": headers}
    if body.kind == "form":
        kwargs["data"] = {k: _plain(v) for k, v in body.data.items()}
        kwargs["content_type"] = "application/x-www-form-urlencoded"
        if any(isinstance(v, FilePart) for v in body.data.values()):
            kwargs["content_type"] = "multipart/form-data"
            kwargs["data"] = {k: _part(v) for k, v in body.data.items()}
    elif body.kind == "multipart":
        kwargs["data"] = {k: _part(v) for k, v in body.data.items()}
        kwargs["content_type"] = "multipart/form-data"
    elif body.kind == "json":
        kwargs["data"] = json.dumps(body.data, ensure_ascii=True)
        kwargs["content_type"] = "application/json"
    elif body.kind == "raw":
        kwargs["data"] = body.data
        kwargs["content_type"] = "application/json" if body.data[:1] in (b"{", b"[") else \
            "application/x-www-form-urlencoded"
    elif body.kind == "huge":
        kwargs["data"] = {body.data: "x" * (1024 * 1024 + 10)}
    return client.open(path, method=spec.method, **kwargs)


def _surrogate_safe(value: str) -> str:
    return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def _plain(value):
    if isinstance(value, list):
        return [_surrogate_safe(v) for v in value]
    if isinstance(value, FilePart):
        return value.content.decode()
    return _surrogate_safe(value)


def _part(value):
    if isinstance(value, FilePart):
        return (io.BytesIO(value.content), value.name)
    return _plain(value)


# Checks ----------------------------------------------------------------------------------------

BARE_WERKZEUG = re.compile(r"<title>\d{3} [A-Za-z ]+</title>")
CLEAR = ('class="error"', "flash-error", 'class="flash', "Naar Vandaag", "Naar inloggen", "Deze link")


def assert_clear(response, spec: Spec) -> None:
    """Never a 500; a refusal says what is wrong, as JSON to scripts or a page/fragment to people."""
    assert response.status_code < 500, f"{spec.endpoint}: {response.status_code}"
    if response.status_code < 400:
        return
    body = response.get_data(as_text=True)
    assert not BARE_WERKZEUG.search(body), f"{spec.endpoint}: bare Werkzeug page {response.status_code}"
    if response.is_json:
        assert isinstance(response.get_json(), dict) and response.get_json().get("error"), body[:300]
        return
    if response.mimetype == "text/event-stream":
        return
    assert any(mark in body for mark in CLEAR), f"{spec.endpoint} {response.status_code}: no message: {body[:500]}"


def row_counts() -> dict[str, int]:
    """The number of rows in every table, in one statement (fast enough to run around each request)."""
    tables = list(db.metadata.sorted_tables)
    query = select(*[select(func.count()).select_from(t).scalar_subquery().label(t.name) for t in tables])
    return dict(db.session.execute(query).mappings().one())


def fresh_person(app, world: World, role="lead") -> Person:
    return add_person(app, world.team, role=role)
