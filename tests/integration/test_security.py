"""CSRF, headers, rate limits, caching and bad input: nothing a browser can send yields a 500."""
from __future__ import annotations

import json
import re

import pytest

from app import create_app
from app.extensions import db
from conftest import app_config, csrf_token


def test_post_without_csrf_token_is_refused(app, make_team, make_person, login):
    team = make_team()
    client = login(make_person(team, role="lead"))
    response = client.post(f"/teams/{team.id}/invites", data={"role": "member"})
    assert response.status_code == 400
    assert "Probeer het nog eens" in response.get_data(as_text=True)
    assert client.post("/login/options").status_code == 400
    assert client.post("/logout").status_code == 400


def test_csrf_token_of_another_session_is_refused(app, make_team, make_person, login):
    team = make_team()
    client = login(make_person(team, role="lead"))
    foreign = csrf_token(app.test_client())
    response = client.post(f"/teams/{team.id}/invites", data={"role": "member"}, headers={"X-CSRFToken": foreign})
    assert response.status_code == 400


def test_security_headers(client):
    response = client.get("/login")
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
    html = client.get("/login").get_data(as_text=True)
    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag
    assert " style=" not in html and "<style" not in html


def test_static_files_have_hashed_names_and_long_cache(client):
    html = client.get("/login").get_data(as_text=True)
    css = re.search(r'href="(/static/css/app\.[0-9a-f]{10}\.css)"', html).group(1)
    response = client.get(css)
    assert response.status_code == 200
    assert "immutable" in response.headers["Cache-Control"] and "max-age=31536000" in response.headers["Cache-Control"]
    assert client.get("/static/css/app.css").status_code == 404
    assert client.get("/static/css/app.0000000000.css").status_code == 404


def test_responses_are_compressed(client):
    html = client.get("/login").get_data(as_text=True)
    htmx = re.search(r'src="(/static/vendor/htmx\.min\.[0-9a-f]{10}\.js)"', html).group(1)
    assert client.get(htmx, headers={"Accept-Encoding": "br"}).headers.get("Content-Encoding") == "br"
    assert client.get("/login", headers={"Accept-Encoding": "gzip"}).headers.get("Content-Encoding") == "gzip"


@pytest.mark.parametrize("method,path,body", [
    ("POST", "/login/verify", "not json"),
    ("POST", "/login/verify", json.dumps({"credential": "x"})),
    ("POST", "/login/verify", json.dumps({"credential": {"rawId": "!!!", "response": {}}})),
    ("POST", "/login/verify", json.dumps({"credential": {"id": "AAAA", "rawId": "AAAA", "type": "public-key",
                                                          "response": {"clientDataJSON": "e30",
                                                                       "authenticatorData": "AAAA",
                                                                       "signature": "AAAA"}}})),
    ("POST", "/setup/nope/passkey", json.dumps({"credential": {}})),
    ("POST", "/invite/nope/passkey", "[]"),
    ("POST", "/recover/nope/passkey", "{}"),
    ("GET", "/setup/" + "x" * 500, None),
    ("GET", "/teams/99999999999999999999", None),
    ("GET", "/teams/abc", None),
    ("POST", "/profile/passkeys/verify", json.dumps({"credential": {"rawId": 5}})),
    ("DELETE", "/login", None),
])
def test_garbage_never_yields_a_500(app, make_team, make_person, login, method, path, body):
    client = login(make_person(make_team()))
    token = csrf_token(client, "/profile")
    response = client.open(path, method=method, data=body, content_type="application/json",
                           headers={"X-CSRFToken": token})
    assert response.status_code < 500, response.get_data(as_text=True)[:300]


def test_login_verify_with_garbage_when_a_challenge_is_pending(client):
    token = csrf_token(client)
    client.post("/login/options", headers={"X-CSRFToken": token})
    for credential in ({"rawId": "AAAA"}, {"rawId": "AAAA", "response": "x"}, {"rawId": None}):
        client.post("/login/options", headers={"X-CSRFToken": token})
        response = client.post("/login/verify", data=json.dumps({"credential": credential}),
                               content_type="application/json", headers={"X-CSRFToken": token})
        assert response.status_code == 400


def test_sign_in_is_rate_limited(tmp_path):
    application = create_app(app_config(tmp_path, RATELIMIT_ENABLED=True, RATELIMIT_AUTH="5 per minute"))
    with application.app_context():
        db.create_all()
    client = application.test_client()
    token = csrf_token(client)
    codes = [client.post("/login/verify", data="{}", content_type="application/json",
                         headers={"X-CSRFToken": token}).status_code for _ in range(7)]
    assert codes[:5] == [400] * 5
    assert codes[5:] == [429, 429]
    page = client.post("/login/verify", data="{}", content_type="application/json", headers={"X-CSRFToken": token})
    assert "Even rustig aan" in page.get_data(as_text=True)
    with application.app_context():
        db.drop_all()
