"""Production serving: health and readiness, JSON request logs, refusing an unsafe production start,
HSTS, the gunicorn configuration and compose.yaml, and open streams ending on shutdown."""
from __future__ import annotations

import gc
import json
import logging
import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from app import config, create_app
from app.extensions import db
from app.live import DRAIN, LocalBroker
from app.ops import JsonFormatter
from conftest import app_config
from test_intervisie import Phone, planned_round, team  # noqa: F401 (team: the fixture)

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {"LEERKRING_ENV": "production", "SECRET_KEY": "a-long-random-production-key",
                  "APP_URL": "https://leerkring.example.nl", "VAPID_SUBJECT": "mailto:beheer@example.nl"}


def test_healthz_answers_without_signing_in(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_data(as_text=True) == "ok\n"
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_is_ready_when_the_database_answers(client):
    response = client.get("/readyz")
    assert response.status_code == 200 and response.get_data(as_text=True) == "ready\n"


def test_readyz_is_503_when_the_database_does_not_answer(tmp_path):
    application = create_app(app_config(tmp_path, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/missing/dir/x.db"))
    response = application.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_data(as_text=True) == "not ready: database\n"  # nothing more for a stranger


def test_readyz_is_503_when_redis_is_configured_and_does_not_answer(app, tmp_path):
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    response = app.test_client().get("/readyz")
    assert response.status_code == 503 and "redis" in response.get_data(as_text=True)


def request_records(caplog):
    return [r for r in caplog.records if r.name == "leerkring.request"]


def test_one_json_line_per_request_with_route_status_duration_and_request_id(app, caplog):
    app.config["LOG_FORMAT"] = "json"
    client = app.test_client()
    with caplog.at_level(logging.INFO, logger="leerkring.request"):
        response = client.get("/intervisie/rondes/4711/live", headers={"X-Request-ID": "proxy-abc.123"})
        unknown = client.get("/nergens")
    assert response.headers["X-Request-ID"] == "proxy-abc.123"
    first, second = request_records(caplog)
    line = json.loads(JsonFormatter().format(first))
    assert line["msg"] == "request" and line["method"] == "GET" and line["status"] == 302
    assert line["route"] == "/intervisie/rondes/<int:round_id>/live"  # the rule, not the id opened
    assert "4711" not in json.dumps(line)
    assert line["request_id"] == "proxy-abc.123" and isinstance(line["duration_ms"], float)
    assert json.loads(JsonFormatter().format(second))["status"] == 404
    assert unknown.headers["X-Request-ID"] == second.request_id and len(second.request_id) == 32


def test_a_request_id_that_is_not_plain_is_replaced(client):
    response = client.get("/healthz", headers={"X-Request-ID": "x" * 200})
    assert response.headers["X-Request-ID"] != "x" * 200 and len(response.headers["X-Request-ID"]) == 32
    response = client.get("/healthz", headers={"X-Request-ID": "a\"b"})
    assert response.headers["X-Request-ID"] != 'a"b'


@pytest.mark.parametrize("path", ["/inloggen", "/", "/privacy", "/intervisie/", "/zzz"])
def test_a_raw_query_string_that_is_not_utf8_is_a_400_not_a_500(client, path):
    """Browsers percent-encode; raw bytes come from a hand-made request and used to break every
    page that reads request.args."""
    response = client.get(path, environ_overrides={"QUERY_STRING": "next=\xff\xfe&to=\xc0"})
    assert response.status_code == 400
    assert client.get(f"{path}?next=%ff%fe").status_code != 500  # percent-encoded: read as usual


def test_no_request_lines_unless_asked(client, caplog):
    with caplog.at_level(logging.INFO, logger="leerkring.request"):
        client.get("/healthz")
    assert request_records(caplog) == []


@pytest.mark.parametrize("missing, says", [
    ("SECRET_KEY", "SECRET_KEY is not set"),
    ("VAPID_SUBJECT", "VAPID_SUBJECT is not set"),
    ("APP_URL", "APP_URL must be the public https:// address"),
])
def test_production_refuses_to_start_without_its_settings(monkeypatch, tmp_path, missing, says):
    for name, value in PRODUCTION_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv(missing)
    with pytest.raises(config.ConfigError) as refused:
        create_app(app_config(tmp_path))
    assert says in str(refused.value) and "LEERKRING_ENV=production" in str(refused.value)


def test_production_refuses_an_app_url_without_https(monkeypatch, tmp_path):
    for name, value in {**PRODUCTION_ENV, "APP_URL": "http://leerkring.example.nl"}.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(config.ConfigError, match="https"):
        config.load(str(tmp_path))


def test_production_serves_hsts_and_logs_json(monkeypatch, tmp_path):
    for name, value in PRODUCTION_ENV.items():
        monkeypatch.setenv(name, value)
    settings = config.load(str(tmp_path))
    assert settings["LOG_FORMAT"] == "json" and settings["SESSION_COOKIE_SECURE"]
    overrides = {k: v for k, v in app_config(tmp_path).items() if k not in ("APP_URL", "SECRET_KEY")}
    application = create_app({**overrides, "WEBAUTHN_ORIGIN": "https://leerkring.example.nl"})
    with application.app_context():
        db.create_all()
    response = application.test_client().get("/inloggen")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=63072000")
    with application.app_context():
        db.drop_all()


def test_development_has_no_hsts(client):
    assert "Strict-Transport-Security" not in client.get("/inloggen").headers


def test_gunicorn_config_serves_streams_with_gevent_and_drains_on_sigterm(monkeypatch):
    for name in ("LIVE_STREAMS_PER_PROCESS", "WORKER_CLASS"):  # restored afterwards: the file sets one
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert settings["worker_class"] == "gevent" and settings["worker_connections"] >= 1000
    assert 0 < settings["graceful_timeout"] <= 30 and callable(settings["post_worker_init"])
    assert settings["accesslog"] is None  # the app logs each request as JSON
    assert int(os.environ["LIVE_STREAMS_PER_PROCESS"]) == settings["worker_connections"] * 3 // 4


def test_a_worker_freezes_what_the_app_loaded_out_of_garbage_collection():
    """Full collections over a heap of a thousand open streams paused a worker for 100-230 ms
    every few seconds (bench/serving.py); the loaded app is frozen and collections come less often."""
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    before = gc.get_threshold()
    try:
        settings["tune_garbage_collection"]()
        assert gc.get_freeze_count() > 10_000
        assert gc.get_threshold() == settings["GC_THRESHOLDS"] and settings["GC_THRESHOLDS"][0] > before[0]
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def test_drain_ends_every_open_and_every_new_subscription():
    broker = LocalBroker()
    open_one = broker.subscribe("round:1")
    broker.drain()
    assert open_one.get(1) == DRAIN
    assert broker.subscribe("round:2").get(1) == DRAIN


def test_a_second_sigterm_during_the_drain_does_not_take_the_worker_down():
    """A worker gets SIGTERM twice when its whole process group is stopped (once directly, once
    from the master). The second came while the first drain held the broker's lock; the handler
    waited for that lock inside itself, which gevent refuses (the worker died with exit code
    255 instead of draining). Run in a fresh, monkey-patched interpreter with gunicorn.conf.py's
    own handler, called as gevent calls it (an event-loop callback) while the lock is held."""
    script = """
from gevent import monkey; monkey.patch_all()
import runpy, signal
from app.live import DRAIN, LocalBroker
settings = runpy.run_path("gunicorn.conf.py")
broker = LocalBroker()
stopped = []
signal.signal(signal.SIGTERM, lambda *_: stopped.append(True))  # gunicorn's own stop, chained after the drain
settings["post_worker_init"](type("Worker", (), {"wsgi": type("App", (), {"extensions": {"live": broker}})()})())
subscription = broker.subscribe("round:1")
import gevent
def first_drain_still_going():
    with broker._lock:  # gunicorn's gevent worker runs the handler as an event-loop callback
        gevent.get_hub().loop.run_callback(signal.getsignal(signal.SIGTERM), signal.SIGTERM, None)
        gevent.sleep(0.1)
gevent.spawn(first_drain_still_going).join()
print(subscription.get(2), bool(stopped))
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "WORKER_CLASS": "gevent"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == [DRAIN, "True"]


def test_open_streams_end_with_a_retry_when_the_process_stops(app, team, login):  # noqa: F811
    t, people = team
    round_id = planned_round(app, login(people["lead"]), t.id, people)
    phone = Phone(login(people["daan"], on=app.test_client()), round_id)
    assert phone.next().startswith("retry:") and phone.next().startswith("event: changed")
    app.extensions["live"].drain()
    rest = phone.read_to_end()
    phone.close()
    assert len(rest) == 1 and rest[0].startswith("retry: ") and 500 <= int(rest[0].split()[1]) <= 3000
    assert app.extensions["live_streams"].count() == 0


def test_compose_starts_app_worker_postgres_and_redis():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert {"app", "worker", "postgres", "redis"} <= set(services)
    app, worker = services["app"], services["worker"]
    assert app["command"][:3] == ["gunicorn", "-c", "gunicorn.conf.py"]
    assert worker["command"] == ["flask", "--app", "app", "worker"]
    for service in (app, worker):
        env = service["environment"]
        assert env["LEERKRING_ENV"] == "production"
        assert env["DATABASE_URL"].startswith("postgresql://") and "@postgres:" in env["DATABASE_URL"]
        assert env["REDIS_URL"] == "redis://redis:6379/0"
        for required in ("SECRET_KEY", "APP_URL", "VAPID_SUBJECT"):
            assert env[required].startswith("${" + required + ":?")  # compose refuses to start without
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "readyz" in " ".join(app["healthcheck"]["test"])
    assert services["migrate"]["command"] == ["flask", "--app", "app", "db", "upgrade"]
    assert (ROOT / "Dockerfile").exists()


def test_loading_place_names_does_not_stall_a_gevent_worker():
    """Production's workers are gevent: there a threading.Thread is a greenlet, and the seconds
    of loading Deduce's place names would stall every request of the process. Measured in a
    fresh, monkey-patched interpreter: a 10 ms sleep in another greenlet while the list loads."""
    script = """
from gevent import monkey; monkey.patch_all()
import time, gevent
from app import placenames
stalls = []
def ticker():
    while not placenames.ready():
        started = time.monotonic(); gevent.sleep(0.01); stalls.append(time.monotonic() - started)
pulse = gevent.spawn(ticker)
gevent.sleep(0.05)
placenames.warm_up()
assert placenames.load(30)
pulse.join()
print(round(max(stalls) * 1000), len(list(placenames.find("Ze woont in Zwolle"))))
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    longest_ms, found = map(int, done.stdout.split())
    assert found == 1  # the list did load
    assert longest_ms < 1000  # loading on the greenlet stalled it for the whole load (2.6 s here)
