"""Privacy: "Mijn gegevens" (JSON and readable page), account deletion, retention, the privacy page."""
from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta, timezone

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from app import hooks
from app.actions import PersonalAction
from app.accounts import audit
from app.accounts.models import (
    AccessLink, AuditEvent, Organisation, Person, PersonSession, WebAuthnChallenge,
)
from app.extensions import db
from app.intervisie.models import (
    CalendarFeed, CaseText, Participant, PlanSubmission, Reflection, Round, TeamSettings,
)
from app.notify.models import Notification, PushDelivery, PushSubscription
from conftest import csrf_token
from test_intervisie import (  # noqa: F401  (team is a fixture)
    as_, live_phase, planned_round, post, startable, team,
)

NOW = datetime.now(timezone.utc)
CASE = "Een moeder <script>alert('casus')</script> belde & vroeg om hulp."
HELP = "Hoe houd ik de regie <b>vast</b>?"


def write_case(client, round_id, text=CASE, question=HELP):
    token = csrf_token(client, f"/intervisie/rondes/{round_id}/casus")
    saved = client.post(f"/intervisie/rondes/{round_id}/casus", data={
        "help_question": question, "case_text": text, "accept_risk": "y", "csrf_token": token})
    assert saved.status_code == 302, saved.get_data(as_text=True)[:500]


def reflect(client, round_id, **fields):
    token = csrf_token(client, f"/intervisie/rondes/{round_id}/reflectie")
    saved = client.post(f"/intervisie/rondes/{round_id}/reflectie", data={"csrf_token": token, **fields})
    assert saved.status_code == 302, saved.get_data(as_text=True)[:500]


def run_live_round(app, lead, poster, round_id, text):
    """Start a round, move to the silent questions, let `poster` ask one, reveal and finish."""
    startable(app, round_id)
    assert post(lead, f"/intervisie/rondes/{round_id}/live/start").status_code == 200
    post(lead, f"/intervisie/rondes/{round_id}/live/volgende", {"phase": 0})
    assert post(poster, f"/intervisie/rondes/{round_id}/live/bijdragen", {"phase": 1, "text": text}).status_code == 200
    post(lead, f"/intervisie/rondes/{round_id}/live/toon", {"phase": 1})
    for _ in range(12):
        moved = post(lead, f"/intervisie/rondes/{round_id}/live/volgende", {"phase": live_phase(lead, round_id)})
        if "De ronde is klaar" in moved.get_data(as_text=True):
            break
    with app.app_context():
        rnd = db.session.get(Round, round_id)
        assert rnd.status == "finished"
        rnd.starts_at = datetime.now(timezone.utc) - timedelta(hours=1)  # as when it really took place
        db.session.commit()


@pytest.fixture
def story(app, team, login):
    """Sanne did everything: presented a round (case, reflection, action), asked a question in
    another, has a device, a calendar link and notifications. Daan wrote his own things."""
    t, people = team
    lead = login(people["lead"])
    sanne, daan = as_(app, login, people["sanne"]), as_(app, login, people["daan"])
    presented = planned_round(app, lead, t.id, people, title="Ronde waarin Sanne inbrengt")
    post(sanne, f"/intervisie/rondes/{presented}/rsvp", {"answer": "yes"})
    write_case(sanne, presented)
    reflect(sanne, presented, takeaway="Ik vraag eerder hulp.", action_1="Bel de <i>gedragswetenschapper</i>",
            learning_point="Sannes leerpunt: ik wil te snel oplossen.", score="4")
    reflect(daan, presented, learning_point="Daans eigen leerpunt, alleen van hem.", score="3")
    asked = planned_round(app, lead, t.id, people, title="Ronde waarin Sanne vraagt", presenter=str(people["daan"].id),
                          date=(NOW + timedelta(days=9)).date().isoformat())
    run_live_round(app, lead, sanne, asked, "Sannes vraag: wat deed je toen?")
    # Daan's own case, in a round Sanne is not part of.
    hidden = planned_round(app, lead, t.id, people, title="Ronde zonder Sanne", presenter=str(people["daan"].id),
                           participants=[str(people[k].id) for k in ("lead", "daan", "fatima", "joris")],
                           date=(NOW + timedelta(days=12)).date().isoformat())
    write_case(daan, hidden, text="Daans geheime casus over een gezin.", question="Daans hulpvraag?")
    # A device and a calendar link.
    token = csrf_token(sanne, "/meldingen/instellingen")
    assert sanne.post("/push/abonnementen", headers={"X-CSRFToken": token}, json={
        "endpoint": "https://fcm.googleapis.com/fcm/send/sannes-telefoon",
        "keys": {"p256dh": "geheime-sleutel-p256dh", "auth": "geheim-auth"}}).status_code == 201
    sanne.post("/intervisie/agenda", data={"csrf_token": csrf_token(sanne, "/intervisie/agenda")})
    return dict(team=t, people=people, lead=lead, sanne=sanne, daan=daan, presented=presented, asked=asked,
                hidden=hidden)


