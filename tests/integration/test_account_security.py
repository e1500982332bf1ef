"""Account security (issue 7): recovery rules, safe redirects, revocable sessions, bad input
that must not give a 500, challenges only on POST, and the audit log."""
from __future__ import annotations

import json
import re
from datetime import timedelta
from urllib.parse import quote, urlsplit

import pytest
from sqlalchemy import func, select, update

from app import create_app
from app.accounts import audit, services
from app.accounts.models import AccessLink, AuditEvent, Passkey, Person, PersonSession, Team, WebAuthnChallenge
from app.extensions import db
from app.models_base import utcnow
from app.notify.models import Notification
from conftest import app_config, csrf_token, sign_in_as
from support.authenticator import SoftAuthenticator, b64url_decode
from support.flows import options_on, post_json, recover_via_link, register_via_form, sign_in

ORIGIN = "http://localhost"
SETUP_FORM = {"organisation_name": "Jeugdzorg Rivierenland", "team_name": "Wijkteam Noord",
              "person_name": "Marieke de Vries"}


@pytest.fixture
def founder(app, client):
    """Marieke: admin and lead, set up with a real passkey and signed in on `client`."""
    with app.app_context():
        token = services.issue_setup_link(db.session, 24).token
        db.session.commit()
    phone = SoftAuthenticator(origin=ORIGIN)
    assert register_via_form(client, phone, f"/inrichten/{token}", SETUP_FORM).status_code == 200
    return phone


def first_team_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(Team.id))


def sign_out(client):
    return client.post("/uitloggen", data={"csrf_token": csrf_token(client, "/profiel")})


def opens_profile(client) -> bool:
    return client.get("/profiel").status_code == 200


def copy_cookies(source, target, names=("session", "remember_token")):
    """What an attacker who copied the browser's cookie jar holds."""
    for name in names:
        cookie = source.get_cookie(name)
        if cookie is not None:
            target.set_cookie(name, cookie.value)


def events(app, kind=None) -> list[AuditEvent]:
    with app.app_context():
        query = select(AuditEvent).order_by(AuditEvent.id)
        if kind:
            query = query.where(AuditEvent.kind == kind)
        rows = db.session.scalars(query).all()
        db.session.expunge_all()
        return rows


def recovery(client, team_id, person_id):
    return client.post(f"/teams/{team_id}/leden/{person_id}/herstellink",
                       data={"csrf_token": csrf_token(client, f"/teams/{team_id}")})


def link_in(html: str) -> str:
    return html.split('readonly value="', 1)[1].split('"', 1)[0].removeprefix("http://localhost")


# Hole 1: recovery links -------------------------------------------------------------------

@pytest.fixture
def crew(make_team, make_person):
    """One team: a lead, a second lead, an admin who is a member, and a plain member."""
    team = make_team()
    return {"team": team,
            "lead": make_person(team, role="lead", name="Lotte Lead"),
            "other_lead": make_person(team, role="lead", name="Otto Lead"),
            "admin": make_person(team, admin=True, name="Anna Admin"),
            "member": make_person(team, name="Mo Member")}


def test_lead_cannot_issue_recovery_for_an_admin_another_lead_or_themselves(app, crew, login):
    client = login(crew["lead"])
    team_id = crew["team"].id
    for target in ("admin", "other_lead", "lead"):
        assert recovery(client, team_id, crew[target].id).status_code == 403, target
    with app.app_context():
        assert db.session.scalar(select(func.count(AccessLink.id))) == 0
    assert recovery(client, team_id, crew["member"].id).status_code == 200


def test_lead_who_also_leads_elsewhere_cannot_be_recovered_by_a_lead(app, crew, make_team, make_person, login):
    # Mo leads another team of the organisation: in Lotte's team Mo is a member, but no plain one.
    other = make_team("Jeugdbescherming Zuid", org=crew["team"].organisation)
    with app.app_context():
        from app.accounts.models import Membership
        db.session.add(Membership(person_id=crew["member"].id, team_id=other.id, role="lead"))
        db.session.commit()
    assert recovery(login(crew["lead"]), crew["team"].id, crew["member"].id).status_code == 403


