"""Feedback through Flask's test client: ask, answer, close; unasked; solo; access; the phone's own
ids (retries and parallel duplicates); reminder and expiry; export and deletion; bad input."""
from __future__ import annotations

import re
import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app import actions, hooks
from app.extensions import db
from app.feedback import notifications, services
from app.feedback.models import CaseIdea, Exchange, Submission
from app.models_base import utcnow
from app.notify.models import Notification
from conftest import csrf_token


@pytest.fixture
def team(make_team, make_person):
    t = make_team("Wijkteam Noord")
    people = {"lead": make_person(t, role="lead", name="Marieke de Vries")}
    for key, name in [("sanne", "Sanne Bakker"), ("fatima", "Fatima Ouali"), ("daan", "Daan Visser")]:
        people[key] = make_person(t, name=name)
    return t, people


def as_(app, login, person):
    return login(person, on=app.test_client())


def post(client, path, data):
    token = csrf_token(client, "/feedback/")
    return client.post(path, data={"csrf_token": token, "client_id": str(uuid.uuid4()), **data})


def ask(client, giver, **overrides):
    data = {"colleague": str(giver.id), "title": "Huisbezoek dinsdag",
            "rules": "Ik volgde de gespreksopzet.", "insights": "Ik ging uit van weerstand.", "principles": "",
            "wish": "Zag jij iets wat ik miste?"}
    data.update(overrides)
    return post(client, "/feedback/vragen", data)


def exchange_id(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    return int(re.search(r"/feedback/(\d+)$", response.headers["Location"]).group(1))


ANSWER = {"observed": "Je bleef rustig.", "other_reading": "Het leek schaamte.", "at_stake": "",
          "top": "Mooie samenvatting.", "tip": "Benoem wat je ziet."}


def test_ask_answer_close_the_loop(app, team, login):
    _t, people = team
    sanne = as_(app, login, people["sanne"])
    ex_id = exchange_id(ask(sanne, people["fatima"]))
    with app.app_context():
        note = db.session.scalar(select(Notification).where(Notification.kind == "feedback_request"))
        assert note.person_id == people["fatima"].id and note.url == f"/feedback/{ex_id}"
    fatima = as_(app, login, people["fatima"])
    page = fatima.get(f"/feedback/{ex_id}").get_data(as_text=True)
    # One screen: the asker's reflection above the answer fields.
    assert page.index("Ik ging uit van weerstand.") < page.index('name="observed"')
    assert "Op Vandaag" not in page
    assert "Geef feedback: Huisbezoek dinsdag" in fatima.get("/").get_data(as_text=True)
    assert exchange_id(post(fatima, f"/feedback/{ex_id}/antwoord", ANSWER)) == ex_id
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Notification)
                                 .where(Notification.kind == "feedback_answered")) == 1
    page = sanne.get(f"/feedback/{ex_id}").get_data(as_text=True)
    assert "Het leek schaamte." in page and 'name="action"' in page
    assert exchange_id(post(sanne, f"/feedback/{ex_id}/afronden",
                            {"takeaway": "Eerst vragen, dan duiden.", "action": "Drie open vragen stellen"})) == ex_id
    today = sanne.get("/").get_data(as_text=True)
    assert "Drie open vragen stellen" in today and "Uit feedback" in today
    with app.app_context():
        [action] = actions.open_for(db.session, people["sanne"].id)
    assert sanne.post(f"/acties/{action.id}/gedaan", headers={"X-CSRFToken": csrf_token(sanne, "/")}).status_code == 302
    assert "Drie open vragen stellen" not in sanne.get("/").get_data(as_text=True)
    # Inbrengen bij intervisie: a draft help question in the person's list of ideas.
    post(sanne, f"/feedback/{ex_id}/intervisie", {})
    assert "Eerst vragen, dan duiden." in sanne.get("/feedback/").get_data(as_text=True)
    post(sanne, f"/feedback/{ex_id}/intervisie", {})  # a second tap keeps one idea
    with app.app_context():
        assert len(services.case_ideas(db.session, people["sanne"].id)) == 1


def test_only_the_owner_ticks_off_an_action(app, team, login):
    _t, people = team
    with app.app_context():
        action = actions.add(db.session, people["sanne"].id, "Mijn actie", source="feedback")
        db.session.commit()
        action_id = action.id
    daan = as_(app, login, people["daan"])
    assert daan.post(f"/acties/{action_id}/gedaan", headers={"X-CSRFToken": csrf_token(daan, "/")}).status_code == 404
    with app.app_context():
        assert db.session.get(actions.PersonalAction, action_id).done_at is None


