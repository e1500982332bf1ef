"""Passkey registration, sign-in, a second passkey, removal and recovery with real WebAuthn data."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts import services
from app.accounts.models import AccessLink, Passkey, Person, Team
from app.extensions import db
from conftest import csrf_token
from support.authenticator import SoftAuthenticator
from support.flows import options_on, post_json, recover_via_link, register_via_form, sign_in

ORIGIN = "http://localhost"


def setup_token(app) -> str:
    with app.app_context():
        issued = services.issue_setup_link(db.session, 24)
        db.session.commit()
        return issued.token


SETUP_FORM = {"organisation_name": "Jeugdzorg Rivierenland", "team_name": "Wijkteam Noord",
              "person_name": "Marieke de Vries"}


@pytest.fixture
def founder(app, client):
    """The first person, set up through the setup link with a real passkey."""
    phone = SoftAuthenticator(origin=ORIGIN)
    response = register_via_form(client, phone, f"/inrichten/{setup_token(app)}", SETUP_FORM)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["redirect"] == "/"
    return phone


def signed_in_name(client) -> str | None:
    page = client.get("/")
    if page.status_code != 200:
        return None
    text = page.get_data(as_text=True)
    return text.split("<h1>Hoi ", 1)[1].split("<", 1)[0] if "<h1>Hoi " in text else None


def sign_out(client):
    client.post("/uitloggen", data={"csrf_token": csrf_token(client, "/profiel")})


def test_setup_creates_organisation_admin_and_signs_in(app, client, founder):
    assert signed_in_name(client) == "Marieke"
    with app.app_context():
        person = db.session.scalar(select(Person))
        assert person.is_admin and person.memberships[0].role == "lead"
        assert person.memberships[0].team.name == "Wijkteam Noord"
        assert len(person.passkeys) == 1 and person.passkeys[0].sign_count == 0
        # The WebAuthn user handle is random, never the name.
        assert b"Marieke" not in person.user_handle


def test_setup_link_works_once(app, client, founder):
    with app.app_context():
        link = db.session.scalar(select(AccessLink).where(AccessLink.purpose == "setup"))
        assert link.used_at is not None
        # Once there is an organisation, no new setup link is issued.
        assert services.issue_setup_link(db.session, 24) is None


def test_setup_form_keeps_input_and_explains_errors(app, client):
    token = setup_token(app)
    response = client.post(f"/inrichten/{token}", data={
        "organisation_name": "Jeugdzorg Rivierenland", "team_name": "", "person_name": "x" * 200,
        "csrf_token": csrf_token(client, f"/inrichten/{token}"),
    })
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert 'value="Jeugdzorg Rivierenland"' in text
    assert "Vul dit in." in text
    assert "Maximaal 120 tekens." in text
    assert 'aria-invalid="true"' in text


def test_sign_out_and_sign_in_with_passkey(app, client, founder):
    sign_out(client)
    assert signed_in_name(client) is None
    response = sign_in(client, founder)
    assert response.status_code == 200, response.get_json()
    assert signed_in_name(client) == "Marieke"
    with app.app_context():
        assert db.session.scalar(select(Passkey)).sign_count == 1


def test_sign_in_rotates_the_session(app, client, founder):
    sign_out(client)
    client.get("/inloggen")
    with client.session_transaction() as sess:
        sess["planted"] = "by an attacker"
    sign_in(client, founder)
    with client.session_transaction() as sess:
        assert "planted" not in sess


def test_replayed_challenge_is_refused(app, client, founder):
    sign_out(client)
    token = csrf_token(client, "/inloggen")
    options = client.post("/inloggen/opties", headers={"X-CSRFToken": token}).get_json()
    credential = founder.get(options)
    assert post_json(client, "/inloggen/controle", {"credential": credential}, token).status_code == 200
    sign_out(client)
    token = csrf_token(client, "/inloggen")
    replay = post_json(client, "/inloggen/controle", {"credential": credential}, token)
    assert replay.status_code == 400
    assert signed_in_name(client) is None


def test_challenge_of_another_session_is_refused(app, client, founder):
    sign_out(client)
    other = app.test_client()
    other_token = csrf_token(other, "/inloggen")
    foreign_options = other.post("/inloggen/opties", headers={"X-CSRFToken": other_token}).get_json()
    token = csrf_token(client, "/inloggen")
    client.post("/inloggen/opties", headers={"X-CSRFToken": token})
    response = post_json(client, "/inloggen/controle", {"credential": founder.get(foreign_options)}, token)
    assert response.status_code == 400
    assert signed_in_name(client) is None


def test_wrong_origin_is_refused(app, client, founder):
    sign_out(client)
    response = sign_in(client, founder, origin="https://evil.example")
    assert response.status_code == 400
    assert "Inloggen is niet gelukt" in response.get_json()["error"]
    assert signed_in_name(client) is None


def test_registration_with_wrong_origin_is_refused_and_can_be_retried(app, client):
    phone = SoftAuthenticator(origin=ORIGIN)
    token = setup_token(app)
    response = register_via_form(client, phone, f"/inrichten/{token}", SETUP_FORM, origin="https://evil.example")
    assert response.status_code == 400
    body = response.get_json()
    assert "options" in body  # a fresh challenge, so one more tap can succeed
    csrf = csrf_token(client, "/inloggen")
    retry = post_json(client, f"/inrichten/{token}/passkey", {"credential": phone.create(body["options"])}, csrf)
    assert retry.status_code == 200
    assert signed_in_name(client) == "Marieke"


def test_cloned_credential_sign_count_is_refused(app, client, founder):
    clone = founder.clone()
    sign_out(client)
    assert sign_in(client, founder).status_code == 200  # count 1
    sign_out(client)
    assert sign_in(client, founder).status_code == 200  # count 2
    sign_out(client)
    response = sign_in(client, clone)  # the clone still says 1
    assert response.status_code == 400
    assert signed_in_name(client) is None


def test_without_user_verification_is_refused(app, client, founder):
    sign_out(client)
    founder.user_verified = False
    assert sign_in(client, founder).status_code == 400
    assert signed_in_name(client) is None


def test_registration_without_user_verification_is_refused(app, client):
    phone = SoftAuthenticator(origin=ORIGIN, user_verified=False)
    response = register_via_form(client, phone, f"/inrichten/{setup_token(app)}", SETUP_FORM)
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(Person)) is None


def test_unknown_credential_is_refused(app, client, founder):
    sign_out(client)
    stranger = SoftAuthenticator(origin=ORIGIN)
    # A passkey for this site that Leerkring never registered.
    stranger.create({"rp": {"id": "localhost", "name": "x"}, "challenge": "AAAA",
                     "user": {"id": "AAAA", "name": "x", "displayName": "x"}})
    assert sign_in(client, stranger).status_code == 400
    assert signed_in_name(client) is None


def test_second_passkey_and_removal(app, client, founder):
    token = csrf_token(client, "/profiel")
    step = client.post("/profiel/passkeys/nieuw", data={"csrf_token": token})
    second_phone = SoftAuthenticator(origin=ORIGIN)
    options = options_on(step.get_data(as_text=True))
    assert len(options["excludeCredentials"]) == 1  # the first phone is not offered again
    response = post_json(client, "/profiel/passkeys/controle", {"credential": second_phone.create(options)}, token)
    assert response.status_code == 200, response.get_json()
    with app.app_context():
        passkeys = db.session.scalars(select(Passkey).order_by(Passkey.id)).all()
        assert len(passkeys) == 2
        first_id, second_id = passkeys[0].id, passkeys[1].id

    # Both phones can sign in.
    sign_out(client)
    assert sign_in(client, second_phone).status_code == 200
    # Remove the first phone's passkey: it can no longer sign in.
    token = csrf_token(client, "/profiel")
    client.post(f"/profiel/passkeys/{first_id}/verwijder", data={"csrf_token": token})
    sign_out(client)
    assert sign_in(client, founder).status_code == 400
    assert sign_in(client, second_phone).status_code == 200
    # The last passkey cannot be removed.
    token = csrf_token(client, "/profiel")
    page = client.post(f"/profiel/passkeys/{second_id}/verwijder", data={"csrf_token": token}, follow_redirects=True)
    assert "enige passkey" in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Passkey)).id == second_id


def test_cannot_remove_someone_elses_passkey(app, client, founder, make_person, login):
    with app.app_context():
        team = db.session.scalar(select(Team))
        other = make_person(team)
        founder_key = db.session.scalar(select(Passkey)).id
    other_client = login(other, on=app.test_client())
    token = csrf_token(other_client, "/profiel")
    response = other_client.post(f"/profiel/passkeys/{founder_key}/verwijder", data={"csrf_token": token})
    assert response.status_code == 404


def test_add_passkey_ceremony_cannot_be_finished_by_another_person(app, client, founder, make_person, login):
    token = csrf_token(client, "/profiel")
    step = client.post("/profiel/passkeys/nieuw", data={"csrf_token": token})
    options = options_on(step.get_data(as_text=True))
    with app.app_context():
        other = make_person(db.session.scalar(select(Team)))
    other_client = login(other, on=app.test_client())
    other_token = csrf_token(other_client, "/profiel")
    # The other person has no ceremony in their session: nothing is added to anyone.
    response = post_json(other_client, "/profiel/passkeys/controle",
                         {"credential": SoftAuthenticator(origin=ORIGIN).create(options)}, other_token)
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(Person).where(Person.id == other.id)).passkeys == []


def test_recovery_link_gives_a_new_passkey_and_ends_old_sessions(app, client, founder):
    # The lead invites a colleague, who joins with a phone...
    lead_token = csrf_token(client, "/")
    with app.app_context():
        team_id = db.session.scalar(select(Team)).id
    page = client.post(f"/teams/{team_id}/uitnodigingen", data={"csrf_token": lead_token, "role": "member"})
    invite_url = page.get_data(as_text=True).split('id="issued-link" type="text" readonly value="', 1)[1].split('"')[0]
    colleague = app.test_client()
    old_phone = SoftAuthenticator(origin=ORIGIN)
    path = invite_url.removeprefix("http://localhost")
    assert register_via_form(colleague, old_phone, path, {"person_name": "Daan Visser"}).status_code == 200
    assert signed_in_name(colleague) == "Daan"
    with app.app_context():
        daan = db.session.scalar(select(Person).where(Person.name == "Daan Visser"))
        daan_id = daan.id

    # ...loses it; the lead issues a recovery link.
    token = csrf_token(client, f"/teams/{team_id}")
    page = client.post(f"/teams/{team_id}/leden/{daan_id}/herstellink", data={"csrf_token": token})
    assert page.status_code == 200
    recovery_url = page.get_data(as_text=True).split('readonly value="', 1)[1].split('"')[0]
    recovery_path = recovery_url.removeprefix("http://localhost")

    new_device = app.test_client()
    new_phone = SoftAuthenticator(origin=ORIGIN)
    response = recover_via_link(new_device, new_phone, recovery_path)
    assert response.status_code == 200, response.get_json()
    assert signed_in_name(new_device) == "Daan"
    # The session on the lost phone has ended.
    assert signed_in_name(colleague) is None
    # The link works once.
    assert new_device.get(recovery_path).status_code == 410


def test_member_cannot_issue_recovery(app, client, founder, make_person, login):
    with app.app_context():
        team = db.session.scalar(select(Team))
        team_id = team.id
        member, other = make_person(team), make_person(team)
    member_client = login(member, on=app.test_client())
    token = csrf_token(member_client, f"/teams/{team_id}")
    response = member_client.post(f"/teams/{team_id}/leden/{other.id}/herstellink", data={"csrf_token": token})
    assert response.status_code == 403


def test_expired_challenge_is_refused(app, client, founder):
    sign_out(client)
    token = csrf_token(client, "/inloggen")
    options = client.post("/inloggen/opties", headers={"X-CSRFToken": token}).get_json()
    with app.app_context():
        from app.accounts.models import WebAuthnChallenge
        for row in db.session.scalars(select(WebAuthnChallenge)):
            row.expires_at = row.expires_at - timedelta(hours=1)
        db.session.commit()
    response = post_json(client, "/inloggen/controle", {"credential": founder.get(options)}, token)
    assert response.status_code == 400


def test_autofill_and_button_ceremonies_do_not_overwrite_each_other(app, client, founder):
    sign_out(client)
    token = csrf_token(client, "/inloggen")
    button = client.post("/inloggen/opties", json={"mediation": "optional"}, headers={"X-CSRFToken": token}).get_json()
    # The autofill request answers later than the button's, as it can on a slow network.
    autofill = client.post("/inloggen/opties", json={"mediation": "conditional"},
                           headers={"X-CSRFToken": token}).get_json()
    assert autofill["challenge"] != button["challenge"]
    response = post_json(client, "/inloggen/controle", {"credential": founder.get(button), "mediation": "optional"}, token)
    assert response.status_code == 200
    assert signed_in_name(client) == "Marieke"
