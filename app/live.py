"""Live events: tell open streams "round N changed, version V"; each stream then sends its phone
the new state (or tells it to fetch its own).

Events carry no state; the database is the truth. A missed event therefore costs nothing lasting:
a phone fetches the full state whenever its stream (re)connects, and the next event catches it up.
That is why the brokers below are fire-and-forget and keep no history.

Events go out after the commit, never before and never for a rolled-back change: a service
that changes something phones show calls `changed(session, channel, message)` in its
transaction, which only notes the event on the SQLAlchemy session (`session.info`). The
session's `after_commit` hook publishes what was noted, the `after_rollback` hook (and the end
of any transaction that did not commit) drops it. Views therefore never publish by hand.

- LocalBroker: one process (the embedded default); channel -> set of queues, behind a lock.
- RedisBroker: several processes (REDIS_URL set) share events through Redis pub/sub. Each process
  holds ONE pub/sub connection, owned by one daemon listener thread that fans incoming messages out
  to the local queues; request threads (one per open stream under gunicorn gthread) never touch it.
"""
from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Protocol

from flask import Flask, current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

PREFIX = "leerkring:"
PENDING = "live.pending"  # session.info key: channel -> message, waiting for the commit
# What a subscription hears when its process is stopping: the stream ends with a `retry:` so the
# phone reconnects, through the load balancer, to a process that stays (see gunicorn.conf.py).
DRAIN = "drain"
# What a subscription hears when the stream guard found that its reader may no longer follow.
GONE = "gone"
log = logging.getLogger(__name__)


class Subscription:
    """Messages of one channel for one reader (one open stream)."""

    def __init__(self, hub: _Hub, channel: str) -> None:
        self.channel, self._hub, self._queue = channel, hub, queue.SimpleQueue()
        self._closed = False

    def get(self, timeout: float) -> str | None:
        """The next message, or None when none arrived within `timeout` seconds."""
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def tell(self, message: str) -> None:
        """Put a message for this reader alone (the stream guard's GONE)."""
        self._queue.put(message)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._hub._remove(self)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Broker(Protocol):
    def publish(self, channel: str, message: str) -> None: ...
    def subscribe(self, channel: str) -> Subscription: ...
    def close(self) -> None: ...


