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
THREADS for a setup without gevent).
"""
import multiprocessing
import os
import signal

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

# Open live streams per process: three quarters of what the process can hold, the rest for pages.
capacity = worker_connections if worker_class == "gevent" else threads
os.environ.setdefault("LIVE_STREAMS_PER_PROCESS", str(max(1, capacity * 3 // 4)))


def post_worker_init(worker):
    """Chain onto the worker's SIGTERM handler: first end the open streams, then stop as usual."""
    stop = signal.getsignal(signal.SIGTERM)
    app = worker.wsgi

    def drain_then_stop(signum, frame):
        broker = getattr(app, "extensions", {}).get("live")
        if broker is not None:
            broker.drain()
        if callable(stop):
            stop(signum, frame)

    signal.signal(signal.SIGTERM, drain_then_stop)
