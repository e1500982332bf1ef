"""Helpers for the browser tests: the live server, phones with a virtual passkey, common steps."""
from __future__ import annotations

import importlib.util
import re
import socket
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from playwright.sync_api import Browser, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "locale": "nl-NL"}
AUTHENTICATOR = {"protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
                 "hasUserVerification": True, "isUserVerified": True, "automaticPresenceSimulation": True}

ORGANISATION = "Jeugdzorg Test"
TEAM = "Wijkteam Noord"
LEAD_NAME = "Marieke de Vries"


def _root_conftest():
    """tests/conftest.py, for app_config (both conftests are called `conftest`, so load by path)."""
    spec = importlib.util.spec_from_file_location("leerkring_root_conftest", ROOT / "tests" / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


app_config = _root_conftest().app_config


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    app: object
    server: object = field(repr=False)

    def issue_setup_link(self) -> str | None:
        from app.accounts import services
        from app.extensions import db
        with self.app.app_context():
            issued = services.issue_setup_link(db.session, 24)
            db.session.commit()
        return f"{self.url}/inrichten/{issued.token}" if issued else None

    def add_member(self, team_id: int, name: str) -> None:
        """A colleague who joined through an invite (without the browser round trip)."""
        from app.accounts import services
        from app.accounts.models import Role, Team
        from app.extensions import db
        with self.app.app_context():
            team = db.session.get(Team, team_id)
            issued = services.issue_invite(db.session, team=team, role=Role.MEMBER, make_admin=False,
                                           email=None, created_by=None, days=7)
            services.consume_link(db.session, issued.link.id)
            services.accept_invite(db.session, issued.link, person_name=name)
            db.session.commit()

    def used_invite_url(self, team_id: int) -> str:
        """An invite link that has already been used."""
        from app.accounts import services
        from app.accounts.models import Role, Team
        from app.extensions import db
        with self.app.app_context():
            team = db.session.get(Team, team_id)
            issued = services.issue_invite(db.session, team=team, role=Role.MEMBER, make_admin=False,
                                           email=None, created_by=None, days=7)
            services.consume_link(db.session, issued.link.id)
            db.session.commit()
        return f"{self.url}/uitnodiging/{issued.token}"

    def invite_url(self, team_id: int) -> str:
        """A fresh invite link for a team member, as the lead's "Maak uitnodiging" makes one."""
        from app.accounts import services
        from app.accounts.models import Role, Team
        from app.extensions import db
        with self.app.app_context():
            team = db.session.get(Team, team_id)
            issued = services.issue_invite(db.session, team=team, role=Role.MEMBER, make_admin=False,
                                           email=None, created_by=None, days=7)
            db.session.commit()
        return f"{self.url}/uitnodiging/{issued.token}"

    def plan_round(self, team_id: int, *, title: str, facilitator: str, presenter: str | None,
                   participants: list[str], starts_in: timedelta = timedelta(days=1),
                   method: str = "incident") -> int:
        """A planned round (as the plan form saves one), people by name; returns its id."""
        from app.accounts.models import Person
        from app.extensions import db
        from app.intervisie import methods, services
        from app.models_base import utcnow
        ids = {name: self.person_id(name) for name in {facilitator, presenter, *participants} - {None}}
        with self.app.app_context():
            plan = services.Plan(
                title=title, starts_at=utcnow() + starts_in, place="Kamer 2.14", video_url="", method_key=method,
                minutes=methods.get(method).default_minutes(), participant_ids=sorted(ids.values()),
                facilitator_id=ids[facilitator], presenter_id=ids[presenter] if presenter else None)
            [rnd] = services.plan_rounds(db.session, team_id, plan, db.session.get(Person, ids[facilitator]))
            db.session.commit()
            return rnd.id

    def person_id(self, name: str) -> int:
        from sqlalchemy import select

        from app.accounts.models import Person
        from app.extensions import db
        with self.app.app_context():
            return db.session.scalar(select(Person.id).where(Person.name == name))

    def notify(self, person_id: int, *, title: str, body: str, url: str, read: bool = False) -> tuple[int, str]:
        """A real notification (kind "test") for this person, as the app writes one. Returns its id
        and the exact payload the worker would push for it."""
        from app.extensions import db
        from app.notify import services
        with self.app.app_context():
            notification = services.notify(db.session, person_id, "test", title=title, body=body, url=url)
            if read:
                services.open_notification(db.session, person_id, notification.id)
            db.session.commit()
            assets = self.app.extensions["assets"]
            return notification.id, services.payload(notification, assets.url("icons/icon-192.png"),
                                                     assets.url("icons/badge-72.png"))

    def is_read(self, notification_id: int) -> bool:
        from app.extensions import db
        from app.notify.models import Notification
        with self.app.app_context():
            return db.session.get(Notification, notification_id).read_at is not None

    def stop(self) -> None:
        from app.extensions import db
        self.server.shutdown()
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()
        self.app.extensions["live"].close()


def empty_database() -> None:
    """Start the migrations from nothing. A SQLite file here is new; the PostgreSQL test database
    (TEST_DATABASE_URL) still holds the tables, types and alembic_version of the last run."""
    from sqlalchemy import text

    from app.extensions import db
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))


