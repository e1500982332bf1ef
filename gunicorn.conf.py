"""Gunicorn in production: `gunicorn -c gunicorn.conf.py 'app:create_app()'` (compose.yaml does this).

Worker class: gevent. Every phone in a live round keeps a server-sent event stream open for the
whole round, and an open stream only waits. Under gevent a waiting stream is a greenlet (a few
kB) instead of a thread, so one process holds thousands of them while pages keep their speed;
bench/serving.py measures this against gthread (docs/architecture.md, "Serving"). psycopg 3 sees
gevent's patched `select` and waits cooperatively; redis-py uses patched sockets.

Graceful shutdown: on SIGTERM (a deploy, a scale-down) a worker stops accepting, tells every
open stream to end with a short `retry:` (app/live.py, DRAIN) so the phone reconnects through the
load balancer to a process that stays, and lets page requests finish within graceful_timeout.

Settings from the environment: PORT (8000), HOST (0.0.0.0), WEB_CONCURRENCY (processes, default
one per core), WORKER_CONNECTIONS (per process, 2000), WORKER_CLASS (gevent; gthread with
THREADS for a setup without gevent), LOG_FORMAT and LEERKRING_ENV (JSON lines, as the app's).
"""
import json
import logging
import multiprocessing
import os
import signal
import threading
from datetime import datetime, timezone

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
worker_class = os.environ.get("WORKER_CLASS", "gevent")
worker_connections = int(os.environ.get("WORKER_CONNECTIONS", "2000"))
threads = int(os.environ.get("THREADS", "200"))
keepalive = 75            # phones keep their connection between a fragment fetch and the next
timeout = 60              # a worker that does not report within this is restarted
graceful_timeout = 20     # open streams end at once (DRAIN); pages get this long to finish
max_requests = 20000      # recycle workers now and then (jitter so they never all go at once)
max_requests_jitter = 2000
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = None          # the app writes one JSON line per request (LOG_FORMAT=json, app/ops.py)
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")
# A compose or systemd host may run several gunicorns as one user: gunicorn (25.1+) would put a
# control socket for each at the same $HOME/.gunicorn/gunicorn.ctl (and the image's user may not
# write its home). Nothing here uses gunicornc.
control_socket_disable = True


class JsonLines(logging.Formatter):
    """gunicorn's own lines (start, workers, signals, timeouts) in the shape of the app's JSON
    lines (app/ops.py, JsonFormatter), so with LOG_FORMAT=json every line on stderr is JSON. Kept
    here because the master must not import the app (gevent patches each worker after the fork)."""

    def format(self, record: logging.LogRecord) -> str:
        line = {"ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
                "level": record.levelname.lower(), "logger": record.name, "msg": record.getMessage()}
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


# The same default as app/config.py: JSON in production unless LOG_FORMAT says otherwise.
production = os.environ.get("LEERKRING_ENV", "development") == "production"
if os.environ.get("LOG_FORMAT", "json" if production else "text") == "json":
    logconfig_dict = {
        # No handler on the root logger: each worker's app puts its own JSON handler there.
        "root": {"level": "INFO", "handlers": []},
        "loggers": {
            "gunicorn.error": {"level": loglevel.upper(), "handlers": ["stderr"], "propagate": False},
            # The app logs each request itself; a dict config would switch gunicorn's access log on.
            "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
        },
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json",
                                "stream": "ext://sys.stderr"}},
        "formatters": {"json": {"()": JsonLines}},
    }

# Open live streams per process: three quarters of what the process can hold, the rest for pages.
capacity = worker_connections if worker_class == "gevent" else threads
os.environ.setdefault("LIVE_STREAMS_PER_PROCESS", str(max(1, capacity * 3 // 4)))


# The garbage collector, tuned for a server whose heap is mostly long-lived (the app, its
# templates and mappings, and under gevent a thousand open streams): measured in bench/serving.py
# with 1,000 streams open, each process ran a full collection every few seconds at 100 to 230 ms,
# a pause every page request waiting on that process shared. What the app loaded is frozen out of
# collection once it is loaded (`post_worker_init`), and the young generation is collected after
# 7,000 allocations instead of 700, the old one ten times less often. Cycles are still collected.
# Measured on Python 3.11 (the Dockerfile's); Python 3.14's incremental collector reads these
# thresholds differently, so measure again when the version moves.
GC_THRESHOLDS = (7000, 20, 100)


def tune_garbage_collection() -> None:
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def post_worker_init(worker):
    """Tune the garbage collector for the loaded app; then chain onto the worker's SIGTERM
    handler: first end the open streams, then stop as usual.

    The drain runs on its own (green) thread, which the handler only wakes. A worker gets
    SIGTERM twice when its process group stops (directly and from the master); a handler that
    drained itself waited for the broker's lock held by the first drain, which deadlocks under
    gthread and, under gevent (where a handler runs as an event-loop callback that may not block,
    not even to start a thread), took the worker down with exit code 255 instead of draining."""
    tune_garbage_collection()
    stop = signal.getsignal(signal.SIGTERM)
    broker = getattr(worker.wsgi, "extensions", {}).get("live")
    stopping = threading.Event()  # gevent's under gevent: setting it never blocks

    def drain_when_stopping():
        stopping.wait()
        broker.drain()
    if broker is not None:
        threading.Thread(target=drain_when_stopping, name="live-drain", daemon=True).start()

    def drain_then_stop(signum, frame):
        stopping.set()
        if callable(stop):
            stop(signum, frame)

    signal.signal(signal.SIGTERM, drain_then_stop)
