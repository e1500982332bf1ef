"""compose.yaml, tried on the host: its own migrate, app and worker commands, with the environment
compose gives them, as real processes against this machine's PostgreSQL and Redis.

This machine has no Docker engine, so the image is not built and no container runs. Everything
else is compose's: the commands and environment are read from compose.yaml, and only what points
into compose's own network is replaced (the database and Redis addresses, the port), plus what
keeps this run apart from others (a database of its own, its own Redis key prefix). The run
follows compose's order (migrate to completion, then app and worker), checks what production
promises (health and readiness, HSTS, one JSON line per request, the worker running), opens a
real live stream and stops the app the way `docker compose stop` does: SIGTERM to the gunicorn
master, which must end the open stream with a `retry:` and exit within stop_grace_period.
"""
from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
import yaml

from conftest import VAPID_PEM, delete_redis_keys

ROOT = Path(__file__).resolve().parents[2]
POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"  # every machine of the project has these
REDIS_URL = "redis://127.0.0.1:6379/0"
PUBLIC_HOST = "leerkring.test"
# What compose's ${VAR:?...} demand, as an operator gives them (production wants https).
GIVEN = {"APP_URL": f"https://{PUBLIC_HOST}", "VAPID_SUBJECT": "mailto:beheer@example.org"}
INTERPOLATION = re.compile(r"\$\{(\w+)(?::([?-])([^}]*))?\}")
STARTUP_SECONDS = 20


# compose.yaml ------------------------------------------------------------------------------------

def interpolate(value: str, given: dict) -> str:
    """compose's ${VAR:?message} (must be given) and ${VAR:-default} (falls back)."""
    def one(match):
        name, kind, rest = match.groups()
        if given.get(name):
            return given[name]
        assert kind == "-", f"compose refuses to start without {name}: {rest}"
        return rest
    resolved = INTERPOLATION.sub(one, value)
    assert "$" not in resolved, f"an interpolation this test does not know: {value}"
    return resolved


def service(name: str, given: dict, replaced: dict, home: Path) -> tuple[list[str], dict]:
    """A compose service's command (its executable beside this Python) and its environment, with
    compose's network addresses replaced by `replaced`; `home` stands for the container user's."""
    spec = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"][name]
    env = {key: interpolate(str(value), given) for key, value in spec["environment"].items()}
    # Replace only what lives on compose's network, and only after checking it does.
    assert urlsplit(env["DATABASE_URL"]).hostname == "postgres"
    assert urlsplit(env["REDIS_URL"]).hostname == "redis"
    env.update(replaced)
    # The container's environment is the image's (Dockerfile ENV) plus compose's, nothing of ours:
    # the test's TEST_DATABASE_URL or REDIS_URL must not leak in.
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home),
            "LANG": "C.UTF-8", "PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    executable, *args = spec["command"]
    return [str(Path(sys.executable).with_name(executable)), *args], {**base, **env}


def stop_grace_period(name: str) -> float:
    spec = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"][name]
    match = re.fullmatch(r"(\d+)s", str(spec.get("stop_grace_period", "10s")))  # compose's default: 10 s
    assert match, spec["stop_grace_period"]
    return float(match.group(1))


# PostgreSQL and Redis of this machine ----------------------------------------------------------

