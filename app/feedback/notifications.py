"""What feedback tells people, in their own language, and its scheduled reminder and expiry."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l

from app.accounts.models import Person
from app.feedback import services
from app.feedback.models import Exchange
from app.notify import services as notify
from app.urls import app_url


def _send(session, person_id: int | None, kind: str, texts, exchange: Exchange, *, now=None, dedupe=None) -> None:
    """`texts` is (title, body) as lazy strings: notify renders them in the recipient's language."""
    if person_id is None:
        return
    title, body = texts
    notify.notify(session, person_id, kind, title=title, body=body,
                  url=app_url("feedback.exchange", exchange_id=exchange.id), topic=f"feedback-{exchange.id}",
                  now=now, dedupe_key=dedupe)


def _name(session, person_id: int | None) -> str:
    person = session.get(Person, person_id) if person_id else None
    return person.name if person else "?"


def requested(session, exchange: Exchange) -> None:
    asker = _name(session, exchange.subject_id)
    _send(session, exchange.giver_id, "feedback_request",
          (_l("%(name)s vraagt je om feedback", name=asker),
                   _l("Over ‘%(title)s’. Tik om te antwoorden.", title=exchange.title)), exchange)


def answered(session, exchange: Exchange) -> None:
    giver = _name(session, exchange.giver_id)
    _send(session, exchange.subject_id, "feedback_answered",
          (_l("Feedback van %(name)s", name=giver),
                   _l("Over ‘%(title)s’. Lees wat je collega zag.", title=exchange.title)), exchange)


def remind(session, now: datetime) -> None:
    """Once per request, after the configured hours: a gentle reminder to the colleague."""
    after = timedelta(hours=current_app.config["FEEDBACK_REMIND_AFTER_HOURS"])
    for exchange in services.due_for_reminder(session, now, after):
        if not services.mark_reminded(session, exchange, now):
            continue
        asker = _name(session, exchange.subject_id)
        _send(session, exchange.giver_id, "feedback_reminder",
              (_l("Nog even: feedback voor %(name)s", name=asker),
                       _l("‘%(title)s’ wacht nog op je antwoord. Twee minuten is genoeg.", title=exchange.title)),
              exchange, now=now, dedupe=f"feedback-reminder:{exchange.id}")


def expire(session, now: datetime) -> None:
    """Requests nobody answered in time close; the asker hears it kindly."""
    for exchange in services.due_for_expiry(session, now):
        if not services.expire(session, exchange, now):
            continue
        _send(session, exchange.subject_id, "feedback_expired",
              (_l("Je feedbackvraag is gesloten"),
                       _l("Op ‘%(title)s’ kwam geen antwoord. Dat gebeurt in drukke weken; vraag het gerust "
                         "opnieuw of reflecteer even alleen.", title=exchange.title)),
              exchange, now=now, dedupe=f"feedback-expired:{exchange.id}")

