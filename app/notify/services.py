"""The rules of notifications: write them (the outbox), claim and record pushes, the inbox.

Functions take plain values and a session and never commit, except the worker's claim and
record steps, which are their own short transactions by design.
"""
from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from flask_babel import force_locale
from sqlalchemy import bindparam, delete, func, or_, select, update

from app.accounts.models import Person
from app.notify import kinds, quiet
from app.notify.push import endpoint_allowed
from app.notify.models import Notification, NotificationPreference, PushDelivery, PushSubscription
from app.models_base import dialect_insert, insert_if_missing, utcnow

MAX_ATTEMPTS = 8
BACKOFF_START = 15  # seconds; doubles per attempt, at most an hour
BACKOFF_MAX = 3600


class SubscriptionRefused(Exception):
    """The posted subscription is malformed or points at a push service we do not trust."""


# Preferences ---------------------------------------------------------------------------------

def preferences(session, person_id: int) -> NotificationPreference:
    return session.get(NotificationPreference, person_id) or default_preferences(person_id)


def default_preferences(person_id: int) -> NotificationPreference:
    """What someone who never opened the settings has (not stored until they save)."""
    return NotificationPreference(person_id=person_id, muted_kinds=[], quiet_enabled=True,
                                  quiet_evening=quiet.QuietHours.evening,
                                  quiet_morning=quiet.QuietHours.morning, quiet_weekends=True)


def save_preferences(session, person_id: int, *, muted: list[str], quiet_enabled: bool,
                     evening, morning, weekends: bool) -> NotificationPreference:
    # The first save of two tabs at once: both insert-if-missing, then both update the one row.
    insert_if_missing(session, NotificationPreference, person_id=person_id, muted_kinds=[])
    pref = session.get(NotificationPreference, person_id, populate_existing=True)
    pref.muted_kinds = sorted(k for k in muted if (kind := kinds.find(k)) is not None and kind.optional)
    pref.quiet_enabled, pref.quiet_evening, pref.quiet_morning = quiet_enabled, evening, morning
    pref.quiet_weekends = weekends
    session.add(pref)
    return pref


def quiet_hours_of(pref: NotificationPreference) -> quiet.QuietHours:
    return quiet.QuietHours(enabled=pref.quiet_enabled, evening=pref.quiet_evening,
                            morning=pref.quiet_morning, weekends=pref.quiet_weekends)


# Writing notifications -------------------------------------------------------------------------

DEFAULT_LOCALE = "nl"


def in_language(text, locale: str | None) -> str:
    """A text in the recipient's language. A lazy string (flask_babel's `lazy_gettext`, whose
    parameters may be lazy too, e.g. a date) is rendered under that locale here; a plain string
    is taken as it is (a title without words to translate, or user-written text)."""
    with force_locale(locale or DEFAULT_LOCALE):
        return str(text)


def notify(session, person_id: int, kind_key: str, *, title, body, url: str,
           topic: str | None = None, deadline: datetime | None = None, dedupe_key: str | None = None,
           now: datetime | None = None) -> Notification | None:
    """Add an inbox item and its pushes to every device, in the caller's transaction.

    `title` and `body` are rendered in the recipient's own language (their profile setting,
    else Dutch), never the sender's: pass lazy strings (`lazy_gettext`), not `gettext` output.

    Pushes wait for the end of the person's quiet hours unless the kind ignores them or the
    thing it announces (`deadline`) starts before they end. With a `dedupe_key` that exists
    already nothing is added (schedulers may run more than once).
    """
    made = notify_all(session, [person_id], kind_key, title=title, body=body, url=url, topic=topic,
                      deadline=deadline, dedupe_keys={person_id: dedupe_key} if dedupe_key else None, now=now)
    return made[0] if made else None