def test_lead_gets_404_for_someone_they_cannot_see(app, crew, make_team, make_person, login):
    south = make_team("Jeugdbescherming Zuid", org=crew["team"].organisation)
    stranger = make_person(south, name="Sam Zuid")
    client = login(crew["lead"])
    assert recovery(client, crew["team"].id, stranger.id).status_code == 404
    assert recovery(client, south.id, stranger.id).status_code == 404


def test_admin_may_recover_another_admin_but_it_is_logged_and_told(app, crew, make_person, login):
    second_admin = make_person(crew["team"], admin=True, name="Bram Beheer")
    client = login(second_admin)
    assert recovery(client, crew["team"].id, second_admin.id).status_code == 403  # never oneself
    page = recovery(client, crew["team"].id, crew["admin"].id)
    assert page.status_code == 200
    [event] = events(app, "recovery_issued")
    assert (event.subject_id, event.actor_id, event.detail["admin"]) == (crew["admin"].id, second_admin.id, True)
    with app.app_context():
        [note] = db.session.scalars(select(Notification).where(Notification.person_id == crew["admin"].id)).all()
        assert note.kind == "security" and "Bram Beheer" in note.body
        assert note.deliveries == [] or all(d.next_attempt_at <= utcnow() for d in note.deliveries)
    # The admin sees it on their own security page.
    assert "Herstellink gemaakt" in login(crew["admin"], on=app.test_client()).get(
        "/profiel/beveiliging").get_data(as_text=True)


def test_security_notifications_cannot_be_switched_off(app):
    from app.notify import kinds
    with app.app_context():
        kind = kinds.get("security")
    assert not kind.optional and not kind.quiet_hours


def test_a_new_recovery_link_revokes_the_older_one(app, crew, login):
    client = login(crew["lead"])
    first = link_in(recovery(client, crew["team"].id, crew["member"].id).get_data(as_text=True))
    second = link_in(recovery(client, crew["team"].id, crew["member"].id).get_data(as_text=True))
    visitor = app.test_client()
    assert visitor.get(first).status_code == 410
    assert visitor.get(second).status_code == 200


def test_team_page_offers_recovery_only_where_allowed(app, crew, login):
    page = login(crew["lead"]).get(f"/teams/{crew['team'].id}").get_data(as_text=True)
    targets = set(re.findall(r"/leden/(\d+)/herstellink", page))
    assert targets == {str(crew["member"].id)}
    admin_page = login(crew["admin"], on=app.test_client()).get(f"/teams/{crew['team'].id}").get_data(as_text=True)
    assert set(re.findall(r"/leden/(\d+)/herstellink", admin_page)) == {
        str(crew[k].id) for k in ("lead", "other_lead", "member")}


# Hole 4: no open redirect after sign-in ---------------------------------------------------

EVIL_NEXT = ["/\t/evil.example/", "/\r/evil.example/", "/\n/evil.example/", "//evil.example/", "/\\evil.example/",
             "\\/evil.example", "https://evil.example/", "javascript:alert(1)", " /evil", "/ /evil.example",
             "/\x00/evil.example", "/\u00a0/evil.example", "/%0a".replace("%0a", "\x0b") + "/evil.example"]


def browser_target(location: str) -> str:
    """What a browser makes of a Location: it strips tab, CR and LF, and reads \\ as /."""
    return re.sub(r"[\t\r\n]", "", location).replace("\\", "/")