def test_export_holds_everything_about_the_person_and_nothing_private_of_others(app, story):
    sanne = story["sanne"]
    response = sanne.get("/profiel/download")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"].startswith("attachment")
    data = response.get_json()
    assert list(data) == [part.key for part in hooks.of(app).exports]
    account = data["account"]
    assert account["name"] == "Sanne Bakker" and account["teams"][0]["team"] == "Wijkteam Noord"
    assert data["sessions"][0]["label"] == "Testapparaat" and data["sessions"][0]["last_seen_at"]
    rounds = {r["title"]: r for r in data["intervisie_rounds"]}
    assert rounds["Ronde waarin Sanne inbrengt"]["role"] == "Inbrenger"
    assert rounds["Ronde waarin Sanne inbrengt"]["rsvp"] == "komt"
    assert rounds["Ronde waarin Sanne vraagt"]["role"] == "Deelnemer"
    assert "Ronde zonder Sanne" not in rounds
    [question] = data["intervisie_contributions"]
    assert question["text"] == "Sannes vraag: wat deed je toen?" and question["kind"] == "Vraag"
    [case] = data["intervisie_cases"]
    assert case["case_text"] == CASE and case["help_question"] == HELP
    [mine] = data["intervisie_reflections"]
    assert mine["learning_point"].startswith("Sannes leerpunt") and mine["takeaway"] == "Ik vraag eerder hulp."
    assert data["actions"][0]["text"] == "Bel de <i>gedragswetenschapper</i>"
    assert data["intervisie_calendar"]["exists"] is True
    assert {n["kind"] for n in data["notifications"]} >= {"Nieuwe intervisie"}
    assert data["devices"][0]["label"] and "endpoint" not in data["devices"][0]
    assert data["notification_preferences"]["quiet_evening"] == "18:00"
    everything = response.get_data(as_text=True)
    # Never a key, a token or an endpoint.
    for secret in ("sannes-telefoon", "geheime-sleutel", "geheim-auth", "token", "public_key", "credential"):
        assert secret not in everything, secret
    # Nothing another person wrote for themselves, nor a case Sanne could not read.
    for other in ("Daans eigen leerpunt", "Daans geheime casus", "Daans hulpvraag"):
        assert other not in everything, other
    # Exporting is a security event, and shows up in the next export.
    with app.app_context():
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.kind == "data_exported", AuditEvent.subject_id == story["people"]["sanne"].id)) == 1
    again = sanne.get("/profiel/download").get_json()
    assert [e["kind"] for e in again["security"]] == ["Gegevens gedownload"]


def test_readable_page_shows_each_part_translated_and_escaped(app, story):
    sanne = story["sanne"]
    response = sanne.get("/profiel/gegevens")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    for part in hooks.of(app).exports:
        with app.test_request_context():
            assert f">{escape(str(part.title))}</h2>" in page, part.key
    assert "<script>alert(" not in page and "&lt;script&gt;alert(" in page
    assert "<i>gedragswetenschapper</i>" not in page and "&lt;i&gt;gedragswetenschapper" in page
    assert "Sannes leerpunt" in page and "Hulpvraag" in page and "Daans eigen leerpunt" not in page
    english = sanne.get("/profiel/gegevens", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "My data" in english and "Your reflections and learning points" in english and "Learning point" in english
    with app.app_context():
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.kind == "data_exported")) == 2


