"""Calendar files: one .ics per round and a private feed per person (icalendar)."""
from __future__ import annotations

import logging
from datetime import timedelta

from icalendar import Calendar, Event
from sqlalchemy import delete, select

from app.intervisie import methods
from app.intervisie.forms import CONTROL
from app.intervisie.models import CalendarFeed, Participant, Round
from app.models_base import dialect_insert, utcnow
from app.tokens import hash_token, new_token

log = logging.getLogger(__name__)


def _line(text: str) -> str:
    """One line of text: rows saved before titles were cleaned may hold CR, LF or NUL."""
    return " ".join(CONTROL.sub(" ", text or "").split())


def _event(rnd, app_url: str, host: str) -> Event:
    event = Event()
    event.add("uid", f"round-{rnd.id}@{host}")
    event.add("dtstamp", utcnow())
    event.add("dtstart", rnd.starts_at)
    event.add("dtend", rnd.starts_at + timedelta(minutes=sum(rnd.minutes or methods.get(rnd.method_key).default_minutes())))
    event.add("summary", _line(rnd.title))
    where = _line(rnd.place) or _line(rnd.video_url)
    if where:
        event.add("location", where)
    # No case text here: a calendar is not a closed room.
    event.add("description", f"{methods.get(rnd.method_key).name}\n{app_url}/intervisie/rondes/{rnd.id}")
    event.add("url", f"{app_url}/intervisie/rondes/{rnd.id}")
    event.add("sequence", rnd.version)
    if rnd.cancelled_at:
        event.add("status", "CANCELLED")
    event.to_ical()  # render now, so a round that cannot be rendered fails here, alone
    return event


def feed(rounds, app_url: str, *, name: str) -> bytes:
    """A calendar of these rounds. One round that cannot be rendered (say, a date at the end of
    time from before planning was bounded) is left out and logged; it never breaks the feed."""
    cal = Calendar()
    cal.add("prodid", "-//Leerkring//intervisie//NL")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", _line(name) or "Leerkring")
    host = app_url.split("://", 1)[-1].split("/", 1)[0]
    for rnd in rounds:
        try:
            cal.add_component(_event(rnd, app_url, host))
        except (ValueError, OverflowError, TypeError, AssertionError, KeyError, AttributeError):
            log.warning("calendar: round %s left out, it cannot be rendered", rnd.id, exc_info=True)
    return cal.to_ical()


def new_feed(session, person_id: int) -> str:
    """A new private URL; the old one stops working."""
    token = new_token()
    # One statement: two requests at once (a double tap) leave one feed, the last one's.
    insert = dialect_insert(session, CalendarFeed).values(person_id=person_id, token_hash=hash_token(token))
    session.execute(insert.on_conflict_do_update(index_elements=["person_id"],
                                                 set_={"token_hash": hash_token(token), "created_at": utcnow()}))
    return token


def revoke(session, person_id: int) -> None:
    session.execute(delete(CalendarFeed).where(CalendarFeed.person_id == person_id))


def has_feed(session, person_id: int) -> bool:
    return session.get(CalendarFeed, person_id) is not None


def person_for(session, token: str) -> int | None:
    if not token or len(token) > 100:
        return None
    return session.scalar(select(CalendarFeed.person_id).where(CalendarFeed.token_hash == hash_token(token)))


def rounds_for(session, person_id: int) -> list[Round]:
    since = utcnow() - timedelta(days=60)
    return list(session.scalars(select(Round).join(Participant).where(
        Participant.person_id == person_id, Round.starts_at >= since).order_by(Round.starts_at)))



