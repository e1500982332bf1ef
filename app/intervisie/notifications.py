"""What intervisie tells people through the notification layer, and its scheduled reminders."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import url_for
from flask_babel import force_locale, format_datetime
from flask_babel import gettext as _
from sqlalchemy import select

from app.accounts.models import Person
from app.intervisie import phases, services
from app.intervisie.models import Action, Participant, Round
from app.notify import services as notify

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def _when(rnd: Round) -> str:
    return format_datetime(rnd.starts_at, "EEE d MMM, HH:mm")


def _texts(kind: str, rnd: Round) -> tuple[str, str, str]:
    """Title, body and the screen a tap opens."""
    page = url_for("intervisie.round_page", round_id=rnd.id)
    live = url_for("intervisie.live", round_id=rnd.id)
    when = _when(rnd)
    return {
        "round_planned": (_("Intervisie op %(when)s", when=when), _("Je doet mee aan ‘%(title)s’. Kun je?", title=rnd.title), page),
        "round_changed": (_("Intervisie gewijzigd"), _("‘%(title)s’ is nu op %(when)s.", title=rnd.title, when=when), page),
        "round_cancelled": (_("Intervisie afgelast"), _("‘%(title)s’ op %(when)s gaat niet door.", title=rnd.title, when=when), page),
        "round_reminder": (_("Intervisie om %(time)s", time=format_datetime(rnd.starts_at, "HH:mm")),
                           _("‘%(title)s’ begint op %(when)s.", title=rnd.title, when=when), page),
        "round_started": (_("De ronde is begonnen"), _("Tik om mee te doen aan ‘%(title)s’.", title=rnd.title), live),
    }[kind]


def _recipients(session, rnd: Round) -> list[tuple[int, str | None]]:
    return list(session.execute(select(Participant.person_id, Person.locale).join(Person)
                                .where(Participant.round_id == rnd.id, Participant.rsvp.is_distinct_from("no"))))


def announce(session, rnd: Round, kind: str, *, exclude: int | None = None, only_new: set | None = None,
             now: datetime | None = None, dedupe: str | None = None) -> int:
    """Notify the round's participants (in their own language), in the caller's transaction."""
    count = 0
    session.flush()
    for person_id, locale in _recipients(session, rnd):
        if person_id == exclude or (only_new is not None and kind == "round_planned" and person_id not in only_new):
            continue
        with force_locale(locale or "nl"):
            title, body, url = _texts(kind, rnd)
        notify.notify(session, person_id, kind, title=title, body=body, url=url, topic=f"round-{rnd.id}",
                      deadline=rnd.starts_at, now=now,
                      dedupe_key=f"{dedupe}:{person_id}" if dedupe else None)
        count += 1
    return count


def tell_case_removed(session, rnd: Round, author_id: int) -> None:
    """The author of a case that was removed because someone else became presenter. Never the
    case itself in the message: a notification passes through push services."""
    author = session.get(Person, author_id)
    if author is None:
        return
    still_in = services.participant(session, rnd.id, author_id) is not None
    url = url_for("intervisie.round_page", round_id=rnd.id) if still_in else url_for("intervisie.index")
    with force_locale(author.locale or "nl"):
        title = _("Je casus is verwijderd")
        body = _("Je bent niet meer de inbrenger van ‘%(title)s’ op %(when)s. Je voorbereide casus en hulpvraag "
                 "zijn verwijderd; niemand anders kan ze lezen.", title=rnd.title, when=_when(rnd))
    notify.notify(session, author_id, "case_removed", title=title, body=body, url=url, topic=f"round-{rnd.id}")


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


def _remind_action(session, rnd: Round, action: Action, now: datetime) -> None:
    owner = session.get(Person, action.owner_id)
    with force_locale(owner.locale or "nl"):
        title = _("Je actie van de vorige ronde")
        body = action.text
    notify.notify(session, action.owner_id, "open_action", title=title, body=body,
                  url=url_for("intervisie.round_page", round_id=rnd.id), now=now,
                  dedupe_key=f"open-action:{action.id}:{rnd.id}")


def in_request_context(app, job):
    """Jobs run in the worker, outside any request: give url_for the public address."""
    def run(session, now):
        with app.test_request_context(base_url=app.config["APP_URL"]):
            job(session, now)
    return run