@pytest.mark.parametrize("target", EVIL_NEXT)
def test_sign_in_never_redirects_off_site(app, client, founder, target):
    sign_out(client)
    page = client.get("/inloggen?next=" + quote(target, safe="")).get_data(as_text=True)
    sent = re.search(r'data-next="([^"]*)"', page)
    assert sent is None  # the page does not even carry it to the sign-in script
    token = csrf_token(client, "/inloggen")
    options = client.post("/inloggen/opties", headers={"X-CSRFToken": token}).get_json()
    # A page that did pass it on, or a hand-made request: the server checks again.
    response = post_json(client, "/inloggen/controle", {"credential": founder.get(options), "next": target}, token)
    assert response.status_code == 200
    location = browser_target(response.get_json()["redirect"])
    assert location == "/"
    assert urlsplit(location).netloc == ""


def test_sign_in_keeps_a_local_next(app, client, founder):
    team_id = first_team_id(app)
    sign_out(client)
    page = client.get(f"/inloggen?next=%2Fteams%2F{team_id}").get_data(as_text=True)
    assert f'data-next="/teams/{team_id}"' in page
    token = csrf_token(client, "/inloggen")
    options = client.post("/inloggen/opties", headers={"X-CSRFToken": token}).get_json()
    response = post_json(client, "/inloggen/controle", {"credential": founder.get(options), "next": f"/teams/{team_id}"},
                         token)
    assert response.get_json()["redirect"] == f"/teams/{team_id}"


# Hole 6: sessions end on the server -------------------------------------------------------

def test_cookies_saved_before_logout_open_nothing_after(app, client, founder):
    sign_out(client)
    assert sign_in(client, founder).status_code == 200
    thief, remembered = app.test_client(), app.test_client()
    copy_cookies(client, thief)
    copy_cookies(client, remembered, names=("remember_token",))
    assert opens_profile(thief) and opens_profile(remembered)
    sign_out(client)
    assert not opens_profile(client)
    assert not opens_profile(thief)
    assert not opens_profile(remembered)
    with app.app_context():
        assert db.session.scalar(select(func.count(PersonSession.id))) == 0


def test_removing_a_passkey_ends_the_other_devices_sessions(app, client, founder):
    # A second passkey on a tablet, which signs in with it.
    token = csrf_token(client, "/profiel")
    step = client.post("/profiel/passkeys/nieuw", data={"csrf_token": token})
    tablet_key = SoftAuthenticator(origin=ORIGIN)
    post_json(client, "/profiel/passkeys/controle", {"credential": tablet_key.create(options_on(step.get_data(
        as_text=True)))}, token)
    tablet = app.test_client()
    assert sign_in(tablet, tablet_key).status_code == 200
    stolen_tablet_cookies = app.test_client()
    copy_cookies(tablet, stolen_tablet_cookies)
    with app.app_context():
        tablet_passkey = db.session.scalars(select(Passkey).order_by(Passkey.id)).all()[-1].id
    # The tablet is lost: its passkey is removed from the phone.
    client.post(f"/profiel/passkeys/{tablet_passkey}/verwijder", data={"csrf_token": csrf_token(client, "/profiel")})
    assert opens_profile(client)  # the device that asked stays signed in
    assert not opens_profile(tablet)
    assert not opens_profile(stolen_tablet_cookies)
    assert [e.detail["reason"] for e in events(app, "sessions_ended")] == ["passkey_removed"]


def test_idle_sessions_are_refused_and_use_is_noted_only_now_and_then(app, make_team, make_person, login):
    person = make_person(make_team())
    client = app.test_client()
    session_id = sign_in_as(client, person)

    def set_last_seen(ago):
        with app.app_context():
            when = utcnow() - ago
            db.session.execute(update(PersonSession).where(PersonSession.id == session_id).values(last_seen_at=when))
            db.session.commit()
            return when

    def last_seen():
        with app.app_context():
            return db.session.get(PersonSession, session_id).last_seen_at

    recent = set_last_seen(timedelta(minutes=1))
    assert opens_profile(client)
    assert last_seen() == recent  # no write per request
    set_last_seen(timedelta(days=13))
    assert opens_profile(client)
    assert utcnow() - last_seen() < timedelta(minutes=1)  # used: the idle clock starts again
    set_last_seen(timedelta(days=app.config["SESSION_IDLE_DAYS"], minutes=1))
    response = client.get("/profiel")
    assert response.status_code == 302 and "/inloggen" in response.headers["Location"]


