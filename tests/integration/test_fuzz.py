"""Fuzzing every endpoint that takes input (issue 7, "Proof"): hostile text, control characters,
invalid UTF-8, lists where text belongs, file parts, JSON of every type, huge numbers and bodies.

Every answer: never a 500, a refusal with a clear message (a page, a fragment beside the form, or
JSON with "error"), and a refused request stores nothing (the row count of every table is the same
before and after). Deterministic (derandomize) and bounded (FUZZ_EXAMPLES per endpoint, default 12);
on SQLite by default and on PostgreSQL with TEST_DATABASE_URL.
"""
from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from app import create_app
from app.accounts import services as accounts
from app.extensions import db
from conftest import app_config, csrf_token
from test_intervisie import team  # noqa: F401,E402  (a fixture)
from fuzzkit import NO_INPUT, SPECS, Body, assert_clear, bodies, build_world, fresh_person, path_of, \
    query_values, resolved, row_counts, send, signed_in

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))
FUZZ = settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None, phases=(Phase.explicit, Phase.generate), report_multiple_bugs=False,
                suppress_health_check=list(HealthCheck))

# Tables a refused request may still write, and why.
MAY_CHANGE_WHEN_REFUSED = {
    # A failed passkey step hands out a fresh challenge so the next tap can succeed.
    "accounts.setup_verify": {"webauthn_challenge"},
}


def test_every_route_with_input_is_fuzzed(app):
    """A new route must get a Spec (or be listed as having no input of its own)."""
    covered = {s.endpoint for s in SPECS} | NO_INPUT
    assert {r.endpoint for r in app.url_map.iter_rules()} - covered == set()


@pytest.fixture(scope="module")
def shared_app(tmp_path_factory):
    """One app and one world for all endpoints: building a world per endpoint would take longer
    than the fuzzing. Each endpoint works on its own rows where its success would spoil the rest."""
    application = create_app(app_config(tmp_path_factory.mktemp("fuzz")))
    with application.app_context():
        db.drop_all()
        db.create_all()
    yield application
    with application.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


@pytest.fixture(scope="module")
def world(shared_app):
    return build_world(shared_app)


@pytest.mark.parametrize("spec", [s for s in SPECS if not s.endpoint.startswith("accounts.setup")],
                         ids=lambda s: f"{s.method} {s.endpoint}")
def test_fuzz(shared_app, world, spec):
    app, clients = shared_app, {}

    def client_for():
        if spec.actor is None:
            client = app.test_client()
            return client, csrf_token(client, "/inloggen")
        if spec.fresh_actor:
            client = signed_in(app, fresh_person(app, world))
            return client, csrf_token(client, "/profiel")
        if spec.actor not in clients:
            client = signed_in(app, world.people[spec.actor])
            clients[spec.actor] = (client, csrf_token(client, "/profiel"))
        return clients[spec.actor]

    run_examples(app, resolved(spec, world), path_of(spec, world), client_for)


def run_examples(app, spec, path, client_for):
    @FUZZ
    @given(data=st.data())
    def example(data):
        client, token = client_for()
        with app.app_context():
            before = row_counts()
        if spec.query:
            query = data.draw(query_values(spec), label="query")
            response = client.get(path, query_string=query, headers={"HX-Request": "true"} if spec.htmx else {})
        else:
            body = data.draw(bodies(spec), label="body")
            response = send(client, spec, path, body, token)
        assert_clear(response, spec)
        if response.status_code >= 400:
            with app.app_context():
                after = row_counts()
            changed = {t for t in before if before[t] != after[t]}
            assert changed <= MAY_CHANGE_WHEN_REFUSED.get(spec.endpoint, set()), \
                f"{spec.endpoint} {response.status_code} stored half: {changed}"

    example()


def test_nothing_is_sent_without_a_token(shared_app, world):
    """Without the CSRF token every post is refused with the friendly page (nothing else)."""
    client = signed_in(shared_app, world.people["lead"])
    for spec in SPECS:
        if spec.method == "GET" or spec.endpoint.startswith("accounts.setup"):
            continue
        response = send(client, spec, path_of(spec, world), Body("form", {}, csrf=False), "")
        assert response.status_code == 400 and "Probeer het nog eens" in response.get_data(as_text=True), spec


def test_fuzz_setup(app):
    """The first-run setup link: only while no organisation exists, so a world of its own (last in
    this file: on PostgreSQL its fresh tables replace the shared world's)."""
    with app.app_context():
        token = accounts.issue_setup_link(db.session, 24).token
        db.session.commit()
    for spec in (s for s in SPECS if s.endpoint.startswith("accounts.setup")):
        def client_for():
            client = app.test_client()
            return client, csrf_token(client, "/inloggen")
        run_examples(app, spec, spec.path.format(setup=token), client_for)


def test_control_characters_are_dropped_from_text_not_crashed_on(app, team, login):
    """PostgreSQL cannot store NUL in text (a 500 before); forms and live posts drop the control
    characters no keyboard types, and keep the rest of what was typed."""
    from sqlalchemy import select

    from app.accounts.models import Person
    from app.intervisie.models import CaseText, Contribution
    from test_intervisie import as_, planned_round, post, startable

    t, people = team
    lead = login(people["lead"])
    token = csrf_token(lead, "/profiel")
    assert lead.post("/profiel", data={"person_name": "Mari\x00eke\x1b", "locale": "", "csrf_token": token}).status_code == 302
    round_id = planned_round(app, lead, t.id, people)
    sanne = as_(app, login, people["sanne"])
    saved = sanne.post(f"/intervisie/rondes/{round_id}/casus", data={
        "help_question": "Hoe\x00 verder?", "case_text": "Regel 1\r\nRegel\x002\tklaar", "accept_risk": "y",
        "csrf_token": csrf_token(sanne, f"/intervisie/rondes/{round_id}/casus")})
    assert saved.status_code == 302
    startable(app, round_id)
    assert post(lead, f"/intervisie/rondes/{round_id}/live/start").status_code == 200
    assert post(lead, f"/intervisie/rondes/{round_id}/live/volgende", {"phase": 0}).status_code == 200
    daan = as_(app, login, people["daan"])
    assert post(daan, f"/intervisie/rondes/{round_id}/live/bijdragen", {"phase": 1, "text": "Wat\x00 nu?"}).status_code == 200
    with app.app_context():
        assert db.session.get(Person, people["lead"].id).name == "Marieke"
        case = db.session.get(CaseText, round_id)
        assert (case.help_question, case.case_text) == ("Hoe verder?", "Regel 1\r\nRegel2\tklaar")
        assert db.session.scalar(select(Contribution.text)) == "Wat nu?"


