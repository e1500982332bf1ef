"""CSRF, headers, rate limits, caching and bad input: nothing a browser can send yields a 500."""
from __future__ import annotations

import json
import re

import pytest

from app import create_app
from app.extensions import db
from conftest import SESSION_PREFIX, TEST_REDIS_URL, app_config, csrf_token, delete_redis_keys


def test_post_without_csrf_token_is_refused(app, make_team, make_person, login):
    team = make_team()
    client = login(make_person(team, role="lead"))
    response = client.post(f"/teams/{team.id}/uitnodigingen", data={"role": "member"})
    assert response.status_code == 400
    assert "Probeer het nog eens" in response.get_data(as_text=True)
    assert client.post("/inloggen/opties").status_code == 400
    assert client.post("/uitloggen").status_code == 400


def test_csrf_token_of_another_session_is_refused(app, make_team, make_person, login):
    team = make_team()
    client = login(make_person(team, role="lead"))
    foreign = csrf_token(app.test_client())
    response = client.post(f"/teams/{team.id}/uitnodigingen", data={"role": "member"}, headers={"X-CSRFToken": foreign})
    assert response.status_code == 400


def test_security_headers(client):
    response = client.get("/inloggen")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert response.headers["Cache-Control"] == "no-store"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_session_cookie_secure_follows_app_url(tmp_path, monkeypatch):
    from app import config
    monkeypatch.setenv("APP_URL", "https://leerkring.example")
    settings = config.load(str(tmp_path))
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["WEBAUTHN_RP_ID"] == "leerkring.example"
    assert settings["WEBAUTHN_ORIGIN"] == "https://leerkring.example"


def test_no_inline_script_or_style_in_pages(client):
    html = client.get("/inloggen").get_data(as_text=True)
    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag
    assert " style=" not in html and "<style" not in html


def test_static_files_have_hashed_names_and_long_cache(client):
    html = client.get("/inloggen").get_data(as_text=True)
    css = re.search(r'href="(/static/css/app\.[0-9a-f]{10}\.css)"', html).group(1)
    response = client.get(css)
    assert response.status_code == 200
    assert "immutable" in response.headers["Cache-Control"] and "max-age=31536000" in response.headers["Cache-Control"]
    assert client.get("/static/css/app.css").status_code == 404
    assert client.get("/static/css/app.0000000000.css").status_code == 404


def test_responses_are_compressed(client):
    html = client.get("/inloggen").get_data(as_text=True)
    htmx = re.search(r'src="(/static/vendor/htmx\.min\.[0-9a-f]{10}\.js)"', html).group(1)
    assert client.get(htmx, headers={"Accept-Encoding": "br"}).headers.get("Content-Encoding") == "br"
    assert client.get("/inloggen", headers={"Accept-Encoding": "gzip"}).headers.get("Content-Encoding") == "gzip"


@pytest.mark.parametrize("method,path,body", [
    ("POST", "/inloggen/controle", "not json"),
    ("POST", "/inloggen/controle", json.dumps({"credential": "x"})),
    ("POST", "/inloggen/controle", json.dumps({"credential": {"rawId": "!!!", "response": {}}})),
    ("POST", "/inloggen/controle", json.dumps({"credential": {"id": "AAAA", "rawId": "AAAA", "type": "public-key",
                                                          "response": {"clientDataJSON": "e30",
                                                                       "authenticatorData": "AAAA",
                                                                       "signature": "AAAA"}}})),
    ("POST", "/inrichten/nope/passkey", json.dumps({"credential": {}})),
    ("POST", "/uitnodiging/nope/passkey", "[]"),
    ("POST", "/herstel/nope/passkey", "{}"),
    ("GET", "/inrichten/" + "x" * 500, None),
    ("GET", "/teams/99999999999999999999", None),
    ("GET", "/teams/abc", None),
    ("POST", "/profiel/passkeys/controle", json.dumps({"credential": {"rawId": 5}})),
    ("DELETE", "/inloggen", None),
])
def test_garbage_never_yields_a_500(app, make_team, make_person, login, method, path, body):
    client = login(make_person(make_team()))
    token = csrf_token(client, "/profiel")
    response = client.open(path, method=method, data=body, content_type="application/json",
                           headers={"X-CSRFToken": token})
    assert response.status_code < 500, response.get_data(as_text=True)[:300]