class _Hub:
    """The local fan-out both brokers share: channel -> subscriptions, guarded by a lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subs: dict[str, set[Subscription]] = {}
        self.draining = False

    def _add(self, channel: str) -> Subscription:
        sub = Subscription(self, channel)
        with self._lock:
            self._subs.setdefault(channel, set()).add(sub)
            if self.draining:
                sub._queue.put(DRAIN)
        return sub

    def drain(self) -> None:
        """The process is stopping: every open (and every new) subscription hears DRAIN next."""
        with self._lock:
            self.draining = True
            subs = [sub for group in self._subs.values() for sub in group]
        for sub in subs:
            sub._queue.put(DRAIN)

    def _remove(self, sub: Subscription) -> None:
        with self._lock:
            subs = self._subs.get(sub.channel, set())
            subs.discard(sub)
            if not subs:
                self._subs.pop(sub.channel, None)

    def _deliver(self, channel: str, message: str) -> None:
        with self._lock:
            subs = list(self._subs.get(channel, ()))
        for sub in subs:
            sub._queue.put(message)


class LocalBroker(_Hub):
    """In-process broker: enough when one process serves every stream."""

    def publish(self, channel: str, message: str) -> None:
        self._deliver(channel, message)

    def subscribe(self, channel: str) -> Subscription:
        return self._add(channel)

    def close(self) -> None:
        pass


class RedisBroker(_Hub):
    """Redis pub/sub broker with one shared pub/sub connection per process.

    Thread safety: a redis-py PubSub object must never be used by two threads at once, so only the
    listener thread touches it. Request threads just add or remove local subscriptions (under
    self._lock); on every loop turn the listener reconciles the channels it has SUBSCRIBEd in Redis
    with the channels that have local subscribers, then waits in get_message() for at most POLL
    seconds. No command queue is needed, and after a reconnect the same reconciliation re-subscribes
    everything still wanted. subscribe() waits until Redis confirmed the SUBSCRIBE, so a reader who
    then loads the state from the database cannot miss a change made after that.
    """

    POLL = 0.1  # bounds how long a (un)subscribe waits for the listener; idle cost is ~10 wakeups/s
    READY_TIMEOUT = 2.0  # don't hold a request hostage when Redis is down: the phone catches up later

    def __init__(self, url: str, prefix: str = PREFIX) -> None:
        import redis

        super().__init__()
        self._redis = redis.Redis.from_url(url, decode_responses=True, health_check_interval=30)
        self._prefix = prefix
        self._ready: dict[str, threading.Event] = {}  # channel -> Redis confirmed our SUBSCRIBE
        self._stop = threading.Event()
        self._listener: threading.Thread | None = None
        self.pubsub = None  # the one PubSub; only the listener thread uses it

    def publish(self, channel: str, message: str) -> None:
        self._redis.publish(self._prefix + channel, message)

    def subscribe(self, channel: str) -> Subscription:
        sub = self._add(channel)
        with self._lock:
            ready = self._ready.setdefault(channel, threading.Event())
            if self._listener is None:  # started lazily: threads don't survive a fork (gunicorn)
                self._listener = threading.Thread(target=self._listen, name="live-listener", daemon=True)
                self._listener.start()
        ready.wait(self.READY_TIMEOUT)
        return sub

    def close(self) -> None:
        self._stop.set()
        if self._listener is not None:
            self._listener.join(timeout=5)
        self._redis.close()

    def _listen(self) -> None:
        backoff = 0.5
        while not self._stop.is_set():
            pubsub, sent, confirmed = self._redis.pubsub(), set(), set()
            self.pubsub = pubsub
            with self._lock:  # a fresh connection has confirmed nothing yet
                for ready in self._ready.values():
                    ready.clear()
            try:
                while not self._stop.is_set():
                    self._reconcile(pubsub, sent, confirmed)
                    msg = pubsub.get_message(timeout=self.POLL)  # after any message: reconcile again
                    if msg is None:
                        continue
                    backoff = 0.5
                    channel = msg["channel"].removeprefix(self._prefix)
                    if msg["type"] == "message":
                        self._deliver(channel, msg["data"])
                    elif msg["type"] == "subscribe" and channel in sent:
                        confirmed.add(channel)
            except Exception:  # Redis went away (or worse): start over with a fresh connection
                log.warning("live: Redis pub/sub failed; reconnecting in %.1fs", backoff, exc_info=True)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)
            finally:
                pubsub.close()

    def _reconcile(self, pubsub, sent: set[str], confirmed: set[str]) -> None:
        with self._lock:
            wanted = set(self._subs)
            for channel in set(self._ready) - wanted:
                del self._ready[channel]
            for channel in wanted & confirmed:
                self._ready.setdefault(channel, threading.Event()).set()
        if new := wanted - sent:
            pubsub.subscribe(*(self._prefix + c for c in new))
            sent |= new
        if gone := sent - wanted:
            pubsub.unsubscribe(*(self._prefix + c for c in gone))
            sent -= gone
            confirmed -= gone


class StreamSlot:
    """One open stream's place in the count; closing it (any number of times) frees the place."""

    def __init__(self, limits: StreamLimits, person_id: int) -> None:
        self._limits, self.person_id, self._open = limits, person_id, True

    def close(self) -> None:
        with self._limits._lock:
            if self._open:
                self._open = False
                self._limits._release(self.person_id)


