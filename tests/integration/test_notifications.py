"""Notifications end to end: outbox, worker, a local push service that decrypts, inbox, settings."""
from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, update

from app.extensions import db
from app.notify import services
from app.notify.models import Notification, PushDelivery, PushSubscription
from app.notify.worker import Worker
from conftest import csrf_token
from support.push_service import PushService


@pytest.fixture
def push():
    with PushService() as service:
        yield service


@pytest.fixture
def app(app, push):
    """The app, trusting the local push service as if it were FCM or Apple's."""
    app.config["PUSH_ENDPOINT_ALLOWLIST"] = push.origin
    return app


@pytest.fixture
def worker(app):
    return Worker(app, name="test-worker", concurrency=4)


@pytest.fixture
def person(make_team, make_person):
    return make_person(make_team(), name="Sanne Bakker")


def subscribe(client, subscription) -> int:
    token = csrf_token(client, "/meldingen/instellingen")
    response = client.post("/push/abonnementen", json=subscription, headers={"X-CSRFToken": token})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def make_due(app):
    """Let waiting retries fall due now, as if their wait had passed."""
    with app.app_context():
        db.session.execute(update(PushDelivery).values(next_attempt_at=datetime.now(timezone.utc)))
        db.session.commit()


def deliveries(app):
    with app.app_context():
        return db.session.scalars(select(PushDelivery).order_by(PushDelivery.id)).all()


def send_test(client):
    token = csrf_token(client, "/meldingen/instellingen")
    return client.post("/meldingen/test", data={"csrf_token": token}, follow_redirects=True)


def test_test_notification_reaches_every_device_and_the_inbox(app, push, worker, person, login):
    client = login(person)
    phone, tablet = push.subscriber("phone"), push.subscriber("tablet")
    subscribe(client, phone.subscription)
    subscribe(client, tablet.subscription)
    page = send_test(client)
    assert "Testmelding verstuurd naar 2 apparaten" in page.get_data(as_text=True)
    assert worker.tick(block=True) == 2
    for device in (phone, tablet):
        [delivery] = device.delivered
        shown = delivery.json()
        assert shown["title"] == "Testmelding van Leerkring"
        assert "komen meldingen op dit apparaat aan" in shown["body"]
        assert shown["url"].startswith("/meldingen/") and shown["url"].endswith("/open")
        assert shown["icon"].startswith("/static/icons/icon-192.") and shown["badge"].startswith("/static/icons/badge-72.")
        assert delivery.headers["urgency"] == "high"
        assert 0 < int(delivery.headers["ttl"]) <= 600
        assert delivery.headers["authorization"].startswith("vapid t=")
        assert len(delivery.body) < 4096
    # The inbox has it too, unread, with the count in the navigation.
    inbox = client.get("/meldingen").get_data(as_text=True)
    assert "Testmelding van Leerkring" in inbox and 'id="unread-badge">1<' in inbox
    opened = client.get(phone.delivered[0].json()["url"])
    assert opened.status_code == 302 and opened.headers["Location"] == "/meldingen/instellingen"
    assert 'id="unread-badge"' not in client.get("/meldingen").get_data(as_text=True)
    # Nothing is sent twice.
    assert worker.tick(block=True) == 0
    assert len(push.deliveries) == 2


def test_push_service_error_then_success_delivers_once_later(app, push, worker, person, login):
    client = login(person)
    phone = push.subscriber().respond(500)
    subscribe(client, phone.subscription)
    send_test(client)
    worker.tick(block=True)
    assert phone.delivered == []
    [delivery] = deliveries(app)
    assert delivery.status == "pending" and delivery.attempts == 1
    assert delivery.next_attempt_at > datetime.now(timezone.utc) + timedelta(seconds=10)
    assert worker.tick(block=True) == 0  # not due yet
    make_due(app)
    worker.tick(block=True)
    assert len(phone.delivered) == 1 and phone.attempts == 2
    assert deliveries(app)[0].status == "sent"


