"""What intervisie tells people through the notification layer, and its scheduled reminders.

Texts are lazy (`_l`), dates too: `notify` renders them in each recipient's own language. URLs
come from `app_url`, so the worker's reminders need no request.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import LazyString, format_datetime
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.accounts.models import Person
from app.actions import PersonalAction
from app.intervisie import phases, services
from app.intervisie.models import Participant, Round
from app.notify import services as notify
from app.timezone import AMSTERDAM
from app.urls import app_url


def _when(rnd: Round, fmt: str = "EEE d MMM, HH:mm") -> LazyString:
    """The round's date as the reader writes it ("di 3 dec" or "Tue 3 Dec"), rendered late."""
    return LazyString(format_datetime, rnd.starts_at, fmt)


def _texts(kind: str, rnd: Round) -> tuple[LazyString, LazyString, str]:
    """Title, body and the screen a tap opens."""
    page = app_url("intervisie.round_page", round_id=rnd.id)
    live = app_url("intervisie.live", round_id=rnd.id)
    when = _when(rnd)
    return {
        "round_planned": (_l("Intervisie op %(when)s", when=when), _l("Je doet mee aan ‘%(title)s’. Kun je?", title=rnd.title), page),
        "round_changed": (_l("Intervisie gewijzigd"), _l("‘%(title)s’ is nu op %(when)s.", title=rnd.title, when=when), page),
        "round_cancelled": (_l("Intervisie afgelast"), _l("‘%(title)s’ op %(when)s gaat niet door.", title=rnd.title, when=when), page),
        "round_reminder": (_l("Intervisie om %(time)s", time=_when(rnd, "HH:mm")),
                           _l("‘%(title)s’ begint op %(when)s.", title=rnd.title, when=when), page),
        "round_started": (_l("De ronde is begonnen"), _l("Tik om mee te doen aan ‘%(title)s’.", title=rnd.title), live),
    }[kind]


def _recipients(session, rnd: Round) -> list[int]:
    return list(session.scalars(select(Participant.person_id)
                                .where(Participant.round_id == rnd.id, Participant.person_id.is_not(None),
                                       Participant.rsvp.is_distinct_from("no"))))


def announce(session, rnd: Round, kind: str, *, exclude: int | None = None, only_new: set | None = None,
             now: datetime | None = None, dedupe: str | None = None) -> int:
    """Notify the round's participants (each in their own language), in the caller's transaction."""
    session.flush()
    title, body, url = _texts(kind, rnd)
    people = [person_id for person_id in _recipients(session, rnd)
              if person_id != exclude and not (only_new is not None and kind == "round_planned"
                                               and person_id not in only_new)]
    notify.notify_all(session, people, kind, title=title, body=body, url=url, topic=f"round-{rnd.id}",
                      deadline=rnd.starts_at, now=now,
                      dedupe_keys={person_id: f"{dedupe}:{person_id}" for person_id in people} if dedupe else None)
    return len(people)


def tell_case_removed(session, rnd: Round, author_id: int) -> None:
    """The author of a case that was removed because someone else became presenter. Never the
    case itself in the message: a notification passes through push services."""
    if session.get(Person, author_id) is None:
        return
    still_in = services.participant(session, rnd.id, author_id) is not None
    url = app_url("intervisie.round_page", round_id=rnd.id) if still_in else app_url("intervisie.index")
    notify.notify(session, author_id, "case_removed", title=_l("Je casus is verwijderd"),
                  body=_l("Je bent niet meer de inbrenger van ‘%(title)s’ op %(when)s. Je voorbereide casus en "
                          "hulpvraag zijn verwijderd; niemand anders kan ze lezen.", title=rnd.title, when=_when(rnd)),
                  url=url, topic=f"round-{rnd.id}")


def send_reminders(session, now: datetime) -> None:
    """The scheduler: the morning of the day (08:00) and an hour before. Idempotent by dedupe keys,
    so it may run often and in several workers. A newer reminder replaces the older one on the
    phone (the same Topic)."""
    soon = session.scalars(select(Round).where(Round.status == phases.PLANNED, Round.cancelled_at.is_(None),
                                               Round.starts_at > now, Round.starts_at <= now + timedelta(hours=24)))
    for rnd in soon:
        local = rnd.starts_at.astimezone(AMSTERDAM)
        morning = local.replace(hour=8, minute=0, second=0, microsecond=0)
        if now >= rnd.starts_at - timedelta(hours=1):
            announce(session, rnd, "round_reminder", now=now, dedupe=f"reminder-hour:{rnd.id}:{rnd.starts_at:%Y%m%d%H%M}")
        elif now >= morning and local.hour > 9:
            announce(session, rnd, "round_reminder", now=now, dedupe=f"reminder-day:{rnd.id}:{rnd.starts_at:%Y%m%d%H%M}")
    send_open_actions(session, now)


def send_open_actions(session, now: datetime) -> None:
    """The day before a round: each participant's own open actions of the last round they took part
    in come back to them (never to someone who was not in that round or is not in this one)."""
    upcoming = session.scalars(select(Round).where(Round.status == phases.PLANNED, Round.cancelled_at.is_(None),
                                                   Round.starts_at > now, Round.starts_at <= now + timedelta(hours=24)))
    from app.intervisie.services import open_actions_before
    for rnd in upcoming:
        for person_id in [p.person_id for p in rnd.participants]:
            actions = [a for a in open_actions_before(session, rnd, person_id) if a.owner_id == person_id]
            for action in actions:
                _remind_action(session, rnd, action, now)


def _remind_action(session, rnd: Round, action: PersonalAction, now: datetime) -> None:
    notify.notify(session, action.owner_id, "open_action", title=_l("Je actie van de vorige ronde"),
                  body=action.text, url=app_url("intervisie.round_page", round_id=rnd.id), now=now,
                  dedupe_key=f"open-action:{action.id}:{rnd.id}")
