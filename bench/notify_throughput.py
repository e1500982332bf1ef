"""Notifications per second that one worker process delivers to a local push service.

Everything real except the push service: rows in the outbox, claims, encryption
(RFC 8291 aes128gcm by our own sender, a fresh ECDH key and salt per message), VAPID, HTTP to a local server, and recording the
outcome. The local push service only counts what it receives, so its own work stays small.
Prints the rate and the rate per core the worker process used.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

N = int(os.environ.get("BENCH_NOTIFICATIONS", "2000"))
DEVICES = 4


class CountingPushService(BaseHTTPRequestHandler):
    counted = None
    protocol_version = "HTTP/1.1"

    def do_POST(self):  # noqa: N802 (http.server's naming)
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with CountingPushService.counted.get_lock():
            CountingPushService.counted.value += 1
        self.send_response(201)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def serve_push(ready, counted) -> None:
    CountingPushService.counted = counted
    server = ThreadingHTTPServer(("127.0.0.1", 0), CountingPushService)
    ready.put(server.server_address[1])
    server.serve_forever()


def subscription(origin: str, i: int) -> dict:
    import base64

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    key = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()  # noqa: E731
    return {"endpoint": f"{origin}/push/{i}", "keys": {"p256dh": b64(key), "auth": b64(os.urandom(16))}}


def measure() -> dict:
    logging.disable(logging.WARNING)
    from app import create_app
    from app.accounts.models import Organisation, Person
    from app.extensions import db
    from app.notify import push, services
    from app.notify.worker import Worker

    # The push service runs in a process of its own, so only the worker's CPU is measured here.
    ready = multiprocessing.Queue()
    counted = multiprocessing.Value("i", 0)
    service = multiprocessing.Process(target=serve_push, args=(ready, counted), daemon=True)
    service.start()
    origin = f"http://127.0.0.1:{ready.get(timeout=10)}"
    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "PUSH_ENDPOINT_ALLOWLIST": origin,
                          "RATELIMIT_ENABLED": False})
        with app.app_context():
            db.drop_all()
            db.create_all()
            org = Organisation(name="Bench")
            person = Person(name="Bench", organisation=org)
            db.session.add_all([org, person])
            db.session.flush()
            for i in range(DEVICES):
                services.save_subscription(db.session, person.id, subscription(origin, i),
                                           allowed=push.allowed_origins(origin), label=f"device {i}")
            for i in range(N // DEVICES):
                services.notify(db.session, person.id, "test", title=f"Melding {i}", body="Bench", url="/")
            db.session.commit()
        worker = Worker(app, name="bench", concurrency=8)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        while counted.value < N:
            if not worker.tick(block=True):
                break
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        worker.pool.shutdown()
        with app.app_context():
            db.drop_all()
            db.engine.dispose()
    service.terminate()
    service.join(5)
    sent = counted.value
    print(f"Push worker: {sent} notifications delivered in {wall:.2f} s = {sent / wall:,.0f}/s "
          f"(worker process used {cpu:.2f} CPU-s: {sent / cpu:,.0f} per CPU-second; "
          f"database {url.split(':')[0]})")
    return {"sent": sent, "per_second": sent / wall, "per_cpu_second": sent / cpu, "database": url.split(":")[0]}


def main() -> None:
    measure()


def rows() -> list:
    from bench.table import Row, at_least
    result = measure()
    return [at_least(f"Push delivery per CPU-second of the worker ({result['sent']:,} pushes, "
                     f"{result['database']}, local push service)", result["per_cpu_second"],
                     "pushes/CPU-s", 1000),
            Row("Push delivery, wall clock (shared machine)", result["per_second"], "pushes/s")]


if __name__ == "__main__":
    main()
