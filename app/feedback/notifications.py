"""What feedback tells people, in their own language, and its scheduled reminder and expiry."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from app.accounts.models import Person
from app.feedback import services
from app.feedback.models import Exchange
from app.notify import services as notify


def _send(session, person_id: int | None, kind: str, texts, exchange: Exchange, *, now=None, dedupe=None) -> None:
    """`texts()` is called in the recipient's language and returns (title, body)."""
    if person_id is None:
        return
    person = session.get(Person, person_id)
    with force_locale(person.locale or "nl"):
        title, body = texts()
    notify.notify(session, person_id, kind, title=title, body=body,
                  url=url_for("feedback.exchange", exchange_id=exchange.id), topic=f"feedback-{exchange.id}",
                  now=now, dedupe_key=dedupe)


def _name(session, person_id: int | None) -> str:
    person = session.get(Person, person_id) if person_id else None
    return person.name if person else "?"


def requested(session, exchange: Exchange) -> None:
    asker = _name(session, exchange.subject_id)
    _send(session, exchange.giver_id, "feedback_request",
          lambda: (_("%(name)s vraagt je om feedback", name=asker),
                   _("Over ‘%(title)s’. Tik om te antwoorden.", title=exchange.title)), exchange)


def answered(session, exchange: Exchange) -> None:
    giver = _name(session, exchange.giver_id)
    _send(session, exchange.subject_id, "feedback_answered",
          lambda: (_("Feedback van %(name)s", name=giver),
                   _("Over ‘%(title)s’. Lees wat je collega zag.", title=exchange.title)), exchange)


def remind(session, now: datetime) -> None:
    """Once per request, after the configured hours: a gentle reminder to the colleague."""
    after = timedelta(hours=current_app.config["FEEDBACK_REMIND_AFTER_HOURS"])
    for exchange in services.due_for_reminder(session, now, after):
        if not services.mark_reminded(session, exchange, now):
            continue
        asker = _name(session, exchange.subject_id)
        _send(session, exchange.giver_id, "feedback_reminder",
              lambda: (_("Nog even: feedback voor %(name)s", name=asker),
                       _("‘%(title)s’ wacht nog op je antwoord. Twee minuten is genoeg.", title=exchange.title)),
              exchange, now=now, dedupe=f"feedback-reminder:{exchange.id}")


def expire(session, now: datetime) -> None:
    """Requests nobody answered in time close; the asker hears it kindly."""
    for exchange in services.due_for_expiry(session, now):
        if not services.expire(session, exchange, now):
            continue
        _send(session, exchange.subject_id, "feedback_expired",
              lambda: (_("Je feedbackvraag is gesloten"),
                       _("Op ‘%(title)s’ kwam geen antwoord. Dat gebeurt in drukke weken; vraag het gerust "
                         "opnieuw of reflecteer even alleen.", title=exchange.title)),
              exchange, now=now, dedupe=f"feedback-expired:{exchange.id}")


def in_request_context(app, job):
    """Jobs run in the worker, outside any request: give url_for the public address."""
    def run(session, now):
        with app.test_request_context(base_url=app.config["APP_URL"]):
            job(session, now)
    return run
