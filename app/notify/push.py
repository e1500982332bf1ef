"""Sending Web Push messages: VAPID keys, the endpoint allowlist, and one send with its outcome.

VAPID through py_vapid (pywebpush's signing library), the payload encryption of RFC 8291 on the
cryptography package, HTTP through urllib3. It knows nothing of the database: it takes a
subscription and a payload and says what happened, so the worker can decide between done, retry
and forget.
"""
from __future__ import annotations

import base64
import binascii
import hmac
import os
import re
import struct
import threading
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

import certifi
import urllib3
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from py_vapid import Vapid02 as Vapid
from urllib.request import getproxies, proxy_bypass
from urllib3.exceptions import HTTPError, LocationParseError
from urllib3.util import parse_url

from app.config import write_once

# The browsers' push services, pinned as tightly as each service allows. Anything else is refused
# when a subscription is posted, and again right before sending, so nobody can make the server send
# requests to an address of their choosing. A leading `*.` allows subdomains (Windows gives each
# device a regional host; Apple documents *.push.apple.com for web push).
DEFAULT_ALLOWED = (
    "https://fcm.googleapis.com",
    "https://android.googleapis.com",
    "https://updates.push.services.mozilla.com",
    "https://web.push.apple.com",
    "https://*.push.apple.com",
    "https://*.notify.windows.com",
)

# A plain DNS name: letters, digits and inner hyphens per label, dots between labels, and a
# top-level label that is not all digits (so no IPv4 literal in any of its decimal, octal or
# hex spellings, and no trailing dot).
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
DNS_NAME = re.compile(rf"(?:{_LABEL}\.)+(?=[a-z0-9-]*[a-z])({_LABEL})")
# What may stand between "scheme://" and the path: a host and an optional port, nothing else
# (no userinfo "@", no percent-escapes, no backslash, no brackets).
AUTHORITY = re.compile(r"(?P<host>[A-Za-z0-9.-]+)(?::(?P<port>[0-9]{1,5}))?")


@dataclass(frozen=True)
class Origin:
    scheme: str
    host: str
    port: int | None
    subdomains: bool = False

    def admits(self, scheme: str, host: str, port: int | None) -> bool:
        if (scheme, port) != (self.scheme, self.port):
            return False
        if self.subdomains:
            return host.endswith("." + self.host) and DNS_NAME.fullmatch(host) is not None
        return host == self.host


def allowed_origins(extra: str | None) -> tuple[str, ...]:
    more = tuple(o.strip().rstrip("/") for o in (extra or "").split(",") if o.strip())
    return DEFAULT_ALLOWED + more


@lru_cache(maxsize=64)
def _origin(text: str) -> Origin | None:
    scheme, sep, rest = text.partition("://")
    subdomains = rest.startswith("*.")
    parts = _split(f"{scheme}://{rest.removeprefix('*.')}") if sep else None
    if parts is None or parts[3] not in ("", "/"):
        return None
    return Origin(parts[0], parts[1], parts[2], subdomains)


def _split(url: str) -> tuple[str, str, int | None, str] | None:
    """(scheme, host, port, path) as the HTTP client (urllib3) will see them, or None when the URL
    is anything but plain: the authority must read the same to us and to urllib3."""
    if not isinstance(url, str) or len(url) > 2048 or "\\" in url:
        return None
    if not all("\x21" <= ch <= "\x7e" for ch in url):  # printable ASCII only: no spaces, controls, unicode dots
        return None
    scheme, sep, rest = url.partition("://")
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    match = AUTHORITY.fullmatch(authority)
    if not sep or match is None:
        return None
    try:
        parsed = parse_url(url)
    except LocationParseError:
        return None
    raw_port = int(match["port"]) if match["port"] else None
    if parsed.scheme not in ("https", "http") or parsed.auth is not None or parsed.host != match["host"].lower() or parsed.port != raw_port:
        return None
    return parsed.scheme, parsed.host, parsed.port, parsed.path or ""


def endpoint_allowed(endpoint: str, origins: tuple[str, ...]) -> bool:
    """True when the endpoint's scheme, host and port match an allowed origin exactly.

    The host is read with urllib3's parser, the one requests connects with, and must be written
    plainly, so no parser difference can make us check one host and connect to another. The
    built-in services are https hosts with DNS names; extra origins from configuration (a local
    push service in tests, http://127.0.0.1:port) match exactly as written.
    """
    parts = _split(endpoint)
    if parts is None:
        return False
    scheme, host, port, _path = parts
    return any(origin is not None and origin.admits(scheme, host, port) for origin in map(_origin, origins))


