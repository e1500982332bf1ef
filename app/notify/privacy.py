"""Notify's share of privacy: the inbox, devices and preferences in "Mijn gegevens", their
deletion with an account, the daily clean-up, and its lines on the privacy page."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, exists, func, select

from app import retention
from app.hooks import ExportPart, Retention
from app.notify import kinds
from app.notify.models import Notification, NotificationPreference, PushDelivery, PushSubscription
from app.notify.services import preferences


def export_notifications(session, person) -> list[dict]:
    rows = session.scalars(select(Notification).where(Notification.person_id == person.id)
                           .order_by(Notification.created_at, Notification.id))
    return [{"kind": str(kind.label) if (kind := kinds.find(n.kind)) else n.kind, "title": n.title, "body": n.body,
             "url": n.url, "created_at": n.created_at, "read_at": n.read_at} for n in rows]


def export_devices(session, person) -> list[dict]:
    """Devices that receive pushes: label and dates, never the endpoint or its keys."""
    rows = session.scalars(select(PushSubscription).where(PushSubscription.person_id == person.id)
                           .order_by(PushSubscription.created_at))
    return [{"label": s.label, "created_at": s.created_at, "last_success_at": s.last_success_at} for s in rows]


def export_preferences(session, person) -> dict:
    pref = preferences(session, person.id)
    return {"stored": session.get(NotificationPreference, person.id) is not None,
            "muted": [str(kind.label) if (kind := kinds.find(k)) else k for k in pref.muted_kinds or []],
            "quiet_enabled": pref.quiet_enabled, "quiet_evening": _time(pref.quiet_evening),
            "quiet_morning": _time(pref.quiet_morning), "quiet_weekends": pref.quiet_weekends}


def _time(value) -> str | None:
    return value.strftime("%H:%M") if value else None


EXPORTS = (
    ExportPart("notifications", _l("Je meldingen"), export_notifications),
    ExportPart("devices", _l("Apparaten met meldingen"), export_devices,
               {"last_success_at": _l("Laatste melding aangekomen")}),
    ExportPart("notification_preferences", _l("Je instellingen voor meldingen"), export_preferences,
               {"stored": _l("Zelf ingesteld"), "muted": _l("Uitgezet"), "quiet_enabled": _l("Stille uren"),
                "quiet_evening": _l("Stil vanaf"), "quiet_morning": _l("Stil tot"),
                "quiet_weekends": _l("Stil in het weekend")}),
)


def erase(session, person) -> None:
    """Inbox, devices (and with them their pending pushes) and preferences go."""
    options = {"synchronize_session": False}
    for model in (Notification, PushSubscription, NotificationPreference):
        session.execute(delete(model).where(model.person_id == person.id), execution_options=options)


def purge(session, now: datetime, config) -> dict[str, int]:
    """Notify's daily clean-up; idempotent. Returns counts.

    A device is dead when no push reached it for RETENTION_PUSH_DEAD_DAYS (since its last
    success, or since it was added) and a push to it failed since: a quiet device of someone
    who simply got no notifications is kept.
    """
    options = {"synchronize_session": False}
    old = now - timedelta(days=config["RETENTION_NOTIFICATION_DAYS"])
    dead_since = now - timedelta(days=config["RETENTION_PUSH_DEAD_DAYS"])
    failed = exists().where(PushDelivery.subscription_id == PushSubscription.id, PushDelivery.status == "failed")
    dead = select(PushSubscription.id).where(
        func.coalesce(PushSubscription.last_success_at, PushSubscription.created_at) < dead_since, failed)
    return {
        "notifications": session.execute(delete(Notification).where(Notification.created_at < old),
                                         execution_options=options).rowcount,
        "devices": session.execute(delete(PushSubscription).where(PushSubscription.id.in_(dead)),
                                   execution_options=options).rowcount,
    }


def retention_job(config):
    """hooks.Job run function for notify's clean-up, with the app's settings."""
    return retention.logged_job("notify", lambda session, now: purge(session, now, config))


RETENTION = (
    Retention("notifications", _l("Meldingen in je inbox"), _l("Alleen jij."),
              lambda config: _("%(days)s, daarna verwijderd.", days=retention.days(config["RETENTION_NOTIFICATION_DAYS"])),
              order=30),
    Retention("devices", _l("Apparaten met meldingen (het adres van de pushdienst van je browser)"),
              _l("Alleen jij; de pushdienst van je browser bezorgt de melding."),
              lambda config: _("Tot je meldingen uitzet, of tot er %(days)s geen melding meer aankwam en een "
                               "melding mislukte.", days=retention.days(config["RETENTION_PUSH_DEAD_DAYS"])), order=31),
)