def test_deleting_an_account_removes_own_writing_and_keeps_others_views_whole(app, story, caplog):
    people, sanne, lead = story["people"], story["sanne"], story["lead"]
    daan = story["daan"]
    daan_id = people["daan"].id
    token = csrf_token(daan, "/profiel/verwijder")
    done = daan.post("/profiel/verwijder", data={"csrf_token": token})
    assert done.status_code == 302 and daan.get("/profiel").status_code == 302
    with app.app_context():
        assert db.session.get(Person, daan_id) is None
        # His own writing is gone: learning point, his question-free case, his seat in a coming round.
        assert db.session.scalar(select(func.count(Reflection.round_id)).where(
            Reflection.learning_point.like("Daans%"))) == 0
        assert db.session.get(CaseText, story["hidden"]) is None
        assert services_participants(story["hidden"]) == {"facilitator": 1, "participant": 2}
        # In the round that took place, his seat stays without a name; his role stays counted.
        seats = db.session.scalars(select(Participant).where(Participant.round_id == story["asked"])).all()
        assert len(seats) == 5 and [s.role for s in seats if s.person_id is None] == ["presenter"]
        for model, column in ((Notification, Notification.person_id), (PushSubscription, PushSubscription.person_id),
                              (PersonSession, PersonSession.person_id), (CalendarFeed, CalendarFeed.person_id)):
            assert db.session.scalar(select(func.count()).select_from(model).where(column == daan_id)) == 0
        # The security log keeps the events, without him; the deletion is recorded without a name.
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(
            (AuditEvent.subject_id == daan_id) | (AuditEvent.actor_id == daan_id))) == 0
        deleted = db.session.scalar(select(AuditEvent).where(AuditEvent.kind == "account_deleted"))
        assert deleted.subject_id is None and deleted.actor_id is None and "Daan" not in json.dumps(deleted.detail)
    # Everyone else's pages still work and show a neutral placeholder.
    for client, path in ((sanne, f"/intervisie/rondes/{story['asked']}"),
                         (sanne, f"/intervisie/rondes/{story['asked']}/live/stand"),
                         (sanne, f"/intervisie/rondes/{story['asked']}/live"),
                         (lead, f"/intervisie/rondes/{story['hidden']}"),
                         (lead, f"/intervisie/teams/{story['team'].id}/overzicht"),
                         (sanne, "/intervisie/")):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "Daan Visser" not in response.get_data(as_text=True), path
    assert "Oud-collega" in sanne.get(f"/intervisie/rondes/{story['asked']}").get_data(as_text=True)
    overview = lead.get(f"/intervisie/teams/{story['team'].id}/overzicht").get_data(as_text=True)
    assert "Oud-collega" in overview
    # Sanne's own question in that round is hers and stays.
    assert "Sannes vraag" in sanne.get(f"/intervisie/rondes/{story['asked']}/live/stand").get_data(as_text=True)


def services_participants(round_id) -> dict:
    rows = db.session.execute(select(Participant.role, func.count()).where(Participant.round_id == round_id)
                              .group_by(Participant.role)).all()
    return dict(rows)


def test_deleting_removes_the_question_text_from_the_live_history(app, story):
    """Sanne deletes her account: her question leaves the history the others see."""
    sanne, daan = story["sanne"], story["daan"]
    assert "Sannes vraag" in daan.get(f"/intervisie/rondes/{story['asked']}/live/stand").get_data(as_text=True)
    sanne.post("/profiel/verwijder", data={"csrf_token": csrf_token(sanne, "/profiel/verwijder")})
    state = daan.get(f"/intervisie/rondes/{story['asked']}/live/stand")
    assert state.status_code == 200 and "Sannes vraag" not in state.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(CaseText.round_id))) == 1  # Daan's only
        assert db.session.scalar(select(func.count(PersonalAction.id))) == 0
        assert db.session.get(Round, story["presented"]) is not None