def test_login_verify_with_garbage_when_a_challenge_is_pending(client):
    token = csrf_token(client)
    client.post("/inloggen/opties", headers={"X-CSRFToken": token})
    for credential in ({"rawId": "AAAA"}, {"rawId": "AAAA", "response": "x"}, {"rawId": None}):
        client.post("/inloggen/opties", headers={"X-CSRFToken": token})
        response = client.post("/inloggen/controle", data=json.dumps({"credential": credential}),
                               content_type="application/json", headers={"X-CSRFToken": token})
        assert response.status_code == 400


def test_sign_in_is_rate_limited(tmp_path):
    application = create_app(app_config(tmp_path, RATELIMIT_ENABLED=True, RATELIMIT_AUTH="5 per minute"))
    with application.app_context():
        db.create_all()
    client = application.test_client()
    token = csrf_token(client)
    codes = [client.post("/inloggen/controle", data="{}", content_type="application/json",
                         headers={"X-CSRFToken": token}).status_code for _ in range(7)]
    assert codes[:5] == [400] * 5
    assert codes[5:] == [429, 429]
    page = client.post("/inloggen/controle", data="{}", content_type="application/json", headers={"X-CSRFToken": token})
    assert "Even rustig aan" in page.get_data(as_text=True)
    with application.app_context():
        db.drop_all()


def redis_or_skip() -> str:
    """The Redis the suite runs on (REDIS_URL), or a local one on database 15 for this test alone."""
    url = TEST_REDIS_URL or "redis://127.0.0.1:6379/15"
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip(f"Redis is not reachable at {url}")
    return url


def sign_in_attempts(application, n: int) -> list[int]:
    client = application.test_client()
    token = csrf_token(client)
    return [client.post("/inloggen/controle", data="{}", content_type="application/json",
                        headers={"X-CSRFToken": token}).status_code for _ in range(n)]


def test_rate_limit_counters_in_a_shared_redis_belong_to_their_installation(tmp_path):
    """Counters live in Redis (shared by the processes of one installation) under the installation's
    own prefix: another installation, or the next test run, on the same Redis starts at zero."""
    url = redis_or_skip()
    prefix = f"{SESSION_PREFIX}-shared-{tmp_path.name}"

    def installation(name: str):
        application = create_app(app_config(tmp_path, RATELIMIT_ENABLED=True, RATELIMIT_AUTH="2 per minute",
                                            RATELIMIT_STORAGE_URI=url, RATELIMIT_KEY_PREFIX=f"{prefix}-{name}"))
        with application.app_context():
            db.create_all()
        return application

    try:
        assert sign_in_attempts(installation("a"), 3) == [400, 400, 429]
        assert sign_in_attempts(installation("b"), 3) == [400, 400, 429]  # not a's counters
        assert sign_in_attempts(installation("a"), 1) == [429]  # a's second process: same counters
    finally:
        with create_app(app_config(tmp_path)).app_context():
            db.drop_all()
        assert delete_redis_keys(url, f"*{prefix}*") >= 2


# Request size and friendly error pages --------------------------------------------------------

def test_a_huge_body_is_refused_with_the_friendly_page(app, make_team, make_person, login):
    client = login(make_person(make_team()))
    token = csrf_token(client, "/profiel")
    huge = b'{"endpoint": "' + b"x" * (40 * 1024 * 1024) + b'"}'
    for path in ("/push/abonnementen", "/inloggen/opties"):
        response = client.post(path, data=huge, content_type="application/json", headers={"X-CSRFToken": token})
        assert response.status_code == 413, path
        assert "Dat is te groot" in response.get_data(as_text=True)
    form = client.post("/profiel", data={"csrf_token": token, "name": "x" * (2 * 1024 * 1024)})
    assert form.status_code == 413


