"""Settings from the environment, with defaults for the embedded (SQLite) setup.

Everything configurable is read here and nowhere else. Secrets that are not given by the
environment are generated once into the instance folder, so `make run` works on a fresh machine
without committing any key.
"""
from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from app import timezone


def write_once(path: Path, content: bytes) -> bytes:
    """Put `content` at `path` (mode 600) unless it is there already; return what `path` holds.

    Several processes start at once on one instance folder (gunicorn's workers and the
    notification worker on compose's shared volume), and all of them must end up with the same
    key. So the file is written in full under a temporary name and then hard-linked into place:
    the link is atomic and never replaces, so the first process wins, the others read its file,
    and nobody ever reads a half-written one.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process was first: its content counts
    finally:
        os.unlink(temporary)
    return path.read_bytes()


def instance_secret(instance_path: str, name: str, nbytes: int = 32) -> str:
    """Read a generated secret from instance/, creating it (mode 600) on first use."""
    path = Path(instance_path) / name
    if path.exists():
        return path.read_text().strip()
    return write_once(path, secrets.token_urlsafe(nbytes).encode()).decode().strip()


def engine_options(database_uri: str) -> dict:
    """SQLAlchemy's engine settings. SQLite waits for a busy writer. PostgreSQL's pool is sized for
    gevent, where one process serves hundreds of requests at once: DB_POOL_SIZE connections kept
    per process, DB_MAX_OVERFLOW more at a peak, and a request waits DB_POOL_TIMEOUT seconds for
    one before it fails (two processes at the defaults use at most 60 of PostgreSQL's 100)."""
    if database_uri.startswith("sqlite"):
        return {"connect_args": {"timeout": 10}}
    return {"pool_size": int(os.environ.get("DB_POOL_SIZE", "10")),
            "max_overflow": int(os.environ.get("DB_MAX_OVERFLOW", "20")),
            "pool_timeout": float(os.environ.get("DB_POOL_TIMEOUT", "30"))}


def database_url(instance_path: str) -> str:
    """DATABASE_URL (PostgreSQL through psycopg 3) or the SQLite file under instance/."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        return f"sqlite:///{Path(instance_path) / 'leerkring.sqlite3'}"
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def relying_party(app_url: str) -> tuple[str, str]:
    """The WebAuthn relying-party id (host name) and origin derived from the public URL."""
    parts = urlsplit(app_url)
    origin = f"{parts.scheme}://{parts.netloc}"
    return parts.hostname or "localhost", origin


def vapid_subject(app_url: str) -> str:
    """Apple refuses a VAPID subject that is not a real https: or mailto: address."""
    return os.environ.get("VAPID_SUBJECT") or (app_url if app_url.startswith("https://")
                                               else "mailto:beheer@leerkring.nl")


class ConfigError(RuntimeError):
    """The environment does not describe a safe production setup; the message says what to set."""


def production_problems(env) -> list[str]:
    """What a production start (LEERKRING_ENV=production) lacks, in words an operator can act on."""
    problems = []
    if not env.get("SECRET_KEY", "").strip():
        problems.append("SECRET_KEY is not set (a long random value, the same for every process)")
    app_url = env.get("APP_URL", "").strip()
    if not app_url.startswith("https://"):
        problems.append(f"APP_URL must be the public https:// address (now {app_url or 'not set'!r})")
    subject = env.get("VAPID_SUBJECT", "").strip()
    if not subject.startswith(("mailto:", "https://")):
        problems.append("VAPID_SUBJECT is not set (mailto:beheer@example.org or an https:// address)")
    return problems


def load(instance_path: str) -> dict:
    """Build the configuration mapping for create_app()."""
    port = os.environ.get("PORT", "5000")
    app_url = os.environ.get("APP_URL", f"http://localhost:{port}").rstrip("/")
    rp_id, origin = relying_party(app_url)
    redis_url = os.environ.get("REDIS_URL", "").strip() or None
    production = os.environ.get("LEERKRING_ENV", "development") == "production"
    if production and (problems := production_problems(os.environ)):
        raise ConfigError("Leerkring will not start in production (LEERKRING_ENV=production): "
                          + "; ".join(problems) + ". See README.md, Production.")
    threads = int(os.environ.get("THREADS", "200"))  # gunicorn threads per process (Makefile)
    return {
        "SECRET_KEY": os.environ.get("SECRET_KEY") or instance_secret(instance_path, "secret_key"),
        "PRODUCTION": production,
        # One JSON line per request on stderr (app/ops.py); "text" leaves logging as it is.
        "LOG_FORMAT": os.environ.get("LOG_FORMAT", "json" if production else "text"),
        "SQLALCHEMY_DATABASE_URI": database_url(instance_path),
        "APP_URL": app_url,
        "WEBAUTHN_RP_ID": rp_id,
        "WEBAUTHN_ORIGIN": origin,
        "WEBAUTHN_RP_NAME": "Leerkring",
        "REDIS_URL": redis_url,
        "INVITE_DAYS": int(os.environ.get("INVITE_DAYS", "7")),
        "RECOVERY_HOURS": int(os.environ.get("RECOVERY_HOURS", "24")),
        "SETUP_HOURS": 24,
        "CHALLENGE_SECONDS": 300,
        # A signed-in device unused this long must sign in again; its last use is written at most
        # every few minutes (no write per request).
        "SESSION_IDLE_DAYS": int(os.environ.get("SESSION_IDLE_DAYS", "14")),
        "SESSION_TOUCH_MINUTES": 5,
        # Retention: the clean-up jobs and the privacy page (/privacy) both read these, nowhere
        # else holds a period. Case texts follow each team's own setting (intervisie).
        "RETENTION_INTERVAL_HOURS": int(os.environ.get("RETENTION_INTERVAL_HOURS", "24")),
        # Used or expired invite, setup and recovery links: kept this long for questions
        # ("who invited whom"), then removed with the invitee's e-mail address in them.
        "RETENTION_LINK_DAYS": int(os.environ.get("RETENTION_LINK_DAYS", "30")),
        "RETENTION_NOTIFICATION_DAYS": int(os.environ.get("RETENTION_NOTIFICATION_DAYS", "90")),
        # A push device with failed pushes and no successful one for this long is forgotten.
        "RETENTION_PUSH_DEAD_DAYS": int(os.environ.get("RETENTION_PUSH_DEAD_DAYS", "60")),
        # Security events: a year covers the time in which a misused account is usually noticed
        # and looked into; older sign-in history serves no purpose and is about people's habits.
        "RETENTION_AUDIT_DAYS": int(os.environ.get("RETENTION_AUDIT_DAYS", "365")),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production or app_url.startswith("https://"),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": production or app_url.startswith("https://"),
        "PERMANENT_SESSION_LIFETIME": 60 * 60 * 24 * 30,
        # The session cookie is sent only when its contents change, and when the sign-in is touched
        # (accounts' loader). Sent with every response, a response already on its way (a static
        # file, the service worker's precache) put the cookie back as it was, dropping a flash
        # message or a passkey ceremony that another response had just stored.
        "SESSION_REFRESH_EACH_REQUEST": False,
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_CSRF_SSL_STRICT": False,
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        # Keys in a shared Redis: rate-limit counters and live-round channels start with these, so
        # two installations (or test runs) on one Redis never see each other's counters or events.
        "RATELIMIT_KEY_PREFIX": os.environ.get("RATELIMIT_KEY_PREFIX", "leerkring"),
        "LIVE_CHANNEL_PREFIX": os.environ.get("LIVE_CHANNEL_PREFIX", "leerkring:"),
        "RATELIMIT_HEADERS_ENABLED": True,
        "RATELIMIT_AUTH": os.environ.get("RATELIMIT_AUTH", "10 per minute;60 per hour"),
        # The sign-in page asks for passkey options on every load (autofill): looser than sign-in.
        "RATELIMIT_PASSKEY_OPTIONS": os.environ.get("RATELIMIT_PASSKEY_OPTIONS", "30 per minute"),
        # A test push is sent to every device of the person, through outside push services.
        "RATELIMIT_TEST_PUSH": os.environ.get("RATELIMIT_TEST_PUSH", "6 per minute"),
        # A phone re-sends its subscription on every visit to the settings page.
        "RATELIMIT_PUSH_SUBSCRIBE": os.environ.get("RATELIMIT_PUSH_SUBSCRIBE", "30 per minute"),
        "BABEL_DEFAULT_LOCALE": "nl",
        "BABEL_DEFAULT_TIMEZONE": timezone.NAME,
        "LANGUAGES": ("nl", "en"),
        "COMPRESS_ALGORITHM": ["br", "gzip"],
        "COMPRESS_MIMETYPES": [
            "text/html", "text/css", "text/javascript", "application/javascript",
            "application/json", "application/manifest+json", "image/svg+xml", "text/calendar",
        ],
        "SEND_FILE_MAX_AGE_DEFAULT": 0,
        "PROXY_FIX": os.environ.get("PROXY_FIX", "") == "1",
        # Extra push-service origins to trust (comma-separated), e.g. http://127.0.0.1:8099 in tests.
        "PUSH_ENDPOINT_ALLOWLIST": os.environ.get("PUSH_ENDPOINT_ALLOWLIST", ""),
        "VAPID_PRIVATE_KEY": os.environ.get("VAPID_PRIVATE_KEY") or None,
        "VAPID_SUBJECT": vapid_subject(app_url),
        "PUSH_TIMEOUT": float(os.environ.get("PUSH_TIMEOUT", "10")),
        # Request size. The largest real form is a case text of 5,000 characters (under 60 kB even
        # fully percent-encoded) and passkey JSON is a few kB, so 1 MB is roomy and a 40 MB body is
        # refused (413) before anything reads it.
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        "MAX_FORM_MEMORY_SIZE": 256 * 1024,
        # Live rounds. Every open stream holds a server thread (a greenlet under gevent) and sends
        # a ping every LIVE_HEARTBEAT seconds; as often, the process checks all its streams'
        # right to go on (signed in, still a participant) together.
        "LIVE_HEARTBEAT": float(os.environ.get("LIVE_HEARTBEAT", "15")),
        # A phone and a laptop with a tab or two; more is a leak or an attack.
        "LIVE_STREAMS_PER_PERSON": int(os.environ.get("LIVE_STREAMS_PER_PERSON", "4")),
        # Three quarters of the threads at most, so sign-in, pages and posts always find a thread.
        "LIVE_STREAMS_PER_PROCESS": int(os.environ.get("LIVE_STREAMS_PER_PROCESS", str(max(1, threads * 3 // 4)))),
        # "thread": run the notification worker inside the web process (what `make run` does).
        "NOTIFY_WORKER": os.environ.get("LEERKRING_WORKER", ""),
        # Feedback: an unanswered request is reminded once after these hours and expires after these days.
        "FEEDBACK_REMIND_AFTER_HOURS": int(os.environ.get("FEEDBACK_REMIND_AFTER_HOURS", "48")),
        "FEEDBACK_EXPIRE_DAYS": int(os.environ.get("FEEDBACK_EXPIRE_DAYS", "14")),
    }