def test_the_last_admin_cannot_leave_an_organisation_without_one(app, make_team, make_person, login):
    team = make_team()
    admin = make_person(team, role="lead", name="Anne Admin", admin=True)
    make_person(team, name="Bram Lid")
    client = login(admin)
    page = client.get("/profiel/verwijder")
    assert page.status_code == 200 and "laatste beheerder" in page.get_data(as_text=True)
    assert "Ja, verwijder mijn account" not in page.get_data(as_text=True)
    refused = client.post("/profiel/verwijder", data={"csrf_token": csrf_token(client, "/profiel")})
    assert refused.status_code == 409 and "laatste beheerder" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Person, admin.id) is not None
    # With a second admin, the first may go.
    second = make_person(team, name="Carla Admin", admin=True)
    assert client.post("/profiel/verwijder", data={"csrf_token": csrf_token(client, "/profiel")}).status_code == 302
    with app.app_context():
        assert db.session.get(Person, admin.id) is None and db.session.get(Person, second.id) is not None
    # The organisation's log says an account was deleted, and whose it was nowhere.
    log = login(second, on=app.test_client()).get("/beheer/logboek")
    assert log.status_code == 200 and "Account verwijderd" in log.get_data(as_text=True)
    assert "Anne Admin" not in log.get_data(as_text=True)


def test_the_only_person_of_an_organisation_takes_it_along(app, make_team, make_person, login):
    team = make_team()
    only = make_person(team, role="lead", admin=True)
    client = login(only)
    assert client.post("/profiel/verwijder", data={"csrf_token": csrf_token(client, "/profiel")}).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count(Organisation.id))) == 0


def run_job(app, name, now):
    [job] = [j for j in hooks.of(app).jobs if j.name == name]
    with app.app_context():
        job.run(db.session, now)
        db.session.commit()


def test_retention_jobs_remove_exactly_what_is_due_and_log_counts(app, team, caplog):
    t, people = team
    sanne, daan = people["sanne"].id, people["daan"].id
    days = timedelta(days=1)
    with app.app_context():
        s = db.session
        links = [AccessLink(purpose="invite", token_hash=f"{i:064d}", organisation_id=t.organisation_id,
                            team_id=t.id, email="nieuw@example.org", expires_at=NOW + when, used_at=used)
                 for i, (when, used) in enumerate([(-31 * days, None), (-29 * days, None), (7 * days, None),
                                                   (7 * days, NOW - 31 * days)])]
        s.add_all(links)
        kept = sorted([links[1].expires_at, links[2].expires_at])
        s.add_all([WebAuthnChallenge(id="old", challenge=b"x", purpose="login", expires_at=NOW - timedelta(minutes=1)),
                   WebAuthnChallenge(id="new", challenge=b"x", purpose="login", expires_at=NOW + timedelta(minutes=4))])
        s.add_all([PersonSession(token_hash="a" * 64, person_id=sanne, label="Oud", last_seen_at=NOW - 15 * days),
                   PersonSession(token_hash="b" * 64, person_id=sanne, label="Nieuw", last_seen_at=NOW - 13 * days)])
        audit.record_event(s, "sign_in", organisation_id=t.organisation_id, subject_id=sanne, now=NOW - 366 * days)
        audit.record_event(s, "sign_in", organisation_id=t.organisation_id, subject_id=sanne, now=NOW - 364 * days)
        old = Notification(person_id=sanne, kind="test", title="Oud", body="", url="/", created_at=NOW - 91 * days,
                           expires_at=NOW - 90 * days)
        recent = Notification(person_id=sanne, kind="test", title="Recent", body="", url="/",
                              created_at=NOW - 89 * days, expires_at=NOW)
        s.add_all([old, recent])
        dead = PushSubscription(person_id=sanne, endpoint="https://fcm.googleapis.com/fcm/send/dood", p256dh="k",
                                auth="a", label="Oud toestel", created_at=NOW - 200 * days,
                                last_success_at=NOW - 61 * days)
        quiet = PushSubscription(person_id=daan, endpoint="https://fcm.googleapis.com/fcm/send/stil", p256dh="k",
                                 auth="a", label="Stil toestel", created_at=NOW - 200 * days)  # never failed
        alive = PushSubscription(person_id=daan, endpoint="https://fcm.googleapis.com/fcm/send/levend", p256dh="k",
                                 auth="a", label="Levend", created_at=NOW - 200 * days, last_success_at=NOW - days)
        s.add_all([dead, quiet, alive])
        s.flush()
        for sub in (dead, alive):
            s.add(PushDelivery(notification_id=recent.id, subscription_id=sub.id, status="failed",
                               next_attempt_at=NOW - 2 * days))
        s.add_all([PlanSubmission(token="oud", team_id=t.id, created_at=NOW - 2 * days),
                   PlanSubmission(token="vers", team_id=t.id, created_at=NOW)])
        s.commit()
    caplog.set_level(logging.INFO)
    for _ in range(2):  # idempotent: a second run removes nothing more
        for name in ("accounts-retention", "notify-retention", "intervisie-plan-submissions"):
            run_job(app, name, NOW)
    with app.app_context():
        s = db.session
        assert sorted(s.scalars(select(AccessLink.expires_at)).all()) == kept
        assert s.scalars(select(WebAuthnChallenge.id)).all() == ["new"]
        assert s.scalars(select(PersonSession.label)).all() == ["Nieuw"]
        assert s.scalar(select(func.count(AuditEvent.id))) == 1
        assert s.scalars(select(Notification.title)).all() == ["Recent"]
        assert sorted(s.scalars(select(PushSubscription.label)).all()) == ["Levend", "Stil toestel"]
        assert s.scalars(select(PlanSubmission.token)).all() == ["vers"]
    messages = [r.getMessage() for r in caplog.records if r.getMessage().startswith("retention")]
    assert "retention accounts: links=2 challenges=1 sessions=1 audit_events=1" in messages
    assert "retention notify: notifications=1 devices=1" in messages
    assert "retention accounts: links=0 challenges=0 sessions=0 audit_events=0" in messages
    assert "retention intervisie: plan_submissions=1" in messages
    assert not any(name in " ".join(messages) for name in ("Sanne", "Daan", "toestel", "example.org"))