def test_429_waits_as_long_as_the_push_service_asks(app, push, worker, person, login):
    client = login(person)
    phone = push.subscriber().respond((429, {"Retry-After": "120"}))
    subscribe(client, phone.subscription)
    send_test(client)
    worker.tick(block=True)
    [delivery] = deliveries(app)
    wait = delivery.next_attempt_at - datetime.now(timezone.utc)
    assert timedelta(seconds=110) < wait <= timedelta(seconds=120)
    assert delivery.status == "pending"


def test_410_removes_the_subscription(app, push, worker, person, login):
    client = login(person)
    gone = push.subscriber().respond(410)
    subscribe(client, gone.subscription)
    send_test(client)
    worker.tick(block=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(PushSubscription.id))) == 0
        # The notification itself stays in the inbox.
        assert db.session.scalar(select(func.count(Notification.id))) == 1


def test_a_hanging_push_service_blocks_nobody(app, push, worker, person, login):
    client = login(person)
    slow = push.subscriber("slow").respond("hang:4")
    fast = push.subscriber("fast")
    subscribe(client, slow.subscription)
    subscribe(client, fast.subscription)
    send_test(client)
    started = time.monotonic()
    assert worker.tick() == 2  # hands the pushes to the pool and returns at once
    assert time.monotonic() - started < 1
    deadline = time.monotonic() + 1.5
    while not fast.delivered and time.monotonic() < deadline:
        time.sleep(0.02)
    assert fast.delivered, "the fast phone waited for the hanging one"
    worker.pool.shutdown(wait=True)  # the slow one times out after PUSH_TIMEOUT (2 s)
    with app.app_context():
        worker.record_outcomes()
    slow_delivery = [d for d in deliveries(app) if d.status == "pending"]
    assert len(slow_delivery) == 1 and slow_delivery[0].attempts == 1
    assert "network" in slow_delivery[0].last_error


def test_an_expired_notification_is_never_pushed(app, push, worker, person, login):
    """Claims skip notifications past their expiry; the expiry job (once a minute, not per tick)
    then marks their pushes failed."""
    client = login(person)
    phone = push.subscriber()
    subscribe(client, phone.subscription)
    worker.tick(block=True)  # the scheduled jobs' first run, out of the way
    send_test(client)
    with app.app_context():
        db.session.execute(update(Notification).values(expires_at=datetime.now(timezone.utc) - timedelta(seconds=1)))
        db.session.commit()
    assert worker.tick(block=True) == 0
    assert phone.attempts == 0
    [delivery] = deliveries(app)
    assert delivery.status == "pending" and delivery.leased_by is None
    with app.app_context():
        worker.run_jobs(datetime.now(timezone.utc) + timedelta(minutes=2))
    [delivery] = deliveries(app)
    assert (delivery.status, delivery.last_error, delivery.attempts) == ("failed", "expired", 0)
    assert phone.attempts == 0


def test_subscriptions_are_refused_for_unknown_push_services(app, push, person, login):
    client = login(person)
    token = csrf_token(client, "/meldingen/instellingen")
    for endpoint in ("http://169.254.169.254/latest/meta-data", "https://evil.example/push/1",
                     "https://fcm.googleapis.com.evil.example/x", "file:///etc/passwd",
                     push.origin.replace("127.0.0.1", "localhost") + "/push/1"):
        response = client.post("/push/abonnementen", headers={"X-CSRFToken": token},
                               json={"endpoint": endpoint, "keys": {"p256dh": "x", "auth": "y"}})
        assert response.status_code == 400, endpoint
    for garbage in ([], "x", {"endpoint": push.origin + "/push/1"}, {"endpoint": 5, "keys": {}}, None):
        response = client.post("/push/abonnementen", headers={"X-CSRFToken": token}, json=garbage)
        assert response.status_code == 400
    fcm = {"endpoint": "https://fcm.googleapis.com/fcm/send/abc", "keys": {"p256dh": "BA", "auth": "AA"}}
    assert client.post("/push/abonnementen", headers={"X-CSRFToken": token}, json=fcm).status_code == 201


