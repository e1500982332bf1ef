"""Sending Web Push messages: VAPID keys, the endpoint allowlist, and one send with its outcome.

A thin layer over pywebpush. It knows nothing of the database: it takes a subscription and a
payload and says what happened, so the worker can decide between done, retry and forget.
"""
from __future__ import annotations

import base64
import threading
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid02 as Vapid
from pywebpush import WebPusher

# The browsers' push services. Anything else is refused when a subscription is posted, so nobody
# can make the server send requests to an address of their choosing.
DEFAULT_ALLOWED = (
    "https://fcm.googleapis.com",
    "https://android.googleapis.com",
    "https://updates.push.services.mozilla.com",
    "https://web.push.apple.com",
    "https://*.notify.windows.com",
)


def allowed_origins(extra: str | None) -> tuple[str, ...]:
    more = tuple(o.strip().rstrip("/") for o in (extra or "").split(",") if o.strip())
    return DEFAULT_ALLOWED + more


def endpoint_allowed(endpoint: str, origins: tuple[str, ...]) -> bool:
    """True when the endpoint's scheme, host and port match an allowed origin exactly
    (a leading `*.` allows subdomains)."""
    try:
        parts = urlsplit(endpoint)
        port = parts.port
    except ValueError:
        return False
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.username or parts.password:
        return False
    for origin in origins:
        allowed = urlsplit(origin.replace("*.", "wildcard.", 1))
        if allowed.scheme != parts.scheme or allowed.port != port:
            continue
        host = allowed.hostname or ""
        if origin.split("://", 1)[1].startswith("*."):
            suffix = host.removeprefix("wildcard")
            if parts.hostname.endswith(suffix) and parts.hostname != suffix.lstrip("."):
                return True
        elif parts.hostname == host:
            return True
    return False


def load_vapid(instance_path: str, pem: str | None) -> Vapid:
    """The VAPID key from configuration, or one generated once into instance/."""
    if pem:
        return Vapid.from_pem(pem.encode()) if "BEGIN" in pem else Vapid.from_string(pem)
    path = Path(instance_path) / "vapid_private.pem"
    if not path.exists():
        vapid = Vapid()
        vapid.generate_keys()
        path.parent.mkdir(parents=True, exist_ok=True)
        pem_bytes = vapid.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        path.touch(mode=0o600)
        path.write_bytes(pem_bytes)
    return Vapid.from_file(str(path))


def application_server_key(vapid: Vapid) -> str:
    """The public key the browser subscribes with (base64url, uncompressed point)."""
    raw = vapid.public_key.public_bytes(serialization.Encoding.X962,
                                        serialization.PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass(frozen=True)
class Outcome:
    kind: str                 # "sent", "retry", "gone" or "failed"
    status: int | None = None
    retry_after: float | None = None  # seconds, when the push service said so
    error: str = ""


def classify(status: int, headers) -> Outcome:
    if 200 <= status < 300:
        return Outcome("sent", status)
    if status in (404, 410):
        return Outcome("gone", status, error=f"{status}: subscription expired")
    if status == 429 or status >= 500:
        return Outcome("retry", status, retry_after=parse_retry_after(headers.get("Retry-After")),
                       error=f"{status}")
    return Outcome("failed", status, error=f"{status}: refused")


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


class Sender:
    """Sends pushes with one VAPID key, reusing connections and signed VAPID headers."""

    def __init__(self, vapid: Vapid, subject: str, timeout: float = 10.0):
        self.vapid = vapid
        self.subject = subject
        self.timeout = timeout
        self._local = threading.local()
        self._headers: dict[str, tuple[float, dict]] = {}
        self._lock = threading.Lock()

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def _vapid_headers(self, endpoint: str) -> dict:
        """A signed VAPID JWT per push service, reused for 11 of its 12 hours."""
        parts = urlsplit(endpoint)
        audience = f"{parts.scheme}://{parts.netloc}"
        now = time.time()
        with self._lock:
            cached = self._headers.get(audience)
            if cached and cached[0] > now:
                return cached[1]
            # pywebpush and py_vapid fill in the claims dict they get: always a fresh one.
            claims = {"sub": self.subject, "aud": audience, "exp": int(now) + 12 * 3600}
            headers = self.vapid.sign(claims)
            self._headers[audience] = (now + 11 * 3600, headers)
            return headers

    def send(self, subscription: dict, payload: str, *, ttl: int, urgency: str, topic: str | None) -> Outcome:
        headers = dict(self._vapid_headers(subscription["endpoint"]))
        headers["Urgency"] = urgency
        if topic:
            headers["Topic"] = topic
        try:
            response = WebPusher(subscription, requests_session=self._session()).send(
                payload, headers, ttl=max(ttl, 1), content_encoding="aes128gcm", timeout=self.timeout)
        except requests.RequestException as exc:
            return Outcome("retry", error=f"network: {type(exc).__name__}")
        except (ValueError, TypeError) as exc:  # a malformed key in the subscription
            return Outcome("failed", error=f"subscription: {exc}"[:200])
        return classify(response.status_code, response.headers)
