"""Invites, roles and who may see what."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.accounts import services
from app.accounts.models import AccessLink, Membership, Person
from app.extensions import db
from conftest import csrf_token
from support.authenticator import SoftAuthenticator
from support.flows import register_via_form

ORIGIN = "http://localhost"


def issued_link(html: str) -> str:
    return html.split('id="issued-link" type="text" readonly value="', 1)[1].split('"', 1)[0]


def test_lead_invites_from_the_team_page_with_htmx(app, make_team, make_person, login):
    team = make_team()
    lead = make_person(team, role="lead", name="Marieke de Vries")
    client = login(lead)
    page = client.get(f"/teams/{team.id}")
    assert "Nodig iemand uit" in page.get_data(as_text=True)
    token = csrf_token(client, f"/teams/{team.id}")
    response = client.post(f"/teams/{team.id}/uitnodigingen", data={"email": "daan@example.org", "role": "member"},
                           headers={"X-CSRFToken": token, "HX-Request": "true"})
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in text  # only the invite panel, for htmx to swap in
    url = issued_link(text)
    assert url.startswith("http://localhost/uitnodiging/")
    assert "daan@example.org" in text  # listed as pending

    newcomer = app.test_client()
    phone = SoftAuthenticator(origin=ORIGIN)
    path = url.removeprefix("http://localhost")
    assert "Welkom bij Wijkteam Noord" in newcomer.get(path).get_data(as_text=True)
    assert register_via_form(newcomer, phone, path, {"person_name": "Daan Visser"}).status_code == 200
    with app.app_context():
        daan = db.session.scalar(select(Person).where(Person.name == "Daan Visser"))
        assert [(m.team_id, m.role) for m in daan.memberships] == [(team.id, "member")]
        assert daan.email == "daan@example.org" and not daan.is_admin
    assert "Wijkteam Noord" in newcomer.get("/").get_data(as_text=True)
    # The invite works once.
    used = app.test_client().get(path)
    assert used.status_code == 410
    assert "al gebruikt" in used.get_data(as_text=True)


def test_invite_form_errors_are_shown_and_input_kept(app, make_team, make_person, login):
    team = make_team()
    client = login(make_person(team, role="lead"))
    token = csrf_token(client, f"/teams/{team.id}")
    response = client.post(f"/teams/{team.id}/uitnodigingen", data={"email": "geen-adres", "role": "baas"},
                           headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "Dit lijkt geen e-mailadres" in text
    assert 'value="geen-adres"' in text
    with app.app_context():
        assert db.session.scalar(select(AccessLink)) is None


def test_expired_invite_gets_a_friendly_page(app, make_team):
    team = make_team()
    with app.app_context():
        issued = services.issue_invite(db.session, team=db.session.merge(team), role="member",
                                       make_admin=False, email=None, created_by=None, days=7)
        issued.link.expires_at = issued.link.expires_at - timedelta(days=8)
        db.session.commit()
    response = app.test_client().get(f"/uitnodiging/{issued.token}")
    assert response.status_code == 410
    assert "verlopen" in response.get_data(as_text=True)


def test_invite_expires_after_seven_days_by_default(app, make_team):
    team = make_team()
    with app.app_context():
        issued = services.issue_invite(db.session, team=db.session.merge(team), role="member",
                                       make_admin=False, email=None, created_by=None,
                                       days=app.config["INVITE_DAYS"])
        lifetime = issued.link.expires_at - issued.link.created_at
        assert timedelta(days=6, hours=23) < lifetime <= timedelta(days=7)


def test_unknown_link_is_a_friendly_404(client):
    response = client.get("/uitnodiging/bestaat-niet")
    assert response.status_code == 404
    assert "kennen we niet" in response.get_data(as_text=True)


def test_member_cannot_invite(app, make_team, make_person, login):
    team = make_team()
    client = login(make_person(team))
    page = client.get(f"/teams/{team.id}").get_data(as_text=True)
    assert "Nodig iemand uit" not in page
    token = csrf_token(client, f"/teams/{team.id}")
    response = client.post(f"/teams/{team.id}/uitnodigingen", data={"role": "member", "csrf_token": token})
    assert response.status_code == 403
    with app.app_context():
        assert db.session.scalar(select(AccessLink)) is None


def test_person_of_another_team_gets_404(app, make_team, make_person, login):
    north = make_team("Wijkteam Noord")
    south = make_team("Jeugdbescherming Zuid")
    outsider = make_person(south, role="lead")
    make_person(north, name="Sanne Bakker")
    client = login(outsider)
    assert client.get(f"/teams/{north.id}").status_code == 404
    token = csrf_token(client, "/")
    assert client.post(f"/teams/{north.id}/uitnodigingen", data={"csrf_token": token}).status_code == 404


def test_admin_of_another_organisation_gets_404(app, make_team, make_person, login):
    north = make_team("Wijkteam Noord")
    elsewhere = make_team("Ander team")  # a separate organisation
    client = login(make_person(elsewhere, admin=True))
    assert client.get(f"/teams/{north.id}").status_code == 404


def test_admin_sees_every_team_of_the_organisation_and_can_make_one(app, make_team, make_person, login):
    north = make_team("Wijkteam Noord")
    south = make_team("Jeugdbescherming Zuid", org=north.organisation)
    admin = make_person(north, admin=True)
    client = login(admin)
    assert client.get(f"/teams/{south.id}").status_code == 200
    token = csrf_token(client, "/teams/nieuw")
    taken = client.post("/teams/nieuw", data={"team_name": "wijkteam noord", "csrf_token": token})
    assert taken.status_code == 422 and "al een team" in taken.get_data(as_text=True)
    made = client.post("/teams/nieuw", data={"team_name": "Veilig Thuis", "csrf_token": token})
    assert made.status_code == 302
    with app.app_context():
        membership = db.session.scalar(select(Membership).where(Membership.person_id == admin.id,
                                                                Membership.team_id != north.id))
        assert membership.team.name == "Veilig Thuis" and membership.role == "lead"


def test_member_cannot_make_a_team(app, make_team, make_person, login):
    client = login(make_person(make_team()))
    assert client.get("/teams/nieuw").status_code == 404


def test_signed_out_visitor_is_sent_to_login(client):
    response = client.get("/profiel")
    assert response.status_code == 302 and "/inloggen" in response.headers["Location"]


def test_export_and_delete_account(app, make_team, make_person, login):
    team = make_team()
    person = make_person(team, name="Sanne Bakker")
    client = login(person)
    export = client.get("/profiel/download")
    assert export.headers["Content-Disposition"].startswith("attachment")
    data = export.get_json()
    account = data["account"]
    assert account["name"] == "Sanne Bakker" and account["teams"][0]["team"] == "Wijkteam Noord"
    token = csrf_token(client, "/profiel/verwijder")
    client.post("/profiel/verwijder", data={"csrf_token": token})
    with app.app_context():
        assert db.session.get(Person, person.id) is None
        assert db.session.scalar(select(Membership)) is None
    assert client.get("/").status_code == 302


def test_profile_changes_name_and_language(app, make_team, make_person, login):
    client = login(make_person(make_team()))
    token = csrf_token(client, "/profiel")
    bad = client.post("/profiel", data={"person_name": "", "locale": "en", "csrf_token": token})
    assert bad.status_code == 422 and "Vul dit in." in bad.get_data(as_text=True)
    client.post("/profiel", data={"person_name": "Sanne", "locale": "en", "csrf_token": token})
    page = client.get("/", headers={"Accept-Language": "nl"}).get_data(as_text=True)
    assert "Hi Sanne" in page and 'lang="en"' in page