def session_cookie_sent(response) -> str | None:
    return next((c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")), None)


def test_only_a_change_sends_the_session_cookie_so_a_late_response_cannot_drop_a_message(app, client, founder):
    """A response already under way (a static file, the service worker's precache) must not put
    back the cookie as it was when its request left: that dropped the flash the next page shows,
    or the passkey ceremony a sign-up had just begun (seen in CI as 'Verstuurd' never appearing)."""
    sign_out(client)
    assert sign_in(client, founder).status_code == 200
    page = client.get("/").get_data(as_text=True)
    css = re.search(r'/static/css/[^"]+[.]css', page).group(0)
    for path in ("/", css, "/sw.js", "/offline", "/profiel", "/robots.txt"):
        assert session_cookie_sent(client.get(path)) is None, path
    # What changes the session still sends it: a flash, here after saving one's name.
    response = client.post("/profiel", data={"person_name": "Marieke de Vries", "locale": "",
                                                "csrf_token": csrf_token(client, "/profiel")})
    assert session_cookie_sent(response) is not None


@pytest.mark.parametrize("offline_page", ["/offline", "/feedback/offline"])
def test_the_service_workers_offline_pages_leave_a_waiting_message_alone(app, make_team, make_person, login,
                                                                         offline_page):
    """The service worker fetches the offline pages (with the person's cookies) whenever it
    installs; a message waiting for the next page must stay for that page, and out of the cache."""
    client = login(make_person(make_team()))
    saved = client.post("/profiel", data={"person_name": "Sanne Bakker", "locale": "",
                                          "csrf_token": csrf_token(client, "/profiel")})
    assert saved.status_code == 302
    offline = client.get(offline_page)
    assert "Opgeslagen." not in offline.get_data(as_text=True)
    assert session_cookie_sent(offline) is None
    assert "Opgeslagen." in client.get(saved.headers["Location"]).get_data(as_text=True)


def test_the_session_cookie_is_renewed_when_the_sign_in_is_touched(app, make_team, make_person):
    person = make_person(make_team())
    client = app.test_client()
    session_id = sign_in_as(client, person)
    with client.session_transaction() as sess:
        sess.permanent = True
    client.get("/profiel")  # the first request settles the session (Flask-Login's protection)
    assert session_cookie_sent(client.get("/profiel")) is None
    with app.app_context():
        db.session.execute(update(PersonSession).where(PersonSession.id == session_id)
                           .values(last_seen_at=utcnow() - timedelta(days=2)))
        db.session.commit()
    cookie = session_cookie_sent(client.get("/profiel"))
    assert cookie is not None and "Expires=" in cookie  # 30 days from now, not from the sign-in
    assert session_cookie_sent(client.get("/profiel")) is None  # touched minutes ago: nothing to renew


def test_recovery_ends_every_session_of_the_person(app, crew, login):
    member_phone, member_laptop = app.test_client(), app.test_client()
    login(crew["member"], on=member_phone)
    login(crew["member"], on=member_laptop)
    path = link_in(recovery(login(crew["lead"]), crew["team"].id, crew["member"].id).get_data(as_text=True))
    new_device = app.test_client()
    assert recover_via_link(new_device, SoftAuthenticator(origin=ORIGIN), path).status_code == 200
    assert opens_profile(new_device)
    assert not opens_profile(member_phone) and not opens_profile(member_laptop)
    kinds = [e.kind for e in events(app) if e.subject_id == crew["member"].id]
    assert kinds == ["recovery_issued", "recovery_used", "sessions_ended", "passkey_added", "sign_in"]


def test_profile_lists_devices_and_signs_out_one_or_all(app, make_team, make_person, login):
    person = make_person(make_team())
    phone, laptop, tablet = app.test_client(), app.test_client(), app.test_client()
    login(person, on=phone)
    laptop_session = sign_in_as(laptop, person)
    login(person, on=tablet)
    page = phone.get("/profiel").get_data(as_text=True)
    assert len(re.findall(r"/sessies/\d+/uitloggen\"", page)) == 3 and "dit apparaat" in page
    token = csrf_token(phone, "/profiel")
    assert phone.post(f"/profiel/sessies/{laptop_session}/uitloggen", data={"csrf_token": token}).status_code == 302
    assert not opens_profile(laptop) and opens_profile(tablet) and opens_profile(phone)
    # Someone else's session id is not ours to end.
    other = make_person(make_team("Elders"))
    other_session = sign_in_as(app.test_client(), other)
    assert phone.post(f"/profiel/sessies/{other_session}/uitloggen", data={"csrf_token": token}).status_code == 404
    phone.post("/profiel/sessies/overal-uitloggen", data={"csrf_token": token})
    assert not opens_profile(phone) and not opens_profile(tablet)


# Hole 9: bad input answers without a 500 --------------------------------------------------

@pytest.mark.parametrize("body", ["[]", '"conditional"', "5", "null", "[1, 2]"])
def test_login_options_with_any_json(client, body):
    token = csrf_token(client)
    response = client.post("/inloggen/opties", data=body, content_type="application/json",
                           headers={"X-CSRFToken": token})
    assert response.status_code == 200 and "challenge" in response.get_json()


@pytest.mark.parametrize("body", ["[]", '"x"', "5", "null", "[{\"credential\": {}}]"])
def test_login_verify_with_a_body_that_is_no_object(client, body):
    token = csrf_token(client)
    client.post("/inloggen/opties", headers={"X-CSRFToken": token})
    response = client.post("/inloggen/controle", data=body, content_type="application/json",
                           headers={"X-CSRFToken": token})
    assert response.status_code == 400


@pytest.mark.parametrize("next_value", [5, ["/teams"], {"a": "/"}, None, True])
def test_login_verify_with_a_next_that_is_no_string_also_when_signed_in(app, client, founder, next_value):
    token = csrf_token(client, "/profiel")  # still signed in from the setup
    options = client.post("/inloggen/opties", json={"mediation": ["x"]}, headers={"X-CSRFToken": token}).get_json()
    response = post_json(client, "/inloggen/controle", {"credential": founder.get(options), "next": next_value,
                                                   "mediation": ["x"]}, token)
    assert response.status_code == 200 and response.get_json()["redirect"] == "/"


def file_part(_name):
    """A form field sent as a file part of a multipart post (WTForms then sees a FileStorage)."""
    from io import BytesIO
    return (BytesIO(b"<script>alert(1)</script>"), "naam.txt", "text/plain")


@pytest.fixture
def lead_client(app, make_team, make_person, login):
    team = make_team()
    return login(make_person(team, role="lead", admin=True)), team


def test_form_fields_sent_as_files_get_a_form_error(app, lead_client):
    client, team = lead_client
    with app.app_context():
        invite = services.issue_invite(db.session, team=db.session.get(Team, team.id), role="member",
                                       make_admin=False, email=None, created_by=None, days=7).token
        db.session.commit()
    visitor = app.test_client()
    cases = [
        (visitor, f"/uitnodiging/{invite}", {"person_name": file_part("person_name")}),
        (client, "/profiel", {"person_name": file_part("person_name"), "locale": file_part("locale")}),
        (client, f"/teams/{team.id}/uitnodigingen", {"email": file_part("email"), "role": file_part("role")}),
        (client, "/teams/nieuw", {"team_name": file_part("team_name")}),
    ]
    for who, path, fields in cases:
        response = who.post(path, data={**fields, "csrf_token": csrf_token(who, path if who is visitor else "/profiel")},
                            content_type="multipart/form-data")
        assert response.status_code == 422, (path, response.status_code)
        text = response.get_data(as_text=True)
        assert "Hier hoort tekst, geen bestand" in text, path
        assert "<script>alert(1)" not in text
    with app.app_context():
        assert db.session.scalar(select(func.count(Person.id))) == 1


def test_setup_form_with_a_file_part(app):
    with app.app_context():
        token = services.issue_setup_link(db.session, 24).token
        db.session.commit()
    client = app.test_client()
    response = client.post(f"/inrichten/{token}", content_type="multipart/form-data", data={
        "organisation_name": "Jeugdzorg", "team_name": file_part("team_name"), "person_name": "Marieke",
        "csrf_token": csrf_token(client, f"/inrichten/{token}")})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "Hier hoort tekst" in text and 'value="Jeugdzorg"' in text


@pytest.mark.parametrize("body", ['{"person_name": 5}', '{"person_name": ["a"]}', "5", "[]", '"x"'])
def test_profile_with_a_json_body_of_the_wrong_shape(app, lead_client, body):
    client, _team = lead_client
    response = client.post("/profiel", data=body, content_type="application/json",
                           headers={"X-CSRFToken": csrf_token(client, "/profiel")})
    assert response.status_code == 422


def test_a_credential_id_that_exists_is_a_clear_400(app, client, founder):
    own_id = b64url_decode(next(iter(founder.credentials)))
    # The same person, adding "another" passkey with the id of the one they have.
    token = csrf_token(client, "/profiel")
    step = client.post("/profiel/passkeys/nieuw", data={"csrf_token": token})
    credential = SoftAuthenticator(origin=ORIGIN).create(options_on(step.get_data(as_text=True)), credential_id=own_id)
    response = post_json(client, "/profiel/passkeys/controle", {"credential": credential}, token)
    assert response.status_code == 400 and "al in gebruik" in response.get_json()["error"]
    # A newcomer whose authenticator claims the founder's credential id.
    team_id = first_team_id(app)
    page = client.post(f"/teams/{team_id}/uitnodigingen", data={"csrf_token": token, "role": "member"})
    path = link_in(page.get_data(as_text=True))
    newcomer = app.test_client()
    form_token = csrf_token(newcomer, path)
    step = newcomer.post(path, data={"person_name": "Daan", "csrf_token": form_token})
    credential = SoftAuthenticator(origin=ORIGIN).create(options_on(step.get_data(as_text=True)), credential_id=own_id)
    response = post_json(newcomer, f"{path}/passkey", {"credential": credential}, form_token)
    assert response.status_code == 400 and "al in gebruik" in response.get_json()["error"]
    with app.app_context():
        assert db.session.scalar(select(func.count(Person.id))) == 1
        assert db.session.scalar(select(func.count(Passkey.id))) == 1
        assert db.session.scalar(select(AccessLink).where(AccessLink.purpose == "invite")).used_at is None
    assert not opens_profile(newcomer)


# Hole 11: link pages store nothing and are rate-limited; exports are not cached -----------

def test_opening_link_pages_stores_no_challenge(app, crew, login):
    client = login(crew["lead"])
    with app.app_context():
        invite = services.issue_invite(db.session, team=db.session.get(Team, crew["team"].id), role="member",
                                       make_admin=False, email=None, created_by=None, days=7).token
        db.session.commit()
    recover = link_in(recovery(client, crew["team"].id, crew["member"].id).get_data(as_text=True))
    visitor = app.test_client()
    for _ in range(5):
        assert visitor.get(f"/uitnodiging/{invite}").status_code == 200
        page = visitor.get(recover)
        assert page.status_code == 200 and "passkey-options" not in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(WebAuthnChallenge.id))) == 0