def load_vapid(instance_path: str, pem: str | None) -> Vapid:
    """The VAPID key from configuration, or one generated once into instance/."""
    if pem:
        return Vapid.from_pem(pem.encode()) if "BEGIN" in pem else Vapid.from_string(pem)
    path = Path(instance_path) / "vapid_private.pem"
    if not path.exists():
        # Every process of a first start gets here at once (compose: each gunicorn worker and the
        # notification worker): write_once makes them all use the first one's key.
        vapid = Vapid()
        vapid.generate_keys()
        write_once(path, vapid.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
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


RECORD_SIZE = 4096
WEBPUSH_INFO = b"WebPush: info\x00"
CEK_INFO = b"Content-Encoding: aes128gcm\x00\x01"
NONCE_INFO = b"Content-Encoding: nonce\x00\x01"


def _b64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@lru_cache(maxsize=4096)
def _receiver(p256dh: str, auth: str) -> tuple[bytes, ec.EllipticCurvePublicKey, bytes]:
    """A subscription's keys decoded, and its public key checked to lie on the curve, once per
    device rather than once per message: the device's keys stay the same (ours and the salt
    never do). Raises ValueError, which is not cached, for a malformed key."""
    try:
        ua_public, secret = _b64(p256dh), _b64(auth)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("keys are not base64url") from exc
    return ua_public, ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), ua_public), secret


def encrypt(subscription: dict, payload: str) -> bytes:
    """The payload encrypted for one subscription: RFC 8291 (Web Push) in RFC 8188 aes128gcm, one
    record, with a fresh ECDH key and salt per message. Raises ValueError/TypeError on a bad key.

    The same bytes http_ece (pywebpush's encryption) writes, with the key derivation done in a
    few HMAC calls: http_ece's generic code (three HKDF objects, backend lookups) took as much CPU
    as the elliptic-curve work itself. tests/unit/test_push_crypto.py decrypts it with http_ece.
    """
    keys = subscription.get("keys") or {}
    if not isinstance(keys.get("p256dh"), str) or not isinstance(keys.get("auth"), str):
        raise ValueError("missing keys")
    ua_public, receiver, auth = _receiver(keys["p256dh"], keys["auth"])
    data = payload.encode()
    if len(data) + 18 > RECORD_SIZE:
        raise ValueError("payload too large for one record")
    server_key = ec.generate_private_key(ec.SECP256R1())
    as_public = server_key.public_key().public_bytes(serialization.Encoding.X962,
                                                     serialization.PublicFormat.UncompressedPoint)
    secret = server_key.exchange(ec.ECDH(), receiver)
    # HKDF (RFC 5869) with SHA-256 and outputs of at most one block: extract, then one expand step.
    ikm = hmac.digest(hmac.digest(auth, secret, "sha256"), WEBPUSH_INFO + ua_public + as_public + b"\x01",
                      "sha256")
    salt = os.urandom(16)
    prk = hmac.digest(salt, ikm, "sha256")
    cek = hmac.digest(prk, CEK_INFO, "sha256")[:16]
    nonce = hmac.digest(prk, NONCE_INFO, "sha256")[:12]
    header = salt + struct.pack("!IB", RECORD_SIZE, len(as_public)) + as_public
    return header + AESGCM(cek).encrypt(nonce, data + b"\x02", None)  # 0x02: the last record's delimiter


@dataclass(frozen=True)
class Target:
    """Where the push to one checked endpoint goes: the origin (the connection pool, and the
    audience its VAPID token is for) and the request target (path and query)."""

    scheme: str
    host: str
    port: int | None
    request_uri: str
    audience: str


@lru_cache(maxsize=4096)
def target(endpoint: str, allowed: tuple[str, ...]) -> Target | None:
    """The endpoint checked against the allowlist and parsed, or None when it is not allowed.

    Cached, as a pure function of the endpoint and the allowlist: a device receives many pushes,
    and checking and parsing its endpoint each time cost a tenth of a send.
    """
    if not endpoint_allowed(endpoint, allowed):
        return None
    url, parts = parse_url(endpoint), urlsplit(endpoint)
    return Target(url.scheme, url.host, url.port, url.request_uri, f"{parts.scheme}://{parts.netloc}")


@dataclass(frozen=True)
class Request:
    """One push ready to post: its endpoint checked, its payload encrypted, its headers signed."""

    endpoint: str
    target: Target
    body: bytes
    headers: dict


# A VAPID token (a signed JWT) is valid for 12 hours; we sign a new one per push service every
# hour, so a token in use is always far from its expiry (clocks drift, requests wait in queues).
VAPID_LIFETIME = 12 * 3600
VAPID_RENEW_AFTER = 3600