def test_the_largest_real_form_still_fits(app, make_team, make_person, login):
    """A case text of 5,000 characters that each take four bytes, percent-encoded: about 60 kB."""
    from app.intervisie.models import CaseText
    from test_intervisie import as_, planned_round
    team = make_team()
    lead = make_person(team, role="lead")
    people = {"lead": lead, "sanne": make_person(team), "daan": make_person(team), "fatima": make_person(team),
              "joris": make_person(team)}
    round_id = planned_round(app, login(lead), team.id, people)
    sanne = as_(app, login, people["sanne"])
    token = csrf_token(sanne, f"/intervisie/rondes/{round_id}/casus")
    text = "🙂" * 5000
    saved = sanne.post(f"/intervisie/rondes/{round_id}/casus", data={
        "help_question": "Hoe houd ik de regie?", "case_text": text, "accept_risk": "y", "csrf_token": token})
    assert saved.status_code == 302
    with app.app_context():
        assert db.session.get(CaseText, round_id).case_text == text


def test_403_gets_the_friendly_translated_page(app, make_team, make_person, login):
    team = make_team()
    member = login(make_person(team), on=app.test_client())
    page = member.get(f"/intervisie/teams/{team.id}/plan")
    assert page.status_code == 403
    html = page.get_data(as_text=True)
    assert "Geen toegang" in html and "Naar Vandaag" in html and 'class="bottom-nav"' in html
    english = member.get(f"/intervisie/teams/{team.id}/plan", headers={"Accept-Language": "en"})
    assert "No access" in english.get_data(as_text=True) and "Forbidden" not in english.get_data(as_text=True)


def test_a_cancelled_round_cannot_be_edited_and_says_so(app, make_team, make_person, login):
    from test_intervisie import planned_round
    team = make_team()
    lead_person = make_person(team, role="lead")
    people = {"lead": lead_person, "sanne": make_person(team), "daan": make_person(team),
              "fatima": make_person(team), "joris": make_person(team)}
    lead = login(lead_person)
    round_id = planned_round(app, lead, team.id, people)
    token = csrf_token(lead, f"/intervisie/rondes/{round_id}")
    lead.post(f"/intervisie/rondes/{round_id}/afgelasten", data={"csrf_token": token})
    page = lead.get(f"/intervisie/rondes/{round_id}/wijzig")
    assert page.status_code == 409 and "Dat kan nu niet meer" in page.get_data(as_text=True)


def test_htmx_gets_an_error_fragment_aimed_at_the_error_region(app, make_team, make_person, login):
    """htmx 4 swaps error responses too: a whole document must never land inside the page."""
    from test_intervisie import planned_round
    team = make_team()
    lead_person = make_person(team, role="lead")
    people = {"lead": lead_person, "sanne": make_person(team), "daan": make_person(team),
              "fatima": make_person(team), "joris": make_person(team)}
    round_id = planned_round(app, login(lead_person), team.id, people)
    outsider = login(make_person(team), on=app.test_client())
    response = outsider.get(f"/intervisie/rondes/{round_id}/live/stand", headers={"HX-Request": "true"})
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert "<html" not in body.lower() and "<body" not in body.lower() and "<main" not in body
    assert "Niet gevonden" in body and "Naar Vandaag" in body
    assert response.headers["HX-Retarget"] == "#request-error" and response.headers["HX-Reswap"] == "innerHTML"
    assert "HX-Request" in response.headers["Vary"]
    # ...and the region it goes to is on every page.
    assert '<div id="request-error" role="alert"></div>' in outsider.get("/").get_data(as_text=True)
    member = login(make_person(team), on=app.test_client())
    forbidden = member.get(f"/intervisie/teams/{team.id}/plan", headers={"HX-Request": "true"})
    assert forbidden.status_code == 403 and "<html" not in forbidden.get_data(as_text=True).lower()