def test_opening_link_pages_is_rate_limited(tmp_path):
    application = create_app(app_config(tmp_path, RATELIMIT_ENABLED=True, RATELIMIT_AUTH="3 per minute"))
    with application.app_context():
        db.create_all()
    client = application.test_client()
    codes = [client.get(f"/uitnodiging/guess{i}").status_code for i in range(4)]
    codes += [client.get(f"/herstel/guess{i}").status_code for i in range(4)]
    assert codes == [404, 404, 404, 429] * 2
    with application.app_context():
        db.drop_all()


def test_export_is_never_cached(lead_client):
    client, _team = lead_client
    assert client.get("/profiel/download").headers["Cache-Control"] == "no-store"


# Audit log -----------------------------------------------------------------------------------

def test_security_events_are_recorded_along_the_way(app, client, founder):
    team_id = first_team_id(app)
    token = csrf_token(client, "/profiel")
    page = client.post(f"/teams/{team_id}/uitnodigingen", data={"csrf_token": token, "role": "lead"})
    newcomer = app.test_client()
    phone = SoftAuthenticator(origin=ORIGIN)
    assert register_via_form(newcomer, phone, link_in(page.get_data(as_text=True)),
                             {"person_name": "Daan Visser"}).status_code == 200
    sign_out(newcomer)
    assert sign_in(newcomer, phone).status_code == 200
    with app.app_context():
        marieke, daan = (db.session.scalar(select(Person.id).where(Person.name == n))
                         for n in ("Marieke de Vries", "Daan Visser"))
    got = [(e.kind, e.subject_id, e.actor_id) for e in events(app)]
    assert got == [
        ("passkey_added", marieke, marieke), ("sign_in", marieke, marieke),
        ("invite_issued", None, marieke),
        ("invite_used", daan, daan), ("passkey_added", daan, daan), ("sign_in", daan, daan),
        ("sign_out", daan, daan), ("sign_in", daan, daan),
    ]
    used = events(app, "invite_used")[0]
    assert used.detail == {"team_id": team_id, "role": "lead", "admin": False}
    # Nothing typed and no address is kept.
    blob = json.dumps([e.detail for e in events(app)])
    assert "Daan" not in blob and "127.0.0.1" not in blob