def test_the_reported_allowlist_bypass_is_refused(app, push, person, login):
    client = login(person)
    token = csrf_token(client, "/meldingen/instellingen")
    response = client.post("/push/abonnementen", headers={"X-CSRFToken": token},
                           json={"endpoint": "https://127.0.0.1\\.notify.windows.com/x",
                                 "keys": {"p256dh": "BA", "auth": "AA"}})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count(PushSubscription.id))) == 0


def test_the_worker_never_sends_to_an_endpoint_outside_the_allowlist(app, push, worker, person, login):
    """A subscription stored before the stricter check (or by other means) is forgotten, not sent."""
    client = login(person)
    phone = push.subscriber()
    subscribe(client, phone.subscription)
    with PushService() as internal:  # stands for an address inside the network
        target = internal.subscriber()
        with app.app_context():
            db.session.execute(update(PushSubscription).values(endpoint=target.endpoint))
            db.session.commit()
        send_test(client)
        worker.tick(block=True)
        assert target.attempts == 0 and internal.deliveries == []
    with app.app_context():
        assert db.session.scalar(select(func.count(PushSubscription.id))) == 0
        assert db.session.scalar(select(func.count(Notification.id))) == 1  # still in the inbox


def test_the_worker_does_not_follow_redirects(app, push, worker, person, login):
    client = login(person)
    with PushService() as internal:
        target = internal.subscriber()
        phone = push.subscriber().respond((307, {"Location": target.endpoint}))
        subscribe(client, phone.subscription)
        send_test(client)
        worker.tick(block=True)
        assert target.attempts == 0 and phone.attempts == 1
    assert deliveries(app)[0].status == "failed"


def test_unsubscribe_and_remove_devices(app, push, person, make_person, make_team, login):
    client = login(person)
    phone = push.subscriber()
    subscription_id = subscribe(client, phone.subscription)
    settings = client.get("/meldingen/instellingen").get_data(as_text=True)
    assert "Apparaten met meldingen" in settings and f"/meldingen/apparaten/{subscription_id}/verwijder" in settings
    other = login(make_person(make_team("Ander team")), on=app.test_client())
    token = csrf_token(other, "/meldingen")
    # Someone else can neither remove nor unsubscribe this device.
    assert other.post(f"/meldingen/apparaten/{subscription_id}/verwijder",
                      data={"csrf_token": token}).status_code == 404
    assert other.delete("/push/abonnementen", json={"endpoint": phone.endpoint},
                        headers={"X-CSRFToken": token}).status_code == 404
    token = csrf_token(client, "/meldingen")
    assert client.delete("/push/abonnementen", json={"endpoint": phone.endpoint},
                         headers={"X-CSRFToken": token}).status_code == 204
    with app.app_context():
        assert db.session.scalar(select(func.count(PushSubscription.id))) == 0


def test_quiet_hours_hold_a_push_until_monday_morning(app, push, worker, person, login):
    client = login(person)
    subscribe(client, push.subscriber().subscription)
    saturday = datetime(2026, 11, 21, 14, 0, tzinfo=timezone.utc)  # 15:00 in Amsterdam
    with app.app_context():
        services.notify(db.session, person.id, "invite_accepted", title="Daan doet mee", body="...",
                        url="/", now=saturday)
        db.session.commit()
        [delivery] = db.session.scalars(select(PushDelivery)).all()
        assert delivery.next_attempt_at == datetime(2026, 11, 23, 7, 0, tzinfo=timezone.utc)  # Mon 08:00 CET
    assert worker.tick(block=True) == 0
    assert push.deliveries == []
    # The inbox shows it straight away.
    assert "Daan doet mee" in client.get("/meldingen").get_data(as_text=True)


