"""The payload encryption (RFC 8291 in aes128gcm) reads back with http_ece, pywebpush's own library."""
from __future__ import annotations

import base64
import os

import http_ece
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from app.notify.push import encrypt


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.fixture
def phone():
    """A browser's side of a subscription: its private key, and the keys it hands the server."""
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    auth = os.urandom(16)
    return key, auth, {"endpoint": "https://fcm.googleapis.com/fcm/send/x",
                       "keys": {"p256dh": b64url(public), "auth": b64url(auth)}}


def test_the_phone_decrypts_what_we_send(phone):
    key, auth, subscription = phone
    text = '{"title":"Ronde begint","body":"Over 5 minuten — 10 stappen, ü"}'
    body = encrypt(subscription, text)
    assert http_ece.decrypt(body, private_key=key, auth_secret=auth, version="aes128gcm").decode() == text


def test_every_message_has_its_own_key_and_salt(phone):
    _key, _auth, subscription = phone
    first, second = encrypt(subscription, "x"), encrypt(subscription, "x")
    assert first[:16] != second[:16]          # salt
    assert first[21:86] != second[21:86]      # the sender's one-off public key


def test_each_device_reads_only_its_own_messages(phone):
    """Decoded device keys are kept per device: a second device never gets the first one's."""
    other_key = ec.generate_private_key(ec.SECP256R1())
    other_public = other_key.public_key().public_bytes(serialization.Encoding.X962,
                                                       serialization.PublicFormat.UncompressedPoint)
    other_auth = os.urandom(16)
    other = {"endpoint": "https://fcm.googleapis.com/fcm/send/y",
             "keys": {"p256dh": b64url(other_public), "auth": b64url(other_auth)}}
    key, auth, subscription = phone
    for text in ("een", "twee"):
        assert http_ece.decrypt(encrypt(subscription, text), private_key=key, auth_secret=auth,
                                version="aes128gcm").decode() == text
        assert http_ece.decrypt(encrypt(other, text), private_key=other_key, auth_secret=other_auth,
                                version="aes128gcm").decode() == text


@pytest.mark.parametrize("keys", [{}, {"p256dh": "!!", "auth": "AAAA"}, {"p256dh": b64url(b"\x04" + b"\x01" * 64),
                                                                        "auth": "AAAA"}, {"p256dh": 5, "auth": "A"}])
def test_a_malformed_key_is_a_value_error(keys):
    for _ in range(2):  # also the second time: a refusal is never remembered as a key
        with pytest.raises(ValueError):
            encrypt({"endpoint": "https://fcm.googleapis.com/x", "keys": keys}, "x")