def test_admin_log_and_own_security_page(app, client, founder, make_team, make_person, login):
    team_id = first_team_id(app)
    with app.app_context():
        team = db.session.get(Team, team_id)
        db.session.expunge(team)
    member = make_person(team, name="Mo Member")
    member_client = login(member, on=app.test_client())
    log = client.get("/beheer/logboek")
    assert log.status_code == 200
    text = log.get_data(as_text=True)
    assert "Ingelogd" in text and "Marieke de Vries" in text and "Passkey toegevoegd" in text
    assert member_client.get("/beheer/logboek").status_code == 404
    # A member sees the events about their own account only.
    own = member_client.get("/profiel/beveiliging").get_data(as_text=True)
    assert "Marieke" not in own
    assert "Wat er met je account is gebeurd" in member_client.get("/profiel").get_data(as_text=True)
    # The admin of another organisation sees nothing of this one.
    elsewhere = make_team("Ander team")
    stranger = login(make_person(elsewhere, admin=True, name="Xander Elders"), on=app.test_client())
    other_log = stranger.get("/beheer/logboek").get_data(as_text=True)
    assert "Marieke" not in other_log and "Ingelogd" not in other_log
    # In English, the labels are translated.
    english = client.get("/beheer/logboek", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Signed in" in english and "Passkey added" in english


def test_record_event_takes_known_kinds_and_plain_facts_only(app, make_team):
    team = make_team()
    with app.app_context():
        with pytest.raises(audit.UnknownEventKind):
            audit.record_event(db.session, "made_up", organisation_id=team.organisation_id)
        with pytest.raises(TypeError):
            audit.record_event(db.session, "data_exported", organisation_id=team.organisation_id,
                               content={"case": "text"})
        event = audit.record_event(db.session, "data_exported", organisation_id=team.organisation_id,
                                   format="json", label="x" * 500)
        assert event.detail == {"format": "json", "label": "x" * audit.MAX_DETAIL_TEXT}
        db.session.rollback()
