"""Running in production: health and readiness checks, one JSON log line per request, request ids.

- `/healthz` answers 200 while the process can answer at all (a liveness probe restarts it otherwise).
- `/readyz` answers 200 when the database (and Redis, when configured) answer, else 503, so a load
  balancer sends no phone to a process that cannot serve it.
- With LOG_FORMAT=json (the default in production) every request writes one line to stderr:
  {"ts", "level", "logger", "msg": "request", "method", "route", "status", "duration_ms", "request_id"}.
  `route` is the URL rule (/intervisie/rondes/<int:round_id>/live), so lines group by page and
  never carry the ids people opened. A request id from the proxy (X-Request-ID) is kept, else one is
  made; either way the response carries it back.
"""
from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import datetime, timezone

from flask import Blueprint, Flask, Response, abort, current_app, g, request
from sqlalchemy import text

from app import access
from app.extensions import db

bp = Blueprint("ops", __name__)
log = logging.getLogger("leerkring.request")
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")  # what we accept from a proxy; else our own


@bp.get("/healthz")
@access.public
def healthz():
    return _plain("ok\n", 200)


@bp.get("/readyz")
@access.public
def readyz():
    problems = [name for name, check in _checks(current_app).items() if not _answers(check)]
    if problems:
        return _plain(f"not ready: {', '.join(problems)}\n", 503)
    return _plain("ready\n", 200)


def _plain(body: str, status: int) -> Response:
    response = Response(body, status, mimetype="text/plain")
    response.headers["Cache-Control"] = "no-store"
    return response


def _checks(app: Flask) -> dict:
    checks = {"database": _database_answers}
    if app.config.get("REDIS_URL"):
        checks["redis"] = lambda: _redis_answers(app.config["REDIS_URL"])
    return checks


def _answers(check) -> bool:
    try:
        check()
        return True
    except Exception:  # any failure means "not ready"; the reason goes to the log, not the probe
        logging.getLogger(__name__).warning("readiness check failed", exc_info=True)
        return False
    finally:
        db.session.remove()


def _database_answers() -> None:
    db.session.execute(text("SELECT 1"))


_redis_clients: dict[str, object] = {}


def _redis_answers(url: str) -> None:
    import redis
    client = _redis_clients.get(url)
    if client is None:
        client = _redis_clients[url] = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    client.ping()


# Request logging -------------------------------------------------------------------------------

class JsonFormatter(logging.Formatter):
    """One JSON object per line: the time, level, message and whatever the call passed as `extra`."""

    STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        line = {"ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
                "level": record.levelname.lower(), "logger": record.name, "msg": record.getMessage()}
        line.update({k: v for k, v in vars(record).items() if k not in self.STANDARD})
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure_logging(fmt: str) -> None:
    """JSON lines on stderr for every logger (the app's, gunicorn's error log, libraries')."""
    if fmt != "json":
        return
    root = logging.getLogger()
    if root.handlers:  # logging is set up already (by a test runner, or by hand): leave it
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.handlers = [handler]
    root.setLevel(logging.INFO)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


def _start() -> None:
    g.request_started = time.perf_counter()
    given = request.headers.get("X-Request-ID", "")
    g.request_id = given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
    _refuse_undecodable_query()


def _refuse_undecodable_query() -> None:
    """Browsers percent-encode a query string; raw bytes that are not UTF-8 come only from a
    hand-made request, and Werkzeug would fail on them wherever a view reads `request.args`
    (a 500). Refused here, once, before any view: 400."""
    try:
        request.query_string.decode()
    except UnicodeDecodeError:
        abort(400)


def _finish(response: Response) -> Response:
    request_id = g.get("request_id") or uuid.uuid4().hex
    response.headers["X-Request-ID"] = request_id
    if current_app.config.get("LOG_FORMAT") == "json":
        started = g.get("request_started")
        log.info("request", extra={
            "method": request.method,
            "route": request.url_rule.rule if request.url_rule else None,
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2) if started else None,
            "request_id": request_id,
        })
    return response


def init_app(app: Flask) -> None:
    configure_logging(app.config.get("LOG_FORMAT", "text"))
    app.register_blueprint(bp)
    app.before_request(_start)
    app.after_request(_finish)
