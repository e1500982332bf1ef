"""Shared fixtures: an app on a fresh database, clients, factories and a signed-in helper.

Tests run on SQLite by default. With TEST_DATABASE_URL pointing at PostgreSQL the same tests run
there (each test gets empty tables). With REDIS_URL set they run on the scale-out path: rate limits
and the live-round broker on that Redis, under keys and channels that belong to this test session
alone (each app its own prefix), removed when the session ends.
"""
from __future__ import annotations

import itertools
import os
import re
import secrets
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).parent))

from app import create_app  # noqa: E402
from app.accounts.models import Membership, Organisation, Person, Role, Team  # noqa: E402
from app.extensions import db  # noqa: E402

# Never DATABASE_URL: a developer's own database must not be emptied by a test run.
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
TEST_REDIS_URL = os.environ.get("REDIS_URL", "").strip()
# Every key and channel of this run starts with this; every app gets a number after it, so tests
# never see each other's rate-limit counters or live events, and runs never see each other's.
SESSION_PREFIX = f"leerkring-test-{secrets.token_hex(6)}"
_app_numbers = itertools.count(1)


def _vapid_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from py_vapid import Vapid02
    vapid = Vapid02()
    vapid.generate_keys()
    return vapid.private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()).decode()


VAPID_PEM = _vapid_pem()


def app_config(tmp_path: Path, **overrides) -> dict:
    url = TEST_DATABASE_URL or f"sqlite:///{tmp_path / 'test.sqlite3'}"
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": url,
        "APP_URL": "http://localhost",
        "WEBAUTHN_RP_ID": "localhost",
        "WEBAUTHN_ORIGIN": "http://localhost",
        "RATELIMIT_ENABLED": False,
        "SERVER_NAME": None,
        "VAPID_PRIVATE_KEY": VAPID_PEM,
        "PUSH_TIMEOUT": 2,
    }
    if url.startswith("postgresql"):
        # A test database need not survive a power cut: commits skip the wait for the disk.
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"options": "-c synchronous_commit=off"}}
    config.update(redis_config(next(_app_numbers)))
    config.update(overrides)
    return config


def redis_config(number: int) -> dict:
    """Rate limits and the live broker: on REDIS_URL when set (own prefix), else in the process."""
    prefix = f"{SESSION_PREFIX}-{number}"
    return {"REDIS_URL": TEST_REDIS_URL or None, "RATELIMIT_STORAGE_URI": TEST_REDIS_URL or "memory://",
            "RATELIMIT_KEY_PREFIX": prefix, "LIVE_CHANNEL_PREFIX": f"{prefix}:"}


def delete_redis_keys(url: str, pattern: str) -> int:
    """Delete the keys matching `pattern`; how many there were."""
    import redis
    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match=pattern, count=1000))
        if keys:
            client.delete(*keys)
        return len(keys)
    finally:
        client.close()


@pytest.fixture(scope="session", autouse=True)
def redis_keys_cleaned():
    """Leave nothing of this run in the shared Redis."""
    yield
    if TEST_REDIS_URL:
        delete_redis_keys(TEST_REDIS_URL, f"*{SESSION_PREFIX}*")


@pytest.fixture
def app(tmp_path):
    application = create_app(app_config(tmp_path))
    with application.app_context():
        db.drop_all()
        db.create_all()
    yield application
    with application.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()
    application.extensions["live"].close()
    if guard := application.extensions.get("intervisie.stream_guard"):
        guard.stop()  # streams a test left open: no check on a database that is gone


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def session(app):
    with app.app_context():
        yield db.session


CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def csrf_token(client, path: str = "/inloggen") -> str:
    """The token a page gives this client, as a browser would read it from the meta tag."""
    html = client.get(path).get_data(as_text=True)
    match = CSRF_META.search(html)
    assert match, f"no csrf meta on {path}"
    return match.group(1)


@contextmanager
def own_session():
    """A session whose objects stay readable after commit, for factories: tests read their ids
    and names later, outside any request."""
    with Session(db.engine, expire_on_commit=False) as sess:
        yield sess


@pytest.fixture
def make_team(app):
    """A factory: make_team("Wijkteam Noord", org=None) -> Team in a (new) organisation."""
    def make(name="Wijkteam Noord", org: Organisation | None = None) -> Team:
        with app.app_context(), own_session() as session:
            org = session.merge(org) if org else Organisation(name="Jeugdzorg Test")
            team = Team(name=name, organisation=org)
            session.add(team)
            session.commit()
            return team
    return make


@pytest.fixture
def make_person(app):
    """A factory: make_person(team, role="member", name=..., admin=False) -> Person."""
    counter = iter(range(1, 10_000))

    def make(team: Team, role: str = Role.MEMBER, name: str | None = None, admin: bool = False) -> Person:
        with app.app_context(), own_session() as session:
            person = Person(name=name or f"Collega {next(counter)}", organisation_id=team.organisation_id,
                            is_admin=admin)
            session.add(person)
            session.add(Membership(person=person, team_id=team.id, role=role))
            session.commit()
            return person
    return make


def sign_in_as(client, person: Person) -> int:
    """Sign in without a passkey ceremony, for tests about something else than signing in.

    Makes the server-side session record a real sign-in makes; returns its id.
    """
    from app.accounts import login_sessions
    with client.application.app_context():
        record, token = login_sessions.start_session(db.session, person.id, label="Testapparaat")
        db.session.commit()
        record_id = record.id
    with client.session_transaction() as sess:
        sess["_user_id"] = f"{person.id}.{token}"
        sess["_fresh"] = True
    return record_id


@pytest.fixture
def login(client):
    def do(person: Person, on=None):
        sign_in_as(on or client, person)
        return on or client
    return do


# CI runs with REQUIRE_NO_SKIPS=1: a test that skipped (Redis or PostgreSQL missing, say) fails the run.
_skipped: list[str] = []


def pytest_runtest_logreport(report):
    if report.skipped and not hasattr(report, "wasxfail"):
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    if os.environ.get("REQUIRE_NO_SKIPS") == "1" and _skipped and exitstatus == 0:
        print(f"\nREQUIRE_NO_SKIPS=1 and {len(_skipped)} test(s) skipped: {', '.join(_skipped[:10])}")
        session.exitstatus = 1
