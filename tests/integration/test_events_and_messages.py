"""Seams of issue 8: live events after commit, notifications in the recipient's language, URLs
built without a request, one page-or-block helper."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update

from app import live
from app.accounts.models import Person
from app.extensions import db
from app.intervisie import notifications, services
from app.intervisie.models import CaseText, Round
from app.notify.models import Notification
from app.notify.worker import Worker
from conftest import csrf_token


@pytest.fixture
def people(make_team, make_person):
    t = make_team("Wijkteam Noord")
    found = {"lead": make_person(t, role="lead", name="Marieke de Vries")}
    for key, name in [("sanne", "Sanne Bakker"), ("daan", "Daan Visser"), ("fatima", "Fatima Ouali")]:
        found[key] = make_person(t, name=name)
    return t, found


def make_round(app, team, people, *, starts_at=None, title="Intervisie november") -> int:
    """A planned round straight through the service (these tests are about what follows)."""
    with app.app_context():
        lead = db.session.get(Person, people["lead"].id)
        plan = services.Plan(
            title=title, starts_at=starts_at or datetime.now(timezone.utc) + timedelta(days=7), place="",
            video_url="", method_key="incident", minutes=[5, 5, 10, 10, 10, 5, 3],
            participant_ids=[people[k].id for k in ("lead", "sanne", "daan", "fatima")],
            facilitator_id=people["lead"].id, presenter_id=people["sanne"].id)
        [rnd] = services.plan_rounds(db.session, team.id, plan, lead)
        db.session.commit()
        return rnd.id


def drain(subscription) -> list[str]:
    messages = []
    while (message := subscription.get(timeout=0.2)) is not None:
        messages.append(message)
    return messages


# 1. Live events after the commit ------------------------------------------------------------------

def test_a_committed_change_is_published_once_with_its_version(app, people):
    team, found = people
    round_id = make_round(app, team, found)
    with app.extensions["live"].subscribe(services.channel(round_id)) as phones, app.app_context():
        rnd = db.session.get(Round, round_id)
        services.save_case(db.session, rnd, found["sanne"].id, "Hoe?", "Een casus")
        services.cancel_round(db.session, rnd)  # two changes in one transaction
        assert phones.get(timeout=0.2) is None  # nothing before the commit
        db.session.commit()
        version = db.session.scalar(select(Round.version).where(Round.id == round_id))
        assert drain(phones) == [str(version)]  # once, with the version after both


def test_a_rolled_back_change_is_never_published(app, people):
    team, found = people
    round_id = make_round(app, team, found)
    with app.extensions["live"].subscribe(services.channel(round_id)) as phones, app.app_context():
        rnd = db.session.get(Round, round_id)
        before = rnd.version
        services.cancel_round(db.session, rnd)
        assert live.pending(db.session) == {services.channel(round_id): str(before + 1)}
        db.session.rollback()
        assert live.pending(db.session) == {}
        db.session.execute(update(Person).where(Person.id == found["daan"].id).values(locale="en"))
        db.session.commit()  # a later, unrelated commit does not carry the dropped event out
        assert drain(phones) == []
        assert db.session.get(Round, round_id).version == before


def test_a_refused_live_action_publishes_nothing(app, people, login):
    """The post is refused after the round was locked (and its version bumped): rolled back, silent."""
    team, found = people
    round_id = make_round(app, team, found, starts_at=datetime.now(timezone.utc) + timedelta(minutes=10))
    lead = login(found["lead"])
    token = csrf_token(lead, "/intervisie/")
    headers = {"X-CSRFToken": token, "HX-Request": "true"}
    assert lead.post(f"/intervisie/rondes/{round_id}/live/start", headers=headers).status_code == 200
    with app.extensions["live"].subscribe(services.channel(round_id)) as phones:
        # Phase 0 is the presenter's story: the facilitator may not post in it.
        refused = lead.post(f"/intervisie/rondes/{round_id}/live/bijdragen", data={"text": "Vraag?", "phase": 0},
                            headers=headers)
        assert refused.status_code == 403
        assert drain(phones) == []
        moved = lead.post(f"/intervisie/rondes/{round_id}/live/volgende", data={"phase": 0}, headers=headers)
        assert moved.status_code == 200
        assert drain(phones) == [moved.headers["X-Round-Version"]]


def test_the_workers_commits_publish_too(app, people):
    """The retention job deletes a case; phones still showing it hear of it."""
    team, found = people
    round_id = make_round(app, team, found)
    with app.app_context():
        rnd = db.session.get(Round, round_id)
        db.session.add(CaseText(round_id=round_id, author_id=found["sanne"].id, help_question="?", case_text="Casus"))
        rnd.starts_at = datetime.now(timezone.utc) - timedelta(days=8)
        db.session.commit()
    with app.extensions["live"].subscribe(services.channel(round_id)) as phones:
        with app.app_context():
            Worker(app).run_jobs(datetime.now(timezone.utc))
            assert db.session.get(CaseText, round_id) is None
            version = db.session.scalar(select(Round.version).where(Round.id == round_id))
        assert drain(phones) == [str(version)]


def test_retention_default_is_written_once(app, people, monkeypatch):
    """The team default for retention lives in one constant, read by the settings and the job."""
    team, found = people
    round_id = make_round(app, team, found)
    monkeypatch.setattr(services, "DEFAULT_RETENTION_DAYS", 3)
    with app.app_context():
        assert services.settings(db.session, team.id).case_retention_days == 3
        rnd = db.session.get(Round, round_id)
        db.session.add(CaseText(round_id=round_id, author_id=found["sanne"].id, help_question="?", case_text="Casus"))
        rnd.starts_at = datetime.now(timezone.utc) - timedelta(days=4)
        db.session.commit()
        assert services.purge_cases(db.session, datetime.now(timezone.utc)) == 1


# 2. Notifications in the recipient's language ---------------------------------------------------------

def test_invite_accepted_reaches_the_lead_in_the_leads_language(app, make_team, make_person, login):
    from support.authenticator import SoftAuthenticator
    from support.flows import register_via_form
    team = make_team()
    lead = make_person(team, role="lead", name="Marieke de Vries")
    with app.app_context():
        db.session.execute(update(Person).where(Person.id == lead.id).values(locale="en"))
        db.session.commit()
    client = login(lead)
    token = csrf_token(client, f"/teams/{team.id}")
    page = client.post(f"/teams/{team.id}/uitnodigingen", data={"role": "member", "csrf_token": token})
    url = page.get_data(as_text=True).split('readonly value="', 1)[1].split('"', 1)[0]
    newcomer = app.test_client()
    newcomer.environ_base["HTTP_ACCEPT_LANGUAGE"] = "nl-NL,nl;q=0.9"  # the newcomer reads Dutch
    verified = register_via_form(newcomer, SoftAuthenticator(origin="http://localhost"),
                                 url.removeprefix("http://localhost"), {"person_name": "Daan Visser"})
    assert verified.status_code == 200
    with app.app_context():
        told = db.session.scalar(select(Notification).where(Notification.kind == "invite_accepted"))
        assert told.person_id == lead.id
        assert told.title == "Daan Visser has joined"
        assert told.body == f"Daan Visser accepted your invite to {team.name}."


def test_round_notifications_follow_each_recipients_language_dates_included(app, people, login):
    team, found = people
    with app.app_context():
        db.session.execute(update(Person).where(Person.id == found["daan"].id).values(locale="en"))
        db.session.commit()
    round_id = make_round(app, team, found, starts_at=datetime(2031, 12, 2, 13, 0, tzinfo=timezone.utc))
    with app.test_request_context(headers={"Accept-Language": "en"}):  # the sender's language is irrelevant
        rnd = db.session.get(Round, round_id)
        notifications.announce(db.session, rnd, "round_planned", exclude=found["lead"].id)
        db.session.commit()
        titles = dict(db.session.execute(select(Notification.person_id, Notification.title)).all())
    assert titles[found["daan"].id] == "Intervision round on Tue 2 Dec, 14:00"
    assert titles[found["sanne"].id] == "Intervisie op di 2 dec, 14:00"


# 3. URLs without a request ------------------------------------------------------------------------

def test_reminders_build_their_urls_without_a_request(app, people):
    team, found = people
    starts = datetime.now(timezone.utc) + timedelta(minutes=50)
    round_id = make_round(app, team, found, starts_at=starts)
    with app.app_context():  # as in the worker: no request, fake or real
        notifications.send_reminders(db.session, datetime.now(timezone.utc))
        db.session.commit()
        urls = set(db.session.scalars(select(Notification.url).where(Notification.kind == "round_reminder")))
    assert urls == {f"/intervisie/rondes/{round_id}"}


def test_urls_follow_the_path_of_app_url(app, people):
    from app.urls import app_url
    app.config["APP_URL"] = "https://leerkring.example.nl/jeugdzorg"
    with app.app_context():
        assert app_url("intervisie.round_page", round_id=7) == "/jeugdzorg/intervisie/rondes/7"
        assert app_url("intervisie.index", external=True) == "https://leerkring.example.nl/jeugdzorg/intervisie/"


def test_the_worker_runs_reminders_without_a_fake_request(app, people):
    team, found = people
    round_id = make_round(app, team, found, starts_at=datetime.now(timezone.utc) + timedelta(minutes=50))
    with app.app_context():
        Worker(app).run_jobs(datetime.now(timezone.utc))
        urls = set(db.session.scalars(select(Notification.url).where(Notification.kind == "round_reminder")))
    assert urls == {f"/intervisie/rondes/{round_id}"}


def test_no_fake_requests_in_production_code():
    from pathlib import Path
    app_dir = Path(__file__).resolve().parents[2] / "app"
    assert [p.name for p in app_dir.rglob("*.py") if "test_request_context" in p.read_text()] == []


# 5. A page or its htmx block ----------------------------------------------------------------------

@pytest.mark.parametrize("headers, whole", [
    ({}, True),                                                  # a browser opening the address
    ({"HX-Request": "true", "HX-Request-Type": "partial"}, False),  # htmx swapping the live state
    ({"HX-Request": "true"}, False),                             # htmx without the type header
    ({"HX-Request": "true", "HX-Request-Type": "full"}, True),   # htmx replacing the whole body
])
def test_the_live_state_is_a_page_or_its_block(app, people, login, headers, whole):
    team, found = people
    round_id = make_round(app, team, found)
    daan = login(found["daan"])
    response = daan.get(f"/intervisie/rondes/{round_id}/live/stand", headers=headers)
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "Wacht even" in text  # the state of a round not yet started
    assert ("<html" in text.lower()) is whole
    assert {"HX-Request", "HX-Request-Type"} <= set(response.vary)


def test_rsvp_answers_htmx_with_its_block_and_a_browser_with_a_redirect(app, people, login):
    team, found = people
    round_id = make_round(app, team, found)
    daan = login(found["daan"])
    token = csrf_token(daan, f"/intervisie/rondes/{round_id}")
    block = daan.post(f"/intervisie/rondes/{round_id}/rsvp", data={"answer": "yes"},
                      headers={"X-CSRFToken": token, "HX-Request": "true", "HX-Request-Type": "partial"})
    assert block.status_code == 200 and "<html" not in block.get_data(as_text=True).lower()
    plain = daan.post(f"/intervisie/rondes/{round_id}/rsvp", data={"answer": "no", "csrf_token": token})
    assert plain.status_code == 302


# 6. Ratings are words in the reader's language --------------------------------------------------------

def test_ratings_are_shown_in_the_readers_language_and_stored_as_they_were(app, people, login):
    from app.intervisie.models import Contribution
    team, found = people
    with app.app_context():
        db.session.execute(update(Person).where(Person.id == found["sanne"].id).values(locale="en"))
        db.session.commit()
    round_id = make_round(app, team, found, starts_at=datetime.now(timezone.utc) + timedelta(minutes=10))
    lead, daan, sanne = login(found["lead"]), login(found["daan"], on=app.test_client()), \
        login(found["sanne"], on=app.test_client())

    def act(client, path, data=None):
        token = csrf_token(client, "/intervisie/")
        return client.post(f"/intervisie/rondes/{round_id}/live/{path}", data=data or {},
                           headers={"X-CSRFToken": token, "HX-Request": "true"})

    assert act(lead, "start").status_code == 200
    assert act(lead, "volgende", {"phase": 0}).status_code == 200
    assert act(daan, "bijdragen", {"phase": 1, "text": "Wat deed je toen?"}).status_code == 200
    assert act(lead, "toon", {"phase": 1}).status_code == 200
    state = sanne.get(f"/intervisie/rondes/{round_id}/live/stand").get_data(as_text=True)
    assert ">cold</button>" in state and ">lukewarm</button>" in state and ">koud<" not in state
    with app.app_context():
        item = db.session.scalar(select(Contribution))
    assert act(sanne, f"bijdragen/{item.id}/waardeer", {"rating": "koud"}).status_code == 200
    with app.app_context():
        assert db.session.get(Contribution, item.id).rating == "koud"
    assert "· cold" in sanne.get(f"/intervisie/rondes/{round_id}/live/stand").get_data(as_text=True)
    assert "· koud" in daan.get(f"/intervisie/rondes/{round_id}/live/stand").get_data(as_text=True)


def test_planning_errors_are_translated(app, people, login):
    team, found = people
    with app.app_context():
        db.session.execute(update(Person).where(Person.id == found["lead"].id).values(locale="en"))
        db.session.commit()
    lead = login(found["lead"])
    html = lead.get(f"/intervisie/teams/{team.id}/plan").get_data(as_text=True)
    submission = re.search(r'name="submission" type="hidden" value="([^"]+)"', html).group(1)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)
    response = lead.post(f"/intervisie/teams/{team.id}/plan", data={
        "csrf_token": token, "submission": submission, "title": "Intervisie", "date": "2020-01-07",
        "time": "14:00", "place": "", "video_url": "", "method": "incident", "facilitator": str(found["lead"].id),
        "presenter": str(found["sanne"].id), "repeat_weeks": "0", "repeat_count": "1",
        "participants": [str(found[k].id) for k in ("lead", "sanne", "daan", "fatima")]})
    assert response.status_code == 422
    assert "Choose a moment in the future." in response.get_data(as_text=True)