@pytest.fixture
def database():
    """A fresh PostgreSQL database for this run alone, dropped afterwards."""
    import psycopg
    try:
        admin = psycopg.connect(POSTGRES_ADMIN, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        pytest.skip(f"PostgreSQL does not answer on 127.0.0.1:5432 ({error})")
    name = f"test_compose_{secrets.token_hex(6)}"
    try:
        admin.execute(f'CREATE DATABASE "{name}"')
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture
def redis_prefix():
    """A key prefix of this run alone on the machine's Redis; its keys are removed afterwards."""
    import redis
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis does not answer on 127.0.0.1:6379 ({error})")
    finally:
        client.close()
    prefix = f"leerkring-compose-test-{secrets.token_hex(6)}"
    yield prefix
    delete_redis_keys(REDIS_URL, f"*{prefix}*")


# Processes ---------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Process:
    """A service run as a host process; its stdout and stderr go to files the test reads."""

    def __init__(self, name: str, command: list[str], env: dict, logs: Path):
        self.name, self.err_path = name, logs / f"{name}.err"
        with open(logs / f"{name}.out", "wb") as out, open(self.err_path, "wb") as err:
            # Its own process group, so cleaning up reaches gunicorn's workers too.
            self.popen = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=err,
                                          start_new_session=True)

    def stderr(self) -> str:
        return self.err_path.read_text(errors="replace")

    def json_lines(self) -> list[dict]:
        """The lines on stderr that are JSON objects."""
        return [json.loads(line) for line in self.stderr().splitlines() if _is_json(line)]

    def other_lines(self) -> list[str]:
        return [line for line in self.stderr().splitlines() if not _is_json(line)]

    def kill(self) -> None:
        """Whatever is left of it (a master that hangs, workers a killed master left behind)."""
        try:
            os.killpg(self.popen.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass  # the whole group has exited
        self.popen.wait(5)


def _is_json(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def until(condition, seconds: float, what: str, step: float = 0.1):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(step)
    raise AssertionError(f"not within {seconds:g} s: {what}")


# HTTP as the reverse proxy in front of port 8000 sends it ---------------------------------------

PROXY_HEADERS = {"Host": PUBLIC_HOST, "X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}


def request(port: int, method: str, path: str, headers: dict | None = None, body: str | None = None,
            timeout: float = 10):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers={**PROXY_HEADERS, **(headers or {})})
        response = connection.getresponse()
        return response.status, response.headers, response.read().decode(errors="replace")
    finally:
        connection.close()


def answers(port: int, path: str) -> bool:
    try:
        return request(port, "GET", path, timeout=2)[0] == 200
    except OSError:
        return False


class EventStream:
    """An open server-sent event stream, read line by line."""

    def __init__(self, port: int, path: str, cookie: str):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        self.connection.request("GET", path, headers={**PROXY_HEADERS, "Cookie": cookie,
                                                      "Accept": "text/event-stream"})
        self.response = self.connection.getresponse()

    def event(self) -> list[str]:
        """The next event's lines (up to the blank line that ends it); [] when the stream ended."""
        lines = []
        while True:
            raw = self.response.readline()
            if not raw:
                return lines
            line = raw.decode().rstrip("\r\n")
            if not line:
                if lines:
                    return lines
                continue
            lines.append(line)

    def close(self) -> None:
        self.connection.close()


# A signed-in participant, written the way the app itself would ----------------------------------

def live_ready_round(database_url: str, secret_key: str) -> dict:
    """An organisation, team, three people and a planned round in the migrated database, with a
    signed-in session (cookie and CSRF token) for the facilitator and for one participant, as a
    passkey sign-in leaves them. Plain SQLAlchemy on the app's models: no app, so nothing of it
    touches instance/ or the environment."""
    from flask import Flask
    from flask.sessions import SecureCookieSessionInterface
    from itsdangerous import URLSafeTimedSerializer
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from app.accounts import login_sessions
    from app.accounts.models import Membership, Organisation, Person, Team
    from app.intervisie import methods
    from app.intervisie.models import Participant, Round

    signing = Flask("cookies")
    signing.secret_key = secret_key
    cookies = SecureCookieSessionInterface().get_signing_serializer(signing)
    csrf = URLSafeTimedSerializer(secret_key, salt="wtf-csrf-token")  # Flask-WTF's token
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with Session(engine) as session:
            org = Organisation(name="Compose op de host")
            team = Team(name="Wijkteam Compose", organisation=org)
            people = [Person(name=name, organisation=org) for name in ("Fenna", "Pim", "Daan")]
            session.add_all([org, team, *people])
            session.add_all(Membership(person=p, team=team, role="member") for p in people)
            session.flush()
            method = methods.get("tien_stappen")
            rnd = Round(team_id=team.id, title="Ronde op de host", method_key=method.key,
                        starts_at=datetime.now(timezone.utc) + timedelta(minutes=5),
                        minutes=method.default_minutes(), status="planned", phase_index=-1, revealed=[], version=0)
            for person, role in zip(people, ("facilitator", "presenter", "participant")):
                rnd.participants.append(Participant(person=person, role=role))
            session.add(rnd)
            session.flush()
            signed_in = {}
            for person, who in ((people[0], "facilitator"), (people[2], "participant")):
                _record, token = login_sessions.start_session(session, person.id, label="Compose-test")
                raw = secrets.token_hex(20)
                signed_in[who] = {"cookie": "session=" + cookies.dumps(
                    {"_user_id": f"{person.id}.{token}", "_fresh": True, "csrf_token": raw}),
                    "csrf": csrf.dumps(raw)}
            session.commit()
            return {"round_id": rnd.id, **signed_in}
    finally:
        engine.dispose()


def live_channels(prefix: str) -> list[str]:
    """The Redis pub/sub channels with listeners under this run's prefix."""
    import redis
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        return sorted(client.pubsub_channels(f"{prefix}:*"))
    finally:
        client.close()


def migrated_tables(database_url: str) -> tuple[set[str], set[str]]:
    """The tables in the database and the Alembic revision it is at."""
    import psycopg
    with psycopg.connect(database_url, connect_timeout=3) as connection:
        tables = {row[0] for row in connection.execute(
            "select table_name from information_schema.tables where table_schema = 'public'")}
        revisions = {row[0] for row in connection.execute("select version_num from alembic_version")}
    return tables, revisions


def alembic_heads() -> set[str]:
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    settings = Config()
    settings.set_main_option("script_location", str(ROOT / "migrations"))
    return set(ScriptDirectory.from_config(settings).get_heads())


def instance_folder() -> list | None:
    """What the developer's instance/ holds (names and modification times), None when missing."""
    folder = ROOT / "instance"
    if not folder.exists():
        return None
    return sorted((p.name, p.stat().st_mtime_ns) for p in folder.iterdir())


# The test ----------------------------------------------------------------------------------------

def test_compose_services_run_on_the_host_serve_and_stop_cleanly(database, redis_prefix, tmp_path):
    instance_before = instance_folder()
    home = tmp_path / "home"
    home.mkdir()
    port = free_port()
    given = {**GIVEN, "SECRET_KEY": secrets.token_urlsafe(48)}
    replaced = {
        "DATABASE_URL": database, "REDIS_URL": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": redis_prefix, "LIVE_CHANNEL_PREFIX": f"{redis_prefix}:",
        "HOST": "127.0.0.1", "PORT": str(port), "WEB_CONCURRENCY": "2",
        # compose lets the first process generate the key into its instance volume; here it is
        # given, so nothing is written into the developer's instance/ folder.
        "VAPID_PRIVATE_KEY": VAPID_PEM,
    }
    started: list[Process] = []
    try:
        # 1. migrate runs to completion; app and worker start after it (service_completed_successfully).
        migrate = Process("migrate", *service("migrate", given, replaced, home), tmp_path)
        started.append(migrate)
        assert migrate.popen.wait(60) == 0, migrate.stderr()
        tables, revisions = migrated_tables(database)
        assert {"person", "team", "round", "participant"} <= tables and revisions == alembic_heads()

        app = Process("app", *service("app", given, replaced, home), tmp_path)
        worker = Process("worker", *service("worker", given, replaced, home), tmp_path)
        started += [app, worker]

        # 2. Health and readiness (compose's healthcheck asks /readyz).
        until(lambda: app.popen.poll() is not None or answers(port, "/healthz"), STARTUP_SECONDS,
              "/healthz answers 200")
        assert app.popen.poll() is None, app.stderr()
        until(lambda: answers(port, "/readyz"), 5, "/readyz answers 200 (database and Redis)")

        # 3. Production behind the https proxy: HSTS and secure cookies; one JSON line per request.
        sent = {}
        for path in ("/healthz", "/readyz", "/inloggen"):
            request_id = f"compose-{secrets.token_hex(6)}"
            status, headers, _body = request(port, "GET", path, {"X-Request-ID": request_id})
            assert status == 200 and headers["X-Request-ID"] == request_id
            sent[request_id] = path
        assert headers["Strict-Transport-Security"].startswith("max-age=")  # /inloggen, a page
        assert all("; Secure" in cookie for cookie in headers.get_all("Set-Cookie") or [])
        logged = [line for line in app.json_lines() if line.get("msg") == "request"]
        for request_id, path in sent.items():
            [line] = [line for line in logged if line.get("request_id") == request_id]
            assert (line["method"], line["route"], line["status"]) == ("GET", path, 200)
            assert isinstance(line["duration_ms"], float) and line["level"] == "info"

        # 4. The worker started and keeps running.
        until(lambda: any(re.fullmatch(r"notification worker \S+ started", str(line.get("msg")))
                          for line in worker.json_lines()), STARTUP_SECONDS, "the worker logs that it started")
        assert worker.popen.poll() is None, worker.stderr()

        # 5. A live stream for real: a participant's phone follows the round; the facilitator's
        #    start (in either gunicorn process) reaches it through Redis, the new state with it.
        prepared = live_ready_round(database, given["SECRET_KEY"])
        round_path = f"/intervisie/rondes/{prepared['round_id']}/live"
        stream = EventStream(port, f"{round_path}/stream", prepared["participant"]["cookie"])
        try:
            assert stream.response.status == 200, stream.response.read()
            assert stream.response.headers["Content-Type"].startswith("text/event-stream")
            assert stream.event() == ["retry: 1000"]
            assert stream.event() == ["event: changed", "id: 0", "retry: 1000", "data: 0"]
            assert live_channels(redis_prefix) == [f"{redis_prefix}:round:{prepared['round_id']}"]
            facilitator = prepared["facilitator"]
            status, headers, body = request(port, "POST", f"{round_path}/start", {
                "Cookie": facilitator["cookie"], "X-CSRFToken": facilitator["csrf"], "HX-Request": "true",
                "Content-Type": "application/x-www-form-urlencoded"}, urlencode({"phase": -1}))
            assert status == 200, body
            version = headers["X-Round-Version"]
            pushed = stream.event()  # the participant's new state itself, as hx-sse swaps it in
            assert pushed[0] == f"id: {version}" and all(line.startswith("data:") for line in pushed[1:])
            assert f'data-version="{version}"' in "\n".join(pushed)

            # 6. `docker compose stop`: SIGTERM to the master (PID 1 in the container). The open
            #    stream ends at once with a retry (0.5-3 s, app/live.py), so the phone reconnects
            #    to a process that stays, and the master is gone within stop_grace_period.
            app.popen.send_signal(signal.SIGTERM)
            rest = []
            try:
                while event := stream.event():
                    rest.append(event)
            except TimeoutError:
                raise AssertionError(f"the open stream did not end after SIGTERM: {rest}") from None
        finally:
            stream.close()
        [[retry]] = rest
        assert retry.startswith("retry: ") and 500 <= int(retry.split()[1]) <= 3000
        grace = stop_grace_period("app")
        try:
            assert app.popen.wait(grace) == 0, app.stderr()
        except subprocess.TimeoutExpired:
            raise AssertionError(f"gunicorn still runs {grace:g} s after SIGTERM; compose would kill it") from None
        # Everything on stderr is JSON, gunicorn's own lines included (gunicorn.conf.py).
        assert app.other_lines() == [] and worker.other_lines() == []

        # 7. The worker stops cleanly on SIGTERM too.
        worker.popen.send_signal(signal.SIGTERM)
        assert worker.popen.wait(stop_grace_period("worker")) == 0, worker.stderr()
    finally:
        for process in started:
            process.kill()
    assert instance_folder() == instance_before  # the keys came from the environment
    assert list(home.iterdir()) == []  # nor into the home folder (no gunicorn control socket)