class Sender:
    """Sends pushes with one VAPID key, reusing connections and signed VAPID headers.

    A push is sent in two steps: `prepare` does the CPU work (check the endpoint, encrypt, sign)
    and `post` only talks to the push service, so the worker can keep its thread pool for waiting
    on the network. Every endpoint is checked against the allowlist again when its push is
    prepared: a subscription stored before a stricter check (or written to the database by other
    means) never gets out. The HTTP request goes through urllib3 (what requests uses underneath)
    directly, to the connection pool of the endpoint's origin: requests' per-call work (reading
    every environment variable for proxies, cookies, hooks) and the pool manager's parsing of the
    URL per call cost more CPU than the encryption. Redirects are never followed (they could lead
    past the allowlist); an HTTPS proxy from the environment is read once, at start.
    """

    def __init__(self, vapid: Vapid, subject: str, timeout: float = 10.0, connections: int = 16,
                 clock=time.time):
        self.vapid = vapid
        self.subject = subject
        self.timeout = timeout
        self.clock = clock
        self._headers: dict[str, tuple[float, dict]] = {}  # audience -> (renew at, headers)
        self._lock = threading.Lock()
        # certifi's CA bundle, as requests used before: slim images may have no system store.
        options = {"num_pools": 32, "maxsize": connections, "retries": False, "ca_certs": certifi.where(),
                   "timeout": urllib3.Timeout(connect=timeout, read=timeout)}
        self._direct = urllib3.PoolManager(**options)
        proxy = getproxies().get("https")
        self._proxied = urllib3.ProxyManager(proxy, **options) if proxy else None

    def vapid_headers(self, audience: str) -> dict:
        """The Authorization header for one push service, signed once per VAPID_RENEW_AFTER."""
        now = self.clock()
        with self._lock:
            cached = self._headers.get(audience)
            if cached and now < cached[0]:
                return cached[1]
            # py_vapid fills in the claims dict it gets: always a fresh one.
            headers = self.vapid.sign({"sub": self.subject, "aud": audience, "exp": int(now) + VAPID_LIFETIME})
            self._headers[audience] = (now + VAPID_RENEW_AFTER, headers)
            return headers

    def prepare(self, subscription: dict, payload: str, *, ttl: int, urgency: str, topic: str | None,
                allowed: tuple[str, ...] = DEFAULT_ALLOWED) -> Request | Outcome:
        """The push made ready to post (endpoint checked, payload encrypted, headers signed), or
        the outcome that makes posting pointless: an endpoint outside the allowlist or a bad key."""
        endpoint = subscription.get("endpoint")
        to = target(endpoint, allowed) if isinstance(endpoint, str) else None
        if to is None:
            return Outcome("gone", error="endpoint not allowed")  # the worker forgets this device
        try:
            body = encrypt(subscription, payload)
        except (ValueError, TypeError) as exc:  # a malformed key in the subscription
            return Outcome("failed", error=f"subscription: {exc}"[:200])
        headers = {**self.vapid_headers(to.audience), "Content-Encoding": "aes128gcm", "TTL": str(max(ttl, 1)),
                   "Urgency": urgency}
        if topic:
            headers["Topic"] = topic
        return Request(endpoint, to, body, headers)

    def post(self, request: Request) -> Outcome:
        """POST a prepared push, never following a redirect, and say what the push service did.

        Through a proxy the pool manager does the work (the request's form depends on the
        proxy); directly, the pool of the endpoint's origin takes the request target as is.
        """
        to = request.target
        try:
            if self._proxied is not None and not proxy_bypass(to.host):
                response = self._proxied.request("POST", request.endpoint, body=request.body,
                                                 headers=request.headers, redirect=False)
            else:
                pool = self._direct.connection_from_host(to.host, port=to.port, scheme=to.scheme)
                response = pool.urlopen("POST", to.request_uri, body=request.body, headers=request.headers,
                                        redirect=False, assert_same_host=False)
        except HTTPError as exc:
            return Outcome("retry", error=f"network: {type(exc).__name__}")
        return classify(response.status, response.headers)

    def send(self, subscription: dict, payload: str, *, ttl: int, urgency: str, topic: str | None,
             allowed: tuple[str, ...] = DEFAULT_ALLOWED) -> Outcome:
        """Prepare and post one push."""
        request = self.prepare(subscription, payload, ttl=ttl, urgency=urgency, topic=topic, allowed=allowed)
        return request if isinstance(request, Outcome) else self.post(request)