def notify_all(session, person_ids, kind_key: str, *, title, body, url: str, topic: str | None = None,
               deadline: datetime | None = None, dedupe_keys: dict[int, str] | None = None,
               now: datetime | None = None) -> list[Notification]:
    """`notify` for several people at once (a round's participants): four queries and one flush
    for all of them, not four per person. `dedupe_keys` maps a person to their item's key."""
    kind = kinds.get(kind_key)
    now = now or utcnow()
    people = list(dict.fromkeys(person_ids))
    if dedupe_keys:
        known = set(session.scalars(select(Notification.dedupe_key)
                                    .where(Notification.dedupe_key.in_([k for k in dedupe_keys.values() if k]))))
        people = [p for p in people if dedupe_keys.get(p) not in known]
    if not people:
        return []
    locales = dict(session.execute(select(Person.id, Person.locale).where(Person.id.in_(people))).all())
    prefs = {p.person_id: p for p in session.scalars(
        select(NotificationPreference).where(NotificationPreference.person_id.in_(people)))}
    devices: dict[int, list[int]] = {}
    for person_id, subscription_id in session.execute(
            select(PushSubscription.person_id, PushSubscription.id).where(PushSubscription.person_id.in_(people))
            .order_by(PushSubscription.id)):
        devices.setdefault(person_id, []).append(subscription_id)
    texts: dict[str | None, tuple[str, str]] = {}
    made = []
    for person_id in people:
        locale = locales.get(person_id)
        if locale not in texts:
            texts[locale] = in_language(title, locale), in_language(body, locale)
        made.append(_notification(session, kind, person_id, texts[locale], url, topic, now, deadline,
                                  prefs.get(person_id) or default_preferences(person_id),
                                  devices.get(person_id, []), (dedupe_keys or {}).get(person_id)))
    session.flush()
    return made


def _notification(session, kind, person_id: int, text: tuple[str, str], url: str, topic, now: datetime, deadline,
                  pref: NotificationPreference, devices: list[int], dedupe_key: str | None) -> Notification:
    title, body = text
    notification = Notification(person_id=person_id, kind=kind.key, title=title[:120], body=body[:400],
                                url=url, topic=topic, dedupe_key=dedupe_key, created_at=now,
                                expires_at=now + kind.ttl)
    session.add(notification)
    if kind.optional and kind.key in (pref.muted_kinds or []):
        return notification
    send_at = now
    if kind.quiet_hours:
        send_at = quiet.delivery_time(now, quiet_hours_of(pref), deadline=deadline)
        notification.expires_at = max(notification.expires_at, send_at + kind.ttl)
    for subscription_id in devices:
        notification.deliveries.append(PushDelivery(subscription_id=subscription_id, next_attempt_at=send_at))
    return notification


def payload(notification, icon: str, badge: str) -> str:
    """What the phone receives: far below the 4 KB limit of Web Push. `notification` is a
    Notification or a row with its id, title, body and topic."""
    data = {"title": notification.title, "body": notification.body,
            "url": f"/meldingen/{notification.id}/open", "tag": notification.topic or f"n{notification.id}",
            "icon": icon, "badge": badge}
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


# Subscriptions ---------------------------------------------------------------------------------

# Push keys are base64url; endpoints are URLs of visible ASCII. Anything else (a NUL, which
# PostgreSQL cannot even compare with) names no subscription.
BASE64URL = re.compile(r"[A-Za-z0-9_-]+={0,2}")
PLAIN_URL = re.compile(r"[\x21-\x7e]+")


def plain_endpoint(endpoint) -> bool:
    return isinstance(endpoint, str) and len(endpoint) <= 2048 and PLAIN_URL.fullmatch(endpoint) is not None


def save_subscription(session, person_id: int, data, *, allowed: tuple[str, ...], label: str) -> PushSubscription:
    """Store what `PushSubscription.toJSON()` gave; the same endpoint moves to this person."""
    try:
        endpoint = data["endpoint"]
        p256dh, auth = data["keys"]["p256dh"], data["keys"]["auth"]
    except (KeyError, TypeError) as exc:
        raise SubscriptionRefused("malformed") from exc
    if not all(isinstance(v, str) and v for v in (endpoint, p256dh, auth)) or len(endpoint) > 2048 \
            or len(p256dh) > 200 or len(auth) > 100 or not plain_endpoint(endpoint) \
            or not BASE64URL.fullmatch(p256dh) or not BASE64URL.fullmatch(auth):
        raise SubscriptionRefused("malformed")
    if not endpoint_allowed(endpoint, allowed):
        raise SubscriptionRefused("endpoint not allowed")
    # One statement, so two requests for one device (a retry, two tabs) end in one row.
    values = dict(person_id=person_id, p256dh=p256dh, auth=auth, label=label[:80])
    insert = dialect_insert(session, PushSubscription).values(endpoint=endpoint, created_at=utcnow(), **values)
    subscription_id = session.execute(insert.on_conflict_do_update(index_elements=["endpoint"], set_=values)
                                      .returning(PushSubscription.id)).scalar_one()
    return session.get(PushSubscription, subscription_id, populate_existing=True)


def remove_subscription(session, person_id: int, *, endpoint: str | None = None,
                        subscription_id: int | None = None) -> bool:
    query = delete(PushSubscription).where(PushSubscription.person_id == person_id)
    if endpoint is not None and not plain_endpoint(endpoint):
        return False
    if endpoint is not None:
        query = query.where(PushSubscription.endpoint == endpoint)
    elif subscription_id is not None:
        query = query.where(PushSubscription.id == subscription_id)
    else:
        return False
    return session.execute(query, execution_options={"synchronize_session": False}).rowcount > 0


