"""The sender: VAPID tokens reused only while fresh, endpoints checked and parsed once, and a push
prepared in one step (check, encrypt, sign) and posted in another."""
from __future__ import annotations

import base64
import json

import pytest
from urllib3.util import parse_url

from app.notify.push import (DEFAULT_ALLOWED, VAPID_LIFETIME, VAPID_RENEW_AFTER, Outcome, Request, Sender,
                             Vapid, allowed_origins, target)
from support.push_service import PushService

FCM = "https://fcm.googleapis.com"
MOZILLA = "https://updates.push.services.mozilla.com"


class Clock:
    def __init__(self, now: float = 1_700_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def vapid():
    key = Vapid()
    key.generate_keys()
    return key


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def sender(vapid, clock):
    return Sender(vapid, "mailto:test@example.org", timeout=5, clock=clock)


def claims(headers: dict) -> dict:
    """The claims of the JWT in a VAPID Authorization header ("vapid t=<jwt>,k=<key>")."""
    token = headers["Authorization"].removeprefix("vapid t=").split(",")[0]
    body = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def test_a_vapid_token_is_reused_within_its_hour(sender, clock):
    first = sender.vapid_headers(FCM)
    clock.now += VAPID_RENEW_AFTER - 1
    assert sender.vapid_headers(FCM) is first
    assert claims(first) == {"aud": FCM, "exp": int(clock.now - VAPID_RENEW_AFTER + 1) + VAPID_LIFETIME,
                             "sub": "mailto:test@example.org"}


def test_a_vapid_token_is_renewed_long_before_it_expires(sender, clock):
    first = sender.vapid_headers(FCM)
    clock.now += VAPID_RENEW_AFTER
    renewed = sender.vapid_headers(FCM)
    assert renewed != first
    assert claims(renewed)["exp"] == int(clock.now) + VAPID_LIFETIME
    assert VAPID_LIFETIME - VAPID_RENEW_AFTER >= 6 * 3600  # a token in use always has hours left


def test_each_push_service_has_its_own_token(sender):
    fcm, mozilla = sender.vapid_headers(FCM), sender.vapid_headers(MOZILLA)
    assert claims(fcm)["aud"] == FCM and claims(mozilla)["aud"] == MOZILLA
    assert sender.vapid_headers(FCM) is fcm


def test_the_target_keeps_the_query_and_names_the_audience():
    endpoint = "https://wns2-par02p.notify.windows.com/w/?token=BQYAAAD%2fTVD%2b%3d"  # WNS: a token in the query
    to = target(endpoint, DEFAULT_ALLOWED)
    assert (to.scheme, to.host, to.port) == ("https", "wns2-par02p.notify.windows.com", None)
    # What urllib3's pool manager sent before: its parser writes percent-escapes in upper case,
    # which RFC 3986 makes the same.
    assert to.request_uri == parse_url(endpoint).request_uri == "/w/?token=BQYAAAD%2FTVD%2B%3D"
    assert to.audience == "https://wns2-par02p.notify.windows.com"


@pytest.mark.parametrize("endpoint", ["https://127.0.0.1/x", "https://fcm.googleapis.com@127.0.0.1/x",
                                      "http://fcm.googleapis.com/x"])
def test_no_target_outside_the_allowlist(endpoint):
    assert target(endpoint, DEFAULT_ALLOWED) is None


def test_the_allowlist_is_part_of_the_check():
    endpoint = "http://127.0.0.1:8099/push/1"
    assert target(endpoint, allowed_origins("http://127.0.0.1:8099")) is not None
    assert target(endpoint, DEFAULT_ALLOWED) is None


@pytest.mark.parametrize("endpoint", [None, 5, ["https://fcm.googleapis.com/x"], "https://127.0.0.1/x"])
def test_a_refused_endpoint_is_gone_without_a_request(sender, endpoint):
    outcome = sender.prepare({"endpoint": endpoint, "keys": {"p256dh": "x", "auth": "y"}}, "x",
                             ttl=60, urgency="normal", topic=None)
    assert outcome == Outcome("gone", error="endpoint not allowed")


def test_a_bad_key_fails_without_a_request(sender):
    outcome = sender.prepare({"endpoint": FCM + "/fcm/send/x", "keys": {"p256dh": "!!", "auth": "AAAA"}}, "x",
                             ttl=60, urgency="normal", topic=None)
    assert outcome.kind == "failed" and outcome.error.startswith("subscription:")


def test_a_prepared_push_reaches_the_phone_and_reads_back(sender):
    with PushService() as push:
        phone = push.subscriber()
        allowed = allowed_origins(push.origin)
        for title in ("Eerste", "Tweede"):  # the second reuses the device's parsed keys and token
            request = sender.prepare(phone.subscription, json.dumps({"title": title}), ttl=0, urgency="high",
                                     topic="ronde-1", allowed=allowed)
            assert isinstance(request, Request)
            assert sender.post(request) == Outcome("sent", 201)
        first, second = phone.delivered
    assert [first.json(), second.json()] == [{"title": "Eerste"}, {"title": "Tweede"}]
    assert first.body[:16] != second.body[:16]  # a fresh salt, and below a fresh key, per message
    assert first.headers["ttl"] == "1" and first.headers["urgency"] == "high"
    assert first.headers["topic"] == "ronde-1" and first.headers["content-encoding"] == "aes128gcm"
    assert claims({"Authorization": first.headers["authorization"]})["aud"] == push.origin
    assert first.headers["authorization"] == second.headers["authorization"]


def test_gone_and_busy_push_services_are_told_apart(sender):
    with PushService() as push:
        phone = push.subscriber().respond(410, (429, {"Retry-After": "7"}))
        allowed = allowed_origins(push.origin)
        outcomes = [sender.send(phone.subscription, "x", ttl=60, urgency="normal", topic=None, allowed=allowed)
                    for _ in range(3)]
    assert [o.kind for o in outcomes] == ["gone", "retry", "sent"]
    assert outcomes[1].retry_after == 7.0
