"""Shared fixtures: an app on a fresh database, clients, factories and a signed-in helper.

Tests run on SQLite by default. With TEST_DATABASE_URL pointing at PostgreSQL the same tests run
there (each test gets empty tables).
"""
from __future__ import annotations

import os
import re
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
    config.update(overrides)
    return config


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


def csrf_token(client, path: str = "/login") -> str:
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