def test_case_retention_job_follows_the_team_setting_and_logs_a_count(app, team, login, caplog):
    t, people = team
    round_id = planned_round(app, login(people["lead"]), t.id, people)
    with app.app_context():
        db.session.add(TeamSettings(team_id=t.id, case_retention_days=3, case_preview_hours=24))
        db.session.add(CaseText(round_id=round_id, author_id=people["sanne"].id, case_text="Casus"))
        db.session.get(Round, round_id).starts_at = NOW - timedelta(days=3, minutes=1)
        db.session.commit()
    caplog.set_level(logging.INFO)
    run_job(app, "intervisie-case-retention", NOW)
    with app.app_context():
        assert db.session.get(CaseText, round_id) is None
    assert "retention intervisie: cases=1" in [r.getMessage() for r in caplog.records]


def test_privacy_page_is_public_and_generated_from_the_settings(app, client, make_team, make_person, login):
    page = client.get("/privacy")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "90 dagen" in html and "365 dagen" in html and "60 dagen" in html and "14 dagen" in html
    assert "7 dagen na de ronde" in html and "30 dagen" in html
    with app.test_request_context():
        for part in hooks.of(app).exports:
            assert str(part.title) in html
    app.config["RETENTION_NOTIFICATION_DAYS"] = 45
    app.config["SESSION_IDLE_DAYS"] = 3
    changed = client.get("/privacy").get_data(as_text=True)
    assert "45 dagen" in changed and "90 dagen" not in changed and "3 dagen niet gebruikt" in changed
    english = client.get("/privacy", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "45 days" in english and "Privacy" in english and "Who sees it" in english
    # Reachable from the profile and the sign-in page.
    assert 'href="/privacy"' in client.get("/inloggen").get_data(as_text=True)
    member = login(make_person(make_team()))
    profile = member.get("/profiel").get_data(as_text=True)
    assert 'href="/privacy"' in profile and 'href="/profiel/gegevens"' in profile


def test_other_features_plug_into_export_and_deletion_without_changes(app, make_team, make_person, login):
    """Feedback and buddies register their own parts; accounts needs nothing for them."""
    erased = []
    registry = hooks.of(app)
    registry.add_export(hooks.ExportPart("buddies", "Buddy-geschiedenis", lambda s, p: [{"buddy": "Kees", "since": NOW}]))
    registry.add_eraser(hooks.Eraser("buddies", lambda s, p: erased.append(p.id)))
    person = make_person(make_team())
    client = login(person)
    assert client.get("/profiel/download").get_json()["buddies"][0]["buddy"] == "Kees"
    assert "Buddy-geschiedenis" in client.get("/profiel/gegevens").get_data(as_text=True)
    client.post("/profiel/verwijder", data={"csrf_token": csrf_token(client, "/profiel")})
    assert erased == [person.id]