def test_unasked_feedback_and_a_solo_reflection(app, team, login):
    _t, people = team
    daan = as_(app, login, people["daan"])
    given = exchange_id(post(daan, "/feedback/geven", {"colleague": str(people["sanne"].id),
                                                       "title": "Teamoverleg", "top": "Moedig!"}))
    sanne = as_(app, login, people["sanne"])
    assert "Moedig!" in sanne.get(f"/feedback/{given}").get_data(as_text=True)
    solo = exchange_id(post(sanne, "/feedback/alleen", {"title": "Telefoontje", "principles": "Transparant zijn."}))
    assert "Transparant zijn." in sanne.get(f"/feedback/{solo}").get_data(as_text=True)
    assert daan.get(f"/feedback/{solo}").status_code == 404
    timeline = sanne.get(f"/feedback/?colleague={people['daan'].id}").get_data(as_text=True).split("Je tijdlijn")[1]
    assert "Teamoverleg" in timeline and "Telefoontje" not in timeline


def test_at_least_one_field_and_errors_keep_what_was_typed(app, team, login):
    _t, people = team
    sanne = as_(app, login, people["sanne"])
    response = ask(sanne, people["fatima"], title="", rules="", insights="", principles="", wish="Mijn wens")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Schrijf bij minstens één van de drie iets" in page and "Geef het moment een korte titel" in page
    assert "Mijn wens" in page
    response = ask(sanne, people["fatima"], colleague="9999")
    assert response.status_code == 422 and "Kies een collega uit je team." in response.get_data(as_text=True)


def test_recognisable_text_is_flagged_and_can_be_overruled_with_one_tap(app, team, login):
    _t, people = team
    sanne = as_(app, login, people["sanne"])
    text = "Bij Jan de Vries thuis, Dorpsstraat 12, 1234 AB Utrecht."
    response = ask(sanne, people["fatima"], rules=text)
    assert response.status_code == 422 and "Is iemand hierdoor herkenbaar?" in response.get_data(as_text=True)
    assert text in response.get_data(as_text=True)
    exchange_id(ask(sanne, people["fatima"], rules=text, accept_risk="y"))


def test_everyone_else_gets_404_leads_and_admins_included(app, team, login, make_person):
    t, people = team
    admin = make_person(t, name="Beheerder", admin=True)
    sanne = as_(app, login, people["sanne"])
    ex_id = exchange_id(ask(sanne, people["fatima"]))
    for outsider in (people["lead"], people["daan"], admin):
        client = as_(app, login, outsider)
        assert client.get(f"/feedback/{ex_id}").status_code == 404
        assert post(client, f"/feedback/{ex_id}/antwoord", ANSWER).status_code == 404
        assert post(client, f"/feedback/{ex_id}/afronden", {"action": "x"}).status_code == 404
        assert post(client, f"/feedback/{ex_id}/verwijderen", {}).status_code == 404
        assert "Huisbezoek dinsdag" not in client.get("/feedback/").get_data(as_text=True)
    # One of the two knows the exchange: the other's buttons are 403 (the access policy), not 404.
    assert post(sanne, f"/feedback/{ex_id}/antwoord", ANSWER).status_code == 403
    fatima = as_(app, login, people["fatima"])
    assert post(fatima, f"/feedback/{ex_id}/afronden", {"action": "x"}).status_code == 403
    assert post(fatima, f"/feedback/{ex_id}/intervisie", {}).status_code == 403
    assert fatima.get(f"/feedback/{ex_id}").status_code == 200


def test_an_answer_with_only_the_fields_it_fills_is_stored(app, team, login):
    """A post that leaves fields out (an offline outbox, a script) is an answer like any other;
    it used to hit the NOT NULL columns and answer "Er ging iets mis met dit formulier" (422)."""
    _t, people = team
    ex_id = exchange_id(ask(as_(app, login, people["sanne"]), people["fatima"]))
    fatima = as_(app, login, people["fatima"])
    assert exchange_id(post(fatima, f"/feedback/{ex_id}/antwoord", {"top": "Mooi gedaan."})) == ex_id
    with app.app_context():
        stored = db.session.get(Exchange, ex_id)
        assert (stored.status, stored.top, stored.observed) == ("answered", "Mooi gedaan.", "")


def test_a_lead_sees_counts_only(app, team, login, make_team, make_person):
    t, people = team
    sanne = as_(app, login, people["sanne"])
    exchange_id(ask(sanne, people["fatima"]))
    lead = as_(app, login, people["lead"])
    page = lead.get(f"/feedback/teams/{t.id}").get_data(as_text=True)
    assert "Huisbezoek" not in page and "Sanne" not in page and "Fatima" not in page
    assert re.search(r"<td>1</td><td>0</td>", page)
    assert sanne.get(f"/feedback/teams/{t.id}").status_code == 403
    other = make_team("Ander team")
    assert as_(app, login, make_person(other, role="lead")).get(f"/feedback/teams/{t.id}").status_code == 404