def own_database(url: str, suffix: str) -> str:
    """On PostgreSQL each live server gets a database of its own (the test database's name, _e2e_
    and its folder's name): another server, or a test with the `app` fixture, empties its own."""
    from sqlalchemy.engine import make_url
    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql"):
        return url
    import psycopg
    name = f"{parsed.database}_e2e_{re.sub(r'[^a-z0-9_]', '_', suffix.lower())}"[:63]
    admin = parsed.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            connection.execute(f'CREATE DATABASE "{name}"')
    return parsed.set(database=name).render_as_string(hide_password=False)


def start_live_server(tmp_dir: Path) -> LiveServer:
    """The app on a fresh database (SQLite, or TEST_DATABASE_URL's PostgreSQL emptied first), schema
    built by the migrations, served in a thread."""
    import flask_migrate
    from werkzeug.serving import make_server

    from app import create_app

    port = free_port()
    url = f"http://localhost:{port}"
    config = app_config(tmp_dir, APP_URL=url, WEBAUTHN_RP_ID="localhost", WEBAUTHN_ORIGIN=url)
    config["SQLALCHEMY_DATABASE_URI"] = own_database(config["SQLALCHEMY_DATABASE_URI"], tmp_dir.name)
    app = create_app(config)
    with app.app_context():
        empty_database()
        flask_migrate.upgrade()
        # Tables of models whose migration is not written yet (the coordinator writes one after a
        # merge; tests/integration/test_migrations.py guards that). Existing tables are untouched.
        from app.extensions import db
        db.create_all()
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, name=f"live-server-{port}", daemon=True).start()
    return LiveServer(url=url, app=app, server=server)


def open_phone(browser: Browser, *, storage_state=None, credentials=(), **options) -> Page:
    """A new phone: its own context with a virtual platform authenticator (a passkey store)."""
    context = browser.new_context(**{**PHONE, **options}, storage_state=storage_state)
    context.set_default_timeout(10_000)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    authenticator = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": AUTHENTICATOR})
    for credential in credentials:
        cdp.send("WebAuthn.addCredential",
                 {"authenticatorId": authenticator["authenticatorId"], "credential": credential})
    page.cdp = cdp
    page.authenticator_id = authenticator["authenticatorId"]
    return page


def open_app_phone(playwright, profile: Path, *, cookies=()) -> Page:
    """A phone with a persistent profile (not incognito), as for someone who uses Leerkring every
    day: service workers, their caches and notifications behave as they do there."""
    context = playwright.chromium.launch_persistent_context(
        user_data_dir=str(profile), executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, **PHONE)
    context.set_default_timeout(10_000)
    if cookies:
        context.add_cookies(list(cookies))
    return context.pages[0] if context.pages else context.new_page()