def test_something_starting_before_quiet_hours_end_is_sent_now(app, push, person, login):
    client = login(person)
    subscribe(client, push.subscriber().subscription)
    friday_evening = datetime(2026, 11, 20, 19, 0, tzinfo=timezone.utc)
    with app.app_context():
        services.notify(db.session, person.id, "invite_accepted", title="x", body="y", url="/",
                        now=friday_evening, deadline=friday_evening + timedelta(hours=1))
        db.session.commit()
        assert db.session.scalar(select(PushDelivery)).next_attempt_at == friday_evening


def test_muted_kind_goes_to_the_inbox_only(app, push, worker, person, login):
    client = login(person)
    subscribe(client, push.subscriber().subscription)
    token = csrf_token(client, "/meldingen/instellingen")
    saved = client.post("/meldingen/instellingen", data={
        "csrf_token": token, "quiet_evening": "18:00", "quiet_morning": "08:00"})  # no kind ticked
    assert saved.status_code == 302
    with app.app_context():
        services.notify(db.session, person.id, "invite_accepted", title="Daan doet mee", body="", url="/")
        db.session.commit()
    worker.tick(block=True)
    assert push.deliveries == []
    assert "Daan doet mee" in client.get("/meldingen").get_data(as_text=True)


def test_settings_form_explains_errors_and_keeps_input(app, person, login):
    client = login(person)
    token = csrf_token(client, "/meldingen/instellingen")
    response = client.post("/meldingen/instellingen", data={
        "csrf_token": token, "quiet_enabled": "y", "quiet_evening": "25:99", "quiet_morning": "07:30",
        "kind": "invite_accepted"})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "Vul een tijd in" in text and 'value="07:30"' in text


def test_accepting_an_invite_tells_the_lead(app, make_team, make_person, login):
    from support.authenticator import SoftAuthenticator
    from support.flows import register_via_form
    team = make_team()
    lead = make_person(team, role="lead", name="Marieke de Vries")
    client = login(lead)
    token = csrf_token(client, f"/teams/{team.id}")
    page = client.post(f"/teams/{team.id}/uitnodigingen", data={"role": "member", "csrf_token": token})
    url = page.get_data(as_text=True).split('readonly value="', 1)[1].split('"', 1)[0]
    register_via_form(app.test_client(), SoftAuthenticator(origin="http://localhost"),
                      url.removeprefix("http://localhost"), {"person_name": "Daan Visser"})
    inbox = client.get("/meldingen").get_data(as_text=True)
    assert "Daan Visser doet mee" in inbox
    with app.app_context():
        notification = db.session.scalar(select(Notification))
        assert notification.person_id == lead.id and notification.url == f"/teams/{team.id}"


def test_nobody_opens_someone_elses_notification(app, person, make_person, make_team, login):
    with app.app_context():
        item = services.notify(db.session, person.id, "test", title="x", body="y", url="/")
        db.session.commit()
        item_id = item.id
    other = login(make_person(make_team("Ander team")), on=app.test_client())
    assert other.get(f"/meldingen/{item_id}/open").status_code == 404


def test_scheduled_notifications_are_idempotent(app, person):
    with app.app_context():
        first = services.notify(db.session, person.id, "test", title="x", body="y", url="/", dedupe_key="k1")
        again = services.notify(db.session, person.id, "test", title="x", body="y", url="/", dedupe_key="k1")
        db.session.commit()
        assert first is not None and again is None
        assert db.session.scalar(select(func.count(Notification.id))) == 1


