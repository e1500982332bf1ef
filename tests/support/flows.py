"""Passkey journeys through Flask's test client, with the software authenticator."""
from __future__ import annotations

import html
import json
import re

from conftest import csrf_token

OPTIONS = re.compile(r'<script type="application/json" id="passkey-options">(.*?)</script>', re.S)


def options_on(page_html: str) -> dict:
    match = OPTIONS.search(page_html)
    assert match, "no passkey options on the page"
    return json.loads(html.unescape(match.group(1)))


def post_json(client, url: str, body: dict, token: str):
    return client.post(url, data=json.dumps(body), content_type="application/json",
                       headers={"X-CSRFToken": token})


def register_via_form(client, authenticator, path: str, form: dict, *, origin=None):
    """Fill the form on `path`, then complete the passkey step. Returns the verify response."""
    token = csrf_token(client, path)
    step = client.post(path, data={**form, "csrf_token": token})
    assert step.status_code == 200, step.get_data(as_text=True)[:500]
    credential = authenticator.create(options_on(step.get_data(as_text=True)), origin=origin)
    return post_json(client, f"{path}/passkey", {"credential": credential}, token)


def sign_in(client, authenticator, *, origin=None, credential_id=None):
    """The sign-in ceremony on /login. Returns the verify response."""
    token = csrf_token(client, "/inloggen")
    options = client.post("/inloggen/opties", headers={"X-CSRFToken": token}).get_json()
    credential = authenticator.get(options, origin=origin, credential_id=credential_id)
    return post_json(client, "/inloggen/controle", {"credential": credential}, token)


def recover_via_link(client, authenticator, path: str):
    """Open a recovery link, press "Verder", make the new passkey. Returns the verify response."""
    token = csrf_token(client, path)
    step = client.post(path, data={"csrf_token": token})
    assert step.status_code == 200, step.get_data(as_text=True)[:500]
    credential = authenticator.create(options_on(step.get_data(as_text=True)))
    return post_json(client, f"{path}/passkey", {"credential": credential}, token)