class StreamLimits:
    """Open live streams in this process, per person and in total.

    Each stream holds a server thread for as long as it is open, so without a cap one person
    (200 tabs) or a crowd could take every thread and nobody could sign in. Counted in the
    process on purpose: threads are a per-process resource, and a count that dies with its
    process can never be left stale by a crash.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._per_person: dict[int, int] = {}
        self._total = 0

    def open(self, person_id: int, *, per_person: int, per_process: int) -> StreamSlot | None:
        """A slot for one more stream of this person, or None when a cap is reached."""
        with self._lock:
            mine = self._per_person.get(person_id, 0)
            if mine >= per_person or self._total >= per_process:
                return None
            self._per_person[person_id] = mine + 1
            self._total += 1
        return StreamSlot(self, person_id)

    def _release(self, person_id: int) -> None:  # called with the lock held
        self._total -= 1
        left = self._per_person.get(person_id, 1) - 1
        if left:
            self._per_person[person_id] = left
        else:
            self._per_person.pop(person_id, None)

    def count(self, person_id: int | None = None) -> int:
        with self._lock:
            return self._total if person_id is None else self._per_person.get(person_id, 0)


class Watched:
    """One open stream as the guard sees it: what the check needs to know, and where to say GONE."""

    def __init__(self, subscription: Subscription, facts) -> None:
        self.subscription, self.facts = subscription, facts


class StreamGuard:
    """Re-checks all of a process's open streams together, once per heartbeat.

    A stream lasts for hours, so it must notice a sign-out, a revoked session or a person who
    left. Checking each stream on its own beat cost a sign-in lookup and a query per stream
    (1,000 idle streams: a quarter of a core); `check` answers for all of them at once, with a
    query or two in total. It receives the facts of every watched stream and returns those that
    may go on; the others hear GONE. The loop runs on its own (green) thread, started with the
    first stream and ending with the last, so a forked worker starts its own and an idle process
    runs none. A failing check leaves every stream open: the next beat tries again.
    """

    def __init__(self, check: Callable[[list], set], interval: Callable[[], float]) -> None:
        self._check, self._interval = check, interval
        self._lock = threading.Lock()
        self._watched: set[Watched] = set()
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()
        self.checks = 0  # how many batched checks ran (for tests and benchmarks)

    def watch(self, subscription: Subscription, facts, app: Flask) -> Watched:
        watched = Watched(subscription, facts)
        with self._lock:
            self._watched.add(watched)
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, args=(app,), name="live-guard", daemon=True)
                self._thread.start()
        return watched

    def forget(self, watched: Watched) -> None:
        with self._lock:
            self._watched.discard(watched)

    def count(self) -> int:
        with self._lock:
            return len(self._watched)

    def facts(self) -> list:
        """The facts of every stream watched now."""
        with self._lock:
            return [w.facts for w in self._watched]

    def check_now(self) -> int:
        """Check every watched stream once; returns how many were told GONE."""
        with self._lock:
            watched = list(self._watched)
        if not watched:
            return 0
        allowed = self._check([w.facts for w in watched])
        self.checks += 1
        gone = [w for w in watched if w.facts not in allowed]
        for w in gone:
            self.forget(w)
            w.subscription.tell(GONE)
        return len(gone)

    def stop(self) -> None:
        """Stop checking (the app is going away): forget every stream and end the loop now."""
        with self._lock:
            self._watched.clear()
        self._stopped.set()

    def _loop(self, app: Flask) -> None:
        while True:
            with app.app_context():
                interval = self._interval()
            self._stopped.wait(interval)
            with self._lock:
                if not self._watched or self._stopped.is_set():
                    self._thread = None
                    return
            try:
                with app.app_context():
                    self.check_now()
            except Exception:
                log.warning("live: checking the open streams failed; trying again in %.1fs", interval, exc_info=True)


def broker_for(redis_url: str | None, prefix: str = PREFIX) -> Broker:
    """RedisBroker when a Redis URL is configured, else the in-process LocalBroker."""
    return RedisBroker(redis_url, prefix) if redis_url else LocalBroker()


# Publishing after the commit ------------------------------------------------------------------

def changed(session, channel: str, message: str) -> None:
    """Note that `channel` has news (`message`, e.g. the new version), to be published once this
    session's transaction commits. Several changes to one channel in a transaction publish once,
    with the last message."""
    session.info.setdefault(PENDING, {})[channel] = message


def pending(session) -> dict[str, str]:
    """What this session's transaction will publish if it commits (for tests and debugging)."""
    return dict(session.info.get(PENDING, {}))


def _publish_pending(session) -> None:
    events = session.info.pop(PENDING, None)
    if not events:
        return
    if not has_app_context() or "live" not in current_app.extensions:
        log.warning("live: %d event(s) committed outside an app; not published", len(events))
        return
    broker = current_app.extensions["live"]
    for channel, message in events.items():
        try:
            broker.publish(channel, message)
        except Exception:  # the change is committed; a lost event only delays phones until they reconnect
            log.warning("live: publishing on %s failed", channel, exc_info=True)


def _drop_pending(session, *_args) -> None:
    session.info.pop(PENDING, None)


def _transaction_ended(session, transaction) -> None:
    # The outermost transaction ended without a commit (closed, or rolled back without a database
    # rollback): nothing of it happened, so nothing may be published. After a commit this finds
    # the events already gone.
    if transaction.parent is None:
        _drop_pending(session)


def _listen_once(target, name: str, fn) -> None:
    if not event.contains(target, name, fn):
        event.listen(target, name, fn)


def init_app(app: Flask) -> None:
    """The broker (Redis when REDIS_URL is set), the stream counter, and the session hooks."""
    app.extensions["live"] = broker_for(app.config.get("REDIS_URL"), app.config.get("LIVE_CHANNEL_PREFIX", PREFIX))
    app.extensions["live_streams"] = StreamLimits()
    # On the Session class: every session of every app, so the worker's commits publish too.
    _listen_once(Session, "after_commit", _publish_pending)
    _listen_once(Session, "after_rollback", _drop_pending)
    _listen_once(Session, "after_transaction_end", _transaction_ended)
