"""The one worker loop: sends due pushes and runs every feature's scheduled jobs (hooks.Job).

In `make run` it is a thread in the web process; at scale `flask --app app worker` runs it as a
process of its own, as many as you like: claims are leased, so each push goes out once.
Sending happens in a small thread pool outside any transaction, so a push service that hangs
holds one thread until its timeout, never the loop.
"""
from __future__ import annotations

import logging
import os
import queue
import socket
import threading
from concurrent.futures import ThreadPoolExecutor, wait
from datetime import timedelta

from flask import Flask

from app.extensions import db
from app.models_base import utcnow
from app.notify import push, services

log = logging.getLogger(__name__)


class Worker:
    def __init__(self, app: Flask, *, name: str | None = None, concurrency: int = 16,
                 lease: timedelta = timedelta(seconds=60)):
        self.app = app
        self.name = name or f"{socket.gethostname()}-{os.getpid()}-{threading.get_ident() % 10000}"
        self.capacity = concurrency * 4
        self.lease = lease
        self.pool = ThreadPoolExecutor(concurrency, thread_name_prefix="push")
        self._in_flight = 0
        self._lock = threading.Lock()
        self._done: queue.SimpleQueue = queue.SimpleQueue()
        self._last_run: dict[str, object] = {}  # job name -> when this worker last ran it
        self.allowed = push.allowed_origins(app.config.get("PUSH_ENDPOINT_ALLOWLIST"))

    @property
    def sender(self):
        return self.app.extensions["push_sender"]

    def _asset(self, name: str) -> str:
        return self.app.extensions["assets"].url(name)

    def _prepare(self, job: services.Job):
        """Check, encrypt and sign one push in the claiming thread: a push.Request to post, or
        its outcome (refused endpoint, bad key) queued for recording. None if it failed
        unexpectedly: its lease runs out and it is retried."""
        try:
            request = self.sender.prepare(job.subscription, job.payload, ttl=job.ttl, urgency=job.urgency,
                                          topic=job.topic, allowed=self.allowed)
        except Exception:  # one bad push must not stop the others
            log.exception("push %s failed unexpectedly", job.delivery_id)
            with self._lock:
                self._in_flight -= 1
            return None
        if isinstance(request, push.Outcome):
            self._done.put((job, request))
            return None
        return request

    def _deliver(self, job: services.Job, request: push.Request) -> None:
        """Runs in the pool: post one prepared push and queue its outcome for recording."""
        try:
            self._done.put((job, self.sender.post(request)))
        except Exception:  # one bad push must not stop the others; its lease runs out and it retries
            log.exception("push %s failed unexpectedly", job.delivery_id)
            with self._lock:
                self._in_flight -= 1

    def record_outcomes(self) -> int:
        """Write every finished push in one transaction (far cheaper than one commit each)."""
        finished = []
        while True:
            try:
                finished.append(self._done.get_nowait())
            except queue.Empty:
                break
        if not finished:
            return 0
        now = utcnow()
        try:
            services.record_all(db.session, finished, now)
            db.session.commit()
        except Exception:
            # Unrecorded pushes keep their lease; when it runs out they are retried.
            db.session.rollback()
            log.exception("recording %d push outcomes failed", len(finished))
        finally:
            with self._lock:
                self._in_flight -= len(finished)
        return len(finished)

    def run_jobs(self, now) -> None:
        """Each feature's scheduled jobs (hooks.Job), each at its own interval, each in its own
        transaction: one that fails is logged and tried again next time, the others go on."""
        for job in self.app.extensions["hooks"].jobs:
            last = self._last_run.get(job.name)
            if last is not None and now - last < job.interval:
                continue
            self._last_run[job.name] = now
            try:
                job.run(db.session, now)
                db.session.commit()
            except Exception:
                db.session.rollback()
                log.exception("scheduled job %s failed", job.name)

    def tick(self, *, block: bool = False) -> int:
        """Claim what is due and hand it to the pool. With block=True, wait until it is sent."""
        with self.app.app_context():
            self.record_outcomes()
            now = utcnow()
            self.run_jobs(now)
            with self._lock:
                room = self.capacity - self._in_flight
            if room <= 0:
                return 0
            jobs = services.claim(db.session, worker=self.name, now=now, limit=room, lease=self.lease,
                                  icon=self._asset("icons/icon-192.png"), badge=self._asset("icons/badge-72.png"))
        with self._lock:
            self._in_flight += len(jobs)
        # The whole batch is prepared before any of it is handed over, so the pool's threads only
        # wait on the network: eight threads each encrypting and then posting spent a third of the
        # worker's CPU handing the interpreter lock to each other.
        prepared = [(job, request) for job in jobs if (request := self._prepare(job)) is not None]
        futures = [self.pool.submit(self._deliver, job, request) for job, request in prepared]
        if block:
            wait(futures)
            with self.app.app_context():
                self.record_outcomes()
        return len(jobs)

    def run_forever(self, stop: threading.Event, idle: float = 1.0) -> None:
        log.info("notification worker %s started", self.name)
        while not stop.is_set():
            try:
                busy = self.tick()
            except Exception:  # the database was away for a moment: try again shortly
                log.exception("notification worker tick failed")
                busy = 0
            stop.wait(0.02 if busy or self._in_flight else idle)
        self.pool.shutdown(wait=True)
        with self.app.app_context():
            self.record_outcomes()


def start_thread(app: Flask) -> threading.Event:
    """The embedded default: the worker as a daemon thread of the web process."""
    stop = threading.Event()
    worker = Worker(app)
    threading.Thread(target=worker.run_forever, args=(stop,), name="notify-worker", daemon=True).start()
    return stop