def test_json_with_lone_surrogates_or_deep_nesting_is_no_json(app, team, login):
    t, people = team
    client = login(people["lead"])
    token = csrf_token(client, "/profiel")
    for body in (b'{"endpoint": "\\ud800"}', b"[" * 100_000, b'{"endpoint": "https://fcm.googleapis.com/x\\u0000"}'):
        response = client.delete("/push/abonnementen", data=body, content_type="application/json",
                                 headers={"X-CSRFToken": token})
        assert response.status_code in (400, 404) and response.get_json()["error"]
    subscribed = client.post("/push/abonnementen", data=b'{"endpoint": "https://fcm.googleapis.com/x\\u0000", '
                             b'"keys": {"p256dh": "BN\\u0000", "auth": "a"}}', content_type="application/json",
                             headers={"X-CSRFToken": token})
    assert subscribed.status_code == 400 and subscribed.get_json()["error"]


# Found by fuzzing feedback and buddies -------------------------------------------------------------

def _form(client, path, data, page="/feedback/"):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, page)})


def test_feedback_forms_refuse_what_is_not_text_and_drop_control_characters(app, team, login):
    """Feedback's forms were plain FlaskForms: a file part or a JSON list was a 500, NUL reached
    the database (a 500 on PostgreSQL), and "<uuid>\\n" passed the client id check but not the
    36-character column."""
    import io
    import uuid

    from sqlalchemy import func, select

    from app.feedback.models import Exchange, Submission

    t, people = team
    sanne = login(people["sanne"])
    token = csrf_token(sanne, "/feedback/")
    base = {"csrf_token": token, "title": "Huisbezoek", "colleague": str(people["daan"].id)}
    as_file = sanne.post("/feedback/vragen", content_type="multipart/form-data", data={
        **base, "client_id": str(uuid.uuid4()), "rules": (io.BytesIO(b"x"), "x.txt")})
    assert as_file.status_code == 422 and "Hier hoort tekst" in as_file.get_data(as_text=True)
    as_list = sanne.post("/feedback/alleen", json=[{"title": "x"}], headers={"X-CSRFToken": token})
    assert as_list.status_code == 422 and 'class="error"' in as_list.get_data(as_text=True)
    newline = sanne.post("/feedback/alleen", data={**base, "client_id": f"{uuid.uuid4()}\n", "rules": "Iets."})
    assert newline.status_code == 422 and "Vernieuw de pagina" in newline.get_data(as_text=True)
    nul_id = sanne.post("/feedback/alleen", data={**base, "client_id": "a\x00b", "rules": "Iets."})
    assert nul_id.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Submission)) == 0
    kept = sanne.post("/feedback/alleen", data={**base, "client_id": str(uuid.uuid4()), "title": "Huis\x00bezoek",
                                                "rules": "Regel\x00 1\x1b"})
    assert kept.status_code == 302
    with app.app_context():
        stored = db.session.scalar(select(Exchange))
        assert (stored.title, stored.rules) == ("Huisbezoek", "Regel 1")


def test_buddy_forms_refuse_far_days_huge_ids_and_what_is_not_text(app, team, login):
    """A first wissel on 9999-12-31 overflowed the date (a 500 when saved, and again on publish);
    a colleague id beyond an INTEGER overflowed the driver; a file part or JSON list was a 500."""
    import io

    from sqlalchemy import func, select

    from app.buddies.models import Exclusion, Scheme

    t, people = team
    lead = login(people["lead"])
    scheme = {"name": "Buddy's Noord", "teams": [str(t.id)], "every_weeks": "6", "weekday": "0", "mix": "2",
              "cross_team": "1", "window": "4"}
    far = _form(lead, "/buddies/schemas/nieuw", {**scheme, "first_on": "9999-12-31"}, page="/buddies/")
    assert far.status_code == 422 and "Kies een datum binnen een jaar." in far.get_data(as_text=True)
    assert 'value="9999-12-31"' in far.get_data(as_text=True)  # what was typed stays
    as_file = lead.post("/buddies/schemas/nieuw", content_type="multipart/form-data", data={
        **scheme, "name": (io.BytesIO(b"x"), "x.txt"), "csrf_token": csrf_token(lead, "/buddies/")})
    assert as_file.status_code == 422 and "Hier hoort tekst" in as_file.get_data(as_text=True)
    as_list = lead.post("/buddies/pauze", json=["leave"], headers={"X-CSRFToken": csrf_token(lead, "/buddies/")})
    assert as_list.status_code == 422
    daan = login(people["daan"], on=app.test_client())
    huge = _form(daan, "/buddies/uitsluiten", {"excl-colleague": str(2**70)}, page="/buddies/")
    assert huge.status_code == 422 and 'class="error"' in huge.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Scheme)) == 0
        assert db.session.scalar(select(func.count()).select_from(Exclusion)) == 0