def devices(session, person_id: int) -> list[PushSubscription]:
    return list(session.scalars(select(PushSubscription).where(PushSubscription.person_id == person_id)
                                .order_by(PushSubscription.created_at)))


# Inbox -----------------------------------------------------------------------------------------

def inbox(session, person_id: int, limit: int = 100) -> list[Notification]:
    return list(session.scalars(select(Notification).where(Notification.person_id == person_id)
                                .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)))


def unread_count(session, person_id: int) -> int:
    return session.scalar(_unread_query(), {"person_id": person_id})


def unread_column(person_id):
    """The unread count as a scalar subquery for `person_id` (a column): the sign-in reads it."""
    return _count_unread(person_id).scalar_subquery()


@cache
def _unread_query():
    # Where the sign-in did not count it: built once, see docs/architecture.md, "Serving".
    return _count_unread(bindparam("person_id"))


def _count_unread(person_id):
    return select(func.count(Notification.id)).where(Notification.person_id == person_id,
                                                     Notification.read_at.is_(None))


def open_notification(session, person_id: int, notification_id: int) -> Notification | None:
    notification = session.get(Notification, notification_id)
    if notification is None or notification.person_id != person_id:
        return None
    if notification.read_at is None:
        notification.read_at = utcnow()
    return notification


def mark_all_read(session, person_id: int) -> None:
    session.execute(update(Notification).where(Notification.person_id == person_id,
                                               Notification.read_at.is_(None)).values(read_at=utcnow()),
                    execution_options={"synchronize_session": False})


# The worker's side -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Job:
    """One claimed push, with everything needed to send it outside any transaction."""

    delivery_id: int
    subscription_id: int
    subscription: dict
    payload: str
    ttl: int
    urgency: str
    topic: str | None
    attempts: int


# The worker's statements are built once, on the Core tables, with the moment and the batch as
# parameters: building them per tick (operators, coercions, cache keys) and the ORM's set-up per
# execution cost more CPU than the database did. `now` is the tick's moment; a lease is free when
# it is absent or has run out. Expired notifications are never claimed; `expire_stale`, a scheduled
# job, marks their pushes failed.
_deliveries = PushDelivery.__table__
_notifications = Notification.__table__
_subscriptions = PushSubscription.__table__
_LEASE_FREE = or_(_deliveries.c.lease_until.is_(None), _deliveries.c.lease_until < bindparam("now"))
_DUE = (select(_deliveries.c.id)
        .join(_notifications, _notifications.c.id == _deliveries.c.notification_id)
        .where(_deliveries.c.status == "pending", _deliveries.c.next_attempt_at <= bindparam("now"),
               _LEASE_FREE, _notifications.c.expires_at >= bindparam("now"))
        .order_by(_deliveries.c.next_attempt_at).limit(bindparam("limit")))
# PostgreSQL: two workers claim side by side without waiting for or taking each other's rows, and
# lock only the deliveries (never the notifications people are reading).
_DUE_SKIP_LOCKED = _DUE.with_for_update(skip_locked=True, of=_deliveries)
_LEASE = (update(_deliveries)
          .where(_deliveries.c.id.in_(bindparam("ids", expanding=True)), _deliveries.c.status == "pending",
                 _LEASE_FREE)
          .values(lease_until=bindparam("until"), leased_by=bindparam("token")))
_LEASED = (select(_notifications.c.id, _notifications.c.title, _notifications.c.body, _notifications.c.topic,
                  _notifications.c.kind, _notifications.c.expires_at, _deliveries.c.id.label("delivery_id"),
                  _deliveries.c.attempts, _subscriptions.c.id.label("subscription_id"), _subscriptions.c.endpoint,
                  _subscriptions.c.p256dh, _subscriptions.c.auth)
           .select_from(_deliveries)
           .join(_notifications, _deliveries.c.notification_id == _notifications.c.id)
           .join(_subscriptions, _deliveries.c.subscription_id == _subscriptions.c.id)
           .where(_deliveries.c.leased_by == bindparam("token")))