def wait_for_service_worker(page: Page) -> None:
    """Until the page's service worker is active and controls it."""
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    try:
        page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=3_000)
    except PlaywrightTimeout:
        # The first worker claims open pages; should it miss this one, a reload brings it under control.
        page.reload()
        page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=5_000)


SUBSCRIBE = """async (subscription) => {
  const response = await fetch("/push/abonnementen", {
    method: "POST", credentials: "same-origin",
    headers: {"Content-Type": "application/json",
              "X-CSRFToken": document.querySelector('meta[name="csrf-token"]').content},
    body: JSON.stringify(subscription),
  });
  return {status: response.status, body: await response.json()};
}"""


def post_subscription(page: Page, endpoint: str) -> dict:
    """What push.js posts after pushManager.subscribe() (which headless Chromium refuses), from
    the page with its CSRF token: {"status": ..., "body": ...}."""
    subscription = {"endpoint": endpoint, "keys": {
        "p256dh": "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM",
        "auth": "tBHItJI5svbpez7KI4CCXg"}}
    return page.evaluate(SUBSCRIBE, subscription)


def passkeys_on(page: Page) -> list[dict]:
    """The passkeys stored in this phone's virtual authenticator."""
    return page.cdp.send("WebAuthn.getCredentials", {"authenticatorId": page.authenticator_id})["credentials"]


def create_passkey(page: Page, url: str) -> None:
    """On the passkey step: press the button and land on Vandaag."""
    expect(page.get_by_role("heading", level=1)).to_have_text("Maak je passkey")
    page.get_by_role("button", name="Maak mijn passkey").click()
    page.wait_for_url(f"{url}/")


def user_present(page: Page, present: bool) -> None:
    """Whether the phone's owner answers the passkey prompt by herself.

    Chromium's virtual authenticator also answers the login page's conditional (autofill) request
    when presence is simulated, which would sign in before the button is pressed. Tests that want
    the button switch presence off before they reach /inloggen, and on just before the click.
    """
    page.cdp.send("WebAuthn.setAutomaticPresenceSimulation",
                  {"authenticatorId": page.authenticator_id, "enabled": present})


def join_by_invite(page: Page, url: str, invite_url: str, name: str) -> None:
    """A colleague opens her invite, says who she is, makes her passkey and lands on Vandaag."""
    page.goto(invite_url)
    page.get_by_label("Je naam").fill(name)
    page.get_by_role("button", name="Verder").click()
    create_passkey(page, url)


def sign_in_with_passkey(page: Page, url: str) -> None:
    """Sign in on /inloggen with the "Inloggen met passkey" button."""
    user_present(page, False)
    page.goto(f"{url}/inloggen")
    # Let the conditional request start, so the button's ceremony is the last one asked for.
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("heading", level=1)).to_have_text("Inloggen")
    user_present(page, True)
    asked = []
    page.on("request", lambda r: asked.append(r.url.rsplit("/", 1)[-1]) if "/inloggen/" in r.url else None)
    with page.expect_response(lambda r: r.url.endswith("/inloggen/controle")) as verify:
        page.get_by_role("button", name="Inloggen met passkey").click()
    assert verify.value.ok, verify.value.text()
    assert asked[:2] == ["opties", "controle"], asked  # the button's own ceremony signed her in
    page.wait_for_url(f"{url}/")


@dataclass
class Lead:
    """Marieke, who set up Leerkring: admin, lead of the first team."""

    page: Page                 # the phone she set up with (its authenticator holds her passkey)
    setup_url: str             # the one-time link she used
    team_id: int
    storage_state: dict        # her signed-in cookies, to open more signed-in phones
    credentials: list[dict]    # her passkey, to put on another phone
    landing_heading: str
    landing_teams: list[str]