def test_two_workers_send_each_push_exactly_once(app, push, person, login):
    """On PostgreSQL (TEST_DATABASE_URL) claims use FOR UPDATE SKIP LOCKED; everywhere the lease guards."""
    client = login(person)
    phones = [push.subscriber(f"phone{i}") for i in range(3)]
    for phone in phones:
        subscribe(client, phone.subscription)
    with app.app_context():
        for i in range(40):
            services.notify(db.session, person.id, "test", title=f"n{i}", body="", url="/")
        db.session.commit()
    workers = [Worker(app, name=f"w{i}", concurrency=4) for i in range(2)]

    def drain(w):
        for _ in range(200):
            w.tick(block=True)
            with app.app_context():
                if not db.session.scalar(select(func.count(PushDelivery.id)).where(PushDelivery.status == "pending")):
                    return

    threads = [threading.Thread(target=drain, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for phone in phones:
        titles = sorted(d.json()["title"] for d in phone.delivered)
        assert titles == sorted(f"n{i}" for i in range(40))
    assert len(push.deliveries) == 120


def test_recording_sent_pushes_costs_the_same_for_two_devices_as_for_eight(app, push, worker, person, login):
    """The worker writes a batch of sent pushes in a fixed number of statements: the old one-by-one
    writes (a read and two updates per push) cost more CPU than sending."""
    from sqlalchemy import event

    client = login(person)
    worker.tick(block=True)  # the scheduled jobs' first run, out of the way

    def statements_for_one_tick(devices: int) -> int:
        for i in range(devices):
            subscribe(client, push.subscriber(f"device {len(push.deliveries)}-{i}").subscription)
        send_test(client)
        seen = []
        with app.app_context():
            listener = lambda *args: seen.append(args[2])  # noqa: E731
            event.listen(db.engine, "before_cursor_execute", listener)
            try:
                assert worker.tick(block=True) >= devices
            finally:
                event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    assert statements_for_one_tick(2) == statements_for_one_tick(6)
    with app.app_context():
        rows = db.session.scalars(select(PushDelivery)).all()
        assert len(rows) == 2 + 8 and {(d.status, d.attempts, d.leased_by) for d in rows} == {("sent", 1, None)}
        assert all(s.last_success_at is not None for s in db.session.scalars(select(PushSubscription)))


def test_notifying_many_at_once_is_per_person_and_costs_a_handful_of_queries(app, make_team, make_person):
    """A round's announcement to all its participants: each in their own language, muted kinds
    inbox-only, a repeat with the same keys adds nothing, and the queries do not grow per person."""
    from flask_babel import lazy_gettext as _l
    from sqlalchemy import event

    from app.accounts.models import Person
    from app.notify.models import NotificationPreference

    team = make_team()
    people = [make_person(team, name=f"Collega {i}") for i in range(8)]
    with app.app_context():
        db.session.get(Person, people[0].id).locale = "en"
        db.session.add(NotificationPreference(person_id=people[1].id, muted_kinds=["round_planned"]))
        db.session.add(PushSubscription(person_id=people[1].id, endpoint="https://fcm.googleapis.com/fcm/send/x",
                                        p256dh="BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM",
                                        auth="tBHItJI5svbpez7KI4CCXg", label="Telefoon"))
        db.session.add(PushSubscription(person_id=people[2].id, endpoint="https://fcm.googleapis.com/fcm/send/y",
                                        p256dh="BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM",
                                        auth="tBHItJI5svbpez7KI4CCXg", label="Telefoon"))
        db.session.commit()
        statements = []
        event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
        ids = [p.id for p in people]
        made = services.notify_all(db.session, ids, "round_planned", title=_l("Nieuwe intervisie"), body="",
                                   url="/", dedupe_keys={i: f"plan:1:{i}" for i in ids})
        db.session.commit()
        reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
        assert len(made) == 8 and len(reads) <= 4, reads  # not three or more per person
        by_person = {n.person_id: n for n in made}
        assert by_person[people[0].id].title == "New intervision round"
        assert by_person[people[3].id].title == "Nieuwe intervisie"
        assert by_person[people[1].id].deliveries == []  # muted: the inbox only
        assert len(by_person[people[2].id].deliveries) == 1
        again = services.notify_all(db.session, ids, "round_planned", title=_l("Nieuwe intervisie"), body="",
                                    url="/", dedupe_keys={i: f"plan:1:{i}" for i in ids})
        assert again == []
        assert db.session.scalar(select(func.count()).select_from(Notification)) == 8