def claim(session, *, worker: str, now: datetime, limit: int, lease: timedelta,
          icon: str, badge: str) -> list[Job]:
    """Lease up to `limit` due pushes for this worker, in one short transaction.

    On PostgreSQL `FOR UPDATE SKIP LOCKED` lets two workers claim side by side; the lease
    condition in the UPDATE is the guard everywhere.
    """
    token = f"{worker}:{secrets.token_hex(6)}"
    connection = session.connection()
    due = _DUE_SKIP_LOCKED if connection.dialect.name == "postgresql" else _DUE
    ids = list(connection.execute(due, {"now": now, "limit": limit}).scalars())
    if not ids:
        session.commit()
        return []
    connection.execute(_LEASE, {"ids": ids, "now": now, "until": now + lease, "token": token})
    # Plain rows, not ORM objects: building three tracked objects per push cost more than the query.
    rows = connection.execute(_LEASED, {"token": token}).all()
    session.commit()
    return jobs_of(rows, now, icon, badge)


def jobs_of(rows, now: datetime, icon: str, badge: str) -> list[Job]:
    """A Job per claimed row; a row reads like a notification (id, title, body, topic) for
    `payload`. A notification goes to each of a person's devices with the same payload, so it is
    rendered once per notification, not once per device."""
    payloads: dict[int, str] = {}
    urgencies: dict[str, str] = {}
    jobs = []
    for row in rows:
        if row.id not in payloads:
            payloads[row.id] = payload(row, icon, badge)
        if row.kind not in urgencies:
            kind = kinds.find(row.kind)
            urgencies[row.kind] = kind.urgency if kind else "normal"
        jobs.append(Job(
            row.delivery_id, row.subscription_id,
            {"endpoint": row.endpoint, "keys": {"p256dh": row.p256dh, "auth": row.auth}},
            payloads[row.id], int((row.expires_at - now).total_seconds()), urgencies[row.kind], row.topic,
            row.attempts))
    return jobs


def backoff(attempts: int) -> float:
    return min(BACKOFF_START * 2 ** max(attempts - 1, 0), BACKOFF_MAX)


_SENT = (update(_deliveries).where(_deliveries.c.id == bindparam("delivery"))
         .values(attempts=_deliveries.c.attempts + 1, lease_until=None, leased_by=None, last_error=None,
                 status="sent", sent_at=bindparam("now")))
_REACHED = (update(_subscriptions).where(_subscriptions.c.id.in_(bindparam("ids", expanding=True)))
            .values(last_success_at=bindparam("now")))


def record_all(session, finished: list, now: datetime) -> None:
    """Write what happened to a batch of pushes, in the worker's own transaction.

    Sent pushes, nearly all of them, are written with two statements for the whole batch (one
    executemany over the deliveries, one update of the devices); the ORM path per row cost more
    CPU than sending. The rare retry, gone and failed outcomes go through `record`.
    """
    sent = [job for job, outcome in finished if outcome.kind == "sent"]
    if sent:
        connection = session.connection()
        connection.execute(_SENT, [{"delivery": job.delivery_id, "now": now} for job in sent])
        connection.execute(_REACHED, {"ids": sorted({job.subscription_id for job in sent}), "now": now})
    for job, outcome in finished:
        if outcome.kind != "sent":
            record(session, job, outcome, now)


def record(session, job: Job, outcome, now: datetime) -> None:
    """Write what happened to one push, in the worker's own transaction."""
    delivery = session.get(PushDelivery, job.delivery_id)
    if delivery is None:  # the subscription or notification was removed meanwhile
        return
    delivery.attempts += 1
    delivery.lease_until = None
    delivery.leased_by = None
    delivery.last_error = outcome.error[:200] or None
    if outcome.kind == "sent":
        delivery.status, delivery.sent_at = "sent", now
        session.execute(update(PushSubscription).where(PushSubscription.id == job.subscription_id)
                        .values(last_success_at=now), execution_options={"synchronize_session": False})
    elif outcome.kind == "gone":
        # The phone unsubscribed or the subscription expired: forget the device.
        session.execute(delete(PushSubscription).where(PushSubscription.id == job.subscription_id),
                        execution_options={"synchronize_session": False})
    elif outcome.kind == "retry" and delivery.attempts < MAX_ATTEMPTS:
        wait = outcome.retry_after if outcome.retry_after is not None else backoff(delivery.attempts)
        delivery.next_attempt_at = now + timedelta(seconds=wait)
    else:
        delivery.status = "failed"


def expire_stale(session, now: datetime) -> int:
    """Pushes whose notification has expired are not worth sending any more."""
    stale = select(Notification.id).where(Notification.expires_at < now).scalar_subquery()
    return session.execute(
        update(PushDelivery).where(PushDelivery.status == "pending", PushDelivery.notification_id.in_(stale))
        .values(status="failed", last_error="expired"), execution_options={"synchronize_session": False}
    ).rowcount
