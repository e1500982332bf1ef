"""Live event brokers: in-process fan-out, and Redis pub/sub shared between processes."""
from __future__ import annotations

import threading
import time
import uuid

import pytest
from flask import Flask

from app.live import GONE, LocalBroker, RedisBroker, StreamGuard, broker_for

REDIS_URL = "redis://127.0.0.1:6379/15"
RUN = uuid.uuid4().hex[:12]  # unique channel names per run: no cross-talk with other runs or servers


def channel(name: str) -> str:
    return f"test-{RUN}-{name}"


def eventually(check, timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return check()


# --- LocalBroker -------------------------------------------------------------------------------

def test_local_delivers_to_every_subscriber_of_the_channel_only():
    broker = LocalBroker()
    a, b, other = broker.subscribe("round-1"), broker.subscribe("round-1"), broker.subscribe("round-2")
    broker.publish("round-1", "version 3")
    assert a.get(1) == "version 3" and b.get(1) == "version 3"
    assert other.get(0.05) is None


def test_local_close_stops_delivery_and_is_idempotent():
    broker = LocalBroker()
    with broker.subscribe("round-1") as sub:
        broker.publish("round-1", "v1")
        assert sub.get(1) == "v1"
    sub.close()
    broker.publish("round-1", "v2")
    assert sub.get(0.05) is None
    assert broker._subs == {}


def test_get_returns_none_on_timeout():
    sub = LocalBroker().subscribe("round-1")
    started = time.monotonic()
    assert sub.get(0.1) is None
    assert 0.08 <= time.monotonic() - started < 1


def test_local_is_thread_safe():
    broker = LocalBroker()
    subs = [broker.subscribe("round-1") for _ in range(20)]
    threads = [threading.Thread(target=lambda: [broker.publish("round-1", "x") for _ in range(100)])
               for _ in range(5)]
    churn = threading.Thread(target=lambda: [broker.subscribe("round-1").close() for _ in range(500)])
    for t in [*threads, churn]:
        t.start()
    for t in [*threads, churn]:
        t.join()
    assert all(sum(1 for _ in iter(lambda s=s: s.get(0), None)) == 500 for s in subs)


def test_broker_for():
    assert isinstance(broker_for(None), LocalBroker)
    assert isinstance(broker_for(""), LocalBroker)
    broker = broker_for(REDIS_URL)
    try:
        assert isinstance(broker, RedisBroker)
    finally:
        broker.close()


# --- RedisBroker -------------------------------------------------------------------------------

@pytest.fixture
def plain():
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    yield client
    client.close()


@pytest.fixture
def brokers(plain):
    """Make RedisBrokers (each standing in for one server process); all closed after the test."""
    made: list[RedisBroker] = []

    def make() -> RedisBroker:
        made.append(RedisBroker(REDIS_URL))
        return made[-1]

    yield make
    for broker in made:
        broker.close()


def pubsub_client_ids(plain) -> set[str]:
    return {c["id"] for c in plain.client_list() if int(c.get("sub", 0)) > 0}


def numsub(plain, name: str) -> int:
    return dict(plain.pubsub_numsub(f"leerkring:{name}"))[f"leerkring:{name}"]


def test_message_crosses_processes_within_a_second(brokers):
    a, b = brokers(), brokers()
    sub = a.subscribe(channel("round-1"))
    started = time.monotonic()
    b.publish(channel("round-1"), "round 1 changed, version 7")
    assert sub.get(1.0) == "round 1 changed, version 7"
    assert time.monotonic() - started < 1.0
    assert sub.get(0.1) is None


def test_many_subscribers_on_many_channels_share_one_pubsub_connection(brokers, plain):
    before = pubsub_client_ids(plain)
    a, b = brokers(), brokers()
    subs = [(i % 10, a.subscribe(channel(f"round-{i % 10}"))) for i in range(50)]
    pubsub = a.pubsub
    for n in range(10):
        b.publish(channel(f"round-{n}"), f"version {n}")
    for n, sub in subs:
        assert sub.get(1.0) == f"version {n}"
    time.sleep(0.1)
    assert all(sub.get(0) is None for _, sub in subs)  # nothing from the other channels
    assert a.pubsub is pubsub
    assert len(pubsub_client_ids(plain) - before) == 1
    assert all(numsub(plain, channel(f"round-{n}")) == 1 for n in range(10))
    assert len([t for t in threading.enumerate() if t.name == "live-listener"]) >= 1


def test_last_close_unsubscribes_in_redis(brokers, plain):
    broker = brokers()
    name = channel("round-1")
    first, second = broker.subscribe(name), broker.subscribe(name)
    assert numsub(plain, name) == 1
    first.close()
    time.sleep(0.3)
    assert numsub(plain, name) == 1  # still one local subscriber
    second.close()
    second.close()  # idempotent
    assert eventually(lambda: numsub(plain, name) == 0)
    with broker.subscribe(name) as again:  # and a channel can be subscribed anew
        assert numsub(plain, name) == 1
        broker.publish(name, "v2")
        assert again.get(1.0) == "v2"
    assert eventually(lambda: numsub(plain, name) == 0)


def test_reconnects_and_resubscribes_after_losing_redis(brokers, plain):
    before = pubsub_client_ids(plain)
    broker = brokers()
    name = channel("round-1")
    sub = broker.subscribe(name)
    (conn_id,) = pubsub_client_ids(plain) - before
    plain.client_kill_filter(_id=conn_id)

    def delivered() -> bool:  # events published while reconnecting are lost, by design: keep trying
        broker.publish(name, "after reconnect")
        return sub.get(0.2) == "after reconnect"

    assert eventually(delivered, timeout=10)
    assert len(pubsub_client_ids(plain) - before) == 1  # still one connection, a new one
    assert pubsub_client_ids(plain) - before != {conn_id}


# --- StreamLimits --------------------------------------------------------------------------------

def test_stream_limits_per_person_and_in_total():
    from app.live import StreamLimits
    limits = StreamLimits()
    a = [limits.open(1, per_person=2, per_process=3) for _ in range(3)]
    assert a[2] is None and limits.count(1) == 2
    b = limits.open(2, per_person=2, per_process=3)
    assert b is not None and limits.open(3, per_person=2, per_process=3) is None  # the process is full
    a[0].close()
    a[0].close()  # closing twice frees one place, not two
    assert limits.count() == 2 and limits.count(1) == 1
    assert limits.open(3, per_person=2, per_process=3) is not None


def test_stream_limits_hold_under_contention():
    from app.live import StreamLimits
    limits = StreamLimits()
    granted = []

    def grab():
        for _ in range(200):
            slot = limits.open(7, per_person=4, per_process=100)
            if slot:
                granted.append(slot)
                assert limits.count(7) <= 4
                slot.close()

    threads = [threading.Thread(target=grab) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert granted and limits.count() == 0 and limits.count(7) == 0


# --- StreamGuard -------------------------------------------------------------------------------

def test_guard_tells_gone_only_to_streams_the_check_refuses():
    broker = LocalBroker()
    allowed = {"a", "c"}
    guard = StreamGuard(check=lambda facts: {f for f in facts if f in allowed}, interval=lambda: 60)
    subs = {name: broker.subscribe(channel("guard")) for name in "abc"}
    watched = {name: guard.watch(sub, name, Flask(__name__)) for name, sub in subs.items()}
    assert guard.check_now() == 1
    assert subs["b"].get(timeout=0.1) == GONE and guard.count() == 2
    assert subs["a"].get(timeout=0.05) is None and subs["c"].get(timeout=0.05) is None
    guard.forget(watched["a"]), guard.forget(watched["c"])
    assert guard.count() == 0 and guard.check_now() == 0


def test_guard_runs_on_its_own_until_the_last_stream_goes_and_survives_a_failing_check():
    broker = LocalBroker()
    calls = []

    def check(facts):
        calls.append(list(facts))
        if len(calls) == 1:
            raise ConnectionError("database away for a moment")
        return set()  # from the second beat on: nobody may follow
    guard = StreamGuard(check=check, interval=lambda: 0.05)
    sub = broker.subscribe(channel("guard-loop"))
    guard.watch(sub, "x", Flask(__name__))
    assert sub.get(timeout=3) == GONE  # the failed first check left it open; the next one ended it
    assert len(calls) >= 2 and guard.count() == 0
    assert eventually(lambda: guard._thread is None)  # no loop left running for nobody
