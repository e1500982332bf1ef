"""The fake push service decrypts what pywebpush really sends, and refuses on cue."""

import base64
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))

import pytest  # noqa: E402
import requests  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402
from py_vapid import Vapid  # noqa: E402
from pywebpush import WebPushException, webpush  # noqa: E402

from support.push_service import PushService  # noqa: E402


@pytest.fixture
def push():
    with PushService() as service:
        yield service


@pytest.fixture(scope="module")
def vapid():
    v = Vapid()
    v.generate_keys()
    return v


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def send(sub, vapid_key, data=None, **kwargs):
    kwargs.setdefault("timeout", 5)
    return webpush(
        subscription_info=sub.subscription,
        data=json.dumps(data or {"title": "Hallo"}),
        vapid_private_key=vapid_key,
        vapid_claims={"sub": "mailto:test@example.org"},  # fresh dict: webpush adds aud/exp
        ttl=kwargs.pop("ttl", 60),
        **kwargs,
    )


def test_subscription_looks_like_a_browsers(push):
    sub = push.subscriber()
    assert sub.subscription["endpoint"].startswith(f"{push.origin}/push/")
    assert sub.subscription["expirationTime"] is None
    keys = sub.subscription["keys"]
    assert len(base64.urlsafe_b64decode(keys["p256dh"] + "==")) == 65
    assert len(base64.urlsafe_b64decode(keys["auth"] + "==")) == 16
    assert "=" not in keys["p256dh"] + keys["auth"]


def test_delivery_is_decrypted_with_headers(push, vapid):
    sub = push.subscriber()
    message = {"title": "Herinnering", "body": "Les om 10:00", "url": "/lessen/1"}
    response = send(sub, vapid, message, headers={"Urgency": "high", "Topic": "reminder-1"})

    assert response.status_code == 201
    assert sub.attempts == 1
    [delivery] = sub.delivered
    assert push.deliveries == [delivery]
    assert delivery.error is None
    assert delivery.json() == message
    assert delivery.headers["ttl"] == "60"
    assert delivery.headers["urgency"] == "high"
    assert delivery.headers["topic"] == "reminder-1"
    assert delivery.headers["content-encoding"] == "aes128gcm"
    public = vapid.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    assert delivery.headers["authorization"].startswith("vapid t=")
    assert f"k={b64url(public)}" in delivery.headers["authorization"]


def test_vapid_key_as_string_or_pem_file(push, vapid, tmp_path):
    """Besides a Vapid instance, pywebpush 2.5 takes a PEM file path or a base64url string."""
    sub = push.subscriber()
    raw = vapid.private_key.private_numbers().private_value.to_bytes(32, "big")
    der = vapid.private_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    pem = tmp_path / "vapid.pem"
    vapid.save_key(str(pem))
    keys = [b64url(raw), b64url(der), str(pem)]
    for key in keys:
        send(sub, key, {"key": key})
    assert [d.json()["key"] for d in sub.delivered] == keys


def test_wrong_keys_record_an_error(push, vapid):
    """Encrypted for another subscriber's keys: accepted (201) but not readable."""
    sub, other = push.subscriber("a"), push.subscriber("b")
    webpush(
        subscription_info={**other.subscription, "endpoint": sub.endpoint},
        data="secret", vapid_private_key=vapid,
        vapid_claims={"sub": "mailto:test@example.org"}, timeout=5,
    )
    [delivery] = sub.delivered
    assert delivery.payload is None and delivery.error


@pytest.mark.parametrize("status", [500, 410, 404])
def test_scripted_refusal_raises(push, vapid, status):
    sub = push.subscriber().respond(status)
    with pytest.raises(WebPushException) as caught:
        send(sub, vapid)
    assert caught.value.response.status_code == status
    assert sub.attempts == 1 and sub.delivered == [] and push.deliveries == []

    send(sub, vapid, {"retry": True})  # steps exhausted: accepted again
    assert sub.attempts == 2
    assert [d.json() for d in sub.delivered] == [{"retry": True}]


def test_rate_limited_exposes_retry_after(push, vapid):
    sub = push.subscriber().respond((429, {"Retry-After": "2"}), 201)
    with pytest.raises(WebPushException) as caught:
        send(sub, vapid)
    assert caught.value.response.status_code == 429
    assert caught.value.response.headers["Retry-After"] == "2"
    send(sub, vapid)
    assert sub.attempts == 2 and len(sub.delivered) == 1


def test_unknown_subscription_is_404(push, vapid):
    sub = push.subscriber()
    gone = {**sub.subscription, "endpoint": f"{push.origin}/push/nope"}
    with pytest.raises(WebPushException) as caught:
        webpush(subscription_info=gone, data="x", vapid_private_key=vapid,
                vapid_claims={"sub": "mailto:test@example.org"}, timeout=5)
    assert caught.value.response.status_code == 404
    assert sub.attempts == 0


def test_hanging_service_times_out_without_blocking_others(push, vapid):
    slow, fast = push.subscriber("slow").respond("hang:3"), push.subscriber("fast")
    started = time.monotonic()
    with pytest.raises(requests.exceptions.Timeout):
        send(slow, vapid, timeout=1)
    assert time.monotonic() - started < 2

    send(fast, vapid, {"fast": True})  # served while the slow one still hangs
    assert time.monotonic() - started < 2.5
    assert [d.json() for d in fast.delivered] == [{"fast": True}]
    assert slow.attempts == 1