def test_the_same_client_id_is_stored_once(app, team, login):
    _t, people = team
    sanne = as_(app, login, people["sanne"])
    token = csrf_token(sanne, "/feedback/")
    data = {"csrf_token": token, "client_id": str(uuid.uuid4()), "colleague": str(people["fatima"].id),
            "title": "Huisbezoek", "rules": "Volgens plan."}
    first = sanne.post("/feedback/vragen", data=data)
    again = sanne.post("/feedback/vragen", data=data)
    assert first.status_code == again.status_code == 302
    assert first.headers["Location"] == again.headers["Location"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Exchange)) == 1
        assert db.session.scalar(select(func.count()).select_from(Notification)) == 1
    # An answer sent twice (a replayed offline queue) is one answer, and the retry is not refused.
    ex_id = exchange_id(first)
    fatima = as_(app, login, people["fatima"])
    answer = {"csrf_token": csrf_token(fatima, "/feedback/"), "client_id": str(uuid.uuid4()), **ANSWER}
    assert fatima.post(f"/feedback/{ex_id}/antwoord", data=answer).status_code == 302
    retry = fatima.post(f"/feedback/{ex_id}/antwoord", data=answer)
    assert retry.status_code == 302 and retry.headers["Location"].endswith(f"/feedback/{ex_id}")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Notification)
                                 .where(Notification.kind == "feedback_answered")) == 1


def test_ten_parallel_posts_with_one_client_id_make_one_exchange(app, team, login):
    _t, people = team
    clients = [as_(app, login, people["sanne"]) for _ in range(10)]
    tokens = [csrf_token(c, "/feedback/") for c in clients]
    client_id = str(uuid.uuid4())
    statuses, barrier = [], threading.Barrier(10)

    def send(client, token):
        barrier.wait()
        response = client.post("/feedback/vragen", data={
            "csrf_token": token, "client_id": client_id, "colleague": str(people["fatima"].id),
            "title": "Huisbezoek", "rules": "Volgens plan."})
        statuses.append((response.status_code, response.headers.get("Location")))

    threads = [threading.Thread(target=send, args=pair) for pair in zip(clients, tokens)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {s for s, _ in statuses} == {302} and len({loc for _, loc in statuses}) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Exchange)) == 1
        assert db.session.scalar(select(func.count()).select_from(Submission)) == 1
        assert db.session.scalar(select(func.count()).select_from(Notification)) == 1


def test_another_persons_client_id_is_refused_without_harm(app, team, login):
    _t, people = team
    sanne = as_(app, login, people["sanne"])
    token = csrf_token(sanne, "/feedback/")
    client_id = str(uuid.uuid4())
    data = {"csrf_token": token, "client_id": client_id, "title": "Alleen", "rules": "Volgens plan."}
    exchange_id(sanne.post("/feedback/alleen", data=data))
    daan = as_(app, login, people["daan"])
    response = daan.post("/feedback/alleen", data={**data, "csrf_token": csrf_token(daan, "/feedback/")})
    assert response.status_code == 422 and "Volgens plan." in response.get_data(as_text=True)


def run_job(app, job, now):
    with app.app_context():
        job(db.session, now)  # as the worker runs it: an app context, no request
        db.session.commit()


def test_one_reminder_then_a_kind_expiry(app, team, login):
    _t, people = team
    sanne = as_(app, login, people["sanne"])
    ex_id = exchange_id(ask(sanne, people["fatima"]))
    now = utcnow()
    run_job(app, notifications.remind, now + timedelta(hours=1))
    for hours in (49, 50, 72):
        run_job(app, notifications.remind, now + timedelta(hours=hours))
    with app.app_context():
        reminders = db.session.scalars(select(Notification).where(Notification.kind == "feedback_reminder")).all()
        assert [r.person_id for r in reminders] == [people["fatima"].id]
    run_job(app, notifications.expire, now + timedelta(days=13))
    with app.app_context():
        assert db.session.get(Exchange, ex_id).status == "open"
    run_job(app, notifications.expire, now + timedelta(days=14, minutes=1))
    run_job(app, notifications.expire, now + timedelta(days=15))
    with app.app_context():
        assert db.session.get(Exchange, ex_id).status == "expired"
        [told] = db.session.scalars(select(Notification).where(Notification.kind == "feedback_expired")).all()
        assert told.person_id == people["sanne"].id and "gerust" in told.body
    fatima = as_(app, login, people["fatima"])
    response = post(fatima, f"/feedback/{ex_id}/antwoord", ANSWER)
    assert response.status_code == 302
    assert "al beantwoord of gesloten" in fatima.get(response.headers["Location"]).get_data(as_text=True)


def test_the_reminder_can_be_muted_the_request_cannot(app):
    kinds = hooks.of(app).kinds
    assert kinds["feedback_reminder"].optional and not kinds["feedback_request"].optional


