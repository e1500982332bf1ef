"""A local stand-in for a Web Push service (FCM, Mozilla autopush, Apple) for tests.

A real push service sits between our server and the phone, so a test cannot see
what the phone would show. This one plays both parts: it hands out subscriptions
shaped like a browser's ``PushSubscription.toJSON()``, holds the subscriber's
private key, and decrypts every message it accepts (RFC 8291, aes128gcm) so a
test can assert on the plaintext and on the headers (TTL, Urgency, Topic,
Authorization) that the sender used. Responses can be scripted per subscriber
(500, 410 Gone, 429 with Retry-After, or hanging) to exercise retry and
clean-up paths.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class Delivery:
    subscriber_id: str
    headers: dict[str, str]  # lower-cased names: ttl, urgency, topic, authorization, ...
    body: bytes
    payload: bytes | None  # decrypted plaintext, None if decryption failed
    error: str | None = None

    def json(self):
        return json.loads(self.payload)


class Subscriber:
    """One browser's push subscription: its keys, scripted replies and what reached it."""

    def __init__(self, service: PushService, name: str):
        self.service, self.name = service, name
        self.id = secrets.token_urlsafe(12)
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.auth_secret = os.urandom(16)
        public = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        self.endpoint = f"{service.origin}/push/{self.id}"
        self.subscription = {
            "endpoint": self.endpoint,
            "expirationTime": None,
            "keys": {"p256dh": b64url(public), "auth": b64url(self.auth_secret)},
        }
        self.steps: list = []
        self.delivered: list[Delivery] = []
        self.attempts = 0

    def respond(self, *steps) -> Subscriber:
        """Queue replies: 201, 500, 410, (429, {"Retry-After": "2"}), "hang:3". Then 201."""
        with self.service.lock:
            self.steps.extend(steps)
        return self

    def decrypt(self, body: bytes) -> Delivery:
        try:
            payload = http_ece.decrypt(body, private_key=self.private_key,
                                       auth_secret=self.auth_secret, version="aes128gcm")
            return Delivery(self.id, {}, body, payload)
        except Exception as exc:  # noqa: BLE001 - recorded for the test to inspect
            return Delivery(self.id, {}, body, None, f"{type(exc).__name__}: {exc}")


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args):  # keep test output quiet
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        service = self.server.push_service
        head, _, sub_id = self.path.rpartition("/")
        sub = service.subscribers.get(sub_id) if head == "/push" else None
        if sub is None:
            return self._reply(404)
        with service.lock:
            sub.attempts += 1
            step = sub.steps.pop(0) if sub.steps else 201
        if isinstance(step, str) and step.startswith("hang:"):
            time.sleep(float(step.split(":", 1)[1]))
            step = 201
        status, headers = step if isinstance(step, tuple) else (step, {})
        if status == 201:
            delivery = sub.decrypt(body)
            delivery.headers = {k.lower(): v for k, v in self.headers.items()}
            with service.lock:
                sub.delivered.append(delivery)
                service.deliveries.append(delivery)
            location = f"{service.origin}/message/{secrets.token_urlsafe(8)}"
            headers = {"Location": location, **headers}
        self._reply(status, headers)

    def _reply(self, status: int, headers: dict | None = None):
        try:
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, str(value))
            self.send_header("Content-Length", "0")
            self.end_headers()
        except OSError:  # the sender gave up (timeout) while we hung
            pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    push_service: PushService


class PushService:
    """``with PushService() as push: sub = push.subscriber(); ... sub.delivered[0].json()``"""

    def __init__(self):
        self.lock = threading.Lock()
        self.subscribers: dict[str, Subscriber] = {}
        self.deliveries: list[Delivery] = []
        self.httpd = _Server(("127.0.0.1", 0), _Handler)
        self.httpd.push_service = self
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def subscriber(self, name: str = "phone") -> Subscriber:
        sub = Subscriber(self, name)
        with self.lock:
            self.subscribers[sub.id] = sub
        return sub

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> PushService:
        return self

    def __exit__(self, *exc):
        self.stop()
