"""Server-side sign-in sessions: one PersonSession row per signed-in device.

Flask-Login's id is "<person id>.<token>". The token is random and only its SHA-256 is stored,
so a session ends the moment its row is deleted: sign-out, a removed passkey (the person's other
devices), a recovery (all devices), or a long idle spell. The remember-me cookie carries the same
id, so it ends with the row too.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import joinedload

from app.accounts.models import Membership, Person, PersonSession
from app.models_base import utcnow
from app.tokens import hash_token, new_token


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta    # a session unused this long is refused
    touch: timedelta   # last_seen_at is written at most this often (no write per request)


def policy(config) -> SessionPolicy:
    """The session policy an app's settings give (SESSION_IDLE_DAYS, SESSION_TOUCH_MINUTES)."""
    return SessionPolicy(idle=timedelta(days=config["SESSION_IDLE_DAYS"]),
                         touch=timedelta(minutes=config["SESSION_TOUCH_MINUTES"]))


def start_session(session, person_id: int, *, label: str, passkey_id: int | None = None) -> tuple[PersonSession, str]:
    """A new signed-in session; returns the row and the token (shown once, to the cookie)."""
    token = new_token(32)
    record = PersonSession(token_hash=hash_token(token), person_id=person_id, passkey_id=passkey_id,
                           label=label[:80])
    session.add(record)
    session.flush()
    return record, token


def split_id(login_id: str) -> tuple[int, str] | None:
    """"<person id>.<token>" -> (person id, token); anything else (an old "<id>.<epoch>") -> None."""
    person_id, _sep, token = (login_id or "").partition(".")
    if not person_id.isdigit() or len(person_id) > 10 or not (20 <= len(token) <= 100):
        return None
    return int(person_id), token


def resume(session, login_id: str, policy: SessionPolicy, now: datetime | None = None,
           columns: tuple = ()) -> Person | None:
    """The person of a live session, marked with it; None for an unknown, ended or idle one.

    last_seen_at moves on at most once per `policy.touch`, so most requests only read; the
    caller commits when `person.login_session_touched` says it moved. `columns`: the features'
    `hooks.SignInColumn`s, read in the same query, found in `person.sign_in_values`.
    """
    parts = split_id(login_id)
    if parts is None:
        return None
    person_id, token = parts
    now = now or utcnow()
    # One round trip: this runs before every signed-in request. The person's teams come along
    # (a handful of rows), because nearly every page asks them (navigation, Vandaag, who leads);
    # `accounts.services` then finds memberships and teams in the session, without a query.
    found = session.execute(_resume_query(columns), {"token_hash": hash_token(token), "person_id": person_id}
                            ).unique().one_or_none()
    if found is None or found[0].last_seen_at < now - policy.idle:
        return None
    record, person, *values = found
    person.login_token, person.login_session_id = token, record.id
    person.sign_in_values = {c.key: value for c, value in zip(columns, values)}
    person.login_session_touched = record.last_seen_at < now - policy.touch
    if person.login_session_touched:
        record.last_seen_at = now
    return person


@cache
def _resume_query(columns: tuple = ()):
    # Built once per set of columns (the values are bound per request): building a statement with
    # its loader options costs more CPU than running it (docs/architecture.md, "Serving").
    return (select(PersonSession, Person, *(c.column(Person.id).label(c.key) for c in columns))
            .join(Person, Person.id == PersonSession.person_id)
            .where(PersonSession.token_hash == bindparam("token_hash"), PersonSession.person_id == bindparam("person_id"))
            .options(joinedload(Person.memberships).joinedload(Membership.team)))


def live_ids(session, session_ids, policy: SessionPolicy, now: datetime | None = None) -> set[int]:
    """Which of these sessions still sign someone in: one query for any number (long-lived
    responses such as live streams re-check theirs together)."""
    ids = set(session_ids)
    if not ids:
        return set()
    cutoff = (now or utcnow()) - policy.idle
    return set(session.scalars(select(PersonSession.id).where(PersonSession.id.in_(ids),
                                                              PersonSession.last_seen_at >= cutoff)))


def end_session(session, person_id: int, session_id: int) -> bool:
    """End one of a person's sessions (sign-out, or "log uit" beside a device)."""
    return session.execute(
        delete(PersonSession).where(PersonSession.id == session_id, PersonSession.person_id == person_id),
        execution_options={"synchronize_session": False}).rowcount > 0


def end_sessions(session, person_id: int, *, keep_id: int | None = None) -> int:
    """End every session of a person, except `keep_id` (the device asking); returns how many."""
    query = delete(PersonSession).where(PersonSession.person_id == person_id)
    if keep_id is not None:
        query = query.where(PersonSession.id != keep_id)
    return session.execute(query, execution_options={"synchronize_session": False}).rowcount


def sessions_of(session, person_id: int, policy: SessionPolicy, now: datetime | None = None) -> list[PersonSession]:
    """The person's live sessions, most recently used first."""
    cutoff = (now or utcnow()) - policy.idle
    return list(session.scalars(
        select(PersonSession).where(PersonSession.person_id == person_id, PersonSession.last_seen_at >= cutoff)
        .order_by(PersonSession.last_seen_at.desc(), PersonSession.id.desc())))


def purge_idle_sessions(session, policy: SessionPolicy, now: datetime | None = None) -> int:
    """Delete sessions idle past the limit (for the retention job); they open nothing already."""
    cutoff = (now or utcnow()) - policy.idle
    return session.execute(delete(PersonSession).where(PersonSession.last_seen_at < cutoff),
                           execution_options={"synchronize_session": False}).rowcount