def test_export_and_deleting_an_account(app, team, login):
    _t, people = team
    sanne = as_(app, login, people["sanne"])
    ex_id = exchange_id(ask(sanne, people["fatima"]))
    fatima = as_(app, login, people["fatima"])
    exchange_id(post(fatima, f"/feedback/{ex_id}/antwoord", ANSWER))
    exchange_id(post(sanne, f"/feedback/{ex_id}/afronden", {"takeaway": "Eerst vragen.", "action": "Vragen stellen"}))
    post(sanne, f"/feedback/{ex_id}/intervisie", {})
    with app.app_context():
        from app.accounts.models import Person
        from app.accounts.privacy import delete_person, export_person
        registry = hooks.of(app)
        person = db.session.get(Person, people["sanne"].id)
        data = export_person(db.session, person, registry.exports)
        [entry] = data["feedback"]["exchanges"]
        assert entry["insights"] == "Ik ging uit van weerstand." and entry["observed"] == "Je bleef rustig."
        assert entry["takeaway"] == "Eerst vragen." and data["feedback"]["case_ideas"]
        assert data["actions"][0]["text"] == "Vragen stellen"
        delete_person(db.session, person, registry.erasers)
        db.session.commit()
        ex = db.session.get(Exchange, ex_id)
        # Sanne's words are gone; Fatima's answer stays hers.
        assert ex.subject_id is None and ex.insights == "" and ex.takeaway == "" and ex.title == ""
        assert ex.observed == "Je bleef rustig."
        assert db.session.scalar(select(func.count()).select_from(CaseIdea)) == 0
        assert db.session.scalar(select(func.count()).select_from(actions.PersonalAction)) == 0
    assert "Je bleef rustig." in fatima.get(f"/feedback/{ex_id}").get_data(as_text=True)


def test_a_person_deletes_their_own_contribution(app, team, login):
    _t, people = team
    sanne = as_(app, login, people["sanne"])
    ex_id = exchange_id(ask(sanne, people["fatima"]))
    assert post(sanne, f"/feedback/{ex_id}/verwijderen", {}).status_code == 302
    assert sanne.get(f"/feedback/{ex_id}").status_code == 404
    fatima = as_(app, login, people["fatima"])
    assert fatima.get(f"/feedback/{ex_id}").status_code == 404  # nothing left: nobody waits for an answer
    with app.app_context():
        assert db.session.get(Exchange, ex_id) is None


@pytest.mark.parametrize("data", [
    {"colleague": "abc"}, {"colleague": "-1"}, {"colleague": "99999999999999"}, {"client_id": "not-a-uuid"},
    {"client_id": "x" * 5000}, {"title": ["a", "b"]}, {"accept_risk": "maybe"}, {"rules": "x" * 5000},
])
def test_bad_input_of_the_wrong_type_never_500(app, team, login, data):
    _t, people = team
    sanne = as_(app, login, people["sanne"])
    token = csrf_token(sanne, "/feedback/")
    base = {"csrf_token": token, "client_id": str(uuid.uuid4()), "colleague": str(people["fatima"].id),
            "title": "Moment", "rules": "Iets."}
    for path in ("/feedback/vragen", "/feedback/alleen", "/feedback/geven"):
        response = sanne.post(path, data={**base, **data})
        assert response.status_code in (302, 422), (path, response.status_code)
    assert sanne.get("/feedback/?colleague=abc").status_code == 200
    assert sanne.get("/feedback/99999999999").status_code == 404


def test_the_ask_form_offers_the_buddy_first(app, team, login):
    _t, people = team
    hooks.of(app).provide("current_buddies", lambda _session, _pid: [people["daan"].id])
    page = as_(app, login, people["sanne"]).get("/feedback/vragen").get_data(as_text=True)
    assert re.search(rf'<option selected value="{people["daan"].id}">|<option value="{people["daan"].id}" selected', page)


def test_the_service_worker_keeps_the_feedback_shell(app, client):
    source = client.get("/sw.js").get_data(as_text=True)
    assert '"/feedback/": "/feedback/offline"' in source and '"/feedback/offline"' in source.split("\n")[1]
    shell = client.get("/feedback/offline").get_data(as_text=True)
    assert "csrf" not in shell.lower() and "outbox" in shell


def test_the_outbox_follow_keeps_the_confirmation_for_the_next_page(app, team, login):
    """outbox.js follows the success redirect with X-Outbox: that GET is empty, the flash waits."""
    _t, people = team
    sanne = as_(app, login, people["sanne"])
    ex_id = exchange_id(post(sanne, "/feedback/alleen", {"title": "Telefoontje", "rules": "Te snel."}))
    assert sanne.get(f"/feedback/{ex_id}", headers={"X-Outbox": "1"}).status_code == 204
    assert "Je reflectie is bewaard." in sanne.get(f"/feedback/{ex_id}").get_data(as_text=True)
